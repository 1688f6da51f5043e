//! Settings typed in a dialogue step: a time, a zone, a number of days, a day of the month,
//! a new name, or a message forwarded from the report chat. Each is parsed by a pure function
//! of [`super::inputs`], stored, and answered with the stored result as a new hub message.

use teloxide::types::MessageOrigin;

use super::input::Input;
use super::inputs::{interval, month_day, name, time, time_zone};
use crate::bot::access::Owned;
use crate::bot::ports::{Change, Chat, DialogueStore, Effects, SettingsStore};
use crate::bot::texts::{T, t, tf};
use crate::bot::ui::Screen;
use crate::bot::views::{screens, words};
use crate::db::tasks::ScheduleChange;
use crate::domain::{ProfileId, Zone};
use crate::i18n::Lang;
use crate::report::html_escape;

/// After a typed change: leave the dialogue and show the stored result as a new hub message.
async fn done(
    ctx: &Input<'_>,
    profile_id: ProfileId,
    render: fn(Lang, &Owned) -> Screen,
    notice: impl FnOnce(&Owned) -> String,
) -> anyhow::Result<()> {
    let live = ctx.live();
    live.exit().await?;
    if let Ok(o) = live.owned(profile_id, ctx.user_id()).await? {
        let screen = render(ctx.lang, &o).with_notice(&notice(&o));
        live.send(screen).await?;
    }
    Ok(())
}

/// A typed value that changes the schedule: stored, then the stored result shown with
/// `notice`. A value that does not parse is answered with the problem, and the step stays.
async fn change_typed(
    ctx: &Input<'_>,
    profile_id: ProfileId,
    parsed: Result<ScheduleChange, String>,
    render: fn(Lang, &Owned) -> Screen,
    notice: impl FnOnce(&Owned) -> String,
) -> anyhow::Result<()> {
    let Some(o) = ctx.profile(profile_id).await? else {
        return Ok(());
    };
    match parsed {
        Err(problem) => ctx.reply(problem).await,
        Ok(change) => {
            ctx.live().apply(&o, Change::Schedule(change)).await?;
            done(ctx, profile_id, render, notice).await
        }
    }
}

pub async fn on_time(ctx: &Input<'_>, profile_id: ProfileId) -> anyhow::Result<()> {
    let parsed = time(ctx.lang, ctx.text);
    let notice = parsed
        .as_ref()
        .map(|at| tf(ctx.lang, T::TimeSaved, &[("time", &at.to_string())]))
        .unwrap_or_default();
    let change = parsed.map(ScheduleChange::TimeOfDay);
    change_typed(ctx, profile_id, change, screens::settings, |_| notice).await
}

pub async fn on_time_zone(ctx: &Input<'_>, profile_id: ProfileId) -> anyhow::Result<()> {
    let parsed = time_zone(ctx.lang, ctx.text);
    let notice = parsed
        .as_ref()
        .map(|tz| tf(ctx.lang, T::TzSaved, &[("tz", tz.name())]))
        .unwrap_or_default();
    let change = parsed.map(|tz| ScheduleChange::TimeZone(Zone::new(tz)));
    change_typed(ctx, profile_id, change, screens::settings, |_| notice).await
}

pub async fn on_interval(ctx: &Input<'_>, profile_id: ProfileId) -> anyhow::Result<()> {
    let change = interval(ctx.lang, ctx.text).map(ScheduleChange::Interval);
    on_frequency(ctx, profile_id, change).await
}

pub async fn on_month_day(ctx: &Input<'_>, profile_id: ProfileId) -> anyhow::Result<()> {
    let change = month_day(ctx.lang, ctx.text).map(ScheduleChange::MonthDay);
    on_frequency(ctx, profile_id, change).await
}

/// A number typed on the frequency screen (days between reports, day of the month).
async fn on_frequency(
    ctx: &Input<'_>,
    profile_id: ProfileId,
    change: Result<ScheduleChange, String>,
) -> anyhow::Result<()> {
    let lang = ctx.lang;
    change_typed(ctx, profile_id, change, screens::frequency, |o| {
        let schedule = words::schedule(lang, &o.task);
        tf(lang, T::FreqSaved, &[("schedule", &schedule)])
    })
    .await
}

pub async fn on_rename(ctx: &Input<'_>, profile_id: ProfileId) -> anyhow::Result<()> {
    let Some(o) = ctx.profile(profile_id).await? else {
        return Ok(());
    };
    let new_name = match name(ctx.lang, ctx.text) {
        Err(problem) => return ctx.reply(problem).await,
        Ok(new_name) => new_name,
    };
    let live = ctx.live();
    live.apply(&o, Change::Rename(new_name.clone())).await?;
    live.exit().await?;
    if let Ok(o) = live.owned(profile_id, ctx.user_id()).await? {
        let last = live.last_run(&o.task).await?;
        let notice = tf(ctx.lang, T::Renamed, &[("name", &html_escape(&new_name))]);
        let open = live.open_alerts(profile_id).await?;
        let reputation = live.reputation(profile_id).await?;
        let screen = screens::card(ctx.lang, &o, last.as_ref(), &open, reputation.as_ref())
            .with_notice(&notice);
        live.send(screen).await?;
    }
    Ok(())
}

/// A message forwarded from the channel or group that should receive the reports.
pub async fn on_forward(ctx: &Input<'_>, profile_id: ProfileId) -> anyhow::Result<()> {
    let Some(o) = ctx.profile(profile_id).await? else {
        return Ok(());
    };
    let lang = ctx.lang;
    let chat = match ctx.msg.forward_origin() {
        None => return ctx.reply(t(lang, T::ChatForwardNotForwarded)).await,
        Some(MessageOrigin::Channel { chat, .. }) => chat.clone(),
        // An anonymous group admin's message: the origin is the group itself.
        Some(MessageOrigin::Chat { sender_chat, .. }) => sender_chat.clone(),
        Some(MessageOrigin::User { .. } | MessageOrigin::HiddenUser { .. }) => {
            return ctx.reply(t(lang, T::ChatForwardFromPerson)).await;
        }
    };
    let title = chat.title().unwrap_or_default().to_owned();
    let live = ctx.live();
    if let Err(why) = live.can_post(chat.id.into(), chat.is_channel()).await {
        // Stay in the step: the user can fix the rights and forward again.
        let text = tf(
            lang,
            T::ChatCannotPost,
            &[
                ("title", &html_escape(&title)),
                ("reason", &why.reason(lang)),
            ],
        );
        return ctx.reply(text).await;
    }
    let change = ScheduleChange::Chat {
        id: chat.id.into(),
        title: title.clone(),
    };
    live.apply(&o, Change::Schedule(change)).await?;
    done(ctx, profile_id, screens::settings, |o| {
        tf(
            lang,
            T::ChatSetDone,
            &[
                ("name", &html_escape(&o.profile.name)),
                ("title", &html_escape(&title)),
            ],
        )
    })
    .await
}
