//! The binary's command line and start-up validation, run as a user would run it.

mod common;

use std::process::Output;

use common::worker_command;

async fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = worker_command(dir.path());
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::time::timeout(std::time::Duration::from_secs(60), cmd.output())
        .await
        .expect("the command finishes")
        .expect("the binary runs")
}

/// The one line a start-up failure prints, checked to be one line without a panic/backtrace.
fn single_error_line(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "expected one line on stderr, got:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("backtrace"), "{stderr}");
    lines[0].to_owned()
}

#[tokio::test]
async fn run_without_bot_token_prints_one_clear_line_and_exits_non_zero() {
    let out = run(&["run"], &[]).await;
    assert!(!out.status.success());
    let line = single_error_line(&out);
    assert!(line.contains("BOT_TOKEN is not set"), "{line}");
}

#[tokio::test]
async fn the_default_command_is_run() {
    let out = run(&[], &[]).await;
    assert!(!out.status.success());
    assert!(single_error_line(&out).contains("BOT_TOKEN is not set"));
}

#[tokio::test]
async fn each_bad_setting_is_named_in_one_line() {
    for (var, value) in [
        ("DATABASE_URL", "mysql://localhost/db"),
        ("ADMIN_CHAT_ID", "admin"),
        ("ALLOWED_USERS", "1,two,3"),
        ("BOT_TOKEN", "not-a-token"),
        ("SECRET_KEY", "too-short"),
        ("LOG_FORMAT", "yaml"),
    ] {
        let out = run(&["run"], &[(var, value)]).await;
        assert_eq!(out.status.code(), Some(2), "{var}={value}");
        let line = single_error_line(&out);
        assert!(line.contains(var), "{var}={value}: {line}");
    }
}

#[tokio::test]
async fn postgres_without_secret_key_is_refused_at_start() {
    let out = run(
        &["run"],
        &[
            ("BOT_TOKEN", "123:abc"),
            (
                "DATABASE_URL",
                "postgres://postgres@127.0.0.1:5432/postgres",
            ),
        ],
    )
    .await;
    assert!(!out.status.success());
    let line = single_error_line(&out);
    assert!(line.contains("SECRET_KEY is not set"), "{line}");
}

#[tokio::test]
async fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["migrate", "--help"],
        vec!["sandbox", "--help"],
    ] {
        let out = run(&args, &[]).await;
        assert!(out.status.success(), "{args:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("Usage:"), "{args:?}: {stdout}");
    }
}

#[tokio::test]
async fn migrate_creates_the_sqlite_database_in_the_working_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = worker_command(dir.path())
        .arg("migrate")
        .output()
        .await
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("avito-reports.sqlite").exists());
}
