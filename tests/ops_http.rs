//! The operations endpoint over real HTTP on loopback: liveness, readiness against a real
//! database on both engines, and Prometheus metrics fed by the real Avito client talking to
//! the Avito emulator.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Duration;

use avito_reports::avito::{AvitoClient, ClientConfig, Credentials};
use avito_reports::db;
use avito_reports::metrics;
use avito_reports::ops::http::{HttpServer, PollingHealth, Probes};
use common::{Engine, TestDatabase};
use sea_orm::DatabaseConnection;
use tokio::sync::oneshot;

/// A long stale window: a failure reported in a test stays current for the whole test.
const STALE_AFTER: Duration = Duration::from_secs(600);

struct Endpoint {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), avito_reports::ops::http::HttpError>>,
}

impl Endpoint {
    async fn start(probes: Probes) -> Self {
        let server = HttpServer::bind("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("binds a free port");
        let addr = server.local_addr().expect("bound address");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(probes, async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            stop: Some(stop),
            task,
        }
    }

    async fn get(&self, path: &str) -> (u16, String, String) {
        let response = reqwest::get(format!("http://{}{path}", self.addr))
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.text().await.expect("body");
        (status, content_type, body)
    }

    /// Stops the server and asserts it ended cleanly.
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task
            .await
            .expect("server task")
            .expect("server stops cleanly on shutdown");
    }
}

async fn connect(test_db: &TestDatabase) -> DatabaseConnection {
    db::connect(&test_db.url).await.expect("connect")
}

async fn readiness_follows_polling_and_the_database(engine: Engine) {
    let Some(test_db) = TestDatabase::fresh(engine).await else {
        return;
    };
    let conn = connect(&test_db).await;
    let polling = PollingHealth::new(STALE_AFTER);
    let endpoint = Endpoint::start(Probes::new(conn.clone(), polling.clone())).await;

    let (status, _, body) = endpoint.get("/readyz").await;
    assert_eq!(status, 503, "not ready before polling starts: {body}");
    assert!(body.contains("polling has not started"), "{body}");

    polling.mark_ok();
    let (status, _, body) = endpoint.get("/readyz").await;
    assert_eq!((status, body.as_str()), (200, "ready"));

    polling.mark_failed();
    let (status, _, body) = endpoint.get("/readyz").await;
    assert_eq!(status, 503, "not ready while polls fail: {body}");
    assert!(body.contains("Telegram polling is failing"), "{body}");
    assert!(!body.contains('\n'), "one-line reason: {body:?}");

    polling.mark_ok();
    assert_eq!(endpoint.get("/readyz").await.0, 200, "ready again");

    conn.close_by_ref().await.expect("close the pool");
    let (status, _, body) = endpoint.get("/readyz").await;
    assert_eq!(status, 503, "not ready without the database: {body}");
    assert!(body.starts_with("database unreachable"), "{body}");
    assert!(!body.contains('\n'), "one-line reason: {body:?}");

    // Liveness does not depend on the database.
    assert_eq!(
        endpoint.get("/healthz").await,
        (200, "text/plain; charset=utf-8".to_owned(), "ok".to_owned())
    );
    endpoint.stop().await;
}

#[tokio::test]
async fn readyz_follows_polling_health_and_the_database_on_sqlite() {
    readiness_follows_polling_and_the_database(Engine::Sqlite).await;
}

#[tokio::test]
async fn readyz_follows_polling_health_and_the_database_on_postgres() {
    readiness_follows_polling_and_the_database(Engine::Postgres).await;
}

#[tokio::test]
async fn healthz_answers_ok_and_unknown_paths_are_404() {
    let test_db = TestDatabase::fresh(Engine::Sqlite).await.expect("sqlite");
    let conn = connect(&test_db).await;
    let endpoint = Endpoint::start(Probes::new(conn, PollingHealth::new(STALE_AFTER))).await;
    let (status, _, body) = endpoint.get("/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok"));
    assert_eq!(endpoint.get("/nothing-here").await.0, 404);
    endpoint.stop().await;
}

#[tokio::test]
async fn a_busy_http_addr_is_named_in_the_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let test_db = TestDatabase::fresh(Engine::Sqlite).await.expect("sqlite");
    let conn = connect(&test_db).await;
    let err = avito_reports::ops::http::serve(
        addr,
        Probes::new(conn, PollingHealth::new(STALE_AFTER)),
        std::future::pending(),
    )
    .await
    .expect_err("the address is taken");
    assert_eq!(
        err.to_string(),
        format!("HTTP_ADDR {addr} is in use: another process listens there; pick another port")
    );
}

/// A parsed exposition: every sample by `name{labels}`, and the declared metric families.
struct Exposition {
    samples: BTreeMap<String, f64>,
    families: BTreeSet<String>,
}

impl Exposition {
    fn value(&self, key: &str) -> f64 {
        self.samples.get(key).copied().unwrap_or(0.0)
    }
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Parses the text format strictly enough to catch a malformed exposition: metadata lines,
/// `name{label="value",…} number` samples, each sample belonging to a declared family, and
/// the closing `# EOF`.
fn parse_exposition(text: &str) -> Exposition {
    let mut samples = BTreeMap::new();
    let mut families = BTreeSet::new();
    let mut lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.pop(), Some("# EOF"), "the exposition ends with # EOF");
    for line in lines {
        if let Some(meta) = line.strip_prefix("# ") {
            let mut parts = meta.splitn(3, ' ');
            let keyword = parts.next().unwrap_or_default();
            let name = parts.next().unwrap_or_default();
            assert!(
                matches!(keyword, "HELP" | "TYPE" | "UNIT"),
                "unknown metadata: {line}"
            );
            assert!(is_metric_name(name), "bad metric name in {line}");
            if keyword == "TYPE" {
                let kind = parts.next().unwrap_or_default();
                assert!(
                    matches!(kind, "counter" | "gauge" | "histogram" | "info" | "unknown"),
                    "bad type in {line}"
                );
                families.insert(name.to_owned());
            }
            continue;
        }
        let (key, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("sample without a value: {line}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
        };
        let name = key.split('{').next().unwrap_or_default();
        assert!(is_metric_name(name), "bad sample name in {line}");
        if let Some(labels) = key.strip_prefix(name).filter(|l| !l.is_empty()) {
            let inner = labels
                .strip_prefix('{')
                .and_then(|l| l.strip_suffix('}'))
                .unwrap_or_else(|| panic!("bad label set in {line}"));
            for pair in inner.split("\",").filter(|p| !p.is_empty()) {
                let (label, quoted) = pair
                    .split_once('=')
                    .unwrap_or_else(|| panic!("bad label in {line}"));
                assert!(is_metric_name(label), "bad label name in {line}");
                assert!(quoted.starts_with('"'), "unquoted label value in {line}");
            }
        }
        let family = ["_total", "_bucket", "_count", "_sum", "_info"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .filter(|base| families.contains(*base))
            .unwrap_or(name);
        assert!(
            families.contains(family),
            "sample {name} of no declared family"
        );
        assert!(
            samples.insert(key.to_owned(), value).is_none(),
            "duplicate sample {key}"
        );
    }
    Exposition { samples, families }
}

#[tokio::test]
async fn metrics_count_avito_requests_made_through_the_real_client() {
    let avito = common::start_avito().await;
    let test_db = TestDatabase::fresh(Engine::Sqlite).await.expect("sqlite");
    let conn = connect(&test_db).await;
    let endpoint = Endpoint::start(Probes::new(conn, PollingHealth::new(STALE_AFTER))).await;

    let (status, content_type, before) = endpoint.get("/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(content_type, metrics::CONTENT_TYPE);
    let before = parse_exposition(&before);
    for family in [
        "avito_reports_updates_handled",
        "avito_reports_reports_sent",
        "avito_reports_reports_failed",
        "avito_reports_exports_running",
        "avito_reports_admin_alerts",
    ] {
        assert!(before.families.contains(family), "{family} is declared");
    }
    assert_eq!(
        before
            .samples
            .get("avito_reports_reports_failed_total{kind=\"scheduled\"}"),
        Some(&0.0),
        "known series are shown from the start"
    );

    let mut config = ClientConfig::new(avito.base_url().parse().expect("url"))
        .observed_by(std::sync::Arc::new(avito_reports::metrics::AvitoRequests));
    config.rate_window = common::TEST_AVITO_RATE_WINDOW;
    let client = AvitoClient::new(config).expect("client");
    let account = client.account(Credentials::new("client-1", "secret-1").expect("creds"));
    account.self_info().await.expect("self info");

    let (_, _, after) = endpoint.get("/metrics").await;
    let after = parse_exposition(&after);
    for family in [
        "avito_reports_avito_requests",
        "avito_reports_avito_request_duration_seconds",
    ] {
        assert!(after.families.contains(family), "{family} is declared");
    }
    // No other test in this binary talks to Avito: the differences are this test's calls.
    for key in [
        "avito_reports_avito_requests_total{operation=\"getUserInfoSelf\",status=\"200\"}",
        "avito_reports_avito_requests_total{operation=\"getAccessToken\",status=\"200\"}",
        "avito_reports_avito_request_duration_seconds_count{operation=\"getUserInfoSelf\"}",
    ] {
        assert_eq!(after.value(key) - before.value(key), 1.0, "{key}");
    }
    assert_eq!(
        after.value(
            "avito_reports_avito_request_duration_seconds_bucket{le=\"+Inf\",operation=\"getUserInfoSelf\"}"
        ),
        after.value(
            "avito_reports_avito_request_duration_seconds_count{operation=\"getUserInfoSelf\"}"
        ),
        "every observation is in the +Inf bucket"
    );
    assert_eq!(avito.request_count("getUserInfoSelf"), 1);
    endpoint.stop().await;
    avito.shutdown().await;
}

#[tokio::test]
async fn the_scrape_hook_feeds_queue_depth_before_each_answer() {
    let test_db = TestDatabase::fresh(Engine::Sqlite).await.expect("sqlite");
    let conn = connect(&test_db).await;
    let scrapes = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
    let counter = scrapes.clone();
    let probes = Probes::new(conn, PollingHealth::new(STALE_AFTER)).on_scrape(move || {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        async move { metrics::set_queue_depth("hook-test", n * 10) }
    });
    let endpoint = Endpoint::start(probes).await;
    let key = "avito_reports_queue_depth{queue=\"hook-test\"}";
    let (_, _, first) = endpoint.get("/metrics").await;
    assert_eq!(parse_exposition(&first).value(key), 10.0);
    let (_, _, second) = endpoint.get("/metrics").await;
    assert_eq!(parse_exposition(&second).value(key), 20.0);
    endpoint.stop().await;
}

/// A free loopback port (bound and released: the worker binds it a moment later).
fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

async fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let response = reqwest::get(format!("http://{addr}{path}")).await.ok()?;
    let status = response.status().as_u16();
    Some((status, response.text().await.ok()?))
}

/// The worker binary with `HTTP_ADDR`: ready once it polls, updates and queued jobs counted in
/// `/metrics`; a `worker` process (no polling) is ready on its database alone.
async fn a_running_worker_reports_readiness_updates_and_queued_jobs(engine: Engine) {
    let Some(test_db) = TestDatabase::fresh(engine).await else {
        return;
    };
    let telegram = sandbox::telegram::TelegramEmulator::start(
        sandbox::telegram::TelegramConfig::without_limits(),
    )
    .await
    .expect("telegram emulator");
    let addr = free_addr();
    let env = [
        ("HTTP_ADDR", addr.to_string()),
        ("SECRET_KEY", common::TEST_SECRET_KEY.to_owned()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let worker = common::Worker::start(&telegram, None, &test_db, &env).await;
    common::eventually("/readyz says ready", Duration::from_secs(30), || async {
        http_get(addr, "/readyz")
            .await
            .filter(|(status, body)| *status == 200 && body == "ready")
    })
    .await;

    let user = telegram.user(5101, "Ops", Some("en"));
    common::say(&telegram, &worker, &user, "/start", "").await;
    let exposition = common::eventually("the update counted", Duration::from_secs(10), || async {
        let (_, body) = http_get(addr, "/metrics").await?;
        let parsed = parse_exposition(&body);
        (parsed.value("avito_reports_updates_handled_total{kind=\"message\"}") >= 1.0)
            .then_some(parsed)
    })
    .await;
    for queue in ["reports", "exports"] {
        let key = format!("avito_reports_queue_depth{{queue=\"{queue}\"}}");
        assert!(
            exposition.samples.contains_key(&key),
            "{key} counted at the scrape"
        );
    }
    let status = worker.terminate().await;
    assert!(status.success(), "{status}");

    // A jobs-only process does not poll: its readiness is its database's.
    let addr = free_addr();
    let env = [("HTTP_ADDR", addr.to_string())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let jobs_only = common::Worker::start_as("worker", &telegram, None, &test_db, &env).await;
    common::eventually(
        "the worker process is ready",
        Duration::from_secs(30),
        || async {
            http_get(addr, "/readyz")
                .await
                .filter(|(status, _)| *status == 200)
        },
    )
    .await;
    let status = jobs_only.terminate().await;
    assert!(status.success(), "{status}");
    telegram.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_worker_reports_readiness_updates_and_queued_jobs_on_sqlite() {
    a_running_worker_reports_readiness_updates_and_queued_jobs(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_worker_reports_readiness_updates_and_queued_jobs_on_postgres() {
    a_running_worker_reports_readiness_updates_and_queued_jobs(Engine::Postgres).await;
}

/// The worker binary refuses a busy `HTTP_ADDR` at once, naming it, before touching Telegram.
#[tokio::test]
async fn the_worker_exits_with_a_clear_line_when_http_addr_is_busy() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let test_db = TestDatabase::fresh(Engine::Sqlite).await.expect("sqlite");
    let out = common::worker_command(test_db.dir.path())
        .arg("run")
        .env("BOT_TOKEN", "123456:TEST")
        .env("TELEGRAM_API_URL", "http://127.0.0.1:9")
        .env("DATABASE_URL", test_db.url.as_str())
        .env("HTTP_ADDR", addr.to_string())
        .output();
    let out = tokio::time::timeout(Duration::from_secs(20), out)
        .await
        .expect("exits at once")
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("HTTP_ADDR {addr} is in use")),
        "{stderr}"
    );
}
