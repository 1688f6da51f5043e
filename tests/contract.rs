//! The client against the official spec subset, not our emulator's reading of it: a server
//! that answers every operation with the spec's own examples, or with random answers the
//! schema allows (`sandbox::avito::contract`), seed after seed. The report, the export, the
//! commands and adding a profile in the bot must all come out — with n/a where the data is
//! unusable — and never print a value that cannot be true.
//!
//! A failing seed is named in the message; `CONTRACT_SEEDS=N` runs more of them.

mod common;

use std::sync::Arc;
use std::time::Duration;

use avito_reports::avito::plausible::Checked;
use avito_reports::avito::query::{AnalyticsQuery, AnalyticsSort, DateRange, Grouping, SortOrder};
use avito_reports::avito::ratings::{AnswerStatus, ReviewStage};
use avito_reports::avito::{
    Account, AvitoClient, AvitoError, ClientConfig, Credentials, REVIEWS_PAGE, lenient, plausible,
    usable_token,
};
use avito_reports::domain::{AccountId, UserId};
use avito_reports::export::{self, ExportOptions, Progress};
use avito_reports::i18n::Lang;
use avito_reports::report::model::{Missing, ProfileReport, Value};
use avito_reports::report::render::{self, Markup};
use avito_reports::report::{MetricSet, Period, PeriodKind, ReportOptions, engine};
use calamine::Reader;
use common::{
    Engine, TestDatabase, Worker, assert_only_valid_requests, contract_client, contract_source,
    press, say,
};
use sandbox::avito::contract::{AnswerMode, ContractServer, Forms};

/// Seeds per run of the random tests (each seed is a new server and new answers).
fn seeds() -> u64 {
    std::env::var("CONTRACT_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40)
}

/// Whether the first token `mode` answers can be sent back at all (a token with a line break
/// in it cannot: then everything needing it is n/a, or an honest error).
fn first_token_usable(mode: AnswerMode) -> bool {
    mode.answer(
        sandbox::avito::openapi::OpenApi::embedded(),
        "getAccessToken",
        0,
    )
    .and_then(|a| {
        a.get("access_token")
            .and_then(avito_reports::avito::lenient::to_text)
    })
    .is_some_and(|t| usable_token(&t))
}

fn options(lang: Lang) -> ReportOptions {
    let tz = chrono_tz::Europe::Moscow;
    ReportOptions {
        period: Period::resolve(PeriodKind::Last7Days, tz, chrono::Utc::now()),
        metrics: MetricSet::all(),
        tz,
        lang,
        deadline: None,
        listings: avito_reports::listings::fetch::Reuse::Ask,
    }
}

/// Every shown value is one that could be true; anything else must be n/a.
fn assert_plausible(report: &ProfileReport, context: &str) {
    let values = report.lines.iter().flat_map(|l| {
        std::iter::once(&l.value)
            .chain(l.previous.iter())
            .chain(l.parts.iter().map(|p| &p.value))
    });
    for value in values {
        let ok = match value {
            Value::Count(n) => plausible::count(*n as f64),
            Value::Money(k) => plausible::signed_roubles(k.to_roubles().0),
            Value::Percent(p) => p.is_finite(),
            Value::Stars(s) => plausible::rating_score(*s),
            Value::Missing(_) => true,
        };
        assert!(
            ok,
            "{context}: implausible value shown: {value:?}\n{report:#?}"
        );
    }
}

/// The report, its renderings and the export against `server`; panics with `context` when
/// anything does not come out.
async fn everything_comes_out(server: &ContractServer, context: &str) {
    let client = contract_client(server);
    let account = client.account(contract_source(1).credentials);
    let token_usable = first_token_usable(server.mode());
    let me = account.self_info().await;
    if token_usable {
        assert!(me.is_ok(), "{context}: the account answer failed: {me:?}");
        ratings_come_out(&account, server, context).await;
    } else {
        assert!(me.is_err(), "{context}: an unusable token was sent");
    }

    // The report of one profile, and a combined one.
    let report = engine::profile_report(&client, &contract_source(1), &options(Lang::En))
        .await
        .unwrap_or_else(|e| panic!("{context}: the report failed as a whole: {e}"));
    assert_eq!(
        report.lines.len(),
        MetricSet::all().lines().count(),
        "{context}"
    );
    // A week: the listings section is there, with its groups or the reason it is not.
    assert!(report.listings.is_some(), "{context}: no listings section");
    assert_plausible(&report, context);
    for lang in Lang::ALL {
        for markup in [Markup::Html, Markup::Text] {
            let text = render::profile(&report, lang, markup);
            assert!(text.contains("Shop 1"), "{context}: {text}");
        }
    }
    let combined = engine::combined_report(
        &client,
        &[contract_source(2), contract_source(3)],
        &options(Lang::Ru),
    )
    .await;
    assert_eq!(combined.sections.len(), 2, "{context}");
    let text = render::combined(&combined, Lang::Ru, Markup::Html);
    assert!(
        text.contains("Shop 2") && text.contains("Shop 3"),
        "{context}: {text}"
    );

    // The export: with the account id Avito gave, or any id when it gave none (the command
    // and the bot refuse that case with a clear message; the client's part is tested here).
    let user_id = me.ok().and_then(|me| me.id).unwrap_or(AccountId(1));
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("chats.xlsx");
    let exported = export::export(
        &account,
        user_id,
        &ExportOptions::new(chrono_tz::Europe::Moscow, Lang::En),
        Arc::new(Progress::default()),
        &out,
    )
    .await;
    // A later token answer may be usable again: then the export must come out.
    let summary = match exported {
        Err(e) if !token_usable => {
            assert!(e.to_string().contains("access_token"), "{context}: {e}");
            return;
        }
        other => other.unwrap_or_else(|e| panic!("{context}: the export failed: {e}")),
    };
    for part in &summary.parts {
        let mut book = calamine::open_workbook_auto(&part.path)
            .unwrap_or_else(|e| panic!("{context}: workbook unreadable: {e}"));
        let chats = book.worksheet_range("Chats").expect("Chats sheet");
        assert_eq!(
            chats.height() as u64,
            summary.chats + 1,
            "{context}: one row per chat and the header"
        );
        let messages = book.worksheet_range("Messages").expect("Messages sheet");
        assert_eq!(messages.height() as u64, summary.messages + 1, "{context}");
    }
}

/// The per-listing pager: every listing with a usable id handed over once, a page at a time,
/// with the sort it was asked for sent.
async fn listings_come_out(account: &Account, server: &ContractServer, context: &str) {
    let today = avito_reports::avito::query::avito_today();
    let query = AnalyticsQuery {
        range: DateRange::unchecked(today - chrono::Days::new(7), today - chrono::Days::new(1)),
        metrics: vec![
            "views".into(),
            "contacts".into(),
            "averageContactCost".into(),
        ],
        grouping: Grouping::Item,
        category_ids: vec![],
    };
    let sort = AnalyticsSort {
        key: "views".into(),
        order: SortOrder::Desc,
    };
    let mut pages = Vec::new();
    account
        .analytics_pages(AccountId(1), &query, Some(&sort), |page| {
            pages.push(page.len());
            std::ops::ControlFlow::Continue(())
        })
        .await
        .unwrap_or_else(|e| panic!("{context}: the listings pager failed: {e}"));
    let sent = server.last_answer("itemAnalytics").expect("answered");
    let with_id = sent
        .pointer("/result/groupings")
        .and_then(|g| g.as_array())
        .into_iter()
        .flatten()
        .filter(|g| g.get("id").and_then(lenient::to_i64).is_some())
        .count();
    assert_eq!(pages, vec![with_id], "{context}: one short page: {sent}");
}

/// The rating, a page of reviews and an answer: each read whatever the answers hold, every
/// review with a usable id kept, and a score or time that cannot be true flagged.
async fn ratings_come_out(account: &Account, server: &ContractServer, context: &str) {
    let info = account
        .rating_info()
        .await
        .unwrap_or_else(|e| panic!("{context}: the rating failed: {e}"));
    let sent = server.last_answer("getRatingsInfoV1").expect("answered");
    let score = sent.pointer("/rating/score").and_then(|v| v.as_f64());
    // The client's float reading may differ in the last bit from the value sent.
    let near = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    match (score, info.rating.map(|r| r.checked_score())) {
        (Some(s), Some(Checked::Plausible(v))) => {
            assert!(
                plausible::rating_score(s) && near(v, s),
                "{context}: {sent}"
            )
        }
        (Some(s), Some(Checked::Implausible(_))) => {
            assert!(!plausible::rating_score(s), "{context}: {sent}")
        }
        (None, None | Some(Checked::Missing)) => {}
        (_, checked) => panic!("{context}: {sent} read as {checked:?}"),
    }

    listings_come_out(account, server, context).await;

    let page = account
        .reviews_page(0, REVIEWS_PAGE)
        .await
        .unwrap_or_else(|e| panic!("{context}: the reviews failed: {e}"));
    let sent = server.last_answer("getReviewsV1").expect("answered");
    let list = sent["reviews"].as_array().cloned().unwrap_or_default();
    let with_id = list
        .iter()
        .filter(|r| r.get("id").and_then(lenient::to_i64).is_some())
        .count();
    assert_eq!(page.reviews.len(), with_id, "{context}: {sent}");
    assert_eq!(page.received(), list.len(), "{context}");
    let now = chrono::Utc::now();
    for r in &page.reviews {
        if let Checked::Plausible(n) = r.checked_score() {
            assert!((1..=5).contains(&n), "{context}: {r:?}");
        }
        if let Checked::Plausible(t) = r.checked_created_at(now) {
            assert!(plausible::unix_time(t, now), "{context}: {r:?}");
        }
    }
    account
        .all_reviews()
        .await
        .unwrap_or_else(|e| panic!("{context}: paging the reviews failed: {e}"));

    let created = account
        .create_review_answer(1, "Спасибо за отзыв!")
        .await
        .unwrap_or_else(|e| panic!("{context}: the answer failed: {e}"));
    let sent = server
        .last_answer("createReviewAnswerV1")
        .expect("answered");
    assert_eq!(
        created.id,
        sent.get("id").and_then(lenient::to_i64),
        "{context}: {sent}"
    );
    assert_eq!(server.request_count("createReviewAnswerV1"), 1, "{context}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spec_examples_go_through_the_report_and_the_export() {
    let server = ContractServer::start(AnswerMode::Examples)
        .await
        .expect("server");
    everything_comes_out(&server, "spec examples").await;
    assert_only_valid_requests(&server, "spec examples");
    // The account example has `phone` as a bare number; it is read, not fatal.
    let me = contract_client(&server)
        .account(contract_source(1).credentials)
        .self_info()
        .await
        .expect("self");
    assert!(me.id.is_some() && me.phone.is_some(), "{me:?}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_schema_valid_answers_never_stop_a_report_or_an_export() {
    for seed in 0..seeds() {
        let server = ContractServer::start(AnswerMode::random(seed))
            .await
            .expect("server");
        everything_comes_out(&server, &format!("seed {seed}")).await;
        assert_only_valid_requests(&server, &format!("seed {seed}"));
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_documented_forms_of_messages_and_operations_history_are_read() {
    for forms in [Forms::Spec, Forms::Alternative] {
        let modes = (0..20)
            .map(|seed| AnswerMode::Random { seed, forms })
            .filter(|mode| first_token_usable(*mode))
            .take(5);
        for mode in modes {
            let server = ContractServer::start(mode).await.expect("server");
            let client = contract_client(&server);
            let account = client.account(contract_source(1).credentials);
            let from = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .expect("date");
            let to = from + chrono::Duration::days(3);
            let context = format!("{mode:?}");
            let operations = account
                .operations_history(from, to)
                .await
                .unwrap_or_else(|e| panic!("{context}: {e}"));
            let sent = server
                .last_answer("postOperationsHistory")
                .expect("answered");
            let list = sent
                .pointer("/result/operations")
                .or_else(|| sent.get("operations"))
                .and_then(|v| v.as_array())
                .map_or(0, Vec::len);
            assert_eq!(operations.len(), list, "{context}: {sent}");

            let messages = account
                .messages(AccountId(1), "chat-1")
                .await
                .unwrap_or_else(|e| panic!("{context}: {e}"));
            let sent = server.last_answer("getMessagesV3").expect("answered");
            let list = sent
                .as_array()
                .or_else(|| sent.get("messages").and_then(|v| v.as_array()))
                .expect("a list in either form");
            // Every message with a usable id is read.
            let with_id = list
                .iter()
                .filter(|m| {
                    m.get("id")
                        .and_then(avito_reports::avito::lenient::to_id_text)
                        .is_some()
                })
                .count();
            assert_eq!(messages.items.len(), with_id, "{context}: {sent}");
            assert_only_valid_requests(&server, &context);
            server.shutdown().await;
        }
    }
}

#[tokio::test]
async fn an_implausible_wallet_is_na_never_printed() {
    // Found by the random answers: a wallet of 92 233 720 368 547 758 ₽ was printed.
    let mut found = false;
    for seed in 0..200 {
        let server = ContractServer::start(AnswerMode::random(seed))
            .await
            .expect("server");
        let client = contract_client(&server);
        let report = engine::profile_report(&client, &contract_source(1), &options(Lang::En))
            .await
            .expect("report");
        let wallet = server.last_answer("getUserBalance");
        let real = wallet
            .as_ref()
            .and_then(|w| w.get("real"))
            .and_then(serde_json::Value::as_f64);
        if let Some(real) = real.filter(|r| !plausible::roubles(*r)) {
            let line = report
                .lines
                .iter()
                .find(|l| l.metric == avito_reports::report::Metric::WalletBalance)
                .expect("wallet line");
            assert_eq!(
                line.value,
                Value::Missing(Missing::Implausible),
                "seed {seed}: wallet {real}"
            );
            let text = render::profile(&report, Lang::En, Markup::Text);
            assert!(
                text.contains("Avito returned an implausible value"),
                "seed {seed}: {text}"
            );
            found = true;
        }
        server.shutdown().await;
        if found {
            break;
        }
    }
    assert!(found, "some seed gives an implausible wallet");
}

/// A server on loopback answering the token request and each `(path, status, body)` as given,
/// for answers the schemas allow but random ones rarely make. Stops when the handle drops.
struct Fixed {
    base_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Fixed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn fixed(answers: Vec<(&'static str, u16, String)>) -> Fixed {
    use axum::http::{StatusCode, header};
    let token =
        serde_json::json!({"access_token": "t", "expires_in": 86400, "token_type": "Bearer"});
    let mut app = axum::Router::new().route(
        "/token",
        axum::routing::post(move || async move { axum::Json(token) }),
    );
    for (path, status, body) in answers {
        let status = StatusCode::from_u16(status).expect("status");
        app = app.route(
            path,
            axum::routing::any(move || async move {
                (status, [(header::CONTENT_TYPE, "application/json")], body)
            }),
        );
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind");
    let base_url = format!("http://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Fixed { base_url, task }
}

fn fixed_account(server: &Fixed) -> Account {
    let mut config = ClientConfig::new(server.base_url.parse().expect("url"));
    config.rate_window = Duration::from_millis(5);
    AvitoClient::new(config)
        .expect("client")
        .account(Credentials::new("client-1", "secret").expect("creds"))
}

#[tokio::test]
async fn reviews_missing_parts_or_carrying_odd_ones_are_read_and_one_without_id_is_skipped() {
    let huge = "Очень подробный отзыв. ".repeat(100 * 1024 / 40);
    let reviews = serde_json::json!({"total": 6, "reviews": [
        {"id": 1, "score": 5, "stage": "done", "text": "Отлично", "usedInScore": true,
         "canAnswer": true, "createdAt": 1_760_000_000},
        {"id": 2, "score": 2, "stage": "fell_through", "text": "Плохо", "usedInScore": true,
         "canAnswer": true, "createdAt": 1_760_000_100, "item": null, "sender": null, "answer": null},
        {"id": 3, "score": 4, "stage": "cancelled_by_avito", "text": "Хорошо", "usedInScore": false,
         "canAnswer": false, "createdAt": 1_760_000_200, "item": {"id": 7, "title": "Диван"},
         "sender": {"name": "Анна"}, "images": [{"number": 1, "sizes": []}], "extraParams": {"vin": 5}},
        {"id": 4, "score": 3, "stage": "done", "text": huge, "usedInScore": true,
         "canAnswer": false, "createdAt": 1_760_000_300,
         "answer": {"id": 9, "text": "Спасибо", "status": "hidden", "createdAt": 1_760_000_400}},
        {"score": 1, "stage": "done", "text": "без id", "usedInScore": true, "canAnswer": true,
         "createdAt": 1_760_000_500},
        {"id": 6, "score": 9, "stage": "done", "text": "", "usedInScore": true, "canAnswer": true,
         "createdAt": 0}
    ]});
    let server = fixed(vec![
        (
            "/ratings/v1/info",
            200,
            r#"{"isEnabled": true, "rating": null}"#.into(),
        ),
        ("/ratings/v1/reviews", 200, reviews.to_string()),
        (
            "/ratings/v1/answers",
            200,
            r#"{"id": "777", "createdAt": 1760000600.0}"#.into(),
        ),
    ])
    .await;
    let account = fixed_account(&server);
    let info = account.rating_info().await.expect("rating");
    assert_eq!((info.enabled, info.rating), (Some(true), None));

    let page = account.reviews_page(0, 50).await.expect("page");
    assert_eq!((page.total, page.skipped), (Some(6), 1));
    let ids: Vec<i64> = page.reviews.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 6], "the review without id is skipped");
    let r = &page.reviews;
    assert!(r[0].item.is_none() && r[0].sender_name.is_none() && r[0].answer.is_none());
    assert!(r[1].item.is_none() && r[1].sender_name.is_none() && r[1].answer.is_none());
    assert_eq!(r[2].stage, ReviewStage::Other("cancelled_by_avito".into()));
    assert_eq!(
        (
            r[2].item.as_ref().and_then(|i| i.title.as_deref()),
            r[2].sender_name.as_deref()
        ),
        (Some("Диван"), Some("Анна"))
    );
    assert_eq!(r[3].text, huge, "100 KB of text, whole");
    assert!(r[3].text.len() >= 100 * 1024);
    assert_eq!(
        r[3].answer.as_ref().map(|a| a.status.clone()),
        Some(AnswerStatus::Other("hidden".into()))
    );
    let now = chrono::Utc::now();
    assert_eq!(r[4].checked_score(), Checked::Implausible(9));
    assert_eq!(r[4].checked_created_at(now), Checked::Implausible(0));
    assert_eq!(r[0].checked_score(), Checked::Plausible(5));

    let created = account
        .create_review_answer(2, "Жаль, что так вышло")
        .await
        .expect("answer");
    assert_eq!(
        (created.id, created.created_at),
        (Some(777), Some(1_760_000_600))
    );
}

#[tokio::test]
async fn an_answer_taken_with_an_unreadable_reply_is_taken_and_a_switched_off_rating_reads() {
    let server = fixed(vec![
        ("/ratings/v1/info", 200, r#"{"isEnabled": false}"#.into()),
        ("/ratings/v1/answers", 200, "OK".into()),
    ])
    .await;
    let account = fixed_account(&server);
    let info = account.rating_info().await.expect("rating");
    assert_eq!((info.enabled, info.rating), (Some(false), None));
    let created = account
        .create_review_answer(2, "Спасибо")
        .await
        .expect("taken, whatever the reply says");
    assert_eq!((created.id, created.created_at), (None, None));

    // A reply that is a 500 leaves it unknown, once.
    let failing = fixed(vec![("/ratings/v1/answers", 500, "{}".into())]).await;
    let err = fixed_account(&failing)
        .create_review_answer(2, "Спасибо")
        .await
        .expect_err("500");
    assert!(matches!(err, AvitoError::OutcomeUnknown { .. }), "{err:?}");
}

// ---- the commands, as a person runs them ----

/// Runs the binary with `args` against a fresh server answering in `mode` (so the command
/// sees the answers a first client would), and returns its output and the server.
async fn command(mode: AnswerMode, args: &[&str]) -> (std::process::Output, ContractServer) {
    let server = ContractServer::start(mode).await.expect("server");
    let dir = tempfile::tempdir().expect("dir");
    let out = common::worker_command(dir.path())
        .env("AVITO_API_URL", server.base_url())
        .env("AVITO_RATE_WINDOW_SEC", "0.01")
        .env("AVITO_CLIENT_SECRET", "secret")
        .args(args)
        .output()
        .await
        .expect("command runs");
    assert_only_valid_requests(&server, &format!("{mode:?} {args:?}"));
    (out, server)
}

fn text(out: &std::process::Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_report_and_export_commands_work_on_examples_and_random_answers() {
    let modes = std::iter::once(AnswerMode::Examples).chain((0..6).map(AnswerMode::random));
    for mode in modes {
        let usable = first_token_usable(mode);
        let (check, server) = command(mode, &["avito", "check", "--client-id", "c"]).await;
        server.shutdown().await;
        assert_eq!(check.status.success(), usable, "{mode:?}: {}", text(&check));

        // A report always comes out: with an unusable token every metric says why it is n/a.
        let (report, server) = command(mode, &["report", "--client-id", "c", "--lang", "en"]).await;
        server.shutdown().await;
        assert!(report.status.success(), "{mode:?}: {}", text(&report));
        assert!(
            String::from_utf8_lossy(&report.stdout).contains("Views"),
            "{mode:?}: {}",
            text(&report)
        );
        // A week's report has the listings section: its groups, or why they are absent.
        let week = [
            "report",
            "--client-id",
            "c",
            "--lang",
            "en",
            "--period",
            "last-7-days",
        ];
        let (weekly, server) = command(mode, &week).await;
        server.shutdown().await;
        assert!(weekly.status.success(), "{mode:?}: {}", text(&weekly));
        let shown = String::from_utf8_lossy(&weekly.stdout);
        assert!(
            shown.contains("Listings to look at"),
            "{mode:?}: {}",
            text(&weekly)
        );
        if mode == AnswerMode::Examples {
            eprintln!("report --period last-7-days on the spec's examples:\n{shown}");
        }
        let (json, server) =
            command(mode, &["report", "--client-id", "c", "--format", "json"]).await;
        server.shutdown().await;
        assert!(json.status.success(), "{mode:?}: {}", text(&json));
        serde_json::from_slice::<serde_json::Value>(&json.stdout).expect("JSON output");

        let dir = tempfile::tempdir().expect("dir");
        let out = dir.path().join("chats.xlsx");
        let out_arg = out.to_string_lossy().to_string();
        let (export, server) =
            command(mode, &["export", "--client-id", "c", "--out", &out_arg]).await;
        let has_id = server
            .last_answer("getUserInfoSelf")
            .and_then(|me| me.get("id").and_then(avito_reports::avito::lenient::to_i64))
            .is_some_and(|id| id > 0);
        server.shutdown().await;
        if usable && has_id {
            assert!(export.status.success(), "{mode:?}: {}", text(&export));
            assert!(out.exists(), "{mode:?}: no workbook");
        } else {
            // Without a token or the account id there is nothing to export: said in one line.
            assert!(!export.status.success());
            let stderr = String::from_utf8_lossy(&export.stderr);
            assert!(
                stderr.contains("no usable account id") || stderr.contains("access_token"),
                "{mode:?}: {}",
                text(&export)
            );
        }
    }
}

/// `reviews` lists the spec's example review with its answer; random answers give a listing
/// or one line saying what went wrong, never a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reviews_command_lists_the_spec_example_review() {
    let (out, server) = command(
        AnswerMode::Examples,
        &["reviews", "--client-id", "c", "--lang", "en"],
    )
    .await;
    server.shutdown().await;
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("🌟 Rating: "), "{}", text(&out));
    assert!(
        stdout.contains("↳ answer published: Спасибо за отзыв!"),
        "{}",
        text(&out)
    );
    for mode in (0..6).map(AnswerMode::random) {
        let (out, server) =
            command(mode, &["reviews", "--client-id", "c", "--format", "json"]).await;
        server.shutdown().await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{mode:?}: {}", text(&out));
        if out.status.success() {
            serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("JSON output");
        } else {
            assert!(
                stderr.contains("avito-reports: "),
                "{mode:?}: {}",
                text(&out)
            );
        }
    }
}

// ---- the bot: adding a profile and using it ----

async fn bot_adds_a_profile_against_the_spec(engine: Engine, mode: AnswerMode) {
    let Some(test_db) = TestDatabase::fresh(engine).await else {
        return;
    };
    let server = ContractServer::start(mode).await.expect("server");
    let telegram = sandbox::telegram::TelegramEmulator::start(
        sandbox::telegram::TelegramConfig::without_limits(),
    )
    .await
    .expect("telegram emulator");
    let base_url = server.base_url();
    let worker = Worker::start(
        &telegram,
        None,
        &test_db,
        &[
            ("AVITO_API_URL", base_url.as_str()),
            ("AVITO_RATE_WINDOW_SEC", "0.01"),
        ],
    )
    .await;
    let ann = telegram.user(1001, "Ann", Some("en"));
    say(&telegram, &worker, &ann, "/add_profile", "Step 1 of 3").await;
    say(&telegram, &worker, &ann, "Spec shop", "Step 2 of 3").await;
    say(&telegram, &worker, &ann, "client-1", "Step 3 of 3").await;
    if !first_token_usable(mode) {
        // Nothing the user typed is known to be wrong: it is kept for "Try again".
        say(
            &telegram,
            &worker,
            &ann,
            "secret-1",
            "Everything you entered is kept",
        )
        .await;
        worker.terminate().await;
        telegram.shutdown().await;
        server.shutdown().await;
        return;
    }
    say(&telegram, &worker, &ann, "secret-1", "added").await;

    let conn = avito_reports::db::connect(&test_db.url)
        .await
        .expect("connect");
    let profile = avito_reports::db::profiles::all_of(&conn, UserId(1001))
        .await
        .expect("profiles")
        .into_iter()
        .next()
        .expect("the profile was added");
    let hub = say(&telegram, &worker, &ann, "/profiles", "Your Avito profiles")
        .await
        .message_id;
    let answer = press(
        &worker,
        &ann,
        ann.id(),
        hub,
        &format!("profile_view:{}", profile.id),
    )
    .await;
    assert!(!answer.show_alert, "{answer:?}\n{}", worker.log());
    let card = common::message(&telegram, ann.id(), hub)
        .text
        .unwrap_or_default();
    assert!(card.contains("Spec shop"), "{card}");

    // Report now: the report arrives, whatever the answers held.
    let after = common::last_bot_message(&telegram, ann.id());
    press(
        &worker,
        &ann,
        ann.id(),
        hub,
        &format!("report_now:{}", profile.id),
    )
    .await;
    let report = common::bot_message_after(&telegram, &worker, ann.id(), after, "Report for").await;
    assert!(
        report.text.unwrap_or_default().contains("Spec shop"),
        "{}",
        worker.log()
    );
    assert_only_valid_requests(&server, &format!("{engine:?} {mode:?}"));
    worker.terminate().await;
    telegram.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bot_adds_and_reports_a_profile_on_spec_examples_on_sqlite() {
    bot_adds_a_profile_against_the_spec(Engine::Sqlite, AnswerMode::Examples).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bot_adds_and_reports_a_profile_on_spec_examples_on_postgres() {
    bot_adds_a_profile_against_the_spec(Engine::Postgres, AnswerMode::Examples).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bot_adds_and_reports_a_profile_on_random_answers_on_sqlite() {
    for seed in 0..3 {
        bot_adds_a_profile_against_the_spec(Engine::Sqlite, AnswerMode::random(seed)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bot_adds_and_reports_a_profile_on_random_answers_on_postgres() {
    for seed in 3..6 {
        bot_adds_a_profile_against_the_spec(Engine::Postgres, AnswerMode::random(seed)).await;
    }
}
