//! Turns report tasks into delivery jobs: a task that is new, changed or re-activated has no
//! planned slot (`next_run_at` is NULL); the planner queues its next slot. After that each
//! delivery job queues its successor, so the planner only looks at unplanned tasks.

use super::{JobContext, JobError};
use crate::db::slots;
use crate::domain::clock;
use crate::queue::DeliverReport;
use crate::schedule;

/// Tasks planned per pass; the next pass takes the rest.
const BATCH: u64 = 500;

/// Plans the unplanned tasks (one batch); returns how many got a job.
pub async fn plan_once(ctx: &JobContext) -> Result<usize, JobError> {
    let db = &ctx.state.db;
    let now = clock::now();
    let mut planned = 0;
    for task in slots::tasks_to_plan(db, BATCH).await? {
        let schedule = match schedule::of_task(&task) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(task_id = task.id.0, error = %e, "task has an unusable schedule");
                continue;
            }
        };
        // A weekly schedule with no weekday never fires.
        let Some(next) = schedule.next_after(now) else {
            continue;
        };
        // Queue first, then record: a crash in between leaves the task unplanned, and the
        // next pass pushes the same job again (a no-op).
        let job = DeliverReport::planned(&task, next);
        ctx.state.jobs.schedule_delivery(job, next).await?;
        if slots::set_planned(db, task.id, task.schedule_version, next).await? {
            tracing::info!(task_id = task.id.0, version = task.schedule_version, %next, "planned");
            planned += 1;
        }
    }
    Ok(planned)
}

/// On start-up: queues the planned slot of every active task again. A push of a job that
/// exists is a no-op, so this only restores jobs lost with an older copy of the queue.
pub async fn reconcile(ctx: &JobContext) -> Result<usize, JobError> {
    let mut pushed = 0;
    for task in slots::planned_tasks(&ctx.state.db).await? {
        let Some(next) = task.next_run_at else {
            continue;
        };
        let job = DeliverReport::planned(&task, next);
        ctx.state.jobs.schedule_delivery(job, next).await?;
        pushed += 1;
    }
    Ok(pushed)
}
