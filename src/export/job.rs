//! The export as a background job of the bot: a press on "export chats" queues it
//! ([`request_from_hub`]), the job runner calls [`run`], which loads the row and hands it to
//! the shared runner (`runner`) with the chat export's [`Work`] (or the statistics export's).
//!
//! [`run`] is safe to call again for the same export: a finished or failed export is left
//! alone, and one marked running (interrupted by a crash) starts over from scratch.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;
use teloxide::prelude::*;

use super::adapters::{AvitoAccess, DbStore, TgChat};
use super::plan::{Button, Failure, Finished, FollowUp};
use super::ports::Document;
use super::runner::{self, Reading, Target, Work};
use super::texts::{X, x, xf};
use super::{ExportOptions, ExportSummary, Progress, chats};
use crate::context::AppState;
use crate::db::entities::{avito_profile, export};
use crate::db::exports as store;
use crate::db::{profiles, tasks, users};
use crate::domain::{ExportId, ExportKind, clock};
use crate::i18n::Lang;
use crate::metrics;
use crate::ops::AlertCause;
use crate::telegram::TgBot;
use crate::telegram::callback::ProfileAction;

pub use super::plan::Pressed;

/// Records an export request of `profile` to `chat` and posts its status message. The caller
/// enqueues the job when the answer is [`Pressed::Queued`].
pub async fn request_from_hub(
    state: &AppState,
    bot: &TgBot,
    lang: Lang,
    profile: &avito_profile::Model,
    chat: ChatId,
    since: Option<NaiveDate>,
) -> anyhow::Result<Pressed> {
    let requested = store::request(&state.db, profile.id, chat.into(), since).await?;
    let name = chats::shown_name(lang, &profile.name, since);
    let queued = xf(lang, X::Queued, &[("name", &name)]);
    let (db, tg) = (DbStore(state.db.clone()), TgChat(bot.clone()));
    runner::request(&db, &tg, lang, chat.into(), &requested, queued).await
}

/// The export job, as the job runner calls it. An export that failed for good (after the
/// client's retries) is also an alert to the admin.
pub async fn run(ctx: &crate::context::JobContext, export_id: ExportId) -> anyhow::Result<()> {
    let Some((profile, finished)) = execute(&ctx.state, &ctx.bot, export_id).await? else {
        return Ok(());
    };
    match super::plan::follow_up(export_id, profile.id, &finished) {
        FollowUp::Nothing => {}
        FollowUp::KeysRefused => {
            crate::keys::refused(ctx, &profile).await?;
        }
        FollowUp::Alert(text) => {
            ctx.alerts.raise(AlertCause::DeadJobs, text).await;
        }
    }
    Ok(())
}

/// Runs export `export_id`: the job body. `None`: nothing to do (already finished, profile
/// gone).
#[tracing::instrument(name = "export_job", skip_all, fields(export_id, profile_id, chat_id))]
async fn execute(
    state: &AppState,
    bot: &TgBot,
    export_id: ExportId,
) -> anyhow::Result<Option<(avito_profile::Model, Finished)>> {
    let Some(row) = store::start(&state.db, export_id).await? else {
        tracing::info!("export already finished or gone: nothing to do");
        return Ok(None);
    };
    let span = tracing::Span::current();
    span.record("profile_id", row.profile_id.0);
    span.record("chat_id", row.chat_id.0);
    let _running = metrics::export_started();
    let Some(profile) = profiles::find(&state.db, row.profile_id).await? else {
        // The profile was deleted (its exports cascade); nothing to tell.
        return Ok(None);
    };
    let lang = users::find(&state.db, profile.owner_id)
        .await?
        .map(|u| Lang::from_code(u.language_code.as_deref()))
        .unwrap_or(Lang::Ru);
    let target = Target {
        export_id: row.id,
        chat: row.chat_id,
        message: row.progress_message_id,
        store: Arc::new(DbStore(state.db.clone())),
        talk: Arc::new(TgChat(bot.clone())),
    };
    let avito = AvitoAccess {
        secrets: state.secrets.clone(),
        avito: state.avito.clone(),
    };
    let finished = match row.kind {
        ExportKind::Stats => {
            super::stats::job::execute(state, target, avito, &row, &profile, lang).await?
        }
        ExportKind::Chats => {
            let work = chats_work(state, avito, &row, &profile, lang).await?;
            runner::run(target, Arc::new(work)).await?
        }
    };
    Ok(Some((profile, finished)))
}

/// The chat export of `row`, its workbook's times in the profile's zone.
async fn chats_work(
    state: &AppState,
    avito: AvitoAccess,
    row: &export::Model,
    profile: &avito_profile::Model,
    lang: Lang,
) -> anyhow::Result<ChatsWork> {
    let task = tasks::ensure(&state.db, profile.id).await?;
    let (tz, damaged) = chats::zone(task.time_zone.value());
    if damaged {
        tracing::warn!(
            task_id = task.id.0,
            "the task's time zone is damaged; the export uses UTC"
        );
    }
    Ok(ChatsWork {
        avito,
        profile: profile.clone(),
        name: chats::shown_name(lang, &profile.name, row.since),
        export_id: row.id,
        opts: ExportOptions {
            since: row.since,
            ..ExportOptions::new(tz, lang)
        },
    })
}

/// The chat export, for the runner.
struct ChatsWork {
    avito: AvitoAccess,
    profile: avito_profile::Model,
    /// As the status shows it (HTML-escaped, with the period).
    name: String,
    export_id: ExportId,
    opts: ExportOptions,
}

#[async_trait]
impl Work for ChatsWork {
    type Progress = Progress;
    type Summary = ExportSummary;

    fn lang(&self) -> Lang {
        self.opts.lang
    }

    fn temp_prefix(&self) -> String {
        format!("avito-reports-export-{}-", self.export_id)
    }

    fn reading(&self, progress: &Progress) -> Reading {
        let s = progress.snapshot();
        Reading {
            text: chats::progress_text(self.opts.lang, &self.name, &s),
            counters: s.into(),
            key: chats::progress_key(&s),
        }
    }

    async fn produce(
        &self,
        dir: &Path,
        progress: Arc<Progress>,
    ) -> Result<(ExportSummary, Vec<Document>), Failure> {
        let lang = self.opts.lang;
        let (account, user_id) = self.avito.account(&self.profile, lang).await?;
        let out = dir.join(chats::file_name(&self.profile.name, clock::now()));
        let summary = super::export(&account, user_id, &self.opts, progress, &out)
            .await
            .map_err(|e| chats::failure(lang, e))?;
        let count = summary.parts.len();
        let docs = summary
            .parts
            .iter()
            .enumerate()
            .map(|(i, part)| Document {
                path: part.path.clone(),
                file_name: part
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "export.xlsx".to_owned()),
                caption: chats::caption(lang, &self.profile.name, i, count),
                what: format!("part {} of {count}", i + 1),
            })
            .collect();
        Ok((summary, docs))
    }

    fn done_text(&self, summary: &ExportSummary, progress: &Progress) -> String {
        let s = progress.snapshot();
        tracing::info!(
            chats = summary.chats,
            messages = summary.messages,
            parts = summary.parts.len(),
            "export sent"
        );
        chats::done_text(self.opts.lang, &self.name, summary, &s)
    }

    fn failed_text(&self, reason: &str) -> String {
        xf(
            self.opts.lang,
            X::Failed,
            &[("name", &self.name), ("reason", reason)],
        )
    }

    fn again(&self) -> Button {
        let again = match self.opts.since {
            Some(_) => ProfileAction::ExportRecentChats.on(self.profile.id),
            None => ProfileAction::ExportChats.on(self.profile.id),
        };
        Button {
            label: x(self.opts.lang, X::BtnRestart).to_owned(),
            data: again.encode(),
        }
    }
}
