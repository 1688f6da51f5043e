//! A database outage under a running `avito-reports worker`: the job workers back off instead
//! of restarting at once, the planner says so only now and then, `/readyz` says the database
//! is unreachable all along, and once the database is back the workers resume and deliver;
//! SIGTERM during an outage is a clean exit.
//!
//! PostgreSQL only: the outage is a proxy between the worker and the shared server that the
//! test cuts (the server itself stays up for everyone else). A SQLite file cannot go away
//! under an open pool in the same way; its workers go through the very same restart path.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use avito_reports::config::JobSettings;
use avito_reports::jobs::{DeliverReport, JobQueue};
use chrono::{DurationRound, Utc};
use common::proxy::TcpProxy;
use common::{Engine, TEST_SECRET_KEY, Worker};
use sandbox::telegram::{TelegramConfig, TelegramEmulator};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// The worker's retry policy in this test (`WORKER_RETRY_BACKOFF_*`): short, so that the
/// pauses reach their cap within the outage.
const BASE: f64 = 0.2;
const MAX: f64 = 2.0;
/// The policy's jitter: each pause is within ±20 % of its nominal value.
const JITTER: f64 = 0.2;
/// How long the database stays away.
const OUTAGE: Duration = Duration::from_secs(10);
const WORKERS: [&str; 3] = ["reports", "exports", "checks"];
const RESTART_LINE: &str = "job worker failed; starting it again after a pause";
const RUNNING_AGAIN: &str = "job worker running again";
const WAIT: Duration = Duration::from_secs(20);
const WORKER_NAME: &str = "outage-test";

#[tokio::test(flavor = "multi_thread")]
async fn job_workers_back_off_through_a_database_outage_and_resume_after_it() {
    let Some((test_db, conn)) = common::seeded_db(Engine::Postgres).await else {
        return;
    };
    let proxy = TcpProxy::start(server_addr(test_db.url.as_str())).await;
    let mut proxied = url::Url::parse(test_db.url.as_str()).expect("url");
    proxied.set_port(Some(proxy.addr().port())).expect("a port");
    let emu = TelegramEmulator::start(TelegramConfig::without_limits())
        .await
        .expect("telegram emulator");
    let avito = common::start_avito().await;
    let http = free_addr();
    let env = [
        ("DATABASE_URL", proxied.to_string()),
        ("SECRET_KEY", TEST_SECRET_KEY.to_owned()),
        ("HTTP_ADDR", http.to_string()),
        ("WORKER_RETRY_BACKOFF_BASE_SEC", BASE.to_string()),
        ("WORKER_RETRY_BACKOFF_MAX_SEC", MAX.to_string()),
        ("WORKER_NAME", WORKER_NAME.to_owned()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let worker = Worker::start_as("worker", &emu, Some(&avito), &test_db, &env).await;
    wait_ready(&worker, http).await;
    wait_registered(&worker, &conn).await;

    // The outage: /readyz names the database all along, the process stays up.
    proxy.cut();
    let cut_at = Instant::now();
    while cut_at.elapsed() < OUTAGE {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (status, body) = get(http, "/readyz").await.expect("the process answers");
        assert!(
            status == 503 && body.starts_with("database"),
            "not ready while the database is away: {status} {body}"
        );
    }
    proxy.restore();
    let outage = cut_at.elapsed();
    wait_ready(&worker, http).await;
    wait_for_lines(&worker, RUNNING_AGAIN, WORKERS.len()).await;
    // The planner tries again on its own pause, which may end after the workers are back.
    wait_for_lines(&worker, "planning works again", 1).await;

    let restarts = restarts(http).await;
    let log = worker.log();
    let pauses = logged_pauses(&log);
    let bound = restarts_allowed(outage);
    eprintln!(
        "outage {outage:?}: restarts {restarts:?} (at most {bound} each), pauses {pauses:?}, \
         {} connections reset, {} log lines",
        proxy.reset_connections(),
        log.lines().count()
    );
    for kind in WORKERS {
        let n = restarts[kind];
        assert!(
            (3..=bound).contains(&n),
            "{kind}: {n} restarts in {outage:?}, the backoff allows 3..={bound}:\n{}",
            excerpt(&log)
        );
        let seen = &pauses[kind];
        assert_eq!(
            seen.len(),
            n,
            "{kind}: one line per restart:\n{}",
            excerpt(&log)
        );
        assert!(
            seen[0] <= BASE * (1.0 + JITTER),
            "{kind} starts short: {seen:?}"
        );
        assert!(
            seen.iter().all(|p| *p <= MAX * (1.0 + JITTER))
                && seen.iter().any(|p| *p >= MAX * (1.0 - JITTER)),
            "{kind} grows to the cap and stays under it: {seen:?}"
        );
    }
    assert_planner_told_the_outage_briefly(&log, outage);

    // Back to work: a delivery queued now is made.
    let seller = emu.user(7301, "Seller", Some("en"));
    seller.send_text("/start");
    let slot = Utc::now()
        .duration_trunc(chrono::Duration::minutes(1))
        .expect("trunc");
    let (_, task) = common::seed(&conn, seller.id(), 1, seller.id(), slot).await;
    JobQueue::new(&conn, &JobSettings::default())
        .expect("queue")
        .schedule_delivery(DeliverReport::planned(&task, slot), slot)
        .await
        .expect("queued");
    common::bot_message_after(&emu, &worker, seller.id(), 0, "Report for").await;

    // After running healthy as long as the longest pause, a new failure pauses briefly.
    tokio::time::sleep(Duration::from_secs_f64(MAX)).await;
    proxy.cut();
    wait_for_log(&worker, "a restart of each worker", |log| {
        let now = logged_pauses(log);
        WORKERS.iter().all(|k| now[k].len() > pauses[k].len())
    })
    .await;
    let again = logged_pauses(&worker.log());
    for kind in WORKERS {
        let first = again[kind][pauses[kind].len()];
        assert!(
            first <= BASE * (1.0 + JITTER),
            "{kind}: the pause started over after a healthy run: {:?}",
            again[kind]
        );
    }

    // SIGTERM in the middle of an outage (workers pausing, the planner failing) ends cleanly.
    let status = worker.terminate().await;
    assert!(status.success(), "SIGTERM is a clean exit, got {status}");
    conn.close().await.ok();
    avito.shutdown().await;
    emu.shutdown().await;
}

/// Most restarts one worker can make in `outage` under the test's policy: each failure comes at
/// once (the proxy resets connections), so restarts are as many as the shortest pauses
/// (nominal −20 %) that fit in the outage, one more for the first, and two for the edges.
fn restarts_allowed(outage: Duration) -> usize {
    let mut spent = 0.0;
    let mut restarts = 1;
    for n in 0.. {
        let shortest = (BASE * 2f64.powi(n)).min(MAX) * (1.0 - JITTER);
        spent += shortest;
        if spent > outage.as_secs_f64() {
            break;
        }
        restarts += 1;
    }
    restarts + 2
}

/// The planner's warnings: one when it starts failing, then at the policy's growing
/// intervals; one line when it works again.
fn assert_planner_told_the_outage_briefly(log: &str, outage: Duration) {
    let first = log.matches("planning failed; retrying").count();
    let again = log.matches("planning still failing").count();
    let recovered = log.matches("planning works again").count();
    // At most one warning per shortest pause, as for the restarts.
    let allowed = restarts_allowed(outage);
    assert_eq!(first, 1, "{}", excerpt(log));
    assert!(
        again < allowed,
        "{again} warnings, at most {allowed}:\n{}",
        excerpt(log)
    );
    assert_eq!(recovered, 1, "{}", excerpt(log));
}

/// `avito_reports_job_worker_restarts_total` by worker, from `/metrics`.
async fn restarts(http: SocketAddr) -> BTreeMap<&'static str, usize> {
    let (_, body) = get(http, "/metrics").await.expect("metrics");
    WORKERS
        .into_iter()
        .map(|kind| {
            let series = format!("avito_reports_job_worker_restarts_total{{worker=\"{kind}\"}} ");
            let value = body
                .lines()
                .find_map(|l| l.strip_prefix(&series))
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or_else(|| panic!("{series} in:\n{body}"));
            (kind, value as usize)
        })
        .collect()
}

/// The pauses of the restart lines, in seconds, by worker, in order.
fn logged_pauses(log: &str) -> BTreeMap<&'static str, Vec<f64>> {
    let mut by_kind: BTreeMap<&'static str, Vec<f64>> =
        WORKERS.into_iter().map(|k| (k, Vec::new())).collect();
    for line in log.lines().filter(|l| l.contains(RESTART_LINE)) {
        let kind = WORKERS
            .into_iter()
            .find(|k| line.contains(&format!("worker=\"{k}\"")))
            .unwrap_or_else(|| panic!("a worker in {line}"));
        let pause = field(line, "retry_in=").unwrap_or_else(|| panic!("a pause in {line}"));
        by_kind.entry(kind).or_default().push(seconds(pause));
    }
    by_kind
}

fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = line.find(key)? + key.len();
    line[start..].split_whitespace().next()
}

/// A logged `Duration` (`234ms`, `1.5s`) in seconds.
fn seconds(text: &str) -> f64 {
    let (number, scale) = match text.strip_suffix("ms") {
        Some(ms) => (ms, 0.001),
        None => (text.strip_suffix('s').unwrap_or(text), 1.0),
    };
    number
        .parse::<f64>()
        .unwrap_or_else(|_| panic!("a duration: {text}"))
        * scale
}

async fn wait_for_lines(worker: &Worker, needle: &str, count: usize) {
    let what = format!("{count} lines {needle:?}");
    wait_for_log(worker, &what, |log| log.matches(needle).count() >= count).await;
}

async fn wait_for_log(worker: &Worker, what: &str, done: impl Fn(&str) -> bool) {
    let found = tokio::time::timeout(WAIT, async {
        while !done(&worker.log()) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        found.is_ok(),
        "{what} within {WAIT:?}:\n{}",
        excerpt(&worker.log())
    );
}

/// Waits until the three workers have registered with the database, so that the outage
/// hits running workers.
async fn wait_registered(worker: &Worker, conn: &DatabaseConnection) {
    let sql = format!("SELECT COUNT(*) AS n FROM apalis.workers WHERE id LIKE '{WORKER_NAME}-%'");
    let registered = tokio::time::timeout(WAIT, async {
        loop {
            let n = conn
                .query_one_raw(Statement::from_string(DbBackend::Postgres, sql.clone()))
                .await
                .expect("count workers")
                .and_then(|row| row.try_get::<i64>("", "n").ok())
                .unwrap_or_default();
            if n >= WORKERS.len() as i64 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(registered.is_ok(), "workers registered:\n{}", worker.log());
}

async fn wait_ready(worker: &Worker, http: SocketAddr) {
    let ready = tokio::time::timeout(WAIT, async {
        while get(http, "/readyz")
            .await
            .is_none_or(|(status, _)| status != 200)
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(ready.is_ok(), "ready within {WAIT:?}:\n{}", worker.log());
}

/// The log's start and end: a log of a restart loop runs to a hundred thousand lines.
fn excerpt(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    if lines.len() <= 120 {
        return log.to_owned();
    }
    format!(
        "{}\n… {} lines …\n{}",
        lines[..60].join("\n"),
        lines.len() - 120,
        lines[lines.len() - 60..].join("\n")
    )
}

/// The PostgreSQL server's address in a database URL.
fn server_addr(url: &str) -> SocketAddr {
    let url = url::Url::parse(url).expect("url");
    let host = url.host_str().expect("a host");
    let port = url.port().unwrap_or(5432);
    format!("{host}:{port}").parse().expect("an IP address")
}

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

async fn get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let response = reqwest::get(format!("http://{addr}{path}")).await.ok()?;
    let status = response.status().as_u16();
    Some((status, response.text().await.ok()?))
}
