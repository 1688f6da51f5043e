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
    }
}
