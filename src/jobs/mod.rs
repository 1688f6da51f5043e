//! Background jobs on the database-backed queue (apalis): scheduled report deliveries and
//! Excel exports, and the planner that turns report tasks into delivery jobs.
//!
//! Delivery is at-least-once underneath (a job may run again after a crash) and exactly
//! once to the user: the `report_runs` row of a (task, slot) is claimed before sending and
//! marked sent right after, so a re-run finds it done.

mod deliver;
mod notify;
mod planner;
mod queue;
pub mod texts;
mod workers;

pub use deliver::{Outcome, deliver};
pub use planner::{plan_once, reconcile};
pub use queue::{
    DeliverReport, ExportChats, FINISHED_JOBS_KEPT, JobQueue, depths as queue_depths,
    prune_finished,
};
pub use workers::run_workers;

use crate::bot::{AppState, TgBot};
use crate::ops::AdminAlerts;

/// What a job needs: the application's state, the process' one throttled bot, and the
/// de-duplicated alerts to the operator.
#[derive(Clone)]
pub struct JobContext {
    pub state: AppState,
    pub bot: TgBot,
    pub alerts: AdminAlerts,
}

impl JobContext {
    /// Alerts go to `ADMIN_CHAT_ID` through `bot`, at most one per cause per hour.
    pub fn new(state: AppState, bot: TgBot) -> Self {
        let alerts = AdminAlerts::new(state.db.clone(), bot.clone(), state.settings.admin_chat_id);
        Self { state, bot, alerts }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("the job queue does not support the {0} database")]
    Unsupported(String),
    #[error("queueing a job failed: {0}")]
    Push(String),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}
