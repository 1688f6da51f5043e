//! What a report is made from: the profiles with their credentials, and what the report
//! covers. A leaf: fetching, building and the service all take these.

use chrono_tz::Tz;

use crate::avito::Credentials;
use crate::domain::{AccountId, ProfileId};
use crate::i18n::Lang;
use crate::listings::fetch::Reuse;

use super::metrics::MetricSet;
use super::period::Period;

/// A profile to report on, with its decrypted credentials.
#[derive(Debug, Clone)]
pub struct ProfileSource {
    pub profile_id: ProfileId,
    pub name: String,
    pub credentials: Credentials,
    /// Known after the profile was validated; fetched from Avito when missing.
    pub avito_user_id: Option<AccountId>,
}

/// A profile's stored secret could not be turned into credentials.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the profile's stored secret cannot be read: {0}")]
pub struct SecretUnreadable(String);

impl ProfileSource {
    /// The stored profile as the engine takes it, with its secret decrypted.
    pub fn from_profile(
        profile: &crate::db::entities::avito_profile::Model,
        secrets: &crate::crypto::SecretBox,
    ) -> Result<Self, SecretUnreadable> {
        let secret = secrets
            .decrypt(&profile.client_secret_enc)
            .map_err(|e| SecretUnreadable(e.to_string()))?;
        let credentials = Credentials::new(&profile.client_id, &secret)
            .map_err(|e| SecretUnreadable(e.to_string()))?;
        Ok(Self {
            profile_id: profile.id,
            name: profile.name.clone(),
            credentials,
            avito_user_id: profile.avito_user_id,
        })
    }
}

/// What a report covers and how it is written.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub period: Period,
    pub metrics: MetricSet,
    pub tz: Tz,
    pub lang: Lang,
    /// For a person waiting: sources that have not answered by then are n/a with the
    /// reason, and the report goes out with the rest. `None` waits for every source.
    pub deadline: Option<std::time::Duration>,
    /// How "Listings to look at" may get its figures: asked for (a scheduled report, the
    /// command line), or from an answer of the last five minutes only (a person waiting:
    /// asking would wait for the once-a-minute operation's next minutes).
    pub listings: Reuse,
}
