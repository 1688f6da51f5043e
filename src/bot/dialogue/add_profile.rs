//! The add-profile dialogue: name → client_id → client_secret, then the check against Avito
//! (`check`).
//!
//! Wrong credentials send the user back to the client_id step with the name kept; Avito being
//! unavailable keeps everything (the secret encrypted) behind a "try again" button.

use super::check::{self, CheckPorts, Entered};
use super::input::Input;
use super::inputs::{self, credential};
use super::prompts;
use crate::bot::adapters::Live;
use crate::bot::ports::{Chat, DialogueStore};
use crate::bot::steps::{State, Target};
use crate::bot::texts::{T, t, tf};
use crate::report::html_escape;

/// `/add_profile`: the first question.
pub async fn start(live: &Live<'_>, lang: crate::i18n::Lang) -> anyhow::Result<()> {
    live.enter(State::AddName).await?;
    live.say(prompts::ask_name(lang)).await
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
    ctx.live().enter(State::AddClientId { name }).await?;
    ctx.reply(reply).await
}

pub async fn on_client_id(ctx: &Input<'_>, name: String) -> anyhow::Result<()> {
    let client_id = match credential(ctx.lang, ctx.text) {
        Ok(id) => id,
        Err(problem) => return ctx.reply(problem).await,
    };
    ctx.live()
        .enter(State::AddSecret { name, client_id })
        .await?;
    ctx.reply(t(ctx.lang, T::AddAskSecret)).await
}

pub async fn on_secret(ctx: &Input<'_>, name: String, client_id: String) -> anyhow::Result<()> {
    let Some(secret) = check::typed_secret(ctx).await? else {
        return Ok(());
    };
    let live = ctx.live();
    let ports = CheckPorts::all(&live);
    let entered = Entered { client_id, secret };
    let target = Target::NewProfile { name };
    check::check(&ports, &ctx.user, ctx.lang, target, entered).await
}

/// Typed text while the "try again" button is waiting: offer the same choice again.
pub async fn remind_retry(ctx: &Input<'_>) -> anyhow::Result<()> {
    ctx.live().send(prompts::unavailable(ctx.lang)).await
}
