//! What the last review check of a profile counted, for its card.

use sea_orm::entity::prelude::*;

use crate::domain::ProfileId;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "review_watch")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub profile_id: ProfileId,
    /// Active reviews, as Avito counted them.
    pub total: Option<i64>,
    /// Reviews that can be answered and are not.
    pub unanswered: i64,
    /// Unix seconds.
    pub checked_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
