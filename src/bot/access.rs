//! Who may do what: the ALLOWED_USERS list, and profile ownership for every button and
//! dialogue step that names a profile.

use crate::db::entities::{avito_profile, report_task};
use crate::db::{profiles, tasks};

use crate::context::AppState;
use crate::domain::{ProfileId, UserId};

/// A profile the acting user owns, with its report task.
#[derive(Debug, Clone)]
pub struct Owned {
    pub profile: avito_profile::Model,
    pub task: report_task::Model,
}

/// Why a profile cannot be acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Gone (deleted) — an outdated button.
    Stale,
    /// Someone else's profile.
    NotOwner,
}

pub fn is_allowed(state: &AppState, user_id: UserId) -> bool {
    state.settings.is_allowed(user_id)
}

/// Loads `profile_id` for `user_id`, refusing others' profiles and deleted ones.
pub async fn owned(
    state: &AppState,
    profile_id: ProfileId,
    user_id: UserId,
) -> anyhow::Result<Result<Owned, Refusal>> {
    let Some(profile) = profiles::find(&state.db, profile_id).await? else {
        return Ok(Err(Refusal::Stale));
    };
    if profile.owner_id != user_id {
        tracing::warn!(
            profile_id = profile_id.0,
            user_id = user_id.0,
            owner_id = profile.owner_id.0,
            "refused: not the profile's owner"
        );
        return Ok(Err(Refusal::NotOwner));
    }
    let task = tasks::ensure(&state.db, profile.id).await?;
    Ok(Ok(Owned { profile, task }))
}
