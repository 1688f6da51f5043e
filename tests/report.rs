//! The report engine: data against the Avito emulator, calls counted at the emulator, golden
//! renderings in both languages, splitting, and the `report` command end to end.

mod common;

use std::time::Duration;

use avito_reports::avito::money::Kopecks;
use avito_reports::avito::{AvitoClient, ClientConfig, Credentials};
use avito_reports::domain::{AccountId, ProfileId};
use avito_reports::i18n::Lang;
use avito_reports::report::model::{
    CombinedReport, Failure, MetricLine, Missing, Note, Part, ProfileReport, Section, TopItem,
    Value,
};
use avito_reports::report::render::{self, Markup};
use avito_reports::report::split::{TELEGRAM_LIMIT, split_message};
use avito_reports::report::{Metric, MetricSet, Period, PeriodKind, ProfileSource, ReportOptions};
use avito_reports::report::{charts, engine};
use chrono::NaiveDate;
use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator, Fault};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

/// Compares with `tests/golden/<name>`; `UPDATE_GOLDEN=1` rewrites the file instead.
fn assert_golden(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {}; run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    assert_eq!(
        actual,
        expected,
        "rendering differs from {}",
        path.display()
    );
}

// ---- against the emulator ----

struct Setup {
    emu: AvitoEmulator,
    client: AvitoClient,
}

async fn setup(accounts: Vec<AccountSpec>) -> Setup {
    setup_with_limits(accounts, true).await
}

async fn setup_with_limits(accounts: Vec<AccountSpec>, enforce_rate_limits: bool) -> Setup {
    let emu = AvitoEmulator::start(AvitoConfig {
        accounts,
        enforce_rate_limits,
        rate_window: Duration::from_millis(500),
        ..AvitoConfig::default()
    })
    .await
    .expect("emulator");
    let mut config = ClientConfig::new(emu.base_url().parse().expect("url"));
    config.rate_window = Duration::from_millis(500);
    config.retry.transient.base = Duration::from_millis(10);
    config.retry.transient.max = Duration::from_millis(20);
    let client = AvitoClient::new(config).expect("client");
    Setup { emu, client }
}

fn source(n: u32, secret: &str) -> ProfileSource {
    ProfileSource {
        profile_id: ProfileId(i64::from(n)),
        name: format!("Профиль {n}"),
        credentials: Credentials::new(&format!("client-{n}"), secret).expect("creds"),
        avito_user_id: None,
    }
}

fn options(emu: &AvitoEmulator, kind: PeriodKind) -> ReportOptions {
    let tz = chrono_tz::Europe::Moscow;
    let today = emu.data().today();
    let now = today.and_hms_opt(12, 0, 0).expect("noon").and_utc();
    ReportOptions {
        period: Period::resolve(kind, tz, now),
        metrics: MetricSet::all(),
        tz,
        lang: Lang::Ru,
        deadline: None,
        listings: avito_reports::listings::fetch::Reuse::Ask,
    }
}

fn line(report: &ProfileReport, metric: Metric) -> &MetricLine {
    report
        .lines
        .iter()
        .find(|l| l.metric == metric)
        .expect("metric line")
}

fn small(n: u32) -> AccountSpec {
    AccountSpec {
        items: 60,
        chats: 5,
        messages_per_chat: 2,
        ..AccountSpec::generated(n)
    }
}

#[tokio::test]
async fn report_values_match_the_accounts_data_for_the_period_and_the_one_before() {
    let s = setup(vec![small(1)]).await;
    let opts = options(&s.emu, PeriodKind::Last7Days);
    let report = engine::profile_report(&s.client, &source(1, "secret-1"), &opts)
        .await
        .expect("report");
    let data = s.emu.data();
    let account = &data.accounts()[0];
    let items: Vec<_> = account.items.iter().collect();
    let cur = account.sum(&items, opts.period.from, opts.period.to);
    let prev_period = opts.period.previous();
    let prev = account.sum(&items, prev_period.from, prev_period.to);

    assert_eq!(report.period, opts.period);
    assert_eq!(report.previous, Some(prev_period));
    assert_eq!(
        line(&report, Metric::Views).value,
        Value::Count(cur.views as i64)
    );
    assert_eq!(
        line(&report, Metric::Views).previous,
        Some(Value::Count(prev.views as i64))
    );
    assert_eq!(
        line(&report, Metric::Contacts).value,
        Value::Count(cur.contacts() as i64)
    );
    assert_eq!(
        line(&report, Metric::Favorites).value,
        Value::Count(cur.favorites as i64)
    );
    assert_eq!(
        line(&report, Metric::Spending).value,
        Value::Money(Kopecks(cur.all_spending() as i64))
    );
    assert_eq!(report.account_id, Some(AccountId(account.user_id())));
    assert!(!report.top_items.is_empty() && report.top_items.len() <= 5);
    let views: Vec<i64> = report.top_items.iter().map(|t| t.views).collect();
    assert!(
        views.windows(2).all(|w| w[0] >= w[1]),
        "top items by views: {views:?}"
    );
    assert!(
        s.emu.validation_failures().is_empty(),
        "{:?}",
        s.emu.validation_failures()
    );
}

#[tokio::test]
async fn the_one_per_minute_operations_are_called_once_per_report_and_reused_after() {
    let s = setup(vec![small(1)]).await;
    let opts = options(&s.emu, PeriodKind::Yesterday);
    let src = source(1, "secret-1");
    engine::profile_report(&s.client, &src, &opts)
        .await
        .expect("report");
    assert_eq!(
        s.emu.request_count("itemAnalytics"),
        1,
        "totals, series and comparison in one call"
    );
    assert_eq!(s.emu.request_count("balanceInfoV3"), 1);
    assert_eq!(
        s.emu.request_count("accountSpendings"),
        0,
        "spending comes from stats v2"
    );
    // /stats and a scheduled report of the same profile and period in the same minute.
    engine::combined_report(&s.client, std::slice::from_ref(&src), &opts).await;
    assert_eq!(s.emu.request_count("itemAnalytics"), 1);
    assert_eq!(s.emu.request_count("balanceInfoV3"), 1);
}

#[tokio::test]
async fn a_combined_report_keeps_the_others_when_one_profile_fails() {
    let s = setup(vec![small(1), small(2), small(3)]).await;
    let opts = options(&s.emu, PeriodKind::Yesterday);
    let sources = vec![
        source(1, "secret-1"),
        source(2, "wrong"),
        source(3, "secret-3"),
    ];
    let combined = engine::combined_report(&s.client, &sources, &opts).await;
    assert_eq!(combined.sections.len(), 3);
    assert!(matches!(
        &combined.sections[1],
        Section::Failed {
            error: Failure::Credentials,
            ..
        }
    ));
    let views: Vec<i64> = combined
        .sections
        .iter()
        .filter_map(|s| match s {
            Section::Ok { report } => match line(report, Metric::Views).value {
                Value::Count(n) => Some(n),
                _ => None,
            },
            Section::Failed { .. } => None,
        })
        .collect();
    assert_eq!(views.len(), 2);
    let total = combined
        .total
        .iter()
        .find(|l| l.metric == Metric::Views)
        .expect("total views");
    assert_eq!(total.value, Value::Count(views.iter().sum()));
    assert!(combined.partial);
    let text = render::combined(&combined, Lang::Ru, Markup::Text);
    assert!(text.contains("Профиль 2"), "{text}");
    assert!(text.contains("client_id / client_secret"), "{text}");
}

#[tokio::test]
async fn a_failing_source_only_makes_its_own_metrics_unavailable() {
    let s = setup(vec![small(1)]).await;
    s.emu.set_fault("balanceInfoV3", Fault::Status(403));
    s.emu.set_fault("postCallsStats", Fault::Status(500));
    let opts = options(&s.emu, PeriodKind::Yesterday);
    let report = engine::profile_report(&s.client, &source(1, "secret-1"), &opts)
        .await
        .expect("report");
    assert_eq!(
        line(&report, Metric::CpaBalance).value,
        Value::Missing(Missing::NoAccess)
    );
    assert!(matches!(
        line(&report, Metric::Calls).value,
        Value::Missing(Missing::Failed(_))
    ));
    assert!(matches!(
        line(&report, Metric::Views).value,
        Value::Count(_)
    ));
    assert!(matches!(
        line(&report, Metric::WalletBalance).value,
        Value::Money(_)
    ));
}

#[tokio::test]
async fn metrics_avito_leaves_out_are_not_available_never_zero() {
    let s = setup(vec![AccountSpec {
        omit_metrics: vec!["contacts".into(), "favorites".into()],
        ..small(1)
    }])
    .await;
    let opts = options(&s.emu, PeriodKind::Yesterday);
    let report = engine::profile_report(&s.client, &source(1, "secret-1"), &opts)
        .await
        .expect("report");
    for metric in [
        Metric::Contacts,
        Metric::Favorites,
        Metric::Conversion,
        Metric::CostPerContact,
    ] {
        assert_eq!(
            line(&report, metric).value,
            Value::Missing(Missing::NotProvided),
            "{metric:?}"
        );
    }
    assert!(matches!(
        line(&report, Metric::Views).value,
        Value::Count(_)
    ));
}

#[tokio::test]
async fn only_the_selected_metrics_are_fetched_and_shown() {
    let s = setup(vec![small(1)]).await;
    let mut opts = options(&s.emu, PeriodKind::Yesterday);
    opts.metrics = MetricSet::parse_list("calls,balance").expect("metrics");
    let report = engine::profile_report(&s.client, &source(1, "secret-1"), &opts)
        .await
        .expect("report");
    let shown: Vec<Metric> = report.lines.iter().map(|l| l.metric).collect();
    assert_eq!(shown, vec![Metric::Calls, Metric::WalletBalance]);
    assert_eq!(s.emu.request_count("itemAnalytics"), 0);
    assert_eq!(s.emu.request_count("balanceInfoV3"), 0);
}

#[tokio::test]
async fn the_report_command_prints_text_html_and_json_against_the_emulator() {
    // Each run is a new process with no memory of the previous run's 1/min calls: the
    // emulator's limits would make every run wait a real minute.
    let s = setup_with_limits(vec![small(1), small(2)], false).await;
    let dir = tempfile::tempdir().expect("dir");
    let run = |args: Vec<&'static str>| {
        let mut cmd = common::worker_command(dir.path());
        cmd.arg("report")
            .args(args)
            .env("AVITO_API_URL", s.emu.base_url())
            .env("RUST_LOG", "error");
        async move { cmd.output().await.expect("runs") }
    };
    let out = run(vec![
        "--client-id",
        "client-1",
        "--client-secret",
        "secret-1",
        "--format",
        "json",
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["account_id"], 1_000_001);
    assert!(json["lines"].as_array().is_some_and(|l| l.len() == 11));
    let rating = &json["lines"][10];
    assert_eq!(rating["metric"], "rating");
    assert_eq!(rating["value"]["kind"], "stars");
    assert!(
        rating["rating"]["new_reviews"]["count"].is_i64(),
        "{rating}"
    );

    let out = run(vec![
        "--client-id",
        "client-1",
        "--client-secret",
        "secret-1",
        "--format",
        "html",
        "--lang",
        "en",
        "--period",
        "last-7-days",
    ])
    .await;
    let html = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(html.contains("<b>") && html.contains("Views"), "{html}");
    assert!(html.contains("🌟 Rating: <b>"), "{html}");
    assert!(html.contains("new reviews in the period: "), "{html}");

    let out = run(vec![
        "--client-id",
        "client-1",
        "--client-secret",
        "secret-1",
        "--client-id",
        "client-2",
        "--client-secret",
        "secret-2",
    ])
    .await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("Сводный отчёт") && text.contains("Итого"),
        "{text}"
    );
    // Account 2 is a new seller: n/a with the reason, never 0.
    assert!(
        text.contains("🌟 Рейтинг: н/д (рейтинга пока нет)"),
        "{text}"
    );
    assert!(!text.contains("<b>"));

    let out = run(vec![
        "--client-id",
        "client-1",
        "--client-secret",
        "secret-1",
        "--from",
        "2026-02-30",
        "--to",
        "2026-03-01",
    ])
    .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a date"));
}

/// Decodes a chart with the independent `png` crate: its size, and that it is not blank.
fn assert_chart(path: &std::path::Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.len() <= 250 * 1024,
        "{}: {} bytes",
        path.display(),
        bytes.len()
    );
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut pixels).expect("a frame");
    assert_eq!((info.width, info.height), (1280, 720), "{}", path.display());
    let first = &pixels[..info.line_size / info.width as usize];
    let differing = pixels[..info.buffer_size()]
        .chunks(first.len())
        .filter(|px| *px != first)
        .count();
    assert!(
        differing > 10_000,
        "{}: only {differing} pixels differ from the corner",
        path.display()
    );
}

#[tokio::test]
async fn the_report_command_writes_its_charts_as_pngs() {
    let s = setup_with_limits(vec![small(1), small(2)], false).await;
    let dir = tempfile::tempdir().expect("dir");
    let charts = dir.path().join("charts");
    let run = |args: Vec<&str>, out: &std::path::Path| {
        let mut cmd = common::worker_command(dir.path());
        cmd.arg("report")
            .args(args)
            .arg("--charts")
            .arg(out)
            .env("AVITO_API_URL", s.emu.base_url())
            .env("RUST_LOG", "error");
        async move { cmd.output().await.expect("runs") }
    };
    // One profile, one day: the last 14 days with the day marked, and spending.
    let one = charts.join("one");
    let out = run(
        vec!["--client-id", "client-1", "--client-secret", "secret-1"],
        &one,
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Просмотры"));
    for name in ["daily.png", "spending.png"] {
        assert_chart(&one.join(name));
    }
    // Several profiles: side by side.
    let many = charts.join("many");
    let out = run(
        vec![
            "--client-id",
            "client-1",
            "--client-secret",
            "secret-1",
            "--client-id",
            "client-2",
            "--client-secret",
            "secret-2",
            "--lang",
            "en",
            "--period",
            "last-7-days",
        ],
        &many,
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_chart(&many.join("profiles.png"));
}

#[tokio::test]
async fn the_charts_plot_the_accounts_numbers_day_by_day() {
    let s = setup(vec![small(1)]).await;
    let opts = options(&s.emu, PeriodKind::Last7Days);
    let report = engine::profile_report(&s.client, &source(1, "secret-1"), &opts)
        .await
        .expect("report");
    let data = s.emu.data();
    let account = &data.accounts()[0];
    let items: Vec<_> = account.items.iter().collect();
    let on = |day: NaiveDate| account.sum(&items, day, day);

    let daily = charts::daily_chart(&report, Lang::Ru).expect("a daily chart");
    assert_eq!((daily.from, daily.to), (opts.period.from, opts.period.to));
    let [views, contacts] = &daily.series[..] else {
        panic!("views and contacts: {:?}", daily.series);
    };
    for (days, n) in [(&views.current, 7), (&views.previous, 7)] {
        assert_eq!(days.len(), n);
        for d in days.iter() {
            assert_eq!(
                d.value,
                Some(on(d.date).views as i64),
                "views on {}",
                d.date
            );
        }
    }
    for d in contacts.current.iter().chain(&contacts.previous) {
        assert_eq!(
            d.value,
            Some(on(d.date).contacts() as i64),
            "contacts on {}",
            d.date
        );
    }
    let spending = charts::spending_chart(&report, Lang::Ru).expect("a spending chart");
    for (i, date) in opts.period.from.iter_days().take(7).enumerate() {
        let stacked: i64 = spending
            .kinds
            .iter()
            .filter_map(|k| k.days[i].value)
            .map(|k| k.0)
            .sum();
        assert_eq!(
            stacked,
            on(date).all_spending() as i64,
            "spending on {date}"
        );
    }

    // A one-day report charts its last 14 days from its single statistics request.
    let before = s.emu.request_count("itemAnalytics");
    let opts = options(&s.emu, PeriodKind::Yesterday);
    let report = engine::profile_report(&s.client, &source(1, "secret-1"), &opts)
        .await
        .expect("report");
    // At most one: here its 14 days are the week's request (week and week before), which the
    // client's cache answers.
    assert!(s.emu.request_count("itemAnalytics") <= before + 1);
    let daily = charts::daily_chart(&report, Lang::Ru).expect("a daily chart");
    assert_eq!(daily.marked_day, Some(opts.period.to));
    assert_eq!(daily.series[0].current.len(), 14);
    for d in &daily.series[0].current {
        assert_eq!(
            d.value,
            Some(on(d.date).views as i64),
            "views on {}",
            d.date
        );
    }
    assert!(
        s.emu.validation_failures().is_empty(),
        "{:?}",
        s.emu.validation_failures()
    );
}

// ---- rendering, from fixed data ----

/// "4.3 (21 reviews, 12 counted) ▲ +0.1", and 3 new reviews averaging 3.7★.
fn rating_line() -> MetricLine {
    use avito_reports::report::model::{NewReviews, RatingDetail};
    let mut line = MetricLine::new(Metric::Rating, Value::Stars(4.3), Some(Value::Stars(4.2)));
    line.rating = Some(RatingDetail {
        reviews: Some(21),
        counted: Some(12),
        new_reviews: Some(NewReviews {
            count: 3,
            average: Some(3.7),
            at_least: false,
        }),
    });
    line
}

fn full_report() -> ProfileReport {
    let count = |n| Value::Count(n);
    let money = |k| Value::Money(Kopecks(k));
    ProfileReport {
        profile: "Мебель <Люкс> & Co".into(),
        account_id: Some(AccountId(1_000_001)),
        period: Period::new(d("2026-11-16"), d("2026-11-22")),
        previous: Some(Period::new(d("2026-11-09"), d("2026-11-15"))),
        time_zone: "Europe/Moscow".into(),
        lines: vec![
            MetricLine::new(Metric::Views, count(12_345), Some(count(11_000))),
            MetricLine::new(Metric::Contacts, count(456), Some(count(480))).with_parts(vec![
                (Part::ContactsPhoneOnly, count(156)),
                (Part::ContactsChatOnly, count(256)),
                (Part::ContactsPhoneAndChat, count(44)),
            ]),
            MetricLine::new(Metric::Favorites, count(78), Some(count(78))),
            MetricLine::new(
                Metric::Conversion,
                Value::Percent(3.69),
                Some(Value::Percent(4.36)),
            ),
            MetricLine::new(Metric::Calls, count(40), Some(count(32))).with_parts(vec![
                (Part::CallsAnswered, count(35)),
                (Part::CallsMissed, count(5)),
            ]),
            MetricLine::new(Metric::Spending, money(1_234_567), Some(money(1_000_000))).with_parts(
                vec![
                    (Part::SpendingPresence, money(1_000_000)),
                    (Part::SpendingPromo, money(234_567)),
                ],
            ),
            MetricLine::new(Metric::CostPerContact, money(2_707), Some(money(2_083))),
            MetricLine::new(Metric::WalletBalance, money(5_000_050), None)
                .with_parts(vec![(Part::WalletBonus, money(10_000))]),
            MetricLine::new(Metric::CpaBalance, money(-5_000), None),
            MetricLine::new(Metric::ActiveItems, count(120), Some(count(0))),
            rating_line(),
        ],
        top_items: vec![
            TopItem {
                id: 1,
                title: "Диван угловой \"Комфорт\"".into(),
                url: Some("https://www.avito.ru/moskva/mebel/divan_1".into()),
                views: 2_000,
                contacts: 50,
            },
            TopItem {
                id: 2,
                title: "Стол <дубовый>".into(),
                url: None,
                views: 1_500,
                contacts: 0,
            },
        ],
        listings: None,
        notes: vec![Note::TopItemsPartial { ranked: 990 }],
        daily: None,
    }
}

#[test]
fn golden_full_report_in_russian_and_english() {
    let report = full_report();
    assert_golden(
        "full_report.ru.html",
        &render::profile(&report, Lang::Ru, Markup::Html),
    );
    assert_golden(
        "full_report.en.html",
        &render::profile(&report, Lang::En, Markup::Html),
    );
    assert_golden(
        "full_report.ru.txt",
        &render::profile(&report, Lang::Ru, Markup::Text),
    );
    assert_golden(
        "full_report.en.txt",
        &render::profile(&report, Lang::En, Markup::Text),
    );
}

fn combined_with_failure() -> CombinedReport {
    let mut second = full_report();
    second.profile = "Второй магазин".into();
    second.top_items.clear();
    second.notes.clear();
    let reports = [full_report(), second];
    let refs: Vec<&ProfileReport> = reports.iter().collect();
    let mut metrics = MetricSet::all();
    metrics.toggle(Metric::CpaBalance);
    // A failed section makes the total partial whatever the values say.
    let (total, _) = engine::totals(&refs, &metrics);
    CombinedReport {
        period: reports[0].period,
        previous: reports[0].previous,
        time_zone: "Europe/Moscow".into(),
        sections: vec![
            Section::Ok {
                report: reports[0].clone(),
            },
            Section::Failed {
                profile: "Сломанный профиль".into(),
                error: Failure::Credentials,
            },
            Section::Ok {
                report: reports[1].clone(),
            },
        ],
        total,
        partial: true,
    }
}

#[test]
fn golden_combined_report_with_one_failing_profile() {
    let report = combined_with_failure();
    assert_golden(
        "combined_failing.ru.html",
        &render::combined(&report, Lang::Ru, Markup::Html),
    );
    assert_golden(
        "combined_failing.en.txt",
        &render::combined(&report, Lang::En, Markup::Text),
    );
}

#[test]
fn golden_report_with_every_metric_unavailable() {
    let mut report = full_report();
    report.top_items.clear();
    report.notes = vec![Note::NoComparison];
    report.previous = None;
    let reasons = [
        Missing::NotProvided,
        Missing::NoAccess,
        Missing::NoBase,
        Missing::Failed(Failure::Unavailable("HTTP 500".into())),
    ];
    report.lines = Metric::ALL
        .iter()
        .filter(|m| !m.is_section())
        .enumerate()
        .map(|(i, m)| {
            // The rating has reasons of its own.
            let reason = match m {
                Metric::Rating => Missing::RatingOff,
                _ => reasons[i % 4].clone(),
            };
            MetricLine::new(*m, Value::Missing(reason), None)
        })
        .collect();
    assert_golden(
        "all_unavailable.ru.html",
        &render::profile(&report, Lang::Ru, Markup::Html),
    );
    assert_golden(
        "all_unavailable.en.txt",
        &render::profile(&report, Lang::En, Markup::Text),
    );
}

#[test]
fn golden_report_with_an_empty_previous_period() {
    let mut report = full_report();
    report.top_items.clear();
    report.notes.clear();
    report.lines = report
        .lines
        .iter()
        .map(|l| {
            let zero = match l.value {
                Value::Money(_) => Value::Money(Kopecks(0)),
                Value::Percent(_) => Value::Missing(Missing::NoBase),
                _ => Value::Count(0),
            };
            let previous = (!l.metric.is_snapshot()).then_some(zero);
            MetricLine::new(l.metric, l.value.clone(), previous)
        })
        .collect();
    assert_golden(
        "previous_zero.ru.txt",
        &render::profile(&report, Lang::Ru, Markup::Text),
    );
}

#[test]
fn user_text_is_escaped_in_html() {
    let html = render::profile(&full_report(), Lang::Ru, Markup::Html);
    assert!(html.contains("Мебель &lt;Люкс&gt; &amp; Co"));
    assert!(html.contains("Стол &lt;дубовый&gt;"));
    assert!(!html.contains("<Люкс>"));
}

#[test]
fn a_long_combined_report_splits_at_line_boundaries_with_balanced_tags() {
    let mut report = combined_with_failure();
    let section = report.sections[0].clone();
    report.sections = vec![section; 60];
    let html = render::combined(&report, Lang::Ru, Markup::Html);
    assert!(html.chars().count() > TELEGRAM_LIMIT * 3);
    let chunks = split_message(&html, TELEGRAM_LIMIT);
    assert!(chunks.len() >= 4);
    for chunk in &chunks {
        assert!(chunk.chars().count() <= TELEGRAM_LIMIT);
        for tag in ["b", "i", "a"] {
            let open = chunk.matches(&format!("<{tag}>")).count()
                + chunk.matches(&format!("<{tag} ")).count();
            assert_eq!(
                open,
                chunk.matches(&format!("</{tag}>")).count(),
                "<{tag}> balanced"
            );
        }
    }
    assert_eq!(chunks.join("\n"), html);
}

// ---- the rating ----

/// Account `user_id`'s reviews written within `period` (Moscow days), and their mean stars.
fn new_reviews_in(emu: &AvitoEmulator, user_id: i64, period: Period) -> (i64, Option<f64>) {
    let tz = chrono_tz::Europe::Moscow;
    let start = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(tz).earliest())
            .expect("midnight")
            .timestamp()
    };
    let (from, to) = (
        start(period.from),
        start(period.to.succ_opt().expect("day")),
    );
    let stars: Vec<i64> = emu
        .reviews(user_id)
        .iter()
        .filter(|r| from <= r.created_at && r.created_at < to)
        .map(|r| r.score)
        .collect();
    let average = (!stars.is_empty())
        .then(|| (stars.iter().sum::<i64>() as f64 / stars.len() as f64 * 10.0).round() / 10.0);
    (stars.len() as i64, average)
}

fn rating_of(section: &Section) -> &MetricLine {
    match section {
        Section::Ok { report } => line(report, Metric::Rating),
        Section::Failed { error, .. } => panic!("section failed: {error:?}"),
    }
}

#[tokio::test]
async fn the_rating_shows_its_score_counts_and_new_reviews_or_why_not() {
    // Account 1 is rated, account 2 a new seller with no rating, account 3 switched it off.
    let s = setup(vec![small(1), small(2), small(3)]).await;
    let opts = options(&s.emu, PeriodKind::Last7Days);
    let sources = vec![
        source(1, "secret-1"),
        source(2, "secret-2"),
        source(3, "secret-3"),
    ];
    let combined = engine::combined_report(&s.client, &sources, &opts).await;
    let rated = rating_of(&combined.sections[0]);
    let expected = s
        .emu
        .rating(1_000_001)
        .expect("account")
        .rating
        .expect("rated");
    assert_eq!(rated.value, Value::Stars(expected.score));
    assert_eq!(rated.change, None, "no snapshot: no change, never 0");
    let detail = rated.rating.as_ref().expect("detail");
    assert_eq!(detail.reviews, Some(expected.reviews_count));
    assert_eq!(detail.counted, Some(expected.reviews_with_score_count));
    let new = detail.new_reviews.as_ref().expect("new reviews");
    let (count, average) = new_reviews_in(&s.emu, 1_000_001, opts.period);
    assert!(
        count > 0,
        "the emulator's account 1 has reviews in the last week"
    );
    assert_eq!(
        (new.count, new.average, new.at_least),
        (count, average, false)
    );
    assert_eq!(
        rating_of(&combined.sections[1]).value,
        Value::Missing(Missing::NoRating)
    );
    assert_eq!(
        rating_of(&combined.sections[2]).value,
        Value::Missing(Missing::RatingOff)
    );
    let total = combined
        .total
        .iter()
        .find(|l| l.metric == Metric::Rating)
        .expect("total rating");
    assert_eq!(
        total.value,
        Value::Stars((expected.score * 10.0).round() / 10.0)
    );
    let text = render::combined(&combined, Lang::Ru, Markup::Text);
    assert!(text.contains("рейтинга пока нет"), "{text}");
    assert!(text.contains("рейтинг отключён на Авито"), "{text}");
    assert!(text.contains("новых отзывов за период"), "{text}");
    assert!(s.emu.validation_failures().is_empty());
}

/// A report compares the rating with the snapshot the period began with and stores the day's
/// first reading.
async fn the_rating_change_comes_from_the_stored_snapshots(engine_kind: common::Engine) {
    use avito_reports::db::ratings::{self, RatingSnapshot};
    use sandbox::avito::data::{Rating, RatingInfo};
    let Some((_db, conn)) = common::seeded_db(engine_kind).await else {
        return;
    };
    let s = setup(vec![small(1)]).await;
    let set = |score: f64| {
        s.emu.set_rating(
            1_000_001,
            RatingInfo {
                enabled: true,
                rating: Some(Rating {
                    score,
                    reviews_count: 21,
                    reviews_with_score_count: 12,
                }),
            },
        )
    };
    set(4.3).expect("rating set");
    let (profile, _) = common::seed(&conn, 77, 1, 77, chrono::Utc::now()).await;
    let opts = options(&s.emu, PeriodKind::Last7Days);
    let before = RatingSnapshot {
        day: opts.period.from - chrono::Duration::days(3),
        score: 4.2,
        reviews_count: Some(20),
        reviews_with_score_count: Some(11),
        taken_at: 0,
    };
    ratings::record(&conn, profile.id, &before)
        .await
        .expect("record");
    let src = ProfileSource {
        profile_id: profile.id,
        ..source(1, "secret-1")
    };
    let report = engine::profile_report_kept(&s.client, &src, &opts, Some(&conn))
        .await
        .expect("report");
    let rating = line(&report, Metric::Rating);
    assert_eq!(rating.previous, Some(Value::Stars(4.2)));
    assert_eq!(
        rating.change,
        Some(avito_reports::report::model::Change::Up(0.1))
    );
    let text = render::profile(&report, Lang::En, Markup::Text);
    assert!(
        text.contains("🌟 Rating: 4.3 (21 reviews, 12 counted)  ▲ +0.1"),
        "{text}"
    );
    // Today's reading is stored; a later one the same day leaves it.
    set(4.5).expect("rating set");
    engine::profile_report_kept(&s.client, &src, &opts, Some(&conn))
        .await
        .expect("report");
    let today = avito_reports::domain::dates::avito_today();
    let stored = ratings::at_or_before(&conn, profile.id, today)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!((stored.day, stored.score), (today, 4.3));
    conn.close().await.ok();
}

#[tokio::test]
async fn the_rating_change_comes_from_the_stored_snapshots_on_sqlite() {
    the_rating_change_comes_from_the_stored_snapshots(common::Engine::Sqlite).await;
}

#[tokio::test]
async fn the_rating_change_comes_from_the_stored_snapshots_on_postgres() {
    the_rating_change_comes_from_the_stored_snapshots(common::Engine::Postgres).await;
}
