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

use crate::config::Settings;
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
/// Alert rules are checked this many times as often as in production: the wallet every 2 s
/// instead of every 10 min, so step 8 shows an alert and its recovery within seconds.
pub const ALERT_CHECK_SPEEDUP: u32 = 300;
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
    let scratch = Scratch::create()?;
    let http_addr = free_loopback_port()?;
    let settings = settings(&telegram, &avito, &scratch.path, http_addr)?;

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
        lang.code(),
        account.name,
        account.client_id
    ));
    let user = telegram.user(persona.user_id.0, persona.first_name, Some(lang.code()));
    let mut session = Session::new(
        telegram.clone(),
        user,
        scrape::Scraper::new(http_addr)?,
        transcript,
    );
    let credentials = Credentials {
        client_id: account.client_id.clone(),
        client_secret: account.client_secret.clone(),
    };

    let seller_account = Account {
        avito: &avito,
        user_id: crate::domain::AccountId(account.user_id),
    };

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = crate::app::run(settings, async move {
        let _ = stopped.await;
    });
    let mut worker = std::pin::pin!(worker);
    let mut worker_ended = None;
    let played = tokio::select! {
        played = script::play(&mut session, &persona, &credentials, &seller_account) => played,
        ended = &mut worker => {
            let why = match &ended {
                Ok(()) => "the worker stopped in the middle of the demo".to_owned(),
                Err(e) => format!("the worker stopped in the middle of the demo: {e:#}"),
            };
            worker_ended = Some(ended);
            Err(anyhow::anyhow!(why))
        }
        // Ctrl-C: stop everything and clean up as at the end.
        () = crate::app::shutdown_signal() => Err(anyhow::anyhow!("interrupted")),
    };
    if worker_ended.is_none() {
        let _ = stop.send(());
        let ended = tokio::time::timeout(WORKER_STOP_WAIT, &mut worker)
            .await
            .unwrap_or_else(|_| {
                Err(anyhow::anyhow!(
                    "the worker did not stop within {}s",
                    WORKER_STOP_WAIT.as_secs()
                ))
            });
        worker_ended = Some(ended);
    }
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
    if let Some(Err(e)) = worker_ended {
        return Err(e.context("stopping the worker after the demo"));
    }
    leave_outputs(&out, &mut transcript, &outcome, started)?;
    Ok(())
}

/// Writes the files, then the closing lines, then the conversation itself.
fn leave_outputs(
    out: &OutDir,
    transcript: &mut Transcript,
    outcome: &Outcome,
    started: Instant,
) -> anyhow::Result<()> {
    let (name, bytes) = &outcome.workbook;
    out.write(output::REPORT, with_newline(&outcome.report).as_bytes())?;
    out.write(output::STATS, with_newline(&outcome.stats).as_bytes())?;
    let workbook = out.write_workbook(name, bytes)?;
    out.write(output::METRICS, outcome.metrics.as_bytes())?;
    out.write(output::ALERTS, with_newline(&outcome.alerts).as_bytes())?;
    // An earlier run's charts go, so none is left that this run did not draw.
    for name in ["daily.png", "spending.png", "profiles.png"] {
        let _ = std::fs::remove_file(out.path().join(name));
    }
    for (name, bytes) in &outcome.charts {
        out.write(name, bytes)?;
    }
    let workbook = workbook
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();

    transcript.line("");
    transcript.line(format!(
        "— Done in {:.1} s. Left in {}: —",
        started.elapsed().as_secs_f64(),
        shown_path(out.path())
    ));
    for (file, what) in [
        (
            output::CONVERSATION.to_owned(),
            "this conversation".to_owned(),
        ),
        (output::REPORT.to_owned(), "the report of step 4".to_owned()),
        (
            output::STATS.to_owned(),
            "the group's /stats of step 6".to_owned(),
        ),
        (
            workbook,
            format!("the workbook of step 7 ({})", human_size(bytes.len())),
        ),
        (
            output::ALERTS.to_owned(),
            "the alert of step 8 and its “back to normal”".to_owned(),
        ),
        (
            output::METRICS.to_owned(),
            "the worker's /metrics at the end".to_owned(),
        ),
    ]
    .into_iter()
    .chain(outcome.charts.iter().map(|(name, bytes)| {
        (
            name.clone(),
            format!(
                "a chart sent with the report of step 4 ({})",
                human_size(bytes.len())
            ),
        )
    })) {
        transcript.line(format!("  {file:<40} {what}"));
    }
    transcript.line("The worker's /metrics after the journey (non-zero counters):");
    let m = &outcome.metrics;
    for metric in [
        "avito_reports_reports_sent_total",
        "avito_reports_reports_failed_total",
        "avito_reports_telegram_messages_sent_total",
        "avito_reports_updates_handled_total",
    ] {
        for series in scrape::nonzero_series(m, metric) {
            transcript.line(format!("  {series}"));
        }
    }
    transcript.line(format!(
        "  avito_reports_avito_requests_total (all operations and statuses) {}",
        scrape::sum(m, "avito_reports_avito_requests_total")
    ));
    out.write(output::CONVERSATION, transcript.text().as_bytes())?;
    Ok(())
}

/// The worker's settings: the emulators, a SQLite file in `dir`, quick polling and retries.
/// Built from these values only, never from the environment or a `.env` file.
fn settings(
    telegram: &TelegramEmulator,
    avito: &AvitoEmulator,
    dir: &Path,
    http_addr: SocketAddr,
) -> anyhow::Result<Settings> {
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
    Settings::from_vars(&vars).context("the demo's worker settings")
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
        crate::config::SecretKey::parse(DEMO_SECRET_KEY).expect("32 bytes of base64");
    }

    #[test]
    fn relative_output_paths_are_shown_from_the_working_directory() {
        assert_eq!(shown_path(Path::new("demo-output")), "./demo-output");
        assert_eq!(shown_path(Path::new("./out")), "./out");
        assert_eq!(shown_path(Path::new("/tmp/out")), "/tmp/out");
    }
}
