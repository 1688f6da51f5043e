//! A profile whose keys Avito refused. Whichever path finds it first — a scheduled report,
//! "Report now", `/stats`, an alert check, an export — marks the profile "needs new keys"
//! once, and only that path tells the owner (in private) and the operator; alert checks stop
//! until the owner enters new keys in the hub (or a report made with the old ones works again).

use teloxide::prelude::*;
use teloxide::types::ParseMode;

use crate::context::JobContext;
use crate::db::entities::avito_profile;
use crate::db::{profiles, users};
use crate::domain::ProfileId;
use crate::i18n::{self, Lang};
use crate::ops::AlertCause;
use crate::report::html_escape;
use crate::telegram::{Retry, patiently};

crate::text_keys!(pub enum K in "keys" {
    Refused => "refused",
    AdminRefused => "admin_refused",
});

/// What the owner and the operator are told, from whether this call marked the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Told {
    /// This call marked the profile: the owner and the operator were told.
    Now,
    /// It was marked before: they were told then.
    Before,
}

/// Avito refused `profile`'s keys: mark it, and tell the owner and the operator once. A
/// failure to tell is logged; a failure to mark is the database's, returned.
pub async fn refused(
    ctx: &JobContext,
    profile: &avito_profile::Model,
) -> Result<Told, crate::db::DbError> {
    let reason = crate::avito::AvitoError::InvalidCredentials.to_string();
    if !profiles::mark_keys_refused(&ctx.state.db, profile.id, &reason).await? {
        return Ok(Told::Before);
    }
    tracing::warn!(
        profile_id = profile.id.0,
        "Avito refused the profile's keys: marked, owner told"
    );
    let name = html_escape(&profile.name);
    let lang = users::lang_of(&ctx.state.db, profile.owner_id).await;
    let text = i18n::format(lang, K::Refused, &[("name", &name)]);
    // A notice like this is worth a retry on 5xx: a repeat of it misleads nobody.
    let owner = profile.owner_id.private_chat();
    let (bot, text) = (&ctx.bot, &text);
    let sent = patiently(Retry::Transient, || async move {
        bot.paced(owner)
            .await
            .send_message(owner, text.clone())
            .parse_mode(ParseMode::Html)
            .await
    })
    .await;
    if let Err(e) = sent {
        tracing::warn!(profile_id = profile.id.0, error = %e, "could not tell the owner that Avito refused the keys");
    }
    let admin_lang = match ctx.state.settings.admin_chat_id {
        Some(admin) => users::lang_of(&ctx.state.db, admin.private_user()).await,
        None => Lang::Ru,
    };
    let admin_text = i18n::format(
        admin_lang,
        K::AdminRefused,
        &[
            ("profile", &profile.id.to_string()),
            ("name", &name),
            ("owner", &profile.owner_id.to_string()),
        ],
    );
    let cause = AlertCause::InvalidCredentials {
        profile_id: profile.id,
    };
    ctx.alerts.raise(cause, admin_text).await;
    Ok(Told::Now)
}

/// A report made with the profile's keys worked: a "needs new keys" mark goes (Avito had
/// refused them for a while, or the owner fixed them in Avito).
pub async fn worked(ctx: &JobContext, profile_id: ProfileId) {
    match profiles::mark_keys_work(&ctx.state.db, profile_id).await {
        Ok(true) => tracing::info!(
            profile_id = profile_id.0,
            "Avito takes the profile's keys again"
        ),
        Ok(false) => {}
        Err(e) => {
            tracing::warn!(profile_id = profile_id.0, error = %e, "cannot clear the refused-keys mark")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_texts_exist_in_every_language_with_the_same_placeholders() {
        i18n::check_area("keys", K::ALL).expect("keys texts complete");
    }
}
