//! Daily snapshots of the seller's rating: Avito gives only the current score, so the change
//! since a period began is read from these. One row per profile and day (Avito's, Moscow's
//! date), keeping the day's first reading: the one closest to the day's start.

use chrono::NaiveDate;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};

use super::DbError;
use super::entities::rating_snapshot::{self, Column as C, Entity as Snapshots};
use crate::domain::ProfileId;

/// The rating on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingSnapshot {
    pub day: NaiveDate,
    pub score: f64,
    pub reviews_count: Option<i64>,
    pub reviews_with_score_count: Option<i64>,
    /// Unix seconds.
    pub taken_at: i64,
}

/// Records `snapshot` unless the profile has one for its day already (the first stays).
pub async fn record(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    snapshot: &RatingSnapshot,
) -> Result<(), DbError> {
    Snapshots::insert(rating_snapshot::ActiveModel {
        profile_id: Set(profile_id),
        day: Set(snapshot.day),
        score: Set(snapshot.score),
        reviews_count: Set(snapshot.reviews_count),
        reviews_with_score_count: Set(snapshot.reviews_with_score_count),
        taken_at: Set(snapshot.taken_at),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([C::ProfileId, C::Day])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The latest snapshot of the profile on `day` or before: the rating as the period that
/// begins on `day` found it.
pub async fn at_or_before(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    day: NaiveDate,
) -> Result<Option<RatingSnapshot>, DbError> {
    let row = Snapshots::find()
        .filter(C::ProfileId.eq(profile_id))
        .filter(C::Day.lte(day))
        .order_by_desc(C::Day)
        .one(db)
        .await?;
    Ok(row.map(|r| RatingSnapshot {
        day: r.day,
        score: r.score,
        reviews_count: r.reviews_count,
        reviews_with_score_count: r.reviews_with_score_count,
        taken_at: r.taken_at,
    }))
}
