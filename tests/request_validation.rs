//! Strict in what we send: every request the client builds is one the spec allows.
//!
//! The report engine, the statistics and chat exports, the alert checks and the client's
//! operation methods run against `sandbox::avito::contract::ContractServer`, which checks each
//! request with the emulator's validator (every schema keyword, the rules the spec states in
//! prose, parameters and fields the spec does not have). The exports run against one that
//! answers pages as long as asked, so their paging reaches later pages and the maximum offsets
//! (the rest gets the spec's examples as they are: short lists, fast answers). Any refused
//! request fails the test, listed with its operation and field; so does a client operation no
//! request reached.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use avito_reports::alerts::check::{Observation, observe};
use avito_reports::avito::model::{ChatType, ItemStatus};
use avito_reports::avito::query::{
    AnalyticsQuery, AnalyticsSort, DateRange, Grouping, SortOrder, SpendingsQuery, TimeGrouping,
    avito_today, earliest_day,
};
use avito_reports::avito::{Account, AvitoClient, AvitoError, ChatsQuery};
use avito_reports::db::entities::alert_rule;
use avito_reports::domain::alerts::AlertRule;
use avito_reports::domain::{AccountId, AlertRuleId, ProfileId};
use avito_reports::export::stats::{self, StatsProgress};
use avito_reports::export::{self as chat_export, ExportOptions, Progress};
use avito_reports::i18n::Lang;
use avito_reports::report::{MetricSet, Period, PeriodKind, ReportOptions, engine};
use chrono::{Duration, Timelike, Utc};
use chrono_tz::Tz;
use common::{contract_client, contract_source};
use sandbox::avito::contract::{AnswerMode, ContractServer, Listings, Received};
use serde_json::{Value, json};

/// Client operations this test does not drive yet (none: each new one is driven in
/// `operation_methods`, or named here with the reason).
const NOT_DRIVEN_YET: &[&str] = &[];

/// Listings long enough that the exports page on: items over three pages of 99, analytics
/// over two pages of 1000, all chats and the u2i ones past the offset ceiling of 1000 (so the
/// chat export narrows to each type, then to the chats of the items), messages past it too.
const LISTINGS: Listings = Listings {
    items: 250,
    u2i_chats: 1_150,
    u2u_chats: 20,
    a2u_chats: 20,
    chats_per_item: 50,
    messages: 1_200,
    groupings: 1_001,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_the_client_builds_is_one_the_spec_allows() {
    let plain = ContractServer::start(AnswerMode::Examples)
        .await
        .expect("contract server");
    let paged = ContractServer::start_paged(AnswerMode::Examples, LISTINGS)
        .await
        .expect("paging contract server");
    let client = contract_client(&plain);
    let account = client.account(contract_source(1).credentials);
    let user_id = account
        .account_id()
        .await
        .expect("the example's account id");
    let paging = contract_client(&paged).account(contract_source(1).credentials);

    reports(&client).await;
    statistics_exports(&account, user_id).await;
    alert_checks(&account, user_id).await;
    operation_methods(&account, user_id).await;
    let month = Period::resolve(
        PeriodKind::Last30Days,
        chrono_tz::Europe::Moscow,
        Utc::now(),
    );
    stats::collect(&paging, user_id, month, &StatsProgress::default())
        .await
        .expect("statistics over pages");
    listings_pages(&paging, user_id).await;
    chats_export(&paging, user_id).await;

    common::assert_only_valid_requests(&plain, "examples");
    common::assert_only_valid_requests(&paged, "examples in long pages");
    let (paged_received, all_received) = (
        paged.received(),
        [plain.received(), paged.received()].concat(),
    );
    assert_every_operation_driven(&all_received);
    assert_parameters_varied(&all_received);
    assert_pages_reached(&paged_received);
    plain.shutdown().await;
    paged.shutdown().await;
}

/// Each period a report covers, in zones whose days start 11 hours before Moscow's
/// (Kiritimati) and 14 hours after (Pago Pago), with every metric; and a combined report.
async fn reports(client: &AvitoClient) {
    let (now, today) = (Utc::now(), avito_today());
    let earliest = earliest_day(today);
    let zones = [
        chrono_tz::Europe::Moscow,
        chrono_tz::Pacific::Kiritimati,
        chrono_tz::Pacific::Pago_Pago,
    ];
    for tz in zones {
        let mut periods: Vec<Period> = PeriodKind::ALL
            .iter()
            .map(|kind| Period::resolve(*kind, tz, now))
            .collect();
        // A historical report reaching the 270 days back, and its first day alone.
        periods.push(Period::new(earliest, today - Duration::days(1)));
        periods.push(Period::new(earliest, earliest));
        for period in periods {
            let report = engine::profile_report(client, &contract_source(1), &options(period, tz))
                .await
                .unwrap_or_else(|e| panic!("{period:?} in {tz}: {e}"));
            assert!(!report.lines.is_empty(), "{period:?} in {tz}");
        }
    }
    let period = Period::resolve(PeriodKind::Last7Days, chrono_tz::Europe::Moscow, now);
    let sources = [contract_source(2), contract_source(3)];
    let combined = engine::combined_report(
        client,
        &sources,
        &options(period, chrono_tz::Europe::Moscow),
    )
    .await;
    assert_eq!(combined.sections.len(), 2);
}

fn options(period: Period, tz: Tz) -> ReportOptions {
    ReportOptions {
        period,
        metrics: MetricSet::all(),
        tz,
        lang: Lang::En,
        deadline: None,
        listings: avito_reports::listings::fetch::Reuse::Ask,
    }
}

/// The statistics workbook's data over each period it offers, up to 270 days back.
async fn statistics_exports(account: &Account, user_id: AccountId) {
    let (now, today) = (Utc::now(), avito_today());
    let mut periods: Vec<Period> = PeriodKind::ALL
        .iter()
        .map(|kind| Period::resolve(*kind, chrono_tz::Europe::Moscow, now))
        .collect();
    periods.push(Period::new(earliest_day(today), today - Duration::days(1)));
    for period in periods {
        stats::collect(account, user_id, period, &StatsProgress::default())
            .await
            .unwrap_or_else(|e| panic!("statistics of {period:?}: {e}"));
    }
}

/// The chat export: the listing of all chats hits the ceiling, so it narrows to each chat
/// type, and the u2i one to the chats of the items; the messages reach the ceiling too.
async fn chats_export(account: &Account, user_id: AccountId) {
    let dir = tempfile::tempdir().expect("dir");
    let summary = chat_export::export(
        account,
        user_id,
        &ExportOptions::new(chrono_tz::Europe::Moscow, Lang::En),
        Arc::new(Progress::default()),
        &dir.path().join("chats.xlsx"),
    )
    .await
    .expect("the chat export");
    assert!(summary.chats > 0 && summary.messages > 0, "{summary:?}");
}

/// One check of each alert rule, the unanswered-chats one within its working hours.
async fn alert_checks(account: &Account, user_id: AccountId) {
    let (tz, now) = (chrono_tz::Europe::Moscow, Utc::now());
    let minute = {
        let local = now.with_timezone(&tz);
        i32::try_from(local.hour() * 60 + local.minute()).expect("minute of the day")
    };
    for rule in AlertRule::ALL {
        let watch = alert_rule::Model {
            id: AlertRuleId(1),
            profile_id: ProfileId(1),
            rule: *rule,
            enabled: true,
            param: rule.default_param(),
            remind_minutes: 60,
            work_from: (minute + 1380) % 1440,
            work_to: (minute + 60) % 1440,
            seen_day: None,
            seen_count: 0,
            watching_since: now.timestamp() - 3 * 86_400,
        };
        let seen = observe(account, Some(user_id), &watch, tz, now).await;
        assert_ne!(seen, Observation::Idle, "{rule:?}");
    }
}

/// The client's operations with each argument the code can give them.
async fn operation_methods(account: &Account, user_id: AccountId) {
    let today = avito_today();
    let week = DateRange::unchecked(today - Duration::days(7), today - Duration::days(1));
    account.self_info().await.expect("self");
    account.wallet_balance(user_id).await.expect("wallet");
    account.cpa_balance().await.expect("CPA balance");
    account.items(&[]).await.expect("items by default");
    for status in ItemStatus::LISTABLE {
        account.items(&[status]).await.expect("items of one status");
    }
    // Statuses that only come in answers cannot be asked: refused before anything is sent.
    for status in [
        ItemStatus::NotFound,
        ItemStatus::AnotherUser,
        ItemStatus::Other,
    ] {
        let refused = account.items(&[ItemStatus::Active, status]).await;
        let unsent = matches!(refused, Err(AvitoError::InvalidRequest(_)));
        assert!(unsent, "{status:?}: {refused:?}");
    }
    let items = account
        .items(&ItemStatus::LISTABLE)
        .await
        .expect("every item");
    let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
    account.item_info(user_id, ids[0]).await.expect("item info");
    for grouping in [TimeGrouping::Day, TimeGrouping::Week, TimeGrouping::Month] {
        account
            .item_stats(user_id, &ids, week, grouping)
            .await
            .expect("item statistics");
        let query = SpendingsQuery {
            range: week,
            spending_types: ["all", "promotion", "presence", "commission", "rest"]
                .map(String::from)
                .to_vec(),
            grouping,
        };
        account.spendings(user_id, &query).await.expect("spendings");
    }
    let groupings = [
        Grouping::Day,
        Grouping::Week,
        Grouping::Month,
        Grouping::Item,
        Grouping::Totals,
    ];
    for grouping in groupings {
        for category_ids in [vec![], vec![11, 12]] {
            let query = AnalyticsQuery {
                range: week,
                metrics: vec!["views".into(), "contacts".into()],
                grouping,
                category_ids,
            };
            account.analytics(user_id, &query).await.expect("analytics");
        }
    }
    account
        .calls_stats(user_id, week, &[])
        .await
        .expect("calls");
    account
        .calls_stats(user_id, week, &ids)
        .await
        .expect("calls of items");
    let to = Utc::now()
        .with_timezone(&chrono_tz::Europe::Moscow)
        .naive_local();
    account
        .operations_history(to - Duration::days(20), to)
        .await
        .expect("three weeks of operations, a week a request");
    messenger_methods(account, user_id, &ids[..3.min(ids.len())]).await;
    ratings_methods(account).await;
}

/// The per-listing pager, sorted each way, over two pages of 1000: each page handed over on
/// its own, every listing once.
async fn listings_pages(account: &Account, user_id: AccountId) {
    let today = avito_today();
    let query = AnalyticsQuery {
        range: DateRange::unchecked(today - Duration::days(7), today - Duration::days(1)),
        metrics: vec![
            "views".into(),
            "contacts".into(),
            "averageContactCost".into(),
        ],
        grouping: Grouping::Item,
        category_ids: vec![],
    };
    for order in [SortOrder::Asc, SortOrder::Desc] {
        let sort = AnalyticsSort {
            key: "views".into(),
            order,
        };
        let mut pages = Vec::new();
        account
            .analytics_pages(user_id, &query, Some(&sort), |page| {
                pages.push(page.len());
                std::ops::ControlFlow::Continue(())
            })
            .await
            .expect("listings over pages");
        assert_eq!(pages, [1000, 1], "{order:?}");
    }
}

/// The rating, review pages of every size the client asks (a limit it refuses is never sent)
/// and from later offsets, and an answer.
async fn ratings_methods(account: &Account) {
    account.rating_info().await.expect("rating");
    for (offset, limit) in [(0, 1), (0, 50), (50, 50), (1_000, 20)] {
        account
            .reviews_page(offset, limit)
            .await
            .expect("a page of reviews");
    }
    for limit in [0, 51] {
        let refused = account.reviews_page(0, limit).await;
        let unsent = matches!(refused, Err(AvitoError::InvalidRequest(_)));
        assert!(unsent, "limit {limit}: {refused:?}");
    }
    account.all_reviews().await.expect("every review");
    account
        .create_review_answer(1_234_567, "Спасибо за отзыв! Ждём вас снова.")
        .await
        .expect("an answer");
}

/// Chats with each query the code builds, one chat, and its messages.
async fn messenger_methods(account: &Account, user_id: AccountId, item_ids: &[i64]) {
    let all_types = vec![ChatType::U2i, ChatType::U2u, ChatType::A2u];
    let mut queries = vec![
        ChatsQuery::default(),
        ChatsQuery {
            unread_only: true,
            updated_since: Some(Utc::now().timestamp() - 86_400),
            ..ChatsQuery::default()
        },
        ChatsQuery {
            chat_types: all_types.clone(),
            item_ids: item_ids.to_vec(),
            ..ChatsQuery::default()
        },
    ];
    queries.extend(all_types.into_iter().map(|t| ChatsQuery {
        chat_types: vec![t],
        ..ChatsQuery::default()
    }));
    let mut chat_ids = BTreeSet::new();
    for query in &queries {
        let chats = account.chats(user_id, query).await.expect("chats");
        chat_ids.extend(chats.items.into_iter().map(|c| c.id));
    }
    // Ids come from Avito's answers: one that would change the path is still one segment.
    chat_ids.insert("u2i-a/b?c=1#d".to_owned());
    for id in &chat_ids {
        account.chat(user_id, id).await.expect("chat");
        account.messages(user_id, id).await.expect("messages");
    }
}

/// Every operation of the client (`Operation::id` in `src/avito/operation.rs`, an exhaustive
/// match, so a new operation is there as soon as it compiles) reached the server.
fn assert_every_operation_driven(received: &[Received]) {
    let seen: BTreeSet<&str> = received.iter().map(|r| r.operation).collect();
    let client = client_operation_ids();
    let missing: Vec<&str> = client
        .iter()
        .copied()
        .filter(|id| !seen.contains(id) && !NOT_DRIVEN_YET.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "client operations no request of this test reached: {missing:?}; drive them in \
         `operation_methods` (or list them in NOT_DRIVEN_YET while they are being built)"
    );
    let unknown: Vec<&&str> = seen.iter().filter(|id| !client.contains(*id)).collect();
    assert!(unknown.is_empty(), "not client operations: {unknown:?}");
}

/// The operation ids of `Operation::id`, read from its source: the arms
/// `Operation::Variant => "operationId",`, checked against the enum's variants.
fn client_operation_ids() -> BTreeSet<&'static str> {
    let source = include_str!("../src/avito/operation.rs");
    let (_, after) = source.split_once("pub enum Operation {").expect("the enum");
    let (body, _) = after.split_once('}').expect("the enum's end");
    let variants: BTreeSet<&str> = body
        .lines()
        .filter_map(|l| l.trim().strip_suffix(','))
        .filter(|l| !l.starts_with("//") && !l.starts_with('#'))
        .collect();
    let mut arms = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for line in source.lines() {
        let Some((variant, id)) = line
            .trim()
            .strip_prefix("Operation::")
            .and_then(|l| l.split_once(" => \""))
        else {
            continue;
        };
        arms.insert(variant);
        ids.insert(id.trim_end_matches("\","));
    }
    assert_eq!(arms, variants, "every variant has its id arm");
    assert!(ids.len() >= 14, "the ids were read: {ids:?}");
    ids
}

/// The values of query parameter `name` in the requests of `op` (`-`: not sent), as JSON.
fn sent(received: &[Received], op: &str, name: &str) -> BTreeSet<String> {
    received
        .iter()
        .filter(|r| r.operation == op)
        .map(|r| r.query.get(name).map_or("-".into(), Value::to_string))
        .collect()
}

/// The lists the code builds were sent: both status lists, each chat-type list and none.
fn assert_parameters_varied(received: &[Received]) {
    let statuses = sent(received, "getItemsInfo", "status");
    for status in ["\"active\"", "\"active,old,removed,blocked,rejected\""] {
        assert!(statuses.contains(status), "{status} in {statuses:?}");
    }
    let types = sent(received, "getChatsV2", "chat_types");
    let lists = [
        json!(["u2i", "u2u", "a2u"]),
        json!(["u2u"]),
        json!(["a2u"]),
        json!(["u2i"]),
    ];
    for list in lists {
        assert!(types.contains(&list.to_string()), "{list} in {types:?}");
    }
    assert!(types.contains("-"), "the default chat types: {types:?}");
}

/// The exports' paging reached later pages of items, the offset ceiling of chats and
/// messages, the chats of the items and a second page of analytics.
fn assert_pages_reached(received: &[Received]) {
    let pages = sent(received, "getItemsInfo", "page");
    assert!(pages.contains("3"), "item pages: {pages:?}");
    for op in ["getChatsV2", "getMessagesV3"] {
        let offsets = sent(received, op, "offset");
        assert!(offsets.contains("1000"), "{op} offsets: {offsets:?}");
    }
    let item_chats = sent(received, "getChatsV2", "item_ids");
    assert!(item_chats.len() > 1, "chats of items: {item_chats:?}");
    let offsets: BTreeSet<String> = received
        .iter()
        .filter(|r| r.operation == "itemAnalytics")
        .filter_map(|r| r.body.as_ref()?.get("offset").map(Value::to_string))
        .collect();
    assert!(offsets.contains("1000"), "analytics offsets: {offsets:?}");
    let sorts: BTreeSet<String> = received
        .iter()
        .filter(|r| r.operation == "itemAnalytics")
        .filter_map(|r| r.body.as_ref()?.get("sort").map(Value::to_string))
        .collect();
    for order in ["asc", "desc"] {
        let sort = json!({"key": "views", "order": order}).to_string();
        assert!(sorts.contains(&sort), "{sort} in {sorts:?}");
    }
}

/// A request the spec refuses (a status outside the enum in the list; a chat type that does
/// not exist) gets 400 from the emulator and from the contract server alike, in the
/// operation's documented error shape with a message naming the field, and both record it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_the_spec_refuses_gets_400_from_the_emulator_and_the_contract_server() {
    let emulator = common::start_avito().await;
    let server = ContractServer::start(AnswerMode::Examples)
        .await
        .expect("contract server");
    let http = reqwest::Client::new();
    let user = sandbox::avito::AccountSpec::generated(1).user_id;
    let refused = [
        (
            "/core/v1/items".to_owned(),
            [("status", "active,sold")],
            "query parameter status: \"active,sold\" does not match ^(active|",
        ),
        (
            format!("/messenger/v2/accounts/{user}/chats"),
            [("chat_types", "u2i,b2b")],
            "query parameter chat_types[1]: \"b2b\" is not one of",
        ),
    ];
    for base in [emulator.base_url(), server.base_url()] {
        let token = token(&http, &base).await;
        for (path, query, message) in &refused {
            let r = http
                .get(format!("{base}{path}"))
                .bearer_auth(&token)
                .query(query)
                .send()
                .await
                .expect("request");
            assert_eq!(r.status().as_u16(), 400, "{base}{path}");
            let body: Value = r.json().await.expect("a JSON error");
            // getItemsInfo documents `FieldError` ({code, message}); the others Avito's
            // `{error: {code: 400, message}}`.
            let said = match path.as_str() {
                "/core/v1/items" => {
                    assert_eq!(body["code"], "400", "{body}");
                    &body["message"]
                }
                _ => {
                    assert_eq!(body["error"]["code"], 400, "{body}");
                    &body["error"]["message"]
                }
            };
            let said = said.as_str().unwrap_or_default();
            assert!(said.starts_with(message), "{base}{path}: {said}");
        }
        // The list the client sends is allowed.
        let r = http
            .get(format!("{base}/core/v1/items"))
            .bearer_auth(&token)
            .query(&[("status", "active,old,removed,blocked,rejected")])
            .send()
            .await
            .expect("request");
        assert_eq!(r.status().as_u16(), 200, "{base}");
    }
    let failures = emulator.validation_failures();
    assert_eq!(failures.len(), 2, "{failures:#?}");
    assert!(
        failures[0].starts_with("getItemsInfo: query parameter status"),
        "{failures:#?}"
    );
    let violations = server.violations();
    let operations: Vec<&str> = violations.iter().map(|v| v.operation).collect();
    assert_eq!(
        operations,
        ["getItemsInfo", "getChatsV2"],
        "{violations:#?}"
    );
    assert!(
        violations[1].problem.contains("chat_types[1]"),
        "{violations:#?}"
    );
    emulator.shutdown().await;
    server.shutdown().await;
}

async fn token(http: &reqwest::Client, base: &str) -> String {
    let r = http
        .post(format!("{base}/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "client-1"),
            ("client_secret", "secret-1"),
        ])
        .send()
        .await
        .expect("token");
    let v: Value = r.json().await.expect("token JSON");
    v["access_token"].as_str().expect("access_token").to_owned()
}
