//! Reviews as the database keeps them: which ones the new-review rule has dealt with, the
//! answers written in Telegram, and what the last check counted. Every change that decides
//! whether a notice goes out or an answer is sent is a compare-and-swap or an insert that
//! happens once, so two processes never both tell a review or both send an answer.

use std::collections::HashSet;

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::DbError;
use super::entities::{review_answer, review_seen, review_watch};
use crate::domain::{AnswerDraftId, AnswerState, ChatId, ProfileId, ReviewId, UserId, clock};

/// Of `ids`, those the profile's rule has dealt with.
pub async fn seen_among(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    ids: &[ReviewId],
) -> Result<HashSet<ReviewId>, DbError> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let rows: Vec<ReviewId> = review_seen::Entity::find()
        .select_only()
        .column(review_seen::Column::ReviewId)
        .filter(review_seen::Column::ProfileId.eq(profile_id))
        .filter(review_seen::Column::ReviewId.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Marks `ids` seen without a word (those already seen stay as they are).
pub async fn mark_seen(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    ids: &[ReviewId],
) -> Result<(), DbError> {
    if ids.is_empty() {
        return Ok(());
    }
    let now = clock::now().timestamp();
    let rows = ids.iter().map(|id| review_seen::ActiveModel {
        profile_id: Set(profile_id),
        review_id: Set(*id),
        seen_at: Set(now),
    });
    review_seen::Entity::insert_many(rows)
        .on_conflict(seen_conflict())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Claims the notice of review `id`: whether this call recorded it first (and so tells it).
pub async fn claim_notice(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    id: ReviewId,
) -> Result<bool, DbError> {
    let inserted = review_seen::Entity::insert(review_seen::ActiveModel {
        profile_id: Set(profile_id),
        review_id: Set(id),
        seen_at: Set(clock::now().timestamp()),
    })
    .on_conflict(seen_conflict())
    .exec_without_returning(db)
    .await?;
    Ok(inserted == 1)
}

fn seen_conflict() -> OnConflict {
    OnConflict::columns([
        review_seen::Column::ProfileId,
        review_seen::Column::ReviewId,
    ])
    .do_nothing()
    .to_owned()
}

/// What the last check counted.
pub async fn record_watch(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    total: Option<i64>,
    unanswered: i64,
) -> Result<(), DbError> {
    use review_watch::Column as C;
    review_watch::Entity::insert(review_watch::ActiveModel {
        profile_id: Set(profile_id),
        total: Set(total),
        unanswered: Set(unanswered),
        checked_at: Set(clock::now().timestamp()),
    })
    .on_conflict(
        OnConflict::column(C::ProfileId)
            .update_columns([C::Total, C::Unanswered, C::CheckedAt])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn watch(
    db: &DatabaseConnection,
    profile_id: ProfileId,
) -> Result<Option<review_watch::Model>, DbError> {
    Ok(review_watch::Entity::find_by_id(profile_id).one(db).await?)
}

/// An answer written in Telegram, before it is sent.
#[derive(Debug, Clone)]
pub struct NewDraft<'a> {
    pub profile_id: ProfileId,
    pub review_id: ReviewId,
    pub chat_id: ChatId,
    pub user_id: UserId,
    pub text: &'a str,
}

pub async fn create_draft(
    db: &DatabaseConnection,
    draft: NewDraft<'_>,
) -> Result<review_answer::Model, DbError> {
    let now = clock::now().timestamp();
    let row = review_answer::Entity::insert(review_answer::ActiveModel {
        profile_id: Set(draft.profile_id),
        review_id: Set(draft.review_id),
        chat_id: Set(draft.chat_id),
        user_id: Set(draft.user_id),
        text: Set(draft.text.to_owned()),
        state: Set(AnswerState::Draft),
        answer_id: Set(None),
        detail: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    Ok(row)
}

/// Answer `id` of the profile (`None`: none of it by that id).
pub async fn answer(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    id: AnswerDraftId,
) -> Result<Option<review_answer::Model>, DbError> {
    Ok(review_answer::Entity::find_by_id(id)
        .filter(review_answer::Column::ProfileId.eq(profile_id))
        .one(db)
        .await?)
}

/// Replaces a draft's text; whether it was still a draft.
pub async fn set_text(
    db: &DatabaseConnection,
    id: AnswerDraftId,
    text: &str,
) -> Result<bool, DbError> {
    use review_answer::Column as C;
    let done = review_answer::Entity::update_many()
        .col_expr(C::Text, Expr::value(text))
        .col_expr(C::UpdatedAt, Expr::value(clock::now().timestamp()))
        .filter(C::Id.eq(id))
        .filter(C::State.eq(AnswerState::Draft))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// A move of an answer's state, with what it records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub from: AnswerState,
    /// Only while its last change is older than this (Unix seconds): a `sending` left by a
    /// crash or a timeout may be taken over, a fresh one may not.
    pub unchanged_since: Option<i64>,
    pub to: AnswerState,
    pub answer_id: Option<i64>,
    pub detail: Option<String>,
    /// Records this as the time of the change instead of now: 0 releases a `sending` whose
    /// reply was lost, so the next press reads the review instead of waiting out the lease.
    pub stamp: Option<i64>,
}

impl Move {
    pub fn new(from: AnswerState, to: AnswerState) -> Self {
        Self {
            from,
            unchanged_since: None,
            to,
            answer_id: None,
            detail: None,
            stamp: None,
        }
    }
}

/// Moves answer `id` as `m` says if it is still in `m.from`: whether this call moved it.
pub async fn move_state(
    db: &DatabaseConnection,
    id: AnswerDraftId,
    m: Move,
) -> Result<bool, DbError> {
    use review_answer::Column as C;
    let mut update = review_answer::Entity::update_many()
        .col_expr(C::State, Expr::value(m.to))
        .col_expr(
            C::UpdatedAt,
            Expr::value(m.stamp.unwrap_or_else(|| clock::now().timestamp())),
        )
        .filter(C::Id.eq(id))
        .filter(C::State.eq(m.from));
    if let Some(answer_id) = m.answer_id {
        update = update.col_expr(C::AnswerId, Expr::value(answer_id));
    }
    if let Some(detail) = m.detail {
        update = update.col_expr(C::Detail, Expr::value(detail));
    }
    if let Some(before) = m.unchanged_since {
        update = update.filter(C::UpdatedAt.lte(before));
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// The profile's answers whose fate the review check follows: sent (moderation decides) or
/// left `sending` (Avito's word on them was lost).
pub async fn followed(
    db: &DatabaseConnection,
    profile_id: ProfileId,
) -> Result<Vec<review_answer::Model>, DbError> {
    Ok(review_answer::Entity::find()
        .filter(review_answer::Column::ProfileId.eq(profile_id))
        .filter(review_answer::Column::State.is_in([AnswerState::Sent, AnswerState::Sending]))
        .order_by_asc(review_answer::Column::Id)
        .all(db)
        .await?)
}

/// Another answer of the profile to `review_id` that went, or is going, to Avito.
pub async fn answered_before(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    review_id: ReviewId,
    except: AnswerDraftId,
) -> Result<Option<review_answer::Model>, DbError> {
    Ok(review_answer::Entity::find()
        .filter(review_answer::Column::ProfileId.eq(profile_id))
        .filter(review_answer::Column::ReviewId.eq(review_id))
        .filter(review_answer::Column::Id.ne(except))
        .filter(review_answer::Column::State.is_in([
            AnswerState::Sending,
            AnswerState::Sent,
            AnswerState::Published,
        ]))
        .one(db)
        .await?)
}

/// What the profile card shows of the seller's reputation.
#[derive(Debug, Clone, PartialEq)]
pub struct Reputation {
    /// The latest score stored (see `ratings`).
    pub score: Option<f64>,
    /// Active reviews, as the last check counted them.
    pub total: Option<i64>,
    /// Reviews that can be answered and are not, as the last check counted them.
    pub unanswered: i64,
}

/// The card's reputation line's figures; `None` before any check or report read them.
pub async fn reputation(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    today: chrono::NaiveDate,
) -> Result<Option<Reputation>, DbError> {
    let snapshot = super::ratings::at_or_before(db, profile_id, today).await?;
    let watched = watch(db, profile_id).await?;
    if snapshot.is_none() && watched.is_none() {
        return Ok(None);
    }
    Ok(Some(Reputation {
        score: snapshot.as_ref().map(|s| s.score),
        total: watched
            .as_ref()
            .and_then(|w| w.total)
            .or_else(|| snapshot.as_ref().and_then(|s| s.reviews_count)),
        unanswered: watched.map_or(0, |w| w.unanswered),
    }))
}
