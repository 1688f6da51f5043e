//! `avito-reports demo`: the whole product in one command, with no credentials and no network.
//!
//! Starts the Telegram and Avito emulators on loopback and the worker in this process on a
//! temporary SQLite database, plays a seller through /start, adding a profile, the hub, a
//! report now, a schedule, /stats in a group, an export and an alert, prints the conversation as the
//! seller sees it, and leaves it with the report, the /stats report, the workbook, the
//! worker's metrics and the report's charts in `--out` (`./demo-output`).
//!
//! The modules: [`script`] is the seller's steps, [`session`] their hands and eyes on the
//! emulator's driver, [`transcript`] renders what they see, [`output`] writes the files and
//! [`scrape`] reads `/metrics`.

pub mod output;
pub mod scrape;
pub mod script;
pub mod session;
pub mod transcript;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator};
use sandbox::telegram::{BOT_USERNAME, TelegramConfig, TelegramEmulator};

use crate::config::Config;
use crate::i18n::Lang;
use output::OutDir;
use script::{Account, Credentials, Outcome, Persona};
use session::Session;
use transcript::{Transcript, human_size};

/// The key the demo's worker encrypts secrets with (its database lives only as long as the
/// demo). Public so that a test can check it never shows in the output.
pub const DEMO_SECRET_KEY: &str = "ZGVtby1vbmx5LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24=";

/// The Avito emulator's rate-limit window, and the one the worker paces to: Avito's real
/// minute. The journey asks the once-a-minute statistics operations once per report period
/// (the second report of the same period is served from the client's cache), so the real
/// limits cost the demo no waiting.
const AVITO_RATE_WINDOW: Duration = Duration::from_secs(60);
/// Alert rules are checked this many times as often as in production: the wallet and the
/// reviews every 3 s instead of every 10 min, so steps 8 and 9 show their notices within
/// seconds. Not faster: the blocked-listings check (on for a new profile) also comes every
/// 3 s, 20 listing requests a minute against Avito's real 25 — more would wait on the limit
/// and hold the other checks back.
pub const ALERT_CHECK_SPEEDUP: u32 = 200;
/// How long the worker gets to stop after the journey.
const WORKER_STOP_WAIT: Duration = Duration::from_secs(15);

/// Runs the demo. Reads no environment: everything it needs, it starts itself.
/// `out` receives the files; `lang` is the language the seller's Telegram is set to.
#[tracing::instrument(name = "demo", skip_all, fields(out = %out_dir.display()))]
pub async fn run(out_dir: &std::path::Path, lang: Lang) -> anyhow::Result<()> {
    let started = Instant::now();
    let out = OutDir::prepare(out_dir)?;
    let persona = Persona::new(lang);
    let account = AccountSpec::generated(1);
    let (telegram, avito) = start_emulators(&account).await?;
    let scratch = Scratch::create()?;
    let http_addr = free_loopback_port()?;
    let config = worker_config(&telegram, &avito, &scratch.path, http_addr)?;

    let transcript = introduction(&telegram, &avito, &persona, &account);
    let user = telegram.user(persona.user_id.0, persona.first_name, Some(lang.code()));
    let scraper = scrape::Scraper::new(http_addr)?;
    let mut session = Session::new(telegram.clone(), user, scraper, transcript);
    let credentials = Credentials {
        client_id: account.client_id.clone(),
        client_secret: account.client_secret.clone(),
    };
    let seller_account = Account {
        avito: &avito,
        user_id: crate::domain::AccountId(account.user_id),
    };
    let journey = script::play(&mut session, &persona, &credentials, &seller_account);
    let (played, worker_ended) = beside_the_worker(config, journey).await;
    telegram.shutdown().await;
    avito.shutdown().await;
    drop(scratch);

    let mut transcript = session.transcript;
    let outcome = match played {
        Ok(outcome) => outcome,
        Err(e) => {
            // What happened up to the failure is the first thing to look at.
            if let Err(write) = out.write(output::CONVERSATION, transcript.text().as_bytes()) {
                tracing::warn!(error = %format!("{write:#}"), "cannot keep the conversation so far");
            }
            return Err(e);
        }
    };
    worker_ended.context("stopping the worker after the demo")?;
    leave_outputs(&out, &mut transcript, &outcome, started)
}

/// Both emulators on loopback: Telegram, and Avito with the seller's account.
async fn start_emulators(
    account: &AccountSpec,
) -> anyhow::Result<(TelegramEmulator, AvitoEmulator)> {
    let telegram = TelegramEmulator::start(TelegramConfig::default())
        .await
        .context("starting the Telegram emulator")?;
    let avito = AvitoEmulator::start(AvitoConfig {
        accounts: vec![account.clone()],
        rate_window: AVITO_RATE_WINDOW,
        ..AvitoConfig::default()
    })
    .await
    .context("starting the Avito emulator")?;
    Ok((telegram, avito))
}

/// The transcript's first lines: what runs, and who plays the seller.
fn introduction(
    telegram: &TelegramEmulator,
    avito: &AvitoEmulator,
    persona: &Persona,
    account: &AccountSpec,
) -> Transcript {
    let mut transcript = Transcript::new(true);
    transcript.line("avito-reports demo: no Telegram, no Avito, no credentials needed.");
    transcript.line(format!(
        "Telegram Bot API emulator: {} · Avito API emulator: {}",
        telegram.base_url(),
        avito.base_url()
    ));
    transcript.line("The worker runs against them on a temporary SQLite database.");
    transcript.line(format!(
        "{} (Telegram language: {}) talks to @{BOT_USERNAME}; her Avito account: {}, \
         client_id {}.",
        persona.first_name,
        persona.lang.code(),
        account.name,
        account.client_id
    ));
    transcript
}

/// Plays `journey` while the worker runs, then stops the worker: what the journey came to,
/// and how the worker ended. A worker that stops in the middle ends the journey with an error;
/// so does Ctrl-C.
async fn beside_the_worker(
    config: Config,
    journey: impl std::future::Future<Output = anyhow::Result<Outcome>>,
) -> (anyhow::Result<Outcome>, anyhow::Result<()>) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = crate::app::run(config, async move {
        let _ = stopped.await;
    });
    let mut worker = std::pin::pin!(worker);
    tokio::select! {
        played = journey => {
            let _ = stop.send(());
            (played, stop_worker(&mut worker).await)
        }
        ended = &mut worker => {
            let why = match &ended {
                Ok(()) => "the worker stopped in the middle of the demo".to_owned(),
                Err(e) => format!("the worker stopped in the middle of the demo: {e:#}"),
            };
            (Err(anyhow::anyhow!(why)), ended)
        }
        // Ctrl-C: stop everything and clean up as at the end.
        () = crate::app::shutdown_signal() => {
            let _ = stop.send(());
            (Err(anyhow::anyhow!("interrupted")), stop_worker(&mut worker).await)
        }
    }
}

/// Waits for a worker told to stop, at most [`WORKER_STOP_WAIT`].
async fn stop_worker(
    worker: &mut std::pin::Pin<&mut impl std::future::Future<Output = anyhow::Result<()>>>,
) -> anyhow::Result<()> {
    tokio::time::timeout(WORKER_STOP_WAIT, worker.as_mut())
        .await
        .unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "the worker did not stop within {}s",
                WORKER_STOP_WAIT.as_secs()
            ))
        })
}

/// Writes the files, then the closing lines, then the conversation itself.
fn leave_outputs(
    out: &OutDir,
    transcript: &mut Transcript,
    outcome: &Outcome,
    started: Instant,
) -> anyhow::Result<()> {
    let workbook = write_files(out, outcome)?;
    transcript.line("");
    transcript.line(format!(
        "— Done in {:.1} s. Left in {}: —",
        started.elapsed().as_secs_f64(),
        shown_path(out.path())
    ));
    for (file, what) in files_left(&workbook, outcome) {
        transcript.line(format!("  {file:<40} {what}"));
    }
    transcript.line("The worker's /metrics after the journey (non-zero counters):");
    for line in metrics_summary(&outcome.metrics) {
        transcript.line(format!("  {line}"));
    }
    out.write(output::CONVERSATION, transcript.text().as_bytes())?;
    Ok(())
}

/// Every file but the conversation; the workbook's file name.
fn write_files(out: &OutDir, outcome: &Outcome) -> anyhow::Result<String> {
    let (name, bytes) = &outcome.workbook;
    out.write(output::REPORT, with_newline(&outcome.report).as_bytes())?;
    out.write(output::STATS, with_newline(&outcome.stats).as_bytes())?;
    let workbook = out.write_workbook(name, bytes)?;
    out.write(output::METRICS, outcome.metrics.as_bytes())?;
    out.write(output::ALERTS, with_newline(&outcome.alerts).as_bytes())?;
    out.write(output::REVIEW, with_newline(&outcome.review).as_bytes())?;
    // An earlier run's charts go, so none is left that this run did not draw.
    for name in ["daily.png", "spending.png", "profiles.png"] {
        let _ = std::fs::remove_file(out.path().join(name));
    }
    for (name, bytes) in &outcome.charts {
        out.write(name, bytes)?;
    }
    Ok(workbook
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default())
}

/// Each file the demo leaves, with what it holds.
fn files_left(workbook: &str, outcome: &Outcome) -> Vec<(String, String)> {
    let named = |file: &str, what: &str| (file.to_owned(), what.to_owned());
    let mut files = vec![
        named(output::CONVERSATION, "this conversation"),
        named(output::REPORT, "the report of step 4"),
        named(output::STATS, "the group's /stats of step 6"),
        (
            workbook.to_owned(),
            format!(
                "the workbook of step 7 ({})",
                human_size(outcome.workbook.1.len())
            ),
        ),
        named(
            output::ALERTS,
            "the alert of step 8 and its “back to normal”",
        ),
        named(
            output::REVIEW,
            "the review of step 9, the answer written to it and “published”",
        ),
        named(output::METRICS, "the worker's /metrics at the end"),
    ];
    files.extend(outcome.charts.iter().map(|(name, bytes)| {
        (
            name.clone(),
            format!(
                "a chart sent with the report of step 4 ({})",
                human_size(bytes.len())
            ),
        )
    }));
    files
}

/// The counters worth a look after the journey, as lines.
fn metrics_summary(metrics: &str) -> Vec<String> {
    let mut lines: Vec<String> = [
        "avito_reports_reports_sent_total",
        "avito_reports_reports_failed_total",
        "avito_reports_telegram_messages_sent_total",
        "avito_reports_updates_handled_total",
    ]
    .into_iter()
    .flat_map(|metric| scrape::nonzero_series(metrics, metric))
    .map(str::to_owned)
    .collect();
    lines.push(format!(
        "avito_reports_avito_requests_total (all operations and statuses) {}",
        scrape::sum(metrics, "avito_reports_avito_requests_total")
    ));
    lines
}

/// The worker's configuration: the emulators, a SQLite file in `dir`, quick polling and
/// retries. Built from these values only, never from the environment or a `.env` file.
fn worker_config(
    telegram: &TelegramEmulator,
    avito: &AvitoEmulator,
    dir: &Path,
    http_addr: SocketAddr,
) -> anyhow::Result<Config> {
    let database = format!("sqlite://{}", dir.join("demo.sqlite").display());
    let vars: HashMap<String, String> = [
        ("BOT_TOKEN", telegram.bot_token()),
        ("TELEGRAM_API_URL", telegram.base_url()),
        ("AVITO_API_URL", avito.base_url()),
        (
            "AVITO_RATE_WINDOW_SEC",
            AVITO_RATE_WINDOW.as_secs_f64().to_string(),
        ),
        ("DATABASE_URL", database),
        ("SECRET_KEY", DEMO_SECRET_KEY.to_owned()),
        ("HTTP_ADDR", http_addr.to_string()),
        ("WORKER_RETRY_BACKOFF_BASE_SEC", "0.1".to_owned()),
        ("WORKER_RETRY_BACKOFF_MAX_SEC", "0.5".to_owned()),
        ("WORKER_SHUTDOWN_TIMEOUT_SEC", "5".to_owned()),
        ("JOBS_POLL_INTERVAL_SEC", "0.2".to_owned()),
        ("ALERT_CHECK_SPEEDUP", ALERT_CHECK_SPEEDUP.to_string()),
        ("WORKER_NAME", format!("demo-{}", std::process::id())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Config::from_vars(&vars).context("the demo's worker settings")
}

/// A loopback address nobody listens on right now (for the worker's /metrics).
fn free_loopback_port() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .context("finding a free loopback port for the worker's /metrics")?;
    listener
        .local_addr()
        .context("reading the free loopback port")
}

fn with_newline(text: &str) -> String {
    format!("{}\n", text.trim_end())
}

/// `./demo-output` for a relative path, as the user typed it otherwise.
fn shown_path(path: &Path) -> String {
    if path.is_relative() && !path.starts_with(".") && !path.starts_with("..") {
        format!("./{}", path.display())
    } else {
        path.display().to_string()
    }
}

/// A temporary directory for the demo's database, removed when dropped.
struct Scratch {
    path: PathBuf,
}

impl Scratch {
    fn create() -> anyhow::Result<Self> {
        let path = std::env::temp_dir().join(format!(
            "avito-reports-demo-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&path).with_context(|| {
            format!(
                "cannot create a temporary directory for the demo's database at {}",
                path.display()
            )
        })?;
        Ok(Self { path })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.path) {
            tracing::warn!(path = %self.path.display(), error = %e, "cannot remove the demo's temporary database");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_key_is_a_valid_secret_key() {
        crate::crypto::SecretKey::parse(DEMO_SECRET_KEY).expect("32 bytes of base64");
    }

    #[test]
    fn relative_output_paths_are_shown_from_the_working_directory() {
        assert_eq!(shown_path(Path::new("demo-output")), "./demo-output");
        assert_eq!(shown_path(Path::new("./out")), "./out");
        assert_eq!(shown_path(Path::new("/tmp/out")), "/tmp/out");
    }
}
