//! Runs the job workers (under apalis' monitor) and the planner of one process until
//! shutdown. A worker that fails is started again; a job interrupted by a crash goes back to
//! the queue when its worker's heartbeats stop, and runs on another worker.

use std::time::Duration;

use apalis::layers::WorkerBuilderExt;
use apalis::prelude::{BackendExt, BoxDynError, Data, Monitor, WorkerBuilder};
use tokio::sync::watch;

use super::{JobContext, deliver, planner};
use crate::ops::AlertCause;
use crate::queue::{CheckAlert, DeliverReport, ExportChats, JobQueue};
use crate::report::html_escape;

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

/// Plans unplanned tasks every few poll intervals until stopped; now and then also clears
/// long-finished jobs out of the queue's tables.
async fn planner_loop(ctx: JobContext, mut stop: watch::Receiver<bool>) {
    let every = (ctx.state.settings.jobs.poll_interval * 2).max(Duration::from_millis(500));
    let mut last_prune: Option<std::time::Instant> = None;
    let mut checks = crate::alerts::plan::Planner::default();
    loop {
        match planner::plan_once(&ctx).await {
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "planning deliveries failed; retrying"),
        }
        if let Err(e) = checks.plan(&ctx, crate::domain::clock::now()).await {
            tracing::warn!(error = %e, "planning alert checks failed; retrying");
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

/// The delivery and export workers under apalis' [`Monitor`]: a worker that fails is
/// started again under a new name (the old one may still look alive to other processes
/// until its heartbeats stop), and the monitor stops them all when `stop` turns true.
async fn supervise(ctx: JobContext, stop: watch::Receiver<bool>) {
    let base = ctx.state.settings.jobs.worker_name.clone();
    let poll = ctx.state.settings.jobs.poll_interval;
    let concurrency = ctx.state.settings.jobs.concurrency as usize;
    let name = move |kind: &str, restarts: usize| {
        if restarts == 0 {
            format!("{base}-{kind}")
        } else {
            format!("{base}-{kind}-{restarts}")
        }
    };
    let monitor = Monitor::new().should_restart(|worker, error| {
        tracing::warn!(worker = %worker.name(), %error, "job worker failed; starting it again");
        true
    });
    // The SQLite and PostgreSQL storages are different types with the same builder calls.
    macro_rules! workers {
        ($monitor:expr, $reports:expr, $exports:expr, $checks:expr) => {{
            let (reports, exports, checks) = ($reports, $exports, $checks);
            let (report_ctx, export_ctx, check_ctx) = (ctx.clone(), ctx.clone(), ctx.clone());
            let (report_name, export_name, check_name) = (name.clone(), name.clone(), name.clone());
            $monitor
                .register(move |restarts| {
                    WorkerBuilder::new(report_name("reports", restarts))
                        .backend(reports.clone().poll_with_interval(poll))
                        .data(report_ctx.clone())
                        .concurrency(concurrency)
                        .build(handle_delivery)
                })
                .register(move |restarts| {
                    WorkerBuilder::new(export_name("exports", restarts))
                        .backend(exports.clone().poll_with_interval(poll))
                        .data(export_ctx.clone())
                        .concurrency(concurrency)
                        .build(handle_export)
                })
                .register(move |restarts| {
                    WorkerBuilder::new(check_name("checks", restarts))
                        .backend(checks.clone().poll_with_interval(poll))
                        .data(check_ctx.clone())
                        .concurrency(concurrency)
                        .build(handle_check)
                })
        }};
    }
    let monitor = match ctx.state.jobs.clone() {
        JobQueue::Sqlite {
            reports,
            exports,
            checks,
        } => workers!(monitor, reports, exports, checks),
        JobQueue::Postgres {
            reports,
            exports,
            checks,
        } => workers!(monitor, reports, exports, checks),
    };
    if let Err(e) = monitor.run_with_signal(stopped(stop)).await {
        tracing::warn!(error = %e, "job workers ended with errors");
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
