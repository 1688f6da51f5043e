//! The /profiles hub: one message edited in place, driven by inline buttons.
//!
//! Every press is checked before anything changes: data that does not parse, a profile that
//! is gone, or a profile of someone else gets a short alert and no change. Every press is
//! answered exactly once.
//!
//! This file only routes a press: [`plan`] decides what it does (pure), [`execute`] carries
//! that out, [`press`] is the press itself.

pub mod execute;
pub mod plan;
pub mod press;

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::Me;

use crate::bot::dialogue::check::CheckPorts;
use crate::bot::steps::{BotDialogue, Storage};
use crate::bot::texts::{T, t};
use crate::bot::ui::{self, Answer};
use crate::bot::who::{lang_of_user, telegram_user};
use crate::context::AppState;
use crate::domain::UserId;
use crate::telegram::TgBot;
use crate::telegram::callback::Callback;
use execute::{HubPorts, Presser};
use press::Press;

#[tracing::instrument(name = "callback", skip_all, fields(update_id = update.id.0, chat_id = q.message.as_ref().map(|m| m.chat().id.0), user_id = q.from.id.0, data = q.data.as_deref().unwrap_or("")))]
pub async fn on_callback(
    bot: TgBot,
    q: CallbackQuery,
    state: AppState,
    storage: Arc<Storage>,
    me: Me,
    update: Update,
) -> anyhow::Result<()> {
    let lang = lang_of_user(&q.from);
    if !crate::bot::access::is_allowed(&state, UserId::from(q.from.id)) {
        let text = crate::i18n::text(lang, crate::i18n::Msg::NotAllowed).to_owned();
        ui::answer(&bot, &q.id, Answer::Alert(text)).await?;
        return Ok(());
    }
    let parsed = q.data.as_deref().map(Callback::parse);
    let (Some(Ok(cb)), Some(message)) = (parsed, q.regular_message()) else {
        tracing::info!("garbled or message-less callback");
        ui::answer(&bot, &q.id, Answer::Alert(t(lang, T::AlertGarbled))).await?;
        return Ok(());
    };
    let press = Press {
        bot: &bot,
        state: &state,
        me: &me,
        lang,
        query: &q,
        chat: &message.chat,
        message_id: message.id,
        dialogue: BotDialogue::new(storage, message.chat.id),
    };
    let answer = match route(&press, cb).await {
        Ok(answer) => answer,
        Err(e) => {
            // Still answer, so the button does not spin forever; then let the error be logged.
            // Telegram failing past the retries is said as such: pressing again later works.
            let busy = e
                .chain()
                .any(|cause| cause.downcast_ref::<teloxide::RequestError>().is_some());
            let key = if busy {
                T::TelegramBusy
            } else {
                T::ErrorGeneric
            };
            let _ = ui::answer(&bot, &q.id, Answer::Alert(t(lang, key))).await;
            return Err(e);
        }
    };
    ui::answer(&bot, &q.id, answer).await?;
    Ok(())
}

async fn route(p: &Press<'_>, cb: Callback) -> anyhow::Result<Answer> {
    let live = p.live();
    let message = p.message();
    let ports = HubPorts {
        store: &live,
        dialogue: &live,
        hub: &message,
        chat: &live,
        effects: &live,
        check: CheckPorts::all(&live),
        reviews: &live,
    };
    let facts = p.facts();
    let user = telegram_user(p.sender());
    let by = Presser {
        lang: p.lang,
        facts: &facts,
        user: &user,
    };
    execute::run(&ports, &by, cb).await
}
