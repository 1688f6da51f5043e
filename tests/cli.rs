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
        vec!["demo", "--help"],
        vec!["worker", "--help"],
        vec!["export", "--help"],
        vec!["healthcheck", "--help"],
        vec!["jobs", "list", "--help"],
        vec!["avito", "check", "--help"],
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

mod avito_check {
    use super::*;
    use sandbox::avito::{AvitoConfig, AvitoEmulator};

    async fn check(emu: &AvitoEmulator, id: &str, secret: &str) -> Output {
        run(
            &["avito", "check", "--client-id", id],
            &[
                ("AVITO_API_URL", &emu.base_url()),
                ("AVITO_CLIENT_SECRET", secret),
            ],
        )
        .await
    }

    #[tokio::test]
    async fn avito_check_prints_the_account_of_valid_credentials() {
        let emu = AvitoEmulator::start(AvitoConfig::default())
            .await
            .expect("emu");
        let out = check(&emu, "client-1", "secret-1").await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let name = emu.data().accounts()[0].spec.name.clone();
        assert_eq!(stdout.trim(), format!("Avito account 1000001: {name}"));
    }

    #[tokio::test]
    async fn avito_check_with_wrong_credentials_prints_one_line_and_fails() {
        let emu = AvitoEmulator::start(AvitoConfig::default())
            .await
            .expect("emu");
        let out = check(&emu, "client-1", "wrong-secret").await;
        assert!(!out.status.success());
        let line = single_error_line(&out);
        assert!(line.contains("bad credentials"), "{line}");
        assert!(
            !line.contains("wrong-secret"),
            "the secret is not echoed: {line}"
        );
    }

    #[tokio::test]
    async fn avito_check_when_avito_is_down_says_unavailable() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        let out = run(
            &["avito", "check", "--client-id", "x", "--client-secret", "y"],
            &[
                ("AVITO_API_URL", &format!("http://127.0.0.1:{port}")),
                // The retries are logged as warnings; this test reads the final line only.
                ("RUST_LOG", "error"),
            ],
        )
        .await;
        assert!(!out.status.success());
        let line = single_error_line(&out);
        assert!(line.contains("Avito unavailable"), "{line}");
    }
}

/// `report` against an Avito that accepts connections and never answers: the account lookup
/// and the report share `REPORT_DEADLINE_SEC`, so the command ends with every figure n/a and
/// the reason, instead of waiting out every retry of every request.
#[tokio::test(flavor = "multi_thread")]
async fn report_against_a_silent_avito_answers_by_its_deadline() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", silent.local_addr().expect("addr"));
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((conn, _)) = silent.accept().await {
            open.push(conn);
        }
    });
    let out = run(
        &[
            "report",
            "--client-id",
            "x",
            "--client-secret",
            "y",
            "--lang",
            "en",
        ],
        &[
            ("AVITO_API_URL", url.as_str()),
            ("REPORT_DEADLINE_SEC", "2"),
        ],
    )
    .await;
    held.abort();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Views: n/a") && stdout.contains("Avito is unavailable"),
        "every figure n/a with the reason:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `reviews` against the emulator: the rating's line, every review newest first with its
/// answer's status, `--since` keeping the new one only, and JSON for scripts.
#[tokio::test]
async fn reviews_lists_the_rating_and_reviews_newest_first() {
    use sandbox::avito::{AvitoConfig, AvitoEmulator, NewReview};
    let emu = AvitoEmulator::start(AvitoConfig::default())
        .await
        .expect("emu");
    let user = 1_000_001;
    let fresh = emu
        .add_review(user, NewReview::new(2, "Не перезвонили"))
        .expect("a new review");
    let served = emu.reviews(user);
    let env = [
        ("AVITO_API_URL", emu.base_url()),
        ("AVITO_CLIENT_SECRET", "secret-1".to_owned()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = run(
        &["reviews", "--client-id", "client-1", "--lang", "en"],
        &env,
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("🌟 Rating: "), "{stdout}");
    assert!(
        stdout.contains(&format!("{} of {} reviews", served.len(), served.len())),
        "{stdout}"
    );
    // The new review comes first, with its stars and no answer yet.
    let first = stdout.split("\n\n").nth(1).unwrap_or_default();
    assert!(first.contains("★★☆☆☆ 2 · deal done"), "{first}");
    assert!(
        first.contains("Не перезвонили") && first.ends_with("↳ not answered"),
        "{first}"
    );

    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Moscow)
        .date_naive()
        .to_string();
    let out = run(
        &[
            "reviews",
            "--client-id",
            "client-1",
            "--since",
            &today,
            "--format",
            "json",
        ],
        &env,
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let ids: Vec<i64> = json["reviews"]
        .as_array()
        .expect("reviews")
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .collect();
    assert!(ids.contains(&fresh), "{json}");
    assert_eq!(json["total"].as_u64(), Some(served.len() as u64));

    let out = run(
        &["reviews", "--client-id", "client-1", "--since", "yesterday"],
        &env,
    )
    .await;
    assert!(!out.status.success());
    let line = single_error_line(&out);
    assert!(line.contains("expected YYYY-MM-DD"), "{line}");
}
