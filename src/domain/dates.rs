//! Dates as Avito counts them: statistics are kept for 270 days, in Moscow's calendar.

use chrono::{Duration, NaiveDate};
use serde::Serialize;

/// How far back the statistics operations reach (stats v1 and v2, spendings).
pub const MAX_DAYS_BACK: i64 = 270;

/// An inclusive range of dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Why a date range cannot be asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("the start date {from} is after the end date {to}")]
    StartAfterEnd { from: NaiveDate, to: NaiveDate },
    #[error("the end date {to} is in the future (today is {today})")]
    InFuture { to: NaiveDate, today: NaiveDate },
    #[error(
        "the start date {from} is more than {MAX_DAYS_BACK} days ago: Avito keeps statistics for {MAX_DAYS_BACK} days (earliest: {earliest})"
    )]
    TooFarBack {
        from: NaiveDate,
        earliest: NaiveDate,
    },
}

impl DateRange {
    /// A range the statistics operations accept, judged against `today`.
    pub fn new(from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Result<Self, RangeError> {
        if from > to {
            return Err(RangeError::StartAfterEnd { from, to });
        }
        if to > today {
            return Err(RangeError::InFuture { to, today });
        }
        let earliest = earliest_day(today);
        if from < earliest {
            return Err(RangeError::TooFarBack { from, earliest });
        }
        Ok(Self { from, to })
    }

    /// Checks the API's rules against Avito's own date (Moscow), so a request Avito would
    /// refuse is not sent at all.
    pub fn check_for_api(&self) -> Result<(), RangeError> {
        Self::new(self.from, self.to, avito_today()).map(|_| ())
    }

    /// A range taken as given; the operations still check it with [`Self::check_for_api`].
    pub fn unchecked(from: NaiveDate, to: NaiveDate) -> Self {
        Self { from, to }
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    pub fn iso_from(&self) -> String {
        self.from.format("%Y-%m-%d").to_string()
    }

    pub fn iso_to(&self) -> String {
        self.to.format("%Y-%m-%d").to_string()
    }
}

/// The first day Avito still has statistics for, as of `today`.
pub fn earliest_day(today: NaiveDate) -> NaiveDate {
    today - Duration::days(MAX_DAYS_BACK)
}

/// Today's date where Avito keeps its statistics (Moscow).
pub fn avito_today() -> NaiveDate {
    super::clock::now()
        .with_timezone(&chrono_tz::Europe::Moscow)
        .date_naive()
}

/// Unix seconds of 00:00 on `date` in `tz` (the earliest such instant around a DST change).
pub fn start_of_day(date: NaiveDate, tz: chrono_tz::Tz) -> Option<i64> {
    use chrono::TimeZone;
    let midnight = date.and_hms_opt(0, 0, 0)?;
    tz.from_local_datetime(&midnight)
        .earliest()
        .or_else(|| {
            // A midnight that does not exist (DST gap): the first hour that does.
            tz.from_local_datetime(&(midnight + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn ranges_are_checked_against_the_api_rules() {
        let today = d("2026-11-23");
        assert!(DateRange::new(d("2026-11-01"), d("2026-11-22"), today).is_ok());
        assert!(matches!(
            DateRange::new(d("2026-11-10"), d("2026-11-01"), today),
            Err(RangeError::StartAfterEnd { .. })
        ));
        assert!(matches!(
            DateRange::new(d("2026-11-01"), d("2026-11-24"), today),
            Err(RangeError::InFuture { .. })
        ));
        let err = DateRange::new(d("2026-02-01"), d("2026-02-02"), today).expect_err("too old");
        assert!(err.to_string().contains("270 days"));
        assert_eq!(
            DateRange::unchecked(d("2026-11-01"), d("2026-11-07")).days(),
            7
        );
    }
}
