//! An answer to a review written in Telegram, from its draft to moderation's verdict.

use sea_orm::entity::prelude::*;

use crate::domain::{AnswerDraftId, AnswerState, ChatId, ProfileId, ReviewId, UserId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "review_answers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: AnswerDraftId,
    pub profile_id: ProfileId,
    pub review_id: ReviewId,
    /// Where it was written: the verdict is told there.
    pub chat_id: ChatId,
    pub user_id: UserId,
    pub text: String,
    pub state: AnswerState,
    /// Avito's id of the answer, once known.
    pub answer_id: Option<i64>,
    /// Why it failed, or moderation's reasons for refusing it.
    pub detail: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last change of state: how long a `sending` has been pending.
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
