//! The schema on both engines: migrations up and down, and the constraints the app relies on.

mod common;

use avito_reports::db::{self, entities::*, users};
use avito_reports::domain::{
    ChatId, Frequency, MetricSet, ProfileId, ProfileStatus, RunKind, RunStatus, ScheduleTime,
    Stored, TaskId, UserId,
};
use chrono::{TimeZone, Utc};
use common::{Engine, TestDatabase};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait,
};

const OUR_TABLES: [&str; 16] = [
    "users",
    "avito_profiles",
    "report_tasks",
    "report_runs",
    "dialogues",
    "exports",
    "admin_alerts",
    "alert_rules",
    "alert_episodes",
    "avito_budgets",
    "avito_answers",
    "rating_snapshots",
    "reviews_seen",
    "review_answers",
    "review_watch",
    "listings_seen",
];

async fn table_exists(db: &DatabaseConnection, table: &str) -> bool {
    db.execute_unprepared(&format!("SELECT 1 FROM {table} WHERE 1 = 0"))
        .await
        .is_ok()
}

async fn index_exists(db: &DatabaseConnection, engine: Engine, name: &str) -> bool {
    let sql = match engine {
        Engine::Sqlite => {
            format!("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = '{name}'")
        }
        Engine::Postgres => format!("SELECT 1 FROM pg_indexes WHERE indexname = '{name}'"),
    };
    db.query_all_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        sql,
    ))
    .await
    .map(|rows| !rows.is_empty())
    .unwrap_or(false)
}

async fn migrations_apply_and_revert_cleanly(engine: Engine) {
    let Some(test_db) = TestDatabase::fresh(engine).await else {
        return;
    };
    let conn = db::connect(&test_db.url).await.expect("connect");
    db::migrate(&conn).await.expect("migrate up");
    for table in OUR_TABLES {
        assert!(table_exists(&conn, table).await, "{table} missing after up");
    }
    // apalis' job table is created from the same pool.
    assert!(
        table_exists(
            &conn,
            if engine == Engine::Sqlite {
                "Jobs"
            } else {
                "apalis.jobs"
            }
        )
        .await,
        "apalis jobs table missing"
    );
    assert_eq!(db::applied_migrations(&conn).await.expect("list").len(), 19);
    // The planner's once-a-second question and every check's read of its episodes are
    // indexed.
    assert!(index_exists(&conn, engine, "ix_report_tasks_to_plan").await);
    assert!(index_exists(&conn, engine, "ix_alert_episodes_profile_rule").await);
    if engine == Engine::Postgres {
        // apalis' jobs are looked up by worker only while queued or running; its indexes of
        // every job's worker are gone (they made each acknowledgement read the worker's whole
        // history).
        assert!(index_exists(&conn, engine, "ix_apalis_jobs_live_lock_by").await);
        assert!(!index_exists(&conn, engine, "idx_apalis_jobs_lock_by").await);
        assert!(!index_exists(&conn, engine, "lidx").await);
    }

    // Applying again is a no-op, as `run` does at every start.
    db::migrate(&conn).await.expect("migrate up twice");

    db::rollback_all(&conn).await.expect("migrate down");
    for table in OUR_TABLES {
        assert!(!table_exists(&conn, table).await, "{table} left after down");
    }
    assert!(
        db::applied_migrations(&conn)
            .await
            .expect("list")
            .is_empty()
    );

    db::migrate(&conn).await.expect("migrate up after down");
    assert_eq!(
        user::Entity::find().count(&conn).await.expect("count"),
        0,
        "fresh schema is empty"
    );
    conn.close().await.ok();
}

#[tokio::test]
async fn migrations_apply_and_revert_cleanly_on_sqlite() {
    migrations_apply_and_revert_cleanly(Engine::Sqlite).await;
}

#[tokio::test]
async fn migrations_apply_and_revert_cleanly_on_postgres() {
    migrations_apply_and_revert_cleanly(Engine::Postgres).await;
}

/// A user, a profile and its task, for constraint tests.
async fn seed_task(conn: &DatabaseConnection) -> (ProfileId, TaskId) {
    users::upsert(
        conn,
        &users::TelegramUser {
            id: UserId(42),
            username: Some("seller".into()),
            first_name: "Анна".into(),
            language_code: Some("ru".into()),
        },
    )
    .await
    .expect("user");
    let now = Utc::now();
    let profile = avito_profile::ActiveModel {
        owner_id: Set(UserId(42)),
        name: Set("Магазин".into()),
        client_id: Set("client-1".into()),
        client_secret_enc: Set("v1.ciphertext".into()),
        status: Set(ProfileStatus::Ok),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
    .expect("profile");
    let task = report_task::ActiveModel {
        profile_id: Set(profile.id),
        frequency: Set(Stored::parse("daily")),
        interval_days: Set(1),
        weekdays: Set(0),
        month_day: Set(1),
        time_of_day: Set(Stored::parse("09:00")),
        time_zone: Set(Stored::parse("Europe/Moscow")),
        period: Set(Stored::parse("since_last_slot")),
        metrics: Set(Stored::parse("[]")),
        is_active: Set(true),
        schedule_version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
    .expect("task");
    (profile.id, task.id)
}

fn run_row(task_id: TaskId, slot: Option<chrono::DateTime<Utc>>) -> report_run::ActiveModel {
    report_run::ActiveModel {
        task_id: Set(Some(task_id)),
        kind: Set(if slot.is_some() {
            RunKind::Scheduled
        } else {
            RunKind::Now
        }),
        slot: Set(slot),
        chat_id: Set(ChatId(-100)),
        status: Set(RunStatus::Pending),
        attempts: Set(0),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
}

async fn a_scheduled_slot_can_be_recorded_only_once(engine: Engine) {
    let Some(test_db) = TestDatabase::fresh(engine).await else {
        return;
    };
    let conn = db::connect(&test_db.url).await.expect("connect");
    db::migrate(&conn).await.expect("migrate");
    let (_, task_id) = seed_task(&conn).await;
    let slot = Utc.with_ymd_and_hms(2026, 11, 23, 6, 0, 0).single();

    run_row(task_id, slot)
        .insert(&conn)
        .await
        .expect("first run of the slot");
    assert!(
        run_row(task_id, slot).insert(&conn).await.is_err(),
        "a second run of the same slot must be refused by the unique key"
    );
    // On-demand runs have no slot and never collide.
    run_row(task_id, None)
        .insert(&conn)
        .await
        .expect("on-demand 1");
    run_row(task_id, None)
        .insert(&conn)
        .await
        .expect("on-demand 2");
    conn.close().await.ok();
}

#[tokio::test]
async fn a_scheduled_slot_can_be_recorded_only_once_on_sqlite() {
    a_scheduled_slot_can_be_recorded_only_once(Engine::Sqlite).await;
}

#[tokio::test]
async fn a_scheduled_slot_can_be_recorded_only_once_on_postgres() {
    a_scheduled_slot_can_be_recorded_only_once(Engine::Postgres).await;
}

async fn deleting_a_user_removes_their_profiles_and_tasks(engine: Engine) {
    let Some(test_db) = TestDatabase::fresh(engine).await else {
        return;
    };
    let conn = db::connect(&test_db.url).await.expect("connect");
    db::migrate(&conn).await.expect("migrate");
    seed_task(&conn).await;
    user::Entity::delete_by_id(UserId(42))
        .exec(&conn)
        .await
        .expect("delete user");
    assert_eq!(
        avito_profile::Entity::find()
            .count(&conn)
            .await
            .expect("count"),
        0
    );
    assert_eq!(
        report_task::Entity::find()
            .count(&conn)
            .await
            .expect("count"),
        0
    );
    conn.close().await.ok();
}

#[tokio::test]
async fn deleting_a_user_removes_their_profiles_and_tasks_on_sqlite() {
    deleting_a_user_removes_their_profiles_and_tasks(Engine::Sqlite).await;
}

#[tokio::test]
async fn deleting_a_user_removes_their_profiles_and_tasks_on_postgres() {
    deleting_a_user_removes_their_profiles_and_tasks(Engine::Postgres).await;
}

async fn upserting_a_user_refreshes_the_name_and_keeps_created_at(engine: Engine) {
    let Some(test_db) = TestDatabase::fresh(engine).await else {
        return;
    };
    let conn = db::connect(&test_db.url).await.expect("connect");
    db::migrate(&conn).await.expect("migrate");
    let mut tg = users::TelegramUser {
        id: UserId(7),
        username: None,
        first_name: "Old".into(),
        language_code: Some("ru".into()),
    };
    let first = users::upsert(&conn, &tg).await.expect("insert");
    tg.first_name = "New".into();
    tg.language_code = Some("en".into());
    let second = users::upsert(&conn, &tg).await.expect("update");
    assert_eq!(second.first_name, "New");
    assert_eq!(second.language_code.as_deref(), Some("en"));
    assert_eq!(second.created_at, first.created_at);
    assert_eq!(user::Entity::find().count(&conn).await.expect("count"), 1);
    conn.close().await.ok();
}

#[tokio::test]
async fn upserting_a_user_refreshes_the_name_and_keeps_created_at_on_sqlite() {
    upserting_a_user_refreshes_the_name_and_keeps_created_at(Engine::Sqlite).await;
}

#[tokio::test]
async fn upserting_a_user_refreshes_the_name_and_keeps_created_at_on_postgres() {
    upserting_a_user_refreshes_the_name_and_keeps_created_at(Engine::Postgres).await;
}

/// Rows as an earlier version left them — metrics it read leniently, an unpadded time, a
/// zone nobody can read, statuses edited by hand — survive the typed-settings migration:
/// converted to what that version showed, or kept and reported as damaged, and every row
/// still loads.
async fn old_rows_survive_the_typed_settings_migration(engine: Engine) {
    use migration::{Migrator, MigratorTrait};
    let Some(test_db) = TestDatabase::fresh(engine).await else {
        return;
    };
    let conn = db::connect(&test_db.url).await.expect("connect");
    Migrator::up(&conn, Some(8)).await.expect("up to 8");
    let now = Utc::now();
    let backend = conn.get_database_backend();
    let exec = |sql: String| {
        let conn = conn.clone();
        async move {
            conn.execute_raw(sea_orm::Statement::from_string(backend, sql))
                .await
                .expect("old row")
        }
    };
    let ts = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S%.f+00:00").to_string();
    exec(format!(
        "INSERT INTO users (id, first_name, created_at, updated_at) VALUES (7, 'Old', '{0}', '{0}')",
        ts(now)
    ))
    .await;
    for (id, status) in [(1, "ok"), (2, "error")] {
        exec(format!(
            "INSERT INTO avito_profiles (id, owner_id, name, client_id, client_secret_enc, status, created_at, updated_at) \
             VALUES ({id}, 7, 'P{id}', 'c{id}', 'v1.x', '{status}', '{0}', '{0}')",
            ts(now)
        ))
        .await;
    }
    for (id, profile, time, zone, metrics) in [
        (1, 1, "9:05", "Europe/Berlin", "garbage"),
        (
            2,
            2,
            "21:30",
            "Mars/Olympus",
            r#"["calls","bogus","views"]"#,
        ),
    ] {
        exec(format!(
            "INSERT INTO report_tasks (id, profile_id, frequency, interval_days, weekdays, month_day, \
             time_of_day, time_zone, period, metrics, is_active, schedule_version, created_at, updated_at) \
             VALUES ({id}, {profile}, 'daily', 1, 0, 1, '{time}', '{zone}', 'since_last_slot', '{metrics}', \
             {active}, 0, '{0}', '{0}')",
            ts(now),
            active = if engine == Engine::Sqlite { "1" } else { "true" },
        ))
        .await;
    }
    exec(format!(
        "INSERT INTO report_runs (task_id, kind, chat_id, status, attempts, created_at) \
         VALUES (1, 'scheduled', 5, 'delivered', 1, '{0}')",
        ts(now)
    ))
    .await;

    db::migrate(&conn).await.expect("migrate to the latest");
    let tasks = report_task::Entity::find()
        .all(&conn)
        .await
        .expect("every task row loads");
    let first = tasks.iter().find(|t| t.id == TaskId(1)).expect("task 1");
    // Every metric there was when the migration ran: the rating and the listings came later.
    let mut then_all = MetricSet::all();
    then_all.toggle(avito_reports::report::Metric::Rating);
    then_all.toggle(avito_reports::report::Metric::Listings);
    assert_eq!(
        first.metrics,
        Stored::Value(then_all),
        "unreadable meant all"
    );
    assert_eq!(
        first
            .time_of_day
            .value()
            .map(|t: ScheduleTime| t.to_string()),
        Some("09:05".to_owned())
    );
    assert_eq!(first.frequency, Stored::Value(Frequency::Daily));
    let second = tasks.iter().find(|t| t.id == TaskId(2)).expect("task 2");
    assert_eq!(
        second.metrics.get().map(|m| m.iter().count()),
        Ok(2),
        "unknown slugs were dropped, as before"
    );
    let damaged = second.time_zone.get().expect_err("no zone to convert to");
    assert_eq!(
        (damaged.column, damaged.value.as_str()),
        ("time_zone", "Mars/Olympus")
    );
    let profiles = avito_profile::Entity::find()
        .all(&conn)
        .await
        .expect("every profile loads");
    assert!(profiles.iter().all(|p| p.status == ProfileStatus::Ok));
    let runs = report_run::Entity::find()
        .all(&conn)
        .await
        .expect("every run loads");
    assert_eq!(runs[0].status, RunStatus::Failed);
    assert_eq!(runs[0].kind, RunKind::Scheduled);
}

#[tokio::test]
async fn old_rows_survive_the_typed_settings_migration_on_sqlite() {
    old_rows_survive_the_typed_settings_migration(Engine::Sqlite).await;
}

#[tokio::test]
async fn old_rows_survive_the_typed_settings_migration_on_postgres() {
    old_rows_survive_the_typed_settings_migration(Engine::Postgres).await;
}
