//! A review the new-review rule has dealt with: told, or marked seen without a word. The row
//! is the notice's claim (see the `reviews` migration).

use sea_orm::entity::prelude::*;

use crate::domain::{ProfileId, ReviewId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reviews_seen")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub profile_id: ProfileId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub review_id: ReviewId,
    /// Unix seconds.
    pub seen_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
