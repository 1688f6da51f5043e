//! An answer to a review written in Telegram, decided without I/O: what a typed text may be,
//! what a press of "Send" does given where the answer stands, and what Avito's reply means.
//! Sent once: `sending` is recorded before Avito is called, and an answer left `sending` (a
//! timeout, a crash) is sent again only after the review was read and has no answer.

use crate::avito::AvitoError;
use crate::avito::ratings::AnswerCreated;
use crate::domain::AnswerState;

/// The longest answer taken. The API states no limit; Avito's cabinet keeps answers short,
/// and a preview of this size still fits one Telegram message with room to spare.
pub const MAX_ANSWER_CHARS: usize = 1_000;

/// Seconds a `sending` answer belongs to the press that is sending it: the client's longest
/// write (timeout and all) is well within it. Older, it was left by a crash or a lost reply.
pub const SENDING_LEASE_SECS: i64 = 120;

/// What is wrong with a typed answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextProblem {
    Empty,
    TooLong { chars: usize },
}

/// The answer as it will be sent: trimmed, not empty, at most [`MAX_ANSWER_CHARS`].
pub fn answer_text(typed: &str) -> Result<String, TextProblem> {
    let text = typed.trim();
    let chars = text.chars().count();
    match chars {
        0 => Err(TextProblem::Empty),
        n if n > MAX_ANSWER_CHARS => Err(TextProblem::TooLong { chars: n }),
        _ => Ok(text.to_owned()),
    }
}

/// What a press of "Send" does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendStep {
    /// A draft: send it (after moving it to `sending`).
    Send,
    /// Left `sending` past its lease: read the review; send again only if it has no answer.
    ReadFirst,
    /// Another press is sending it now.
    InProgress,
    /// Sent before (it may be published or rejected since).
    AlreadySent,
    /// Cancelled or refused: nothing to send.
    Closed,
}

pub fn on_send(state: AnswerState, updated_at: i64, now: i64) -> SendStep {
    match state {
        AnswerState::Draft => SendStep::Send,
        AnswerState::Sending if now - updated_at < SENDING_LEASE_SECS => SendStep::InProgress,
        AnswerState::Sending => SendStep::ReadFirst,
        AnswerState::Sent | AnswerState::Published | AnswerState::Rejected => SendStep::AlreadySent,
        AnswerState::Failed | AnswerState::Cancelled => SendStep::Closed,
    }
}

/// What Avito's reply to the answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Taken: moderation decides now.
    Taken { answer_id: Option<i64> },
    /// It may or may not have been taken: the review must be read before anything else.
    Unknown,
    /// Surely not taken, and it may work later (Avito down or busy, keys refused): back to
    /// a draft.
    NotTaken(String),
    /// Refused for good (no right to answer, no such review, text refused).
    Refused(String),
}

pub fn outcome(reply: &Result<AnswerCreated, AvitoError>) -> Outcome {
    match reply {
        Ok(created) => Outcome::Taken {
            answer_id: created.id,
        },
        Err(AvitoError::OutcomeUnknown { .. }) => Outcome::Unknown,
        // Nothing went out (the request was refused before or at the door).
        Err(
            e @ (AvitoError::RateLimited { .. }
            | AvitoError::Unavailable { .. }
            | AvitoError::InvalidCredentials
            | AvitoError::NotCached { .. }),
        ) => Outcome::NotTaken(e.to_string()),
        Err(AvitoError::Forbidden { message, .. }) => Outcome::Refused(message.clone()),
        Err(AvitoError::Rejected { message, .. }) => Outcome::Refused(message.clone()),
        Err(AvitoError::InvalidRequest(why)) => Outcome::Refused(why.clone()),
        // An answer that could not be read may hide a taken answer: read the review.
        Err(AvitoError::Unexpected { .. }) => Outcome::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avito::Operation;

    #[test]
    fn typed_answers_are_trimmed_and_bounded() {
        assert_eq!(answer_text("  Спасибо!  "), Ok("Спасибо!".to_owned()));
        assert_eq!(answer_text(" \n "), Err(TextProblem::Empty));
        let long = "я".repeat(MAX_ANSWER_CHARS + 1);
        assert_eq!(
            answer_text(&long),
            Err(TextProblem::TooLong {
                chars: MAX_ANSWER_CHARS + 1
            })
        );
        assert!(answer_text(&"я".repeat(MAX_ANSWER_CHARS)).is_ok());
    }

    #[test]
    fn send_goes_once_and_a_lost_reply_reads_first() {
        let now = 1_000_000;
        assert_eq!(on_send(AnswerState::Draft, 0, now), SendStep::Send);
        assert_eq!(
            on_send(AnswerState::Sending, now - 5, now),
            SendStep::InProgress
        );
        assert_eq!(
            on_send(AnswerState::Sending, now - SENDING_LEASE_SECS, now),
            SendStep::ReadFirst
        );
        for done in [
            AnswerState::Sent,
            AnswerState::Published,
            AnswerState::Rejected,
        ] {
            assert_eq!(on_send(done, 0, now), SendStep::AlreadySent);
        }
        assert_eq!(on_send(AnswerState::Cancelled, 0, now), SendStep::Closed);
        assert_eq!(on_send(AnswerState::Failed, 0, now), SendStep::Closed);
    }

    #[test]
    fn only_a_sure_refusal_is_final_and_only_a_sure_miss_is_a_draft_again() {
        let op = Operation::CreateReviewAnswerV1;
        let taken = Ok(AnswerCreated {
            id: Some(7),
            created_at: None,
        });
        assert_eq!(outcome(&taken), Outcome::Taken { answer_id: Some(7) });
        let lost = Err(AvitoError::OutcomeUnknown {
            operation: op,
            detail: "timeout".into(),
        });
        assert_eq!(outcome(&lost), Outcome::Unknown);
        let odd = Err(AvitoError::Unexpected {
            operation: op,
            status: 302,
            detail: "?".into(),
        });
        assert_eq!(outcome(&odd), Outcome::Unknown);
        let busy = Err(AvitoError::RateLimited {
            operation: op,
            retry_after: std::time::Duration::from_secs(5),
        });
        assert!(matches!(outcome(&busy), Outcome::NotTaken(_)));
        let forbidden = Err(AvitoError::Forbidden {
            operation: op,
            message: "answered already".into(),
        });
        assert_eq!(
            outcome(&forbidden),
            Outcome::Refused("answered already".into())
        );
    }
}
