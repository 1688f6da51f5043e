//! Answering a review from Telegram: "✍️ Answer" under a notice asks the owner for the text
//! in their private chat, the text comes back with "Send", "Edit" and "Cancel", and "Send"
//! sends it to Avito once. What a press does is decided by [`crate::reviews::answer`]; this
//! carries it out through the ports.

use crate::avito::ratings::ReviewAnswer;
use crate::bot::access::Owned;
use crate::bot::ports::{Chat, HubMessage, Reviews};
use crate::bot::steps::State;
use crate::bot::ui::{Answer, Screen, button};
use crate::db::entities::review_answer;
use crate::db::reviews::Move;
use crate::domain::{AnswerDraftId, AnswerState, ReviewId, clock};
use crate::i18n::{self, Lang};
use crate::reviews::answer::{self, MAX_ANSWER_CHARS, Outcome, SendStep, TextProblem};
use crate::reviews::texts::R;
use crate::telegram::callback::ProfileAction;

/// What a review's or an answer's button asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerPress {
    Start(ReviewId),
    Send(AnswerDraftId),
    Edit(AnswerDraftId),
    Cancel(AnswerDraftId),
}

impl AnswerPress {
    pub fn of(action: ProfileAction) -> Option<Self> {
        Some(match action {
            ProfileAction::ReviewAnswer(id) => AnswerPress::Start(id),
            ProfileAction::AnswerSend(id) => AnswerPress::Send(id),
            ProfileAction::AnswerEdit(id) => AnswerPress::Edit(id),
            ProfileAction::AnswerCancel(id) => AnswerPress::Cancel(id),
            _ => return None,
        })
    }
}

/// What a press acts through.
pub struct AnswerPorts<'a> {
    pub reviews: &'a dyn Reviews,
    /// The message pressed on (a notice, or an answer shown back).
    pub pressed: &'a dyn HubMessage,
    /// The chat pressed in.
    pub chat: &'a dyn Chat,
}

fn text(lang: Lang, key: R) -> String {
    i18n::text(lang, key).to_owned()
}

/// The question that asks for the answer's text.
pub fn question(lang: Lang, o: &Owned) -> String {
    i18n::format(
        lang,
        R::AskAnswer,
        &[
            ("name", &teloxide::utils::html::escape(&o.profile.name)),
            ("max", &MAX_ANSWER_CHARS.to_string()),
        ],
    )
}

/// What is wrong with a typed answer, in words.
pub fn problem(lang: Lang, p: &TextProblem) -> String {
    match p {
        TextProblem::Empty => text(lang, R::Empty),
        TextProblem::TooLong { chars } => i18n::format(
            lang,
            R::TooLong,
            &[
                ("chars", &chars.to_string()),
                ("max", &MAX_ANSWER_CHARS.to_string()),
            ],
        ),
    }
}

/// The answer shown back with "Send", "Edit" and "Cancel".
pub fn preview(lang: Lang, o: &Owned, draft: &review_answer::Model) -> Screen {
    let id = o.profile.id;
    let body = i18n::format(
        lang,
        R::Preview,
        &[
            ("name", &teloxide::utils::html::escape(&o.profile.name)),
            ("text", &teloxide::utils::html::escape(&draft.text)),
        ],
    );
    Screen::new(
        body,
        vec![
            vec![button(
                text(lang, R::BtnSend),
                ProfileAction::AnswerSend(draft.id).on(id),
            )],
            vec![
                button(
                    text(lang, R::BtnEdit),
                    ProfileAction::AnswerEdit(draft.id).on(id),
                ),
                button(
                    text(lang, R::BtnCancel),
                    ProfileAction::AnswerCancel(draft.id).on(id),
                ),
            ],
        ],
    )
}

/// Carries out a press on `o` (its owner pressed: the hub checked) in a private chat or not.
pub async fn press(
    ports: &AnswerPorts<'_>,
    lang: Lang,
    o: &Owned,
    private: bool,
    what: AnswerPress,
) -> anyhow::Result<Answer> {
    let draft_of = |id| async move { ports.reviews.answer(o, id).await };
    let stale = || Answer::Alert(crate::bot::texts::t(lang, crate::bot::texts::T::AlertStale));
    match what {
        AnswerPress::Start(review_id) => {
            let step = State::ReviewAnswer {
                profile_id: o.profile.id,
                review_id,
                draft: None,
            };
            start(ports, lang, o, private, step).await
        }
        AnswerPress::Edit(id) => match draft_of(id).await? {
            Some(d) if d.state == AnswerState::Draft => {
                let step = State::ReviewAnswer {
                    profile_id: o.profile.id,
                    review_id: d.review_id,
                    draft: Some(id),
                };
                start(ports, lang, o, private, step).await
            }
            Some(d) => Ok(Answer::Alert(closed(lang, d.state))),
            None => Ok(stale()),
        },
        AnswerPress::Cancel(id) => {
            let m = Move::new(AnswerState::Draft, AnswerState::Cancelled);
            match draft_of(id).await? {
                Some(_) if ports.reviews.move_answer(id, m).await? => {
                    ports.pressed.take_buttons().await;
                    Ok(Answer::Toast(text(lang, R::Cancelled)))
                }
                Some(d) => Ok(Answer::Alert(closed(lang, d.state))),
                None => Ok(stale()),
            }
        }
        AnswerPress::Send(id) => match draft_of(id).await? {
            Some(d) => send(ports, lang, o, d).await,
            None => Ok(stale()),
        },
    }
}

/// Why an answer that is no draft cannot be edited, cancelled or sent.
fn closed(lang: Lang, state: AnswerState) -> String {
    let now = clock::now().timestamp();
    closed_step(lang, answer::on_send(state, now, now))
}

/// Asks for the text where the owner can type it: their private chat.
async fn start(
    ports: &AnswerPorts<'_>,
    lang: Lang,
    o: &Owned,
    private: bool,
    step: State,
) -> anyhow::Result<Answer> {
    if !ports
        .reviews
        .ask_privately(o, step, question(lang, o))
        .await?
    {
        return Ok(Answer::Alert(text(lang, R::PrivateFirst)));
    }
    Ok(if private {
        Answer::Silent
    } else {
        Answer::Toast(text(lang, R::AskedInPrivate))
    })
}

/// "Send": once. The press is answered first (Avito may take a while), the outcome is said in
/// the chat.
async fn send(
    ports: &AnswerPorts<'_>,
    lang: Lang,
    o: &Owned,
    d: review_answer::Model,
) -> anyhow::Result<Answer> {
    let now = clock::now().timestamp();
    let step = answer::on_send(d.state, d.updated_at, now);
    let read_first = match step {
        SendStep::Send => false,
        SendStep::ReadFirst => true,
        other => return Ok(Answer::Alert(closed_step(lang, other))),
    };
    if !read_first && let Some(_) = ports.reviews.answered_before(&d).await? {
        return Ok(Answer::Alert(text(lang, R::AnsweredBefore)));
    }
    ports.pressed.answer_now(Answer::Silent).await?;
    let said = if read_first {
        after_a_lost_reply(ports, lang, o, &d).await?
    } else if ports
        .reviews
        .move_answer(d.id, Move::new(AnswerState::Draft, AnswerState::Sending))
        .await?
    {
        send_now(ports, lang, o, &d).await?
    } else {
        // Another press took it between the read and the move.
        text(lang, R::InProgress)
    };
    ports.chat.say(said).await?;
    Ok(Answer::Done)
}

/// What a press that sends nothing says.
fn closed_step(lang: Lang, step: SendStep) -> String {
    match step {
        SendStep::InProgress | SendStep::ReadFirst => text(lang, R::InProgress),
        SendStep::AlreadySent => text(lang, R::AlreadySent),
        SendStep::Send | SendStep::Closed => text(lang, R::Closed),
    }
}

/// An answer left `sending` (its reply lost, or a crash): the review is read, and it is sent
/// again only when the review has no answer.
async fn after_a_lost_reply(
    ports: &AnswerPorts<'_>,
    lang: Lang,
    o: &Owned,
    d: &review_answer::Model,
) -> anyhow::Result<String> {
    let lease_over = clock::now().timestamp() - answer::SENDING_LEASE_SECS;
    match ports.reviews.answer_on_review(o, d.review_id).await? {
        Err(e) => Ok(not_taken(lang, &e.to_string())),
        Ok(None) => {
            let m = Move {
                detail: Some("the review is gone".to_owned()),
                unchanged_since: Some(lease_over),
                ..Move::new(AnswerState::Sending, AnswerState::Failed)
            };
            ports.reviews.move_answer(d.id, m).await?;
            ports.pressed.take_buttons().await;
            Ok(text(lang, R::ReviewGone))
        }
        Ok(Some(Some(on_review))) => found(ports, lang, d, &on_review, lease_over).await,
        Ok(Some(None)) => {
            // Taken over from the lost attempt; the move also stamps it as this press's.
            let m = Move {
                unchanged_since: Some(lease_over),
                ..Move::new(AnswerState::Sending, AnswerState::Sending)
            };
            if ports.reviews.move_answer(d.id, m).await? {
                send_now(ports, lang, o, d).await
            } else {
                Ok(text(lang, R::InProgress))
            }
        }
    }
}

/// The review has an answer: the one that was sent.
async fn found(
    ports: &AnswerPorts<'_>,
    lang: Lang,
    d: &review_answer::Model,
    on_review: &ReviewAnswer,
    lease_over: i64,
) -> anyhow::Result<String> {
    let m = Move {
        answer_id: on_review.id,
        unchanged_since: Some(lease_over),
        ..Move::new(AnswerState::Sending, AnswerState::Sent)
    };
    ports.reviews.move_answer(d.id, m).await?;
    ports.pressed.take_buttons().await;
    Ok(text(lang, R::FoundSent))
}

fn not_taken(lang: Lang, reason: &str) -> String {
    i18n::format(
        lang,
        R::NotTaken,
        &[("reason", &teloxide::utils::html::escape(reason))],
    )
}

/// Sends the answer (it is `sending`, this press's) and records what Avito said.
async fn send_now(
    ports: &AnswerPorts<'_>,
    lang: Lang,
    o: &Owned,
    d: &review_answer::Model,
) -> anyhow::Result<String> {
    let reply = ports.reviews.send_answer(o, d.review_id, &d.text).await?;
    let outcome = answer::outcome(&reply);
    tracing::info!(
        answer = d.id.0,
        review_id = d.review_id.0,
        ?outcome,
        "answer sent to Avito"
    );
    let from = AnswerState::Sending;
    match outcome {
        Outcome::Taken { answer_id } => {
            let m = Move {
                answer_id,
                ..Move::new(from, AnswerState::Sent)
            };
            ports.reviews.move_answer(d.id, m).await?;
            ports.pressed.take_buttons().await;
            Ok(text(lang, R::Sent))
        }
        Outcome::Unknown => {
            // Read at once: a reply lost on the way back usually left the answer there.
            let lease_over = i64::MAX;
            match ports.reviews.answer_on_review(o, d.review_id).await? {
                Ok(Some(Some(on_review))) => found(ports, lang, d, &on_review, lease_over).await,
                _ => {
                    // Not there (yet), or unreadable: released, so the next press reads first.
                    let m = Move {
                        stamp: Some(0),
                        ..Move::new(from, AnswerState::Sending)
                    };
                    ports.reviews.move_answer(d.id, m).await?;
                    Ok(text(lang, R::Unknown))
                }
            }
        }
        Outcome::NotTaken(reason) => {
            ports
                .reviews
                .move_answer(d.id, Move::new(from, AnswerState::Draft))
                .await?;
            Ok(not_taken(lang, &reason))
        }
        Outcome::Refused(reason) => {
            let m = Move {
                detail: Some(reason.clone()),
                ..Move::new(from, AnswerState::Failed)
            };
            ports.reviews.move_answer(d.id, m).await?;
            ports.pressed.take_buttons().await;
            Ok(i18n::format(
                lang,
                R::Refused,
                &[("reason", &teloxide::utils::html::escape(&reason))],
            ))
        }
    }
}
