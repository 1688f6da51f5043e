//! "Statistics to Excel" as a job of the bot, on the chat export's machinery: the same
//! `exports` table (kind `stats`, the period in `since`/`until`), queue, status message and
//! failure handling. The period dialogue queues it ([`request_from_hub`]); the export job
//! runner hands a statistics row to [`execute`].

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, InputFile, ParseMode};

use super::{Stage, StatsError, StatsOptions, StatsProgress, StatsSnapshot, StatsSummary};
use crate::context::AppState;
use crate::db::entities::{avito_profile, export};
use crate::db::exports::{self as store, Requested};
use crate::domain::Period;
use crate::export::job::{
    Failure, Finished, Pressed, Status, avito_failure, count, elapsed, internal, post_status,
    profile_account,
};
use crate::export::texts::{X, x, xf};
use crate::i18n::Lang;
use crate::report::html_escape;
use crate::telegram::TgBot;
use crate::telegram::callback::ProfileAction;

/// How often the status message is edited (Telegram allows about 20 messages a minute in a
/// chat).
const PROGRESS_EVERY: Duration = Duration::from_secs(4);

fn iso(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Records a statistics export of `profile` over `period` to `chat` and posts its status
/// message. The caller enqueues the job when the answer is [`Pressed::Queued`].
pub async fn request_from_hub(
    state: &AppState,
    bot: &TgBot,
    lang: Lang,
    profile: &avito_profile::Model,
    chat: ChatId,
    period: Period,
) -> anyhow::Result<Pressed> {
    let row = match store::request_stats(&state.db, profile.id, chat.into(), period).await? {
        Requested::AlreadyRunning(row) => {
            return Ok(Pressed::AlreadyRunning(xf(
                lang,
                X::StatsAlreadyRunning,
                &[
                    ("done", &count(lang, row.chats_done)),
                    ("known", &count(lang, row.chats_total.unwrap_or(0))),
                ],
            )));
        }
        Requested::Created(row) => row,
    };
    let text = xf(lang, X::StatsQueued, &args(&names(profile, period), &[]));
    post_status(state, bot, lang, chat, row.id, text).await
}

/// `name`, `from` and `to` for the status texts (the name HTML-escaped).
fn names(profile: &avito_profile::Model, period: Period) -> [(&'static str, String); 3] {
    [
        ("name", html_escape(&profile.name)),
        ("from", iso(period.from)),
        ("to", iso(period.to)),
    ]
}

fn args<'a>(
    base: &'a [(&'static str, String); 3],
    more: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    base.iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain(more.iter().copied())
        .collect()
}

fn progress_text(lang: Lang, base: &[(&'static str, String); 3], s: &StatsSnapshot) -> String {
    let items = count(lang, s.items);
    let stage = match s.stage {
        Stage::Totals => x(lang, X::StatsStageTotals).to_owned(),
        Stage::Listing => xf(lang, X::StatsStageListing, &[("items", &items)]),
        Stage::Items | Stage::Writing => xf(lang, X::StatsStageItems, &[("items", &items)]),
    };
    let (done, known, took) = (
        count(lang, s.pages_done),
        count(lang, s.pages_known),
        elapsed(s.elapsed),
    );
    xf(
        lang,
        X::StatsProgress,
        &args(
            base,
            &[
                ("stage", &stage),
                ("done", &done),
                ("known", &known),
                ("elapsed", &took),
            ],
        ),
    )
}

/// Runs the statistics export of `row` (marked running): the job body.
pub(in crate::export) async fn execute(
    state: &AppState,
    bot: &TgBot,
    row: &export::Model,
    profile: &avito_profile::Model,
    lang: Lang,
) -> anyhow::Result<Finished> {
    let chat = ChatId::from(row.chat_id);
    let Some(period) = row.since.zip(row.until).map(|(f, t)| Period::new(f, t)) else {
        // Only a row edited by hand lacks its period: nothing to ask Avito.
        let detail = "the statistics export has no period".to_owned();
        store::finish(&state.db, row.id, Default::default(), Some(detail.clone())).await?;
        return Ok(Finished::Failed {
            profile: Box::new(profile.clone()),
            detail,
            keys_refused: false,
        });
    };
    let base = names(profile, period);
    let mut status = Status {
        bot: bot.clone(),
        chat,
        message: row.progress_message_id,
        lang,
        name: base[0].1.clone(),
    };
    if status.message.is_none() {
        // The press posted one; a lost one is replaced.
        let first = progress_text(lang, &base, &StatsProgress::default().snapshot());
        match bot
            .send_message(chat, first)
            .parse_mode(ParseMode::Html)
            .await
        {
            Ok(m) => status.message = Some(m.id.0),
            Err(e) => tracing::warn!(error = %e, "cannot post the statistics export status"),
        }
    }
    let progress = Arc::new(StatsProgress::default());
    let ticker = {
        let (status, progress, db, base) = (
            status.clone(),
            progress.clone(),
            state.db.clone(),
            base.clone(),
        );
        let export_id = row.id;
        tokio::spawn(async move {
            let mut last = None;
            loop {
                let s = progress.snapshot();
                let shown = (s.stage, s.items, s.pages_done, s.pages_known);
                if last != Some(shown) {
                    last = Some(shown);
                    status.show(progress_text(lang, &base, &s), None).await;
                    if let Err(e) = store::progress(&db, export_id, s.into()).await {
                        tracing::warn!(error = %e, "cannot store export progress");
                    }
                }
                tokio::time::sleep(PROGRESS_EVERY).await;
            }
        })
    };
    let dir = std::env::temp_dir().join(format!(
        "avito-reports-stats-{}-{}",
        row.id,
        std::process::id()
    ));
    let opts = StatsOptions {
        period,
        lang,
        name: profile.name.clone(),
    };
    let outcome = stats_to_chat(state, bot, chat, profile, &opts, &dir, progress.clone()).await;
    ticker.abort();
    let _ = std::fs::remove_dir_all(&dir);
    let s = progress.snapshot();
    match outcome {
        Ok(summary) => {
            store::finish(&state.db, row.id, s.into(), None).await?;
            let (days, items, rows, took) = (
                count(lang, summary.days as u64),
                count(lang, summary.items as u64),
                count(lang, summary.rows as u64),
                elapsed(s.elapsed),
            );
            let text = xf(
                lang,
                X::StatsDone,
                &args(
                    &base,
                    &[
                        ("days", &days),
                        ("items", &items),
                        ("rows", &rows),
                        ("elapsed", &took),
                    ],
                ),
            );
            status.show(text, None).await;
            tracing::info!(
                days = summary.days,
                rows = summary.rows,
                "statistics export sent"
            );
            Ok(Finished::Done)
        }
        Err(failure) => {
            tracing::warn!(error = %failure.detail, "statistics export failed");
            // The period is asked again: "today" may have moved since.
            let again = InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::callback(
                x(lang, X::StatsBtnAgain),
                ProfileAction::ExportStats.on(profile.id).encode(),
            )]]);
            let text = xf(
                lang,
                X::StatsFailed,
                &args(&base, &[("reason", &failure.reason)]),
            );
            store::finish(&state.db, row.id, s.into(), Some(failure.detail.clone())).await?;
            status.show(text, Some(again)).await;
            Ok(Finished::Failed {
                profile: Box::new(profile.clone()),
                detail: failure.detail,
                keys_refused: failure.keys_refused,
            })
        }
    }
}

async fn stats_to_chat(
    state: &AppState,
    bot: &TgBot,
    chat: ChatId,
    profile: &avito_profile::Model,
    opts: &StatsOptions,
    dir: &Path,
    progress: Arc<StatsProgress>,
) -> Result<StatsSummary, Failure> {
    let lang = opts.lang;
    let internal = |e: String| internal(lang, e);
    let (account, user_id) = profile_account(state, profile, lang).await?;
    std::fs::create_dir_all(dir).map_err(|e| internal(e.to_string()))?;
    let out = dir.join(file_name(profile, opts.period));
    let summary = super::export_stats(&account, user_id, opts, progress, &out)
        .await
        .map_err(|e| match e {
            StatsError::Avito { what, source } => avito_failure(lang, what, &source),
            StatsError::Write(w) => Failure {
                reason: xf(
                    lang,
                    X::ReasonFile,
                    &[("error", &html_escape(&w.to_string()))],
                ),
                detail: w.to_string(),
                keys_refused: false,
            },
            StatsError::WriterGone => internal(e.to_string()),
        })?;
    // Captions are plain text: the name goes as it is.
    let caption = xf(
        lang,
        X::StatsFileCaption,
        &[
            ("name", &profile.name),
            ("from", &iso(opts.period.from)),
            ("to", &iso(opts.period.to)),
        ],
    );
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "stats.xlsx".to_owned());
    bot.send_document(chat, InputFile::file(out.clone()).file_name(name))
        .caption(caption)
        .await
        .map_err(|e| Failure {
            reason: xf(
                lang,
                X::ReasonTelegram,
                &[("error", &html_escape(&e.to_string()))],
            ),
            detail: format!("sending the workbook: {e}"),
            keys_refused: false,
        })?;
    Ok(summary)
}

/// `avito-stats-<profile>-<from>-<to>.xlsx`, with the profile name reduced to safe characters.
fn file_name(profile: &avito_profile::Model, period: Period) -> String {
    let name: String = profile
        .name
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .take(40)
        .collect();
    format!(
        "avito-stats-{name}-{}-{}.xlsx",
        iso(period.from),
        iso(period.to)
    )
}
