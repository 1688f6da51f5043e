//! Alert rules and episodes as the database keeps them. Every change that decides whether a
//! notice goes out is a compare-and-swap, so of two processes checking one rule at once only
//! one opens an episode, reminds, closes it or tells of new missed calls.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};

use super::DbError;
use super::entities::{alert_episode, alert_rule, avito_profile, report_task, user};
use crate::domain::alerts::{AlertRule, DaySpan, NoticeKind};
use crate::domain::{EpisodeId, ProfileId, clock};

/// A profile's rules, one per [`AlertRule`], in that order; rows missing so far are created
/// with their defaults (off).
pub async fn rules_of(
    db: &DatabaseConnection,
    profile_id: ProfileId,
) -> Result<Vec<alert_rule::Model>, DbError> {
    let now = clock::now().timestamp();
    let rows = AlertRule::ALL
        .iter()
        .map(|rule| default_row(profile_id, *rule, false, now));
    alert_rule::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([alert_rule::Column::ProfileId, alert_rule::Column::Rule])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    let mut rules = alert_rule::Entity::find()
        .filter(alert_rule::Column::ProfileId.eq(profile_id))
        .all(db)
        .await?;
    rules.sort_by_key(|r| AlertRule::ALL.iter().position(|x| *x == r.rule));
    Ok(rules)
}

/// A rule with its defaults, switched on or off, watching from `now` (Unix seconds).
pub fn default_row(
    profile_id: ProfileId,
    rule: AlertRule,
    enabled: bool,
    now: i64,
) -> alert_rule::ActiveModel {
    alert_rule::ActiveModel {
        profile_id: Set(profile_id),
        rule: Set(rule),
        enabled: Set(enabled),
        param: Set(rule.default_param()),
        remind_minutes: Set(24 * 60),
        work_from: Set(i32::from(DaySpan::WORK_DEFAULT.from)),
        work_to: Set(i32::from(DaySpan::WORK_DEFAULT.to)),
        seen_day: Set(None),
        seen_count: Set(0),
        watching_since: Set(now),
        ..Default::default()
    }
}

/// One rule of a profile.
pub async fn rule(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    rule: AlertRule,
) -> Result<Option<alert_rule::Model>, DbError> {
    Ok(alert_rule::Entity::find()
        .filter(alert_rule::Column::ProfileId.eq(profile_id))
        .filter(alert_rule::Column::Rule.eq(rule))
        .one(db)
        .await?)
}

/// What a check of one rule reads before it asks Avito.
pub struct CheckContext {
    pub rule: alert_rule::Model,
    pub profile: avito_profile::Model,
    /// The profile's report task: where and in which time zone its alerts speak.
    pub task: Option<report_task::Model>,
    /// The profile's owner: the language of its notices.
    pub owner: Option<user::Model>,
}

/// The rule `rule` of `profile_id` with its profile, the profile's task and its owner, in one
/// statement (a check runs thousands of times an hour: each round trip counts). `None` when the
/// profile or its rule is gone.
pub async fn check_context(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    rule: AlertRule,
) -> Result<Option<CheckContext>, DbError> {
    let row = alert_rule::Entity::find()
        .filter(alert_rule::Column::ProfileId.eq(profile_id))
        .filter(alert_rule::Column::Rule.eq(rule))
        .find_also_related(avito_profile::Entity)
        .find_also(avito_profile::Entity, report_task::Entity)
        .find_also(avito_profile::Entity, user::Entity)
        .one(db)
        .await?;
    Ok(row.and_then(|(rule, profile, task, owner)| {
        Some(CheckContext {
            rule,
            profile: profile?,
            task,
            owner,
        })
    }))
}

/// The episodes of (profile, rule) a check may move, in one statement: the open one, if any,
/// and the closed ones whose "back to normal" waits for quiet hours to end.
pub async fn live_episodes(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    rule: AlertRule,
) -> Result<LiveEpisodes, DbError> {
    use alert_episode::Column as C;
    let rows = alert_episode::Entity::find()
        .filter(C::ProfileId.eq(profile_id))
        .filter(C::Rule.eq(rule))
        .filter(
            C::ClosedAt
                .is_null()
                .or(C::Held.eq(NoticeKind::Recover.slug())),
        )
        .all(db)
        .await?;
    let (open, held): (Vec<_>, Vec<_>) = rows.into_iter().partition(|e| e.closed_at.is_none());
    Ok(LiveEpisodes {
        open: open.into_iter().next(),
        held_recoveries: held,
    })
}

/// See [`live_episodes`].
#[derive(Debug, Default)]
pub struct LiveEpisodes {
    pub open: Option<alert_episode::Model>,
    pub held_recoveries: Vec<alert_episode::Model>,
}

/// What a press in the hub changes.
#[derive(Debug, Clone, Copy)]
pub enum RuleChange {
    Enabled(bool),
    Param(i64),
    RemindMinutes(i32),
}

pub async fn change_rule(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    rule: AlertRule,
    change: RuleChange,
) -> Result<(), DbError> {
    use alert_rule::Column as C;
    rules_of(db, profile_id).await?;
    let mut update = alert_rule::Entity::update_many()
        .filter(C::ProfileId.eq(profile_id))
        .filter(C::Rule.eq(rule));
    update = match change {
        // Switched on: it watches from now. The event rules (new reviews, flagged listings)
        // first mark everything there is as seen (`seen_day` unset until they have), so
        // nothing old floods in.
        RuleChange::Enabled(true) => {
            let update = update
                .col_expr(C::Enabled, Expr::value(true))
                .col_expr(C::WatchingSince, Expr::value(clock::now().timestamp()));
            if matches!(rule, AlertRule::NewReviews | AlertRule::ListingBlocked) {
                update.col_expr(C::SeenDay, Expr::value(Option::<chrono::NaiveDate>::None))
            } else {
                update
            }
        }
        RuleChange::Enabled(false) => update.col_expr(C::Enabled, Expr::value(false)),
        RuleChange::Param(p) => update.col_expr(C::Param, Expr::value(p)),
        RuleChange::RemindMinutes(m) => update.col_expr(C::RemindMinutes, Expr::value(m)),
    };
    update.exec(db).await?;
    Ok(())
}

/// Sets a profile's quiet hours (`None`: none at all).
pub async fn set_quiet_hours(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    quiet: Option<DaySpan>,
) -> Result<(), DbError> {
    let (from, to) = match quiet {
        Some(span) => (i32::from(span.from), i32::from(span.to)),
        None => (0, 0),
    };
    avito_profile::Entity::update_many()
        .col_expr(avito_profile::Column::AlertQuietFrom, Expr::value(from))
        .col_expr(avito_profile::Column::AlertQuietTo, Expr::value(to))
        .filter(avito_profile::Column::Id.eq(profile_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Every rule switched on, as planning needs it: (profile, rule, parameter), except those of
/// profiles whose keys Avito refused (checked again once the owner enters new keys). A
/// profile's rules go with it (the foreign key cascades); the planner asks every second, so
/// only these three columns are read.
pub async fn enabled_rules(
    db: &DatabaseConnection,
) -> Result<Vec<(ProfileId, AlertRule, i64)>, DbError> {
    use alert_rule::Column as C;
    let refused = sea_orm::sea_query::Query::select()
        .column(avito_profile::Column::Id)
        .from(avito_profile::Entity)
        .and_where(avito_profile::Column::Status.eq(crate::domain::ProfileStatus::AuthFailed))
        .to_owned();
    Ok(alert_rule::Entity::find()
        .select_only()
        .columns([C::ProfileId, C::Rule, C::Param])
        .filter(C::Enabled.eq(true))
        .filter(C::ProfileId.not_in_subquery(refused))
        .order_by_asc(C::Id)
        .into_tuple()
        .all(db)
        .await?)
}

/// The open episode of (profile, rule), if any.
pub async fn open_episode(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    rule: AlertRule,
) -> Result<Option<alert_episode::Model>, DbError> {
    Ok(alert_episode::Entity::find()
        .filter(alert_episode::Column::ProfileId.eq(profile_id))
        .filter(alert_episode::Column::Rule.eq(rule))
        .filter(alert_episode::Column::ClosedAt.is_null())
        .one(db)
        .await?)
}

/// A profile's open episodes, oldest first (the card lists them).
pub async fn open_episodes(
    db: &DatabaseConnection,
    profile_id: ProfileId,
) -> Result<Vec<alert_episode::Model>, DbError> {
    Ok(alert_episode::Entity::find()
        .filter(alert_episode::Column::ProfileId.eq(profile_id))
        .filter(alert_episode::Column::ClosedAt.is_null())
        .order_by_asc(alert_episode::Column::OpenedAt)
        .all(db)
        .await?)
}

/// Opens an episode of (profile, rule) with `detail`, its first notice `held` or not. `None`
/// when one is open already (another process got there first).
pub async fn try_open(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    rule: AlertRule,
    detail: &str,
    held: bool,
) -> Result<Option<alert_episode::Model>, DbError> {
    let now = clock::now().timestamp();
    let backend = db.get_database_backend();
    // The partial unique index refuses a second open episode; ON CONFLICT DO NOTHING without
    // a target reads the same on both engines.
    let sql = "INSERT INTO alert_episodes \
               (profile_id, rule, opened_at, closed_at, last_sent_at, reminders, detail, held) \
               VALUES ($1, $2, $3, NULL, $4, 0, $5, $6) ON CONFLICT DO NOTHING";
    let (last_sent, held): (Option<i64>, Option<String>) = if held {
        (None, Some(NoticeKind::Fire.slug().to_owned()))
    } else {
        (Some(now), None)
    };
    let inserted = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                profile_id.into(),
                rule.slug().into(),
                now.into(),
                last_sent.into(),
                detail.into(),
                held.into(),
            ],
        ))
        .await?;
    if inserted.rows_affected() == 0 {
        return Ok(None);
    }
    open_episode(db, profile_id, rule).await
}

/// Records a reminder (or a held notice) sent for episode `id`, if nobody else did since
/// `seen_last_sent`. Whether this call won.
pub async fn claim_notice(
    db: &DatabaseConnection,
    episode: &alert_episode::Model,
    detail: &str,
    reminder: bool,
) -> Result<bool, DbError> {
    use alert_episode::Column as C;
    let mut update = alert_episode::Entity::update_many()
        .col_expr(C::LastSentAt, Expr::value(clock::now().timestamp()))
        .col_expr(C::Detail, Expr::value(detail))
        .col_expr(C::Held, Expr::value(Option::<String>::None))
        .filter(C::Id.eq(episode.id));
    if reminder {
        update = update.col_expr(C::Reminders, Expr::col(C::Reminders).add(Expr::value(1)));
    }
    update = match episode.last_sent_at {
        Some(t) => update.filter(C::LastSentAt.eq(t)),
        None => update.filter(C::LastSentAt.is_null()),
    };
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// Marks episode `id` as waiting for quiet hours to end with notice `kind`.
pub async fn hold(db: &DatabaseConnection, id: EpisodeId, kind: NoticeKind) -> Result<(), DbError> {
    alert_episode::Entity::update_many()
        .col_expr(alert_episode::Column::Held, Expr::value(kind.slug()))
        .filter(alert_episode::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Closes an open episode; its "back to normal" notice `held` or not. Whether this call won.
pub async fn close(
    db: &DatabaseConnection,
    episode: &alert_episode::Model,
    held: bool,
) -> Result<bool, DbError> {
    use alert_episode::Column as C;
    let held = held.then(|| NoticeKind::Recover.slug().to_owned());
    let done = alert_episode::Entity::update_many()
        .col_expr(C::ClosedAt, Expr::value(clock::now().timestamp()))
        .col_expr(C::Held, Expr::value(held))
        .filter(C::Id.eq(episode.id))
        .filter(C::ClosedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Takes a held "back to normal" of a closed episode to send it. Whether this call won.
pub async fn claim_held_recovery(db: &DatabaseConnection, id: EpisodeId) -> Result<bool, DbError> {
    let done = alert_episode::Entity::update_many()
        .col_expr(
            alert_episode::Column::Held,
            Expr::value(Option::<String>::None),
        )
        .filter(alert_episode::Column::Id.eq(id))
        .filter(alert_episode::Column::Held.eq(NoticeKind::Recover.slug()))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Missed calls: moves what was told for `day` from the rule's recorded state to `count`, if
/// nobody else did. Whether this call won.
pub async fn advance_seen(
    db: &DatabaseConnection,
    rule: &alert_rule::Model,
    day: chrono::NaiveDate,
    count: i64,
) -> Result<bool, DbError> {
    use alert_rule::Column as C;
    let mut update = alert_rule::Entity::update_many()
        .col_expr(C::SeenDay, Expr::value(day))
        .col_expr(C::SeenCount, Expr::value(count))
        .filter(C::Id.eq(rule.id))
        .filter(C::SeenCount.eq(rule.seen_count));
    update = match &rule.seen_day {
        Some(d) => update.filter(C::SeenDay.eq(*d)),
        None => update.filter(C::SeenDay.is_null()),
    };
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// An event rule (new reviews, flagged listings) has marked what existed when it was switched
/// on: from now on whatever it has not seen is new. Whether this call recorded it.
pub async fn first_pass_done(
    db: &DatabaseConnection,
    rule: &alert_rule::Model,
    day: chrono::NaiveDate,
) -> Result<bool, DbError> {
    use alert_rule::Column as C;
    let done = alert_rule::Entity::update_many()
        .col_expr(C::SeenDay, Expr::value(day))
        .filter(C::Id.eq(rule.id))
        .filter(C::SeenDay.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}
