//! New keys for an existing profile: client_id → client_secret, checked against Avito with a
//! token issued now (`check`). The keys must belong to the profile's Avito account; then they
//! replace the old ones and the profile works again (alert checks resume).
//!
//! As when adding a profile: the message with the secret is deleted, wrong keys send the
//! user back to the client_id step, and Avito being unavailable keeps what was typed behind
//! "try again".

use super::check::{self, CheckPorts, Entered};
use super::input::Input;
use super::inputs::credential;
use crate::bot::ports::DialogueStore;
use crate::bot::steps::{State, Target};
use crate::bot::texts::{T, t};
use crate::domain::ProfileId;

pub async fn on_client_id(ctx: &Input<'_>, profile_id: ProfileId) -> anyhow::Result<()> {
    if ctx.profile(profile_id).await?.is_none() {
        return Ok(());
    }
    let client_id = match credential(ctx.lang, ctx.text) {
        Ok(id) => id,
        Err(problem) => return ctx.reply(problem).await,
    };
    ctx.live()
        .enter(State::KeysSecret {
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
    let Some(secret) = check::typed_secret(ctx).await? else {
        return Ok(());
    };
    let live = ctx.live();
    let ports = CheckPorts::all(&live);
    let entered = Entered { client_id, secret };
    check::check(
        &ports,
        &ctx.user,
        ctx.lang,
        Target::Keys(profile_id),
        entered,
    )
    .await
}
