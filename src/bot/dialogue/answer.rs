//! The text of an answer to a review, typed in the owner's private chat: checked
//! ([`crate::reviews::answer::answer_text`]), kept as a draft, and shown back with "Send",
//! "Edit" and "Cancel". A text that does not fit is answered with the problem, and the step
//! stays.

use super::input::Input;
use crate::bot::answer;
use crate::bot::ports::{Chat, DialogueStore, Reviews};
use crate::domain::{AnswerDraftId, ProfileId, ReviewId};
use crate::i18n;
use crate::reviews::answer::answer_text;
use crate::reviews::texts::R;

pub async fn on_text(
    ctx: &Input<'_>,
    profile_id: ProfileId,
    review_id: ReviewId,
    draft: Option<AnswerDraftId>,
) -> anyhow::Result<()> {
    let Some(o) = ctx.profile(profile_id).await? else {
        return Ok(());
    };
    let text = match answer_text(ctx.text) {
        Ok(text) => text,
        Err(problem) => return ctx.reply(answer::problem(ctx.lang, &problem)).await,
    };
    let live = ctx.live();
    let by = (ctx.msg.chat.id.into(), ctx.user_id());
    let written = live.write_draft(&o, review_id, draft, by, &text).await?;
    live.exit().await?;
    match written {
        Some(d) => live.send(answer::preview(ctx.lang, &o, &d)).await,
        // Sent or cancelled meanwhile (from another message's buttons).
        None => ctx.reply(i18n::text(ctx.lang, R::Closed).to_owned()).await,
    }
}
