//! Sending reports built by the report engine to a chat, and recording each delivery in
//! `report_runs` (the profile card shows the latest one).

use crate::telegram::{TgBot, destination_lost, send_chunks_marked, send_pictures};
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::ChatAction;

use super::access::Owned;
use super::texts::{T, t, tf};
use super::ui;
use super::views::words;
use crate::context::AppState;
use crate::db::entities::{avito_profile, report_task};
use crate::db::tasks::{self, NewRun, RunKind};
use crate::domain::ProfileId;
use crate::i18n::Lang;
use crate::metrics;
use crate::report::service::chart_pictures;
use crate::report::{Period, ProfileSource, ReportOptions, ReportService, html_escape};

/// Why a report could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("the profile's stored secret cannot be read: {0}")]
    Secret(String),
    #[error("Telegram refused the report: {0}")]
    Telegram(#[from] RequestError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Damaged(#[from] crate::domain::DamagedSetting),
}

impl DeliveryError {
    /// A short reason for the user, in their language.
    pub fn reason(&self, lang: Lang) -> String {
        match self {
            DeliveryError::Telegram(e) if destination_lost(e) => t(lang, T::ReasonBlocked),
            DeliveryError::Telegram(_) => t(lang, T::ReasonTelegram),
            DeliveryError::Damaged(d) => words::damaged(lang, d),
            _ => t(lang, T::ErrorGeneric),
        }
    }
}

/// The profile as the report engine takes it, with its secret decrypted.
pub fn profile_source(
    state: &AppState,
    profile: &avito_profile::Model,
) -> Result<ProfileSource, DeliveryError> {
    ProfileSource::from_profile(profile, &state.secrets)
        .map_err(|e| DeliveryError::Secret(e.to_string()))
}

/// A report ready to send: its text as HTML chunks and its pictures (file name, PNG).
pub type Built = (Vec<String>, Vec<(String, Vec<u8>)>);

/// Builds a combined report (one profile or many) as HTML chunks, with its charts as
/// pictures when `charts` (none otherwise, or when nothing can be drawn). A profile whose
/// keys Avito refused is marked "needs new keys" (its owner told once, see [`crate::keys`]).
pub async fn build_report(
    bot: &TgBot,
    state: &AppState,
    sources: Vec<ProfileSource>,
    options: ReportOptions,
    charts: bool,
) -> Built {
    let made = ReportService::new(state.avito.clone())
        .with_history(state.db.clone())
        .make_html(&sources, &options, charts)
        .await;
    keys_refused(bot, state, &made.keys_refused).await;
    (made.chunks, chart_pictures(made.charts).await)
}

/// Marks each profile of `ids` "needs new keys"; a failure is logged (the report, which says
/// why, still goes).
async fn keys_refused(bot: &TgBot, state: &AppState, ids: &[ProfileId]) {
    if ids.is_empty() {
        return;
    }
    let ctx = crate::context::JobContext::new(state.clone(), bot.clone());
    for &id in ids {
        let marked = match crate::db::profiles::find(&state.db, id).await {
            Ok(Some(profile)) => crate::keys::refused(&ctx, &profile).await.map(|_| ()),
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = marked {
            tracing::warn!(profile_id = id.0, error = %e, "cannot mark the profile's keys refused");
        }
    }
}

/// Sends a report: its pictures (one photo message each), then its text. Pictures that cannot be
/// sent are logged and the text goes all the same.
pub async fn send_report(
    bot: &TgBot,
    chat: ChatId,
    lang: Lang,
    (chunks, pictures): Built,
) -> Result<(), RequestError> {
    if let Err(e) = send_pictures(bot, chat, &pictures).await {
        tracing::warn!(chat_id = chat.0, error = %e, "the report's charts were not sent; its text goes alone");
    }
    send_chunks_marked(bot, chat, chunks, lang).await
}

/// A profile's on-demand report: to its destination chat, or `here` when it has none. When
/// the report goes elsewhere (or fails), `here` is told.
pub async fn report_and_tell(
    bot: &TgBot,
    state: &AppState,
    lang: Lang,
    o: &Owned,
    period: Period,
    kind: RunKind,
    here: ChatId,
) -> anyhow::Result<()> {
    let dest = o.task.chat_id.map_or(here, ChatId::from);
    let job = Job {
        profile: &o.profile,
        task: &o.task,
        period,
        kind,
        dest,
    };
    let result = profile_report(bot, state, lang, job).await;
    // With no report chat set the report went here: say so, not "not chosen".
    let chat_name = if dest == here {
        t(lang, T::ChatThis)
    } else {
        words::chat(lang, &o.task, o.profile.owner_id)
    };
    let note = match &result {
        Ok(()) if dest == here => None,
        Ok(()) => Some(tf(
            lang,
            T::ReportSentTo,
            &[
                ("name", &html_escape(&o.profile.name)),
                ("chat", &chat_name),
            ],
        )),
        Err(e) => Some(tf(
            lang,
            T::ReportFailed,
            &[
                ("chat", &chat_name),
                ("reason", &html_escape(&e.reason(lang))),
            ],
        )),
    };
    if let Some(note) = note {
        ui::send_html(bot, here, note).await?;
    }
    Ok(())
}

/// One report delivery.
pub struct Job<'a> {
    pub profile: &'a avito_profile::Model,
    pub task: &'a report_task::Model,
    pub period: Period,
    pub kind: RunKind,
    pub dest: ChatId,
}

/// One profile's report into `job.dest`, recorded as a run.
pub async fn profile_report(
    bot: &TgBot,
    state: &AppState,
    lang: Lang,
    job: Job<'_>,
) -> Result<(), DeliveryError> {
    let Job {
        profile,
        task,
        period,
        kind,
        dest,
    } = job;
    let run_id = tasks::start_run(
        &state.db,
        NewRun {
            task_id: Some(task.id),
            profile_id: Some(profile.id),
            kind,
            chat_id: dest.into(),
            period_start: period.from,
            period_end: period.to,
        },
    )
    .await?;
    let outcome = async {
        let source = profile_source(state, profile)?;
        let options = ReportOptions {
            period,
            metrics: task.metrics.get()?.clone(),
            tz: words::task_tz(task)?,
            lang,
            deadline: Some(state.settings.report_deadline),
            listings: crate::listings::fetch::Reuse::waiting(profile.listing_pages),
        };
        // A report can take a while (Avito's 1/min endpoints): show that the bot is working.
        let _ = bot
            .unpaced()
            .send_chat_action(dest, ChatAction::Typing)
            .await;
        let report = build_report(bot, state, vec![source], options, task.charts).await;
        send_report(bot, dest, lang, report).await?;
        Ok::<(), DeliveryError>(())
    }
    .await;
    let error = outcome.as_ref().err().map(ToString::to_string);
    if let Err(e) = tasks::finish_run(&state.db, run_id, error).await {
        tracing::warn!(run_id = run_id.0, error = %e, "cannot record the report run's outcome");
    }
    match &outcome {
        Ok(()) => metrics::report_sent(kind),
        Err(_) => metrics::report_failed(kind),
    }
    match &outcome {
        Ok(()) => tracing::info!(
            profile_id = profile.id.0,
            chat_id = dest.0,
            kind = kind.slug(),
            "report delivered"
        ),
        Err(e) => {
            tracing::warn!(profile_id = profile.id.0, chat_id = dest.0, kind = kind.slug(), error = %e, "report not delivered")
        }
    }
    outcome
}
