//! The period dialogue of the historical report and of "Statistics to Excel": start date →
//! end date (YYYY-MM-DD, the report engine's rules, "today" in the task's time zone), then
//! the report, or the statistics export queued.
//!
//! A refused date names the rule it broke and the same step is asked again.

use chrono::{Duration, NaiveDate};

use super::{Input, State};
use crate::bot::access::{self, Owned};
use crate::bot::delivery;
use crate::bot::hub::words;
use crate::bot::texts::{T, tf};
use crate::db::tasks::RunKind;
use crate::domain::{ProfileId, clock};
use crate::i18n::Lang;
use crate::report::period::{earliest_day, parse_date, today_in};
use crate::report::{Period, PeriodError, html_escape};

/// What the period is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Report,
    StatsExport,
}

impl Purpose {
    fn start_step(self, profile_id: ProfileId) -> State {
        match self {
            Purpose::Report => State::HistoricalStart { profile_id },
            Purpose::StatsExport => State::StatsStart { profile_id },
        }
    }

    fn end_step(self, profile_id: ProfileId, start: NaiveDate) -> State {
        match self {
            Purpose::Report => State::HistoricalEnd { profile_id, start },
            Purpose::StatsExport => State::StatsEnd { profile_id, start },
        }
    }
}

fn today(o: &Owned) -> NaiveDate {
    today_in(words::shown_tz(&o.task), clock::now())
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub fn ask_start(lang: Lang, o: &Owned, purpose: Purpose) -> String {
    let today = today(o);
    tf(
        lang,
        match purpose {
            Purpose::Report => T::HistAskStart,
            Purpose::StatsExport => T::StatsAskStart,
        },
        &[
            ("name", &html_escape(&o.profile.name)),
            ("example", &iso(today - Duration::days(7))),
            ("earliest", &iso(earliest_day(today))),
        ],
    )
}

/// The rule a date broke, in the user's words.
fn problem(lang: Lang, e: &PeriodError, today: NaiveDate) -> String {
    let example = iso(today - Duration::days(1));
    match e {
        PeriodError::BadDate { input } => tf(
            lang,
            T::HistBadDate,
            &[("input", &html_escape(input)), ("example", &example)],
        ),
        PeriodError::StartAfterEnd { from, to } => tf(
            lang,
            T::HistStartAfterEnd,
            &[("start", &iso(*from)), ("end", &iso(*to))],
        ),
        PeriodError::InFuture { to, today } => tf(
            lang,
            T::HistInFuture,
            &[("date", &iso(*to)), ("today", &iso(*today))],
        ),
        PeriodError::TooFarBack { from, earliest } => tf(
            lang,
            T::HistTooFar,
            &[("date", &iso(*from)), ("earliest", &iso(*earliest))],
        ),
    }
}

async fn profile(ctx: &Input<'_>, profile_id: ProfileId) -> anyhow::Result<Option<Owned>> {
    match access::owned(ctx.state, profile_id, ctx.user_id).await? {
        Ok(o) => Ok(Some(o)),
        Err(_) => {
            ctx.dialogue.exit().await?;
            ctx.reply(crate::bot::texts::t(ctx.lang, T::AlertStale))
                .await?;
            Ok(None)
        }
    }
}

pub async fn on_start(
    ctx: &Input<'_>,
    profile_id: ProfileId,
    purpose: Purpose,
) -> anyhow::Result<()> {
    let Some(o) = profile(ctx, profile_id).await? else {
        return Ok(());
    };
    let today = today(&o);
    // The start alone must be a real day that is neither in the future nor too far back.
    let start = match parse_date(ctx.text).and_then(|d| Period::checked(d, d, today).map(|_| d)) {
        Ok(start) => start,
        Err(e) => return ctx.reply(problem(ctx.lang, &e, today)).await,
    };
    ctx.dialogue
        .update(purpose.end_step(profile_id, start))
        .await?;
    ctx.reply(tf(
        ctx.lang,
        T::HistAskEnd,
        &[("start", &iso(start)), ("today", &iso(today))],
    ))
    .await
}

pub async fn on_end(
    ctx: &Input<'_>,
    profile_id: ProfileId,
    start: NaiveDate,
    purpose: Purpose,
) -> anyhow::Result<()> {
    let Some(o) = profile(ctx, profile_id).await? else {
        return Ok(());
    };
    let today = today(&o);
    let period = match Period::parse_range(&iso(start), ctx.text, today) {
        Ok(period) => period,
        Err(e @ PeriodError::TooFarBack { .. }) => {
            // The start aged out while the user was typing (a day passed): ask for it again.
            ctx.dialogue.update(purpose.start_step(profile_id)).await?;
            return ctx.reply(problem(ctx.lang, &e, today)).await;
        }
        Err(e) => return ctx.reply(problem(ctx.lang, &e, today)).await,
    };
    ctx.dialogue.exit().await?;
    if purpose == Purpose::StatsExport {
        return stats_export(ctx, &o, period).await;
    }
    ctx.reply(tf(
        ctx.lang,
        T::HistPreparing,
        &[
            ("name", &html_escape(&o.profile.name)),
            ("from", &iso(period.from)),
            ("to", &iso(period.to)),
        ],
    ))
    .await?;
    delivery::report_and_tell(
        ctx.bot,
        ctx.state,
        ctx.lang,
        &o,
        period,
        RunKind::Historical,
        ctx.msg.chat.id,
    )
    .await
}

/// Queues the statistics export of `period`; its status message says the rest.
async fn stats_export(ctx: &Input<'_>, o: &Owned, period: Period) -> anyhow::Result<()> {
    use crate::export::job::Pressed;
    let chat = ctx.msg.chat.id;
    let pressed = crate::export::stats::job::request_from_hub(
        ctx.state, ctx.bot, ctx.lang, &o.profile, chat, period,
    )
    .await?;
    match pressed {
        Pressed::AlreadyRunning(text) => ctx.reply(text).await,
        Pressed::Queued { export_id, .. } => {
            if let Err(e) = ctx.state.jobs.enqueue_export(export_id).await {
                crate::db::exports::abandon(&ctx.state.db, export_id, &e.to_string()).await?;
                return Err(e.into());
            }
            Ok(())
        }
    }
}
