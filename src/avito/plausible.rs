//! Whether a value Avito returned is believable. A schema-valid answer may still carry a
//! wallet of 9.2·10¹⁶ ₽ or a negative number of views; such a value is shown as n/a
//! ("Avito returned an implausible value"), never printed. The bounds are far beyond any real
//! seller and far below what breaks arithmetic.

use chrono::{DateTime, NaiveDate, Utc};

/// Views, contacts, calls… of one account over a reported period.
pub const MAX_COUNT: f64 = 1e10;
/// Balances and spending, in roubles: a billion roubles is beyond any Avito seller's account.
pub const MAX_ROUBLES: f64 = 1e9;
/// Avito opened in 2007; nothing it reports happened earlier.
pub const EARLIEST_UNIX: i64 = 1_167_609_600; // 2007-01-01T00:00:00Z
/// How far ahead of this machine's clock a timestamp may be (clock skew, zones).
const FUTURE_SLACK_SECS: i64 = 2 * 86_400;

/// A review's score: whole stars, one to five.
pub fn stars(n: i64) -> bool {
    (1..=5).contains(&n)
}

/// A seller's rating: one to five stars, fractional.
pub fn rating_score(x: f64) -> bool {
    x.is_finite() && (1.0..=5.0).contains(&x)
}

/// A figure as it may be shown: what Avito said when it is believable, flagged when it is not,
/// missing when Avito did not say (or said something unreadable).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Checked<T> {
    Plausible(T),
    /// Shown as n/a "Avito returned an implausible value", never printed.
    Implausible(T),
    Missing,
}

impl<T> Checked<T> {
    /// `value` judged by `believable`.
    pub fn of(value: Option<T>, believable: impl FnOnce(&T) -> bool) -> Checked<T> {
        match value {
            Some(v) if believable(&v) => Checked::Plausible(v),
            Some(v) => Checked::Implausible(v),
            None => Checked::Missing,
        }
    }

    /// The value when it may be shown.
    pub fn plausible(self) -> Option<T> {
        match self {
            Checked::Plausible(v) => Some(v),
            _ => None,
        }
    }
}

/// A count (never negative).
pub fn count(n: f64) -> bool {
    n.is_finite() && (0.0..=MAX_COUNT).contains(&n)
}

/// An amount of money that cannot be negative (wallet, bonuses, spending), in roubles.
pub fn roubles(r: f64) -> bool {
    r.is_finite() && (0.0..=MAX_ROUBLES).contains(&r)
}

/// An amount that may be negative (the CPA balance runs into debt), in roubles.
pub fn signed_roubles(r: f64) -> bool {
    r.is_finite() && r.abs() <= MAX_ROUBLES
}

/// A unix timestamp (seconds) between Avito's start and shortly after now.
pub fn unix_time(t: i64, now: DateTime<Utc>) -> bool {
    (EARLIEST_UNIX..=now.timestamp() + FUTURE_SLACK_SECS).contains(&t)
}

/// A date between Avito's start and shortly after today.
pub fn date(d: NaiveDate, now: DateTime<Utc>) -> bool {
    d.and_hms_opt(0, 0, 0)
        .is_some_and(|t| unix_time(t.and_utc().timestamp(), now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_keep_real_values_and_drop_absurd_ones() {
        assert!(count(0.0) && count(1_234_567.0));
        assert!(!count(-1.0) && !count(9.2e18) && !count(f64::NAN));
        assert!(roubles(150_000.5) && !roubles(92_233_720_368_547_758.0) && !roubles(-0.01));
        assert!(signed_roubles(-50.0) && !signed_roubles(-2e9));
        let now = chrono::Utc::now();
        assert!(unix_time(1_700_000_000, now));
        assert!(!unix_time(0, now) && !unix_time(now.timestamp() + 30 * 86_400, now));
        assert!(!date(NaiveDate::MIN, now) && date(now.date_naive(), now));
        assert!(stars(1) && stars(5) && !stars(0) && !stars(6) && !stars(-3));
        assert!(rating_score(4.3) && rating_score(1.0) && rating_score(5.0));
        assert!(!rating_score(0.0) && !rating_score(5.01) && !rating_score(f64::NAN));
        assert_eq!(Checked::of(Some(3), |n| stars(*n)), Checked::Plausible(3));
        assert_eq!(Checked::of(Some(9), |n| stars(*n)), Checked::Implausible(9));
        assert_eq!(Checked::of(None, |n: &i64| stars(*n)).plausible(), None);
    }
}
