//! When each admin alert cause was last sent (de-duplication across processes).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_alerts")]
pub struct Model {
    /// `ops::alerts::AlertCause::key`, e.g. `invalid_credentials:42`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub cause: String,
    /// Unix seconds of the last send; 0 after a failed send, so the next raise tries again.
    pub last_sent_at: i64,
    /// Raises suppressed since the last send.
    pub suppressed: i32,
    /// `suppressed` as it was when the last send claimed the cause (told in that alert).
    pub reported_suppressed: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
