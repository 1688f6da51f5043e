//! Reports over many profiles, end to end, against the Avito emulator with 100 ms latency per
//! request: the `report` command with 1 and 50 `--client-id`/`--client-secret` pairs (the
//! binary, as cron runs it), and `/stats` in a Telegram group with 1 and 50 bound profiles (the
//! worker binary against the Telegram emulator, on a SQLite file). Target: T(50)/T(1) ≤ 1.5.
//!
//! Each figure is the median of three runs, each on accounts of its own (nothing is reused
//! from an earlier run's answers or rate limits).
//!
//! Run: `cargo bench --bench report_scale` (`-- --latency-ms 50`, `-- --profiles 20`).

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use avito_reports::crypto::SecretBox;
use avito_reports::crypto::SecretKey;
use avito_reports::db::{self, entities::report_task};
use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator};
use sandbox::telegram::{TelegramConfig, TelegramEmulator};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};

use support::KEY;
const BINARY: &str = env!("CARGO_BIN_EXE_avito-reports");
const RUNS: u32 = 3;

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn arg(name: &str, default: u64) -> u64 {
    std::env::args()
        .skip_while(|a| a != name)
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> anyhow::Result<()> {
    let latency_ms = arg("--latency-ms", 100);
    let many = arg("--profiles", 50) as u32;
    // Fresh accounts for every run, so no answer or rate limit carries over between runs:
    // per run CLI 1, CLI many, /stats 1, /stats many.
    let per_run = 2 * (1 + many);
    let total = RUNS * per_run;
    let avito = AvitoEmulator::start(AvitoConfig {
        accounts: (1..=total)
            .map(|n| AccountSpec {
                items: 30,
                chats: 5,
                messages_per_chat: 3,
                ..AccountSpec::generated(n)
            })
            .collect(),
        ..AvitoConfig::default()
    })
    .await?;
    avito.set_latency(Duration::from_millis(latency_ms));
    println!("report_scale: all metrics, last 7 days, {latency_ms} ms Avito latency per request");

    // ---- the report command ----
    let cli = |accounts: std::ops::RangeInclusive<u32>| {
        let mut cmd = tokio::process::Command::new(BINARY);
        cmd.arg("report")
            .args(["--period", "last-7-days", "--lang", "en"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AVITO_API_URL", avito.base_url())
            .env("RUST_LOG", "warn")
            .kill_on_drop(true);
        for n in accounts {
            cmd.args(["--client-id", &format!("client-{n}")]);
            cmd.args(["--client-secret", &format!("secret-{n}")]);
        }
        cmd
    };
    let (mut ones, mut alls) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        let base = run * per_run;
        let started = Instant::now();
        let one = cli(base + 1..=base + 1).output().await?;
        ones.push(started.elapsed());
        anyhow::ensure!(one.status.success(), "report over 1 profile failed");
        let started = Instant::now();
        let all = cli(base + 2..=base + 1 + many).output().await?;
        alls.push(started.elapsed());
        anyhow::ensure!(all.status.success(), "report over {many} profiles failed");
        let out = String::from_utf8_lossy(&all.stdout);
        anyhow::ensure!(
            !out.contains("could not get the data"),
            "every profile reported:\n{out}"
        );
    }
    let (t1, tn) = (median(ones), median(alls));
    println!(
        "  report command:  1 profile {:>6.0} ms · {many} profiles {:>6.0} ms · T({many})/T(1) = {:.2}",
        t1.as_secs_f64() * 1000.0,
        tn.as_secs_f64() * 1000.0,
        tn.as_secs_f64() / t1.as_secs_f64()
    );

    // ---- /stats in a group ----
    let dir = tempfile::tempdir()?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.sqlite").display()
    );
    let conn = db::connect(&avito_reports::db::DatabaseUrl::parse(&url)?).await?;
    db::migrate(&conn).await?;
    let secrets = SecretBox::new(&SecretKey::parse(KEY).map_err(anyhow::Error::msg)?);
    let telegram = TelegramEmulator::start(TelegramConfig::default()).await?;
    // Run r: group -(100_000 + 2r) has one profile, group -(100_001 + 2r) has `many`.
    let group_of = |n: u32| {
        let run = (n - 1) / per_run;
        let first = run * per_run + 2 + many;
        -100_000 - 2 * i64::from(run) - i64::from(n != first)
    };
    for n in (0..RUNS).flat_map(|run| run * per_run + 2 + many..=(run + 1) * per_run) {
        let owner = 200_000 + i64::from(n);
        let task = support::seller_with_profile(&conn, &secrets, owner, n).await?;
        report_task::ActiveModel {
            id: Set(task.id),
            chat_id: Set(Some(avito_reports::domain::ChatId(group_of(n)))),
            chat_title: Set(Some("Team".into())),
            ..Default::default()
        }
        .update(&conn)
        .await?;
    }
    conn.close().await?;
    let log = dir.path().join("worker.log");
    let mut worker = tokio::process::Command::new(BINARY)
        .arg("run")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .env("BOT_TOKEN", telegram.bot_token())
        .env("TELEGRAM_API_URL", telegram.base_url())
        .env("AVITO_API_URL", avito.base_url())
        .env("DATABASE_URL", &url)
        .env("SECRET_KEY", KEY)
        .current_dir(dir.path())
        .stderr(std::fs::File::create(&log)?)
        .kill_on_drop(true)
        .spawn()?;
    let member = telegram.user(300_000, "Member", Some("en"));
    let (mut ones, mut alls) = (Vec::new(), Vec::new());
    let groups = (0..RUNS).flat_map(|run| {
        let small = -100_000 - 2 * i64::from(run);
        [(small, false), (small - 1, true)]
    });
    for (chat, is_large) in groups {
        let title = if is_large { "Many" } else { "One" };
        let group = telegram.group(chat, title);
        let before = telegram.chat_messages(chat).len();
        let started = Instant::now();
        member.send_text_in(&group, "/stats");
        let reported = |m: &sandbox::telegram::SeenMessage| {
            m.from_bot
                && (m.text_or_caption().contains("Report for")
                    || m.text_or_caption().contains("Combined report"))
        };
        let deadline = started + Duration::from_secs(300);
        let arrived = loop {
            let seen = telegram.chat_messages(chat);
            if seen.iter().skip(before).any(reported) {
                break started.elapsed();
            }
            if Instant::now() > deadline {
                eprintln!("{}", std::fs::read_to_string(&log).unwrap_or_default());
                anyhow::bail!("no /stats answer in {title}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        if is_large {
            alls.push(arrived);
        } else {
            ones.push(arrived);
        }
    }
    let (t1, tn) = (median(ones), median(alls));
    println!(
        "  /stats (first message): 1 profile {:>6.0} ms · {many} profiles {:>6.0} ms · T({many})/T(1) = {:.2}",
        t1.as_secs_f64() * 1000.0,
        tn.as_secs_f64() * 1000.0,
        tn.as_secs_f64() / t1.as_secs_f64()
    );
    let _ = worker.start_kill();
    let _ = worker.wait().await;
    avito.shutdown().await;
    telegram.shutdown().await;
    Ok(())
}
