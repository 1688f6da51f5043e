//! A stored task's schedule, read into a [`Schedule`].

use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use super::policy::{Frequency, Schedule};
use crate::db::entities::report_task;
use crate::db::tasks::{self, Weekdays};

/// A stored schedule that cannot be planned; the hub only writes valid ones, so this means
/// a row edited by hand.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TaskScheduleError {
    #[error("unknown frequency '{0}'")]
    Frequency(String),
    #[error("time of day '{0}' is not HH:MM")]
    Time(String),
    #[error("unknown time zone '{0}'")]
    Zone(String),
    #[error("every {0} days is out of range")]
    Interval(i32),
}

/// The schedule of `task`. An "every N days" schedule counts from the last report (or from
/// the task's creation), so changing N starts the count from the report the user last got.
pub fn of_task(task: &report_task::Model) -> Result<Schedule, TaskScheduleError> {
    let tz: Tz = task
        .time_zone
        .parse()
        .map_err(|_| TaskScheduleError::Zone(task.time_zone.clone()))?;
    let time = NaiveTime::parse_from_str(&task.time_of_day, "%H:%M")
        .map_err(|_| TaskScheduleError::Time(task.time_of_day.clone()))?;
    let frequency = match tasks::Frequency::from_slug(&task.frequency) {
        Some(tasks::Frequency::Daily) => Frequency::Daily,
        Some(tasks::Frequency::Interval) => {
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
        Some(tasks::Frequency::Weekly) => Frequency::Weekly {
            mask: (Weekdays(task.weekdays).0 & 0x7f) as u8,
        },
        Some(tasks::Frequency::Monthly) => Frequency::Monthly {
            day: task.month_day.clamp(1, 31) as u32,
        },
        None => return Err(TaskScheduleError::Frequency(task.frequency.clone())),
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
    use chrono::TimeZone;

    fn task() -> report_task::Model {
        let created = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
        report_task::Model {
            id: 1,
            profile_id: 1,
            chat_id: Some(5),
            chat_title: None,
            frequency: "daily".into(),
            interval_days: 1,
            weekdays: 0,
            month_day: 1,
            time_of_day: "09:30".into(),
            time_zone: "Europe/Berlin".into(),
            period: "since_last_slot".into(),
            metrics: "[]".into(),
            is_active: true,
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
        assert_eq!(s.time, NaiveTime::from_hms_opt(9, 30, 0).unwrap());
        assert_eq!(s.tz, chrono_tz::Europe::Berlin);

        let weekly = of_task(&report_task::Model {
            frequency: "weekly".into(),
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
            frequency: "interval".into(),
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
            time_zone: "Mars/Olympus".into(),
            ..task()
        };
        assert_eq!(
            of_task(&bad_zone),
            Err(TaskScheduleError::Zone("Mars/Olympus".into()))
        );
        let bad_time = report_task::Model {
            time_of_day: "25:00".into(),
            ..task()
        };
        assert!(matches!(
            of_task(&bad_time),
            Err(TaskScheduleError::Time(_))
        ));
        let bad_freq = report_task::Model {
            frequency: "hourly".into(),
            ..task()
        };
        assert!(matches!(
            of_task(&bad_freq),
            Err(TaskScheduleError::Frequency(_))
        ));
    }
}
