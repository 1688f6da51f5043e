//! A scheduled slot's delivery, decided: whether it is too late, where a delivery resumes
//! and whether its first copy carries the 🔁 "may repeat" line, whether another attempt fits
//! the slot's budget, and what a failure ends in. Pure (`now` is a parameter): the delivery
//! job loads what these need and carries their answers out.

use chrono::{DateTime, Duration, Utc};

use crate::avito::AvitoError;
use crate::db::slots::Resume;
use crate::report::model::Failure;

/// What one attempt needs at least: building the report and sending it.
pub const ATTEMPT_ROOM: std::time::Duration = std::time::Duration::from_secs(20);

/// The time a scheduled slot has from its first attempt to the owner's report or failure
/// notice (`REPORT_SLOT_BUDGET_SEC`): retries are planned only while another attempt fits,
/// and each attempt's sources are cut off in time for it to send what arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotBudget {
    pub started: DateTime<Utc>,
    pub ends: DateTime<Utc>,
}

impl SlotBudget {
    /// From the first attempt (carried by retries; else this one, not before the slot).
    pub fn of(
        first_attempt_at: Option<i64>,
        slot: DateTime<Utc>,
        now: DateTime<Utc>,
        budget: std::time::Duration,
    ) -> Self {
        let started = first_attempt_at
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .unwrap_or_else(|| slot.max(now));
        let budget = Duration::from_std(budget).unwrap_or(Duration::minutes(5));
        Self {
            started,
            ends: started + budget,
        }
    }

    /// How long this attempt's sources may take: the budget left, less the room to send.
    pub fn attempt_deadline(&self, now: DateTime<Utc>) -> std::time::Duration {
        let room = Duration::from_std(ATTEMPT_ROOM).unwrap_or(Duration::seconds(20));
        (self.ends - room - now)
            .to_std()
            .unwrap_or_default()
            .max(ATTEMPT_ROOM)
    }

    /// The wait before another attempt: `backoff` (`None` when the attempts are used up),
    /// if that attempt still fits the budget.
    pub fn next_retry(
        &self,
        backoff: Option<std::time::Duration>,
        now: DateTime<Utc>,
    ) -> Option<std::time::Duration> {
        let delay = backoff?;
        let next = now + Duration::from_std(delay + ATTEMPT_ROOM).ok()?;
        (next <= self.ends).then_some(delay)
    }
}

/// Why a slot is skipped instead of delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// A later slot of the schedule is also due: that one goes instead.
    Superseded,
    /// Missed beyond the grace window (the bot was down).
    Missed,
}

impl Skip {
    /// The reason recorded on the slot.
    pub fn reason(self) -> &'static str {
        match self {
            Skip::Superseded => "a later slot was also due",
            Skip::Missed => "missed while the bot was down",
        }
    }
}

/// Whether the planned attempt at `slot` comes too late at `now`. Only the planned attempt
/// judges lateness (`planned`): retries and re-runs are late on purpose. `next_slot` is the
/// schedule's slot after this one.
pub fn lateness(
    planned: bool,
    slot: DateTime<Utc>,
    next_slot: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    grace: std::time::Duration,
) -> Option<Skip> {
    if !planned {
        return None;
    }
    let grace = Duration::from_std(grace).unwrap_or(Duration::hours(3));
    if next_slot.is_some_and(|n| n <= now) {
        Some(Skip::Superseded)
    } else if now - slot > grace {
        Some(Skip::Missed)
    } else {
        None
    }
}

/// Messages to send, from `from` on; the first of them after the 🔁 line when `marked`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sending {
    pub chunks: Vec<String>,
    pub from: usize,
    pub marked: bool,
}

/// How an attempt at a claimed slot starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// A run that got as far as sending keeps its messages: the rest of them go, after the
    /// last one Telegram accepted.
    Resume(Sending),
    /// Nothing frozen yet: the report is made.
    Build,
}

/// How an attempt starts from what the slot's run recorded. The message whose outcome an
/// earlier attempt left unknown (it died, or Telegram did not answer) goes again only after
/// the 🔁 line: a copy of it may already be in the chat.
pub fn start(resume: Option<Resume>) -> Start {
    match resume {
        Some(resume) => Start::Resume(Sending {
            from: resume.sent.min(resume.chunks.len()),
            marked: resume.uncertain,
            chunks: resume.chunks,
        }),
        None => Start::Build,
    }
}

/// The messages of a report just made: all of them, unmarked.
pub fn fresh(chunks: Vec<String>) -> Sending {
    Sending {
        chunks,
        from: 0,
        marked: false,
    }
}

/// What an attempt does with the report it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Send it: complete, or with n/a and the reason where a source failed for good, or
    /// with what arrived when no other attempt fits.
    Send,
    /// A source may answer later (Avito unavailable, rate limited) and another attempt fits
    /// the slot's budget.
    Retry(String),
    /// Nothing could be fetched: the owner hears why instead of a report of n/a.
    Fail(String),
}

/// Decided on the typed failures: only a transient one is worth another attempt; a refused
/// request (400, 404, …) gives the same answer again, so the slot does not wait for it.
pub fn verdict(failures: &[Failure], all_failed: bool, another_fits: bool) -> Verdict {
    if another_fits && let Some(transient) = failures.iter().find(|f| f.is_transient()) {
        return Verdict::Retry(transient.to_string());
    }
    match failures.first() {
        Some(first) if all_failed => Verdict::Fail(first.to_string()),
        _ => Verdict::Send,
    }
}

/// What went wrong in an attempt, typed by what follows from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trouble {
    /// A setting of the task or the profile's secret is unusable: the owner's to fix.
    Unusable(String),
    /// Avito refused the profile's keys.
    KeysRefused,
    /// May pass (Avito or Telegram unavailable): worth another attempt.
    Passing(String),
    /// Gives the same answer again.
    Lasting(String),
    /// The destination refused the bot (blocked, removed from the group).
    DestinationLost(String),
}

impl Trouble {
    /// What the report's source failed with, typed.
    pub fn of_avito(e: &AvitoError) -> Self {
        match e {
            AvitoError::InvalidCredentials => Trouble::KeysRefused,
            e if e.is_transient() => Trouble::Passing(e.to_string()),
            e => Trouble::Lasting(e.to_string()),
        }
    }
}

/// How a slot goes on after a trouble.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    /// Another attempt after `wait`; the reason is noted on the run.
    Retry {
        wait: std::time::Duration,
        reason: String,
    },
    /// Recorded failed; the owner told the reason, the operator alerted.
    Fail(String),
    /// Recorded failed; the owner told the reason (theirs to fix), no operator alert.
    FailUnusable(String),
    /// Recorded failed; the profile marked "needs new keys" (its owner told once).
    KeysRefused(String),
    /// Recorded failed; the task paused and its owner told.
    Deactivate(String),
}

/// How the slot goes on after `trouble`, with `next_retry` the wait before another attempt
/// when one is left and fits the budget ([`SlotBudget::next_retry`]).
pub fn after(trouble: Trouble, next_retry: Option<std::time::Duration>) -> After {
    match trouble {
        Trouble::Unusable(reason) => After::FailUnusable(reason),
        Trouble::KeysRefused => After::KeysRefused(AvitoError::InvalidCredentials.to_string()),
        Trouble::Passing(reason) => match next_retry {
            Some(wait) => After::Retry { wait, reason },
            None => After::Fail(reason),
        },
        Trouble::Lasting(reason) => After::Fail(reason),
        Trouble::DestinationLost(reason) => After::Deactivate(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const MINUTE: std::time::Duration = std::time::Duration::from_secs(60);

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, h, m, 0)
            .single()
            .expect("time")
    }

    fn unavailable() -> Failure {
        Failure::Unavailable("Avito is unavailable for itemAnalytics after 4 attempts".into())
    }

    fn refused() -> Failure {
        Failure::Other("Avito rejected itemAnalytics (HTTP 400): bad field".into())
    }

    fn chunks(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("part {i}")).collect()
    }

    #[test]
    fn a_complete_report_is_sent() {
        assert_eq!(verdict(&[], false, true), Verdict::Send);
    }

    #[test]
    fn a_transient_failure_is_retried_while_another_attempt_fits() {
        let failures = [refused(), unavailable()];
        assert_eq!(
            verdict(&failures, false, true),
            Verdict::Retry(unavailable().to_string())
        );
        assert_eq!(
            verdict(&failures, false, false),
            Verdict::Send,
            "the last attempt sends what it has"
        );
        assert_eq!(
            verdict(&[unavailable()], true, false),
            Verdict::Fail(unavailable().to_string()),
            "nothing to send after the last attempt"
        );
    }

    #[test]
    fn a_permanent_failure_ends_the_slot_at_once() {
        assert_eq!(
            verdict(&[refused()], false, true),
            Verdict::Send,
            "n/a with the reason, no retry"
        );
        assert_eq!(
            verdict(&[refused(), refused()], true, true),
            Verdict::Fail(refused().to_string()),
            "nothing could be fetched: the owner hears why, at once"
        );
    }

    #[test]
    fn a_delivery_resumes_after_the_last_accepted_message() {
        let resumed = start(Some(Resume {
            chunks: chunks(4),
            sent: 2,
            uncertain: false,
        }));
        assert_eq!(
            resumed,
            Start::Resume(Sending {
                chunks: chunks(4),
                from: 2,
                marked: false
            })
        );
        assert_eq!(
            start(None),
            Start::Build,
            "nothing frozen: the report is made"
        );
        assert_eq!(fresh(chunks(2)).from, 0);
        assert!(
            !fresh(chunks(2)).marked,
            "a new report has no copy out there"
        );
    }

    #[test]
    fn a_message_of_unknown_outcome_goes_again_only_marked() {
        let Start::Resume(sending) = start(Some(Resume {
            chunks: chunks(3),
            sent: 1,
            uncertain: true,
        })) else {
            panic!("a frozen run resumes");
        };
        assert_eq!((sending.from, sending.marked), (1, true));
    }

    #[test]
    fn another_attempt_is_planned_only_while_it_fits_the_budget() {
        let budget = SlotBudget::of(None, at(9, 0), at(9, 0), 5 * MINUTE);
        assert_eq!(budget.ends, at(9, 5));
        assert_eq!(budget.next_retry(Some(MINUTE), at(9, 1)), Some(MINUTE));
        assert_eq!(
            budget.next_retry(Some(MINUTE), at(9, 4)),
            None,
            "the retry and its room would end after the budget"
        );
        assert_eq!(budget.next_retry(None, at(9, 0)), None, "attempts used up");
        // Retries carry the first attempt's start: the budget does not grow with them.
        let retried = SlotBudget::of(Some(at(9, 0).timestamp()), at(9, 0), at(9, 3), 5 * MINUTE);
        assert_eq!(retried, budget);
        // A source is cut off in time to send what arrived, yet given room to work.
        assert_eq!(
            budget.attempt_deadline(at(9, 0)),
            4 * MINUTE + 40 * MINUTE / 60
        );
        assert_eq!(budget.attempt_deadline(at(9, 10)), ATTEMPT_ROOM);
    }

    #[test]
    fn a_stale_slot_is_skipped_with_its_reason() {
        let grace = 3 * 60 * MINUTE;
        let slot = at(9, 0);
        assert_eq!(
            lateness(true, slot, Some(at(10, 0)), at(9, 30), grace),
            None
        );
        assert_eq!(
            lateness(true, slot, Some(at(10, 0)), at(10, 0), grace),
            Some(Skip::Superseded)
        );
        assert_eq!(
            lateness(true, slot, None, at(12, 1), grace),
            Some(Skip::Missed)
        );
        assert_eq!(
            lateness(false, slot, Some(at(10, 0)), at(12, 1), grace),
            None,
            "retries and re-runs are late on purpose"
        );
        assert_eq!(Skip::Missed.reason(), "missed while the bot was down");
    }

    #[test]
    fn a_passing_failure_retries_while_it_fits_and_a_lasting_one_ends_the_slot() {
        let passing = || Trouble::Passing("Telegram is unavailable".into());
        assert_eq!(
            after(passing(), Some(MINUTE)),
            After::Retry {
                wait: MINUTE,
                reason: "Telegram is unavailable".into()
            }
        );
        assert_eq!(
            after(passing(), None),
            After::Fail("Telegram is unavailable".into())
        );
        assert_eq!(
            after(Trouble::Lasting("HTTP 400".into()), Some(MINUTE)),
            After::Fail("HTTP 400".into())
        );
        assert!(matches!(
            after(
                Trouble::of_avito(&AvitoError::InvalidCredentials),
                Some(MINUTE)
            ),
            After::KeysRefused(_)
        ));
        assert_eq!(
            after(Trouble::DestinationLost("blocked".into()), Some(MINUTE)),
            After::Deactivate("blocked".into())
        );
        assert_eq!(
            after(Trouble::Unusable("damaged".into()), Some(MINUTE)),
            After::FailUnusable("damaged".into())
        );
    }
}
