//! New keys for an existing profile: client_id → client_secret, checked against Avito with a
//! token issued now. The keys must belong to the profile's Avito account; then they replace
//! the old ones and the profile works again (alert checks resume).
//!
//! As when adding a profile: the message with the secret is deleted, wrong keys send the
//! user back to the client_id step, and Avito being unavailable keeps what was typed behind
//! "try again".

use teloxide::prelude::*;
use teloxide::types::InlineKeyboardMarkup;

use super::add_profile::{credential, unavailable_screen};
use super::{Input, State};
use crate::avito::{AvitoError, Credentials};
use crate::bot::callback::ProfileAction;
use crate::bot::hub::Press;
use crate::bot::texts::{T, t, tf};
use crate::bot::ui::{self, Answer, Screen, button};
use crate::db::profiles;
use crate::domain::{AccountId, ProfileId, UserId};
use crate::report::html_escape;

/// The first prompt, shown in the hub message.
pub fn ask_client_id(lang: crate::i18n::Lang, name: &str) -> String {
    tf(lang, T::KeysAskClientId, &[("name", &html_escape(name))])
}

pub async fn on_client_id(ctx: &Input<'_>, profile_id: ProfileId) -> anyhow::Result<()> {
    if super::inputs::profile(ctx, profile_id).await?.is_none() {
        return Ok(());
    }
    let client_id = match credential(ctx.lang, ctx.text) {
        Ok(id) => id,
        Err(problem) => return ctx.reply(problem).await,
    };
    ctx.dialogue
        .update(State::KeysSecret {
            profile_id,
            client_id,
        })
        .await?;
    ctx.reply(t(ctx.lang, T::KeysAskSecret)).await
}

pub async fn on_secret(
    ctx: &Input<'_>,
    profile_id: ProfileId,
    client_id: String,
) -> anyhow::Result<()> {
    // The secret must not stay in the chat history, whatever happens next.
    let deleted = ctx
        .bot
        .delete_message(ctx.msg.chat.id, ctx.msg.id)
        .await
        .map_err(|e| tracing::warn!(error = %e, "cannot delete the message with a client secret"))
        .is_ok();
    let secret = match credential(ctx.lang, ctx.text) {
        Ok(secret) => secret,
        Err(problem) => return ctx.reply(problem).await,
    };
    ctx.reply(t(
        ctx.lang,
        if deleted {
            T::AddSecretDeleted
        } else {
            T::AddSecretNotDeleted
        },
    ))
    .await?;
    let entered = Entered {
        profile_id,
        client_id,
        secret,
    };
    check(&Asker::from(ctx), entered).await
}

/// "Try again" after Avito was unavailable.
pub async fn retry(
    p: &Press<'_>,
    profile_id: ProfileId,
    client_id: String,
    secret_enc: String,
) -> anyhow::Result<Answer> {
    ui::answer(p.bot, &p.query.id, Answer::Silent).await?;
    let _ = p
        .bot
        .edit_message_reply_markup(p.chat.id, p.message_id)
        .reply_markup(InlineKeyboardMarkup::default())
        .await;
    let secret = match p.state.secrets.decrypt(&secret_enc) {
        Ok(secret) => secret,
        Err(e) => {
            // Only a changed SECRET_KEY gets here: the keys have to be entered again.
            tracing::warn!(error = %e, "cannot decrypt the kept client secret");
            p.dialogue
                .update(State::KeysClientId { profile_id })
                .await?;
            ui::send_html(p.bot, p.chat.id, t(p.lang, T::ErrorGeneric)).await?;
            return Ok(Answer::Done);
        }
    };
    let asker = Asker {
        bot: p.bot,
        state: p.state,
        chat: p.chat.id,
        lang: p.lang,
        user_id: p.user_id,
        dialogue: &p.dialogue,
    };
    let entered = Entered {
        profile_id,
        client_id,
        secret,
    };
    check(&asker, entered).await?;
    Ok(Answer::Done)
}

struct Entered {
    profile_id: ProfileId,
    client_id: String,
    secret: String,
}

/// Who is entering the keys, and where.
struct Asker<'a> {
    bot: &'a crate::bot::TgBot,
    state: &'a crate::bot::AppState,
    chat: ChatId,
    lang: crate::i18n::Lang,
    user_id: UserId,
    dialogue: &'a super::BotDialogue,
}

impl<'a> From<&'a Input<'a>> for Asker<'a> {
    fn from(ctx: &'a Input<'a>) -> Self {
        Self {
            bot: ctx.bot,
            state: ctx.state,
            chat: ctx.msg.chat.id,
            lang: ctx.lang,
            user_id: ctx.user_id,
            dialogue: ctx.dialogue,
        }
    }
}

/// What Avito said of the entered keys, for the profile.
enum Verdict {
    /// They work and belong to the profile's account (or the profile never knew its account).
    Fits(Option<AccountId>),
    Refused,
    /// They work, for another account.
    OtherAccount(AccountId),
    Unavailable(AvitoError),
}

/// Decides on Avito's answer: keys of another account never replace a profile's keys (its
/// reports, history and alerts are that account's).
fn verdict(known: Option<AccountId>, answer: Result<Option<AccountId>, AvitoError>) -> Verdict {
    match answer {
        Ok(Some(id)) if known.is_some_and(|k| k != id) => Verdict::OtherAccount(id),
        Ok(id) => Verdict::Fits(id),
        Err(AvitoError::InvalidCredentials) => Verdict::Refused,
        Err(e) => Verdict::Unavailable(e),
    }
}

async fn check(a: &Asker<'_>, entered: Entered) -> anyhow::Result<()> {
    let lang = a.lang;
    let Ok(Ok(owned)) = crate::bot::access::owned(a.state, entered.profile_id, a.user_id)
        .await
        .map(|r| r.map_err(|_| ()))
    else {
        a.dialogue.exit().await?;
        ui::send_html(a.bot, a.chat, t(lang, T::AlertStale)).await?;
        return Ok(());
    };
    let profile = owned.profile;
    let Ok(creds) = Credentials::new(&entered.client_id, &entered.secret) else {
        a.dialogue
            .update(State::KeysClientId {
                profile_id: profile.id,
            })
            .await?;
        ui::send_html(a.bot, a.chat, t(lang, T::InputWhitespace)).await?;
        return Ok(());
    };
    let answer = a
        .state
        .avito
        .account(creds)
        .check_keys()
        .await
        .map(|s| s.id);
    let back_to_start = State::KeysClientId {
        profile_id: profile.id,
    };
    let name = html_escape(&profile.name);
    match verdict(profile.avito_user_id, answer) {
        Verdict::Refused => {
            a.dialogue.update(back_to_start).await?;
            let text = tf(lang, T::AddWrongCredentials, &[("name", &name)]);
            ui::send_html(a.bot, a.chat, text).await?;
        }
        Verdict::OtherAccount(id) => {
            a.dialogue.update(back_to_start).await?;
            let known = profile.avito_user_id.map_or(0, |known| known.0).to_string();
            let text = tf(
                lang,
                T::KeysOtherAccount,
                &[("name", &name), ("got", &id.to_string()), ("known", &known)],
            );
            ui::send_html(a.bot, a.chat, text).await?;
        }
        Verdict::Unavailable(e) => {
            tracing::warn!(error = %e, "cannot check new keys with Avito");
            let secret_enc = a.state.secrets.encrypt(&entered.secret)?;
            a.dialogue
                .update(State::KeysRetry {
                    profile_id: profile.id,
                    client_id: entered.client_id,
                    secret_enc,
                })
                .await?;
            ui::send_screen(a.bot, a.chat, unavailable_screen(lang)).await?;
        }
        Verdict::Fits(account) => {
            let secret_enc = a.state.secrets.encrypt(&entered.secret)?;
            let (db, id) = (&a.state.db, profile.id);
            profiles::replace_keys(db, id, &entered.client_id, secret_enc, account).await?;
            a.dialogue.exit().await?;
            tracing::info!(profile_id = profile.id.0, "new keys stored");
            let text = tf(lang, T::KeysReplaced, &[("name", &name)]);
            let screen = Screen::new(
                text,
                vec![vec![button(
                    t(lang, T::BtnOpenProfile),
                    ProfileAction::View.on(profile.id),
                )]],
            );
            ui::send_screen(a.bot, a.chat, screen).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_another_account_never_replace_a_profiles_keys() {
        assert!(matches!(
            verdict(Some(AccountId(7)), Ok(Some(AccountId(7)))),
            Verdict::Fits(Some(AccountId(7)))
        ));
        assert!(matches!(
            verdict(Some(AccountId(7)), Ok(Some(AccountId(8)))),
            Verdict::OtherAccount(AccountId(8))
        ));
        assert!(
            matches!(
                verdict(None, Ok(Some(AccountId(8)))),
                Verdict::Fits(Some(AccountId(8)))
            ),
            "a profile that never knew its account takes them"
        );
        assert!(matches!(
            verdict(Some(AccountId(7)), Ok(None)),
            Verdict::Fits(None)
        ));
        assert!(matches!(
            verdict(Some(AccountId(7)), Err(AvitoError::InvalidCredentials)),
            Verdict::Refused
        ));
        let down = AvitoError::InvalidRequest("x".into());
        assert!(matches!(
            verdict(Some(AccountId(7)), Err(down)),
            Verdict::Unavailable(_)
        ));
    }
}
