//! `avito-reports jobs`: scheduled deliveries as the database records them, and re-running
//! one that failed.

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand, ValueEnum};

use crate::app::open_database;
use crate::config::Settings;
use crate::db::slots::{self, status};
use crate::db::tasks;
use crate::domain::{RunId, clock};
use crate::jobs::{DeliverReport, JobQueue};

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List scheduled deliveries, newest first.
    List(ListArgs),
    /// Queue a failed scheduled delivery again (a running worker delivers it).
    Rerun {
        /// The run id, as `jobs list` shows it.
        run_id: RunId,
    },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only deliveries with this outcome.
    #[arg(long, value_enum)]
    pub status: Option<RunStatus>,
    /// How many to show.
    #[arg(long, default_value_t = 30)]
    pub limit: u64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RunStatus {
    Pending,
    Sent,
    Failed,
    Skipped,
}

impl RunStatus {
    fn status(self) -> crate::domain::RunStatus {
        match self {
            RunStatus::Pending => status::PENDING,
            RunStatus::Sent => status::SENT,
            RunStatus::Failed => status::FAILED,
            RunStatus::Skipped => status::SKIPPED,
        }
    }
}

pub async fn run(command: JobsCommand, settings: &Settings) -> anyhow::Result<()> {
    let db = open_database(settings).await?;
    let outcome = match command {
        JobsCommand::List(args) => list(&db, &args).await,
        JobsCommand::Rerun { run_id } => rerun(&db, settings, run_id).await,
    };
    db.close().await.context("closing the database")?;
    outcome
}

async fn list(db: &sea_orm::DatabaseConnection, args: &ListArgs) -> anyhow::Result<()> {
    let runs = slots::recent(db, args.status.map(RunStatus::status), args.limit).await?;
    if runs.is_empty() {
        println!("no scheduled deliveries recorded");
        return Ok(());
    }
    println!(
        "{:>7}  {:>6}  {:>7}  {:<17}  {:<8}  {:>8}  error",
        "run", "task", "profile", "slot (UTC)", "status", "attempts"
    );
    for r in runs {
        println!(
            "{:>7}  {:>6}  {:>7}  {:<17}  {:<8}  {:>8}  {}",
            r.id,
            r.task_id.map_or("-".into(), |t| t.to_string()),
            r.profile_id.map_or("-".into(), |p| p.to_string()),
            r.slot
                .map_or("-".into(), |s| s.format("%Y-%m-%d %H:%M").to_string()),
            r.status,
            r.attempts,
            r.error.unwrap_or_default()
        );
    }
    Ok(())
}

async fn rerun(
    db: &sea_orm::DatabaseConnection,
    settings: &Settings,
    run_id: RunId,
) -> anyhow::Result<()> {
    let Some(run) = slots::run(db, run_id).await? else {
        bail!("no delivery with run id {run_id}; see `avito-reports jobs list`");
    };
    let (Some(task_id), Some(slot)) = (run.task_id, run.slot) else {
        bail!("run {run_id} is an on-demand report, not a scheduled one: use “Report now”");
    };
    if run.status != status::FAILED {
        bail!(
            "run {run_id} is {}; only a failed delivery can be re-run",
            run.status
        );
    }
    let Some(task) = tasks::by_id(db, task_id).await? else {
        bail!("the task of run {run_id} was deleted with its profile");
    };
    if !task.is_active || task.chat_id.is_none() {
        bail!("task {task_id} is paused or has no report chat; choose one in /profiles first");
    }
    let queue = JobQueue::new(db, &settings.jobs)?;
    let job = DeliverReport {
        rerun: true,
        ..DeliverReport::planned(&task, slot)
    };
    queue.schedule_delivery(job, clock::now()).await?;
    println!("run {run_id} queued again; a running worker delivers it shortly");
    Ok(())
}
