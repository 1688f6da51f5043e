//! Listings the blocked-or-rejected rule has seen flagged. Recording a listing's flag is the
//! notice's claim: an insert, or a move to a different flag, that happens once whichever
//! process makes it.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::DbError;
use super::entities::listing_seen::{self, Column as C, Entity as Seen};
use crate::domain::{ListingFlag, ProfileId, clock};

/// The profile's listings seen flagged, by item id.
pub async fn known(
    db: &DatabaseConnection,
    profile_id: ProfileId,
) -> Result<HashMap<i64, ListingFlag>, DbError> {
    Ok(Seen::find()
        .filter(C::ProfileId.eq(profile_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.item_id, r.status))
        .collect())
}

fn row(profile_id: ProfileId, item_id: i64, flag: ListingFlag) -> listing_seen::ActiveModel {
    listing_seen::ActiveModel {
        profile_id: Set(profile_id),
        item_id: Set(item_id),
        status: Set(flag),
        seen_at: Set(clock::now().timestamp()),
    }
}

/// Records `item_id` as seen `flag`ged: whether this call recorded the change (and so tells
/// it). Seen so already: `false`.
pub async fn claim(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    item_id: i64,
    flag: ListingFlag,
) -> Result<bool, DbError> {
    let inserted = Seen::insert(row(profile_id, item_id, flag))
        .on_conflict(
            OnConflict::columns([C::ProfileId, C::ItemId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    if inserted == 1 {
        return Ok(true);
    }
    let moved = Seen::update_many()
        .col_expr(C::Status, Expr::value(flag))
        .col_expr(C::SeenAt, Expr::value(clock::now().timestamp()))
        .filter(C::ProfileId.eq(profile_id))
        .filter(C::ItemId.eq(item_id))
        .filter(C::Status.ne(flag))
        .exec(db)
        .await?;
    Ok(moved.rows_affected == 1)
}

/// Records listings as seen flagged, without a word.
pub async fn mark(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    seen: &[(i64, ListingFlag)],
) -> Result<(), DbError> {
    if seen.is_empty() {
        return Ok(());
    }
    let rows = seen.iter().map(|(id, flag)| row(profile_id, *id, *flag));
    Seen::insert_many(rows)
        .on_conflict(
            OnConflict::columns([C::ProfileId, C::ItemId])
                .update_columns([C::Status, C::SeenAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Forgets the listings that are no longer flagged, so that a new block is told again.
pub async fn forget(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    items: &[i64],
) -> Result<(), DbError> {
    if items.is_empty() {
        return Ok(());
    }
    Seen::delete_many()
        .filter(C::ProfileId.eq(profile_id))
        .filter(C::ItemId.is_in(items.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}
