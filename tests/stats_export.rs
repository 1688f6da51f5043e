//! Statistics to Excel, black-box: `avito-reports stats-export` and the hub's "📊 Statistics to
//! Excel" (the worker binary against the Telegram and Avito emulators, on a fresh database of
//! each engine). The workbooks are read back with calamine (an independent reader) and checked
//! against the emulator's dataset; their native charts and conditional formatting rules are
//! found as parts of the zip.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use calamine::{Data, Reader, Xlsx, open_workbook};
use chrono::NaiveDate;
use common::{Engine, TestDatabase, Worker, button_data, press, say, worker_command};
use sandbox::avito::data::{AccountData, ItemStatus};
use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator, Fault, NewReview};
use sandbox::telegram::{TelegramConfig, TelegramEmulator};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

const WAIT: Duration = Duration::from_secs(180);

async fn emulator(spec: AccountSpec) -> AvitoEmulator {
    AvitoEmulator::start(AvitoConfig {
        rate_window: common::TEST_AVITO_RATE_WINDOW,
        accounts: vec![spec],
        ..AvitoConfig::default()
    })
    .await
    .expect("Avito emulator starts")
}

/// 450 items: three pages of item statistics (200 ids a request).
fn account() -> AccountSpec {
    AccountSpec {
        items: 450,
        chats: 5,
        messages_per_chat: 2,
        ..AccountSpec::generated(1)
    }
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

async fn stats_export(avito: &AvitoEmulator, dir: &Path, extra: &[&str]) -> Output {
    let mut cmd = worker_command(dir);
    cmd.args(["stats-export", "--client-id", "client-1", "--lang", "en"])
        .args(extra)
        .env("AVITO_CLIENT_SECRET", "secret-1")
        .env("AVITO_API_URL", avito.base_url())
        .env(
            "AVITO_RATE_WINDOW_SEC",
            common::TEST_AVITO_RATE_WINDOW.as_secs_f64().to_string(),
        );
    tokio::time::timeout(Duration::from_secs(300), cmd.output())
        .await
        .expect("the export finishes")
        .expect("the binary runs")
}

/// The five sheets, header rows included.
struct Book {
    summary: Vec<Vec<Data>>,
    days: Vec<Vec<Data>>,
    listings: Vec<Vec<Data>>,
    items: Vec<Vec<Data>>,
    reviews: Vec<Vec<Data>>,
}

fn read(path: &Path) -> Book {
    let mut wb: Xlsx<_> =
        open_workbook(path).unwrap_or_else(|e| panic!("{} opens as xlsx: {e}", path.display()));
    assert_eq!(
        wb.sheet_names(),
        ["Summary", "Per day", "Listings", "Items", "Reviews"]
    );
    let mut rows = |name: &str| -> Vec<Vec<Data>> {
        wb.worksheet_range(name)
            .unwrap_or_else(|e| panic!("sheet {name:?}: {e}"))
            .rows()
            .map(<[Data]>::to_vec)
            .collect()
    };
    Book {
        summary: rows("Summary"),
        days: rows("Per day"),
        listings: rows("Listings"),
        items: rows("Items"),
        reviews: rows("Reviews"),
    }
}

/// The chart parts of the workbook (`xl/charts/chart*.xml`), opened as the zip it is.
fn charts(path: &Path) -> Vec<String> {
    let file = std::fs::File::open(path).expect("open");
    let zip = zip::ZipArchive::new(file).expect("an xlsx is a zip");
    let mut names: Vec<String> = zip
        .file_names()
        .map(|n| n.expect("an entry name").into_owned())
        .filter(|n| n.starts_with("xl/charts/chart") && n.ends_with(".xml"))
        .collect();
    names.sort();
    names
}

/// A part of the workbook (`xl/...`), as text.
fn part(path: &Path, name: &str) -> String {
    use std::io::Read;
    let file = std::fs::File::open(path).expect("open");
    let mut zip = zip::ZipArchive::new(file).expect("an xlsx is a zip");
    let mut text = String::new();
    zip.by_name(name)
        .unwrap_or_else(|e| panic!("{name} in the workbook: {e}"))
        .read_to_string(&mut text)
        .expect("utf-8");
    text
}

fn date(d: &Data) -> NaiveDate {
    let serial = match d {
        Data::DateTime(t) => t.as_f64(),
        other => panic!("expected an Excel date, got {other:?}"),
    };
    NaiveDate::from_ymd_opt(1899, 12, 30).expect("epoch") + chrono::Days::new(serial as u64)
}

fn number(d: &Data) -> Option<f64> {
    match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        Data::Empty => None,
        other => panic!("expected a number or nothing, got {other:?}"),
    }
}

fn cell(row: &[Data], c: usize) -> Option<f64> {
    row.get(c).and_then(number)
}

/// Checks the workbook against the emulator: every day of `from..=to` with the account's
/// totals, the items' rows adding up to them, titles, and the summary's totals. `spending`:
/// whether Avito gives spending (else its cells must be empty, never zero).
fn assert_matches(book: &Book, acc: &AccountData, from: NaiveDate, to: NaiveDate, spending: bool) {
    let headers: Vec<String> = book.days[0].iter().map(|d| d.to_string()).collect();
    assert_eq!(
        headers,
        ["Date", "Views", "Contacts", "Favorites", "Spending, ₽"]
    );
    let headers: Vec<String> = book.items[0].iter().map(|d| d.to_string()).collect();
    assert_eq!(
        headers,
        ["Item ID", "Item", "Date", "Views", "Contacts", "Favorites"]
    );
    let all: Vec<_> = acc.items.iter().collect();
    let days: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
    assert_eq!(book.days.len() - 1, days.len(), "one row per day");
    let (mut views, mut contacts, mut favorites, mut money) = (0.0, 0.0, 0.0, 0u64);
    for (row, day) in book.days[1..].iter().zip(&days) {
        assert_eq!(date(&row[0]), *day);
        let want = acc.sum(&all, *day, *day);
        assert_eq!(cell(row, 1), Some(want.views as f64), "views of {day}");
        assert_eq!(
            cell(row, 2),
            Some(want.contacts() as f64),
            "contacts of {day}"
        );
        assert_eq!(
            cell(row, 3),
            Some(want.favorites as f64),
            "favorites of {day}"
        );
        if spending {
            let got = cell(row, 4).expect("spending");
            assert!(
                (got - want.all_spending() as f64 / 100.0).abs() < 0.005,
                "spending of {day}: {got}"
            );
        } else {
            assert_eq!(cell(row, 4), None, "spending not given: empty, never zero");
        }
        views += want.views as f64;
        contacts += want.contacts() as f64;
        favorites += want.favorites as f64;
        money += want.all_spending();
    }
    // The items' rows add up to each day's totals, and carry the listing's titles.
    let mut by_day: BTreeMap<NaiveDate, (f64, f64, f64)> = BTreeMap::new();
    for row in &book.items[1..] {
        let id = cell(row, 0).expect("item id") as i64;
        let item = acc.item(id).unwrap_or_else(|| panic!("item {id} exists"));
        assert_eq!(row[1].to_string(), item.title);
        let d = date(&row[2]);
        assert!(d >= from && d <= to, "{d} in the period");
        let e = by_day.entry(d).or_default();
        e.0 += cell(row, 3).expect("views");
        e.1 += cell(row, 4).expect("contacts");
        e.2 += cell(row, 5).expect("favorites");
    }
    for day in &days {
        let want = acc.sum(&all, *day, *day);
        let got = by_day.get(day).copied().unwrap_or_default();
        assert_eq!(
            got,
            (
                want.views as f64,
                want.contacts() as f64,
                want.favorites as f64
            ),
            "items of {day}"
        );
    }
    // Summary: title, period, totals.
    assert!(
        book.summary[0][0]
            .to_string()
            .starts_with("Avito statistics: ")
    );
    assert_eq!(date(&book.summary[1][1]), from);
    assert_eq!(date(&book.summary[1][2]), to);
    let totals = &book.summary[4];
    assert_eq!(totals[0].to_string(), "Total");
    assert_eq!(cell(totals, 1), Some(views));
    assert_eq!(cell(totals, 2), Some(contacts));
    assert_eq!(cell(totals, 3), Some(favorites));
    if spending {
        let got = cell(totals, 4).expect("total spending");
        assert!((got - money as f64 / 100.0).abs() < 0.005, "{got}");
    } else {
        assert_eq!(cell(totals, 4), None);
    }
}

fn close(got: Option<f64>, want: f64, what: &str) {
    let got = got.unwrap_or_else(|| panic!("{what}: empty, want {want}"));
    assert!((got - want).abs() < 0.005, "{what}: {got}, want {want}");
}

/// How the Listings sheet names a status.
fn status_text(s: ItemStatus) -> &'static str {
    match s {
        ItemStatus::Active => "active",
        ItemStatus::Removed => "removed",
        ItemStatus::Old => "expired",
        ItemStatus::Blocked => "blocked",
        ItemStatus::Rejected => "rejected",
    }
}

/// How the Listings sheet was filled.
#[derive(Clone, Copy, PartialEq)]
enum Figures {
    /// From the analytics grouped by item, with or without spending.
    Analytics { spending: bool },
    /// The analytics failed: views and contacts summed per day, the rest empty.
    Degraded,
}

/// The Listings sheet against the emulator: a row per listed item with its status, its
/// figures over the period (empty for a listing not published in it), the ratios, spending
/// order, the marks worked out here from the figures read back, and the rules and chart
/// parts. Returns the number of rows marked per group (no contacts, costly, blocked).
fn assert_listings(
    book: &Book,
    path: &Path,
    acc: &AccountData,
    (from, to): (NaiveDate, NaiveDate),
    figures: Figures,
) -> [usize; 4] {
    let headers: Vec<String> = book.listings[0].iter().map(|d| d.to_string()).collect();
    assert_eq!(
        headers[..12],
        [
            "Item ID",
            "Item",
            "Status",
            "Impressions",
            "Views",
            "Contacts",
            "CTR",
            "Conversion",
            "Spending, ₽",
            "Cost per contact, ₽",
            "To look at",
            "Views, period before"
        ]
    );
    let rows: Vec<&Vec<Data>> = book.listings[1..]
        .iter()
        .filter(|r| cell(r, 0).is_some())
        .collect();
    assert_eq!(rows.len(), acc.items.len(), "a row per listed item");
    let today = acc.today();
    let mut seen = std::collections::BTreeSet::new();
    for row in &rows {
        let id = cell(row, 0).expect("item id") as i64;
        assert!(seen.insert(id), "item {id} once");
        let item = acc.item(id).unwrap_or_else(|| panic!("item {id} exists"));
        assert_eq!(row[1].to_string(), item.title);
        assert_eq!(
            row[2].to_string(),
            status_text(item.status),
            "status of {id}"
        );
        if !item.alive_between(from, to, today) {
            assert!(
                (3..10).all(|c| cell(row, c).is_none()),
                "{id} was not published in the period: {row:?}"
            );
            continue;
        }
        let sum = acc.sum(&[item], from, to);
        let (views, contacts) = (sum.views as f64, sum.contacts() as f64);
        assert_eq!(cell(row, 4), Some(views), "views of {id}");
        assert_eq!(cell(row, 5), Some(contacts), "contacts of {id}");
        if views > 0.0 {
            close(cell(row, 7), contacts / views, "conversion");
        }
        if figures == Figures::Degraded {
            for c in [3, 6, 8, 9] {
                assert_eq!(cell(row, c), None, "column {c} of {id}: not known");
            }
            continue;
        }
        let impressions = sum.impressions as f64;
        assert_eq!(cell(row, 3), Some(impressions), "impressions of {id}");
        if impressions > 0.0 {
            close(cell(row, 6), views / impressions, "CTR");
        }
        let spent = sum.all_spending() as f64;
        if figures == (Figures::Analytics { spending: true }) {
            close(cell(row, 8), spent / 100.0, "spending");
            if contacts > 0.0 {
                close(cell(row, 9), (spent / contacts).round() / 100.0, "cost");
            } else {
                assert_eq!(cell(row, 9), None, "no contact, no cost");
            }
        } else {
            assert_eq!((cell(row, 8), cell(row, 9)), (None, None));
        }
    }
    // Most spending first, then most views.
    let key = |r: &Vec<Data>| (cell(r, 8).unwrap_or(-1.0), cell(r, 4).unwrap_or(-1.0));
    assert!(
        rows.windows(2).all(|w| key(w[0]) >= key(w[1])),
        "spending order"
    );

    // The marks, worked out from the figures read back.
    let mut views: Vec<f64> = rows.iter().filter_map(|r| cell(r, 4)).collect();
    views.sort_by(f64::total_cmp);
    let n = views.len();
    let median = if n % 2 == 1 {
        views[n / 2]
    } else {
        (views[n / 2 - 1] + views[n / 2]) / 2.0
    };
    let min_views = (2.0 * median).ceil().max(50.0);
    let (spent, contacts) = rows
        .iter()
        .filter_map(|r| Some((cell(r, 8)?, cell(r, 5)?)))
        .fold((0.0, 0.0), |(s, c), (rs, rc)| (s + rs, c + rc));
    let costly_from = (spent > 0.0 && contacts > 0.0)
        .then(|| ((spent * 100.0 / contacts).round() * 2.0).round() / 100.0);
    // A drop: views at most half of the period before's, from that period's own bar.
    let mut before: Vec<f64> = rows.iter().filter_map(|r| cell(r, 11)).collect();
    before.sort_by(f64::total_cmp);
    let fell_from = (!before.is_empty()).then(|| {
        let n = before.len();
        let median = if n % 2 == 1 {
            before[n / 2]
        } else {
            (before[n / 2 - 1] + before[n / 2]) / 2.0
        };
        (2.0 * median).ceil().max(50.0)
    });
    let mut marked = [0; 4];
    let mut any = 0.0;
    for row in &rows {
        let look = row.get(10).map(Data::to_string).unwrap_or_default();
        let quiet = cell(row, 5) == Some(0.0) && cell(row, 4).is_some_and(|v| v >= min_views);
        let costly = cell(row, 9)
            .zip(costly_from)
            .is_some_and(|(c, from)| c >= from - 0.005);
        let blocked = ["blocked", "rejected"].contains(&row[2].to_string().as_str());
        let fell = match (cell(row, 4), cell(row, 11), fell_from) {
            (Some(now), Some(then), Some(from)) => then >= from && now * 2.0 <= then,
            _ => false,
        };
        assert_eq!(look.contains("views, no contacts"), quiet, "{row:?}");
        assert_eq!(look.contains("costly contacts"), costly, "{row:?}");
        assert_eq!(look.contains("blocked or rejected"), blocked, "{row:?}");
        assert_eq!(look.contains("views fell"), fell, "{row:?}");
        for (i, on) in [quiet, costly, blocked, fell].into_iter().enumerate() {
            marked[i] += usize::from(on);
        }
        if quiet || costly || blocked || fell {
            any += 1.0;
        }
    }
    let summary = &book.summary[8];
    assert_eq!(
        summary[0].to_string(),
        "Listings to look at (marked on the Listings sheet)"
    );
    assert_eq!(cell(summary, 1), Some(any), "the Summary counts the marked");
    let legend: Vec<String> = book.listings[1..]
        .iter()
        .filter_map(|r| r.get(14).map(Data::to_string))
        .filter(|t| !t.is_empty())
        .collect();
    assert!(
        legend
            .iter()
            .any(|l| l.contains(&format!("{} views or more", min_views as i64))),
        "the threshold is stated: {legend:?}"
    );
    match fell_from {
        Some(from) => assert!(
            legend
                .iter()
                .any(|l| l.contains(&format!("from {} views then or more", from as i64))),
            "the drop's bar is stated: {legend:?}"
        ),
        None => assert!(
            legend
                .iter()
                .any(|l| l.contains("no figures of the period before")),
            "{legend:?}"
        ),
    }
    assert_eq!(
        legend.iter().any(|l| l.contains("Avito did not give")),
        figures == Figures::Degraded,
        "{legend:?}"
    );

    // Native rules in the Listings sheet (the third), not fills baked into its cells.
    let sheet = part(path, "xl/worksheets/sheet3.xml");
    let rules = sheet.matches(r#"<cfRule type="expression""#).count();
    let want = 2
        + usize::from(figures == (Figures::Analytics { spending: true }))
        + usize::from(fell_from.is_some());
    assert_eq!(rules, want, "conditional formatting rules");
    assert!(sheet.contains(&format!("$E2&gt;={}", min_views as i64)));
    marked
}

/// Moscow midnight of `day`, as Unix seconds.
fn moscow_midnight(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp()
        - 3 * 3600
}

/// Reviews written at noon on the period's first day, the minute before it starts and the
/// minute after it ends; returns the one inside, with its text.
fn add_reviews(avito: &AvitoEmulator, from: NaiveDate, to: NaiveDate) -> (i64, String) {
    let user = AccountSpec::generated(1).user_id;
    let add = |at: i64, text: &str| {
        let mut review = NewReview::new(2, text);
        review.created_at = at;
        review.sender = Some("Ivan".into());
        avito.add_review(user, review).expect("review added")
    };
    let text = "Не перезвонили, товар не тот";
    let inside = add(moscow_midnight(from) + 12 * 3600, text);
    add(moscow_midnight(from) - 60, "before the period");
    add(moscow_midnight(to) + 24 * 3600 + 60, "after the period");
    (inside, text.to_owned())
}

/// The Reviews sheet holds the emulator's reviews of the period, newest first, with the one
/// added inside the period (and not those just outside it).
fn assert_reviews(
    book: &Book,
    avito: &AvitoEmulator,
    written: &(i64, String),
    from: NaiveDate,
    to: NaiveDate,
) {
    let user = AccountSpec::generated(1).user_id;
    let (start, end) = (moscow_midnight(from), moscow_midnight(to) + 24 * 3600);
    let mut expected: Vec<_> = avito
        .reviews(user)
        .into_iter()
        .filter(|r| r.created_at >= start && r.created_at < end)
        .collect();
    expected.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
    let rows = &book.reviews[1..];
    assert_eq!(rows.len(), expected.len(), "{:?}", book.reviews);
    for (row, review) in rows.iter().zip(&expected) {
        assert_eq!(cell(row, 1), Some(review.score as f64));
        assert_eq!(row.get(5).map(Data::to_string), Some(review.text.clone()));
    }
    let ours = rows
        .iter()
        .find(|r| r.get(5).map(Data::to_string).as_deref() == Some(written.1.as_str()))
        .expect("the review written in the period");
    assert_eq!(cell(ours, 1), Some(2.0));
    assert_eq!(
        ours.get(2).map(Data::to_string).as_deref(),
        Some("deal done")
    );
    assert_eq!(ours.get(4).map(Data::to_string).as_deref(), Some("Ivan"));
    assert!(
        !rows.iter().any(|r| {
            let text = r.get(5).map(Data::to_string).unwrap_or_default();
            text.contains("the period")
        }),
        "reviews outside the period are left out"
    );
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "stats-export failed: {}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test]
async fn stats_export_cli_writes_per_day_totals_items_and_native_charts() {
    let avito = emulator(account()).await;
    let dir = tempfile::tempdir().expect("dir");
    let data = avito.data();
    let acc = &data.accounts()[0];
    let (from, to) = (
        acc.today() - chrono::Days::new(9),
        acc.today() - chrono::Days::new(1),
    );
    let written = add_reviews(&avito, from, to);
    let stdout = ok(&stats_export(
        &avito,
        dir.path(),
        &[
            "--out",
            "stats.xlsx",
            "--from",
            &iso(from),
            "--to",
            &iso(to),
        ],
    )
    .await);
    assert!(stdout.contains("9 days"), "{stdout}");
    let path = dir.path().join("stats.xlsx");
    let book = read(&path);
    assert_matches(&book, acc, from, to, true);
    assert_reviews(&book, &avito, &written, from, to);
    let marked = assert_listings(
        &book,
        &path,
        acc,
        (from, to),
        Figures::Analytics { spending: true },
    );
    assert!(
        marked[2] > 0,
        "the dataset has blocked or rejected listings"
    );
    assert!(
        marked[3] > 0,
        "client-1 has listings whose views fell: {marked:?}"
    );
    assert_eq!(
        charts(&path),
        [
            "xl/charts/chart1.xml",
            "xl/charts/chart2.xml",
            "xl/charts/chart3.xml"
        ],
        "a line chart of demand, a column chart of spending, a bar chart of the top spenders"
    );
    let bars = part(&path, "xl/charts/chart3.xml");
    assert!(bars.contains(r#"<c:barDir val="bar"/>"#), "{bars}");
    assert!(bars.contains("Listings!$I$2:$I$21"), "the top 20: {bars}");
    // A grouped request for the daily totals, one by item and one by item for the period
    // before (the drops); the item statistics in pages of 200 ids.
    assert_eq!(avito.request_count("itemAnalytics"), 3);
    assert_eq!(avito.request_count("itemStatsShallow"), 3);
    assert!(
        avito.validation_failures().is_empty(),
        "{:?}",
        avito.validation_failures()
    );
    assert!(
        std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(Result::ok)
            .all(|e| !e.file_name().to_string_lossy().contains("partial")),
        "no temporary file is left"
    );
    avito.shutdown().await;
}

#[tokio::test]
async fn stats_export_cli_leaves_a_metric_avito_does_not_give_empty_not_zero() {
    let avito = emulator(AccountSpec {
        omit_metrics: vec!["allSpending".to_owned()],
        ..account()
    })
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let data = avito.data();
    let acc = &data.accounts()[0];
    ok(&stats_export(
        &avito,
        dir.path(),
        &["--out", "stats.xlsx", "--period", "last-7-days"],
    )
    .await);
    let path = dir.path().join("stats.xlsx");
    let book = read(&path);
    let from = date(&book.days[1][0]);
    let to = date(&book.days[book.days.len() - 1][0]);
    assert_eq!((to - from).num_days(), 6, "seven days");
    assert_matches(&book, acc, from, to, false);
    assert_listings(
        &book,
        &path,
        acc,
        (from, to),
        Figures::Analytics { spending: false },
    );
    assert_eq!(
        charts(&path),
        ["xl/charts/chart1.xml"],
        "no spending charts without spending"
    );
    avito.shutdown().await;
}

/// Avito's per-listing analytics failing (after the daily totals were read) costs the
/// Listings sheet its impressions and spending, with the reason on the sheet: the export
/// itself succeeds.
#[tokio::test]
async fn stats_export_cli_goes_on_without_the_per_listing_analytics() {
    let avito = emulator(account()).await;
    let dir = tempfile::tempdir().expect("dir");
    let data = avito.data();
    let acc = &data.accounts()[0];
    let (from, to) = (
        acc.today() - chrono::Days::new(7),
        acc.today() - chrono::Days::new(1),
    );
    let (first, last) = (iso(from), iso(to));
    let args = ["--out", "stats.xlsx", "--from", &first, "--to", &last];
    let export = stats_export(&avito, dir.path(), &args);
    // The second itemAnalytics request waits for the rate window after the first: the fault
    // set once the first is answered meets the second.
    let fault = async {
        while avito.request_count("itemAnalytics") == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        avito.set_fault("itemAnalytics", Fault::Status(400));
    };
    let (out, ()) = tokio::join!(export, fault);
    let stdout = ok(&out);
    assert!(
        stdout.contains("note: Avito did not give each listing's impressions and spending"),
        "{stdout}"
    );
    let path = dir.path().join("stats.xlsx");
    let book = read(&path);
    assert_matches(&book, acc, from, to, true);
    let marked = assert_listings(&book, &path, acc, (from, to), Figures::Degraded);
    assert!(
        marked[2] > 0,
        "statuses come from the listing, not the analytics"
    );
    assert_eq!(
        charts(&path).len(),
        2,
        "no spending per listing, no bar chart"
    );
    assert_eq!(avito.request_count("itemAnalytics"), 2);
    avito.shutdown().await;
}

#[tokio::test]
async fn stats_export_cli_refuses_bad_input_in_one_line() {
    let avito = emulator(account()).await;
    let dir = tempfile::tempdir().expect("dir");
    let today = avito.data().accounts()[0].today();
    let (later, earlier) = (
        iso(today - chrono::Days::new(2)),
        iso(today - chrono::Days::new(10)),
    );
    for (args, says) in [
        (
            vec!["--out", "s.xlsx", "--from", &later, "--to", &earlier],
            format!("--from/--to: the start date {later} is after the end date {earlier}"),
        ),
        (
            vec!["--out", "s.xlsx", "--from", "2026-02-30", "--to", &earlier],
            "'2026-02-30' is not a date".to_owned(),
        ),
        (
            vec!["--out", "s.txt", "--period", "yesterday"],
            "--out 's.txt' must name an .xlsx file".to_owned(),
        ),
        (
            vec!["--out", "s.xlsx", "--tz", "Mars/Olympus"],
            "--tz 'Mars/Olympus' is not an IANA time zone".to_owned(),
        ),
    ] {
        let out = stats_export(&avito, dir.path(), &args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} must fail");
        assert!(stderr.contains(&says), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
    assert_eq!(
        avito.request_count("itemAnalytics"),
        0,
        "nothing was asked of Avito"
    );
    let help = worker_command(dir.path())
        .args(["stats-export", "--help"])
        .output()
        .await
        .expect("runs");
    let help = String::from_utf8_lossy(&help.stdout);
    for option in [
        "--client-id",
        "--out",
        "--period",
        "--from",
        "--to",
        "--tz",
        "--lang",
    ] {
        assert!(help.contains(option), "{option} in --help: {help}");
    }
    avito.shutdown().await;
}

/// The hub: card → "📊 Statistics to Excel" → first and last day typed → a status message with
/// progress → the workbook as a document. A foreign profile id is answered like a missing one.
async fn hub_stats_export_sends_the_workbook(engine: Engine) {
    let Some(db) = TestDatabase::fresh(engine).await else {
        return;
    };
    let telegram = TelegramEmulator::start(TelegramConfig::without_limits())
        .await
        .expect("telegram emulator");
    let avito = emulator(account()).await;
    let worker = Worker::start(&telegram, Some(&avito), &db, &[]).await;
    let conn = avito_reports::db::connect(&db.url).await.expect("connect");
    let ann = telegram.user(2001, "Ann", Some("en"));
    say(&telegram, &worker, &ann, "/add_profile", "Step 1 of 3").await;
    say(&telegram, &worker, &ann, "Shop", "Step 2 of 3").await;
    say(&telegram, &worker, &ann, "client-1", "Step 3 of 3").await;
    say(&telegram, &worker, &ann, "secret-1", "added: Avito account").await;
    use avito_reports::db::entities::{avito_profile, export};
    let profile = avito_profile::Entity::find()
        .filter(avito_profile::Column::OwnerId.eq(ann.id()))
        .one(&conn)
        .await
        .expect("query")
        .expect("the profile exists");

    let hub = say(&telegram, &worker, &ann, "/profiles", "Your Avito profiles").await;
    press(
        &worker,
        &ann,
        ann.id(),
        hub.message_id,
        &button_data(&hub, "Shop"),
    )
    .await;
    let card = common::message(&telegram, ann.id(), hub.message_id);
    let data = button_data(&card, "Statistics to Excel");
    assert_eq!(data, format!("stats_export:{}", profile.id));

    // Someone else pressing it (a forged press on Ann's card) gets the answer a deleted
    // profile gets (tests/bot_hub.rs): it tells nobody which ids exist.
    let bob = telegram.user(2002, "Bob", Some("en"));
    let foreign = press(&worker, &bob, ann.id(), hub.message_id, &data).await;
    assert!(foreign.show_alert, "{foreign:?}");
    assert_eq!(
        foreign.text.unwrap_or_default(),
        "This profile is not available: it was deleted, or it is not yours. Your profiles are in /profiles."
    );
    assert_eq!(
        common::message(&telegram, ann.id(), hub.message_id).text,
        card.text,
        "nothing changed"
    );

    let today = avito.data().accounts()[0].today();
    let (from, to) = (today - chrono::Days::new(6), today - chrono::Days::new(1));
    let answer = press(&worker, &ann, ann.id(), hub.message_id, &data).await;
    assert!(!answer.show_alert, "{answer:?}");
    let prompt = common::message(&telegram, ann.id(), hub.message_id);
    assert!(
        prompt.text_or_caption().contains("Statistics to Excel"),
        "{prompt:?}"
    );
    // A refused date names the rule and asks again.
    say(
        &telegram,
        &worker,
        &ann,
        &iso(today + chrono::Days::new(3)),
        "has not come yet",
    )
    .await;
    say(
        &telegram,
        &worker,
        &ann,
        &iso(from),
        "Now send the end date",
    )
    .await;
    let queued = say(&telegram, &worker, &ann, &iso(to), "Statistics of").await;

    let doc = telegram
        .wait_for(ann.id(), WAIT, |m| m.from_bot && m.document.is_some())
        .await
        .unwrap_or_else(|e| panic!("the workbook: {e}\nworker log:\n{}", worker.log()));
    assert!(
        doc.text_or_caption().contains(&format!(
            "Shop: Avito statistics {} – {}",
            iso(from),
            iso(to)
        )),
        "{doc:?}"
    );
    let file = doc.document.as_ref().expect("a document");
    assert!(
        file.file_name
            .as_deref()
            .is_some_and(|n| n.ends_with(".xlsx")),
        "{file:?}"
    );
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("received.xlsx");
    std::fs::write(&path, &file.bytes).expect("write");
    let data = avito.data();
    let book = read(&path);
    assert_matches(&book, &data.accounts()[0], from, to, true);
    assert_listings(
        &book,
        &path,
        &data.accounts()[0],
        (from, to),
        Figures::Analytics { spending: true },
    );
    assert_eq!(charts(&path).len(), 3, "native charts in the workbook");

    let status = telegram
        .wait_for(ann.id(), WAIT, |m| {
            m.message_id == queued.message_id && m.text_or_caption().contains("are ready")
        })
        .await
        .unwrap_or_else(|e| panic!("the final status: {e}\nworker log:\n{}", worker.log()));
    let text = status.text_or_caption();
    assert!(text.contains("Days: 6, items: "), "{text}");
    assert!(status.edit_count >= 2, "progress was shown: {status:?}");
    let rows = export::Entity::find()
        .filter(export::Column::ProfileId.eq(profile.id))
        .all(&conn)
        .await
        .expect("query");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].kind.slug(), "stats");
    assert_eq!(rows[0].status.slug(), "done");
    assert_eq!((rows[0].since, rows[0].until), (Some(from), Some(to)));
    assert_eq!(
        (rows[0].chats_done, rows[0].chats_total),
        (3, Some(3)),
        "pages"
    );
    assert!(rows[0].error.is_none());
    common::stop_stack(worker, avito, telegram).await;
}

#[tokio::test]
async fn stats_export_from_the_hub_sqlite() {
    hub_stats_export_sends_the_workbook(Engine::Sqlite).await;
}

#[tokio::test]
async fn stats_export_from_the_hub_postgres() {
    hub_stats_export_sends_the_workbook(Engine::Postgres).await;
}
