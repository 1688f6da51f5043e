//! Excel export of a profile's Avito Messenger chats: Messenger → rows → .xlsx, in constant
//! memory.
//!
//! [`export`] runs the whole pipeline: [`collect`] lists the chats and fetches messages (async,
//! bounded concurrency), a bounded channel carries finished chats to [`workbook`] on a blocking
//! thread, which streams both sheets to disk and splits the file at a size limit. Memory holds
//! a few chats at a time, whatever the size of the account. The bot job ([`job`]) and the CLI
//! (`cli::export`) both call it.
//!
//! The bot's jobs of both exports run on one [`runner`] over narrow [`ports`] (the row, the
//! chat), implemented in [`adapters`]; what they decide is pure, in [`plan`] (requests,
//! failures, what follows) and [`chats`] / `stats::plan` (texts, names, files). Retries are
//! the Avito client's alone.
//!
//! [`stats`] is the other export, "Statistics to Excel": per-day totals with native charts
//! and per-item rows over a period, on the same job, table and status message.

pub mod adapters;
pub mod chats;
pub mod collect;
pub mod error;
pub mod job;
pub mod plan;
pub mod ports;
pub mod render;
pub mod runner;
pub mod stats;
pub mod texts;
pub mod workbook;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use chrono_tz::Tz;
use tokio::sync::mpsc;

use crate::avito::Account;
use crate::domain::AccountId;
use crate::domain::dates::start_of_day;
use crate::i18n::Lang;

pub use collect::{CollectOptions, Gaps, Progress, Snapshot};
pub use error::ExportError;
pub use render::RenderCtx;
pub use workbook::{PartFile, TELEGRAM_UPLOAD_LIMIT, WriteError};

/// Finished chats waiting for the writer: enough to keep it busy, few enough to keep memory
/// flat (a chat holds at most 1,100 messages).
const WRITER_QUEUE: usize = 8;

/// What to export and how.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Only chats updated on or after this date (in `tz`).
    pub since: Option<NaiveDate>,
    /// Times in the workbook are in this zone (the profile's).
    pub tz: Tz,
    /// Language of headers and rendered messages.
    pub lang: Lang,
    /// Largest file; bigger exports are split into numbered parts.
    pub part_limit: u64,
    pub collect: CollectOptions,
}

impl ExportOptions {
    pub fn new(tz: Tz, lang: Lang) -> Self {
        Self {
            since: None,
            tz,
            lang,
            part_limit: TELEGRAM_UPLOAD_LIMIT,
            collect: CollectOptions::default(),
        }
    }
}

/// A finished export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    /// The files, in order (one unless split).
    pub parts: Vec<PartFile>,
    pub chats: u64,
    pub messages: u64,
    pub gaps: Gaps,
}

/// Exports every chat of the account (Avito `user_id`) to `out` (or numbered parts beside it).
/// On error no file is left at `out` or beside it.
#[tracing::instrument(name = "export", skip_all, fields(user_id, out = %out.display()))]
pub async fn export(
    account: &Account,
    user_id: AccountId,
    opts: &ExportOptions,
    progress: Arc<Progress>,
    out: &Path,
) -> Result<ExportSummary, ExportError> {
    let ctx = RenderCtx {
        lang: opts.lang,
        tz: opts.tz,
        self_id: user_id,
    };
    let mut writer = workbook::PartsWriter::new(out, opts.part_limit, ctx)?;
    let (tx, mut rx) = mpsc::channel::<collect::ChatData>(WRITER_QUEUE);
    let writing = tokio::task::spawn_blocking(move || {
        while let Some(data) = rx.blocking_recv() {
            writer.add_chat(&data.chat, &data.messages)?;
        }
        writer.finish()
    });
    let mut collect_opts = opts.collect.clone();
    collect_opts.since = opts.since.and_then(|d| start_of_day(d, opts.tz));
    let collected = collect::collect(account, user_id, &collect_opts, progress, tx).await;
    // The sender is gone now: the writer finishes (or has stopped on an error).
    let written = writing.await.map_err(|e| {
        tracing::error!(error = %e, "export writer panicked");
        ExportError::WriterGone
    });
    match (collected, written) {
        (Ok(gaps), Ok(Ok(parts))) => Ok(ExportSummary {
            chats: parts.iter().map(|p| p.chats).sum(),
            messages: parts.iter().map(|p| p.messages).sum(),
            parts,
            gaps,
        }),
        // A writer failure explains a collection that stopped because the writer was gone.
        (_, Ok(Err(e))) => Err(e.into()),
        (Err(e), Ok(Ok(parts))) => {
            // The writer finished what it got: those files are not the export.
            remove(parts.iter().map(|p| &p.path));
            Err(e)
        }
        (Err(e), Err(_)) | (Ok(_), Err(e)) => Err(e),
    }
}

fn remove<'a>(paths: impl Iterator<Item = &'a PathBuf>) {
    for p in paths {
        let _ = std::fs::remove_file(p);
    }
}
