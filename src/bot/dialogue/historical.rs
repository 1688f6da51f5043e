//! The period dialogue of the historical report and of "Statistics to Excel": start date →
//! end date (YYYY-MM-DD, the report engine's rules, "today" in the task's time zone), then
//! the report, or the statistics export queued.
//!
//! A refused date names the rule it broke and the same step is asked again.

use chrono::{Duration, NaiveDate};

use super::input::Input;
use super::prompts::iso;
use crate::bot::access::Owned;
use crate::bot::ports::{DialogueStore, Effects, Export};
use crate::bot::steps::Purpose;
use crate::bot::texts::{T, tf};
use crate::bot::views::words;
use crate::db::tasks::RunKind;
use crate::domain::{ProfileId, clock};
use crate::export::job::Pressed;
use crate::i18n::Lang;
use crate::report::period::{parse_date, today_in};
use crate::report::{Period, PeriodError, html_escape};

/// "Today" in the task's time zone (UTC while the zone is damaged), as the period rules
/// count it.
pub fn today(o: &Owned, now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    today_in(words::shown_tz(&o.task), now)
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

pub async fn on_start(
    ctx: &Input<'_>,
    profile_id: ProfileId,
    purpose: Purpose,
) -> anyhow::Result<()> {
    let Some(o) = ctx.profile(profile_id).await? else {
        return Ok(());
    };
    let today = today(&o, clock::now());
    // The start alone must be a real day that is neither in the future nor too far back.
    let start = match parse_date(ctx.text).and_then(|d| Period::checked(d, d, today).map(|_| d)) {
        Ok(start) => start,
        Err(e) => return ctx.reply(problem(ctx.lang, &e, today)).await,
    };
    ctx.live()
        .enter(purpose.end_step(profile_id, start))
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
    let Some(o) = ctx.profile(profile_id).await? else {
        return Ok(());
    };
    let today = today(&o, clock::now());
    let period = match Period::parse_range(&iso(start), ctx.text, today) {
        Ok(period) => period,
        Err(e @ PeriodError::TooFarBack { .. }) => {
            // The start aged out while the user was typing (a day passed): ask for it again.
            ctx.live().enter(purpose.start_step(profile_id)).await?;
            return ctx.reply(problem(ctx.lang, &e, today)).await;
        }
        Err(e) => return ctx.reply(problem(ctx.lang, &e, today)).await,
    };
    ctx.live().exit().await?;
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
    ctx.live()
        .report(ctx.lang, &o, period, RunKind::Historical)
        .await
}

/// Queues the statistics export of `period`; its status message says the rest.
async fn stats_export(ctx: &Input<'_>, o: &Owned, period: Period) -> anyhow::Result<()> {
    let live = ctx.live();
    match live
        .export(ctx.lang, &o.profile, Export::Stats(period))
        .await?
    {
        Pressed::AlreadyRunning(text) => ctx.reply(text).await,
        Pressed::Queued { .. } => Ok(()),
    }
}
