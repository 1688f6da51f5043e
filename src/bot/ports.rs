//! The narrow ports the bot's use cases act through, each named by what it does. The use
//! cases decide with pure functions and carry their plans out through these; `adapters`
//! implements them over the database, Telegram, Avito and the job queue.

use async_trait::async_trait;

use super::access::{Owned, Refusal};
use super::chat_check::CannotPost;
use super::steps::State;
use super::ui::{Answer, Screen};
use super::views::list::Page;
use crate::avito::model::AccountSelf;
use crate::avito::ratings::{AnswerCreated, ReviewAnswer};
use crate::avito::{AvitoError, Credentials};
use crate::db::entities::review_answer;
use crate::db::entities::{alert_rule, avito_profile, report_run, report_task};
use crate::db::profiles::NewProfile;
use crate::db::reviews::{Move, Reputation};
use crate::db::tasks::{RunKind, ScheduleChange};
use crate::db::users::TelegramUser;
use crate::domain::alerts::{AlertRule, DaySpan};
use crate::domain::{
    AccountId, AnswerDraftId, ChatId, ListingsPage, Period, ProfileId, ReviewId, UserId,
};
use crate::export::job::Pressed;
use crate::i18n::Lang;
use crate::listings::screen::ListingsView;
use crate::report::{MetricSet, PeriodKind};

/// One change of a profile's settings, as a press or a typed value makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Schedule(ScheduleChange),
    Metrics(MetricSet),
    Period(PeriodKind),
    Charts(bool),
    /// One alert rule switched on or off.
    RuleOn(AlertRule, bool),
    /// One alert rule's parameter.
    RuleParam(AlertRule, i64),
    /// How often every open alert of the profile reminds, in minutes.
    RemindEvery(i32),
    /// The profile's quiet hours (`None`: none).
    Quiet(Option<DaySpan>),
    Rename(String),
    Delete,
}

/// Profiles and their report and alert settings.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// Profile `id` with its task, if `user` owns it.
    async fn owned(&self, id: ProfileId, user: UserId) -> anyhow::Result<Result<Owned, Refusal>>;
    async fn apply(&self, o: &Owned, change: Change) -> anyhow::Result<()>;
    /// The profile's alert rules, one per kind (missing rows are created switched off).
    async fn alert_rules(&self, id: ProfileId) -> anyhow::Result<Vec<alert_rule::Model>>;
    /// The seller's rating and unanswered reviews as last read (`None`: never read).
    async fn reputation(&self, id: ProfileId) -> anyhow::Result<Option<Reputation>>;
    /// The rules of the profile with an alert open now.
    async fn open_alerts(&self, id: ProfileId) -> anyhow::Result<Vec<AlertRule>>;
    async fn last_run(
        &self,
        task: &report_task::Model,
    ) -> anyhow::Result<Option<report_run::Model>>;
    async fn profiles_page(&self, owner: UserId, page: u32) -> anyhow::Result<Page>;
}

/// Adding profiles and replacing their keys.
#[async_trait]
pub trait ProfileStore: Send + Sync {
    /// The user's profile of this Avito account or client id, if there is one.
    async fn connected(
        &self,
        owner: UserId,
        account: Option<AccountId>,
        client_id: &str,
    ) -> anyhow::Result<Option<avito_profile::Model>>;
    /// Registers the user and adds the profile with a report task of the defaults.
    async fn add(
        &self,
        user: &TelegramUser,
        profile: NewProfile,
    ) -> anyhow::Result<(avito_profile::Model, report_task::Model)>;
    async fn replace_keys(
        &self,
        id: ProfileId,
        client_id: &str,
        secret_enc: String,
        account: Option<AccountId>,
    ) -> anyhow::Result<()>;
}

/// The chat's dialogue step.
#[async_trait]
pub trait DialogueStore: Send + Sync {
    /// The step the chat is in (idle when none).
    async fn current(&self) -> anyhow::Result<State>;
    async fn enter(&self, step: State) -> anyhow::Result<()>;
    async fn exit(&self) -> anyhow::Result<()>;
    /// Leaves a half-done dialogue, if the chat is in one.
    async fn leave(&self) -> anyhow::Result<()>;
}

/// New messages in the chat the user is in.
#[async_trait]
pub trait Chat: Send + Sync {
    async fn send(&self, screen: Screen) -> anyhow::Result<()>;
    /// An HTML text without buttons.
    async fn say(&self, html: String) -> anyhow::Result<()>;
}

/// The hub message whose button was pressed, and the press itself.
#[async_trait]
pub trait HubMessage: Send + Sync {
    /// Shows `screen` in place of the message.
    async fn show(&self, screen: Screen) -> anyhow::Result<()>;
    /// Answers the press now, before a longer effect (a press is answered once).
    async fn answer_now(&self, answer: Answer) -> anyhow::Result<()>;
    /// Takes the message's buttons away, so that they are not pressed twice.
    async fn take_buttons(&self);
}

/// Avito's word on entered keys, and the secret box that keeps them.
#[async_trait]
pub trait Accounts: Send + Sync {
    /// The account the keys belong to, with a token issued now.
    async fn check(&self, creds: Credentials) -> Result<AccountSelf, AvitoError>;
    fn seal(&self, secret: &str) -> anyhow::Result<String>;
    fn open(&self, secret_enc: &str) -> anyhow::Result<String>;
}

/// Reviews and the answers written to them, as a press on a review's buttons needs them.
#[async_trait]
pub trait Reviews: Send + Sync {
    /// Asks the owner of `o` for an answer to `review` in their private chat (its dialogue
    /// enters `step`). `false`: the bot cannot write there (never started).
    async fn ask_privately(&self, o: &Owned, step: State, question: String)
    -> anyhow::Result<bool>;
    /// Records a typed answer to `review` as a draft (a new one, or `draft`'s new text if it
    /// is still a draft); `None`: the draft is no longer one.
    async fn write_draft(
        &self,
        o: &Owned,
        review: ReviewId,
        draft: Option<AnswerDraftId>,
        by: (ChatId, UserId),
        text: &str,
    ) -> anyhow::Result<Option<review_answer::Model>>;
    /// Answer `id` of the profile.
    async fn answer(
        &self,
        o: &Owned,
        id: AnswerDraftId,
    ) -> anyhow::Result<Option<review_answer::Model>>;
    /// Another answer of the profile to the same review that went or is going to Avito.
    async fn answered_before(
        &self,
        a: &review_answer::Model,
    ) -> anyhow::Result<Option<review_answer::Model>>;
    /// Moves the answer's state if it is still where `m` says: whether this call moved it.
    async fn move_answer(&self, id: AnswerDraftId, m: Move) -> anyhow::Result<bool>;
    /// `createReviewAnswerV1`, once.
    async fn send_answer(
        &self,
        o: &Owned,
        review: ReviewId,
        text: &str,
    ) -> anyhow::Result<Result<AnswerCreated, AvitoError>>;
    /// The seller's answer on `review` as Avito shows it now: `None` when there is no such
    /// review any more, `Some(None)` when it has no answer.
    async fn answer_on_review(
        &self,
        o: &Owned,
        review: ReviewId,
    ) -> anyhow::Result<Result<Option<Option<ReviewAnswer>>, AvitoError>>;
}

/// What is exported to Excel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// Messenger chats, those updated since the day when given.
    Chats {
        since: Option<chrono::NaiveDate>,
    },
    Stats(Period),
}

/// The longer effects a press or a typed value starts, and what Telegram says of a chat.
#[async_trait]
pub trait Effects: Send + Sync {
    /// The profile's report over `period`, to its report chat or to this one; this chat is
    /// told when it goes elsewhere or fails.
    async fn report(
        &self,
        lang: Lang,
        o: &Owned,
        period: Period,
        kind: RunKind,
    ) -> anyhow::Result<()>;
    /// Requests an export to this chat and queues it.
    async fn export(
        &self,
        lang: Lang,
        profile: &avito_profile::Model,
        what: Export,
    ) -> anyhow::Result<Pressed>;
    /// Whether the bot may post in `chat` (a channel by the channel rule).
    async fn can_post(&self, chat: ChatId, channel: bool) -> Result<(), CannotPost>;
    /// A page of the profile's listings screen as Avito tells it, or why Avito did not.
    async fn listings(
        &self,
        o: &Owned,
        page: ListingsPage,
    ) -> anyhow::Result<Result<ListingsView, AvitoError>>;
}
