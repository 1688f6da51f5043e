//! Background jobs on the database-backed queue (apalis): scheduled report deliveries and
//! Excel exports, and the planner that turns report tasks into delivery jobs.
//!
//! Delivery is at-least-once underneath (a job may run again after a crash) and exactly
//! once to the user: the `report_runs` row of a (task, slot) is claimed before sending and
//! marked sent right after, so a re-run finds it done.

mod deliver;
mod notify;
mod planner;
mod poll;
mod ports;
mod slot;
pub mod texts;
mod warmup;
mod workers;

pub use crate::queue::{
    DeliverReport, ExportChats, FINISHED_JOBS_KEPT, JobError, JobQueue, depths as queue_depths,
    prune_finished,
};
pub use deliver::{Outcome, deliver};
pub use planner::{plan_once, reconcile};
pub use workers::run_workers;

pub use crate::context::JobContext;
