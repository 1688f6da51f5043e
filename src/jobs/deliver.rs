//! The scheduled delivery job: one slot of one task, as planned under one schedule version.

use chrono::{DateTime, Duration, Utc};
use tracing::Instrument;

use super::{JobContext, JobError, notify};
use crate::avito::AvitoError;
use crate::db::entities::{avito_profile, report_task};
use crate::db::slots::{self, Claim, SlotRun, status};
use crate::db::tasks::RunKind;
use crate::db::{profiles, tasks};
use crate::domain::{RunId, clock};
use crate::i18n::Lang;
use crate::metrics;
use crate::queue::DeliverReport;
use crate::report::model::Failure;
use crate::report::{Period, PeriodKind, ProfileSource, ReportOptions, ReportService};
use crate::schedule::{self, Schedule};
use crate::telegram::{Progress, destination_lost, send_marked, send_pictures};

/// The longest wait between two attempts of a scheduled report.
const REPORT_RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(3600);
/// What one attempt needs at least: building the report and sending it.
const ATTEMPT_ROOM: std::time::Duration = std::time::Duration::from_secs(20);

/// The time a scheduled slot has from its first attempt to the owner's report or failure
/// notice (`REPORT_SLOT_BUDGET_SEC`): retries are planned only while another attempt fits,
/// and each attempt's sources are cut off in time for it to send what arrived.
struct SlotBudget {
    started: DateTime<Utc>,
    ends: DateTime<Utc>,
}

impl SlotBudget {
    fn of(ctx: &JobContext, job: &DeliverReport, slot: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        let started = job
            .first_attempt_at
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .unwrap_or_else(|| slot.max(now));
        let budget = Duration::from_std(ctx.state.settings.jobs.report_slot_budget)
            .unwrap_or(Duration::minutes(5));
        Self {
            started,
            ends: started + budget,
        }
    }

    /// How long this attempt's sources may take: the budget left, less the room to send.
    fn attempt_deadline(&self, now: DateTime<Utc>) -> std::time::Duration {
        let room = Duration::from_std(ATTEMPT_ROOM).unwrap_or(Duration::seconds(20));
        (self.ends - room - now)
            .to_std()
            .unwrap_or_default()
            .max(ATTEMPT_ROOM)
    }

    /// The wait before another attempt, when attempts remain and one still fits the budget.
    fn next_retry(&self, ctx: &JobContext, job: &DeliverReport) -> Option<std::time::Duration> {
        let jobs = &ctx.state.settings.jobs;
        let policy = crate::retry::Backoff::new(
            jobs.report_attempts,
            jobs.report_retry_backoff,
            REPORT_RETRY_MAX,
        );
        if !policy.allows_another(job.attempt + 1) {
            return None;
        }
        let delay = policy.delay(job.attempt + 1);
        let next = clock::now() + Duration::from_std(delay + ATTEMPT_ROOM).ok()?;
        (next <= self.ends).then_some(delay)
    }
}

/// Most slots recorded skipped in one go after a long downtime (older ones are not listed).
const MAX_SKIPPED_RECORDED: usize = 400;

/// What a delivery job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Planned under an older schedule, or the task is off or gone: nothing to do.
    Stale,
    /// The slot was already sent or recorded (a retried or duplicated job).
    AlreadyDone,
    /// Another copy of the job holds the slot.
    Lost,
    /// Another delivery holds the slot and is alive; this job looks again later.
    Busy,
    /// Missed during downtime beyond the grace window, or a later slot is also due.
    Skipped,
    Sent,
    /// Avito failed; another attempt is queued.
    Retrying,
    /// Recorded failed; the owner was told.
    Failed,
    /// The destination refused the bot: the task is paused and the owner told.
    Deactivated,
}

/// Runs one delivery job. (Boxed with `Send` stated here: rustc cannot prove it through
/// the worker's generic layers for an `async fn` that borrows across awaits.)
pub fn deliver(
    ctx: &JobContext,
    job: DeliverReport,
) -> std::pin::Pin<Box<dyn Future<Output = Result<Outcome, JobError>> + Send + '_>> {
    Box::pin(deliver_inner(ctx, job))
}

async fn deliver_inner(ctx: &JobContext, job: DeliverReport) -> Result<Outcome, JobError> {
    let span = tracing::info_span!(
        "deliver_report",
        task_id = job.task_id.0,
        version = job.version,
        slot = job.slot,
        attempt = job.attempt,
        profile_id = tracing::field::Empty,
        chat_id = tracing::field::Empty,
    );
    let outcome = run(ctx, &job).instrument(span.clone()).await;
    span.in_scope(|| match &outcome {
        Ok(outcome) => tracing::info!(?outcome, "delivery job done"),
        Err(e) => tracing::warn!(error = %e, "delivery job failed"),
    });
    outcome
}

/// The loaded task with everything needed to deliver it.
struct Due {
    task: report_task::Model,
    schedule: Schedule,
    slot: DateTime<Utc>,
}

async fn run(ctx: &JobContext, job: &DeliverReport) -> Result<Outcome, JobError> {
    let db = &ctx.state.db;
    let Some(slot) = job.slot_time() else {
        return Ok(Outcome::Stale);
    };
    let Some(task) = tasks::by_id(db, job.task_id).await? else {
        return Ok(Outcome::Stale);
    };
    let span = tracing::Span::current();
    span.record("profile_id", task.profile_id.0);
    if let Some(chat) = task.chat_id {
        span.record("chat_id", chat.0);
    }
    let (Some(chat_id), true, true) = (
        task.chat_id,
        task.is_active,
        task.schedule_version == job.version,
    ) else {
        return Ok(Outcome::Stale);
    };
    let schedule = match schedule::of_task(&task) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "task has an unusable schedule; not delivering");
            return Ok(Outcome::Stale);
        }
    };
    let due = Due {
        task,
        schedule,
        slot,
    };

    // Only the planned attempt judges lateness: retries are late on purpose.
    let now = clock::now();
    let budget = SlotBudget::of(ctx, job, slot, now);
    if job.attempt == 0 && !job.rerun {
        let superseded = due.schedule.next_after(slot).is_some_and(|n| n <= now);
        let grace = Duration::from_std(ctx.state.settings.jobs.missed_report_grace)
            .unwrap_or(Duration::hours(3));
        if superseded || now - slot > grace {
            let reason = if superseded {
                "a later slot was also due"
            } else {
                "missed while the bot was down"
            };
            slots::record_skipped(db, &due.task, slot, reason).await?;
            plan_next(ctx, &due).await?;
            return Ok(Outcome::Skipped);
        }
    }

    let Some(profile) = profiles::find(db, due.task.profile_id).await? else {
        return Ok(Outcome::Stale);
    };
    let lang = notify::user_lang(ctx, profile.owner_id).await;
    let period = period_of(&due);
    // The slot is recorded even when the period setting is damaged (it then fails with the
    // reason): the row needs dates, and the slot's own day is what it covered.
    let recorded = period.clone().unwrap_or_else(|_| since_last_slot(&due));
    let run = SlotRun {
        task_id: due.task.id,
        profile_id: profile.id,
        slot,
        chat_id,
        period_start: recorded.from,
        period_end: recorded.to,
    };
    let lease = claim_lease(ctx);
    let (run_id, attempt, resume) = match slots::claim(db, &run, job.rerun, lease).await? {
        Claim::Claimed {
            run_id,
            attempt,
            resume,
        } => (run_id, attempt, resume),
        Claim::Done { .. } => {
            if !job.rerun {
                plan_next(ctx, &due).await?;
            }
            return Ok(Outcome::AlreadyDone);
        }
        Claim::Lost => return Ok(Outcome::Lost),
        Claim::Busy { until } => {
            let again = DeliverReport {
                recheck: job.recheck + 1,
                ..job.clone()
            };
            ctx.state
                .jobs
                .schedule_delivery(again, until + Duration::seconds(1))
                .await?;
            return Ok(Outcome::Busy);
        }
    };
    tracing::debug!(run_id = run_id.0, attempt, "slot claimed");
    // Renewed while this delivery works (sending may wait in the rate limiter), so that a
    // copy of the job handed to another worker leaves the slot alone.
    let _renewal = Renewal::start(ctx, run_id, attempt, lease);
    let current = Attempt {
        due: &due,
        job,
        budget: &budget,
        profile: &profile,
        run_id,
        lang,
    };

    // A run that got as far as sending keeps its messages: a later attempt (a retry, or
    // after a crash) sends the rest of them, and marks the one whose outcome is unknown.
    let (chunks, start, uncertain) = if let Some(resume) = resume {
        tracing::info!(
            sent = resume.sent,
            of = resume.chunks.len(),
            uncertain = resume.uncertain,
            "resuming a delivery"
        );
        (resume.chunks, resume.sent, resume.uncertain)
    } else {
        let source = ProfileSource::from_profile(&profile, &ctx.state.secrets)
            .map_err(|e| e.to_string())
            .and_then(|source| {
                // A damaged setting is the owner's to set again, never a default.
                let metrics = due.task.metrics.get().map_err(|e| e.to_string())?;
                let period = period.map_err(|e| e.to_string())?;
                Ok((source, metrics.clone(), period))
            });
        let chunks = match source {
            Ok((source, metrics, period)) => {
                let options = ReportOptions {
                    period,
                    metrics,
                    tz: due.schedule.tz,
                    lang,
                    // Sources still silent when the slot's budget runs short are n/a: the
                    // owner gets what arrived, or the failure notice, in time.
                    deadline: Some(budget.attempt_deadline(clock::now())),
                };
                ReportService::new(ctx.state.avito.clone())
                    .profile_report_checked(&source, &options)
                    .await
            }
            Err(e) => {
                slots::finish(db, run_id, status::FAILED, Some(e.clone())).await?;
                notify::report_failed(ctx, &profile, &due.task, slot, lang, &e).await;
                finish_slot(ctx, &due, job).await?;
                return Ok(Outcome::Failed);
            }
        };
        let (chunks, charts) = match chunks {
            Ok(checked) => {
                // Every source answered, so Avito took the keys: a refused-keys mark goes.
                if checked.failures.is_empty()
                    && profile.status == crate::domain::ProfileStatus::AuthFailed
                {
                    crate::keys::worked(ctx, profile.id).await;
                }
                let another_fits = budget.next_retry(ctx, job).is_some();
                match verdict(&checked.failures, checked.all_failed, another_fits) {
                    Verdict::Send => (checked.chunks, checked.charts),
                    Verdict::Retry(reason) => return retry_or_fail(ctx, &current, reason).await,
                    Verdict::Fail(reason) => return fail(ctx, &current, reason).await,
                }
            }
            Err(AvitoError::InvalidCredentials) => {
                let reason = AvitoError::InvalidCredentials.to_string();
                slots::finish(db, run_id, status::FAILED, Some(reason)).await?;
                crate::keys::refused(ctx, &profile).await?;
                finish_slot(ctx, &due, job).await?;
                return Ok(Outcome::Failed);
            }
            Err(e) if e.is_transient() => {
                return retry_or_fail(ctx, &current, e.to_string()).await;
            }
            Err(e) => return fail(ctx, &current, e.to_string()).await,
        };
        slots::freeze_chunks(db, run_id, &chunks).await?;
        // The pictures go once, before the text, on the attempt that made the report: a
        // resumed delivery sends only the rest of its text (the guarantee is the text's).
        if due.task.charts {
            let pictures = crate::report::service::chart_pictures(charts).await;
            if let Err(e) = send_pictures(&ctx.bot, chat_id.into(), &pictures).await {
                tracing::warn!(run_id = run_id.0, error = %e, "the report's charts were not sent; its text goes alone");
            }
        }
        (chunks, 0, false)
    };

    let mut progress = RunProgress { db, run_id };
    let sent = send_marked(
        &ctx.bot,
        chat_id.into(),
        &chunks,
        (start, uncertain),
        lang,
        &mut progress,
    )
    .await?;
    match sent {
        Ok(()) => {
            slots::finish(db, run_id, status::SENT, None).await?;
            metrics::report_sent(RunKind::Scheduled);
            finish_slot(ctx, &due, job).await?;
            Ok(Outcome::Sent)
        }
        Err(e) if destination_lost(&e) => {
            slots::finish(db, run_id, status::FAILED, Some(e.to_string())).await?;
            metrics::report_failed(RunKind::Scheduled);
            tasks::change_schedule(db, &due.task, tasks::ScheduleChange::Active(false)).await?;
            notify::destination_lost(ctx, &profile, &due.task, lang).await;
            Ok(Outcome::Deactivated)
        }
        Err(e) => retry_or_fail(ctx, &current, e.to_string()).await,
    }
}

/// A delivery's progress, kept in its run row (see [`send_marked`]).
struct RunProgress<'a> {
    db: &'a sea_orm::DatabaseConnection,
    run_id: RunId,
}

#[async_trait::async_trait]
impl Progress for RunProgress<'_> {
    type Error = crate::db::DbError;
    async fn sending(&mut self, index: usize) -> Result<(), Self::Error> {
        slots::record_progress(self.db, self.run_id, index, true).await
    }
    async fn accepted(&mut self, count: usize) -> Result<(), Self::Error> {
        slots::record_progress(self.db, self.run_id, count, false).await
    }
    async fn refused(&mut self, index: usize) -> Result<(), Self::Error> {
        slots::record_progress(self.db, self.run_id, index, false).await
    }
}

/// One attempt at a claimed slot, as the failure paths need it.
#[derive(Clone, Copy)]
struct Attempt<'a> {
    due: &'a Due,
    job: &'a DeliverReport,
    budget: &'a SlotBudget,
    profile: &'a avito_profile::Model,
    run_id: RunId,
    lang: Lang,
}

/// A failure that may pass (Avito or Telegram unavailable): another attempt after a backoff
/// while attempts remain, else the run is recorded failed and the owner told once.
async fn retry_or_fail(
    ctx: &JobContext,
    attempt: &Attempt<'_>,
    reason: String,
) -> Result<Outcome, JobError> {
    let Attempt {
        job,
        budget,
        run_id,
        ..
    } = *attempt;
    if let Some(backoff) = budget.next_retry(ctx, job) {
        let db = &ctx.state.db;
        slots::note_retry(db, run_id, reason.clone()).await?;
        let retry = DeliverReport {
            attempt: job.attempt + 1,
            first_attempt_at: Some(budget.started.timestamp()),
            ..job.clone()
        };
        let at = clock::now() + Duration::from_std(backoff).unwrap_or(Duration::minutes(1));
        ctx.state.jobs.schedule_delivery(retry, at).await?;
        tracing::warn!(%reason, retry_in = ?backoff, "delivery failed; retrying");
        return Ok(Outcome::Retrying);
    }
    fail(ctx, attempt, reason).await
}

/// The slot ends failed: recorded, the owner told the reason once, the operator alerted.
async fn fail(
    ctx: &JobContext,
    attempt: &Attempt<'_>,
    reason: String,
) -> Result<Outcome, JobError> {
    let Attempt {
        due,
        job,
        profile,
        run_id,
        lang,
        ..
    } = *attempt;
    let db = &ctx.state.db;
    slots::finish(db, run_id, status::FAILED, Some(reason.clone())).await?;
    metrics::report_failed(RunKind::Scheduled);
    notify::report_failed(ctx, profile, &due.task, due.slot, lang, &reason).await;
    notify::admin_delivery_failed(ctx, profile, &due.task, due.slot, job.attempt + 1, &reason)
        .await;
    finish_slot(ctx, due, job).await?;
    Ok(Outcome::Failed)
}

/// What an attempt does with the report it made.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// Send it: complete, or with n/a and the reason where a source failed for good, or
    /// with what arrived when no other attempt fits.
    Send,
    /// A source may answer later (Avito unavailable, rate limited) and another attempt fits
    /// the slot's budget.
    Retry(String),
    /// Nothing could be fetched: the owner hears why instead of a report of n/a.
    Fail(String),
}

/// Decided on the typed failures: only a transient one is worth another attempt; a refused
/// request (400, 404, …) gives the same answer again, so the slot does not wait for it.
fn verdict(failures: &[Failure], all_failed: bool, another_fits: bool) -> Verdict {
    if another_fits && let Some(transient) = failures.iter().find(|f| f.is_transient()) {
        return Verdict::Retry(transient.to_string());
    }
    match failures.first() {
        Some(first) if all_failed => Verdict::Fail(first.to_string()),
        _ => Verdict::Send,
    }
}

/// After a slot was dealt with: plan the next one (re-runs of old slots plan nothing).
async fn finish_slot(ctx: &JobContext, due: &Due, job: &DeliverReport) -> Result<(), JobError> {
    if job.rerun {
        return Ok(());
    }
    plan_next(ctx, due).await
}

/// Queues the slot after `due.slot` and records it on the task. Slots that are already
/// past with a later one also past are recorded skipped here (after a long downtime), so
/// the queue gets one job, not a burst.
async fn plan_next(ctx: &JobContext, due: &Due) -> Result<(), JobError> {
    let db = &ctx.state.db;
    let now = clock::now();
    let mut next = due.schedule.next_after(due.slot);
    let mut skipped = 0;
    while let Some(n) = next {
        match due.schedule.next_after(n) {
            Some(after) if after <= now => {
                if skipped < MAX_SKIPPED_RECORDED {
                    slots::record_skipped(db, &due.task, n, "missed while the bot was down")
                        .await?;
                }
                skipped += 1;
                next = Some(after);
            }
            _ => break,
        }
    }
    if let Some(n) = next {
        let job = DeliverReport::planned(&due.task, n);
        ctx.state.jobs.schedule_delivery(job, n).await?;
    }
    slots::advance(db, due.task.id, due.task.schedule_version, due.slot, next).await?;
    Ok(())
}

/// How long a claimed slot stays held without renewal.
fn claim_lease(ctx: &JobContext) -> Duration {
    Duration::from_std(ctx.state.settings.jobs.heartbeat_interval * 3)
        .unwrap_or(Duration::seconds(90))
}

/// Renews a claim every third of its lease until dropped.
struct Renewal(tokio::task::JoinHandle<()>);

impl Renewal {
    fn start(ctx: &JobContext, run_id: RunId, attempt: i32, lease: Duration) -> Self {
        let db = ctx.state.db.clone();
        let every = (lease / 3)
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(10));
        Renewal(tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match slots::renew(&db, run_id, attempt).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        tracing::warn!(run_id = run_id.0, error = %e, "could not renew the claim")
                    }
                }
            }
        }))
    }
}

impl Drop for Renewal {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The days a slot's report covers: since the previous slot by default, or the task's
/// fixed period as of the slot.
fn period_of(due: &Due) -> Result<Period, crate::domain::DamagedSetting> {
    Ok(match due.task.period.get()? {
        PeriodKind::SinceLastSlot => since_last_slot(due),
        kind => Period::resolve(*kind, due.schedule.tz, due.slot),
    })
}

/// From the previous slot up to this one.
fn since_last_slot(due: &Due) -> Period {
    let previous = due
        .schedule
        .previous_before(due.slot)
        .unwrap_or(due.slot - Duration::days(1));
    Period::since_slot(previous, due.slot, due.schedule.tz)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unavailable() -> Failure {
        Failure::Unavailable("Avito is unavailable for itemAnalytics after 4 attempts".into())
    }

    fn refused() -> Failure {
        Failure::Other("Avito rejected itemAnalytics (HTTP 400): bad field".into())
    }

    #[test]
    fn a_complete_report_is_sent() {
        assert_eq!(verdict(&[], false, true), Verdict::Send);
    }

    #[test]
    fn a_transient_failure_is_retried_while_another_attempt_fits() {
        let failures = [refused(), unavailable()];
        assert_eq!(
            verdict(&failures, false, true),
            Verdict::Retry(unavailable().to_string())
        );
        assert_eq!(
            verdict(&failures, false, false),
            Verdict::Send,
            "the last attempt sends what it has"
        );
        assert_eq!(
            verdict(&[unavailable()], true, false),
            Verdict::Fail(unavailable().to_string()),
            "nothing to send after the last attempt"
        );
    }

    #[test]
    fn a_permanent_failure_ends_the_slot_at_once() {
        assert_eq!(
            verdict(&[refused()], false, true),
            Verdict::Send,
            "n/a with the reason, no retry"
        );
        assert_eq!(
            verdict(&[refused(), refused()], true, true),
            Verdict::Fail(refused().to_string()),
            "nothing could be fetched: the owner hears why, at once"
        );
    }
}
