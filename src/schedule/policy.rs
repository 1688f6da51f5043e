//! When a task's reports are due: daily, every N days, weekly on chosen weekdays, or monthly on
//! a day (clamped to short months), at HH:MM in the task's IANA time zone.
//!
//! Local times that do not exist (the spring-forward gap) move forward by the gap, so a 02:30
//! report still comes that night at 03:30; local times that happen twice (the autumn overlap)
//! fire once, at the first of the two.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How often a task reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Frequency {
    Daily,
    /// Every `days` days, counted from `anchor`.
    EveryNDays {
        days: u32,
        anchor: NaiveDate,
    },
    /// Bit 0 = Monday … bit 6 = Sunday.
    Weekly {
        mask: u8,
    },
    /// On this day of the month; 29–31 fall on the last day of shorter months.
    Monthly {
        day: u32,
    },
}

/// A task's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub frequency: Frequency,
    pub time: NaiveTime,
    pub tz: Tz,
}

/// Slots are looked for this far ahead; every valid schedule has one within it.
const HORIZON_DAYS: i64 = 400;

impl Schedule {
    /// The first slot strictly after `after`; `None` for a schedule that never fires (a weekly
    /// schedule with no weekday chosen).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let start = after.with_timezone(&self.tz).date_naive();
        (0..HORIZON_DAYS)
            .map(|i| start + Duration::days(i))
            .filter(|d| self.fires_on(*d))
            .map(|d| self.instant_on(d))
            .find(|t| *t > after)
    }

    /// The last slot strictly before `before`.
    pub fn previous_before(&self, before: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let start = before.with_timezone(&self.tz).date_naive();
        (0..HORIZON_DAYS)
            .map(|i| start - Duration::days(i))
            .filter(|d| self.fires_on(*d))
            .map(|d| self.instant_on(d))
            .find(|t| *t < before)
    }

    /// Whether the schedule has a slot on local date `d`.
    pub fn fires_on(&self, d: NaiveDate) -> bool {
        match self.frequency {
            Frequency::Daily => true,
            Frequency::EveryNDays { days, anchor } => {
                days > 0 && (d - anchor).num_days().rem_euclid(i64::from(days)) == 0
            }
            Frequency::Weekly { mask } => mask & (1 << d.weekday().num_days_from_monday()) != 0,
            Frequency::Monthly { day } => d.day() == day.clamp(1, 31).min(last_day_of_month(d)),
        }
    }

    /// The instant of the slot on local date `d`.
    fn instant_on(&self, d: NaiveDate) -> DateTime<Utc> {
        let local = d.and_time(self.time);
        if let Some(t) = self.tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
        // In a gap: read the wall time with the offset in force before the gap, which lands
        // as far past the gap's end as the time was past its start (02:30 → 03:30).
        let before = (1..=48)
            .map(|h| local - Duration::hours(h))
            .find_map(|t| self.tz.from_local_datetime(&t).earliest());
        let offset = before.map_or(0, |t| t.offset().fix().local_minus_utc());
        Utc.from_utc_datetime(&(local - Duration::seconds(i64::from(offset))))
    }
}

fn last_day_of_month(d: NaiveDate) -> u32 {
    let (y, m) = (d.year(), d.month());
    let first_next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    first_next.map_or(28, |f| (f - Duration::days(1)).day())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .earliest()
            .expect("valid local time")
            .with_timezone(&Utc)
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("valid")
    }

    fn daily(h: u32, m: u32, tz: Tz) -> Schedule {
        Schedule {
            frequency: Frequency::Daily,
            time: NaiveTime::from_hms_opt(h, m, 0).expect("time"),
            tz,
        }
    }

    #[test]
    fn daily_fires_today_if_the_time_is_still_ahead_else_tomorrow() {
        let tz = chrono_tz::Europe::Moscow;
        let s = daily(9, 0, tz);
        assert_eq!(
            s.next_after(at(tz, 2026, 11, 23, 8, 59)),
            Some(at(tz, 2026, 11, 23, 9, 0))
        );
        assert_eq!(
            s.next_after(at(tz, 2026, 11, 23, 9, 0)),
            Some(at(tz, 2026, 11, 24, 9, 0))
        );
        // Moscow has no DST: always 06:00 UTC.
        assert_eq!(
            s.next_after(utc(2026, 3, 29, 12, 0)),
            Some(utc(2026, 3, 30, 6, 0))
        );
        assert_eq!(
            s.previous_before(at(tz, 2026, 11, 23, 9, 0)),
            Some(at(tz, 2026, 11, 22, 9, 0))
        );
    }

    #[test]
    fn daily_keeps_local_time_across_dst_in_berlin_and_new_york() {
        let berlin = chrono_tz::Europe::Berlin;
        let s = daily(9, 0, berlin);
        // 28 March 2026 09:00 CET = 08:00 UTC; 29 March 09:00 CEST = 07:00 UTC.
        assert_eq!(
            s.next_after(utc(2026, 3, 28, 9, 0)),
            Some(utc(2026, 3, 29, 7, 0))
        );
        // Autumn: 25 October 2026 09:00 CET = 08:00 UTC.
        assert_eq!(
            s.next_after(utc(2026, 10, 24, 12, 0)),
            Some(utc(2026, 10, 25, 8, 0))
        );
        let ny = chrono_tz::America::New_York;
        let s = daily(9, 0, ny);
        // 8 March 2026: EST → EDT; 09:00 EDT = 13:00 UTC.
        assert_eq!(
            s.next_after(utc(2026, 3, 7, 15, 0)),
            Some(utc(2026, 3, 8, 13, 0))
        );
    }

    #[test]
    fn a_time_in_the_spring_gap_fires_after_the_gap_and_an_autumn_time_fires_once() {
        let berlin = chrono_tz::Europe::Berlin;
        // 02:30 does not exist on 29 March 2026 in Berlin: fires at 03:30 CEST = 01:30 UTC.
        let s = daily(2, 30, berlin);
        assert_eq!(
            s.next_after(utc(2026, 3, 28, 12, 0)),
            Some(utc(2026, 3, 29, 1, 30))
        );
        // 02:30 happens twice on 25 October 2026: fires at the first (CEST, 00:30 UTC) only.
        let first = s.next_after(utc(2026, 10, 24, 12, 0)).expect("slot");
        assert_eq!(first, utc(2026, 10, 25, 0, 30));
        assert_eq!(s.next_after(first), Some(utc(2026, 10, 26, 1, 30)));
    }

    #[test]
    fn every_n_days_counts_from_the_anchor() {
        let tz = chrono_tz::Europe::Moscow;
        let anchor = NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
        let s = Schedule {
            frequency: Frequency::EveryNDays { days: 3, anchor },
            time: NaiveTime::from_hms_opt(10, 0, 0).expect("t"),
            tz,
        };
        assert_eq!(
            s.next_after(at(tz, 2026, 11, 1, 11, 0)),
            Some(at(tz, 2026, 11, 4, 10, 0))
        );
        assert_eq!(
            s.next_after(at(tz, 2026, 11, 4, 10, 0)),
            Some(at(tz, 2026, 11, 7, 10, 0))
        );
        assert_eq!(
            s.previous_before(at(tz, 2026, 11, 7, 10, 0)),
            Some(at(tz, 2026, 11, 4, 10, 0))
        );
    }

    #[test]
    fn weekly_fires_on_every_chosen_weekday_for_every_mask() {
        let tz = chrono_tz::Europe::Moscow;
        // 23 November 2026 is a Monday.
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        for mask in 0u8..128 {
            let s = Schedule {
                frequency: Frequency::Weekly { mask },
                time: NaiveTime::from_hms_opt(9, 0, 0).expect("t"),
                tz,
            };
            let mut t = at(tz, 2026, 11, 22, 12, 0);
            let mut fired = Vec::new();
            while let Some(next) = s.next_after(t) {
                if next > at(tz, 2026, 11, 29, 23, 0) {
                    break;
                }
                fired.push(next.with_timezone(&tz).date_naive());
                t = next;
            }
            let expected: Vec<NaiveDate> = (0..7)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| monday + Duration::days(i64::from(i)))
                .collect();
            assert_eq!(fired, expected, "mask {mask:07b}");
            if mask == 0 {
                assert_eq!(s.next_after(t), None, "no weekday: never");
            }
        }
    }

    #[test]
    fn monthly_clamps_to_short_months_and_leap_years() {
        let tz = chrono_tz::Europe::Moscow;
        let s = Schedule {
            frequency: Frequency::Monthly { day: 31 },
            time: NaiveTime::from_hms_opt(9, 0, 0).expect("t"),
            tz,
        };
        let mut t = at(tz, 2027, 12, 31, 10, 0);
        let mut days = Vec::new();
        for _ in 0..4 {
            t = s.next_after(t).expect("slot");
            let local = t.with_timezone(&tz);
            days.push((local.month(), local.day()));
        }
        // 2028 is a leap year.
        assert_eq!(days, vec![(1, 31), (2, 29), (3, 31), (4, 30)]);
        let s30 = Schedule {
            frequency: Frequency::Monthly { day: 30 },
            ..s
        };
        assert_eq!(
            s30.next_after(at(tz, 2027, 2, 1, 0, 0))
                .map(|t| t.with_timezone(&tz).day()),
            Some(28)
        );
    }
}
