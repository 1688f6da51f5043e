//! A rule's episode, decided: from what is recorded (an open episode, its last notice, what
//! quiet hours hold), what a check saw and whether the rule is on, the one step to take now.
//! Pure: the job loads the state, and carries the plan out through compare-and-swaps (two
//! copies of a check may decide the same step; only one wins the store's update).

use chrono::NaiveDate;

use crate::domain::alerts::NoticeKind;

/// An open episode, as far as deciding goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Open {
    /// When its last notice went (Unix seconds); `None`: its owner was never told.
    pub last_sent_at: Option<i64>,
    /// The notice quiet hours hold for it.
    pub held: Option<NoticeKind>,
}

/// What is recorded of a rule's episode, and the owner's hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Episode {
    pub open: Option<Open>,
    /// Quiet hours now: notices wait.
    pub quiet: bool,
    /// Seconds between reminders (see [`remind_every`]).
    pub remind_every: i64,
}

/// What a check saw, reduced to what the episode needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The condition holds.
    Bad,
    /// The condition does not hold.
    Ok,
    /// Avito could not be asked: neither "all is well" nor an alert.
    Unknown,
}

/// When a "back to normal" is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tell {
    Now,
    /// Quiet hours hold it; the first check after them tells it.
    AfterQuiet,
    /// The episode's start was never told, so neither is its end.
    Never,
}

/// The one step to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Nothing,
    /// No episode yet: open one and tell its first notice.
    Fire,
    /// The episode's first notice, held by quiet hours that are now over.
    FireHeld,
    /// The episode lasts and its reminder is due.
    Remind,
    /// Quiet hours: open the episode with its first notice held.
    HoldOpening,
    /// Quiet hours: the episode's notice (`Remind`) waits for them to end.
    Hold(NoticeKind),
    /// The condition is over: close the episode.
    Recover(Tell),
    /// The rule was switched off: the episode ends without a word.
    Close,
}

/// Seconds between reminders of a rule reminding every `remind_minutes`, `speedup` times
/// sooner when checks are sped up (sandbox, demo, tests); at least a second.
pub fn remind_every(remind_minutes: i32, speedup: u32) -> i64 {
    let speedup = i64::from(speedup.max(1));
    (i64::from(remind_minutes.max(1)) * 60 / speedup).max(1)
}

/// The step for `episode` after a check saw `seen` at `now` (Unix seconds).
pub fn decide(episode: Episode, seen: Seen, switched_on: bool, now: i64) -> Plan {
    match (episode.open, seen) {
        (None, _) if !switched_on => Plan::Nothing,
        (Some(_), _) if !switched_on => Plan::Close,
        (_, Seen::Unknown) => Plan::Nothing,
        (None, Seen::Ok) => Plan::Nothing,
        (None, Seen::Bad) if episode.quiet => Plan::HoldOpening,
        (None, Seen::Bad) => Plan::Fire,
        (Some(open), Seen::Ok) => Plan::Recover(match (open.last_sent_at, episode.quiet) {
            (None, _) => Tell::Never,
            (Some(_), true) => Tell::AfterQuiet,
            (Some(_), false) => Tell::Now,
        }),
        (Some(open), Seen::Bad) => lasting(open, episode, now),
    }
}

/// The condition still holds in an open episode.
fn lasting(open: Open, episode: Episode, now: i64) -> Plan {
    let due = open
        .last_sent_at
        .is_none_or(|sent| now - sent >= episode.remind_every);
    let kind = match open.held {
        // Never told (opened in quiet hours): its first notice.
        Some(NoticeKind::Fire) => NoticeKind::Fire,
        _ if due => NoticeKind::Remind,
        _ => return Plan::Nothing,
    };
    match (episode.quiet, kind) {
        // Held once; later checks in the same quiet hours leave it held.
        (true, _) if open.held.is_some() => Plan::Nothing,
        (true, kind) => Plan::Hold(kind),
        (false, NoticeKind::Fire) => Plan::FireHeld,
        (false, _) => Plan::Remind,
    }
}

/// Missed calls: how many to tell of now (`None`: nothing new, or quiet hours keep the count
/// for the first check after them, which tells it all). `told` is what the rule recorded as
/// told: its day and count.
pub fn new_calls(
    told: (Option<NaiveDate>, i64),
    day: NaiveDate,
    missed: i64,
    quiet: bool,
) -> Option<i64> {
    let told = if told.0 == Some(day) { told.1 } else { 0 };
    (missed > told && !quiet).then_some(missed - told)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3600;
    const NOW: i64 = 1_800_000_000;

    fn episode(open: Option<Open>, quiet: bool) -> Episode {
        Episode {
            open,
            quiet,
            remind_every: 4 * HOUR,
        }
    }

    fn told_at(at: i64) -> Option<Open> {
        Some(Open {
            last_sent_at: Some(at),
            held: None,
        })
    }

    #[test]
    fn a_bad_check_without_an_episode_fires() {
        assert_eq!(
            decide(episode(None, false), Seen::Bad, true, NOW),
            Plan::Fire
        );
    }

    #[test]
    fn a_lasting_episode_reminds_after_the_interval_and_not_before() {
        let before = episode(told_at(NOW - 4 * HOUR + 1), false);
        assert_eq!(decide(before, Seen::Bad, true, NOW), Plan::Nothing);
        let due = episode(told_at(NOW - 4 * HOUR), false);
        assert_eq!(decide(due, Seen::Bad, true, NOW), Plan::Remind);
    }

    #[test]
    fn quiet_hours_hold_the_first_notice_then_it_goes_once() {
        assert_eq!(
            decide(episode(None, true), Seen::Bad, true, NOW),
            Plan::HoldOpening
        );
        let held = Some(Open {
            last_sent_at: None,
            held: Some(NoticeKind::Fire),
        });
        assert_eq!(
            decide(episode(held, true), Seen::Bad, true, NOW),
            Plan::Nothing,
            "still quiet: it stays held"
        );
        assert_eq!(
            decide(episode(held, false), Seen::Bad, true, NOW),
            Plan::FireHeld
        );
        // Told (the store cleared the hold): the next check only reminds when due.
        let told = episode(told_at(NOW), false);
        assert_eq!(decide(told, Seen::Bad, true, NOW + 60), Plan::Nothing);
    }

    #[test]
    fn a_reminder_due_in_quiet_hours_is_held_once() {
        let due = episode(told_at(NOW - 5 * HOUR), true);
        assert_eq!(
            decide(due, Seen::Bad, true, NOW),
            Plan::Hold(NoticeKind::Remind)
        );
        let held = Some(Open {
            last_sent_at: Some(NOW - 5 * HOUR),
            held: Some(NoticeKind::Remind),
        });
        assert_eq!(
            decide(episode(held, true), Seen::Bad, true, NOW),
            Plan::Nothing
        );
        assert_eq!(
            decide(episode(held, false), Seen::Bad, true, NOW),
            Plan::Remind
        );
    }

    #[test]
    fn recovery_is_told_now_after_quiet_hours_or_never() {
        let told = told_at(NOW - HOUR);
        assert_eq!(
            decide(episode(told, false), Seen::Ok, true, NOW),
            Plan::Recover(Tell::Now)
        );
        assert_eq!(
            decide(episode(told, true), Seen::Ok, true, NOW),
            Plan::Recover(Tell::AfterQuiet)
        );
        let never_told = Some(Open {
            last_sent_at: None,
            held: Some(NoticeKind::Fire),
        });
        assert_eq!(
            decide(episode(never_told, false), Seen::Ok, true, NOW),
            Plan::Recover(Tell::Never)
        );
        assert_eq!(
            decide(episode(None, false), Seen::Ok, true, NOW),
            Plan::Nothing
        );
    }

    #[test]
    fn a_rule_switched_off_closes_its_episode_silently() {
        for seen in [Seen::Bad, Seen::Ok, Seen::Unknown] {
            assert_eq!(
                decide(episode(told_at(NOW), false), seen, false, NOW),
                Plan::Close
            );
            assert_eq!(
                decide(episode(None, false), seen, false, NOW),
                Plan::Nothing
            );
        }
    }

    #[test]
    fn avito_unknown_changes_nothing() {
        for open in [None, told_at(NOW - 9 * HOUR)] {
            for quiet in [false, true] {
                assert_eq!(
                    decide(episode(open, quiet), Seen::Unknown, true, NOW),
                    Plan::Nothing
                );
            }
        }
    }

    #[test]
    fn reminders_come_sooner_when_checks_are_sped_up() {
        assert_eq!(remind_every(240, 1), 4 * HOUR);
        assert_eq!(remind_every(240, 600), 24);
        assert_eq!(remind_every(0, 100_000), 1);
    }

    #[test]
    fn missed_calls_tell_what_is_new_today_outside_quiet_hours() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).expect("date");
        let yesterday = day.pred_opt().expect("date");
        assert_eq!(new_calls((Some(day), 2), day, 5, false), Some(3));
        assert_eq!(new_calls((Some(day), 5), day, 5, false), None);
        assert_eq!(new_calls((Some(yesterday), 9), day, 2, false), Some(2));
        assert_eq!(new_calls((None, 0), day, 2, true), None);
    }
}
