//! `avito-reports export` against the Avito emulator, run as a person would run it; the
//! workbooks are read back with calamine.

mod common;
mod export_support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use chrono_tz::Tz;
use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator, Fault};

use common::{TEST_AVITO_RATE_WINDOW, worker_command};
use export_support::{assert_complete, read, read_en};

async fn emulator(accounts: Vec<AccountSpec>) -> AvitoEmulator {
    AvitoEmulator::start(AvitoConfig {
        rate_window: TEST_AVITO_RATE_WINDOW,
        accounts,
        ..AvitoConfig::default()
    })
    .await
    .expect("Avito emulator starts")
}

fn account(n: u32, chats: usize, messages_per_chat: usize) -> AccountSpec {
    AccountSpec {
        chats,
        messages_per_chat,
        ..AccountSpec::generated(n)
    }
}

async fn export(avito: &AvitoEmulator, dir: &Path, client: u32, extra: &[&str]) -> Output {
    let mut cmd = worker_command(dir);
    cmd.args([
        "export",
        "--client-id",
        &format!("client-{client}"),
        "--out",
        "chats.xlsx",
        "--lang",
        "en",
    ])
    .args(extra)
    .env("AVITO_CLIENT_SECRET", format!("secret-{client}"))
    .env("AVITO_API_URL", avito.base_url())
    .env(
        "AVITO_RATE_WINDOW_SEC",
        TEST_AVITO_RATE_WINDOW.as_secs_f64().to_string(),
    );
    tokio::time::timeout(Duration::from_secs(300), cmd.output())
        .await
        .expect("the export finishes")
        .expect("the binary runs")
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "export failed: {}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .collect();
    v.sort();
    v
}

const MOSCOW: Tz = chrono_tz::Europe::Moscow;

#[tokio::test]
async fn export_of_an_account_past_the_listing_ceiling_has_every_chat_and_message_once() {
    // 2,600 chats: more than one listing reaches (1,100), so the export narrows by chat type
    // and by batches of item ids.
    let avito = emulator(vec![account(1, 2_600, 6)]).await;
    let dir = tempfile::tempdir().expect("dir");
    let stdout = ok(&export(&avito, dir.path(), 1, &[]).await);
    assert_eq!(files(dir.path()), vec![dir.path().join("chats.xlsx")]);
    let data = avito.data();
    let acc = &data.accounts()[0];
    let all: Vec<_> = acc.chats.iter().collect();
    let book = read_en(&dir.path().join("chats.xlsx"));
    let kinds = assert_complete(&[book], acc, &all, MOSCOW);
    let every: std::collections::BTreeSet<String> = sandbox::avito::data::MessageType::ALL
        .iter()
        .map(|k| k.as_str().to_owned())
        .collect();
    assert_eq!(kinds, every, "every message type is exported");
    assert!(stdout.contains("2600 chats"), "{stdout}");
    assert!(
        !stdout.contains("note:"),
        "nothing was out of reach: {stdout}"
    );
    assert!(
        avito.request_count("getItemsInfo") > 0,
        "item chats were narrowed by item ids"
    );
    assert!(
        avito.validation_failures().is_empty(),
        "{:?}",
        avito.validation_failures()
    );
    avito.shutdown().await;
}

#[tokio::test]
async fn times_are_in_the_requested_time_zone_and_russian_is_the_default_language() {
    let avito = emulator(vec![account(1, 30, 4)]).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut cmd = worker_command(dir.path());
    cmd.args([
        "export",
        "--client-id",
        "client-1",
        "--client-secret",
        "secret-1",
        "--out",
        "x.xlsx",
        "--tz",
        "Asia/Vladivostok",
    ])
    .env("AVITO_API_URL", avito.base_url());
    ok(&cmd.output().await.expect("runs"));
    let book = read(&dir.path().join("x.xlsx"), "Чаты", "Сообщения");
    assert_eq!(export_support::headers(&book.chats)[0], "ID чата");
    assert_eq!(export_support::headers(&book.messages)[6], "Текст");
    let data = avito.data();
    let chat = data.accounts()[0]
        .chat(&export_support::text(&book.chats[1][0]))
        .expect("a chat of the account");
    let vladivostok: Tz = chrono_tz::Asia::Vladivostok;
    let shown = export_support::date(&book.chats[1][6]);
    assert!((shown - export_support::excel_local(chat.created, vladivostok)).abs() < 1e-6);
    assert!(
        (shown - export_support::excel_local(chat.created, MOSCOW) - 7.0 / 24.0).abs() < 1e-6,
        "Vladivostok is 7 hours ahead of Moscow"
    );
    avito.shutdown().await;
}

#[tokio::test]
async fn chats_past_the_message_ceiling_keep_their_newest_messages_and_are_named() {
    let avito = emulator(vec![account(1, 4, 1_500)]).await;
    let dir = tempfile::tempdir().expect("dir");
    let stdout = ok(&export(&avito, dir.path(), 1, &[]).await);
    let data = avito.data();
    let acc = &data.accounts()[0];
    let all: Vec<_> = acc.chats.iter().collect();
    let long: Vec<&str> = all
        .iter()
        .filter(|c| c.message_count > 1_100)
        .map(|c| c.id.as_str())
        .collect();
    assert!(!long.is_empty(), "the dataset has a chat over the ceiling");
    assert_complete(
        &[read_en(&dir.path().join("chats.xlsx"))],
        acc,
        &all,
        MOSCOW,
    );
    for id in long {
        assert!(stdout.contains(id), "{id} is named in the note: {stdout}");
    }
    avito.shutdown().await;
}

#[tokio::test]
async fn a_large_export_is_split_into_parts_under_the_size_limit() {
    let avito = emulator(vec![account(1, 300, 20)]).await;
    let dir = tempfile::tempdir().expect("dir");
    ok(&export(&avito, dir.path(), 1, &["--max-file-size", "150K"]).await);
    let parts = files(dir.path());
    assert!(parts.len() >= 3, "split into parts: {parts:?}");
    for (i, p) in parts.iter().enumerate() {
        assert_eq!(p, &dir.path().join(format!("chats-{}.xlsx", i + 1)));
        let size = std::fs::metadata(p).expect("part").len();
        assert!(size <= 150 * 1024, "{} is {size} bytes", p.display());
    }
    let books: Vec<_> = parts.iter().map(|p| read_en(p)).collect();
    let data = avito.data();
    let acc = &data.accounts()[0];
    let all: Vec<_> = acc.chats.iter().collect();
    assert_complete(&books, acc, &all, MOSCOW);
    avito.shutdown().await;
}

#[tokio::test]
async fn since_keeps_only_chats_updated_on_or_after_the_day() {
    let avito = emulator(vec![account(1, 200, 3)]).await;
    let data = avito.data();
    let acc = &data.accounts()[0];
    let day = data.today() - chrono::Duration::days(120);
    let from = sandbox::avito::data::moscow_midnight(day);
    let recent: Vec<_> = acc.chats.iter().filter(|c| c.updated >= from).collect();
    assert!(recent.len() > 10 && recent.len() < acc.chats.len());
    let dir = tempfile::tempdir().expect("dir");
    let since = day.format("%Y-%m-%d").to_string();
    ok(&export(&avito, dir.path(), 1, &["--since", &since]).await);
    assert_complete(
        &[read_en(&dir.path().join("chats.xlsx"))],
        acc,
        &recent,
        MOSCOW,
    );
    avito.shutdown().await;
}

#[tokio::test]
async fn a_passing_avito_failure_is_retried_and_the_export_is_complete() {
    let avito = emulator(vec![account(1, 40, 5)]).await;
    // Three failures in a row are within the client's own four attempts: retries are the
    // client's alone (the export does not retry a step on top of them).
    avito.set_fault(
        "getMessagesV3",
        Fault::Times(3, Box::new(Fault::Status(500))),
    );
    let dir = tempfile::tempdir().expect("dir");
    ok(&export(&avito, dir.path(), 1, &["--concurrency", "1"]).await);
    let data = avito.data();
    let acc = &data.accounts()[0];
    let all: Vec<_> = acc.chats.iter().collect();
    assert_complete(
        &[read_en(&dir.path().join("chats.xlsx"))],
        acc,
        &all,
        MOSCOW,
    );
    avito.shutdown().await;
}

#[tokio::test]
async fn a_lasting_avito_failure_fails_the_export_and_leaves_no_file() {
    let avito = emulator(vec![account(1, 40, 5)]).await;
    avito.set_fault("getMessagesV3", Fault::Status(503));
    let dir = tempfile::tempdir().expect("dir");
    let out = export(&avito, dir.path(), 1, &[]).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("messages of chat"),
        "names what failed: {stderr}"
    );
    assert!(stderr.contains("503"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().contains("xlsx"))
        .collect();
    assert!(left.is_empty(), "no workbook, whole or partial: {left:?}");
    avito.shutdown().await;
}

#[tokio::test]
async fn bad_arguments_are_named_with_what_is_expected() {
    let avito = emulator(vec![account(1, 1, 1)]).await;
    let dir = tempfile::tempdir().expect("dir");
    for (args, needle) in [
        (
            &["--since", "2025-13-01"][..],
            "--since '2025-13-01' is not a date: expected YYYY-MM-DD",
        ),
        (
            &["--tz", "Mars/Base"][..],
            "--tz 'Mars/Base' is not an IANA time zone",
        ),
        (
            &["--max-file-size", "5G"][..],
            "--max-file-size '5G' is not a size",
        ),
        (&["--max-file-size", "1K"][..], "too small"),
    ] {
        let out = export(&avito, dir.path(), 1, args).await;
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    let out = export(&avito, dir.path(), 2, &[]).await;
    assert!(!out.status.success(), "unknown credentials fail");
    assert!(files(dir.path()).is_empty());
    avito.shutdown().await;
}
