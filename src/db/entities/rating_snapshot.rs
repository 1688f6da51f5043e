//! The seller's rating as the worker saw it on one day (Avito's, Moscow's date): the day's
//! first reading. Unique per (profile, day).

use sea_orm::entity::prelude::*;

use crate::domain::ProfileId;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "rating_snapshots")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub profile_id: ProfileId,
    pub day: Date,
    pub score: f64,
    pub reviews_count: Option<i64>,
    pub reviews_with_score_count: Option<i64>,
    /// Unix seconds.
    pub taken_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::avito_profile::Entity",
        from = "Column::ProfileId",
        to = "super::avito_profile::Column::Id",
        on_delete = "Cascade"
    )]
    Profile,
}

impl Related<super::avito_profile::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Profile.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
