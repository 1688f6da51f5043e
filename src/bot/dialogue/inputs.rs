//! Typed settings: parsing and validating what the user sends, then applying it.
//! The parsers are pure and return the user-facing problem in their language.

use crate::domain::{ProfileId, ScheduleTime, Zone};
use chrono::NaiveTime;
use chrono_tz::Tz;
use teloxide::types::MessageOrigin;

use super::Input;
use crate::bot::access::{self, Owned, Refusal};
use crate::bot::chat_check;
use crate::bot::hub::{screens, words};
use crate::bot::texts::{T, t, tf};
use crate::bot::ui::{self, Screen};
use crate::db::tasks::{self, INTERVAL_DAYS, MONTH_DAYS, ScheduleChange};
use crate::i18n::Lang;
use crate::report::html_escape;

/// Profile names: short enough for buttons and report headings.
pub const MAX_NAME_CHARS: usize = 64;

pub fn name(lang: Lang, text: &str) -> Result<String, String> {
    // Names go into one-line buttons: collapse runs of whitespace and line breaks.
    let name = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(t(lang, T::InputEmpty));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(tf(
            lang,
            T::InputTooLong,
            &[("max", &MAX_NAME_CHARS.to_string())],
        ));
    }
    Ok(name)
}

/// `HH:MM` (also `H:MM` and `HH.MM`), normalised to `HH:MM`.
pub fn time(lang: Lang, text: &str) -> Result<ScheduleTime, String> {
    let input = text.trim();
    let bad = || {
        tf(
            lang,
            T::TimeBad,
            &[(
                "input",
                &html_escape(&input.chars().take(20).collect::<String>()),
            )],
        )
    };
    let normal = input.replace('.', ":");
    let (h, m) = normal.split_once(':').ok_or_else(bad)?;
    let digits = |s: &str, max_len| {
        !s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(h, 2) || m.len() != 2 || !digits(m, 2) {
        return Err(bad());
    }
    let at = NaiveTime::from_hms_opt(
        h.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        0,
    )
    .ok_or_else(bad)?;
    Ok(ScheduleTime::new(at))
}

/// An IANA zone name, case-insensitively (`europe/moscow` works).
pub fn time_zone(lang: Lang, text: &str) -> Result<Tz, String> {
    let input = text.trim();
    input
        .parse::<Tz>()
        .ok()
        .or_else(|| {
            chrono_tz::TZ_VARIANTS
                .iter()
                .find(|tz| tz.name().eq_ignore_ascii_case(input))
                .copied()
        })
        .ok_or_else(|| {
            tf(
                lang,
                T::TzBad,
                &[(
                    "input",
                    &html_escape(&input.chars().take(40).collect::<String>()),
                )],
            )
        })
}

fn number_in(text: &str, range: &std::ops::RangeInclusive<i32>) -> Option<i32> {
    text.trim().parse().ok().filter(|n| range.contains(n))
}

pub fn interval(lang: Lang, text: &str) -> Result<i32, String> {
    number_in(text, &INTERVAL_DAYS).ok_or_else(|| t(lang, T::IntervalBad))
}

pub fn month_day(lang: Lang, text: &str) -> Result<i32, String> {
    number_in(text, &MONTH_DAYS).ok_or_else(|| t(lang, T::MonthDayBad))
}

/// The profile of the dialogue, or `None` (after telling the user and leaving the dialogue)
/// when it was deleted meanwhile.
pub(super) async fn profile(
    ctx: &Input<'_>,
    profile_id: ProfileId,
) -> anyhow::Result<Option<Owned>> {
    match access::owned(ctx.state, profile_id, ctx.user_id).await? {
        Ok(o) => Ok(Some(o)),
        Err(r) => {
            ctx.dialogue.exit().await?;
            // Gone or someone else's: one answer, as for buttons.
            let (Refusal::Stale | Refusal::NotOwner) = r;
            ctx.reply(t(ctx.lang, T::AlertStale)).await?;
            Ok(None)
        }
    }
}

/// After a typed change: leave the dialogue and show the stored result as a new hub message.
async fn done(
    ctx: &Input<'_>,
    profile_id: ProfileId,
    render: fn(Lang, &Owned) -> Screen,
    notice: impl FnOnce(&Owned) -> String,
) -> anyhow::Result<()> {
    ctx.dialogue.exit().await?;
    if let Ok(o) = access::owned(ctx.state, profile_id, ctx.user_id).await? {
        let screen = render(ctx.lang, &o).with_notice(&notice(&o));
        ui::send_screen(ctx.bot, ctx.msg.chat.id, screen).await?;
    }
    Ok(())
}

async fn apply(ctx: &Input<'_>, o: &Owned, change: ScheduleChange) -> anyhow::Result<()> {
    tasks::change_schedule(&ctx.state.db, &o.task, change).await?;
    Ok(())
}

pub async fn on_time(ctx: &Input<'_>, profile_id: ProfileId) -> anyhow::Result<()> {
    let Some(o) = profile(ctx, profile_id).await? else {
        return Ok(());
    };
    match time(ctx.lang, ctx.text) {
        Err(problem) => ctx.reply(problem).await,
        Ok(at) => {
            apply(ctx, &o, ScheduleChange::TimeOfDay(at)).await?;
            let lang = ctx.lang;
            done(ctx, profile_id, screens::settings, |_| {
                tf(lang, T::TimeSaved, &[("time", &at.to_string())])
            })
            .await
        }
    }
}

pub async fn on_time_zone(ctx: &Input<'_>, profile_id: ProfileId) -> anyhow::Result<()> {
    let Some(o) = profile(ctx, profile_id).await? else {
        return Ok(());
    };
    match time_zone(ctx.lang, ctx.text) {
        Err(problem) => ctx.reply(problem).await,
        Ok(tz) => {
            apply(ctx, &o, ScheduleChange::TimeZone(Zone::new(tz))).await?;
            let lang = ctx.lang;
            done(ctx, profile_id, screens::settings, |_| {
                tf(lang, T::TzSaved, &[("tz", tz.name())])
            })
            .await
        }
    }
}

pub async fn on_interval(ctx: &Input<'_>, profile_id: ProfileId) -> anyhow::Result<()> {
    on_frequency_number(ctx, profile_id, interval, ScheduleChange::Interval).await
}

pub async fn on_month_day(ctx: &Input<'_>, profile_id: ProfileId) -> anyhow::Result<()> {
    on_frequency_number(ctx, profile_id, month_day, ScheduleChange::MonthDay).await
}

/// A number typed on the frequency screen (days between reports, day of the month).
async fn on_frequency_number(
    ctx: &Input<'_>,
    profile_id: ProfileId,
    parse: fn(Lang, &str) -> Result<i32, String>,
    change: fn(i32) -> ScheduleChange,
) -> anyhow::Result<()> {
    let Some(o) = profile(ctx, profile_id).await? else {
        return Ok(());
    };
    match parse(ctx.lang, ctx.text) {
        Err(problem) => ctx.reply(problem).await,
        Ok(n) => {
            apply(ctx, &o, change(n)).await?;
            let lang = ctx.lang;
            done(ctx, profile_id, screens::frequency, |o| {
                tf(
                    lang,
                    T::FreqSaved,
                    &[("schedule", &words::schedule(lang, &o.task))],
                )
            })
            .await
        }
    }
}

pub async fn on_rename(ctx: &Input<'_>, profile_id: ProfileId) -> anyhow::Result<()> {
    if profile(ctx, profile_id).await?.is_none() {
        return Ok(());
    }
    match name(ctx.lang, ctx.text) {
        Err(problem) => ctx.reply(problem).await,
        Ok(new_name) => {
            crate::db::profiles::rename(&ctx.state.db, profile_id, &new_name).await?;
            ctx.dialogue.exit().await?;
            if let Ok(o) = access::owned(ctx.state, profile_id, ctx.user_id).await? {
                let last = tasks::latest_run(&ctx.state.db, o.task.id).await?;
                let notice = tf(ctx.lang, T::Renamed, &[("name", &html_escape(&new_name))]);
                let open = crate::bot::hub::open_alerts(&ctx.state.db, profile_id).await?;
                let screen = screens::card(ctx.lang, &o, last.as_ref(), &open).with_notice(&notice);
                ui::send_screen(ctx.bot, ctx.msg.chat.id, screen).await?;
            }
            Ok(())
        }
    }
}

/// A message forwarded from the channel or group that should receive the reports.
pub async fn on_forward(ctx: &Input<'_>, profile_id: ProfileId) -> anyhow::Result<()> {
    let Some(o) = profile(ctx, profile_id).await? else {
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
    if let Err(why) = chat_check::can_post(ctx.bot, ctx.me.id, chat.id, chat.is_channel()).await {
        // Stay in the step: the user can fix the rights and forward again.
        return ctx
            .reply(tf(
                lang,
                T::ChatCannotPost,
                &[
                    ("title", &html_escape(&title)),
                    ("reason", &why.reason(lang)),
                ],
            ))
            .await;
    }
    apply(
        ctx,
        &o,
        ScheduleChange::Chat {
            id: chat.id.into(),
            title: title.clone(),
        },
    )
    .await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_validated_and_normalised() {
        let shown = |text| time(Lang::En, text).map(|t| t.to_string());
        assert_eq!(shown("9:30"), Ok("09:30".to_owned()));
        assert_eq!(shown(" 21.05 "), Ok("21:05".to_owned()));
        assert_eq!(shown("00:00"), Ok("00:00".to_owned()));
        for bad in [
            "24:00", "12:60", "1230", "12:5", "noon", "", "-1:00", "123:00",
        ] {
            assert!(time(Lang::En, bad).is_err(), "{bad}");
        }
        assert!(time(Lang::Ru, "25:00").expect_err("bad").contains("ЧЧ:ММ"));
    }

    #[test]
    fn time_zones_are_iana_names_in_any_case() {
        assert_eq!(
            time_zone(Lang::En, "Asia/Novosibirsk"),
            Ok(chrono_tz::Asia::Novosibirsk)
        );
        assert_eq!(
            time_zone(Lang::En, "europe/moscow"),
            Ok(chrono_tz::Europe::Moscow)
        );
        assert!(time_zone(Lang::En, "Mars/Olympus").is_err());
        assert!(time_zone(Lang::En, "MSK+1").is_err());
    }

    #[test]
    fn numbers_and_names_are_bounded() {
        assert_eq!(interval(Lang::En, "365"), Ok(365));
        assert!(interval(Lang::En, "0").is_err());
        assert!(interval(Lang::En, "366").is_err());
        assert!(interval(Lang::En, "two").is_err());
        assert_eq!(month_day(Lang::En, "31"), Ok(31));
        assert!(month_day(Lang::En, "32").is_err());
        assert_eq!(
            name(Lang::En, "  Shop \n main "),
            Ok("Shop main".to_owned())
        );
        assert!(name(Lang::En, "   ").is_err());
        assert!(name(Lang::En, &"я".repeat(65)).is_err());
        assert!(name(Lang::En, &"я".repeat(64)).is_ok());
    }
}
