//! Alerts at scale: N profiles (default 1,000) with every alert rule on, watched by one
//! `worker` process against the Avito emulator enforcing Avito's documented limits, for one
//! simulated hour. Time runs `--speedup` times faster (default 10): the emulator's rate window
//! and the worker's pacing are a minute divided by it, and so is every check interval
//! (`ALERT_CHECK_SPEEDUP`), so an hour of checks and limits takes 6 real minutes.
//!
//! During the hour every 10th account's wallet drops below its threshold and is topped up
//! again, gets a buyer's message that waits unanswered and is then answered, and a missed call.
//! Reported: checks per rule against the interval promised, alerts expected and received,
//! duplicates (the same notice twice in a chat, or a rule firing again while its episode is
//! open), 429s the client caused at Avito and at Telegram, and the worker's CPU time and
//! resident memory.
//!
//! Run: `cargo bench --bench alerts` (`-- --profiles 200 --speedup 30` for a quicker run,
//! `-- --postgres` for the PostgreSQL server instead of a SQLite file, `-- --only new_reviews`
//! for one rule's cost alone).

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use avito_reports::crypto::SecretBox;
use avito_reports::crypto::SecretKey;
use avito_reports::db;

use support::KEY;
use support::alerts::{CHECKS, HourEvents};

struct Options {
    profiles: u32,
    speedup: u32,
    postgres: bool,
    /// The rules switched on (every rule unless `--only` names one).
    rules: Vec<avito_reports::domain::alerts::AlertRule>,
}

/// "every rule", or the one `--only` named.
fn rules_on(rules: &[avito_reports::domain::alerts::AlertRule]) -> String {
    match rules {
        [one] => format!("only {one}"),
        _ => "every rule".to_owned(),
    }
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        profiles: 1000,
        speedup: 10,
        postgres: false,
        rules: avito_reports::domain::alerts::AlertRule::ALL.to_vec(),
    };
    let mut args = support::Args::new();
    while let Some(arg) = args.flag() {
        match arg.as_str() {
            "--profiles" => o.profiles = args.number("--profiles")?,
            "--speedup" => o.speedup = args.number("--speedup")?,
            "--postgres" => o.postgres = true,
            "--only" => {
                let slug = args.value("--only")?;
                o.rules = vec![slug.parse().map_err(|e| anyhow::anyhow!("--only: {e}"))?];
            }
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    Ok(o)
}

// Two threads: the emulators must not be what holds the worker back or bunches its requests.
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let o = options()?;
    let hour = Duration::from_secs_f64(3600.0 / f64::from(o.speedup));
    let window = Duration::from_secs_f64(60.0 / f64::from(o.speedup));
    let offset = support::alerts::live_at_ten()?;

    let dir = tempfile::tempdir()?;
    let database = support::BenchDatabase::create(dir.path(), o.postgres).await?;
    let conn = db::connect(&avito_reports::db::DatabaseUrl::parse(&database.url)?).await?;
    db::migrate(&conn).await?;

    let telegram = support::telegram_on_its_own_thread()?;
    let avito = support::alerts::emulator(o.profiles, window).await?;

    let secrets = SecretBox::new(&SecretKey::parse(KEY).map_err(anyhow::Error::msg)?);
    let seeding = Instant::now();
    let mut chats = Vec::new();
    for n in 1..=o.profiles {
        let owner = 100_000 + i64::from(n);
        telegram
            .user(owner, "Seller", Some("en"))
            .send_text("/start");
        let task = support::seller_with_profile(&conn, &secrets, owner, n).await?;
        support::alerts::enable_rules(&conn, task.profile_id, &o.rules).await?;
        chats.push(owner);
    }
    let mut events = HourEvents::new(&avito, o.profiles)?;
    eprintln!(
        "seeded {} profiles with {} on in {:.1?}",
        o.profiles,
        rules_on(&o.rules),
        seeding.elapsed()
    );

    let log = dir.path().join("worker.log");
    let mut command = support::worker_command(&telegram, &avito, &database.url, dir.path())?;
    support::alerts::accelerate(&mut command, window, o.speedup, offset);
    let mut worker = command.spawn()?;
    let pid = worker
        .id()
        .ok_or_else(|| anyhow::anyhow!("the worker has no pid"))?;
    let started = Instant::now();

    events.play(&avito, started, hour).await?;
    tokio::time::sleep_until((started + hour).into()).await;
    let checks: Vec<usize> = CHECKS
        .iter()
        .map(|(_, op, _)| avito.request_count(op))
        .collect();
    let (cpu, peak_kb, rss_kb) = support::process_usage(pid)?;
    // Notices of the last checks still in flight, and any duplicate, arrive meanwhile.
    tokio::time::sleep(hour.mul_f64(0.1).max(Duration::from_secs(5))).await;
    let t = support::alerts::tally(&telegram, &chats);

    let n = f64::from(o.profiles);
    println!(
        "alerts: {} profiles, {} on, one worker process, one simulated hour",
        o.profiles,
        rules_on(&o.rules)
    );
    println!(
        "  database: {}; speedup ×{} (rate window {:.1} s, the hour {:.0} s)",
        database.engine(),
        o.speedup,
        window.as_secs_f64(),
        hour.as_secs_f64()
    );
    println!("  checks per profile in the hour (Avito requests / requests per check / profiles):");
    for ((rule, op, per_check), done) in CHECKS.iter().zip(&checks) {
        println!(
            "    {:<18} {:>6.2} (promised {:.0}; {op}: {done} requests)",
            rule.slug(),
            *done as f64 / *per_check as f64 / n,
            support::alerts::promised_per_hour(*rule),
        );
    }
    support::alerts::print_notices(&t, events.moved());
    println!(
        "  429s: Avito (limits broken by the client) {}, Telegram {}",
        avito.rate_limited_count(),
        telegram.rate_limited_count()
    );
    println!(
        "  worker: {:.1} s CPU in {:.0} s ({:.0} % of a core), RSS {:.1} MB now, {:.1} MB peak",
        cpu,
        started.elapsed().as_secs_f64(),
        100.0 * cpu / started.elapsed().as_secs_f64(),
        rss_kb as f64 / 1024.0,
        peak_kb as f64 / 1024.0
    );

    let _ = worker.start_kill();
    let _ = worker.wait().await;
    conn.close().await?;
    database.drop().await?;
    avito.shutdown().await;
    telegram.shutdown().await;
    let (errors, first) = support::error_lines(&log, 10);
    if errors > 0 {
        eprintln!("the worker logged {errors} errors; the first ones:");
        for line in first {
            eprintln!("  {line}");
        }
    }
    Ok(())
}
