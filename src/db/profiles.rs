//! Queries about Avito profiles, by intent.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};

use sea_orm::sea_query::ExprTrait;

use super::DbError;
use super::entities::{avito_profile, report_task};
use super::tasks::TaskDefaults;
use crate::domain::{AccountId, ProfileId, UserId, clock};

/// A profile about to be stored: validated against Avito, secret already encrypted.
#[derive(Debug, Clone)]
pub struct NewProfile {
    pub owner_id: UserId,
    pub name: String,
    pub client_id: String,
    pub client_secret_enc: String,
    /// `None` when Avito did not name the account (it is asked again at the first report).
    pub avito_user_id: Option<AccountId>,
    pub avito_account_name: Option<String>,
}

/// Creates the profile and its report task (one per profile) in one transaction, so a
/// profile never exists without its settings.
pub async fn create_with_task(
    db: &DatabaseConnection,
    new: NewProfile,
    defaults: &TaskDefaults,
) -> Result<(avito_profile::Model, report_task::Model), DbError> {
    let txn = db.begin().await?;
    let now = clock::now();
    let profile = avito_profile::Entity::insert(avito_profile::ActiveModel {
        owner_id: Set(new.owner_id),
        name: Set(new.name),
        client_id: Set(new.client_id),
        client_secret_enc: Set(new.client_secret_enc),
        avito_user_id: Set(new.avito_user_id),
        avito_account_name: Set(new.avito_account_name),
        access_token_enc: Set(None),
        token_expires_at: Set(None),
        status: Set(crate::domain::ProfileStatus::Ok),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    let task = report_task::Entity::insert(defaults.active_model(profile.id, now))
        .exec_with_returning(&txn)
        .await?;
    // The rules a new profile starts with on; the others are created off when first shown.
    let rules = crate::domain::alerts::AlertRule::ALL
        .iter()
        .filter(|rule| rule.on_for_new_profiles())
        .map(|rule| super::alerts::default_row(profile.id, *rule, true, now.timestamp()));
    super::entities::alert_rule::Entity::insert_many(rules)
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok((profile, task))
}

/// The owner's profiles, oldest first, one page of `per_page`; and how many there are.
pub async fn page_of(
    db: &DatabaseConnection,
    owner_id: UserId,
    page: u64,
    per_page: u64,
) -> Result<(Vec<avito_profile::Model>, u64), DbError> {
    let query = avito_profile::Entity::find()
        .filter(avito_profile::Column::OwnerId.eq(owner_id))
        .order_by_asc(avito_profile::Column::Id);
    let total = query.clone().count(db).await?;
    let rows = query
        .offset(page * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// Every profile of the owner, oldest first.
pub async fn all_of(
    db: &DatabaseConnection,
    owner_id: UserId,
) -> Result<Vec<avito_profile::Model>, DbError> {
    Ok(avito_profile::Entity::find()
        .filter(avito_profile::Column::OwnerId.eq(owner_id))
        .order_by_asc(avito_profile::Column::Id)
        .all(db)
        .await?)
}

pub async fn find(
    db: &DatabaseConnection,
    id: ProfileId,
) -> Result<Option<avito_profile::Model>, DbError> {
    Ok(avito_profile::Entity::find_by_id(id).one(db).await?)
}

/// The owner's profile already connected to this Avito account or application, if any.
pub async fn find_duplicate(
    db: &DatabaseConnection,
    owner_id: UserId,
    avito_user_id: Option<AccountId>,
    client_id: &str,
) -> Result<Option<avito_profile::Model>, DbError> {
    let same_app = avito_profile::Column::ClientId.eq(client_id);
    let same = match avito_user_id {
        Some(id) => avito_profile::Column::AvitoUserId.eq(id).or(same_app),
        None => same_app,
    };
    Ok(avito_profile::Entity::find()
        .filter(avito_profile::Column::OwnerId.eq(owner_id))
        .filter(same)
        .one(db)
        .await?)
}

pub async fn rename(db: &DatabaseConnection, id: ProfileId, name: &str) -> Result<(), DbError> {
    avito_profile::Entity::update(avito_profile::ActiveModel {
        id: Set(id),
        name: Set(name.to_owned()),
        updated_at: Set(clock::now()),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

/// Deletes the profile; its task goes with it (ON DELETE CASCADE) and its runs keep their
/// history with the task and profile set to NULL.
pub async fn delete(db: &DatabaseConnection, id: ProfileId) -> Result<bool, DbError> {
    // The cascade is declared in the schema, but SQLite enforces it only with foreign keys
    // on; deleting the task first makes the outcome the same on both engines.
    let txn = db.begin().await?;
    report_task::Entity::delete_many()
        .filter(report_task::Column::ProfileId.eq(id))
        .exec(&txn)
        .await?;
    let deleted = avito_profile::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(deleted.rows_affected > 0)
}

/// Marks the profile "needs new keys" (Avito refused its client id / secret), unless it
/// already is: `true` only for the one call that changed it, so the owner is told once
/// whichever path (a report, an alert check, an export) found it first.
pub async fn mark_keys_refused(
    db: &DatabaseConnection,
    id: ProfileId,
    reason: &str,
) -> Result<bool, DbError> {
    use crate::domain::ProfileStatus;
    let changed = avito_profile::Entity::update_many()
        .col_expr(
            avito_profile::Column::Status,
            sea_orm::sea_query::Expr::value(ProfileStatus::AuthFailed),
        )
        .col_expr(
            avito_profile::Column::LastError,
            sea_orm::sea_query::Expr::value(reason),
        )
        .col_expr(
            avito_profile::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(clock::now()),
        )
        .filter(avito_profile::Column::Id.eq(id))
        .filter(avito_profile::Column::Status.ne(ProfileStatus::AuthFailed))
        .exec(db)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// Clears "needs new keys" after Avito took the profile's keys again (a report made with
/// them): `true` when it was set.
pub async fn mark_keys_work(db: &DatabaseConnection, id: ProfileId) -> Result<bool, DbError> {
    use crate::domain::ProfileStatus;
    let changed = avito_profile::Entity::update_many()
        .col_expr(
            avito_profile::Column::Status,
            sea_orm::sea_query::Expr::value(ProfileStatus::Ok),
        )
        .col_expr(
            avito_profile::Column::LastError,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .filter(avito_profile::Column::Id.eq(id))
        .filter(avito_profile::Column::Status.eq(ProfileStatus::AuthFailed))
        .exec(db)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// New keys for an existing profile, checked against Avito by the caller (the same account):
/// the secret (encrypted) and client id replace the old ones, the cached token goes, and the
/// profile is usable again.
pub async fn replace_keys(
    db: &DatabaseConnection,
    id: ProfileId,
    client_id: &str,
    client_secret_enc: String,
    avito_user_id: Option<AccountId>,
) -> Result<(), DbError> {
    use sea_orm::ActiveValue::NotSet;
    avito_profile::Entity::update(avito_profile::ActiveModel {
        id: Set(id),
        // Learnt now when the profile never knew its account; never changed (checked above).
        avito_user_id: avito_user_id.map_or(NotSet, |u| Set(Some(u))),
        client_id: Set(client_id.to_owned()),
        client_secret_enc: Set(client_secret_enc),
        access_token_enc: Set(None),
        token_expires_at: Set(None),
        status: Set(crate::domain::ProfileStatus::Ok),
        last_error: Set(None),
        updated_at: Set(clock::now()),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

/// Records how many item-grouped statistics pages the profile's listings took (both periods):
/// the next warm-up of its reports starts that many rate windows ahead.
pub async fn record_listing_pages(
    db: &DatabaseConnection,
    id: ProfileId,
    pages: u32,
) -> Result<(), DbError> {
    avito_profile::Entity::update_many()
        .col_expr(
            avito_profile::Column::ListingPages,
            sea_orm::sea_query::Expr::value(i32::try_from(pages).unwrap_or(i32::MAX)),
        )
        .filter(avito_profile::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The pages recorded for each of `ids` that has a count (see [`record_listing_pages`]).
pub async fn listing_pages(
    db: &DatabaseConnection,
    ids: &[ProfileId],
) -> Result<std::collections::HashMap<ProfileId, u32>, DbError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(ProfileId, Option<i32>)> = avito_profile::Entity::find()
        .select_only()
        .column(avito_profile::Column::Id)
        .column(avito_profile::Column::ListingPages)
        .filter(avito_profile::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, pages)| Some((id, u32::try_from(pages?).ok()?)))
        .collect())
}

/// The most pages any profile's listings took: how far ahead the warm-up has to look.
pub async fn most_listing_pages(db: &DatabaseConnection) -> Result<Option<u32>, DbError> {
    let most: Option<Option<i32>> = avito_profile::Entity::find()
        .select_only()
        .column_as(avito_profile::Column::ListingPages.max(), "most")
        .into_tuple()
        .one(db)
        .await?;
    Ok(most.flatten().and_then(|p| u32::try_from(p).ok()))
}
