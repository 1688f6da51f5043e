//! Where a chat is in a dialogue, as the `dialogues` table keeps it (see
//! `db::dialogue_storage`), and the pieces of a step that other steps and buttons read. The
//! hub's buttons start dialogues and the dialogues continue them: both use these steps, which
//! import neither.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use teloxide::dispatching::dialogue::Dialogue;

use crate::db::dialogue_storage::DbDialogueStorage;
use crate::domain::{AnswerDraftId, ProfileId, ReviewId};

/// Where a chat is in a dialogue. Serialised as JSON in `dialogues.state`: renaming a variant
/// or field makes old rows unreadable (they then count as "no dialogue").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum State {
    #[default]
    Idle,
    AddName,
    AddClientId {
        name: String,
    },
    AddSecret {
        name: String,
        client_id: String,
    },
    /// Avito was unavailable: everything is kept (the secret encrypted) for "try again".
    AddRetry {
        name: String,
        client_id: String,
        secret_enc: String,
    },
    Time {
        profile_id: ProfileId,
    },
    TimeZone {
        profile_id: ProfileId,
    },
    Interval {
        profile_id: ProfileId,
    },
    MonthDay {
        profile_id: ProfileId,
    },
    ForwardChat {
        profile_id: ProfileId,
    },
    Rename {
        profile_id: ProfileId,
    },
    /// New keys for a profile: its client id.
    KeysClientId {
        profile_id: ProfileId,
    },
    KeysSecret {
        profile_id: ProfileId,
        client_id: String,
    },
    /// Avito was unavailable: the new keys are kept (the secret encrypted) for "try again".
    KeysRetry {
        profile_id: ProfileId,
        client_id: String,
        secret_enc: String,
    },
    HistoricalStart {
        profile_id: ProfileId,
    },
    HistoricalEnd {
        profile_id: ProfileId,
        start: NaiveDate,
    },
    /// Statistics to Excel: the period's first day.
    StatsStart {
        profile_id: ProfileId,
    },
    StatsEnd {
        profile_id: ProfileId,
        start: NaiveDate,
    },
    /// The text of an answer to a review: a new one, or the draft's new text.
    ReviewAnswer {
        profile_id: ProfileId,
        review_id: ReviewId,
        draft: Option<AnswerDraftId>,
    },
}

pub type Storage = DbDialogueStorage<State>;
pub type BotDialogue = Dialogue<State, Storage>;

/// What the period dialogue asks the period for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Report,
    StatsExport,
}

impl Purpose {
    pub fn start_step(self, profile_id: ProfileId) -> State {
        match self {
            Purpose::Report => State::HistoricalStart { profile_id },
            Purpose::StatsExport => State::StatsStart { profile_id },
        }
    }

    pub fn end_step(self, profile_id: ProfileId, start: NaiveDate) -> State {
        match self {
            Purpose::Report => State::HistoricalEnd { profile_id, start },
            Purpose::StatsExport => State::StatsEnd { profile_id, start },
        }
    }
}

/// Whose keys are being entered: a profile about to be added, or an existing one's new keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    NewProfile { name: String },
    Keys(ProfileId),
}

impl Target {
    /// The step that asks for the client id again (the name, or the profile, kept).
    pub fn ask_again(&self) -> State {
        match self {
            Target::NewProfile { name } => State::AddClientId { name: name.clone() },
            Target::Keys(profile_id) => State::KeysClientId {
                profile_id: *profile_id,
            },
        }
    }

    /// The step that keeps what was typed (the secret sealed) behind "try again".
    pub fn keep(&self, client_id: String, secret_enc: String) -> State {
        match self {
            Target::NewProfile { name } => State::AddRetry {
                name: name.clone(),
                client_id,
                secret_enc,
            },
            Target::Keys(profile_id) => State::KeysRetry {
                profile_id: *profile_id,
                client_id,
                secret_enc,
            },
        }
    }
}

/// Keys kept behind "try again" while Avito was unavailable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub target: Target,
    pub client_id: String,
    pub secret_enc: String,
}

impl State {
    /// The keys this step keeps for "try again", if it is such a step.
    pub fn kept(&self) -> Option<Kept> {
        let (target, client_id, secret_enc) = match self {
            State::AddRetry {
                name,
                client_id,
                secret_enc,
            } => (
                Target::NewProfile { name: name.clone() },
                client_id,
                secret_enc,
            ),
            State::KeysRetry {
                profile_id,
                client_id,
                secret_enc,
            } => (Target::Keys(*profile_id), client_id, secret_enc),
            _ => return None,
        };
        Some(Kept {
            target,
            client_id: client_id.clone(),
            secret_enc: secret_enc.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// States as earlier versions stored them in `dialogues.state` (profile ids as bare
    /// numbers) still read as the same step, and are written the same way.
    #[test]
    fn stored_states_stay_readable() {
        let id = ProfileId(42);
        let start = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
        for (stored, state) in [
            (r#"{"step":"idle"}"#, State::Idle),
            (
                r#"{"step":"add_client_id","name":"Shop"}"#,
                State::AddClientId {
                    name: "Shop".into(),
                },
            ),
            (
                r#"{"step":"time","profile_id":42}"#,
                State::Time { profile_id: id },
            ),
            (
                r#"{"step":"time_zone","profile_id":42}"#,
                State::TimeZone { profile_id: id },
            ),
            (
                r#"{"step":"interval","profile_id":42}"#,
                State::Interval { profile_id: id },
            ),
            (
                r#"{"step":"month_day","profile_id":42}"#,
                State::MonthDay { profile_id: id },
            ),
            (
                r#"{"step":"forward_chat","profile_id":42}"#,
                State::ForwardChat { profile_id: id },
            ),
            (
                r#"{"step":"rename","profile_id":42}"#,
                State::Rename { profile_id: id },
            ),
            (
                r#"{"step":"keys_client_id","profile_id":42}"#,
                State::KeysClientId { profile_id: id },
            ),
            (
                r#"{"step":"keys_secret","profile_id":42,"client_id":"abc"}"#,
                State::KeysSecret {
                    profile_id: id,
                    client_id: "abc".into(),
                },
            ),
            (
                r#"{"step":"keys_retry","profile_id":42,"client_id":"abc","secret_enc":"v1.x"}"#,
                State::KeysRetry {
                    profile_id: id,
                    client_id: "abc".into(),
                    secret_enc: "v1.x".into(),
                },
            ),
            (
                r#"{"step":"historical_start","profile_id":42}"#,
                State::HistoricalStart { profile_id: id },
            ),
            (
                r#"{"step":"historical_end","profile_id":42,"start":"2026-03-01"}"#,
                State::HistoricalEnd {
                    profile_id: id,
                    start,
                },
            ),
            (
                r#"{"step":"stats_start","profile_id":42}"#,
                State::StatsStart { profile_id: id },
            ),
            (
                r#"{"step":"stats_end","profile_id":42,"start":"2026-03-01"}"#,
                State::StatsEnd {
                    profile_id: id,
                    start,
                },
            ),
        ] {
            let read: State = serde_json::from_str(stored).expect(stored);
            assert_eq!(read, state, "{stored}");
            assert_eq!(serde_json::to_string(&state).ok().as_deref(), Some(stored));
        }
    }

    #[test]
    fn kept_keys_come_back_to_the_step_they_were_typed_in() {
        let id = ProfileId(7);
        for target in [
            Target::NewProfile {
                name: "Shop".into(),
            },
            Target::Keys(id),
        ] {
            let step = target.keep("abc".into(), "v1.x".into());
            assert_eq!(
                step.kept(),
                Some(Kept {
                    target: target.clone(),
                    client_id: "abc".into(),
                    secret_enc: "v1.x".into(),
                })
            );
        }
        assert_eq!(
            Target::NewProfile {
                name: "Shop".into()
            }
            .ask_again(),
            State::AddClientId {
                name: "Shop".into()
            }
        );
        assert_eq!(
            Target::Keys(id).ask_again(),
            State::KeysClientId { profile_id: id }
        );
        for not_kept in [
            State::Idle,
            State::AddSecret {
                name: "Shop".into(),
                client_id: "abc".into(),
            },
            State::KeysSecret {
                profile_id: id,
                client_id: "abc".into(),
            },
        ] {
            assert_eq!(not_kept.kept(), None, "{not_kept:?}");
        }
    }

    #[test]
    fn the_period_is_asked_in_the_steps_of_its_purpose() {
        let id = ProfileId(3);
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
        assert_eq!(
            Purpose::Report.start_step(id),
            State::HistoricalStart { profile_id: id }
        );
        assert_eq!(
            Purpose::StatsExport.end_step(id, day),
            State::StatsEnd {
                profile_id: id,
                start: day
            }
        );
    }
}
