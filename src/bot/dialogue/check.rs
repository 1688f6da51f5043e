//! Entered keys checked against Avito and the outcome carried out, for a new profile and for
//! new keys of one alike: stored; or, refused, the client id asked for again; or, Avito being
//! unavailable, everything kept (the secret sealed) behind "try again". [`verdict`] decides.

use super::input::Input;
use super::inputs::credential;
use super::prompts;
use super::verdict::{Verdict, verdict};
use crate::avito::Credentials;
use crate::avito::model::AccountSelf;
use crate::bot::ports::{Accounts, Chat, DialogueStore, ProfileStore, SettingsStore};
use crate::bot::steps::{Kept, Target};
use crate::bot::texts::{T, t, tf};
use crate::bot::ui::{Screen, button};
use crate::bot::views::words;
use crate::db::profiles::NewProfile;
use crate::db::users::TelegramUser;
use crate::domain::{AccountId, ProfileId};
use crate::i18n::Lang;
use crate::report::html_escape;
use crate::telegram::callback::ProfileAction;

/// What checking keys acts through.
pub struct CheckPorts<'a> {
    pub store: &'a dyn SettingsStore,
    pub profiles: &'a dyn ProfileStore,
    pub accounts: &'a dyn Accounts,
    pub dialogue: &'a dyn DialogueStore,
    pub chat: &'a dyn Chat,
}

impl<'a> CheckPorts<'a> {
    /// Every port from one adapter.
    pub fn all<P>(p: &'a P) -> Self
    where
        P: SettingsStore + ProfileStore + Accounts + DialogueStore + Chat,
    {
        Self {
            store: p,
            profiles: p,
            accounts: p,
            dialogue: p,
            chat: p,
        }
    }
}

/// Keys as typed.
pub struct Entered {
    pub client_id: String,
    pub secret: String,
}

/// The keys are for `target`, named `name`, of the account `known` (if it is known).
struct Subject {
    target: Target,
    name: String,
    known: Option<AccountId>,
}

/// The secret typed in reply to the last question. Its message is deleted whatever happens
/// next, and the user told whether that worked; a malformed one is answered with the
/// problem (`None`).
pub async fn typed_secret(ctx: &Input<'_>) -> anyhow::Result<Option<String>> {
    use teloxide::prelude::Requester;
    let deleted = ctx
        .bot
        .unpaced()
        .delete_message(ctx.msg.chat.id, ctx.msg.id)
        .await
        .map_err(|e| tracing::warn!(error = %e, "cannot delete the message with a client secret"))
        .is_ok();
    let secret = match credential(ctx.lang, ctx.text) {
        Ok(secret) => secret,
        Err(problem) => {
            ctx.reply(problem).await?;
            return Ok(None);
        }
    };
    let note = if deleted {
        T::AddSecretDeleted
    } else {
        T::AddSecretNotDeleted
    };
    ctx.reply(t(ctx.lang, note)).await?;
    Ok(Some(secret))
}

/// "Try again" after Avito was unavailable: the kept keys checked again.
pub async fn retry(
    ports: &CheckPorts<'_>,
    user: &TelegramUser,
    lang: Lang,
    kept: Kept,
) -> anyhow::Result<()> {
    let Kept {
        target,
        client_id,
        secret_enc,
    } = kept;
    match ports.accounts.open(&secret_enc) {
        Ok(secret) => check(ports, user, lang, target, Entered { client_id, secret }).await,
        Err(e) => {
            // Only a changed SECRET_KEY gets here: the keys have to be entered again.
            tracing::warn!(error = %e, "cannot decrypt the kept client secret");
            ports.dialogue.enter(target.ask_again()).await?;
            ports.chat.say(t(lang, T::ErrorGeneric)).await
        }
    }
}

/// Asks Avito whose the keys are, then stores them or says what is wrong.
pub async fn check(
    ports: &CheckPorts<'_>,
    user: &TelegramUser,
    lang: Lang,
    target: Target,
    entered: Entered,
) -> anyhow::Result<()> {
    let subject = match &target {
        Target::NewProfile { name } => Subject {
            name: name.clone(),
            known: None,
            target,
        },
        // New keys: the profile must still be the user's.
        Target::Keys(id) => match ports.store.owned(*id, user.id).await? {
            Ok(o) => Subject {
                name: o.profile.name,
                known: o.profile.avito_user_id,
                target,
            },
            Err(_) => {
                ports.dialogue.exit().await?;
                return ports.chat.say(t(lang, T::AlertStale)).await;
            }
        },
    };
    let Ok(creds) = Credentials::new(&entered.client_id, &entered.secret) else {
        ports.dialogue.enter(subject.target.ask_again()).await?;
        return ports.chat.say(t(lang, T::InputWhitespace)).await;
    };
    let answer = ports.accounts.check(creds).await;
    // A new profile of an account the user has connected already is offered, not added.
    let connected = match (&subject.target, &answer) {
        (Target::NewProfile { .. }, Ok(account)) => ports
            .profiles
            .connected(user.id, account.id, &entered.client_id)
            .await?
            .map(|p| (p.id, p.name)),
        _ => None,
    };
    let outcome = verdict(subject.known, answer, connected);
    carry_out(ports, user, lang, subject, entered, outcome).await
}

async fn carry_out(
    ports: &CheckPorts<'_>,
    user: &TelegramUser,
    lang: Lang,
    subject: Subject,
    entered: Entered,
    outcome: Verdict,
) -> anyhow::Result<()> {
    let name = html_escape(&subject.name);
    match outcome {
        Verdict::Refused => {
            tracing::info!("Avito refused the entered credentials");
            let text = tf(lang, T::AddWrongCredentials, &[("name", &name)]);
            ask_again(ports, &subject, text).await
        }
        Verdict::OtherAccount(got) => {
            let known = subject.known.map_or(0, |known| known.0).to_string();
            let text = tf(
                lang,
                T::KeysOtherAccount,
                &[
                    ("name", &name),
                    ("got", &got.to_string()),
                    ("known", &known),
                ],
            );
            ask_again(ports, &subject, text).await
        }
        Verdict::Unavailable(e) => {
            match subject.target {
                Target::NewProfile { .. } => {
                    tracing::warn!(error = %e, transient = e.is_transient(), "cannot check credentials with Avito")
                }
                Target::Keys(_) => tracing::warn!(error = %e, "cannot check new keys with Avito"),
            }
            let secret_enc = ports.accounts.seal(&entered.secret)?;
            let kept = subject.target.keep(entered.client_id, secret_enc);
            ports.dialogue.enter(kept).await?;
            ports.chat.send(prompts::unavailable(lang)).await
        }
        Verdict::Connected { id, name, account } => {
            ports.dialogue.exit().await?;
            let text = tf(
                lang,
                T::AddDuplicate,
                &[
                    ("account", &account_words(lang, &account)),
                    ("name", &html_escape(&name)),
                ],
            );
            ports.chat.send(with_open_button(lang, text, id)).await
        }
        Verdict::Fits(account) => store(ports, user, lang, subject, entered, account).await,
    }
}

/// Back to the client id step, saying why.
async fn ask_again(ports: &CheckPorts<'_>, subject: &Subject, text: String) -> anyhow::Result<()> {
    ports.dialogue.enter(subject.target.ask_again()).await?;
    ports.chat.say(text).await
}

/// Keys that fit: the new profile added, or the profile's keys replaced.
async fn store(
    ports: &CheckPorts<'_>,
    user: &TelegramUser,
    lang: Lang,
    subject: Subject,
    entered: Entered,
    account: AccountSelf,
) -> anyhow::Result<()> {
    let secret_enc = ports.accounts.seal(&entered.secret)?;
    let (id, text) = match subject.target {
        Target::NewProfile { name } => {
            let new = NewProfile {
                owner_id: user.id,
                name,
                client_id: entered.client_id,
                client_secret_enc: secret_enc,
                avito_user_id: account.id,
                avito_account_name: account.name.clone(),
            };
            let (profile, task) = ports.profiles.add(user, new).await?;
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
                    ("account", &account_words(lang, &account)),
                    ("schedule", &words::schedule_with_tz(lang, &task)),
                ],
            );
            (profile.id, text)
        }
        Target::Keys(id) => {
            let client_id = &entered.client_id;
            ports
                .profiles
                .replace_keys(id, client_id, secret_enc, account.id)
                .await?;
            tracing::info!(profile_id = id.0, "new keys stored");
            let name = html_escape(&subject.name);
            (id, tf(lang, T::KeysReplaced, &[("name", &name)]))
        }
    };
    ports.dialogue.exit().await?;
    ports.chat.send(with_open_button(lang, text, id)).await
}

fn account_words(lang: Lang, account: &AccountSelf) -> String {
    words::account(lang, account.name.as_deref(), account.id)
}

fn with_open_button(lang: Lang, text: String, id: ProfileId) -> Screen {
    Screen::new(
        text,
        vec![vec![button(
            t(lang, T::BtnOpenProfile),
            ProfileAction::View.on(id),
        )]],
    )
}
