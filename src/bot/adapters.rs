//! The ports of [`super::ports`] over the real services: the database, Telegram, Avito, the
//! secret box and the job queue.

use async_trait::async_trait;
use teloxide::prelude::*;
use teloxide::types::{CallbackQueryId, InlineKeyboardMarkup, Me, MessageId};

use super::access::{self, Owned, Refusal};
use super::chat_check::{self, CannotPost};
use super::delivery;
use super::ports::{
    Accounts, Change, Chat, DialogueStore, Effects, Export, HubMessage, ProfileStore, Reviews,
    SettingsStore,
};
use super::steps::{BotDialogue, State};
use super::ui::{self, Answer, Screen};
use super::views::list::{PER_PAGE, Page};
use crate::avito::model::AccountSelf;
use crate::avito::ratings::{AnswerCreated, ReviewAnswer};
use crate::avito::{AvitoError, Credentials};
use crate::context::AppState;
use crate::db::entities::{alert_rule, avito_profile, report_run, report_task, review_answer};
use crate::db::profiles::{self, NewProfile};
use crate::db::reviews::{self, Move};
use crate::db::tasks::{self, RunKind, TaskDefaults};
use crate::db::users::{self, TelegramUser};
use crate::db::{alerts, exports};
use crate::domain::alerts::AlertRule;
use crate::domain::{AccountId, AnswerDraftId, ListingsPage, Period, ProfileId, ReviewId, UserId};
use crate::export::job::Pressed;
use crate::i18n::Lang;
use crate::listings::screen::{self, ListingsView};
use crate::telegram::TgBot;

/// The services, as seen from one chat.
pub struct Live<'a> {
    pub bot: &'a TgBot,
    pub state: &'a AppState,
    pub me: &'a Me,
    pub chat: teloxide::types::ChatId,
    pub dialogue: &'a BotDialogue,
}

#[async_trait]
impl SettingsStore for Live<'_> {
    async fn owned(&self, id: ProfileId, user: UserId) -> anyhow::Result<Result<Owned, Refusal>> {
        access::owned(self.state, id, user).await
    }

    async fn apply(&self, o: &Owned, change: Change) -> anyhow::Result<()> {
        let db = &self.state.db;
        let id = o.profile.id;
        let task = o.task.id;
        match change {
            Change::Schedule(change) => tasks::change_schedule(db, &o.task, change).await?,
            Change::Metrics(set) => tasks::set_metrics(db, task, &set).await?,
            Change::Period(kind) => tasks::set_period(db, task, kind).await?,
            Change::Charts(on) => tasks::set_charts(db, task, on).await?,
            Change::RuleOn(rule, on) => {
                alerts::change_rule(db, id, rule, alerts::RuleChange::Enabled(on)).await?
            }
            Change::RuleParam(rule, param) => {
                alerts::change_rule(db, id, rule, alerts::RuleChange::Param(param)).await?
            }
            Change::RemindEvery(minutes) => {
                for rule in AlertRule::ALL {
                    let change = alerts::RuleChange::RemindMinutes(minutes);
                    alerts::change_rule(db, id, *rule, change).await?;
                }
            }
            Change::Quiet(span) => alerts::set_quiet_hours(db, id, span).await?,
            Change::Rename(name) => profiles::rename(db, id, &name).await?,
            Change::Delete => {
                profiles::delete(db, id).await?;
                tracing::info!(profile_id = id.0, "profile deleted");
            }
        }
        Ok(())
    }

    async fn alert_rules(&self, id: ProfileId) -> anyhow::Result<Vec<alert_rule::Model>> {
        Ok(alerts::rules_of(&self.state.db, id).await?)
    }

    async fn reputation(&self, id: ProfileId) -> anyhow::Result<Option<reviews::Reputation>> {
        let today = crate::domain::dates::avito_today();
        Ok(reviews::reputation(&self.state.db, id, today).await?)
    }

    async fn open_alerts(&self, id: ProfileId) -> anyhow::Result<Vec<AlertRule>> {
        // An episode that never reached its owner (quiet hours, say) is not shown as open.
        Ok(alerts::open_episodes(&self.state.db, id)
            .await?
            .into_iter()
            .filter(|e| e.last_sent_at.is_some())
            .map(|e| e.rule)
            .collect())
    }

    async fn last_run(
        &self,
        task: &report_task::Model,
    ) -> anyhow::Result<Option<report_run::Model>> {
        Ok(tasks::latest_run(&self.state.db, task.id).await?)
    }

    async fn profiles_page(&self, owner: UserId, page: u32) -> anyhow::Result<Page> {
        let db = &self.state.db;
        let mut page = u64::from(page);
        let (mut rows, mut total) = profiles::page_of(db, owner, page, PER_PAGE).await?;
        // A page that emptied (profiles deleted meanwhile) shows the last one instead.
        if rows.is_empty() && page > 0 {
            page = total.div_ceil(PER_PAGE).max(1) - 1;
            (rows, total) = profiles::page_of(db, owner, page, PER_PAGE).await?;
        }
        Ok(Page { rows, total, page })
    }
}

#[async_trait]
impl ProfileStore for Live<'_> {
    async fn connected(
        &self,
        owner: UserId,
        account: Option<AccountId>,
        client_id: &str,
    ) -> anyhow::Result<Option<avito_profile::Model>> {
        Ok(profiles::find_duplicate(&self.state.db, owner, account, client_id).await?)
    }

    async fn add(
        &self,
        user: &TelegramUser,
        profile: NewProfile,
    ) -> anyhow::Result<(avito_profile::Model, report_task::Model)> {
        let db = &self.state.db;
        users::upsert(db, user).await?;
        Ok(profiles::create_with_task(db, profile, &TaskDefaults::default()).await?)
    }

    async fn replace_keys(
        &self,
        id: ProfileId,
        client_id: &str,
        secret_enc: String,
        account: Option<AccountId>,
    ) -> anyhow::Result<()> {
        profiles::replace_keys(&self.state.db, id, client_id, secret_enc, account).await?;
        Ok(())
    }
}

#[async_trait]
impl DialogueStore for Live<'_> {
    async fn current(&self) -> anyhow::Result<State> {
        Ok(self.dialogue.get().await?.unwrap_or_default())
    }

    async fn enter(&self, step: State) -> anyhow::Result<()> {
        self.dialogue.update(step).await?;
        Ok(())
    }

    async fn exit(&self) -> anyhow::Result<()> {
        self.dialogue.exit().await?;
        Ok(())
    }

    async fn leave(&self) -> anyhow::Result<()> {
        if self.dialogue.get().await?.is_some_and(|s| s != State::Idle) {
            self.dialogue.exit().await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Chat for Live<'_> {
    async fn send(&self, screen: Screen) -> anyhow::Result<()> {
        ui::send_screen(self.bot, self.chat, screen).await?;
        Ok(())
    }

    async fn say(&self, html: String) -> anyhow::Result<()> {
        ui::send_html(self.bot, self.chat, html).await?;
        Ok(())
    }
}

#[async_trait]
impl Accounts for Live<'_> {
    async fn check(&self, creds: Credentials) -> Result<AccountSelf, AvitoError> {
        self.state.avito.account(creds).check_keys().await
    }

    fn seal(&self, secret: &str) -> anyhow::Result<String> {
        Ok(self.state.secrets.encrypt(secret)?)
    }

    fn open(&self, secret_enc: &str) -> anyhow::Result<String> {
        Ok(self.state.secrets.decrypt(secret_enc)?)
    }
}

#[async_trait]
impl Effects for Live<'_> {
    async fn report(
        &self,
        lang: Lang,
        o: &Owned,
        period: Period,
        kind: RunKind,
    ) -> anyhow::Result<()> {
        delivery::report_and_tell(self.bot, self.state, lang, o, period, kind, self.chat).await
    }

    async fn export(
        &self,
        lang: Lang,
        profile: &avito_profile::Model,
        what: Export,
    ) -> anyhow::Result<Pressed> {
        let (state, bot, chat) = (self.state, self.bot, self.chat);
        let pressed = match what {
            Export::Chats { since } => {
                crate::export::job::request_from_hub(state, bot, lang, profile, chat, since).await?
            }
            Export::Stats(period) => {
                crate::export::stats::job::request_from_hub(state, bot, lang, profile, chat, period)
                    .await?
            }
        };
        if let Pressed::Queued { export_id, .. } = &pressed
            && let Err(e) = state.jobs.enqueue_export(*export_id).await
        {
            // Not left queued: it would block the profile's next export.
            exports::abandon(&state.db, *export_id, &e.to_string()).await?;
            return Err(e.into());
        }
        Ok(pressed)
    }

    async fn can_post(&self, chat: crate::domain::ChatId, channel: bool) -> Result<(), CannotPost> {
        chat_check::can_post(self.bot, self.me.id, chat.into(), channel).await
    }

    async fn listings(
        &self,
        o: &Owned,
        page: ListingsPage,
    ) -> anyhow::Result<Result<ListingsView, AvitoError>> {
        let source = delivery::profile_source(self.state, &o.profile)?;
        let account = self.state.avito.account(source.credentials);
        let user_id = match source.avito_user_id {
            Some(id) => id,
            None => match account.account_id().await {
                Ok(id) => id,
                Err(e) => return Ok(Err(e)),
            },
        };
        Ok(screen::read(&account, user_id, page).await)
    }
}

/// The hub message a button was pressed on, and the press.
pub struct PressedMessage<'a> {
    pub bot: &'a TgBot,
    pub chat: teloxide::types::ChatId,
    pub message_id: MessageId,
    pub query_id: &'a CallbackQueryId,
}

#[async_trait]
impl HubMessage for PressedMessage<'_> {
    async fn show(&self, screen: Screen) -> anyhow::Result<()> {
        ui::edit_screen(self.bot, self.chat, self.message_id, screen).await?;
        Ok(())
    }

    async fn answer_now(&self, answer: Answer) -> anyhow::Result<()> {
        ui::answer(self.bot, self.query_id, answer).await?;
        Ok(())
    }

    async fn take_buttons(&self) {
        let _ = self
            .bot
            .unpaced()
            .edit_message_reply_markup(self.chat, self.message_id)
            .reply_markup(InlineKeyboardMarkup::default())
            .await;
    }
}

#[async_trait]
impl Reviews for Live<'_> {
    async fn ask_privately(
        &self,
        o: &Owned,
        step: State,
        question: String,
    ) -> anyhow::Result<bool> {
        let chat = o.profile.owner_id.private_chat();
        if let Err(e) = ui::send_html(self.bot, chat.into(), question).await {
            if crate::telegram::destination_lost(&e) {
                return Ok(false);
            }
            return Err(e.into());
        }
        let storage = crate::db::dialogue_storage::DbDialogueStorage::new(self.state.db.clone());
        BotDialogue::new(storage, chat.into()).update(step).await?;
        Ok(true)
    }

    async fn write_draft(
        &self,
        o: &Owned,
        review: ReviewId,
        draft: Option<AnswerDraftId>,
        (chat_id, user_id): (crate::domain::ChatId, UserId),
        text: &str,
    ) -> anyhow::Result<Option<review_answer::Model>> {
        let db = &self.state.db;
        let Some(id) = draft else {
            let new = reviews::NewDraft {
                profile_id: o.profile.id,
                review_id: review,
                chat_id,
                user_id,
                text,
            };
            return Ok(Some(reviews::create_draft(db, new).await?));
        };
        if !reviews::set_text(db, id, text).await? {
            return Ok(None);
        }
        Ok(reviews::answer(db, o.profile.id, id).await?)
    }

    async fn answer(
        &self,
        o: &Owned,
        id: AnswerDraftId,
    ) -> anyhow::Result<Option<review_answer::Model>> {
        Ok(reviews::answer(&self.state.db, o.profile.id, id).await?)
    }

    async fn answered_before(
        &self,
        a: &review_answer::Model,
    ) -> anyhow::Result<Option<review_answer::Model>> {
        Ok(reviews::answered_before(&self.state.db, a.profile_id, a.review_id, a.id).await?)
    }

    async fn move_answer(&self, id: AnswerDraftId, m: Move) -> anyhow::Result<bool> {
        Ok(reviews::move_state(&self.state.db, id, m).await?)
    }

    async fn send_answer(
        &self,
        o: &Owned,
        review: ReviewId,
        text: &str,
    ) -> anyhow::Result<Result<AnswerCreated, AvitoError>> {
        let source = delivery::profile_source(self.state, &o.profile)?;
        let account = self.state.avito.account(source.credentials);
        Ok(account.create_review_answer(review.0, text).await)
    }

    async fn answer_on_review(
        &self,
        o: &Owned,
        review: ReviewId,
    ) -> anyhow::Result<Result<Option<Option<ReviewAnswer>>, AvitoError>> {
        let source = delivery::profile_source(self.state, &o.profile)?;
        let account = self.state.avito.account(source.credentials);
        let mut pages = account.review_pages();
        loop {
            match pages.next().await {
                Ok(Some(page)) => {
                    if let Some(r) = page.reviews.into_iter().find(|r| r.id == review.0) {
                        return Ok(Ok(Some(r.answer)));
                    }
                }
                Ok(None) => return Ok(Ok(None)),
                Err(e) => return Ok(Err(e)),
            }
        }
    }
}
