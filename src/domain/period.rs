//! Report periods: whole days in the profile's time zone, and the previous period of equal
//! length they are compared with.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::dates::{DateRange, MAX_DAYS_BACK, RangeError};

/// The period a task's reports cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Yesterday,
    Last7Days,
    Last30Days,
    PreviousMonth,
    /// From the previous scheduled slot up to this one (the default for scheduled reports).
    SinceLastSlot,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 5] = [
        PeriodKind::SinceLastSlot,
        PeriodKind::Yesterday,
        PeriodKind::Last7Days,
        PeriodKind::Last30Days,
        PeriodKind::PreviousMonth,
    ];

    /// Stored in `report_tasks.period` and used in callback data.
    pub fn slug(self) -> &'static str {
        match self {
            PeriodKind::Yesterday => "yesterday",
            PeriodKind::Last7Days => "last_7_days",
            PeriodKind::Last30Days => "last_30_days",
            PeriodKind::PreviousMonth => "previous_month",
            PeriodKind::SinceLastSlot => "since_last_slot",
        }
    }

    /// Parses a slug; the CLI's dashed forms (`last-7-days`) and the Python bot's
    /// `day` / `week` / `month` are accepted too.
    pub fn from_slug(s: &str) -> Option<PeriodKind> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        PeriodKind::ALL
            .into_iter()
            .find(|k| k.slug() == s)
            .or(match s.as_str() {
                "day" => Some(PeriodKind::Yesterday),
                "week" => Some(PeriodKind::Last7Days),
                "month" => Some(PeriodKind::Last30Days),
                _ => None,
            })
    }
}

/// An inclusive range of whole days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Why a date range was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("'{input}' is not a date: expected YYYY-MM-DD, e.g. 2026-03-31")]
    BadDate { input: String },
    #[error("the start date {from} is after the end date {to}")]
    StartAfterEnd { from: NaiveDate, to: NaiveDate },
    #[error("the end date {to} is in the future (today is {today})")]
    InFuture { to: NaiveDate, today: NaiveDate },
    #[error(
        "the start date {from} is more than {MAX_DAYS_BACK} days ago; Avito keeps statistics since {earliest}"
    )]
    TooFarBack {
        from: NaiveDate,
        earliest: NaiveDate,
    },
}

impl Period {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Self {
        Self { from, to }
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The period of equal length just before this one.
    pub fn previous(&self) -> Period {
        let len = Duration::days(self.days());
        Period {
            from: self.from - len,
            to: self.from - Duration::days(1),
        }
    }

    /// The period computed for `kind` at `now`, in `tz`. `SinceLastSlot` without slots falls
    /// back to yesterday (an on-demand report of a scheduled task).
    pub fn resolve(kind: PeriodKind, tz: Tz, now: DateTime<Utc>) -> Period {
        let today = today_in(tz, now);
        let yesterday = today - Duration::days(1);
        match kind {
            PeriodKind::Yesterday | PeriodKind::SinceLastSlot => Period::new(yesterday, yesterday),
            PeriodKind::Last7Days => Period::new(today - Duration::days(7), yesterday),
            PeriodKind::Last30Days => Period::new(today - Duration::days(30), yesterday),
            PeriodKind::PreviousMonth => {
                let first_this = today.with_day(1).unwrap_or(today);
                let last_prev = first_this - Duration::days(1);
                Period::new(last_prev.with_day(1).unwrap_or(last_prev), last_prev)
            }
        }
    }

    /// Whole days from the previous slot up to (not including) the day of this slot, in `tz`:
    /// a daily 09:00 report covers yesterday, a weekly one the last seven days.
    pub fn since_slot(previous_slot: DateTime<Utc>, this_slot: DateTime<Utc>, tz: Tz) -> Period {
        let from = previous_slot.with_timezone(&tz).date_naive();
        let to = this_slot.with_timezone(&tz).date_naive() - Duration::days(1);
        if to < from {
            Period::new(to, to)
        } else {
            Period::new(from, to)
        }
    }

    /// A user's `YYYY-MM-DD` range, checked against the API's rules as of `today`.
    pub fn parse_range(from: &str, to: &str, today: NaiveDate) -> Result<Period, PeriodError> {
        let from = parse_date(from)?;
        let to = parse_date(to)?;
        Period::checked(from, to, today)
    }

    pub fn checked(
        from: NaiveDate,
        to: NaiveDate,
        today: NaiveDate,
    ) -> Result<Period, PeriodError> {
        // The rules are the API's: one place states them.
        let range = DateRange::new(from, to, today)?;
        Ok(Period::new(range.from, range.to))
    }
}

pub use super::dates::earliest_day;

impl From<RangeError> for PeriodError {
    fn from(e: RangeError) -> Self {
        match e {
            RangeError::StartAfterEnd { from, to } => PeriodError::StartAfterEnd { from, to },
            RangeError::InFuture { to, today } => PeriodError::InFuture { to, today },
            RangeError::TooFarBack { from, earliest } => PeriodError::TooFarBack { from, earliest },
        }
    }
}

/// A `YYYY-MM-DD` date (real dates only: 2026-02-30 is refused).
pub fn parse_date(input: &str) -> Result<NaiveDate, PeriodError> {
    let trimmed = input.trim();
    let well_formed = trimmed.len() == 10
        && trimmed.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !well_formed {
        return Err(PeriodError::BadDate {
            input: trimmed.chars().take(40).collect(),
        });
    }
    NaiveDate::parse_from_str(trimmed, "%Y-%m-%d").map_err(|_| PeriodError::BadDate {
        input: trimmed.to_owned(),
    })
}

/// Today's date in `tz`.
pub fn today_in(tz: Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn utc(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, day, h, min, 0)
            .single()
            .expect("time")
    }

    #[test]
    fn yesterday_depends_on_the_profiles_time_zone() {
        // 22:30 UTC on the 23rd is already the 24th in Moscow, still the 23rd in New York.
        let now = utc(2026, 11, 23, 22, 30);
        let msk = Period::resolve(PeriodKind::Yesterday, chrono_tz::Europe::Moscow, now);
        let nyc = Period::resolve(PeriodKind::Yesterday, chrono_tz::America::New_York, now);
        assert_eq!(msk, Period::new(d("2026-11-23"), d("2026-11-23")));
        assert_eq!(nyc, Period::new(d("2026-11-22"), d("2026-11-22")));
    }

    #[test]
    fn rolling_periods_end_yesterday() {
        let now = utc(2026, 3, 10, 12, 0);
        let tz = chrono_tz::Europe::Berlin;
        assert_eq!(
            Period::resolve(PeriodKind::Last7Days, tz, now),
            Period::new(d("2026-03-03"), d("2026-03-09"))
        );
        assert_eq!(Period::resolve(PeriodKind::Last30Days, tz, now).days(), 30);
    }

    #[test]
    fn previous_month_handles_year_ends_and_leap_years() {
        let tz = chrono_tz::Europe::Moscow;
        assert_eq!(
            Period::resolve(PeriodKind::PreviousMonth, tz, utc(2026, 1, 15, 12, 0)),
            Period::new(d("2025-12-01"), d("2025-12-31"))
        );
        assert_eq!(
            Period::resolve(PeriodKind::PreviousMonth, tz, utc(2028, 3, 1, 12, 0)),
            Period::new(d("2028-02-01"), d("2028-02-29"))
        );
    }

    #[test]
    fn the_previous_period_has_equal_length_and_ends_the_day_before() {
        let p = Period::new(d("2026-03-01"), d("2026-03-31"));
        let prev = p.previous();
        assert_eq!(prev.days(), 31);
        assert_eq!(prev.to, d("2026-02-28"));
        assert_eq!(prev.from, d("2026-01-29"));
    }

    #[test]
    fn since_slot_covers_whole_days_across_dst() {
        let tz = chrono_tz::Europe::Berlin;
        // Daily 09:00 across the spring-forward night (29 March 2026): still one day.
        let prev = tz
            .with_ymd_and_hms(2026, 3, 28, 9, 0, 0)
            .single()
            .expect("t")
            .with_timezone(&Utc);
        let this = tz
            .with_ymd_and_hms(2026, 3, 29, 9, 0, 0)
            .single()
            .expect("t")
            .with_timezone(&Utc);
        assert_eq!(
            Period::since_slot(prev, this, tz),
            Period::new(d("2026-03-28"), d("2026-03-28"))
        );
        // Weekly: seven days.
        let week_ago = tz
            .with_ymd_and_hms(2026, 3, 23, 9, 0, 0)
            .single()
            .expect("t")
            .with_timezone(&Utc);
        let p = Period::since_slot(week_ago, this, tz);
        assert_eq!(p, Period::new(d("2026-03-23"), d("2026-03-28")));
    }

    #[test]
    fn user_ranges_are_validated_with_the_failing_rule() {
        let today = d("2026-11-23");
        assert_eq!(
            Period::parse_range("2026-11-01", "2026-11-22", today),
            Ok(Period::new(d("2026-11-01"), d("2026-11-22")))
        );
        for (from, to, expect) in [
            ("2026-02-30", "2026-03-01", "not a date"),
            ("01.11.2026", "2026-11-02", "not a date"),
            ("2026-11-10", "2026-11-01", "after the end date"),
            ("2026-11-01", "2026-11-24", "in the future"),
            ("2026-01-01", "2026-01-31", "more than 270 days ago"),
        ] {
            let err = Period::parse_range(from, to, today).expect_err(from);
            assert!(err.to_string().contains(expect), "{from}..{to}: {err}");
        }
    }

    #[test]
    fn period_slugs_parse_including_legacy_and_cli_forms() {
        for k in PeriodKind::ALL {
            assert_eq!(PeriodKind::from_slug(k.slug()), Some(k));
        }
        assert_eq!(
            PeriodKind::from_slug("last-7-days"),
            Some(PeriodKind::Last7Days)
        );
        assert_eq!(PeriodKind::from_slug("week"), Some(PeriodKind::Last7Days));
        assert_eq!(PeriodKind::from_slug("fortnight"), None);
    }
}
