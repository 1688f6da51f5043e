//! The worker's footprint: start-up time to polling and idle memory of `avito-reports run`
//! against the Telegram emulator on a fresh SQLite database.
//!
//! Start-up is measured from spawning the process to the first `getUpdates` the emulator
//! sees; idle RSS is `VmRSS` from `/proc/PID/status` after the worker has idled (default
//! 10 s). Targets: start-up ≤ 1 s, idle RSS ≤ 25 MB.
//!
//! Run: `cargo bench --bench footprint` (the bench-profile binary), or against another build:
//! `cargo bench --bench footprint -- --bin target/release/avito-reports --runs 5 --idle 10`.
//! `--env KEY=VALUE` (repeatable) sets extra variables for the worker, to compare settings.

use std::process::Stdio;
use std::time::{Duration, Instant};

use sandbox::telegram::{TelegramConfig, TelegramEmulator};

const TARGET_STARTUP: Duration = Duration::from_secs(1);
const TARGET_RSS_KB: u64 = 25 * 1024;

struct Options {
    bin: String,
    runs: usize,
    idle: Duration,
    env: Vec<(String, String)>,
}

fn options() -> Result<Options, String> {
    let mut opts = Options {
        bin: env!("CARGO_BIN_EXE_avito-reports").to_owned(),
        runs: 3,
        idle: Duration::from_secs(10),
        env: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--bin" => opts.bin = value("--bin")?,
            "--runs" => opts.runs = value("--runs")?.parse().map_err(|_| "--runs: a number")?,
            "--idle" => {
                opts.idle = Duration::from_secs_f64(
                    value("--idle")?.parse().map_err(|_| "--idle: seconds")?,
                )
            }
            "--env" => {
                let pair = value("--env")?;
                let (k, v) = pair.split_once('=').ok_or("--env KEY=VALUE")?;
                opts.env.push((k.to_owned(), v.to_owned()));
            }
            // `cargo bench` passes `--bench`; ignore flags meant for a harness.
            "--bench" => {}
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if opts.runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    Ok(opts)
}

/// `VmRSS`, `VmHWM` (peak), `RssAnon`, `RssFile` in kB and `Threads` of a process.
#[derive(Debug, Default, Clone, Copy)]
struct Memory {
    rss: u64,
    peak: u64,
    anon: u64,
    file: u64,
    threads: u64,
}

fn memory(pid: u32) -> Result<Memory, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok(Memory {
        rss: field("VmRSS:"),
        peak: field("VmHWM:"),
        anon: field("RssAnon:"),
        file: field("RssFile:"),
        threads: field("Threads:"),
    })
}

struct Run {
    startup: Duration,
    idle: Memory,
}

async fn one_run(opts: &Options) -> Result<Run, String> {
    let telegram = TelegramEmulator::start(TelegramConfig::without_limits())
        .await
        .map_err(|e| format!("emulator: {e}"))?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let db = dir.path().join("footprint.sqlite");
    let mut cmd = tokio::process::Command::new(&opts.bin);
    cmd.arg("run")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .env("BOT_TOKEN", telegram.bot_token())
        .env("TELEGRAM_API_URL", telegram.base_url())
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for (k, v) in &opts.env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("{}: {e}", opts.bin))?;
    let pid = child.id().ok_or("the worker exited at once")?;
    let deadline = started + Duration::from_secs(30);
    while telegram.method_calls("getUpdates") == 0 {
        if Instant::now() > deadline {
            return Err("no getUpdates within 30 s".into());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the worker exited before polling: {status}"));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let startup = started.elapsed();
    tokio::time::sleep(opts.idle).await;
    let idle = memory(pid)?;
    // SIGTERM, as in production, then wait for the clean exit.
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = tokio::time::timeout(Duration::from_secs(30), child.wait()).await;
    telegram.shutdown().await;
    Ok(Run { startup, idle })
}

fn median<T: Copy + Ord>(mut values: Vec<T>) -> T {
    values.sort();
    values[values.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let opts = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("footprint: {e}");
            std::process::exit(2);
        }
    };
    println!("binary: {}", opts.bin);
    if !opts.env.is_empty() {
        println!("extra environment: {:?}", opts.env);
    }
    let mut runs = Vec::new();
    for i in 1..=opts.runs {
        match one_run(&opts).await {
            Ok(run) => {
                let m = run.idle;
                println!(
                    "run {i}: start-up to polling {:>4} ms | idle after {:?}: RSS {:.1} MB \
                     (anon {:.1}, file {:.1}), peak {:.1} MB, {} threads",
                    run.startup.as_millis(),
                    opts.idle,
                    m.rss as f64 / 1024.0,
                    m.anon as f64 / 1024.0,
                    m.file as f64 / 1024.0,
                    m.peak as f64 / 1024.0,
                    m.threads
                );
                runs.push(run);
            }
            Err(e) => {
                eprintln!("run {i} failed: {e}");
                std::process::exit(1);
            }
        }
    }
    let startup = median(runs.iter().map(|r| r.startup).collect());
    let rss = median(runs.iter().map(|r| r.idle.rss).collect());
    let verdict = |ok: bool| if ok { "ok" } else { "OVER TARGET" };
    println!(
        "median start-up to polling: {} ms (target ≤ {} ms: {})",
        startup.as_millis(),
        TARGET_STARTUP.as_millis(),
        verdict(startup <= TARGET_STARTUP)
    );
    println!(
        "median idle RSS: {:.1} MB (target ≤ {} MB: {})",
        rss as f64 / 1024.0,
        TARGET_RSS_KB / 1024,
        verdict(rss <= TARGET_RSS_KB)
    );
}
