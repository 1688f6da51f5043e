//! Runs the job workers and the planner of one process until shutdown. A worker whose queue
//! connection fails is started again after a pause; a job interrupted by a crash goes back
//! to the queue when its worker's heartbeats stop, and runs on another worker.

use std::time::Duration;

use apalis::layers::WorkerBuilderExt;
use apalis::prelude::{BackendExt, BoxDynError, Data, WorkerBuilder};
use tokio::sync::watch;

use super::{JobContext, deliver, planner};
use crate::ops::AlertCause;
use crate::queue::{DeliverReport, ExportChats, JobQueue};
use crate::report::html_escape;

/// How often finished jobs are cleared out of the queue's tables.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Pause before a failed worker is started again.
const RESTART_PAUSE: Duration = Duration::from_secs(2);

/// Runs the delivery and export workers and the planner until `stop` turns true.
pub async fn run_workers(ctx: JobContext, stop: watch::Receiver<bool>) {
    match planner::reconcile(&ctx).await {
        Ok(n) if n > 0 => tracing::info!(jobs = n, "planned deliveries queued again"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not re-queue planned deliveries"),
    }
    tokio::join!(
        planner_loop(ctx.clone(), stop.clone()),
        supervise("reports", ctx.clone(), stop.clone()),
        supervise("exports", ctx, stop),
    );
    tracing::info!("job workers stopped");
}

/// Plans unplanned tasks every few poll intervals until stopped; now and then also clears
/// long-finished jobs out of the queue's tables.
async fn planner_loop(ctx: JobContext, mut stop: watch::Receiver<bool>) {
    let every = (ctx.state.settings.jobs.poll_interval * 2).max(Duration::from_millis(500));
    let mut last_prune: Option<std::time::Instant> = None;
    loop {
        match planner::plan_once(&ctx).await {
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "planning deliveries failed; retrying"),
        }
        if last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            last_prune = Some(std::time::Instant::now());
            match super::prune_finished(&ctx.state.db, super::FINISHED_JOBS_KEPT).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(jobs = n, "finished jobs cleared from the queue"),
                Err(e) => tracing::warn!(error = %e, "clearing finished jobs failed"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

async fn supervise(kind: &'static str, ctx: JobContext, mut stop: watch::Receiver<bool>) {
    let base = ctx.state.settings.jobs.worker_name.clone();
    for generation in 0u32.. {
        // A restarted worker takes a new name: the old one may still look alive to others.
        let name = if generation == 0 {
            format!("{base}-{kind}")
        } else {
            format!("{base}-{kind}-{generation}")
        };
        let result = match kind {
            "reports" => report_worker(ctx.clone(), name.clone(), stop.clone()).await,
            _ => export_worker(ctx.clone(), name.clone(), stop.clone()).await,
        };
        if *stop.borrow() {
            return;
        }
        match result {
            Ok(()) => tracing::warn!(worker = %name, "job worker ended; starting it again"),
            Err(e) => {
                tracing::warn!(worker = %name, error = %e, "job worker failed; starting it again")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(RESTART_PAUSE) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

async fn stopped(mut stop: watch::Receiver<bool>) -> Result<(), std::io::Error> {
    // A dropped sender means the process is going away: stop too.
    let _ = stop.wait_for(|s| *s).await;
    Ok(())
}

/// A worker run as an owned future: rustc cannot prove `Send` for the worker's generic
/// layers through borrowed state, so everything the worker uses is moved in.
type WorkerRun = std::pin::Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// Builds and runs one worker on `$storage` with `$handler` (the SQLite and PostgreSQL
/// storages are different types with the same builder calls).
macro_rules! run_worker {
    ($ctx:expr, $name:expr, $stop:expr, $storage:expr, $handler:expr) => {{
        let ctx: JobContext = $ctx;
        let storage = $storage;
        let name: String = $name;
        let stop: watch::Receiver<bool> = $stop;
        Box::pin(async move {
            let poll = ctx.state.settings.jobs.poll_interval;
            let concurrency = ctx.state.settings.jobs.concurrency as usize;
            WorkerBuilder::new(name)
                .backend(storage.poll_with_interval(poll))
                .data(ctx)
                .concurrency(concurrency)
                .build($handler)
                .run_until(stopped(stop))
                .await
                .map_err(|e| e.to_string())
        })
    }};
}

fn report_worker(ctx: JobContext, name: String, stop: watch::Receiver<bool>) -> WorkerRun {
    match ctx.state.jobs.clone() {
        JobQueue::Sqlite { reports, .. } => run_worker!(ctx, name, stop, reports, handle_delivery),
        JobQueue::Postgres { reports, .. } => {
            run_worker!(ctx, name, stop, reports, handle_delivery)
        }
    }
}

fn export_worker(ctx: JobContext, name: String, stop: watch::Receiver<bool>) -> WorkerRun {
    match ctx.state.jobs.clone() {
        JobQueue::Sqlite { exports, .. } => run_worker!(ctx, name, stop, exports, handle_export),
        JobQueue::Postgres { exports, .. } => run_worker!(ctx, name, stop, exports, handle_export),
    }
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
