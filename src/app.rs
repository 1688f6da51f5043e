//! The worker's lifecycle: start-up with retries, long polling, graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::prelude::*;
use teloxide::update_listeners::Polling;
use tokio::sync::{Notify, watch};

use crate::avito::AvitoClient;
use crate::bot;
use crate::config::{Config, Settings, WorkerSettings};
use crate::context::{AppState, JobContext};
use crate::crypto::{self, KeyOrigin, SecretBox};
use crate::db::{self, shared_avito::SharedAvito, token_store::DbTokenStore};
use crate::jobs::{self, JobQueue};
use crate::ops::{self, PollingHealth, Probes, http::HttpServer};
use crate::retry::{self, Backoff};
use crate::telegram::TgBot;

/// Long-poll timeout; below teloxide's HTTP client timeout (17 s) so a quiet poll is not an error.
const POLL_TIMEOUT: Duration = Duration::from_secs(10);

fn startup_backoff(worker: &WorkerSettings) -> Backoff {
    Backoff::new(
        worker.startup_retries,
        worker.backoff_base,
        worker.backoff_max,
    )
}

/// Connects to the database (with start-up retries) and applies migrations.
pub async fn open_database(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let db = retry::retry(
        "database connection",
        startup_backoff(&settings.worker),
        settings.worker.startup_timeout,
        || db::connect(&settings.database_url),
    )
    .await?;
    db::migrate(&db).await?;
    match db::autovacuum_off(&db).await {
        Ok(true) => tracing::warn!(
            "PostgreSQL's autovacuum is off: the job queue's table will bloat and its queries \
             slow down with every job done; turn autovacuum on (the server's default)"
        ),
        Ok(false) => {}
        Err(e) => tracing::debug!(error = %e, "cannot read PostgreSQL's autovacuum setting"),
    }
    Ok(db)
}

/// `avito-reports migrate`.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let db = open_database(settings).await?;
    let applied = db::applied_migrations(&db).await?;
    tracing::info!(count = applied.len(), database = %settings.database_url, "migrations applied");
    db.close().await.context("closing the database")?;
    Ok(())
}

/// The key for secrets at rest, with a log line saying where it came from.
fn secret_box(settings: &Settings) -> anyhow::Result<SecretBox> {
    let (key, origin) = crypto::resolve_key(
        settings.secret_key.as_ref(),
        settings.database_url.kind().into(),
    )?;
    match origin {
        KeyOrigin::Environment => tracing::info!("secrets are encrypted with SECRET_KEY"),
        KeyOrigin::ExistingFile(path) => {
            tracing::info!(path = %path.display(), "secrets are encrypted with the key file")
        }
        KeyOrigin::CreatedFile(path) => tracing::warn!(
            path = %path.display(),
            "SECRET_KEY is not set: created a new key file for encrypting secrets; back it up \
             with the database, and set SECRET_KEY in production"
        ),
        KeyOrigin::Ephemeral => {
            tracing::warn!("in-memory database: secrets use a throw-away key")
        }
    }
    Ok(SecretBox::new(&key))
}

/// Everything a process needs before it serves.
struct Started {
    db: DatabaseConnection,
    bot: Bot,
    /// The bot's own account: `run` polls as it; a `worker`, which does not poll, has none.
    me: Option<teloxide::types::Me>,
    secrets: SecretBox,
}

/// The hard dependencies: the database always, Telegram for `run` (it polls). Avito is not
/// one: an outage there at deploy time degrades what needs Avito (n/a with the reason, "Avito
/// is not answering"), never the process, so it is only looked at once, in the background.
async fn start_up(settings: &Settings, mode: Mode) -> anyhow::Result<Started> {
    let token = settings.require_bot_token()?.clone();
    let secrets = secret_box(settings)?;
    let db = open_database(settings).await?;

    let bot = Bot::new(token.expose()).set_api_url(settings.telegram_api_url.clone());
    let me = match mode {
        Mode::Bot => Some(telegram_me(settings, &bot).await?),
        // A worker only sends: a Telegram outage delays its messages, which wait and retry.
        Mode::JobsOnly => {
            warn_if_unreachable("Telegram", settings.telegram_api_url.clone());
            None
        }
    };
    warn_if_unreachable("Avito", settings.avito_api_url.clone());
    if mode == Mode::Bot
        && let Err(e) = bot::register_commands(&bot).await
    {
        // The menu is a convenience: a failure here must not keep the bot from answering.
        tracing::warn!(error = %e, "could not register the command menu");
    }
    Ok(Started {
        db,
        bot,
        me,
        secrets,
    })
}

/// The bot's account, with start-up retries. An address that takes no connection is named at
/// once ("cannot connect to …: Connection refused"); teloxide alone would say only "error
/// sending request".
async fn telegram_me(settings: &Settings, bot: &Bot) -> anyhow::Result<teloxide::types::Me> {
    let me = retry::retry(
        "Telegram getMe",
        startup_backoff(&settings.worker),
        settings.worker.startup_timeout,
        || async {
            crate::net::probe_url(&settings.telegram_api_url)
                .await
                .map_err(|e| e.to_string())?;
            bot.get_me().await.map_err(|e| e.to_string())
        },
    )
    .await?;
    tracing::info!(bot = %me.username(), "connected to Telegram");
    Ok(me)
}

/// Looks once, without holding up start-up, whether `what`'s address takes a connection, and
/// warns (once, naming the cause) when it does not: an operator sees a wrong URL or a closed
/// firewall at deploy time, while the bot goes on serving.
fn warn_if_unreachable(what: &'static str, url: url::Url) {
    tokio::spawn(async move {
        match crate::net::probe_url(&url).await {
            Ok(()) => tracing::info!(%url, "{what}'s address takes connections"),
            Err(e) => tracing::warn!(
                %url,
                cause = %e,
                "{what} is unreachable at start-up: {e}; serving anyway, and what needs {what} \
                 says it is not answering until it is back"
            ),
        }
    });
}

/// What a process does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `run`: polls Telegram for updates and runs the job workers.
    Bot,
    /// `worker`: runs the job workers only (scale-out replicas next to one `run`).
    JobsOnly,
}

/// `avito-reports run`: the bot worker, until `shutdown` resolves (or polling gives up).
/// A shutdown during start-up is a clean exit too.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    serve(config, Mode::Bot, shutdown).await
}

/// `avito-reports worker`: delivers scheduled reports and runs exports, without polling.
pub async fn run_worker(config: Config, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    serve(config, Mode::JobsOnly, shutdown).await
}

async fn serve(
    config: Config,
    mode: Mode,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut shutdown = std::pin::pin!(shutdown);
    // Bound before anything else starts, so that a busy port is one clear error at once.
    let http = match config.settings.http_addr {
        Some(addr) => Some(HttpServer::bind(addr).await?),
        None => None,
    };
    let started = tokio::select! {
        started = start_up(&config.settings, mode) => started?,
        _ = &mut shutdown => {
            tracing::info!("stopped during start-up");
            return Ok(());
        }
    };
    let worker = config.settings.worker.clone();
    let db = started.db.clone();
    let running = Running::assemble(config, started)?;
    tracing::info!(worker = %running.state.settings.jobs.worker_name, ?mode, "starting job workers");
    // A failing poller reports again within its poll timeout plus its longest backoff.
    let polling = PollingHealth::new(POLL_TIMEOUT + worker.backoff_max + Duration::from_secs(5));
    if mode == Mode::JobsOnly {
        // Nothing polls here: readiness is the database's.
        polling.mark_ok();
    }
    let stop_http = http.map(|server| serve_http(server, &db, &polling));
    let (stop_jobs, jobs_stopped) = watch::channel(false);
    let jobs_ctx = JobContext::new(running.state.clone(), running.sender.clone());
    let notices = jobs_ctx.notices.clone();
    let mut job_workers = tokio::spawn(jobs::run_workers(jobs_ctx, jobs_stopped));
    let outcome = match (mode, running.me) {
        (Mode::Bot, Some(me)) => {
            let Running {
                bot, sender, state, ..
            } = running;
            let polled = poll_until(bot, sender, state, me, &worker, &polling, &mut shutdown).await;
            polling.mark_stopped();
            polled
        }
        (Mode::Bot, None) => Err(anyhow::anyhow!("`run` starts with the bot's account")),
        (Mode::JobsOnly, _) => until_stopped(&mut shutdown, &mut job_workers).await,
    };
    tracing::info!("shutting down: finishing the jobs in flight");
    let _ = stop_jobs.send(true);
    finish_jobs(&mut job_workers, worker.shutdown_timeout).await;
    notices.drain(worker.shutdown_timeout).await;
    if let Some(stop_http) = stop_http {
        let _ = stop_http.send(());
    }
    db.close().await.context("closing the database")?;
    tracing::info!("stopped");
    outcome
}

/// What a started process serves with.
struct Running {
    state: AppState,
    bot: Bot,
    /// The process' one throttled bot, shared by the handlers and the jobs.
    sender: TgBot,
    me: Option<teloxide::types::Me>,
}

impl Running {
    fn assemble(config: Config, started: Started) -> anyhow::Result<Self> {
        let Started {
            db,
            bot,
            me,
            secrets,
        } = started;
        let avito = avito_client(&config, &db, &secrets)?;
        let Config { settings, knobs } = config;
        let jobs = JobQueue::new(&db, &settings.jobs).context("opening the job queue")?;
        let shared = settings
            .jobs
            .shared_pacing
            .then(|| SharedAvito::budgets(&db))
            .flatten();
        let sender = TgBot::new(bot.clone(), settings.jobs.telegram_messages_per_sec, shared);
        let state = AppState {
            db,
            settings: Arc::new(settings),
            knobs,
            secrets,
            avito,
            jobs,
        };
        Ok(Self {
            state,
            bot,
            sender,
            me,
        })
    }
}

/// The health and metrics endpoint, in the background until the returned sender fires.
fn serve_http(
    server: HttpServer,
    db: &DatabaseConnection,
    polling: &PollingHealth,
) -> tokio::sync::oneshot::Sender<()> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let scraped = db.clone();
    let probes = Probes::new(db.clone(), polling.clone())
        .on_scrape(move || count_queued_jobs(scraped.clone()));
    tokio::spawn(async move {
        let until = async move {
            let _ = stopped.await;
        };
        if let Err(e) = server.serve(probes, until).await {
            tracing::error!(error = %e, "the health and metrics endpoint stopped");
        }
    });
    stop
}

/// A `worker` process runs until it is told to stop, or its job workers end.
async fn until_stopped(
    shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    job_workers: &mut tokio::task::JoinHandle<()>,
) -> anyhow::Result<()> {
    tokio::select! {
        _ = shutdown.as_mut() => Ok(()),
        joined = job_workers => {
            joined.context("the job workers crashed")?;
            Ok(())
        }
    }
}

/// Gives the jobs in flight `timeout` to finish; what is still running then goes back to the
/// queue.
async fn finish_jobs(job_workers: &mut tokio::task::JoinHandle<()>, timeout: Duration) {
    if !job_workers.is_finished()
        && tokio::time::timeout(timeout, &mut *job_workers)
            .await
            .is_err()
    {
        tracing::warn!(
            ?timeout,
            "jobs still running at the shutdown timeout; they go back to the queue"
        );
        job_workers.abort();
    }
}

/// Polls Telegram and dispatches updates until `shutdown` resolves or polling gives up.
async fn poll_until(
    bot: Bot,
    sender: TgBot,
    state: AppState,
    me: teloxide::types::Me,
    worker: &WorkerSettings,
    polling: &PollingHealth,
    shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
) -> anyhow::Result<()> {
    let schema = ops::observed(bot::schema(), polling.clone());
    let mut dispatcher = Dispatcher::builder(bot.clone(), schema)
        .dependencies(bot::dependencies(state, me, sender))
        .default_handler(|_| async {})
        .error_handler(LoggingErrorHandler::with_custom_text(
            "an update handler failed",
        ))
        .build();
    let stop = dispatcher.shutdown_token();

    let gave_up = Arc::new(GiveUp::default());
    let listener = polling_listener(bot, worker, gave_up.clone(), polling.clone()).await;
    polling.mark_ok();
    let mut dispatching = tokio::spawn(async move {
        dispatcher
            .dispatch_with_listener(
                listener,
                LoggingErrorHandler::with_custom_text("polling Telegram failed"),
            )
            .await;
    });
    tracing::info!("polling for updates");

    let outcome = tokio::select! {
        _ = shutdown.as_mut() => Ok(()),
        _ = gave_up.notify.notified() => Err(anyhow::anyhow!(
            "polling Telegram failed {} times in a row (WORKER_POLLING_RETRIES); exiting",
            worker.polling_retries
        )),
        joined = &mut dispatching => {
            joined.context("the dispatcher crashed")?;
            Ok(())
        }
    };

    tracing::info!("shutting down: no new updates, finishing the ones in flight");
    if let Ok(stopped) = stop.shutdown()
        && tokio::time::timeout(worker.shutdown_timeout, stopped)
            .await
            .is_err()
    {
        tracing::warn!(timeout = ?worker.shutdown_timeout, "handlers still running at the shutdown timeout; abandoning them");
    }
    dispatching.abort();
    outcome
}

/// The process' one Avito client (shared pacing and coalescing), keeping tokens in the
/// database, encrypted; on PostgreSQL its request budgets and once-a-window answers are the
/// ones every process on the database shares.
fn avito_client(
    config: &Config,
    db: &DatabaseConnection,
    secrets: &SecretBox,
) -> anyhow::Result<AvitoClient> {
    let store = DbTokenStore::new(db.clone(), secrets.clone());
    let client = config
        .avito_client()
        .observed_by(Arc::new(crate::metrics::AvitoRequests));
    let shared = config
        .settings
        .jobs
        .shared_pacing
        .then(|| SharedAvito::for_engine(db))
        .flatten();
    AvitoClient::with_stores(client, Arc::new(store), shared).context("building the Avito client")
}

/// A `/metrics` scrape hook that counts the jobs waiting in each queue.
async fn count_queued_jobs(db: DatabaseConnection) {
    match jobs::queue_depths(&db).await {
        Ok(depths) => {
            for (queue, depth) in depths {
                crate::metrics::set_queue_depth(queue, depth);
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot count the queued jobs"),
    }
}

/// Signals that polling has failed more often in a row than `WORKER_POLLING_RETRIES` allows.
#[derive(Default)]
struct GiveUp {
    notify: Notify,
    fired: AtomicBool,
}

async fn polling_listener(
    bot: Bot,
    worker: &WorkerSettings,
    gave_up: Arc<GiveUp>,
    health: PollingHealth,
) -> Polling<Bot> {
    let backoff = Backoff::new(
        worker.polling_retries,
        worker.backoff_base,
        worker.backoff_max,
    );
    let limit = worker.polling_retries;
    Polling::builder(bot)
        .timeout(POLL_TIMEOUT)
        // teloxide calls this with the number of consecutive failed polls.
        .backoff_strategy(move |failures| {
            health.mark_failed();
            if limit > 0 && failures + 1 >= limit && !gave_up.fired.swap(true, Ordering::SeqCst) {
                gave_up.notify.notify_one();
            }
            backoff.delay(failures + 1)
        })
        .delete_webhook()
        .await
        .build()
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("SIGINT received"),
        _ = terminate => tracing::info!("SIGTERM received"),
    }
}
