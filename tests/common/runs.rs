//! A scheduled run as an interrupted delivery left it, and the report text a chat received:
//! for the tests of resuming, taking over and fencing deliveries.

use avito_reports::db::entities::report_run;
use avito_reports::domain::{ChatId, RunKind, RunStatus, TaskId};
use chrono::{DateTime, Duration, Utc};
use sandbox::telegram::TelegramEmulator;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};

/// The three messages of the report the interrupted run was sending.
pub const PARTS: [&str; 3] = ["Part one of the report", "Part two", "Part three"];

/// A pending run of `task`'s `slot` claimed once, long ago, with `sent` of [`PARTS`] accepted
/// and `sending` when it stopped inside a send.
pub async fn interrupted_run(
    conn: &DatabaseConnection,
    task_id: TaskId,
    chat: i64,
    slot: DateTime<Utc>,
    sent: i32,
    sending: bool,
) {
    report_run::ActiveModel {
        task_id: Set(Some(task_id)),
        kind: Set(RunKind::Scheduled),
        slot: Set(Some(slot)),
        chat_id: Set(ChatId(chat)),
        status: Set(RunStatus::Pending),
        attempts: Set(1),
        // Long before any claim lease: the process that held it is gone.
        started_at: Set(Some(Utc::now() - Duration::hours(1))),
        created_at: Set(Utc::now() - Duration::hours(1)),
        chunks: Set(Some(serde_json::to_string(&PARTS).expect("json"))),
        chunks_sent: Set(sent),
        sending: Set(sending),
        ..Default::default()
    }
    .insert(conn)
    .await
    .expect("the interrupted run");
}

/// The bot's text messages in `chat`: the report's text, which the guarantee is about (its
/// charts come before it).
pub fn bot_texts(emu: &TelegramEmulator, chat: i64) -> Vec<String> {
    emu.chat_messages(chat)
        .into_iter()
        .filter(|m| m.from_bot && m.photo.is_none())
        .map(|m| m.text.unwrap_or_default())
        .collect()
}
