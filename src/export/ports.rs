//! The narrow ports the export runner acts through: the export's row and the chat it talks
//! in. `adapters` implements them over the database and Telegram; the tests fake them.

use std::path::PathBuf;

use async_trait::async_trait;

use super::plan::Button;
use crate::db::exports::Counters;
use crate::domain::{ChatId, ExportId};

/// The export's row.
#[async_trait]
pub trait ExportStore: Send + Sync {
    async fn set_progress_message(&self, id: ExportId, message: i32) -> anyhow::Result<()>;
    /// A request whose status message could not be posted: failed, so it does not block the
    /// profile's next export.
    async fn abandon(&self, id: ExportId, error: &str) -> anyhow::Result<()>;
    async fn progress(&self, id: ExportId, counters: Counters) -> anyhow::Result<()>;
    async fn finish(
        &self,
        id: ExportId,
        counters: Counters,
        error: Option<String>,
    ) -> anyhow::Result<()>;
}

/// A file to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub path: PathBuf,
    pub file_name: String,
    /// Plain text.
    pub caption: String,
    /// What it is, for a failure's detail ("part 1 of 2", "the workbook").
    pub what: String,
}

/// The chat the export talks in.
#[async_trait]
pub trait ExportChat: Send + Sync {
    /// Posts an HTML message; its id.
    async fn post(&self, chat: ChatId, text: String) -> anyhow::Result<i32>;
    /// Replaces message `message` with `text` (HTML); a message that did not change is fine.
    async fn edit(
        &self,
        chat: ChatId,
        message: i32,
        text: String,
        button: Option<Button>,
    ) -> anyhow::Result<()>;
    async fn send(&self, chat: ChatId, doc: &Document) -> anyhow::Result<()>;
}
