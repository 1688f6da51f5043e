//! The add-profile dialogue: name → client_id → client_secret, then a check against Avito.
//!
//! Wrong credentials send the user back to the client_id step with the name kept; Avito being
//! unavailable keeps everything (the secret encrypted) behind a "try again" button.

use crate::bot::TgBot;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, User};

use super::inputs::{self, MAX_NAME_CHARS};
use super::{BotDialogue, Input, State};
use crate::avito::{AvitoError, Credentials};
use crate::bot::AppState;
use crate::bot::callback::{Callback, ProfileAction};
use crate::bot::hub::{Press, words};
use crate::bot::texts::{T, t, tf};
use crate::bot::ui::{self, Answer, Screen, button};
use crate::db::profiles::{self, NewProfile};
use crate::db::tasks::TaskDefaults;
use crate::db::users::{self, TelegramUser};
use crate::domain::UserId;
use crate::i18n::Lang;
use crate::report::html_escape;

/// Longest client id / secret accepted (Avito's are far shorter; this only stops pastes of
/// whole documents).
const MAX_CREDENTIAL_CHARS: usize = 256;

pub fn ask_name(lang: Lang) -> String {
    tf(lang, T::AddAskName, &[("max", &MAX_NAME_CHARS.to_string())])
}

/// `/add_profile`.
pub async fn start(
    bot: &TgBot,
    chat: ChatId,
    lang: Lang,
    dialogue: &BotDialogue,
) -> anyhow::Result<()> {
    dialogue.update(State::AddName).await?;
    ui::send_html(bot, chat, ask_name(lang)).await?;
    Ok(())
}

pub async fn on_name(ctx: &Input<'_>) -> anyhow::Result<()> {
    let name = match inputs::name(ctx.lang, ctx.text) {
        Ok(name) => name,
        Err(problem) => return ctx.reply(problem).await,
    };
    let reply = tf(
        ctx.lang,
        T::AddAskClientId,
        &[("name", &html_escape(&name))],
    );
    ctx.dialogue.update(State::AddClientId { name }).await?;
    ctx.reply(reply).await
}

pub async fn on_client_id(ctx: &Input<'_>, name: String) -> anyhow::Result<()> {
    let client_id = match credential(ctx.lang, ctx.text) {
        Ok(id) => id,
        Err(problem) => return ctx.reply(problem).await,
    };
    ctx.dialogue
        .update(State::AddSecret { name, client_id })
        .await?;
    ctx.reply(t(ctx.lang, T::AddAskSecret)).await
}

pub async fn on_secret(ctx: &Input<'_>, name: String, client_id: String) -> anyhow::Result<()> {
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
    let Some(from) = ctx.msg.from.as_ref() else {
        return Ok(());
    };
    let entered = Entered {
        name,
        client_id,
        secret,
    };
    check(
        ctx.bot,
        ctx.state,
        ctx.msg.chat.id,
        ctx.lang,
        from,
        ctx.dialogue,
        entered,
    )
    .await
}

/// Typed text while the "try again" button is waiting: offer the same choice again.
pub async fn remind_retry(ctx: &Input<'_>) -> anyhow::Result<()> {
    ui::send_screen(ctx.bot, ctx.msg.chat.id, unavailable_screen(ctx.lang)).await?;
    Ok(())
}

/// "Try again" after Avito was unavailable (adding a profile, or entering new keys).
pub async fn retry(p: &Press<'_>) -> anyhow::Result<Answer> {
    let (name, client_id, secret_enc) = match p.dialogue.get().await? {
        Some(State::AddRetry {
            name,
            client_id,
            secret_enc,
        }) => (name, client_id, secret_enc),
        Some(State::KeysRetry {
            profile_id,
            client_id,
            secret_enc,
        }) => return super::keys::retry(p, profile_id, client_id, secret_enc).await,
        _ => return Ok(Answer::Alert(t(p.lang, T::AlertNoDialogue))),
    };
    // Answer now (the check can take a while) and take the button away so it is not pressed
    // twice while Avito is being asked.
    ui::answer(p.bot, &p.query.id, Answer::Silent).await?;
    let _ = p
        .bot
        .edit_message_reply_markup(p.chat.id, p.message_id)
        .reply_markup(InlineKeyboardMarkup::default())
        .await;
    let secret = match p.state.secrets.decrypt(&secret_enc) {
        Ok(secret) => secret,
        Err(e) => {
            // Only a changed SECRET_KEY gets here: the user has to enter the credentials again.
            tracing::warn!(error = %e, "cannot decrypt the kept client secret");
            p.dialogue.update(State::AddClientId { name }).await?;
            ui::send_html(p.bot, p.chat.id, t(p.lang, T::ErrorGeneric)).await?;
            return Ok(Answer::Done);
        }
    };
    let entered = Entered {
        name,
        client_id,
        secret,
    };
    check(
        p.bot,
        p.state,
        p.chat.id,
        p.lang,
        &p.query.from,
        &p.dialogue,
        entered,
    )
    .await?;
    Ok(Answer::Done)
}

struct Entered {
    name: String,
    client_id: String,
    secret: String,
}

pub(super) fn unavailable_screen(lang: Lang) -> Screen {
    Screen::new(
        t(lang, T::AddAvitoUnavailable),
        vec![vec![
            button(t(lang, T::BtnTryAgain), Callback::AddRetry),
            button(t(lang, T::BtnCancel), Callback::DialogueCancel),
        ]],
    )
}

/// Asks Avito who the credentials belong to, then stores the profile or says what is wrong.
async fn check(
    bot: &TgBot,
    state: &AppState,
    chat: ChatId,
    lang: Lang,
    from: &User,
    dialogue: &BotDialogue,
    entered: Entered,
) -> anyhow::Result<()> {
    let creds = match Credentials::new(&entered.client_id, &entered.secret) {
        Ok(creds) => creds,
        Err(_) => {
            dialogue
                .update(State::AddClientId { name: entered.name })
                .await?;
            ui::send_html(bot, chat, t(lang, T::InputWhitespace)).await?;
            return Ok(());
        }
    };
    let account = state.avito.account(creds).check_keys().await;
    let account = match account {
        Ok(account) => account,
        Err(AvitoError::InvalidCredentials) => {
            tracing::info!("Avito refused the entered credentials");
            let name = html_escape(&entered.name);
            dialogue
                .update(State::AddClientId { name: entered.name })
                .await?;
            ui::send_html(
                bot,
                chat,
                tf(lang, T::AddWrongCredentials, &[("name", &name)]),
            )
            .await?;
            return Ok(());
        }
        Err(e) => {
            // Unavailable, rate limited, or an answer we do not understand: nothing the user
            // typed is known to be wrong, so keep it all for "try again".
            tracing::warn!(error = %e, transient = e.is_transient(), "cannot check credentials with Avito");
            let secret_enc = state.secrets.encrypt(&entered.secret)?;
            dialogue
                .update(State::AddRetry {
                    name: entered.name,
                    client_id: entered.client_id,
                    secret_enc,
                })
                .await?;
            ui::send_screen(bot, chat, unavailable_screen(lang)).await?;
            return Ok(());
        }
    };
    let owner_id = UserId::from(from.id);
    let account_label = match (&account.name, account.id) {
        (Some(n), Some(id)) => format!("{} (id {id})", html_escape(n)),
        (None, Some(id)) => format!("id {id}"),
        (Some(n), None) => html_escape(n),
        (None, None) => t(lang, T::AccountUnknown),
    };
    if let Some(existing) =
        profiles::find_duplicate(&state.db, owner_id, account.id, &entered.client_id).await?
    {
        dialogue.exit().await?;
        let text = tf(
            lang,
            T::AddDuplicate,
            &[
                ("account", &account_label),
                ("name", &html_escape(&existing.name)),
            ],
        );
        ui::send_screen(
            bot,
            chat,
            Screen::new(
                text,
                vec![vec![button(
                    t(lang, T::BtnOpenProfile),
                    ProfileAction::View.on(existing.id),
                )]],
            ),
        )
        .await?;
        return Ok(());
    }
    users::upsert(
        &state.db,
        &TelegramUser {
            id: owner_id,
            username: from.username.clone(),
            first_name: from.first_name.clone(),
            language_code: from.language_code.clone(),
        },
    )
    .await?;
    let (profile, task) = profiles::create_with_task(
        &state.db,
        NewProfile {
            owner_id,
            name: entered.name,
            client_id: entered.client_id,
            client_secret_enc: state.secrets.encrypt(&entered.secret)?,
            avito_user_id: account.id,
            avito_account_name: account.name.clone(),
        },
        &TaskDefaults::default(),
    )
    .await?;
    dialogue.exit().await?;
    tracing::info!(
        profile_id = profile.id.0,
        avito_user_id = ?account.id.map(|a| a.0),
        "profile added"
    );
    let text = tf(
        lang,
        T::AddDone,
        &[
            ("name", &html_escape(&profile.name)),
            ("account", &account_label),
            ("schedule", &words::schedule_with_tz(lang, &task)),
        ],
    );
    ui::send_screen(
        bot,
        chat,
        Screen::new(
            text,
            vec![vec![button(
                t(lang, T::BtnOpenProfile),
                ProfileAction::View.on(profile.id),
            )]],
        ),
    )
    .await?;
    Ok(())
}

/// A client id or secret: one token, no whitespace.
pub(super) fn credential(lang: Lang, text: &str) -> Result<String, String> {
    let value = text.trim();
    if value.is_empty() {
        return Err(t(lang, T::InputEmpty));
    }
    if value.chars().count() > MAX_CREDENTIAL_CHARS {
        return Err(tf(
            lang,
            T::InputTooLong,
            &[("max", &MAX_CREDENTIAL_CHARS.to_string())],
        ));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(t(lang, T::InputWhitespace));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_single_tokens() {
        assert_eq!(
            credential(Lang::En, "  client-1 "),
            Ok("client-1".to_owned())
        );
        assert!(credential(Lang::En, "").is_err());
        assert!(
            credential(Lang::En, "client 1")
                .expect_err("space")
                .contains("spaces")
        );
        assert!(credential(Lang::En, &"x".repeat(300)).is_err());
    }
}
