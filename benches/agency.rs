//! An agency's morning: N profiles (default 5,000), each with a daily report due at one slot
//! and every alert rule on, served by three processes against one PostgreSQL database (one
//! `avito-reports run`, which polls Telegram too, and two `avito-reports worker`) for one
//! simulated hour from the slot. The Avito emulator enforces Avito's documented limits and the
//! Telegram emulator Telegram's (30 messages/s overall, per-chat limits).
//!
//! Time runs `--speedup` times faster (default 10), as in the `alerts` benchmark: the rate
//! window and the processes' pacing are a minute divided by it, and so is every check
//! interval; the slot's reports are real time, bound by Telegram's 30 messages/s. During the
//! hour every 10th account has the same events as in `alerts` (wallet low and topped up, a
//! buyer waiting and answered, a missed call).
//!
//! The slot comes after the processes have settled (their start-up checks and those checks'
//! notices), as in a morning of processes that have run for days.
//!
//! Reported, each next to its target: checks per profile per rule (the check jobs done for the
//! windows that started in the hour) against the interval promised, reports delivered, the
//! slot → last report spread (each report timed as the Telegram emulator took it) against the
//! bound Telegram's rate sets for the messages it took meanwhile, duplicate reports and
//! notices, 429s at Avito and at Telegram, CPU per check and per process, resident memory per
//! process. Each process logs to its own file in the run's temporary directory; their errors
//! and warnings are summed up at the end. Exits non-zero when a report is missing.
//!
//! Run: `cargo bench --bench agency -- --postgres` (`--profiles 1000 --speedup 30` for a
//! quicker run; `--per-process` gives every process `SHARED_PACING=false` and
//! `TELEGRAM_MESSAGES_PER_SEC=10`, the bot's 30/s split by hand, for comparison; `--rate N`
//! gives every process `TELEGRAM_MESSAGES_PER_SEC=N`; `--keep-logs DIR` copies the processes'
//! logs there at the end, with `admitted.txt`: the bot's messages Telegram took each second
//! around the slot; `BENCH_PROCESS_LOG` is the processes' `RUST_LOG`, `warn` unless set). Without
//! `--postgres` the database is a SQLite file, which only one process may use: then `run`
//! serves alone.

#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use avito_reports::alerts::plan;
use avito_reports::crypto::{SecretBox, SecretKey};
use avito_reports::db::{self, entities::report_task};
use avito_reports::domain::alerts::AlertRule;
use avito_reports::domain::{ChatId, clock};
use avito_reports::queue::CheckAlert;
use chrono::{DateTime, Utc};
use sandbox::avito::AvitoEmulator;
use sandbox::telegram::TelegramEmulator;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, Statement,
};

use support::KEY;
use support::alerts::{CHECKS, HourEvents, Tally};

/// Telegram's overall limit for one bot, messages per second.
const OVERALL_PER_SEC: f64 = 30.0;
/// Targets.
const CPU_PER_CHECK_MS: f64 = 1.0;
const RSS_MB: f64 = 120.0;
const SPREAD_RATIO: f64 = 1.05;

struct Options {
    profiles: u32,
    speedup: u32,
    postgres: bool,
    per_process: bool,
    /// `TELEGRAM_MESSAGES_PER_SEC` for every process, when given.
    rate: Option<u32>,
    /// Where the processes' logs are copied at the end, when given.
    keep_logs: Option<PathBuf>,
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        profiles: 5000,
        speedup: 10,
        postgres: false,
        per_process: false,
        rate: None,
        keep_logs: None,
    };
    let mut args = support::Args::new();
    while let Some(arg) = args.flag() {
        match arg.as_str() {
            "--profiles" => o.profiles = args.number("--profiles")?,
            "--speedup" => o.speedup = args.number("--speedup")?,
            "--postgres" => o.postgres = true,
            "--per-process" => o.per_process = true,
            "--rate" => o.rate = Some(args.number("--rate")?),
            "--keep-logs" => o.keep_logs = Some(args.value("--keep-logs")?.into()),
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    Ok(o)
}

/// The emulators, the database and the directory the logs go to.
struct Bench {
    o: Options,
    hour: Duration,
    window: Duration,
    /// The processes' clock against the real one (10:00 Moscow at the start).
    offset: chrono::Duration,
    dir: tempfile::TempDir,
    database: support::BenchDatabase,
    conn: DatabaseConnection,
    telegram: TelegramEmulator,
    avito: AvitoEmulator,
}

impl Bench {
    async fn start(o: Options) -> anyhow::Result<Bench> {
        let hour = Duration::from_secs_f64(3600.0 / f64::from(o.speedup));
        let window = Duration::from_secs_f64(60.0 / f64::from(o.speedup));
        let offset = support::alerts::live_at_ten()?;
        let dir = tempfile::tempdir()?;
        let database = support::BenchDatabase::create(dir.path(), o.postgres).await?;
        let conn = db::connect(&db::DatabaseUrl::parse(&database.url)?).await?;
        db::migrate(&conn).await?;
        let telegram = support::telegram_on_its_own_thread()?;
        let avito = support::alerts::emulator(o.profiles, window).await?;
        Ok(Bench {
            o,
            hour,
            window,
            offset,
            dir,
            database,
            conn,
            telegram,
            avito,
        })
    }

    /// Sellers with every alert rule on and a daily report to their private chat, without
    /// charts so that a report is one message; returns the chats.
    async fn seed(&self) -> anyhow::Result<Vec<i64>> {
        let secrets = SecretBox::new(&SecretKey::parse(KEY).map_err(anyhow::Error::msg)?);
        let mut chats = Vec::new();
        for n in 1..=self.o.profiles {
            let owner = 100_000 + i64::from(n);
            // The bot may write only to users who started it.
            self.telegram
                .user(owner, "Seller", Some("en"))
                .send_text("/start");
            let task = support::seller_with_profile(&self.conn, &secrets, owner, n).await?;
            support::alerts::enable_every_rule(&self.conn, task.profile_id).await?;
            report_task::ActiveModel {
                id: Set(task.id),
                chat_id: Set(Some(ChatId(owner))),
                is_active: Set(true),
                charts: Set(false),
                ..Default::default()
            }
            .update(&self.conn)
            .await?;
            chats.push(owner);
        }
        Ok(chats)
    }

    /// Sets every report to a whole minute on the processes' clock, in the tasks' zone
    /// (Moscow), after the processes have settled: started, every rule checked at once, and
    /// the notices of those first checks sent (up to one an account, at Telegram's rate). An
    /// agency's processes run for days; a slot among the start-up's notices would measure
    /// the start-up.
    async fn set_slot(&self) -> anyhow::Result<DateTime<Utc>> {
        let settle = chrono::Duration::seconds(20 + i64::from(self.o.profiles) / 25);
        let (slot, time) = support::next_slot(clock::now() + settle)?;
        report_task::Entity::update_many()
            .col_expr(report_task::Column::TimeOfDay, Expr::value(time))
            .exec(&self.conn)
            .await?;
        Ok(slot)
    }

    /// `run` and two `worker`s on PostgreSQL; `run` alone on SQLite (one process per file).
    fn spawn_processes(&self) -> anyhow::Result<Vec<Process>> {
        let kinds: &[&'static str] = if self.o.postgres {
            &["run", "worker", "worker"]
        } else {
            &["run"]
        };
        let mut processes = Vec::new();
        for (i, kind) in kinds.iter().enumerate() {
            let log = self.dir.path().join(format!("{}-{kind}.log", i + 1));
            let mut command = support::process_command(
                kind,
                &self.telegram,
                &self.avito,
                &self.database.url,
                &log,
            )?;
            support::alerts::accelerate(&mut command, self.window, self.o.speedup, self.offset);
            if self.o.per_process {
                command
                    .env("SHARED_PACING", "false")
                    .env("TELEGRAM_MESSAGES_PER_SEC", "10");
            }
            if let Some(rate) = self.o.rate {
                command.env("TELEGRAM_MESSAGES_PER_SEC", rate.to_string());
            }
            let child = command.spawn()?;
            let pid = child
                .id()
                .ok_or_else(|| anyhow::anyhow!("the {kind} process has no pid"))?;
            processes.push(Process {
                name: format!("{kind} #{}", i + 1),
                child,
                pid,
                log,
            });
        }
        Ok(processes)
    }
}

/// One process under test.
struct Process {
    name: String,
    child: tokio::process::Child,
    pid: u32,
    log: PathBuf,
}

/// CPU seconds, peak and current resident memory (kB) of a process.
#[derive(Clone, Copy)]
struct Usage {
    cpu: f64,
    peak_kb: u64,
    rss_kb: u64,
}

/// The bot's messages and the reports among them, as the chats hold them now.
#[derive(Default)]
struct Chats {
    /// Chats with a report.
    delivered: usize,
    /// Reports beyond the first in a chat.
    duplicates: usize,
    /// The bot's messages that are not alert notices: the reports' parts.
    report_messages: usize,
    /// When each chat's first report was sent.
    report_sent: Vec<Instant>,
}

fn look(telegram: &TelegramEmulator, chats: &[i64]) -> Chats {
    let mut c = Chats::default();
    for chat in chats {
        let messages = telegram.chat_messages(*chat);
        let mut reports: usize = 0;
        for m in messages.iter().filter(|m| m.from_bot) {
            let text = m.text_or_caption();
            if text.contains("Report for") {
                reports += 1;
                if let (1, Some(at)) = (reports, m.sent_at) {
                    c.report_sent.push(at);
                }
            }
            if support::alerts::classify(text).is_none() {
                c.report_messages += 1;
            }
        }
        c.delivered += usize::from(reports > 0);
        c.duplicates += reports.saturating_sub(1);
    }
    c
}

/// The reports' burst from the slot, as Telegram took the messages.
struct Burst {
    /// Slot → the first report: what the reports take before Telegram's rate binds.
    first: Duration,
    /// Slot → the last report.
    spread: Duration,
    /// The bot's messages (reports and notices) from the slot to the last report.
    messages: usize,
}

impl Burst {
    /// From the chats' reports and every message Telegram admitted.
    fn of(slot: Instant, chats: &Chats, admitted: &[Instant]) -> Self {
        let since = |t: &Instant| t.saturating_duration_since(slot);
        let first = chats
            .report_sent
            .iter()
            .map(since)
            .min()
            .unwrap_or_default();
        let spread = chats
            .report_sent
            .iter()
            .map(since)
            .max()
            .unwrap_or_default();
        let end = slot + spread;
        Self {
            first,
            spread,
            messages: admitted
                .iter()
                .filter(|t| **t >= slot && **t <= end)
                .count(),
        }
    }
}

/// Watches the chats from the slot until every one has its report or `deadline` passes.
async fn watch_reports(telegram: TelegramEmulator, chats: Vec<i64>, deadline: Duration) {
    let slot = Instant::now();
    // Looking at thousands of chats costs CPU the processes under test share, and holds the
    // emulator's lock: it looks seldom (the times are the messages' own).
    while look(&telegram, &chats).delivered < chats.len() && slot.elapsed() <= deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Avito requests of each check's operation so far.
fn requests(avito: &AvitoEmulator) -> [usize; CHECKS.len()] {
    CHECKS.map(|(_, op, _)| avito.request_count(op))
}

/// What was measured.
struct Figures {
    /// Check jobs by rule, as the queue holds them after the hour.
    jobs: HashMap<AlertRule, Jobs>,
    /// Requests of each check's operation in the hour from the slot, and since the start
    /// (the reports' own among them).
    in_hour: [usize; CHECKS.len()],
    in_run: [usize; CHECKS.len()],
    /// Demand checks promised from the start to the hour's end (one a simulated day).
    demand_promised: f64,
    run_seconds: f64,
    usage: Vec<Option<Usage>>,
    burst: Burst,
    chats: Chats,
    tally: Tally,
    avito_429: usize,
    telegram_429: usize,
    telegram_refused: sandbox::telegram::Refused,
    /// The server's autovacuum is off: the queue's table bloats and the figures suffer.
    autovacuum_off: bool,
}

/// Writes the messages Telegram admitted in each second from a minute before the slot to
/// `dir/admitted.txt` (seconds from the slot, messages).
fn keep_rate(dir: &std::path::Path, admitted: &[Instant], slot: Instant) -> anyhow::Result<()> {
    let mut per_second: std::collections::BTreeMap<i64, usize> = Default::default();
    for t in admitted {
        let since = if *t >= slot {
            (*t - slot).as_secs_f64()
        } else {
            -(slot - *t).as_secs_f64()
        };
        if since >= -60.0 {
            *per_second.entry(since.floor() as i64).or_default() += 1;
        }
    }
    std::fs::create_dir_all(dir)?;
    let lines: String = per_second
        .iter()
        .map(|(second, count)| format!("{second} {count}\n"))
        .collect();
    std::fs::write(dir.join("admitted.txt"), lines)?;
    Ok(())
}

/// Demand checks due from `from` to `to`: the window open at `from` and each one started
/// since (a simulated day each, on the processes' grid).
fn demand_windows(from: DateTime<Utc>, to: DateTime<Utc>, speedup: u32) -> f64 {
    let rule = AlertRule::DemandDrop;
    let param = rule.default_param();
    let every = (rule.check_every(param).as_secs() as i64 / i64::from(speedup)).max(1);
    let (first, last) = (
        plan::window(rule, param, from, speedup),
        plan::window(rule, param, to, speedup),
    );
    ((last - first) / every + 1) as f64
}

/// The hour from the slot: the events, the reports' burst, the counts at its end.
async fn measure(
    b: &Bench,
    processes: &[Process],
    events: &mut HourEvents,
    chats: &[i64],
    slot: DateTime<Utc>,
) -> anyhow::Result<Figures> {
    let started = Instant::now();
    let started_at = clock::now();
    let until_slot = (slot - clock::now()).to_std().unwrap_or_default();
    tokio::time::sleep(until_slot).await;
    let at_slot = Instant::now();
    eprintln!("the slot came at {} on the system clock", Utc::now());
    let before = requests(&b.avito);
    // The reports may take longer than the hour: four times Telegram's bound at the least.
    let deadline = b.hour.max(Duration::from_secs_f64(
        4.0 * chats.len() as f64 / OVERALL_PER_SEC,
    )) + Duration::from_secs(30);
    let watcher = tokio::spawn(watch_reports(b.telegram.clone(), chats.to_vec(), deadline));
    events.play(&b.avito, at_slot, b.hour).await?;
    tokio::time::sleep_until((at_slot + b.hour).into()).await;
    let in_run = requests(&b.avito);
    let in_hour = std::array::from_fn(|i| in_run[i].saturating_sub(before[i]));
    let usage = processes
        .iter()
        .map(|p| support::process_usage(p.pid).ok())
        .map(|u| {
            u.map(|(cpu, peak_kb, rss_kb)| Usage {
                cpu,
                peak_kb,
                rss_kb,
            })
        })
        .collect();
    let run_seconds = started.elapsed().as_secs_f64();
    let demand_promised = demand_windows(started_at, clock::now(), b.o.speedup);
    watcher.await?;
    // Notices of the last checks still in flight, and any duplicate, arrive meanwhile.
    tokio::time::sleep(b.hour.mul_f64(0.1).max(Duration::from_secs(5))).await;
    let admitted = b.telegram.admitted_at();
    if let Some(dir) = &b.o.keep_logs {
        keep_rate(dir, &admitted, at_slot)?;
    }
    let hour = (slot.timestamp(), b.hour.as_secs_f64());
    let chats_now = look(&b.telegram, chats);
    Ok(Figures {
        jobs: check_jobs(&b.conn, hour).await?,
        autovacuum_off: avito_reports::db::autovacuum_off(&b.conn).await?,
        in_hour,
        in_run,
        demand_promised,
        run_seconds,
        usage,
        burst: Burst::of(at_slot, &chats_now, &admitted),
        chats: chats_now,
        tally: support::alerts::tally(&b.telegram, chats),
        avito_429: b.avito.rate_limited_count(),
        telegram_429: b.telegram.rate_limited_count(),
        telegram_refused: b.telegram.refused_by_limit(),
    })
}

/// A rule's check jobs.
#[derive(Default, Clone, Copy)]
struct Jobs {
    /// Done, of the windows that started in the hour from the slot.
    in_hour: usize,
    /// Done, of the windows that started before the hour's end (at start-up too).
    in_run: usize,
    /// Failed, killed or still waiting, of the windows before the hour's end.
    not_done: usize,
    /// Jobs of the windows that started in the hour, whatever became of them: a window with
    /// none was never planned.
    planned_in_hour: usize,
}

/// Counts the check jobs in the queue's table by rule: each is one check of one window (the
/// queue keeps finished jobs). Avito's requests count checks less well: an answer of a 1/min
/// operation is reused for five rate windows, by every process.
async fn check_jobs(
    conn: &DatabaseConnection,
    (slot, hour): (i64, f64),
) -> anyhow::Result<HashMap<AlertRule, Jobs>> {
    let backend = conn.get_database_backend();
    let (table, job) = match backend {
        DbBackend::Sqlite => ("Jobs", "CAST(job AS TEXT)"),
        DbBackend::Postgres => ("apalis.jobs", "convert_from(job, 'UTF8')"),
        other => anyhow::bail!("no job table on {other:?}"),
    };
    let sql = format!(
        "SELECT {job} AS job, status FROM {table} WHERE job_type = '{}'",
        avito_reports::queue::CHECKS_QUEUE
    );
    let mut jobs: HashMap<AlertRule, Jobs> = HashMap::new();
    for row in conn
        .query_all_raw(Statement::from_string(backend, sql))
        .await?
    {
        let check: CheckAlert = serde_json::from_str(&row.try_get::<String>("", "job")?)?;
        let since_slot = (check.window - slot) as f64;
        if since_slot >= hour {
            continue; // planned after the hour: may still be on its way
        }
        let entry = jobs.entry(check.rule).or_default();
        entry.planned_in_hour += usize::from(since_slot >= 0.0);
        if row.try_get::<String>("", "status")? != "Done" {
            entry.not_done += 1;
            continue;
        }
        entry.in_run += 1;
        entry.in_hour += usize::from(since_slot >= 0.0);
    }
    Ok(jobs)
}

fn print_checks(b: &Bench, f: &Figures) {
    let n = f64::from(b.o.profiles);
    println!("  checks per profile, check jobs done (target: as promised, none not done):");
    for (i, (rule, op, _)) in CHECKS.iter().enumerate() {
        let jobs = f.jobs.get(rule).copied().unwrap_or_default();
        let (done, promised, when) = match rule {
            // Once a simulated day, the first at start-up: counted over the whole run.
            AlertRule::DemandDrop => (jobs.in_run, f.demand_promised, "in the run "),
            _ => (
                jobs.in_hour,
                support::alerts::promised_per_hour(*rule),
                "in the hour",
            ),
        };
        println!(
            "    {:<18} {:>6.2} {when} (promised {promised:.0}), {} not done, {:.2} planned in the hour; {op}: {} requests in the hour, {} in the run",
            rule.slug(),
            done as f64 / n,
            jobs.not_done,
            jobs.planned_in_hour as f64 / n,
            f.in_hour[i],
            f.in_run[i],
        );
    }
}

fn print_reports(b: &Bench, f: &Figures) {
    let expected = b.o.profiles as usize;
    let c = &f.chats;
    println!(
        "  reports delivered:   {} / {expected} (target all); {} messages, {:.2} a report (charts off)",
        c.delivered,
        c.report_messages,
        c.report_messages as f64 / c.delivered.max(1) as f64
    );
    let bound = f.burst.messages as f64 / OVERALL_PER_SEC;
    let spread = f.burst.spread.as_secs_f64();
    println!(
        "  slot → last report:  {spread:.1} s; Telegram bound {bound:.1} s ({} bot messages in \
         the burst, reports and notices, at {OVERALL_PER_SEC:.0}/s); ratio {:.2} (target ≤ {SPREAD_RATIO})",
        f.burst.messages,
        spread / bound.max(f64::EPSILON),
    );
    println!(
        "    slot → first report {:.2} s",
        f.burst.first.as_secs_f64()
    );
    println!("  duplicate reports:   {} (target 0)", c.duplicates);
    support::alerts::print_notices(&f.tally, expected / 10);
    println!(
        "  429s:                Avito {} (limits broken by the client), Telegram {} (target 0; \
         a chat's {}, a group's {}, the bot's {})",
        f.avito_429,
        f.telegram_429,
        f.telegram_refused.chat,
        f.telegram_refused.group,
        f.telegram_refused.overall
    );
}

fn print_processes(f: &Figures, processes: &[Process]) {
    let checks: usize = f.jobs.values().map(|j| j.in_run).sum();
    let cpu: f64 = f.usage.iter().flatten().map(|u| u.cpu).sum();
    println!(
        "  CPU per check:       {:.2} ms (target ≤ {CPU_PER_CHECK_MS} ms): {cpu:.1} s CPU of \
         the processes in {:.0} s, start-up and reports included, / {checks} checks in the run",
        1000.0 * cpu / checks.max(1) as f64,
        f.run_seconds
    );
    for (p, usage) in processes.iter().zip(&f.usage) {
        match usage {
            Some(u) => println!(
                "    {:<10} {:>6.1} s CPU ({:>3.0} % of a core), RSS {:.1} MB now, {:.1} MB peak (target ≤ {RSS_MB:.0} MB)",
                p.name,
                u.cpu,
                100.0 * u.cpu / f.run_seconds,
                u.rss_kb as f64 / 1024.0,
                u.peak_kb as f64 / 1024.0
            ),
            None => println!("    {:<10} gone before the hour's end", p.name),
        }
    }
}

fn print_figures(b: &Bench, f: &Figures, processes: &[Process]) {
    let names: Vec<&str> = processes.iter().map(|p| p.name.as_str()).collect();
    println!(
        "agency: {} profiles, a daily report each due at one slot and every alert rule on, one simulated hour from the slot",
        b.o.profiles
    );
    println!(
        "  database: {}{}; processes: {}{}; speedup ×{} (rate window {:.1} s, the hour {:.0} s)",
        b.database.engine(),
        if f.autovacuum_off {
            " with autovacuum off (the job queue's table bloats: not how it is deployed)"
        } else {
            ""
        },
        names.join(", "),
        if b.o.postgres {
            ""
        } else {
            " (SQLite: one process only)"
        },
        b.o.speedup,
        b.window.as_secs_f64(),
        b.hour.as_secs_f64()
    );
    let pacing = if b.o.per_process {
        "per process (SHARED_PACING=false, TELEGRAM_MESSAGES_PER_SEC=10 each)".to_owned()
    } else {
        "shared (SHARED_PACING's default)".to_owned()
    };
    match b.o.rate {
        Some(rate) => println!("  pacing: {pacing}, TELEGRAM_MESSAGES_PER_SEC={rate}"),
        None => println!("  pacing: {pacing}"),
    }
    print_checks(b, f);
    print_reports(b, f);
    print_processes(f, processes);
}

/// Stops the processes and shows the first errors each logged, and its warnings by source.
async fn stop(processes: Vec<Process>, keep_logs: Option<&std::path::Path>) {
    for mut p in processes {
        let _ = p.child.start_kill();
        let _ = p.child.wait().await;
        if let Some(dir) = keep_logs {
            let kept = std::fs::create_dir_all(dir).and_then(|()| {
                std::fs::copy(&p.log, dir.join(p.log.file_name().unwrap_or_default()))
            });
            if let Err(e) = kept {
                eprintln!(
                    "{}: its log could not be kept in {}: {e}",
                    p.name,
                    dir.display()
                );
            }
        }
        let (errors, first) = support::error_lines(&p.log, 5);
        if errors > 0 {
            eprintln!("{} logged {errors} errors; the first ones:", p.name);
            for line in first {
                eprintln!("  {line}");
            }
        }
        for (source, count, first) in warnings(&p.log) {
            eprintln!(
                "{}: {count} warnings from {source}, the first: {first}",
                p.name
            );
        }
    }
}

/// The log's warnings by source (the tracing target), with the first of each, in the order
/// they first came; the test knobs the benchmark sets, announced as warnings, left out.
fn warnings(log: &std::path::Path) -> Vec<(String, usize, String)> {
    let (_, lines) = support::log_lines(log, " WARN ", usize::MAX);
    let mut by_source: Vec<(String, usize, String)> = Vec::new();
    for line in lines.iter().filter(|l| !l.contains("a knob for tests")) {
        let rest = line
            .split_once(" WARN ")
            .map_or("", |(_, r)| r)
            .trim_start();
        let (source, message) = rest.split_once(": ").unwrap_or(("?", rest));
        match by_source.iter_mut().find(|(s, _, _)| s == source) {
            Some((_, count, _)) => *count += 1,
            None => by_source.push((source.to_owned(), 1, message.chars().take(200).collect())),
        }
    }
    by_source
}

// Two threads: the emulators must not be what holds the processes back or bunches their
// requests (Telegram's has a thread of its own besides).
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let b = Bench::start(options()?).await?;
    let seeding = Instant::now();
    let chats = b.seed().await?;
    let mut events = HourEvents::new(&b.avito, b.o.profiles)?;
    support::drop_pending_updates(&b.telegram).await?;
    let slot = b.set_slot().await?;
    eprintln!(
        "seeded {} profiles in {:.1?}; slot {slot} (processes' clock)",
        b.o.profiles,
        seeding.elapsed()
    );
    let processes = b.spawn_processes()?;
    let figures = measure(&b, &processes, &mut events, &chats, slot).await;
    if let Ok(f) = &figures {
        print_figures(&b, f, &processes);
    }
    stop(processes, b.o.keep_logs.as_deref()).await;
    let Bench {
        conn,
        database,
        avito,
        telegram,
        ..
    } = b;
    conn.close().await?;
    database.drop().await?;
    avito.shutdown().await;
    telegram.shutdown().await;
    let f = figures?;
    anyhow::ensure!(
        f.chats.delivered == chats.len(),
        "{} of {} reports were delivered",
        f.chats.delivered,
        chats.len()
    );
    Ok(())
}
