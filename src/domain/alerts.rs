//! Alerts that watch an account: the rules, their parameters and defaults, quiet and working
//! hours, and what a check found. Stored as slugs and numbers, read once into these types.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Timelike};
use serde::{Deserialize, Serialize};

use super::status::slug_enum;

slug_enum!(
    /// What an alert watches (serialised by slug, as queued check jobs carry it).
    #[derive(Serialize, Deserialize)]
    AlertRule, "alert rule" {
        /// The wallet's money (not bonuses) below a threshold.
        #[serde(rename = "wallet_low")]
        WalletLow => "wallet_low",
        /// The CPA balance below a threshold.
        #[serde(rename = "cpa_low")]
        CpaLow => "cpa_low",
        /// Today's spending so far above K × the trailing 7-day average to the same hour.
        #[serde(rename = "spend_spike")]
        SpendSpike => "spend_spike",
        /// Yesterday's views or contacts below P % of the trailing 7-day average.
        #[serde(rename = "demand_drop")]
        DemandDrop => "demand_drop",
        /// An incoming Messenger message not answered within N minutes, in working hours.
        #[serde(rename = "unanswered_chats")]
        Unanswered => "unanswered_chats",
        /// Missed calls: each (every 15 minutes) or an hourly digest.
        #[serde(rename = "missed_calls")]
        MissedCalls => "missed_calls",
        /// Every new review (or only those of 1–3 stars), once, with a button to answer it.
        #[serde(rename = "new_reviews")]
        NewReviews => "new_reviews",
        /// The seller's rating below a bar (tenths of a star).
        #[serde(rename = "rating_low")]
        RatingLow => "rating_low",
        /// A listing blocked or rejected by Avito, once per listing and change.
        #[serde(rename = "listing_blocked")]
        ListingBlocked => "listing_blocked",
    }
);

slug_enum!(
    /// A notice an alert sends.
    NoticeKind, "alert notice" {
        Fire => "fire",
        Remind => "remind",
        Recover => "recover",
    }
);

/// Missed-call parameter values.
pub const MISSED_EACH: i64 = 0;
pub const MISSED_HOURLY: i64 = 1;

/// New-review parameter values: the most stars a review may have to be told.
pub const REVIEWS_EVERY: i64 = 5;
pub const REVIEWS_LOW: i64 = 3;

impl AlertRule {
    /// The parameter a new rule starts with.
    pub fn default_param(self) -> i64 {
        match self {
            AlertRule::WalletLow => 100_000, // 1,000 ₽ in kopecks
            AlertRule::CpaLow => 50_000,     // 500 ₽
            AlertRule::SpendSpike => 200,    // 2 × the average
            AlertRule::DemandDrop => 50,     // 50 % of the average
            AlertRule::Unanswered => 30,     // minutes
            AlertRule::MissedCalls => MISSED_EACH,
            AlertRule::NewReviews => REVIEWS_EVERY,
            AlertRule::RatingLow => 40, // 4.0 stars
            AlertRule::ListingBlocked => 0,
        }
    }

    /// The values the hub offers for the parameter, in order (a press moves to the next).
    pub fn choices(self) -> &'static [i64] {
        match self {
            AlertRule::WalletLow | AlertRule::CpaLow => {
                &[50_000, 100_000, 300_000, 500_000, 1_000_000, 3_000_000]
            }
            AlertRule::SpendSpike => &[150, 200, 300, 500],
            AlertRule::DemandDrop => &[30, 50, 70],
            AlertRule::Unanswered => &[15, 30, 60, 120],
            AlertRule::MissedCalls => &[MISSED_EACH, MISSED_HOURLY],
            AlertRule::NewReviews => &[REVIEWS_EVERY, REVIEWS_LOW],
            AlertRule::RatingLow => &[45, 40, 35],
            AlertRule::ListingBlocked => &[0],
        }
    }

    /// The parameter after `current` in [`AlertRule::choices`] (the first after the last, or
    /// after a value not offered).
    pub fn next_choice(self, current: i64) -> i64 {
        let choices = self.choices();
        match choices.iter().position(|c| *c == current) {
            Some(i) => choices[(i + 1) % choices.len()],
            None => choices[0],
        }
    }

    /// How often the rule is checked, chosen from Avito's limits (see README): the balances
    /// and calls have no documented limit but change slowly; the operations history is paged
    /// by week; the chats list is one request; demand uses the 1/min statistics call, once a
    /// day. Reviews: the ratings operations have no documented limit; a review waits ten
    /// minutes at most, and the rating, which moves slowly, is read every half hour.
    pub fn check_every(self, param: i64) -> Duration {
        const MIN: u64 = 60;
        Duration::from_secs(match self {
            AlertRule::WalletLow | AlertRule::CpaLow => 10 * MIN,
            AlertRule::SpendSpike => 60 * MIN,
            AlertRule::DemandDrop => 24 * 60 * MIN,
            AlertRule::Unanswered => 5 * MIN,
            AlertRule::MissedCalls if param == MISSED_HOURLY => 60 * MIN,
            AlertRule::MissedCalls => 15 * MIN,
            AlertRule::NewReviews => 10 * MIN,
            AlertRule::RatingLow => 30 * MIN,
            // The listing of blocked and rejected ads: one or two requests of the 25/min
            // listing.
            AlertRule::ListingBlocked => 10 * MIN,
        })
    }

    /// Whether the rule has episodes (fires, reminds, recovers); missed calls and reviews are
    /// events.
    pub fn episodic(self) -> bool {
        !matches!(
            self,
            AlertRule::MissedCalls | AlertRule::NewReviews | AlertRule::ListingBlocked
        )
    }

    /// Whether a new profile starts with the rule on (existing profiles get it off: switching
    /// it on is the owner's choice).
    pub fn on_for_new_profiles(self) -> bool {
        matches!(self, AlertRule::NewReviews | AlertRule::ListingBlocked)
    }
}

/// A span of the day, minutes since midnight in the profile's zone; it may wrap midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaySpan {
    pub from: u16,
    pub to: u16,
}

impl DaySpan {
    /// Default quiet hours: 22:00–08:00.
    pub const QUIET_DEFAULT: DaySpan = DaySpan {
        from: 22 * 60,
        to: 8 * 60,
    };
    /// Default working hours of the unanswered-chats rule: 09:00–21:00.
    pub const WORK_DEFAULT: DaySpan = DaySpan {
        from: 9 * 60,
        to: 21 * 60,
    };

    /// From stored minutes; values off the clock are clamped onto it.
    pub fn from_minutes(from: i32, to: i32) -> DaySpan {
        let clamp = |m: i32| m.clamp(0, 24 * 60 - 1) as u16;
        DaySpan {
            from: clamp(from),
            to: clamp(to),
        }
    }

    /// Quiet hours from a profile's columns: unset is the default, equal ends are none.
    pub fn quiet_from_columns(from: Option<i32>, to: Option<i32>) -> Option<DaySpan> {
        match (from, to) {
            (Some(f), Some(t)) if f == t => None,
            (Some(f), Some(t)) => Some(DaySpan::from_minutes(f, t)),
            _ => Some(DaySpan::QUIET_DEFAULT),
        }
    }

    /// Whether the local time `t` falls inside (the start counts, the end does not).
    pub fn contains<Tz: TimeZone>(&self, t: &DateTime<Tz>) -> bool {
        let m = (t.hour() * 60 + t.minute()) as u16;
        if self.from <= self.to {
            self.from <= m && m < self.to
        } else {
            m >= self.from || m < self.to
        }
    }

    /// "22:00–08:00".
    pub fn label(&self) -> String {
        format!(
            "{:02}:{:02}–{:02}:{:02}",
            self.from / 60,
            self.from % 60,
            self.to / 60,
            self.to % 60
        )
    }
}

/// Which demand figure dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemandMetric {
    Views,
    Contacts,
}

/// A chat waiting for an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingChat {
    pub chat_id: String,
    pub item_title: Option<String>,
    pub counterpart: Option<String>,
    /// Minutes since the unanswered message.
    pub waiting_minutes: i64,
}

/// What a check found wrong (kept with the episode, told in its notices). Money in kopecks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    Balance {
        balance: i64,
        threshold: i64,
    },
    SpendSpike {
        today: i64,
        average: i64,
        /// The hour (local) the comparison runs to.
        hour: u32,
        factor_percent: i64,
    },
    DemandDrop {
        drops: Vec<DemandDrop>,
        percent: i64,
    },
    Unanswered {
        chats: Vec<WaitingChat>,
        minutes: i64,
    },
    MissedCalls {
        new: i64,
        today: i64,
    },
    /// The rating below the bar; both in stars, the bar in tenths.
    RatingLow {
        score: f64,
        threshold_tenths: i64,
    },
}

/// One demand figure below its bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandDrop {
    pub metric: DemandMetric,
    pub yesterday: i64,
    pub average: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, h, m, 0)
            .single()
            .expect("time")
    }

    #[test]
    fn spans_wrap_midnight_and_unset_quiet_hours_are_the_default() {
        let quiet = DaySpan::QUIET_DEFAULT;
        assert!(quiet.contains(&at(23, 0)) && quiet.contains(&at(7, 59)));
        assert!(!quiet.contains(&at(8, 0)) && !quiet.contains(&at(21, 59)));
        let work = DaySpan::WORK_DEFAULT;
        assert!(work.contains(&at(9, 0)) && !work.contains(&at(21, 0)));
        assert_eq!(DaySpan::quiet_from_columns(None, None), Some(quiet));
        assert_eq!(DaySpan::quiet_from_columns(Some(0), Some(0)), None);
        assert_eq!(quiet.label(), "22:00–08:00");
    }

    #[test]
    fn choices_cycle_and_every_rule_has_a_default_among_them() {
        for rule in AlertRule::ALL {
            assert!(rule.choices().contains(&rule.default_param()), "{rule}");
            let last = *rule.choices().last().expect("choices");
            assert_eq!(rule.next_choice(last), rule.choices()[0]);
        }
        assert_eq!(AlertRule::WalletLow.next_choice(7), 50_000);
    }

    #[test]
    fn findings_round_trip_through_json() {
        let f = Finding::Unanswered {
            chats: vec![WaitingChat {
                chat_id: "u2i-1".into(),
                item_title: Some("Диван".into()),
                counterpart: None,
                waiting_minutes: 45,
            }],
            minutes: 30,
        };
        let json = serde_json::to_string(&f).expect("json");
        assert_eq!(serde_json::from_str::<Finding>(&json).expect("back"), f);
    }
}
