//! Moscow dates and days: Avito's calendar.

use chrono::{Datelike, Duration as Days, FixedOffset, NaiveDate, TimeZone};

/// Moscow time: Avito's dates are Moscow dates.
pub fn moscow() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

/// Unix seconds of 00:00 Moscow time on `date`.
pub fn moscow_midnight(date: NaiveDate) -> i64 {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    moscow()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.timestamp())
        .unwrap_or_default()
}

/// RFC 3339 in Moscow time, as Avito writes timestamps.
pub fn moscow_rfc3339(unix: i64) -> String {
    moscow()
        .timestamp_opt(unix, 0)
        .single()
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

/// Days `from..=to` (empty when `from > to`).
pub fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

pub(crate) fn shift(d: NaiveDate, n: i64) -> NaiveDate {
    d.checked_add_signed(Days::days(n)).unwrap_or(d)
}

pub(crate) fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}
