//! What a check works on, and where its notices go.

use crate::avito::AvitoError;
use crate::db::entities::{alert_rule, avito_profile};
use crate::domain::ChatId;
use crate::i18n::Lang;

/// Where and how a profile's alerts speak.
pub struct Audience {
    pub chat: ChatId,
    pub lang: Lang,
    pub tz: chrono_tz::Tz,
    /// Quiet hours now: notices wait.
    pub quiet: bool,
}

/// What a check works on: the profile, its rule, and where its notices go.
#[derive(Clone, Copy)]
pub struct Watch<'a> {
    pub profile: &'a avito_profile::Model,
    pub rule: &'a alert_rule::Model,
    pub audience: &'a Audience,
}

/// Why a check of its own (reviews, flagged listings) stopped before its end.
pub enum Stopped {
    /// Avito refused the profile's keys.
    KeysRefused,
    /// Avito could not be asked (the reason).
    Unasked(String),
}

impl From<AvitoError> for Stopped {
    fn from(e: AvitoError) -> Self {
        match e {
            AvitoError::InvalidCredentials => Stopped::KeysRefused,
            other => Stopped::Unasked(other.to_string()),
        }
    }
}
