//! `avito-reports demo`, black-box: the built binary, run as a newcomer would run it (no
//! credentials, no network, a stray `.env` in the working directory), with the most verbose
//! logs. One run serves every test here.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use avito_reports::demo::DEMO_SECRET_KEY;
use calamine::{Reader, Xlsx, open_workbook};

/// A debug build on a busy 2-core machine: generous.
const DEMO_TIMEOUT: Duration = Duration::from_secs(300);
/// The Avito emulator's account the demo connects.
const CLIENT_ID: &str = "client-1";
const CLIENT_SECRET: &str = "secret-1";

struct DemoRun {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    out: PathBuf,
    elapsed: Duration,
}

impl DemoRun {
    /// Panics with the run's output.
    fn fail(&self, why: &str) -> ! {
        panic!(
            "{why}\n--- exit: {} in {:.1}s\n--- stdout:\n{}\n--- stderr (last 8000 bytes):\n{}",
            self.status,
            self.elapsed.as_secs_f64(),
            self.stdout,
            tail(&self.stderr, 8000)
        )
    }

    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.out.join(name))
            .unwrap_or_else(|e| self.fail(&format!("{name} is not readable: {e}")))
    }
}

fn tail(text: &str, bytes: usize) -> &str {
    let mut start = text.len().saturating_sub(bytes);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// Runs the demo once per test binary.
fn demo() -> &'static DemoRun {
    static RUN: OnceLock<DemoRun> = OnceLock::new();
    RUN.get_or_init(run_demo)
}

fn run_demo() -> DemoRun {
    // One directory per test process: nextest runs each test in a process of its own.
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("demo-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let cwd = base.join("cwd");
    std::fs::create_dir_all(&cwd).expect("working directory");
    // A developer's .env that would break any other command: the demo must not read it.
    std::fs::write(
        cwd.join(".env"),
        "BOT_TOKEN=not-a-token\nDATABASE_URL=postgres://127.0.0.1:1/nowhere\nHTTP_ADDR=bad\n",
    )
    .expect(".env");
    let out = base.join("out");

    let started = Instant::now();
    let mut child = Command::new(common::worker_binary())
        .arg("demo")
        .arg("--out")
        .arg(&out)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "debug")
        .current_dir(&cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the demo starts");
    let stdout = drain(child.stdout.take().expect("stdout"));
    let stderr = drain(child.stderr.take().expect("stderr"));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > DEMO_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the demo did not finish within {DEMO_TIMEOUT:?}\n--- stdout:\n{}\n--- stderr:\n{}",
                stdout.join().unwrap_or_default(),
                tail(&stderr.join().unwrap_or_default(), 8000)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let run = DemoRun {
        status,
        stdout: stdout.join().expect("stdout read"),
        stderr: stderr.join().expect("stderr read"),
        out,
        elapsed: started.elapsed(),
    };
    eprintln!(
        "the demo took {:.1}s (with its debug logging, in a debug build)",
        run.elapsed.as_secs_f64()
    );
    run
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// `Next report: YYYY-MM-DD HH:MM` somewhere in `text`.
fn has_next_report_time(text: &str) -> bool {
    text.match_indices("Next report: ").any(|(at, needle)| {
        let rest: Vec<char> = text[at + needle.len()..].chars().take(16).collect();
        let shape = "dddd-dd-dd dd:dd";
        rest.len() == shape.len()
            && rest.iter().zip(shape.chars()).all(|(c, s)| match s {
                'd' => c.is_ascii_digit(),
                s => *c == s,
            })
    })
}

fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .filter_map(|line| line.rsplit_once(' '))
        .find(|(name, _)| *name == series)
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0.0)
}

fn workbook_in(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "xlsx"))
}

#[test]
fn demo_plays_the_whole_journey_and_leaves_report_workbook_metrics_and_charts() {
    let run = demo();
    if !run.status.success() {
        run.fail("the demo failed");
    }
    let said = &run.stdout;

    // Every step, as the user saw it.
    for (what, needle) in [
        ("step 1", "— 1. /start —"),
        ("the greeting", "Bot: Hello, Anna! 👋"),
        ("step 2", "— 2. Adding an Avito profile —"),
        ("the client_id typed", "You: client-1"),
        ("the secret masked", "You: ••••••••"),
        (
            "the secret's message deleted",
            "🗑 (the bot deleted your message “••••••••”)",
        ),
        (
            "the profile added",
            "✅ Profile “My shop” added: Avito account",
        ),
        ("step 3", "— 3. The /profiles hub —"),
        ("the hub", "Bot: Your Avito profiles (1)"),
        ("a keyboard", "[ 📊 Report now ] [ 🗓 Report for a period ]"),
        ("the card, edited in place", "Bot (edited): My shop"),
        ("step 4", "— 4. A report now —"),
        ("the press", "You: [ 📊 Report now ]"),
        ("the report", "Bot: 📊 My shop"),
        ("step 5", "— 5. A daily schedule —"),
        (
            "the chosen chat",
            "✅ Reports of “My shop” will go to “Anna”.",
        ),
        ("step 6", "— 6. /stats in the team group —"),
        (
            "/stats typed in the group",
            "You in «Shop team»: /stats@avito_reports_test_bot",
        ),
        ("the group's report", "Bot in «Shop team»: 📊 My shop"),
        ("step 7", "— 7. Chats to Excel —"),
        ("the export finished", "✅ Export of My shop is ready"),
        ("the workbook", "Bot: 📎 avito-chats-My_shop-"),
        (
            "step 8",
            "— 8. An alert: the wallet runs low, then is topped up —",
        ),
        (
            "the alert switched on",
            "[ ✅ wallet balance ] [ 1,000\u{a0}₽ ▸ ]",
        ),
        (
            "the alert",
            "Bot in «Shop team»: 🔔 My shop: the wallet is low: 450\u{a0}₽ (the alert is for below 1,000\u{a0}₽).",
        ),
        (
            "the recovery",
            "Bot in «Shop team»: ✅ My shop: back to normal — wallet balance.",
        ),
        (
            "the metrics",
            "avito_reports_reports_sent_total{kind=\"now\"} 1",
        ),
    ] {
        if !said.contains(needle) {
            run.fail(&format!("the transcript lacks {what}: {needle:?}"));
        }
    }
    if !has_next_report_time(said) {
        run.fail("the card after the schedule shows no “Next report: YYYY-MM-DD HH:MM”");
    }

    // The files.
    assert_eq!(
        run.file("conversation.txt"),
        *said,
        "conversation.txt is the printed transcript"
    );
    let report = run.file("report.txt");
    assert!(
        report.contains("📊 My shop") && report.contains("Views") && report.contains("Contacts"),
        "report.txt: {report}"
    );
    let stats = run.file("stats.txt");
    assert!(
        stats.contains("My shop") && stats.contains("Views"),
        "stats.txt: {stats}"
    );

    let xlsx = workbook_in(&run.out).unwrap_or_else(|| run.fail("no .xlsx in the output"));
    let mut book: Xlsx<_> =
        open_workbook(&xlsx).unwrap_or_else(|e| panic!("{} opens as xlsx: {e}", xlsx.display()));
    let sheets = book.sheet_names();
    assert!(
        sheets.iter().any(|s| s == "Chats") && sheets.iter().any(|s| s == "Messages"),
        "{sheets:?}"
    );
    for sheet in ["Chats", "Messages"] {
        let range = book
            .worksheet_range(sheet)
            .unwrap_or_else(|e| panic!("sheet {sheet}: {e}"));
        assert!(
            range.rows().count() > 1,
            "{sheet} has a header and data rows"
        );
    }

    let alerts = run.file("alerts.txt");
    assert_eq!(
        alerts.matches("the wallet is low").count(),
        1,
        "one alert, then its recovery: {alerts}"
    );
    assert!(alerts.contains("back to normal"), "alerts.txt: {alerts}");
    assert_eq!(
        said.matches("the wallet is low").count(),
        1,
        "the alert fires once, not again before the top-up"
    );

    let review = run.file("review.txt");
    assert!(review.contains("★★☆☆☆"), "review.txt: {review}");
    assert!(review.contains("Send it to Avito?"), "review.txt: {review}");
    assert_eq!(
        review
            .matches("your answer to the review from Игорь is published")
            .count(),
        1,
        "the answer is published once: {review}"
    );

    let metrics = run.file("metrics.txt");
    for series in [
        "avito_reports_updates_handled_total{kind=\"message\"}",
        "avito_reports_updates_handled_total{kind=\"callback_query\"}",
        "avito_reports_reports_sent_total{kind=\"now\"}",
        "avito_reports_reports_sent_total{kind=\"stats\"}",
        "avito_reports_avito_requests_total{operation=\"getAccessToken\",status=\"200\"}",
        "avito_reports_avito_requests_total{operation=\"itemAnalytics\",status=\"200\"}",
        "avito_reports_avito_requests_total{operation=\"getMessagesV3\",status=\"200\"}",
    ] {
        assert!(metric(&metrics, series) > 0.0, "{series} in:\n{metrics}");
    }
    assert!(
        metrics.contains("avito_reports_avito_request_duration_seconds_count"),
        "{metrics}"
    );
    assert_demo_charts(run);
}

/// The charts the demo leaves: named in the closing list, decoding (with the independent
/// `png` crate) to 1280×720, not blank. Called from the journey's test: under nextest each
/// test is a process of its own, and another demo run would only cost time.
fn assert_demo_charts(run: &DemoRun) {
    for name in ["daily.png", "spending.png"] {
        if !run.stdout.contains(name) {
            run.fail(&format!("the closing list does not name {name}"));
        }
        let path = run.out.join(name);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| run.fail(&format!("{name}: {e}")));
        assert!(bytes.len() <= 250 * 1024, "{name}: {} bytes", bytes.len());
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap_or_else(|e| panic!("{name} decodes: {e}"));
        let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
        let info = reader.next_frame(&mut pixels).expect("a frame");
        assert_eq!((info.width, info.height), (1280, 720), "{name}");
        let px = info.line_size / info.width as usize;
        let differing = pixels[..info.buffer_size()]
            .chunks(px)
            .filter(|p| *p != &pixels[..px])
            .count();
        assert!(differing > 10_000, "{name} is nearly blank");
    }
}

#[test]
fn demo_logs_and_transcript_never_show_the_secrets() {
    let run = demo();
    if !run.status.success() {
        run.fail("the demo failed");
    }
    // The check means something only if the secret was typed where the transcript shows
    // typed text, and the logs were as verbose as they get, our crate's included.
    assert!(
        run.stdout.contains(&format!("You: {CLIENT_ID}")) && run.stdout.contains("You: ••••••••"),
        "the transcript shows typed text, the secret masked"
    );
    let our_debug_lines = run
        .stderr
        .lines()
        .filter(|l| l.contains(" DEBUG ") && l.contains("avito_reports::"))
        .count();
    assert!(
        our_debug_lines > 10,
        "the worker logged at debug level ({our_debug_lines} lines)"
    );

    let bot_token = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let emu = sandbox::telegram::TelegramEmulator::start(
                sandbox::telegram::TelegramConfig::without_limits(),
            )
            .await
            .expect("emulator");
            let token = emu.bot_token();
            emu.shutdown().await;
            token
        });
    let token_secret = bot_token
        .split_once(':')
        .map(|(_, s)| s.to_owned())
        .unwrap_or_default();
    let conversation = run.file("conversation.txt");
    for (what, secret) in [
        ("the client_secret", CLIENT_SECRET),
        ("the bot token", bot_token.as_str()),
        ("the bot token's secret part", token_secret.as_str()),
        ("the SECRET_KEY", DEMO_SECRET_KEY),
    ] {
        assert!(!secret.is_empty());
        for (place, text) in [
            ("stdout", &run.stdout),
            ("stderr", &run.stderr),
            ("conversation.txt", &conversation),
        ] {
            if let Some(at) = text.find(secret) {
                panic!(
                    "{what} shows in {place}: …{}…",
                    &text[text.floor_char_boundary(at.saturating_sub(200))
                        ..text.ceil_char_boundary((at + secret.len() + 200).min(text.len()))]
                );
            }
        }
    }
}
