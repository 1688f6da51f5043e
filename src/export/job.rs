//! The export as a background job of the bot: a press on "export chats" queues it
//! ([`request_from_hub`]), the job runner calls [`run`], which exports, keeps a status message
//! up to date, and sends the workbook (or says what failed, with a button to try again).
//!
//! [`run`] is safe to call again for the same export: a finished or failed export is left
//! alone, and one marked running (interrupted by a crash) starts over from scratch.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use chrono_tz::Tz;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, InputFile, ParseMode};
use teloxide::{ApiError, RequestError};

use super::texts::{X, x, xf};
use super::{ExportError, ExportOptions, ExportSummary, Progress, Snapshot};
use crate::avito::{AvitoError, Credentials};
use crate::context::AppState;
use crate::db::entities::avito_profile;
use crate::db::exports::{self as store, Requested};
use crate::db::{profiles, tasks, users};
use crate::domain::{AccountId, ExportId, clock};
use crate::i18n::Lang;
use crate::metrics;
use crate::ops::AlertCause;
use crate::report::html_escape;
use crate::telegram::TgBot;
use crate::telegram::callback::ProfileAction;

/// How often the status message is edited. Telegram allows about 20 messages a minute in a
/// chat; edits every few seconds leave room for the files.
const PROGRESS_EVERY: Duration = Duration::from_secs(4);
/// Chat ids named in the final note at most (the message must stay under 4096 characters).
const NOTE_MAX_CHATS: usize = 20;

/// What a press of "export chats" did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pressed {
    /// Queued: the export with this id is to be enqueued; tell the user with this toast.
    Queued { export_id: ExportId, toast: String },
    /// One is already running: say so (an alert).
    AlreadyRunning(String),
}

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
    let row = match store::request(&state.db, profile.id, chat.into(), since).await? {
        Requested::AlreadyRunning(row) => {
            return Ok(Pressed::AlreadyRunning(xf(
                lang,
                X::AlreadyRunning,
                &[
                    ("done", &count(lang, row.chats_done)),
                    ("known", &count(lang, row.chats_total.unwrap_or(0))),
                ],
            )));
        }
        Requested::Created(row) => row,
    };
    let text = xf(
        lang,
        X::Queued,
        &[("name", &shown_name(lang, profile, since))],
    );
    post_status(state, bot, lang, chat, row.id, text).await
}

/// Posts a requested export's status message `text` and records it; a request whose message
/// cannot be posted is abandoned, not left queued (it would block the profile's next export).
pub(super) async fn post_status(
    state: &AppState,
    bot: &TgBot,
    lang: Lang,
    chat: ChatId,
    export_id: ExportId,
    text: String,
) -> anyhow::Result<Pressed> {
    let sent = match bot
        .send_message(chat, text)
        .parse_mode(ParseMode::Html)
        .await
    {
        Ok(sent) => sent,
        Err(e) => {
            store::abandon(&state.db, export_id, &e.to_string()).await?;
            return Err(e.into());
        }
    };
    store::set_progress_message(&state.db, export_id, sent.id.0).await?;
    Ok(Pressed::Queued {
        export_id,
        toast: x(lang, X::Started).to_owned(),
    })
}

/// The export job, as the job runner calls it. An export that failed for good (after the
/// client's retries) is also an alert to the admin.
pub async fn run(ctx: &crate::context::JobContext, export_id: ExportId) -> anyhow::Result<()> {
    if let Finished::Failed {
        profile,
        detail,
        keys_refused,
    } = execute(&ctx.state, &ctx.bot, export_id).await?
    {
        // Refused keys are the owner's to fix, and the operator hears of them once there.
        if keys_refused {
            crate::keys::refused(ctx, &profile).await?;
            return Ok(());
        }
        let text = format!(
            "Export #{export_id} of profile #{} failed: {}",
            profile.id,
            html_escape(&detail)
        );
        ctx.alerts.raise(AlertCause::DeadJobs, text).await;
    }
    Ok(())
}

/// How an export job ended.
pub(super) enum Finished {
    /// Sent, or nothing to do (already finished, profile gone).
    Done,
    /// The user was told what failed and offered a restart.
    Failed {
        profile: Box<avito_profile::Model>,
        detail: String,
        keys_refused: bool,
    },
}

/// Runs export `export_id`: the job body.
#[tracing::instrument(name = "export_job", skip_all, fields(export_id, profile_id, chat_id))]
async fn execute(state: &AppState, bot: &TgBot, export_id: ExportId) -> anyhow::Result<Finished> {
    let Some(row) = store::start(&state.db, export_id).await? else {
        tracing::info!("export already finished or gone: nothing to do");
        return Ok(Finished::Done);
    };
    let span = tracing::Span::current();
    span.record("profile_id", row.profile_id.0);
    span.record("chat_id", row.chat_id.0);
    let _running = metrics::export_started();
    let chat = ChatId::from(row.chat_id);
    let Some(profile) = profiles::find(&state.db, row.profile_id).await? else {
        // The profile was deleted (its exports cascade); nothing to tell.
        return Ok(Finished::Done);
    };
    let lang = users::find(&state.db, profile.owner_id)
        .await?
        .map(|u| Lang::from_code(u.language_code.as_deref()))
        .unwrap_or(Lang::Ru);
    if row.kind == crate::domain::ExportKind::Stats {
        return super::stats::job::execute(state, bot, &row, &profile, lang).await;
    }
    let task = tasks::ensure(&state.db, profile.id).await?;
    // Times in the workbook are in the profile's zone; a damaged zone setting (the hub asks
    // the owner to set it again) gives UTC, said in the log, rather than a guess.
    let tz: Tz = task.time_zone.value().map_or_else(
        || {
            tracing::warn!(
                task_id = task.id.0,
                "the task's time zone is damaged; the export uses UTC"
            );
            chrono_tz::UTC
        },
        |z| z.tz(),
    );
    let name = shown_name(lang, &profile, row.since);
    let status = Status {
        bot: bot.clone(),
        chat,
        message: row.progress_message_id,
        lang,
        name: name.clone(),
    };
    let status = status.ensure().await;
    let progress = Arc::new(Progress::default());
    let ticker = {
        let (status, progress, db) = (status.clone(), progress.clone(), state.db.clone());
        tokio::spawn(async move {
            let mut last = None;
            loop {
                tokio::time::sleep(PROGRESS_EVERY).await;
                let s = progress.snapshot();
                let shown = (s.chats_done, s.chats_known, s.messages, s.listing_done);
                if last == Some(shown) {
                    continue;
                }
                last = Some(shown);
                status
                    .show(progress_text(lang, &status.name, &s), None)
                    .await;
                if let Err(e) = store::progress(&db, export_id, s.into()).await {
                    tracing::warn!(error = %e, "cannot store export progress");
                }
            }
        })
    };
    let dir = std::env::temp_dir().join(format!(
        "avito-reports-export-{export_id}-{}",
        std::process::id()
    ));
    let outcome = export_to_chat(
        state,
        bot,
        chat,
        &profile,
        ExportOptions {
            since: row.since,
            ..ExportOptions::new(tz, lang)
        },
        &dir,
        progress.clone(),
    )
    .await;
    ticker.abort();
    let _ = std::fs::remove_dir_all(&dir);
    let s = progress.snapshot();
    match outcome {
        Ok(summary) => {
            // The row first: what the user reads is then already recorded.
            store::finish(&state.db, export_id, s.into(), None).await?;
            status
                .show(done_text(lang, &name, &summary, &s), None)
                .await;
            tracing::info!(
                chats = summary.chats,
                messages = summary.messages,
                parts = summary.parts.len(),
                "export sent"
            );
            Ok(Finished::Done)
        }
        Err(failure) => {
            tracing::warn!(error = %failure.detail, "export failed");
            let again = match row.since {
                Some(_) => ProfileAction::ExportRecentChats.on(profile.id),
                None => ProfileAction::ExportChats.on(profile.id),
            };
            let restart = InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::callback(
                x(lang, X::BtnRestart),
                again.encode(),
            )]]);
            let text = xf(
                lang,
                X::Failed,
                &[("name", &name), ("reason", &failure.reason)],
            );
            store::finish(&state.db, export_id, s.into(), Some(failure.detail.clone())).await?;
            status.show(text, Some(restart)).await;
            Ok(Finished::Failed {
                profile: Box::new(profile),
                detail: failure.detail,
                keys_refused: failure.keys_refused,
            })
        }
    }
}

/// The profile's name (HTML-escaped) as the status message shows it, with the period when
/// only recent chats are exported.
fn shown_name(lang: Lang, profile: &avito_profile::Model, since: Option<NaiveDate>) -> String {
    let name = html_escape(&profile.name);
    match since {
        Some(date) => {
            let note = xf(
                lang,
                X::SinceNote,
                &[("date", &date.format("%Y-%m-%d").to_string())],
            );
            format!("{name} ({note})")
        }
        None => name,
    }
}

/// A count as the reports write numbers (1,250 / 1 250).
pub(super) fn count(lang: Lang, n: impl TryInto<i64>) -> String {
    crate::report::format::integer(n.try_into().unwrap_or(i64::MAX), lang)
}

/// A failed export: what the user reads, and what the row records.
pub(super) struct Failure {
    pub(super) reason: String,
    pub(super) detail: String,
    /// Avito refused the profile's keys: the profile is marked (see [`crate::keys`]).
    pub(super) keys_refused: bool,
}

async fn export_to_chat(
    state: &AppState,
    bot: &TgBot,
    chat: ChatId,
    profile: &avito_profile::Model,
    opts: ExportOptions,
    dir: &Path,
    progress: Arc<Progress>,
) -> Result<ExportSummary, Failure> {
    let lang = opts.lang;
    let (account, user_id) = profile_account(state, profile, lang).await?;
    std::fs::create_dir_all(dir).map_err(|e| internal(lang, e.to_string()))?;
    let out = dir.join(file_name(profile));
    let summary = super::export(&account, user_id, &opts, progress, &out)
        .await
        .map_err(|e| match e {
            ExportError::Avito { what, source } => avito_failure(lang, &what, &source),
            ExportError::NoMessengerAccess => Failure {
                reason: x(lang, X::ReasonNoMessenger).to_owned(),
                detail: ExportError::NoMessengerAccess.to_string(),
                keys_refused: false,
            },
            ExportError::Write(w) => Failure {
                reason: xf(
                    lang,
                    X::ReasonFile,
                    &[("error", &html_escape(&w.to_string()))],
                ),
                detail: w.to_string(),
                keys_refused: false,
            },
            ExportError::WriterGone => internal(lang, e.to_string()),
        })?;
    send_parts(bot, chat, profile, lang, &summary).await?;
    Ok(summary)
}

/// A failure of ours (not Avito's), told with its detail.
pub(super) fn internal(lang: Lang, e: String) -> Failure {
    Failure {
        reason: xf(lang, X::ReasonInternal, &[("error", &html_escape(&e))]),
        detail: e,
        keys_refused: false,
    }
}

/// The profile's Avito account and its id (asked of Avito when not stored), or the failure
/// the owner is told.
pub(super) async fn profile_account(
    state: &AppState,
    profile: &avito_profile::Model,
    lang: Lang,
) -> Result<(crate::avito::Account, AccountId), Failure> {
    let secret = state
        .secrets
        .decrypt(&profile.client_secret_enc)
        .map_err(|e| internal(lang, format!("the stored secret cannot be read: {e}")))?;
    let creds =
        Credentials::new(&profile.client_id, &secret).map_err(|e| internal(lang, e.to_string()))?;
    let account = state.avito.account(creds);
    let user_id = match profile.avito_user_id {
        Some(id) => id,
        None => account
            .account_id()
            .await
            .map_err(|e| avito_failure(lang, "the account", &e))?,
    };
    Ok((account, user_id))
}

pub(super) fn avito_failure(lang: Lang, what: &str, e: &AvitoError) -> Failure {
    let error = html_escape(&e.to_string());
    let reason = match e {
        AvitoError::InvalidCredentials => x(lang, X::ReasonCredentials).to_owned(),
        AvitoError::Forbidden { .. } => xf(lang, X::ReasonForbidden, &[("error", &error)]),
        _ => xf(
            lang,
            X::ReasonAvito,
            &[("what", &html_escape(what)), ("error", &error)],
        ),
    };
    Failure {
        reason,
        detail: format!("{what}: {e}"),
        keys_refused: matches!(e, AvitoError::InvalidCredentials),
    }
}

/// Sends the workbook, or its numbered parts, as documents.
async fn send_parts(
    bot: &TgBot,
    chat: ChatId,
    profile: &avito_profile::Model,
    lang: Lang,
    summary: &ExportSummary,
) -> Result<(), Failure> {
    let count = summary.parts.len();
    for (i, part) in summary.parts.iter().enumerate() {
        // Captions are plain text: the name goes as it is.
        let caption = if count > 1 {
            xf(
                lang,
                X::PartCaption,
                &[
                    ("name", &profile.name),
                    ("part", &(i + 1).to_string()),
                    ("parts", &count.to_string()),
                ],
            )
        } else {
            xf(lang, X::FileCaption, &[("name", &profile.name)])
        };
        let file_name = part
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "export.xlsx".to_owned());
        bot.send_document(
            chat,
            InputFile::file(part.path.clone()).file_name(file_name),
        )
        .caption(caption)
        .await
        .map_err(|e| Failure {
            reason: xf(
                lang,
                X::ReasonTelegram,
                &[("error", &html_escape(&e.to_string()))],
            ),
            detail: format!("sending part {} of {count}: {e}", i + 1),
            keys_refused: false,
        })?;
    }
    Ok(())
}

/// `avito-chats-<profile>-<date>.xlsx`, with the profile name reduced to safe characters.
fn file_name(profile: &avito_profile::Model) -> String {
    let name: String = profile
        .name
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .take(40)
        .collect();
    format!(
        "avito-chats-{name}-{}.xlsx",
        clock::now().format("%Y-%m-%d")
    )
}

pub(super) fn elapsed(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}", s / 60, s % 60)
}

fn progress_text(lang: Lang, name: &str, s: &Snapshot) -> String {
    xf(
        lang,
        X::Progress,
        &[
            ("name", name),
            ("done", &count(lang, s.chats_done)),
            ("known", &count(lang, s.chats_known)),
            (
                "more",
                if s.listing_done {
                    ""
                } else {
                    x(lang, X::ProgressMore)
                },
            ),
            ("messages", &count(lang, s.messages)),
            ("elapsed", &elapsed(s.elapsed)),
        ],
    )
}

fn done_text(lang: Lang, name: &str, summary: &ExportSummary, s: &Snapshot) -> String {
    let files = if summary.parts.len() > 1 {
        xf(
            lang,
            X::DoneParts,
            &[("parts", &summary.parts.len().to_string())],
        )
    } else {
        x(lang, X::DoneOneFile).to_owned()
    };
    let mut text = xf(
        lang,
        X::Done,
        &[
            ("name", name),
            ("chats", &count(lang, summary.chats)),
            ("messages", &count(lang, summary.messages)),
            ("elapsed", &elapsed(s.elapsed)),
            ("files", &files),
        ],
    );
    let truncated = &summary.gaps.truncated_chats;
    if !truncated.is_empty() {
        let mut named: Vec<String> = truncated
            .iter()
            .take(NOTE_MAX_CHATS)
            .map(|id| html_escape(id))
            .collect();
        if truncated.len() > NOTE_MAX_CHATS {
            named.push(format!("… (+{})", truncated.len() - NOTE_MAX_CHATS));
        }
        text.push_str("\n\n");
        text.push_str(&xf(
            lang,
            X::NoteTruncated,
            &[
                ("limit", &super::collect::MESSAGES_CEILING.to_string()),
                ("chats", &named.join(", ")),
            ],
        ));
    }
    if !summary.gaps.unlisted.is_empty() {
        text.push_str("\n\n");
        text.push_str(&xf(
            lang,
            X::NoteUnlisted,
            &[
                ("limit", &super::collect::LISTING_CEILING.to_string()),
                ("what", &html_escape(&summary.gaps.unlisted.join(", "))),
            ],
        ));
    }
    text
}

/// The status message of one export.
#[derive(Clone)]
pub(super) struct Status {
    pub(super) bot: TgBot,
    pub(super) chat: ChatId,
    pub(super) message: Option<i32>,
    pub(super) lang: Lang,
    pub(super) name: String,
}

impl Status {
    /// Makes sure there is a status message (the press posted one; a lost one is replaced).
    async fn ensure(mut self) -> Self {
        if self.message.is_none() {
            let text = progress_text(self.lang, &self.name, &Progress::default().snapshot());
            match self
                .bot
                .send_message(self.chat, text)
                .parse_mode(ParseMode::Html)
                .await
            {
                Ok(m) => self.message = Some(m.id.0),
                Err(e) => tracing::warn!(error = %e, "cannot post the export status"),
            }
        }
        self
    }

    /// Shows `text`; a message that did not change is fine, and a status that cannot be shown
    /// does not stop the export.
    pub(super) async fn show(&self, text: String, keyboard: Option<InlineKeyboardMarkup>) {
        let Some(id) = self.message else {
            return;
        };
        let mut edit = self
            .bot
            .edit_message_text(self.chat, teloxide::types::MessageId(id), text)
            .parse_mode(ParseMode::Html);
        if let Some(k) = keyboard {
            edit = edit.reply_markup(k);
        }
        match edit.await {
            Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => {}
            Err(e) => tracing::warn!(error = %e, "cannot update the export status"),
        }
    }
}
