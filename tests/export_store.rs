//! The `exports` table rules on both engines: one export per profile at a time, and a job run
//! that is safe to repeat (a crashed export starts over; a finished one is left alone).

mod common;

use avito_reports::db::exports::{self as store, Requested};
use avito_reports::db::{self, profiles, tasks::TaskDefaults, users};
use avito_reports::domain::{AccountId, ChatId, UserId};
use common::{Engine, TestDatabase};

async fn exports_follow_one_per_profile_and_restart_rules(engine: Engine) {
    let Some(test_db) = TestDatabase::fresh(engine).await else {
        return;
    };
    let conn = db::connect(&test_db.url).await.expect("connect");
    db::migrate(&conn).await.expect("migrate");
    users::upsert(
        &conn,
        &users::TelegramUser {
            id: UserId(7),
            username: None,
            first_name: "Ann".into(),
            language_code: Some("en".into()),
        },
    )
    .await
    .expect("user");
    let (profile, _) = profiles::create_with_task(
        &conn,
        profiles::NewProfile {
            owner_id: UserId(7),
            name: "Shop".into(),
            client_id: "client-1".into(),
            client_secret_enc: "v1:x".into(),
            avito_user_id: Some(AccountId(1_000_001)),
            avito_account_name: None,
        },
        &TaskDefaults::default(),
    )
    .await
    .expect("profile");

    let Requested::Created(first) = store::request(&conn, profile.id, ChatId(7), None)
        .await
        .expect("request")
    else {
        panic!("the first request creates an export");
    };
    assert_eq!(first.status, store::QUEUED);
    match store::request(&conn, profile.id, ChatId(7), None)
        .await
        .expect("request")
    {
        Requested::AlreadyRunning(row) => assert_eq!(row.id, first.id),
        other => panic!("a second request while one is queued: {other:?}"),
    }

    let running = store::start(&conn, first.id)
        .await
        .expect("start")
        .expect("runs");
    assert_eq!(running.status, store::RUNNING);
    let snapshot = avito_reports::export::Progress::default().snapshot();
    store::progress(&conn, first.id, snapshot.into())
        .await
        .expect("progress");
    // A crash mid-export: the job runs again and starts over.
    let again = store::start(&conn, first.id)
        .await
        .expect("start")
        .expect("restarts");
    assert_eq!((again.status, again.chats_done), (store::RUNNING, 0));
    assert!(matches!(
        store::request(&conn, profile.id, ChatId(7), None)
            .await
            .expect("request"),
        Requested::AlreadyRunning(_)
    ));

    store::finish(&conn, first.id, snapshot.into(), None)
        .await
        .expect("finish");
    assert_eq!(
        store::start(&conn, first.id).await.expect("start"),
        None,
        "a finished export is not run again"
    );
    let Requested::Created(second) = store::request(&conn, profile.id, ChatId(7), None)
        .await
        .expect("request")
    else {
        panic!("after the first finished, a new export may start");
    };
    store::finish(
        &conn,
        second.id,
        snapshot.into(),
        Some("Avito failed".into()),
    )
    .await
    .expect("finish");
    let failed = store::find(&conn, second.id)
        .await
        .expect("find")
        .expect("row");
    assert_eq!(failed.status, store::FAILED);
    assert_eq!(failed.error.as_deref(), Some("Avito failed"));
    assert_eq!(store::start(&conn, second.id).await.expect("start"), None);
    conn.close().await.ok();
}

#[tokio::test]
async fn exports_follow_one_per_profile_and_restart_rules_sqlite() {
    exports_follow_one_per_profile_and_restart_rules(Engine::Sqlite).await;
}

#[tokio::test]
async fn exports_follow_one_per_profile_and_restart_rules_postgres() {
    exports_follow_one_per_profile_and_restart_rules(Engine::Postgres).await;
}
