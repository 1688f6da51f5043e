//! Avito's and Telegram's limits hold across processes, and SQLite never fails a job on a lock.
//!
//! Two `AvitoClient`s on one PostgreSQL database stand for two processes (`run` and a
//! `worker`): their calls of an account's once-a-minute operation share one budget and one
//! answer, so the emulator (enforcing the limits) answers no 429. Two bots likewise share
//! Telegram's pace. On SQLite, many concurrent writers from two pools see no "database is
//! locked".

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use avito_reports::avito::query::{AnalyticsQuery, DateRange, Grouping};
use avito_reports::avito::{
    AvitoClient, ClientConfig, Credentials, NoTokenStore, RetryPolicy, Shared,
};
use avito_reports::db::{
    self, alerts, exports, profiles, shared_avito::SharedAvito, tasks::TaskDefaults, users,
};
use avito_reports::domain::alerts::AlertRule;
use avito_reports::domain::{AccountId, ChatId, UserId};
use avito_reports::retry::Backoff;
use avito_reports::telegram::TgBot;
use chrono::Duration as Days;
use common::{Engine, TestDatabase};
use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator};
use sandbox::telegram::{TelegramConfig, TelegramEmulator};
use sea_orm::DatabaseConnection;
use teloxide::prelude::Requester;

const WINDOW: Duration = Duration::from_millis(1500);
/// Longer than sqlx's default SQLite busy timeout (5 s).
const LONG_WRITE: Duration = Duration::from_secs(6);

async fn emulator() -> AvitoEmulator {
    AvitoEmulator::start(AvitoConfig {
        accounts: vec![AccountSpec {
            items: 10,
            chats: 1,
            messages_per_chat: 1,
            ..AccountSpec::generated(1)
        }],
        rate_window: WINDOW,
        ..AvitoConfig::default()
    })
    .await
    .expect("emulator")
}

/// A "process": its own client (own memory) over its own pool of the database.
async fn process(emu: &AvitoEmulator, shared: bool, url: &db::DatabaseUrl) -> AvitoClient {
    let mut config = ClientConfig::new(emu.base_url().parse().expect("url"));
    config.rate_window = WINDOW;
    let quick = Backoff::new(3, Duration::from_millis(10), Duration::from_millis(50));
    config.retry = RetryPolicy {
        transient: quick,
        rate_limit_waits: 3,
        request_timeout: Duration::from_secs(5),
    };
    config.token_retry = quick;
    let conn = db::connect(url).await.expect("connect");
    let sharing: Option<Shared> = if shared {
        Some(SharedAvito::for_engine(&conn).expect("PostgreSQL shares"))
    } else {
        None
    };
    AvitoClient::with_stores(config, Arc::new(NoTokenStore), sharing).expect("client")
}

fn analytics_of(emu: &AvitoEmulator, days_back: i64) -> AnalyticsQuery {
    let day = emu.data().today() - Days::days(days_back);
    AnalyticsQuery {
        range: DateRange::unchecked(day, day),
        metrics: vec!["views".into()],
        grouping: Grouping::Totals,
        category_ids: vec![],
    }
}

async fn postgres() -> Option<TestDatabase> {
    let test_db = TestDatabase::fresh(Engine::Postgres).await?;
    let conn = db::connect(&test_db.url).await.expect("connect");
    db::migrate(&conn).await.expect("migrate");
    conn.close().await.ok();
    Some(test_db)
}

/// Both processes ask for the same analytics at once: one request reaches Avito, the other
/// process takes its answer from the database.
#[tokio::test]
async fn two_processes_share_one_once_a_minute_answer() {
    let Some(test_db) = postgres().await else {
        return;
    };
    let emu = emulator().await;
    let (a, b) = (
        process(&emu, true, &test_db.url).await,
        process(&emu, true, &test_db.url).await,
    );
    let creds = Credentials::new("client-1", "secret-1").expect("creds");
    let (a, b) = (a.account(creds.clone()), b.account(creds));
    let query = analytics_of(&emu, 1);
    let id = AccountId(1_000_001);
    let started = Instant::now();
    let (first, second) = tokio::join!(a.analytics(id, &query), b.analytics(id, &query));
    let (first, second) = (first.expect("first"), second.expect("second"));
    assert_eq!(first.groups.len(), second.groups.len());
    assert_eq!(
        first.groups.first().and_then(|g| g.metric("views")),
        second.groups.first().and_then(|g| g.metric("views"))
    );
    assert_eq!(emu.request_count("itemAnalytics"), 1, "one answer shared");
    assert_eq!(emu.rate_limited_count(), 0);
    assert!(
        started.elapsed() < WINDOW,
        "the second took the stored answer before its own slot: {:?}",
        started.elapsed()
    );
    // A later identical call in either process is answered from the database too.
    b.analytics(id, &query).await.expect("again");
    assert_eq!(emu.request_count("itemAnalytics"), 1);
}

/// Different analytics of one account from both processes at once: two requests, one window
/// apart, no 429. Without the shared budget the same calls meet a 429.
#[tokio::test]
async fn two_processes_take_turns_at_an_accounts_once_a_minute_budget() {
    let Some(test_db) = postgres().await else {
        return;
    };
    for shared in [true, false] {
        let emu = emulator().await;
        let (a, b) = (
            process(&emu, shared, &test_db.url).await,
            process(&emu, shared, &test_db.url).await,
        );
        let creds = Credentials::new("client-1", "secret-1").expect("creds");
        let (a, b) = (a.account(creds.clone()), b.account(creds));
        let id = AccountId(1_000_001);
        let (q1, q2) = (analytics_of(&emu, 1), analytics_of(&emu, 2));
        let started = Instant::now();
        let (first, second) = tokio::join!(a.analytics(id, &q1), b.analytics(id, &q2));
        first.expect("first");
        second.expect("second");
        assert_eq!(
            emu.request_count("itemAnalytics") - emu.rate_limited_count(),
            2
        );
        if shared {
            assert_eq!(emu.rate_limited_count(), 0, "the budget is shared");
            assert!(started.elapsed() >= WINDOW, "{:?}", started.elapsed());
        } else {
            assert!(emu.rate_limited_count() > 0, "the control meets a 429");
        }
        emu.shutdown().await;
    }
}

/// Many concurrent writers from two pools of one SQLite file (a `run` and a `worker`, each
/// with alert checks, profiles and exports at once): none fails on a lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_never_fails_a_write_on_a_lock() {
    let test_db = TestDatabase::fresh(Engine::Sqlite).await.expect("sqlite");
    let first = db::connect(&test_db.url).await.expect("connect");
    db::migrate(&first).await.expect("migrate");
    let second = db::connect(&test_db.url).await.expect("connect");
    // A long write (a big export's batch, a checkpoint) holds the lock longer than SQLite's
    // usual 5 s busy timeout while the others want to write.
    let pool = first.get_sqlite_connection_pool().clone();
    let mut long = pool.acquire().await.expect("a connection");
    sea_orm::sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *long)
        .await
        .expect("the long writer takes the lock");
    let long_writer = tokio::spawn(async move {
        tokio::time::sleep(LONG_WRITE).await;
        sea_orm::sqlx::query("COMMIT")
            .execute(&mut *long)
            .await
            .expect("commit");
    });
    let mut tasks = Vec::new();
    for writer in 0..24_i64 {
        let conn = if writer % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tasks.push(tokio::spawn(
            async move { write_a_lot(&conn, writer).await },
        ));
    }
    long_writer.await.expect("the long writer");
    let mut failures = Vec::new();
    for task in tasks {
        if let Err(e) = task.await.expect("join") {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "writes failed: {failures:#?}");
}

/// What one busy job does to the database: users, a profile with its task (a transaction),
/// alert episodes opened and closed, export requests (a transaction that reads and writes).
async fn write_a_lot(conn: &DatabaseConnection, writer: i64) -> Result<(), String> {
    let owner = UserId(100 + writer);
    let err = |what: &str, e: db::DbError| format!("writer {writer}, {what}: {e}");
    for round in 0..8 {
        users::upsert(
            conn,
            &users::TelegramUser {
                id: owner,
                username: None,
                first_name: format!("User {writer} {round}"),
                language_code: Some("en".into()),
            },
        )
        .await
        .map_err(|e| err("user", e))?;
        let (profile, _) = profiles::create_with_task(
            conn,
            profiles::NewProfile {
                owner_id: owner,
                name: format!("Shop {round}"),
                client_id: format!("client-{writer}-{round}"),
                client_secret_enc: "v1:x".into(),
                avito_user_id: Some(AccountId(1_000_000 + writer)),
                avito_account_name: None,
            },
            &TaskDefaults::default(),
        )
        .await
        .map_err(|e| err("profile", e))?;
        alerts::rules_of(conn, profile.id)
            .await
            .map_err(|e| err("rules", e))?;
        for rule in AlertRule::ALL {
            if let Some(episode) = alerts::try_open(conn, profile.id, *rule, "low", false)
                .await
                .map_err(|e| err("open", e))?
            {
                alerts::close(conn, &episode, false)
                    .await
                    .map_err(|e| err("close", e))?;
            }
        }
        exports::request(conn, profile.id, ChatId(owner.0), None)
            .await
            .map_err(|e| err("export", e))?;
        profiles::all_of(conn, owner)
            .await
            .map_err(|e| err("read", e))?;
    }
    Ok(())
}

/// A "process" sending through Telegram: its own bot, pacing alone or with the database.
async fn telegram_process(
    telegram: &TelegramEmulator,
    shared: bool,
    url: &db::DatabaseUrl,
) -> TgBot {
    let conn = db::connect(url).await.expect("connect");
    let raw = teloxide::Bot::new(telegram.bot_token())
        .set_api_url(telegram.base_url().parse().expect("url"));
    let budgets = if shared {
        Some(SharedAvito::budgets(&conn).expect("PostgreSQL shares"))
    } else {
        None
    };
    TgBot::new(raw, 30, budgets)
}

/// Two processes each send a message to 40 chats at once, through the Telegram emulator with
/// its limits on (30 messages a second for the bot): sharing the pace, Telegram answers no
/// 429; pacing alone at 30/s each, the two together break the limit.
#[tokio::test]
async fn two_processes_share_telegrams_pace() {
    let Some(test_db) = postgres().await else {
        return;
    };
    for shared in [true, false] {
        let telegram = TelegramEmulator::start(TelegramConfig::default())
            .await
            .expect("telegram");
        let chats: Vec<i64> = (1..=40).map(|n| 500_000 + n).collect();
        for chat in &chats {
            telegram
                .user(*chat, "Seller", Some("en"))
                .send_text("/start");
        }
        let send_all = |bot: TgBot| {
            let chats = chats.clone();
            async move {
                let mut refused = 0;
                for chat in chats {
                    let chat = teloxide::types::ChatId(chat);
                    let sent = bot.paced(chat).await.send_message(chat, "Report").await;
                    refused += usize::from(sent.is_err());
                }
                refused
            }
        };
        let (a, b) = (
            telegram_process(&telegram, shared, &test_db.url).await,
            telegram_process(&telegram, shared, &test_db.url).await,
        );
        let (refused_a, refused_b) = tokio::join!(send_all(a), send_all(b));
        let limited = telegram.rate_limited_count();
        assert_eq!(limited, refused_a + refused_b, "every refusal was a 429");
        if shared {
            assert_eq!(limited, 0, "one pace for both processes");
        } else {
            assert!(
                limited > 0,
                "each alone at 30/s, together they break the limit"
            );
        }
        telegram.shutdown().await;
    }
}

/// One process at a time plans the alert checks: a second finds the lead taken until the
/// first ends it, or until the first's connection is gone (a process that died).
#[tokio::test]
async fn one_process_at_a_time_leads_the_planning() {
    use avito_reports::db::lease::Lease;
    let Some(test_db) = postgres().await else {
        return;
    };
    let (a, b) = (
        db::connect(&test_db.url).await.expect("connect"),
        db::connect(&test_db.url).await.expect("connect"),
    );
    let (mut lead_a, mut lead_b) = (
        Lease::new("plan alert checks"),
        Lease::new("plan alert checks"),
    );
    assert!(
        lead_a.lead(&a).await.expect("asked"),
        "the first process leads"
    );
    assert!(!lead_b.lead(&b).await.expect("asked"), "the second waits");
    let mut other = Lease::new("other work");
    assert!(
        other.lead(&b).await.expect("asked"),
        "other work has its own lead"
    );
    for _ in 0..3 {
        assert!(lead_a.lead(&a).await.expect("asked"), "the leader keeps it");
        assert!(!lead_b.lead(&b).await.expect("asked"));
    }
    lead_a.end().await;
    assert!(lead_b.lead(&b).await.expect("asked"), "the lead passes on");
    assert!(!lead_a.lead(&a).await.expect("asked"));
    // The leader's process dies: its connection closes, and the lead is free again.
    drop(lead_b);
    let started = Instant::now();
    while !lead_a.lead(&a).await.expect("asked") {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "a process gone lets go of its lead"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Budgets whose calls are all long past (a chat written to once) are cleared; a budget in
/// use stays.
#[tokio::test]
async fn idle_budgets_are_cleared() {
    use avito_reports::budget::{BudgetKey, Limit};
    use avito_reports::db::shared_avito::prune_idle_budgets;
    use sea_orm::ConnectionTrait;
    let Some(test_db) = postgres().await else {
        return;
    };
    let conn = db::connect(&test_db.url).await.expect("connect");
    let store = SharedAvito::budgets(&conn).expect("PostgreSQL shares");
    let limit = Limit::new(1, Duration::from_secs(1));
    for chat in [1, 2] {
        store
            .reserve(&[(BudgetKey::telegram_chat(chat), limit)])
            .await
            .expect("reserved");
    }
    // Chat 1 was last written to a day ago.
    conn.execute_unprepared(
        "UPDATE avito_budgets SET slots = '[1000000]' WHERE budget_key = 'telegram|chat|1'",
    )
    .await
    .expect("aged");
    let gone = prune_idle_budgets(&conn, Duration::from_secs(600))
        .await
        .expect("pruned");
    assert_eq!(gone, 1);
    let left: Vec<String> = conn
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT budget_key FROM avito_budgets",
        ))
        .await
        .expect("read")
        .iter()
        .filter_map(|r| r.try_get::<String>("", "budget_key").ok())
        .collect();
    assert_eq!(left, ["telegram|chat|2"]);
}

/// Many calls from two processes take one budget at once: a write that lost to the other
/// process's decides again, so no two slots fall within one window and every call gets one.
/// Then many take two budgets at once, one shared by all.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn budgets_taken_at_once_never_book_two_calls_in_a_window() {
    use avito_reports::budget::{BudgetKey, Limit};
    let Some(test_db) = postgres().await else {
        return;
    };
    let (a, b) = (
        db::connect(&test_db.url).await.expect("connect"),
        db::connect(&test_db.url).await.expect("connect"),
    );
    let stores = [
        SharedAvito::budgets(&a).expect("PostgreSQL shares"),
        SharedAvito::budgets(&b).expect("PostgreSQL shares"),
    ];
    let limit = Limit::with_margin(1, Duration::from_millis(100), Duration::ZERO);
    let key = BudgetKey::telegram_chat(7);
    let calls = (0..40).map(|i| {
        let (store, key) = (Arc::clone(&stores[i % 2]), key.clone());
        tokio::spawn(async move { store.reserve(&[(key, limit)]).await })
    });
    let mut taken: Vec<Duration> = Vec::new();
    for call in futures::future::join_all(calls).await {
        taken.push(call.expect("joined").expect("a slot").at);
    }
    taken.sort();
    for pair in taken.windows(2) {
        assert!(
            pair[1] - pair[0] >= limit.window,
            "two calls within one window: {pair:?}"
        );
    }
    assert_eq!(taken.len(), 40);
    // Several budgets at once (a Telegram message: the bot's and its chat's), each call to
    // a chat of its own: the rows are locked in one order, so no two calls deadlock.
    let bot = BudgetKey::telegram_bot();
    let calls = (0..40).map(|i| {
        let store = Arc::clone(&stores[i % 2]);
        let budgets = [
            (BudgetKey::telegram_chat(100 + i as i64), limit),
            (bot.clone(), limit),
        ];
        tokio::spawn(async move { store.reserve(&budgets).await })
    });
    let mut taken: Vec<Duration> = Vec::new();
    for call in futures::future::join_all(calls).await {
        taken.push(call.expect("joined").expect("a slot").at);
    }
    taken.sort();
    assert!(
        taken.windows(2).all(|p| p[1] - p[0] >= limit.window),
        "the bot's budget holds: {taken:?}"
    );
}
