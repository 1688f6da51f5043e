//! A stored task's schedule, read into a [`Schedule`].

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::policy::{Frequency, Schedule};
use crate::db::entities::report_task;
use crate::db::tasks::{self, Weekdays};
use crate::domain::DamagedSetting;

/// A stored schedule that cannot be planned; the hub only writes valid ones, so this means
/// a row edited by hand or by an older version.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TaskScheduleError {
    #[error(transparent)]
    Damaged(#[from] DamagedSetting),
    #[error("every {0} days is out of range")]
    Interval(i32),
}

/// The task's time zone (the error names the damaged column).
pub fn task_tz(task: &report_task::Model) -> Result<Tz, DamagedSetting> {
    task.time_zone.get().map(|z| z.tz())
}

/// The schedule of `task`. An "every N days" schedule counts from the last report (or from
/// the task's creation), so changing N starts the count from the report the user last got.
pub fn of_task(task: &report_task::Model) -> Result<Schedule, TaskScheduleError> {
    let tz = task_tz(task)?;
    let time = task.time_of_day.get()?.time();
    let frequency = match task.frequency.get()? {
        tasks::Frequency::Daily => Frequency::Daily,
        tasks::Frequency::Interval => {
            let days = u32::try_from(task.interval_days)
                .ok()
                .filter(|d| tasks::INTERVAL_DAYS.contains(&(*d as i32)))
                .ok_or(TaskScheduleError::Interval(task.interval_days))?;
            let since: DateTime<Utc> = task.last_run_at.unwrap_or(task.created_at);
            Frequency::EveryNDays {
                days,
                anchor: since.with_timezone(&tz).date_naive(),
            }
        }
        tasks::Frequency::Weekly => Frequency::Weekly {
            mask: (Weekdays(task.weekdays).0 & 0x7f) as u8,
        },
        tasks::Frequency::Monthly => Frequency::Monthly {
            day: task.month_day.clamp(1, 31) as u32,
        },
    };
    Ok(Schedule {
        frequency,
        time,
        tz,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ChatId, ProfileId, Stored, TaskId};
    use chrono::TimeZone;

    fn task() -> report_task::Model {
        let created = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
        report_task::Model {
            id: TaskId(1),
            profile_id: ProfileId(1),
            chat_id: Some(ChatId(5)),
            chat_title: None,
            frequency: Stored::parse("daily"),
            interval_days: 1,
            weekdays: 0,
            month_day: 1,
            time_of_day: Stored::parse("09:30"),
            time_zone: Stored::parse("Europe/Berlin"),
            period: Stored::parse("since_last_slot"),
            metrics: Stored::parse("[]"),
            is_active: true,
            charts: true,
            schedule_version: 0,
            next_run_at: None,
            last_run_at: None,
            created_at: created,
            updated_at: created,
        }
    }

    #[test]
    fn stored_fields_become_the_policy() {
        let s = of_task(&task()).expect("valid");
        assert_eq!(s.frequency, Frequency::Daily);
        assert_eq!(s.time, chrono::NaiveTime::from_hms_opt(9, 30, 0).unwrap());
        assert_eq!(s.tz, chrono_tz::Europe::Berlin);

        let weekly = of_task(&report_task::Model {
            frequency: Stored::parse("weekly"),
            weekdays: 0b101,
            ..task()
        })
        .expect("valid");
        assert_eq!(weekly.frequency, Frequency::Weekly { mask: 0b101 });
    }

    #[test]
    fn every_n_days_counts_from_the_last_report() {
        let last = Utc.with_ymd_and_hms(2026, 3, 10, 8, 30, 0).unwrap();
        let s = of_task(&report_task::Model {
            frequency: Stored::parse("interval"),
            interval_days: 3,
            last_run_at: Some(last),
            ..task()
        })
        .expect("valid");
        let next = s.next_after(last).expect("fires");
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 3, 13, 8, 30, 0).unwrap());
    }

    #[test]
    fn hand_edited_rows_are_refused_with_the_reason() {
        let bad_zone = report_task::Model {
            time_zone: Stored::parse("Mars/Olympus"),
            ..task()
        };
        let damaged = |e: Result<_, TaskScheduleError>| match e {
            Err(TaskScheduleError::Damaged(d)) => (d.column, d.value),
            other => panic!("not damaged: {other:?}"),
        };
        assert_eq!(
            damaged(of_task(&bad_zone)),
            ("time_zone", "Mars/Olympus".to_owned())
        );
        let bad_time = report_task::Model {
            time_of_day: Stored::parse("25:00"),
            ..task()
        };
        assert_eq!(damaged(of_task(&bad_time)).0, "time_of_day");
        let bad_freq = report_task::Model {
            frequency: Stored::parse("hourly"),
            ..task()
        };
        assert_eq!(damaged(of_task(&bad_freq)).0, "frequency");
    }
}
