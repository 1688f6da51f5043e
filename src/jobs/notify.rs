//! Telling a profile's owner (in private) and the admin what went wrong with a scheduled
//! delivery. The owner is told once per failed slot, never per retry; the admin at most once
//! per cause per hour ([`AdminAlerts`](crate::ops::AdminAlerts)). A failure to tell is logged,
//! never fatal.

use chrono::{DateTime, Utc};
use teloxide::prelude::*;
use teloxide::types::ParseMode;

use super::JobContext;
use super::texts::J;
use crate::db::entities::{avito_profile, report_task};
use crate::domain::{ChatId, UserId, clock};
use crate::i18n::{self, Lang};
use crate::ops::AlertCause;
use crate::report::html_escape;
use crate::schedule;

/// A moment in the task's zone, as the owner reads it.
fn datetime(lang: Lang, at: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    at.with_timezone(&tz)
        .format(i18n::text(lang, J::DatetimeFormat))
        .to_string()
}

/// The task's destination chat, HTML-escaped.
fn chat(lang: Lang, task: &report_task::Model, owner_id: UserId) -> String {
    match task.chat_id {
        None => i18n::text(lang, J::ChatNone).to_owned(),
        Some(id) if id == owner_id.private_chat() => i18n::text(lang, J::ChatPrivate).to_owned(),
        Some(id) => html_escape(task.chat_title.as_deref().unwrap_or(&id.to_string())),
    }
}

pub(super) async fn report_failed(
    ctx: &JobContext,
    profile: &avito_profile::Model,
    task: &report_task::Model,
    slot: DateTime<Utc>,
    lang: Lang,
    reason: &str,
) {
    // A damaged zone cannot have planned this slot; UTC keeps the notice readable anyway.
    let tz = schedule::task_tz(task).unwrap_or(chrono_tz::UTC);
    let next = schedule::of_task(task)
        .ok()
        .and_then(|s| s.next_after(clock::now().max(slot)))
        .map(|n| datetime(lang, n, tz))
        .unwrap_or_else(|| i18n::text(lang, J::NextNone).to_owned());
    let text = i18n::format(
        lang,
        J::ReportFailed,
        &[
            ("name", &html_escape(&profile.name)),
            ("slot", &datetime(lang, slot, tz)),
            ("reason", &html_escape(reason)),
            ("next", &next),
        ],
    );
    to_chat(ctx, profile.owner_id.private_chat(), text).await;
}

pub(super) async fn destination_lost(
    ctx: &JobContext,
    profile: &avito_profile::Model,
    task: &report_task::Model,
    lang: Lang,
) {
    // The owner's own chat may be the one that blocked the bot: then nobody can be told.
    if task.chat_id == Some(profile.owner_id.private_chat()) {
        return;
    }
    let text = i18n::format(
        lang,
        J::DestinationLost,
        &[
            ("chat", &chat(lang, task, profile.owner_id)),
            ("name", &html_escape(&profile.name)),
        ],
    );
    to_chat(ctx, profile.owner_id.private_chat(), text).await;
}

pub(super) async fn admin_delivery_failed(
    ctx: &JobContext,
    profile: &avito_profile::Model,
    task: &report_task::Model,
    slot: DateTime<Utc>,
    attempts: u32,
    reason: &str,
) {
    let cause = AlertCause::DeliveryFailures { task_id: task.id };
    to_admin(ctx, cause, |lang| {
        i18n::format(
            lang,
            J::AdminDeliveryFailed,
            &[
                ("task", &task.id.to_string()),
                ("name", &html_escape(&profile.name)),
                ("slot", &slot.format("%Y-%m-%d %H:%M UTC").to_string()),
                ("attempts", &attempts.to_string()),
                ("reason", &html_escape(reason)),
            ],
        )
    })
    .await;
}

/// An alert to the admin, at most one per `cause` per hour (across processes).
pub(super) async fn to_admin(
    ctx: &JobContext,
    cause: AlertCause,
    text: impl FnOnce(Lang) -> String,
) {
    // The admin's own language when they use the bot, else the bot's default.
    let lang = match ctx.state.settings.admin_chat_id {
        Some(admin) => user_lang(ctx, admin.private_user()).await,
        None => Lang::Ru,
    };
    ctx.alerts.raise(cause, text(lang)).await;
}

/// A Telegram user's language as the bot knows it; the default for strangers.
pub(super) async fn user_lang(ctx: &JobContext, user_id: UserId) -> Lang {
    crate::db::users::lang_of(&ctx.state.db, user_id).await
}

async fn to_chat(ctx: &JobContext, chat: ChatId, text: String) {
    if let Err(e) = ctx
        .bot
        .paced(chat)
        .await
        .send_message(chat, text)
        .parse_mode(ParseMode::Html)
        .await
    {
        tracing::warn!(chat = chat.0, error = %e, "could not send a delivery notice");
    }
}
