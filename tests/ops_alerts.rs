//! Admin alerts through the Telegram emulator over real HTTP, de-duplicated in a real database
//! on both engines: one alert per cause per hour, across processes sharing the database.

mod common;

use avito_reports::db;
use avito_reports::domain::{ChatId, ProfileId, TaskId};
use avito_reports::ops::alerts::{AdminAlerts, AlertCause, AlertOutcome};
use avito_reports::telegram::TgBot;
use common::{Engine, TestDatabase};
use sandbox::telegram::{TelegramConfig, TelegramEmulator};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use teloxide::Bot;

const ADMIN_CHAT: i64 = -100_777;

struct Setup {
    // Field order: the emulator outlives nothing that needs it, the database is dropped last.
    telegram: TelegramEmulator,
    conn: DatabaseConnection,
    test_db: TestDatabase,
}

impl Setup {
    async fn new(engine: Engine) -> Option<Self> {
        let test_db = TestDatabase::fresh(engine).await?;
        let conn = db::connect(&test_db.url).await.expect("connect");
        db::migrate(&conn).await.expect("migrate");
        let telegram = TelegramEmulator::start(TelegramConfig::without_limits())
            .await
            .expect("telegram emulator");
        telegram.group(ADMIN_CHAT, "Operators");
        Some(Self {
            telegram,
            conn,
            test_db,
        })
    }

    /// The worker's kind of sender.
    fn bot(&self) -> TgBot {
        let raw = Bot::new(self.telegram.bot_token())
            .set_api_url(self.telegram.base_url().parse().expect("url"));
        TgBot::new(raw, 30, None)
    }

    fn alerts(&self) -> AdminAlerts {
        AdminAlerts::new(self.conn.clone(), self.bot(), Some(ChatId(ADMIN_CHAT)))
    }

    /// Another worker process: its own pool on the same database, its own bot.
    async fn other_process(&self) -> AdminAlerts {
        let conn = db::connect(&self.test_db.url).await.expect("connect");
        AdminAlerts::new(conn, self.bot(), Some(ChatId(ADMIN_CHAT)))
    }

    fn admin_messages(&self) -> Vec<String> {
        self.telegram
            .chat_messages(ADMIN_CHAT)
            .iter()
            .filter(|m| m.from_bot)
            .map(|m| m.text_or_caption().to_owned())
            .collect()
    }

    /// Pretends the cause was last sent just over an hour ago.
    async fn age_by_an_hour(&self, cause: &AlertCause) {
        let sql = format!(
            "UPDATE admin_alerts SET last_sent_at = last_sent_at - 3601 WHERE cause = '{}'",
            cause.key()
        );
        let done = self.conn.execute_unprepared(&sql).await.expect("update");
        assert_eq!(done.rows_affected(), 1);
    }

    async fn stop(self) {
        self.telegram.shutdown().await;
    }
}

async fn one_alert_per_cause_per_hour(engine: Engine) {
    let Some(s) = Setup::new(engine).await else {
        return;
    };
    let alerts = s.alerts();
    let profile_7 = AlertCause::InvalidCredentials {
        profile_id: ProfileId(7),
    };
    assert!(
        alerts
            .raise(profile_7.clone(), "Avito rejects the secret of profile 7")
            .await
    );
    for _ in 0..3 {
        assert_eq!(
            alerts
                .try_raise(&profile_7, "Avito rejects the secret of profile 7")
                .await
                .expect("raise"),
            AlertOutcome::Suppressed
        );
    }
    // Another cause is not held back by the first.
    assert!(
        alerts
            .raise(
                AlertCause::InvalidCredentials {
                    profile_id: ProfileId(8)
                },
                "profile 8 too"
            )
            .await
    );
    assert!(
        alerts
            .raise(AlertCause::DeadJobs, "<b>2</b> jobs died")
            .await
    );
    let messages = s.admin_messages();
    assert_eq!(messages.len(), 3, "{messages:#?}");
    assert!(messages[0].contains("Avito rejects the secret of profile 7"));
    assert!(messages[1].contains("profile 8 too"));
    assert!(messages[2].contains("2 jobs died"));

    // An hour later the cause is sent again, saying how many were held back meanwhile.
    s.age_by_an_hour(&profile_7).await;
    assert!(alerts.raise(profile_7.clone(), "still rejected").await);
    let messages = s.admin_messages();
    assert_eq!(messages.len(), 4, "{messages:#?}");
    assert!(messages[3].contains("still rejected"));
    assert!(
        messages[3].contains("3 more alert(s) of this kind were held back"),
        "{}",
        messages[3]
    );
    // …and is quiet again for the next hour.
    assert!(!alerts.raise(profile_7, "again").await);
    assert_eq!(s.admin_messages().len(), 4);
    s.stop().await;
}

#[tokio::test]
async fn one_alert_per_cause_per_hour_on_sqlite() {
    one_alert_per_cause_per_hour(Engine::Sqlite).await;
}

#[tokio::test]
async fn one_alert_per_cause_per_hour_on_postgres() {
    one_alert_per_cause_per_hour(Engine::Postgres).await;
}

async fn processes_sharing_a_database_send_a_cause_once(engine: Engine) {
    let Some(s) = Setup::new(engine).await else {
        return;
    };
    let first = s.alerts();
    let second = s.other_process().await;
    let cause = AlertCause::DeliveryFailures { task_id: TaskId(5) };
    // Both processes raise the same cause at once, several times each.
    let raises = (0..8).map(|i| {
        let alerts = if i % 2 == 0 { &first } else { &second };
        alerts.try_raise(&cause, "deliveries of task 5 keep failing")
    });
    let outcomes: Vec<AlertOutcome> = futures::future::join_all(raises)
        .await
        .into_iter()
        .map(|o| o.expect("raise"))
        .collect();
    let sent = outcomes
        .iter()
        .filter(|o| **o == AlertOutcome::Sent)
        .count();
    assert_eq!(sent, 1, "{outcomes:?}");
    assert_eq!(s.admin_messages().len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn processes_sharing_a_database_send_a_cause_once_on_sqlite() {
    processes_sharing_a_database_send_a_cause_once(Engine::Sqlite).await;
}

#[tokio::test]
async fn processes_sharing_a_database_send_a_cause_once_on_postgres() {
    processes_sharing_a_database_send_a_cause_once(Engine::Postgres).await;
}

async fn a_failed_send_does_not_hold_the_cause_back(engine: Engine) {
    let Some(s) = Setup::new(engine).await else {
        return;
    };
    let alerts = s.alerts();
    s.telegram.set_bot_kicked(ADMIN_CHAT, true);
    let outcome = alerts.try_raise(&AlertCause::DeadJobs, "1 job died").await;
    assert!(
        matches!(
            outcome,
            Err(avito_reports::ops::alerts::AlertError::Telegram(_))
        ),
        "{outcome:?}"
    );
    assert!(s.admin_messages().is_empty());
    s.telegram.set_bot_kicked(ADMIN_CHAT, false);
    assert_eq!(
        alerts
            .try_raise(&AlertCause::DeadJobs, "1 job died")
            .await
            .expect("raise"),
        AlertOutcome::Sent
    );
    let messages = s.admin_messages();
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].contains("1 more alert(s)"),
        "the failed one is counted: {}",
        messages[0]
    );
    s.stop().await;
}

#[tokio::test]
async fn a_failed_send_does_not_hold_the_cause_back_on_sqlite() {
    a_failed_send_does_not_hold_the_cause_back(Engine::Sqlite).await;
}

#[tokio::test]
async fn a_failed_send_does_not_hold_the_cause_back_on_postgres() {
    a_failed_send_does_not_hold_the_cause_back(Engine::Postgres).await;
}

#[tokio::test]
async fn the_bot_token_never_reaches_the_admin_chat() {
    let s = Setup::new(Engine::Sqlite).await.expect("sqlite");
    let token = s.telegram.bot_token();
    let text = format!(
        "sendMessage failed: error sending request for url (https://x/bot{token}/sendMessage)"
    );
    assert!(s.alerts().raise(AlertCause::DeadJobs, text).await);
    let messages = s.admin_messages();
    assert_eq!(messages.len(), 1);
    assert!(!messages[0].contains(&token), "{}", messages[0]);
    assert!(
        messages[0].contains("/bot***/sendMessage"),
        "{}",
        messages[0]
    );
    s.stop().await;
}

#[tokio::test]
async fn without_admin_chat_id_alerts_are_only_logged() {
    let s = Setup::new(Engine::Sqlite).await.expect("sqlite");
    let alerts = AdminAlerts::new(s.conn.clone(), s.bot(), None);
    assert_eq!(
        alerts
            .try_raise(&AlertCause::DeadJobs, "nobody to tell")
            .await
            .expect("raise"),
        AlertOutcome::Disabled
    );
    assert!(s.admin_messages().is_empty());
    assert_eq!(s.telegram.method_calls("sendMessage"), 0);
    s.stop().await;
}
