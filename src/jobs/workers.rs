//! Runs the job workers (under apalis' monitor) and the planner of one process until
//! shutdown. A worker that fails (its database went away) is started again after a pause that
//! grows while it keeps failing; a job interrupted by a crash goes back to the queue when its
//! worker's heartbeats stop, and runs on another worker.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use apalis::layers::WorkerBuilderExt;
use apalis::prelude::{BackendExt, BoxDynError, Data, Monitor, WorkerBuilder, WorkerError};
use tokio::sync::watch;

use super::{JobContext, deliver, planner};
use crate::config::WorkerSettings;
use crate::ops::AlertCause;
use crate::queue::{CheckAlert, DeliverReport, ExportChats, JobQueue};
use crate::report::html_escape;
use crate::retry::Backoff;

/// How often finished jobs are cleared out of the queue's tables.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Runs the delivery and export workers and the planner until `stop` turns true.
pub async fn run_workers(ctx: JobContext, stop: watch::Receiver<bool>) {
    match planner::reconcile(&ctx).await {
        Ok(n) if n > 0 => tracing::info!(jobs = n, "planned deliveries queued again"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not re-queue planned deliveries"),
    }
    tokio::join!(
        planner_loop(ctx.clone(), stop.clone()),
        supervise(ctx, stop)
    );
    tracing::info!("job workers stopped");
}

/// A request budget none of whose calls is this recent holds nothing back (windows are a
/// minute at most).
const IDLE_BUDGET: Duration = Duration::from_secs(600);

/// Plans unplanned tasks every few poll intervals until stopped; now and then also clears
/// long-finished jobs out of the queue's tables. While planning fails (the database is down)
/// it keeps trying at its own pace, but says so only now and then (see [`FailureLog`]).
async fn planner_loop(ctx: JobContext, mut stop: watch::Receiver<bool>) {
    let every = (ctx.state.settings.jobs.poll_interval * 2).max(Duration::from_millis(500));
    let mut last_prune: Option<Instant> = None;
    let mut checks = crate::alerts::plan::Planner::default();
    let mut warmer = super::warmup::Warmer::default();
    let mut lease = crate::db::lease::Lease::new("plan alert checks");
    let mut failures = FailureLog::new(restart_policy(&ctx.state.settings.worker));
    loop {
        let mut errors = Vec::new();
        if let Err(e) = planner::plan_once(&ctx).await {
            errors.push(format!("planning deliveries: {e}"));
        }
        if let Err(e) = plan_checks(&ctx, &mut lease, &mut checks, &mut warmer).await {
            errors.push(format!("planning alert checks: {e}"));
        }
        log_planning(&mut failures, errors, every);
        if last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            last_prune = Some(Instant::now());
            match super::prune_finished(&ctx.state.db, super::FINISHED_JOBS_KEPT).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(jobs = n, "finished jobs cleared from the queue"),
                Err(e) => tracing::warn!(error = %e, "clearing finished jobs failed"),
            }
            let idle = crate::db::shared_avito::prune_idle_budgets(&ctx.state.db, IDLE_BUDGET);
            if let Err(e) = idle.await {
                tracing::warn!(error = %e, "clearing idle request budgets failed");
            }
        }
        let stopped = tokio::select! {
            _ = tokio::time::sleep(every) => false,
            _ = stop.wait_for(|s| *s) => true,
        };
        if stopped {
            lease.end().await;
            return;
        }
    }
}

/// Queues the checks due now and starts the warm-ups of the slots coming, when this process
/// leads the planning: one planner for all keeps each window's jobs to one batch of inserts
/// (each process planning them all met the others' jobs one insert at a time, and fell behind
/// windows at a thousand profiles), and each slot to one warm-up.
async fn plan_checks(
    ctx: &JobContext,
    lease: &mut crate::db::lease::Lease,
    checks: &mut crate::alerts::plan::Planner,
    warmer: &mut super::warmup::Warmer,
) -> anyhow::Result<()> {
    if !lease.lead(&ctx.state.db).await? {
        return Ok(());
    }
    let now = crate::domain::clock::now();
    let planned = checks.plan(ctx, now).await;
    let warmed = warmer.warm(ctx, now).await;
    planned.map(|_| ())?;
    warmed
}

/// One planning round's outcome in the log: the first failure, then fewer and fewer while
/// failures go on, and one line when planning works again.
fn log_planning(failures: &mut FailureLog, errors: Vec<String>, every: Duration) {
    let now = Instant::now();
    if errors.is_empty() {
        if let Some((count, lasted)) = failures.succeeded(now) {
            tracing::info!(
                failures = count,
                lasted = ?round_ms(lasted),
                "planning works again"
            );
        }
        return;
    }
    let error = errors.join("; ");
    match failures.failed(now) {
        Some(Told::First) => tracing::warn!(
            %error,
            retry_every = ?every,
            "planning failed; retrying, with fewer warnings while it keeps failing"
        ),
        Some(Told::Again { failures, lasted }) => tracing::warn!(
            %error,
            failures,
            lasted = ?round_ms(lasted),
            "planning still failing"
        ),
        None => {}
    }
}

/// Registers one worker of a kind: on a restart it pauses as [`Restarts`] decided before it
/// registers with the database again, and tells [`Restarts`] when it has.
macro_rules! register_worker {
    ($monitor:expr, $ctx:expr, $kind:expr, $storage:expr, $handler:expr) => {{
        let (storage, ctx, kind) = ($storage, $ctx.clone(), $kind.clone());
        let settings = &ctx.state.settings.jobs;
        let (base, poll, concurrency) = (
            settings.worker_name.clone(),
            settings.poll_interval,
            settings.concurrency as usize,
        );
        $monitor.register(move |restarts| {
            let name = worker_name(&base, kind.kind, restarts);
            let pause = kind.starting(&name);
            let registered = kind.clone();
            WorkerBuilder::new(name)
                .backend(
                    storage
                        .clone()
                        .poll_with_strategy(super::poll::Every::new(poll))
                        .before_start(move |_| pause_for(pause))
                        .after_start(move |_| {
                            registered.registered(Instant::now());
                            std::future::ready(Ok(()))
                        }),
                )
                .data(ctx.clone())
                .concurrency(concurrency)
                .build($handler)
        })
    }};
}

/// The three workers on one engine's storages (the SQLite and PostgreSQL storages are
/// different types with the same builder calls).
macro_rules! register_workers {
    ($ctx:expr, $kinds:expr, $monitor:expr, $reports:expr, $exports:expr, $checks:expr) => {{
        let monitor = register_worker!($monitor, $ctx, $kinds.reports, $reports, handle_delivery);
        let monitor = register_worker!(monitor, $ctx, $kinds.exports, $exports, handle_export);
        register_worker!(monitor, $ctx, $kinds.checks, $checks, handle_check)
    }};
}

/// The delivery, export and alert-check workers under apalis' [`Monitor`]: a worker that
/// fails is started again under a new name (the old one may still look alive to other
/// processes until its heartbeats stop) after a pause that grows while it keeps failing (see
/// [`Restarts`]), and the monitor stops them all when `stop` turns true.
async fn supervise(ctx: JobContext, stop: watch::Receiver<bool>) {
    let policy = restart_policy(&ctx.state.settings.worker);
    let kinds = Arc::new(WorkerKinds {
        reports: Arc::new(Restarts::new("reports", policy)),
        exports: Arc::new(Restarts::new("exports", policy)),
        checks: Arc::new(Restarts::new("checks", policy)),
    });
    let restarting = kinds.clone();
    let monitor = Monitor::new().should_restart(move |worker, error| {
        restarting.failed(worker.name(), error);
        true
    });
    let monitor = match ctx.state.jobs.clone() {
        JobQueue::Sqlite {
            reports,
            exports,
            checks,
        } => register_workers!(ctx, kinds, monitor, reports, exports, checks),
        JobQueue::Postgres {
            reports,
            exports,
            checks,
        } => register_workers!(ctx, kinds, monitor, reports, exports, checks),
    };
    if let Err(e) = monitor.run_with_signal(stopped(stop)).await {
        tracing::warn!(error = %e, "job workers ended with errors");
    }
}

fn worker_name(base: &str, kind: &str, restarts: usize) -> String {
    if restarts == 0 {
        format!("{base}-{kind}")
    } else {
        format!("{base}-{kind}-{restarts}")
    }
}

/// The before-start hook of a restarted worker: its pause, if any.
async fn pause_for<E>(pause: Option<Duration>) -> Result<(), E> {
    if let Some(pause) = pause {
        tokio::time::sleep(pause).await;
    }
    Ok(())
}

/// The one retry policy, as worker restarts and the planner's warnings use it: the
/// `WORKER_RETRY_BACKOFF_*` delays, never giving up (a worker process outlives an outage).
fn restart_policy(worker: &WorkerSettings) -> Backoff {
    Backoff::new(u32::MAX, worker.backoff_base, worker.backoff_max)
}

/// Durations in logs to the millisecond: `1.234s`, not `1.234567891s`.
fn round_ms(d: Duration) -> Duration {
    Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

struct WorkerKinds {
    reports: Arc<Restarts>,
    exports: Arc<Restarts>,
    checks: Arc<Restarts>,
}

impl WorkerKinds {
    /// apalis' `should_restart` hook: the worker named `name` failed with `error`. Decides its
    /// pause, counts and logs the restart, once.
    fn failed(&self, name: &str, error: &WorkerError) {
        let Some(kind) = [&self.reports, &self.exports, &self.checks]
            .into_iter()
            .find(|k| k.is_named(name))
        else {
            // Cannot happen (every worker is started through `Restarts::starting`); apalis
            // restarts it anyway, at once.
            tracing::error!(worker = name, %error, "an unknown job worker failed");
            return;
        };
        let (failures, pause) = kind.failed(Instant::now());
        crate::metrics::job_worker_restarted(kind.kind);
        tracing::warn!(
            worker = kind.kind,
            name = %name,
            failures,
            retry_in = ?round_ms(pause),
            %error,
            "job worker failed; starting it again after a pause"
        );
    }
}

/// The restarts of one kind of job worker, paced by the one retry policy: the n-th failure in
/// a row pauses `policy.delay(n)` before the worker registers with the database again, so that
/// an outage costs a few attempts that grow apart, not a tight loop. A worker that has run
/// for the longest pause (`policy.max`) since it last registered was healthy: its next
/// failure starts over from the shortest pause.
struct Restarts {
    kind: &'static str,
    policy: Backoff,
    state: Mutex<RestartState>,
}

#[derive(Debug, Default)]
struct RestartState {
    /// The running worker's name (apalis names it anew on each restart).
    name: String,
    /// Failures since the worker last ran healthy.
    failures: u32,
    /// When the running worker registered with the database.
    registered_at: Option<Instant>,
    /// The pause before the next start.
    pause: Option<Duration>,
}

impl RestartState {
    /// The worker failed at `now`: how many failures in a row this is, and the pause before it
    /// starts again.
    fn fail(&mut self, now: Instant, policy: &Backoff) -> (u32, Duration) {
        let healthy = self
            .registered_at
            .take()
            .is_some_and(|at| now.saturating_duration_since(at) >= policy.max);
        if healthy {
            self.failures = 0;
        }
        self.failures = self.failures.saturating_add(1);
        let pause = policy.delay(self.failures);
        self.pause = Some(pause);
        (self.failures, pause)
    }
}

impl Restarts {
    fn new(kind: &'static str, policy: Backoff) -> Self {
        Self {
            kind,
            policy,
            state: Mutex::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, RestartState> {
        // The state stays consistent whatever panicked while holding it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A worker named `name` is being started: the pause it waits first (none at the start).
    fn starting(&self, name: &str) -> Option<Duration> {
        let mut state = self.state();
        name.clone_into(&mut state.name);
        state.pause.take()
    }

    fn is_named(&self, name: &str) -> bool {
        self.state().name == name
    }

    /// The worker registered with the database: the database answers again.
    fn registered(&self, now: Instant) {
        let mut state = self.state();
        state.registered_at = Some(now);
        if state.failures > 0 {
            tracing::info!(
                worker = self.kind,
                name = %state.name,
                failures = state.failures,
                "job worker running again"
            );
        }
    }

    fn failed(&self, now: Instant) -> (u32, Duration) {
        self.state().fail(now, &self.policy)
    }
}

/// How a repeated step's failures are told: the first at once, then fewer and fewer while
/// they go on (the n-th warning waits `policy.delay(n)` after the one before), and the end of
/// the streak once. Times are passed in, so that the pacing is tested without waiting.
#[derive(Debug)]
struct FailureLog {
    policy: Backoff,
    streak: Option<Streak>,
}

#[derive(Debug, Clone, Copy)]
struct Streak {
    since: Instant,
    failures: u32,
    warnings: u32,
    next_warning: Instant,
}

/// What to tell about a failure.
#[derive(Debug, PartialEq)]
enum Told {
    /// The step started failing.
    First,
    /// Still failing: `failures` in a row over `lasted`.
    Again { failures: u32, lasted: Duration },
}

impl FailureLog {
    fn new(policy: Backoff) -> Self {
        Self {
            policy,
            streak: None,
        }
    }

    /// The step failed at `now`: what to tell, if anything.
    fn failed(&mut self, now: Instant) -> Option<Told> {
        let Some(streak) = &mut self.streak else {
            self.streak = Some(Streak {
                since: now,
                failures: 1,
                warnings: 1,
                next_warning: now + self.policy.delay(1),
            });
            return Some(Told::First);
        };
        streak.failures = streak.failures.saturating_add(1);
        if now < streak.next_warning {
            return None;
        }
        streak.warnings = streak.warnings.saturating_add(1);
        streak.next_warning = now + self.policy.delay(streak.warnings);
        Some(Told::Again {
            failures: streak.failures,
            lasted: now.saturating_duration_since(streak.since),
        })
    }

    /// The step worked at `now`: the failures in a row and how long they lasted, if it had
    /// been failing.
    fn succeeded(&mut self, now: Instant) -> Option<(u32, Duration)> {
        self.streak
            .take()
            .map(|s| (s.failures, now.saturating_duration_since(s.since)))
    }
}

async fn stopped(mut stop: watch::Receiver<bool>) -> Result<(), std::io::Error> {
    // A dropped sender means the process is going away: stop too.
    let _ = stop.wait_for(|s| *s).await;
    Ok(())
}

/// Outcomes are recorded in `report_runs`; only a failure to reach the database is an
/// error, so that apalis retries the job.
async fn handle_delivery(job: DeliverReport, ctx: Data<JobContext>) -> Result<(), BoxDynError> {
    let what = format!(
        "report delivery of task #{} (slot {})",
        job.task_id, job.slot
    );
    if let Err(e) = deliver(&ctx, job).await {
        dead_job(&ctx, &what, &e.to_string()).await;
        return Err(e.into());
    }
    Ok(())
}

async fn handle_export(job: ExportChats, ctx: Data<JobContext>) -> Result<(), BoxDynError> {
    if let Err(e) = crate::export::job::run(&ctx, job.export_id).await {
        dead_job(
            &ctx,
            &format!("export #{}", job.export_id),
            &format!("{e:#}"),
        )
        .await;
        return Err(e.into());
    }
    Ok(())
}

async fn handle_check(job: CheckAlert, ctx: Data<JobContext>) -> Result<(), BoxDynError> {
    if let Err(e) = crate::alerts::job::run(&ctx, job.profile_id, job.rule).await {
        dead_job(
            &ctx,
            &format!("alert check {} of profile #{}", job.rule, job.profile_id),
            &format!("{e:#}"),
        )
        .await;
        return Err(e.into());
    }
    Ok(())
}

/// A job that ended in an error (the database failed under it): apalis records it as failed,
/// and the admin hears of it, at most once an hour for all such jobs.
async fn dead_job(ctx: &JobContext, what: &str, error: &str) {
    tracing::error!(job = what, error, "a job failed");
    let text = format!(
        "A background job failed: {} — {}",
        html_escape(what),
        html_escape(error)
    );
    ctx.alerts.raise(AlertCause::DeadJobs, text).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_secs(1);
    const MAX: Duration = Duration::from_secs(30);

    fn policy() -> Backoff {
        Backoff::new(u32::MAX, BASE, MAX)
    }

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn restart_pauses_grow_to_the_cap_while_the_worker_never_registers() {
        let mut state = RestartState::default();
        let mut now = Instant::now();
        let mut pauses = Vec::new();
        for _ in 0..10 {
            let (_, pause) = state.fail(now, &policy());
            pauses.push(pause.as_secs_f64());
            now += pause;
        }
        // base·2ⁿ⁻¹ ±20 %, capped at 30 s ±20 %.
        for (n, pause) in pauses.iter().enumerate() {
            let raw = (2f64.powi(n as i32)).min(30.0);
            assert!(
                (raw * 0.8..=raw * 1.2).contains(pause),
                "pause {n}: {pause} in {pauses:?}"
            );
        }
        assert_eq!(state.failures, 10);
    }

    #[test]
    fn a_worker_that_ran_healthy_starts_over_from_the_shortest_pause() {
        let mut state = RestartState::default();
        let start = Instant::now();
        for _ in 0..6 {
            state.fail(start, &policy());
        }
        // It came back but failed again soon: the pauses keep growing.
        state.registered_at = Some(start);
        let (failures, pause) = state.fail(start + secs(5.0), &policy());
        assert_eq!(failures, 7);
        assert!(pause >= secs(24.0), "{pause:?}");
        // It ran as long as the longest pause: the next failure is a first one.
        state.registered_at = Some(start);
        let (failures, pause) = state.fail(start + MAX, &policy());
        assert_eq!(failures, 1);
        assert!(pause <= secs(1.2), "{pause:?}");
    }

    #[test]
    fn a_three_minute_outage_is_told_about_ten_times_then_its_end_once() {
        let mut log = FailureLog::new(policy());
        let start = Instant::now();
        let mut told = Vec::new();
        // The planner tries every half second for three minutes.
        for tick in 0..360 {
            let now = start + secs(0.5 * f64::from(tick));
            if let Some(t) = log.failed(now) {
                told.push(t);
            }
        }
        assert_eq!(told[0], Told::First);
        // Warnings at about 0, 1, 3, 7, 15, 31, then every 30 s: 11 in 3 minutes, give or
        // take the jitter.
        assert!((9..=13).contains(&told.len()), "{told:?}");
        let Some(Told::Again { failures, lasted }) = told.last() else {
            panic!("{told:?}");
        };
        // The last warning falls in the last interval of up to 30 s plus its jitter.
        assert!(*failures > 240 && *lasted > secs(120.0), "{told:?}");
        let ended = log.succeeded(start + secs(180.0));
        assert_eq!(ended, Some((360, secs(180.0))));
        assert_eq!(log.succeeded(start + secs(181.0)), None, "told once");
        // A new outage starts with a warning at once.
        assert_eq!(log.failed(start + secs(200.0)), Some(Told::First));
    }

    #[test]
    fn worker_names_are_new_on_each_restart() {
        assert_eq!(worker_name("host-1", "reports", 0), "host-1-reports");
        assert_eq!(worker_name("host-1", "reports", 3), "host-1-reports-3");
    }
}
