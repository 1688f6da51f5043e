//! A listing the blocked-or-rejected rule has seen in that state (see the `listings_seen`
//! migration).

use sea_orm::entity::prelude::*;

use crate::domain::{ListingFlag, ProfileId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "listings_seen")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub profile_id: ProfileId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub item_id: i64,
    pub status: ListingFlag,
    /// Unix seconds.
    pub seen_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
