//! Settings in words, in the user's language: schedules, periods, metrics, chats, runs.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::bot::texts::{T, t, tf};
use crate::db::entities::{report_run, report_task};
use crate::db::tasks::{Frequency, Weekdays};
use crate::domain::{AccountId, UserId, clock};
use crate::domain::{RunKind, RunStatus, Stored};
use crate::i18n::Lang;
use crate::report::html_escape;
use crate::report::{Metric, MetricSet, PeriodKind};

pub fn weekday(lang: Lang, day: u8) -> String {
    let key = match day {
        0 => T::Wd0,
        1 => T::Wd1,
        2 => T::Wd2,
        3 => T::Wd3,
        4 => T::Wd4,
        5 => T::Wd5,
        _ => T::Wd6,
    };
    t(lang, key)
}

/// "daily at 09:00", "every 3 days at 09:00", "on Mon, Fri at 09:00", "monthly on day 15 …".
pub fn schedule(lang: Lang, task: &report_task::Model) -> String {
    let time = &setting(lang, &task.time_of_day);
    let Ok(frequency) = task.frequency.get() else {
        return t(lang, T::DamagedSetting);
    };
    match frequency {
        Frequency::Daily => tf(lang, T::SchedDaily, &[("time", time)]),
        Frequency::Interval => tf(
            lang,
            T::SchedInterval,
            &[("n", &task.interval_days.to_string()), ("time", time)],
        ),
        Frequency::Weekly => {
            let days = Weekdays(task.weekdays);
            if days.is_empty() {
                t(lang, T::SchedWeeklyNone)
            } else {
                let names: Vec<String> = days.days().map(|d| weekday(lang, d)).collect();
                tf(
                    lang,
                    T::SchedWeekly,
                    &[("days", &names.join(", ")), ("time", time)],
                )
            }
        }
        Frequency::Monthly => tf(
            lang,
            T::SchedMonthly,
            &[("day", &task.month_day.to_string()), ("time", time)],
        ),
    }
}

/// The schedule with its time zone.
pub fn schedule_with_tz(lang: Lang, task: &report_task::Model) -> String {
    tf(
        lang,
        T::SchedWithTz,
        &[
            ("schedule", &schedule(lang, task)),
            ("tz", &setting(lang, &task.time_zone)),
        ],
    )
}

pub fn period(lang: Lang, kind: PeriodKind) -> String {
    t(
        lang,
        match kind {
            PeriodKind::SinceLastSlot => T::PeriodSinceLastSlot,
            PeriodKind::Yesterday => T::PeriodYesterday,
            PeriodKind::Last7Days => T::PeriodLast7Days,
            PeriodKind::Last30Days => T::PeriodLast30Days,
            PeriodKind::PreviousMonth => T::PeriodPreviousMonth,
        },
    )
}

/// The task's period as the owner reads it; a damaged one says so.
pub fn task_period(lang: Lang, task: &report_task::Model) -> String {
    match task.period.value() {
        Some(kind) => period(lang, kind),
        None => t(lang, T::DamagedSetting),
    }
}

/// "⚠️ damaged — set it again (🌍 Time zone)": which setting to set again.
pub fn damaged(lang: Lang, setting: &crate::domain::DamagedSetting) -> String {
    format!(
        "{} ({})",
        t(lang, T::DamagedSetting),
        column(lang, setting.column)
    )
}

/// A report setting's name as the owner knows it from the hub, by its column.
fn column(lang: Lang, column: &str) -> String {
    t(
        lang,
        match column {
            "time_of_day" => T::BtnTime,
            "time_zone" => T::BtnTz,
            "frequency" => T::BtnFrequency,
            "period" => T::BtnPeriod,
            _ => T::BtnMetrics,
        },
    )
}

/// A stored setting as the owner reads it; a damaged one asks to be set again.
pub fn setting<V: std::fmt::Display>(lang: Lang, stored: &Stored<V>) -> String {
    match stored {
        Stored::Value(v) => v.to_string(),
        Stored::Damaged(_) => t(lang, T::DamagedSetting),
    }
}

/// The task's metrics summary; a damaged set says so.
pub fn task_metrics(lang: Lang, task: &report_task::Model) -> String {
    match task.metrics.get() {
        Ok(set) => metrics_summary(lang, set),
        Err(_) => t(lang, T::DamagedSetting),
    }
}

pub fn metric(lang: Lang, m: Metric) -> String {
    t(
        lang,
        match m {
            Metric::Views => T::MetricViews,
            Metric::Contacts => T::MetricContacts,
            Metric::Favorites => T::MetricFavorites,
            Metric::Conversion => T::MetricConversion,
            Metric::Calls => T::MetricCalls,
            Metric::Spending => T::MetricSpending,
            Metric::CostPerContact => T::MetricCostPerContact,
            Metric::WalletBalance => T::MetricBalance,
            Metric::CpaBalance => T::MetricCpaBalance,
            Metric::ActiveItems => T::MetricActiveItems,
            Metric::Rating => T::MetricRating,
            Metric::Listings => T::MetricListings,
        },
    )
}

/// "all" or "3 of 10".
pub fn metrics_summary(lang: Lang, set: &MetricSet) -> String {
    let n = set.iter().count();
    if n == Metric::ALL.len() {
        t(lang, T::MetricsAll)
    } else {
        tf(
            lang,
            T::MetricsSome,
            &[
                ("n", &n.to_string()),
                ("total", &Metric::ALL.len().to_string()),
            ],
        )
    }
}

/// An Avito account by its name and id, HTML-escaped: "Shop (id 42)".
pub fn account(lang: Lang, name: Option<&str>, id: Option<AccountId>) -> String {
    match (name, id) {
        (Some(n), Some(id)) => format!("{} (id {id})", html_escape(n)),
        (None, Some(id)) => format!("id {id}"),
        (Some(n), None) => html_escape(n),
        (None, None) => t(lang, T::AccountUnknown),
    }
}

/// The destination chat, HTML-escaped.
pub fn chat(lang: Lang, task: &report_task::Model, owner_id: UserId) -> String {
    match task.chat_id {
        None => t(lang, T::ChatNone),
        Some(id) if id == owner_id.private_chat() => t(lang, T::ChatPrivate),
        Some(id) => html_escape(task.chat_title.as_deref().unwrap_or(&id.to_string())),
    }
}

pub use crate::schedule::task_tz;

/// The zone times are shown in: the task's, or UTC while its zone setting is damaged (the
/// card says so next to the schedule) — never a guessed local zone.
pub fn shown_tz(task: &report_task::Model) -> Tz {
    task_tz(task).unwrap_or(chrono_tz::UTC)
}

pub fn datetime(lang: Lang, at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .format(&t(lang, T::DatetimeFormat))
        .to_string()
}

/// The next report: planned time, or why there is none.
pub fn next_report(lang: Lang, task: &report_task::Model) -> String {
    if task.chat_id.is_none() {
        return t(lang, T::NextNoChat);
    }
    if !task.is_active {
        return t(lang, T::NextOff);
    }
    // Just changed: the scheduler plans it within a moment; show what it will plan.
    let next = task.next_run_at.or_else(|| {
        crate::schedule::of_task(task)
            .ok()
            .and_then(|s| s.next_after(clock::now()))
    });
    match next {
        Some(at) => tf(
            lang,
            T::NextAt,
            &[("when", &datetime(lang, at, shown_tz(task)))],
        ),
        None => t(lang, T::NextUnplanned),
    }
}

/// The last delivery and its outcome.
pub fn last_report(lang: Lang, run: Option<&report_run::Model>, tz: Tz) -> String {
    let Some(run) = run else {
        return t(lang, T::LastNone);
    };
    let kind = t(
        lang,
        match run.kind {
            RunKind::Scheduled => T::RunKindScheduled,
            RunKind::Historical => T::RunKindHistorical,
            RunKind::Stats => T::RunKindStats,
            RunKind::Now => T::RunKindNow,
        },
    );
    let outcome = match run.status {
        RunStatus::Sent => t(lang, T::RunSent),
        RunStatus::Failed => tf(
            lang,
            T::RunFailed,
            &[("error", &html_escape(run.error.as_deref().unwrap_or("?")))],
        ),
        RunStatus::Skipped => t(lang, T::RunSkipped),
        RunStatus::Pending => t(lang, T::RunPending),
    };
    let when = run.finished_at.or(run.started_at).unwrap_or(run.created_at);
    tf(
        lang,
        T::LastRun,
        &[
            ("when", &datetime(lang, when, tz)),
            ("kind", &kind),
            ("outcome", &outcome),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ProfileId, TaskId};

    fn task(frequency: &str) -> report_task::Model {
        let now = clock::now();
        report_task::Model {
            id: TaskId(1),
            profile_id: ProfileId(1),
            chat_id: None,
            chat_title: None,
            frequency: Stored::parse(frequency),
            interval_days: 3,
            weekdays: 0b0010001,
            month_day: 15,
            time_of_day: Stored::parse("09:30"),
            time_zone: Stored::parse("Asia/Novosibirsk"),
            period: Stored::parse("since_last_slot"),
            metrics: Stored::parse("[]"),
            is_active: false,
            charts: true,
            schedule_version: 0,
            next_run_at: None,
            last_run_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn schedules_read_as_words_in_both_languages() {
        assert_eq!(schedule(Lang::En, &task("daily")), "daily at 09:30");
        assert_eq!(
            schedule(Lang::En, &task("interval")),
            "every 3 days at 09:30"
        );
        assert_eq!(schedule(Lang::En, &task("weekly")), "on Mon, Fri at 09:30");
        assert_eq!(
            schedule(Lang::En, &task("monthly")),
            "monthly on day 15 at 09:30"
        );
        assert_eq!(
            schedule(Lang::Ru, &task("weekly")),
            "по дням: Пн, Пт, в 09:30"
        );
        assert_eq!(
            schedule_with_tz(Lang::Ru, &task("daily")),
            "ежедневно в 09:30 (Asia/Novosibirsk)"
        );
    }
}
