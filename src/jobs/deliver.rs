//! The scheduled delivery job: one slot of one task, as planned under one schedule version.
//! What to do is decided in [`super::slot`] (pure); this file loads, claims and carries out.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, Utc};
use tracing::Instrument;

use super::notify;
use super::ports::{BotSender, DbSlots, Reports, RunProgress, Sender, SlotStore};
use super::slot::{self, After, Sending, SlotBudget, Start, Trouble, Verdict};
use crate::context::JobContext;
use crate::db::DbError;
use crate::db::entities::{avito_profile, report_task};
use crate::db::slots::{self, Claim, ClaimToken, Fenced, Resume, SlotRun, status};
use crate::db::tasks::RunKind;
use crate::db::{profiles, tasks};
use crate::domain::{ChatId, clock};
use crate::i18n::Lang;
use crate::metrics;
use crate::queue::{DeliverReport, JobError};
use crate::report::{Period, PeriodKind, ProfileSource, ReportOptions, ReportService};
use crate::schedule::{self, Schedule};

/// The longest wait between two attempts of a scheduled report.
const REPORT_RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(3600);

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
    chat_id: ChatId,
}

async fn run(ctx: &JobContext, job: &DeliverReport) -> Result<Outcome, JobError> {
    let db = &ctx.state.db;
    let Some(due) = load(ctx, job).await? else {
        return Ok(Outcome::Stale);
    };
    let now = clock::now();
    let jobs = &ctx.state.settings.jobs;
    let budget = SlotBudget::of(job.first_attempt_at, due.slot, now, jobs.report_slot_budget);
    let planned = job.attempt == 0 && !job.rerun;
    let next_slot = due.schedule.next_after(due.slot);
    if let Some(skip) = slot::lateness(planned, due.slot, next_slot, now, jobs.missed_report_grace)
    {
        slots::record_skipped(db, &due.task, due.slot, skip.reason()).await?;
        plan_next(ctx, &due).await?;
        return Ok(Outcome::Skipped);
    }
    let Some(profile) = profiles::find(db, due.task.profile_id).await? else {
        return Ok(Outcome::Stale);
    };
    let lang = notify::user_lang(ctx, profile.owner_id).await;
    let period = period_of(&due);
    let (token, resume) = match claim(ctx, job, &due, &profile, &period).await? {
        Claimed::Yes(token, resume) => (token, resume),
        Claimed::No(outcome) => return Ok(outcome),
    };
    tracing::debug!(
        run_id = token.run.0,
        attempt = token.attempt,
        "slot claimed"
    );
    // Raised when the claim is found taken over: by the renewal, or by a fenced write.
    let lost = Arc::new(AtomicBool::new(false));
    // Renewed while this delivery works (sending may wait in the rate limiter), so that a
    // copy of the job handed to another worker leaves the slot alone.
    let _renewal = Renewal::start(ctx, token, claim_lease(ctx), lost.clone());
    let current = Attempt {
        due: &due,
        job,
        budget: &budget,
        profile: &profile,
        token,
        lost: &lost,
        lang,
    };
    match carry_out(ctx, &current, resume, period).await {
        // A delivery paused past its lease (a GC pause, a suspended VM) was taken over: it
        // stopped before its next send and recorded nothing; the other one owns the run.
        Err(JobError::Db(DbError::ClaimLost)) => {
            tracing::warn!(
                run_id = token.run.0,
                attempt = token.attempt,
                "the claim was taken over by another delivery; stopping"
            );
            Ok(Outcome::Lost)
        }
        done => done,
    }
}

/// Builds or resumes the claimed slot's messages and sends them.
async fn carry_out(
    ctx: &JobContext,
    current: &Attempt<'_>,
    resume: Option<Resume>,
    period: Result<Period, crate::domain::DamagedSetting>,
) -> Result<Outcome, JobError> {
    let sending = match slot::start(resume) {
        Start::Resume(sending) => {
            tracing::info!(
                sent = sending.from,
                of = sending.chunks.len(),
                uncertain = sending.marked,
                "resuming a delivery"
            );
            sending
        }
        Start::Build => match build(ctx, current, period).await? {
            Ok(sending) => sending,
            Err(after) => return conclude(ctx, current, after).await,
        },
    };
    send(ctx, current, &sending).await
}

/// The task of `job`, when it is still to be delivered as planned (on, same schedule version,
/// a destination and a usable schedule).
async fn load(ctx: &JobContext, job: &DeliverReport) -> Result<Option<Due>, JobError> {
    let Some(slot) = job.slot_time() else {
        return Ok(None);
    };
    let Some(task) = tasks::by_id(&ctx.state.db, job.task_id).await? else {
        return Ok(None);
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
        return Ok(None);
    };
    let schedule = match schedule::of_task(&task) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "task has an unusable schedule; not delivering");
            return Ok(None);
        }
    };
    Ok(Some(Due {
        task,
        schedule,
        slot,
        chat_id,
    }))
}

/// Whether this job holds the slot now.
enum Claimed {
    Yes(ClaimToken, Option<Resume>),
    /// Done, held by another copy, or busy (looked at again later).
    No(Outcome),
}

/// Claims the slot's run row: this job delivers it, or it is done, lost, or busy.
async fn claim(
    ctx: &JobContext,
    job: &DeliverReport,
    due: &Due,
    profile: &avito_profile::Model,
    period: &Result<Period, crate::domain::DamagedSetting>,
) -> Result<Claimed, JobError> {
    // The slot is recorded even when the period setting is damaged (it then fails with the
    // reason): the row needs dates, and the slot's own day is what it covered.
    let recorded = period
        .clone()
        .unwrap_or_else(|_| since_last_slot(&due.schedule, due.slot));
    let run = SlotRun {
        task_id: due.task.id,
        profile_id: profile.id,
        slot: due.slot,
        chat_id: due.chat_id,
        period_start: recorded.from,
        period_end: recorded.to,
    };
    let claim = slots::claim(&ctx.state.db, &run, job.rerun, claim_lease(ctx)).await?;
    Ok(match claim {
        Claim::Claimed {
            run_id,
            attempt,
            resume,
        } => Claimed::Yes(
            ClaimToken {
                run: run_id,
                attempt,
            },
            resume,
        ),
        Claim::Done { .. } => {
            if !job.rerun {
                plan_next(ctx, due).await?;
            }
            Claimed::No(Outcome::AlreadyDone)
        }
        Claim::Lost => Claimed::No(Outcome::Lost),
        Claim::Busy { until } => {
            let again = DeliverReport {
                recheck: job.recheck + 1,
                ..job.clone()
            };
            let at = until + Duration::seconds(1);
            ctx.state.jobs.schedule_delivery(again, at).await?;
            Claimed::No(Outcome::Busy)
        }
    })
}

/// Makes the report (see [`make`]) from the task's inputs. `Err`: how the slot goes on
/// instead.
async fn build(
    ctx: &JobContext,
    attempt: &Attempt<'_>,
    period: Result<Period, crate::domain::DamagedSetting>,
) -> Result<Result<Sending, After>, JobError> {
    let Attempt {
        due,
        profile,
        token,
        ..
    } = *attempt;
    let (source, options) = match report_inputs(ctx, attempt, period) {
        Ok(inputs) => inputs,
        Err(e) => return Ok(Err(slot::after(Trouble::Unusable(e), None))),
    };
    let reports = ReportService::new(ctx.state.avito.clone()).with_history(ctx.state.db.clone());
    let ports = Ports {
        store: &attempt.store(ctx),
        sender: &BotSender(&ctx.bot),
        reports: &reports,
    };
    let order = Order {
        run: token,
        chat: due.chat_id,
        charts: due.task.charts,
        budget: *attempt.budget,
        backoff: backoff(ctx, attempt.job),
    };
    let made = make(&ports, &order, &source, &options).await?;
    // Every source answered, so Avito took the keys: a refused-keys mark goes.
    if made.every_source_answered && profile.status == crate::domain::ProfileStatus::AuthFailed {
        crate::keys::worked(ctx, profile.id).await;
    }
    Ok(made.next)
}

/// The doors a delivery goes through.
struct Ports<'a, S, T, R> {
    store: &'a S,
    sender: &'a T,
    reports: &'a R,
}

/// What making a slot's report needs besides its inputs.
struct Order {
    run: ClaimToken,
    chat: ChatId,
    /// The task sends pictures.
    charts: bool,
    budget: SlotBudget,
    /// The wait before another attempt, when attempts remain (whether it fits is decided
    /// when the report is made).
    backoff: Option<std::time::Duration>,
}

/// What making the report came to.
struct Made {
    /// The messages to send, or how the slot goes on instead.
    next: Result<Sending, After>,
    every_source_answered: bool,
}

/// Makes the report, decides on its failures ([`slot::verdict`]), freezes its messages on
/// the run (a later attempt resumes them) and sends its pictures, once.
async fn make<S: SlotStore, T: Sender, R: Reports>(
    ports: &Ports<'_, S, T, R>,
    order: &Order,
    source: &ProfileSource,
    options: &ReportOptions,
) -> Result<Made, crate::db::DbError> {
    let next_retry = || order.budget.next_retry(order.backoff, clock::now());
    let checked = match ports.reports.report(source, options).await {
        Ok(checked) => checked,
        Err(e) => {
            let next = slot::after(Trouble::of_avito(&e), next_retry());
            return Ok(Made {
                next: Err(next),
                every_source_answered: false,
            });
        }
    };
    let every_source_answered = checked.failures.is_empty();
    let next = next_retry();
    let trouble = match slot::verdict(&checked.failures, checked.all_failed, next.is_some()) {
        Verdict::Send => None,
        Verdict::Retry(reason) => Some(Trouble::Passing(reason)),
        Verdict::Fail(reason) => Some(Trouble::Lasting(reason)),
    };
    if let Some(trouble) = trouble {
        return Ok(Made {
            next: Err(slot::after(trouble, next)),
            every_source_answered,
        });
    }
    ports.store.freeze(order.run, &checked.chunks).await?;
    // The pictures go once, before the text, on the attempt that made the report: a
    // resumed delivery sends only the rest of its text (the guarantee is the text's).
    if order.charts {
        let pictures = ports.reports.pictures(checked.charts).await;
        if let Err(e) = ports.sender.pictures(order.chat, &pictures).await {
            tracing::warn!(run_id = order.run.run.0, error = %e, "the report's charts were not sent; its text goes alone");
        }
    }
    Ok(Made {
        next: Ok(slot::fresh(checked.chunks)),
        every_source_answered,
    })
}

/// What the report is made of: the profile's source and the task's options. A damaged
/// setting is the owner's to set again, never a default.
fn report_inputs(
    ctx: &JobContext,
    attempt: &Attempt<'_>,
    period: Result<Period, crate::domain::DamagedSetting>,
) -> Result<(ProfileSource, ReportOptions), String> {
    let Attempt {
        due,
        budget,
        profile,
        lang,
        ..
    } = *attempt;
    let source =
        ProfileSource::from_profile(profile, &ctx.state.secrets).map_err(|e| e.to_string())?;
    let metrics = due.task.metrics.get().map_err(|e| e.to_string())?.clone();
    let period = period.map_err(|e| e.to_string())?;
    let options = ReportOptions {
        period,
        metrics,
        tz: due.schedule.tz,
        lang,
        // Sources still silent when the slot's budget runs short are n/a: the owner gets
        // what arrived, or the failure notice, in time.
        deadline: Some(budget.attempt_deadline(clock::now())),
        listings: crate::listings::fetch::Reuse::scheduled(profile.listing_pages),
    };
    Ok((source, options))
}

/// Sends the messages (see [`transmit`]) and carries out what follows.
async fn send(
    ctx: &JobContext,
    attempt: &Attempt<'_>,
    sending: &Sending,
) -> Result<Outcome, JobError> {
    let Attempt {
        due, token, lang, ..
    } = *attempt;
    let store = attempt.store(ctx);
    let sender = BotSender(&ctx.bot);
    match transmit(&store, &sender, token, due.chat_id, sending, lang).await? {
        Ok(()) => {
            metrics::report_sent(RunKind::Scheduled);
            finish_slot(ctx, due, attempt.job).await?;
            Ok(Outcome::Sent)
        }
        Err(trouble) => {
            let next = attempt
                .budget
                .next_retry(backoff(ctx, attempt.job), clock::now());
            conclude(ctx, attempt, slot::after(trouble, next)).await
        }
    }
}

/// Sends `sending` with its progress kept in the run, which is recorded sent when all went.
async fn transmit<S: SlotStore, T: Sender>(
    store: &S,
    sender: &T,
    run: ClaimToken,
    chat: ChatId,
    sending: &Sending,
    lang: Lang,
) -> Result<Result<(), Trouble>, crate::db::DbError> {
    let mut progress = RunProgress { store, run };
    let sent = sender.send(chat, sending, lang, &mut progress).await?;
    if sent.is_ok() {
        store.finish(run, status::SENT, None).await?;
    }
    Ok(sent)
}

/// One attempt at a claimed slot, as the failure paths need it.
#[derive(Clone, Copy)]
struct Attempt<'a> {
    due: &'a Due,
    job: &'a DeliverReport,
    budget: &'a SlotBudget,
    profile: &'a avito_profile::Model,
    token: ClaimToken,
    /// Raised once the claim is found taken over (see [`DbSlots`]).
    lost: &'a AtomicBool,
    lang: Lang,
}

impl Attempt<'_> {
    /// The run's record, fenced by this attempt's claim.
    fn store<'a>(&'a self, ctx: &'a JobContext) -> DbSlots<'a> {
        DbSlots {
            db: &ctx.state.db,
            lost: self.lost,
        }
    }
}

/// The wait before another attempt of `job`, when attempts remain (its jitter drawn now).
fn backoff(ctx: &JobContext, job: &DeliverReport) -> Option<std::time::Duration> {
    let jobs = &ctx.state.settings.jobs;
    let policy = crate::retry::Backoff::new(
        jobs.report_attempts,
        jobs.report_retry_backoff,
        REPORT_RETRY_MAX,
    );
    let failures = job.attempt + 1;
    policy
        .allows_another(failures)
        .then(|| policy.delay(failures))
}

/// Carries out how the slot goes on after a trouble.
async fn conclude(
    ctx: &JobContext,
    attempt: &Attempt<'_>,
    after: After,
) -> Result<Outcome, JobError> {
    let Attempt {
        due,
        job,
        budget,
        profile,
        token,
        lang,
        ..
    } = *attempt;
    let db = &ctx.state.db;
    let store = attempt.store(ctx);
    match after {
        After::Retry { wait, reason } => {
            slots::note_retry(db, token, reason.clone())
                .await?
                .applied()?;
            let retry = DeliverReport {
                attempt: job.attempt + 1,
                first_attempt_at: Some(budget.started.timestamp()),
                ..job.clone()
            };
            let at = clock::now() + Duration::from_std(wait).unwrap_or(Duration::minutes(1));
            ctx.state.jobs.schedule_delivery(retry, at).await?;
            tracing::warn!(%reason, retry_in = ?wait, "delivery failed; retrying");
            Ok(Outcome::Retrying)
        }
        After::Fail(reason) => fail(ctx, attempt, reason).await,
        After::FailUnusable(reason) => {
            store
                .finish(token, status::FAILED, Some(reason.clone()))
                .await?;
            notify::report_failed(ctx, profile, &due.task, due.slot, lang, &reason).await;
            finish_slot(ctx, due, job).await?;
            Ok(Outcome::Failed)
        }
        After::KeysRefused(reason) => {
            store.finish(token, status::FAILED, Some(reason)).await?;
            crate::keys::refused(ctx, profile).await?;
            finish_slot(ctx, due, job).await?;
            Ok(Outcome::Failed)
        }
        After::Deactivate(reason) => {
            store.finish(token, status::FAILED, Some(reason)).await?;
            metrics::report_failed(RunKind::Scheduled);
            tasks::change_schedule(db, &due.task, tasks::ScheduleChange::Active(false)).await?;
            notify::destination_lost(ctx, profile, &due.task, lang).await;
            Ok(Outcome::Deactivated)
        }
    }
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
        token,
        lang,
        ..
    } = *attempt;
    let store = attempt.store(ctx);
    store
        .finish(token, status::FAILED, Some(reason.clone()))
        .await?;
    metrics::report_failed(RunKind::Scheduled);
    notify::report_failed(ctx, profile, &due.task, due.slot, lang, &reason).await;
    notify::admin_delivery_failed(ctx, profile, &due.task, due.slot, job.attempt + 1, &reason)
        .await;
    finish_slot(ctx, due, job).await?;
    Ok(Outcome::Failed)
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

/// Renews a claim every third of its lease until dropped; raises `lost` when it finds the
/// claim taken over, so the delivery stops before its next send.
struct Renewal(tokio::task::JoinHandle<()>);

impl Renewal {
    fn start(ctx: &JobContext, token: ClaimToken, lease: Duration, lost: Arc<AtomicBool>) -> Self {
        let db = ctx.state.db.clone();
        let every = (lease / 3)
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(10));
        Renewal(tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match slots::renew(&db, token).await {
                    Ok(Fenced::Applied) => {}
                    // Also seen when the delivery has just finished its run (the renewal
                    // ends with it): the delivery says so when it stops for this.
                    Ok(Fenced::ClaimLost) => {
                        tracing::debug!(run_id = token.run.0, "the claim is no longer held");
                        lost.store(true, Ordering::Release);
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(run_id = token.run.0, error = %e, "could not renew the claim")
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
    slot_period(&due.task, &due.schedule, due.slot)
}

/// The days the report of `task`'s slot at `slot` covers (the warm-up asks for the same).
pub fn slot_period(
    task: &report_task::Model,
    schedule: &Schedule,
    slot: DateTime<Utc>,
) -> Result<Period, crate::domain::DamagedSetting> {
    Ok(match task.period.get()? {
        PeriodKind::SinceLastSlot => since_last_slot(schedule, slot),
        kind => Period::resolve(*kind, schedule.tz, slot),
    })
}

/// From the previous slot up to this one.
fn since_last_slot(schedule: &Schedule, slot: DateTime<Utc>) -> Period {
    let previous = schedule
        .previous_before(slot)
        .unwrap_or(slot - Duration::days(1));
    Period::since_slot(previous, slot, schedule.tz)
}

/// The steps over fakes of their ports: what is recorded and sent, without a database or
/// an emulator.
#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use chrono::TimeZone;

    use super::*;
    use crate::avito::{AvitoError, AvitoResult, Credentials};
    use crate::domain::RunId;
    use crate::report::charts::NamedChart;
    use crate::report::model::Failure;
    use crate::report::service::CheckedReport;
    use crate::telegram::Progress;

    /// Records what the steps did, in order.
    #[derive(Default)]
    struct Log(Mutex<Vec<String>>);

    impl Log {
        fn push(&self, event: String) {
            self.0.lock().expect("log").push(event);
        }
        fn events(&self) -> Vec<String> {
            self.0.lock().expect("log").clone()
        }
    }

    #[async_trait::async_trait]
    impl SlotStore for Log {
        async fn freeze(&self, _: ClaimToken, chunks: &[String]) -> Result<(), crate::db::DbError> {
            self.push(format!("freeze {}", chunks.len()));
            Ok(())
        }
        async fn progress(
            &self,
            _: ClaimToken,
            count: usize,
            sending: bool,
        ) -> Result<(), crate::db::DbError> {
            self.push(format!("progress {count} {sending}"));
            Ok(())
        }
        async fn finish(
            &self,
            _: ClaimToken,
            outcome: crate::domain::RunStatus,
            _: Option<String>,
        ) -> Result<(), crate::db::DbError> {
            self.push(format!("finish {outcome:?}"));
            Ok(())
        }
    }

    /// Telegram accepting `accepts` messages, then failing with `then` (if any is left).
    struct FakeSender<'a> {
        log: &'a Log,
        accepts: usize,
        then: Trouble,
    }

    #[async_trait::async_trait]
    impl Sender for FakeSender<'_> {
        async fn send<P: Progress<Error = crate::db::DbError>>(
            &self,
            _: ChatId,
            sending: &Sending,
            _: Lang,
            progress: &mut P,
        ) -> Result<Result<(), Trouble>, crate::db::DbError> {
            for i in sending.from..sending.chunks.len() {
                progress.sending(i).await?;
                if i >= self.accepts {
                    return Ok(Err(self.then.clone()));
                }
                let mark = if sending.marked && i == sending.from {
                    "🔁 "
                } else {
                    ""
                };
                self.log.push(format!("sent {mark}{}", sending.chunks[i]));
                progress.accepted(i + 1).await?;
            }
            Ok(Ok(()))
        }
        async fn pictures(&self, _: ChatId, pictures: &[(String, Vec<u8>)]) -> Result<(), String> {
            self.log.push(format!("pictures {}", pictures.len()));
            Ok(())
        }
    }

    /// Avito answering the same every time.
    struct FakeReports(fn() -> AvitoResult<CheckedReport>);

    #[async_trait::async_trait]
    impl Reports for FakeReports {
        async fn report(&self, _: &ProfileSource, _: &ReportOptions) -> AvitoResult<CheckedReport> {
            (self.0)()
        }
        async fn pictures(&self, charts: Vec<NamedChart>) -> Vec<(String, Vec<u8>)> {
            charts
                .iter()
                .map(|_| ("chart.png".into(), Vec::new()))
                .collect()
        }
    }

    fn token() -> ClaimToken {
        ClaimToken {
            run: RunId(7),
            attempt: 1,
        }
    }

    /// A run whose claim another delivery takes over after `writes` writes: each later
    /// write applies nothing.
    struct TakenOver<'a> {
        log: &'a Log,
        writes: Mutex<usize>,
    }

    impl TakenOver<'_> {
        fn write(&self, event: String) -> Result<(), crate::db::DbError> {
            let mut left = self.writes.lock().expect("writes");
            if *left == 0 {
                self.log.push(format!("lost at {event}"));
                return Err(crate::db::DbError::ClaimLost);
            }
            *left -= 1;
            self.log.push(event);
            Ok(())
        }
    }

    #[async_trait::async_trait]
    impl SlotStore for TakenOver<'_> {
        async fn freeze(&self, _: ClaimToken, chunks: &[String]) -> Result<(), crate::db::DbError> {
            self.write(format!("freeze {}", chunks.len()))
        }
        async fn progress(
            &self,
            _: ClaimToken,
            count: usize,
            sending: bool,
        ) -> Result<(), crate::db::DbError> {
            self.write(format!("progress {count} {sending}"))
        }
        async fn finish(
            &self,
            _: ClaimToken,
            outcome: crate::domain::RunStatus,
            _: Option<String>,
        ) -> Result<(), crate::db::DbError> {
            self.write(format!("finish {outcome:?}"))
        }
    }

    /// Sends 3 messages over a store whose claim is lost after `writes` writes.
    async fn transmit_losing(writes: usize) -> (Result<(), crate::db::DbError>, Vec<String>) {
        let log = Log::default();
        let store = TakenOver {
            log: &log,
            writes: Mutex::new(writes),
        };
        let sender = FakeSender {
            log: &log,
            accepts: usize::MAX,
            then: Trouble::Passing("never".into()),
        };
        let sending = slot::fresh(chunks(3));
        let sent = transmit(&store, &sender, token(), ChatId(1), &sending, Lang::En).await;
        (sent.map(|_| ()), log.events())
    }

    #[tokio::test]
    async fn a_claim_lost_before_a_send_stops_the_delivery_there_unfinished() {
        // Taken over while part 1 waited: part 1 is not sent, nothing is finished.
        let (sent, events) = transmit_losing(2).await;
        assert!(matches!(sent, Err(crate::db::DbError::ClaimLost)));
        assert_eq!(
            events,
            [
                "progress 0 true",
                "sent part 0",
                "progress 1 false",
                "lost at progress 1 true",
            ]
        );
    }

    #[tokio::test]
    async fn a_claim_lost_during_a_send_sends_no_more_and_records_nothing() {
        // Paused inside part 1 past the lease: what Telegram took stays, part 2 never goes,
        // and the run is left to the delivery that took it over.
        let (sent, events) = transmit_losing(3).await;
        assert!(matches!(sent, Err(crate::db::DbError::ClaimLost)));
        assert_eq!(
            events.last().map(String::as_str),
            Some("lost at progress 2 false")
        );
        assert!(!events.iter().any(|e| e == "sent part 2"));
        assert!(!events.iter().any(|e| e.contains("finish")));
    }

    #[tokio::test]
    async fn a_claim_lost_at_the_end_is_not_recorded_sent() {
        let (sent, events) = transmit_losing(6).await;
        assert!(matches!(sent, Err(crate::db::DbError::ClaimLost)));
        assert_eq!(
            events.last().map(String::as_str),
            Some("lost at finish Sent")
        );
    }

    fn chunks(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("part {i}")).collect()
    }

    fn complete() -> AvitoResult<CheckedReport> {
        Ok(CheckedReport {
            chunks: chunks(2),
            charts: Vec::new(),
            failures: Vec::new(),
            all_failed: false,
        })
    }

    fn nothing_fetched() -> AvitoResult<CheckedReport> {
        Ok(CheckedReport {
            chunks: chunks(1),
            charts: Vec::new(),
            failures: vec![Failure::Unavailable("Avito is unavailable".into())],
            all_failed: true,
        })
    }

    fn keys_refused() -> AvitoResult<CheckedReport> {
        Err(AvitoError::InvalidCredentials)
    }

    fn inputs() -> (ProfileSource, ReportOptions) {
        let slot = Utc
            .with_ymd_and_hms(2026, 12, 3, 9, 0, 0)
            .single()
            .expect("slot");
        let tz = chrono_tz::Europe::Moscow;
        let source = ProfileSource {
            profile_id: crate::domain::ProfileId(1),
            name: "Shop".into(),
            credentials: Credentials::new("id", "secret").expect("credentials"),
            avito_user_id: None,
        };
        let options = ReportOptions {
            period: Period::since_slot(slot - Duration::days(1), slot, tz),
            metrics: Default::default(),
            tz,
            lang: Lang::En,
            deadline: None,
            listings: crate::listings::fetch::Reuse::Ask,
        };
        (source, options)
    }

    /// An order whose budget fits another attempt when `fits`.
    fn order(fits: bool) -> Order {
        let now = clock::now();
        let budget = std::time::Duration::from_secs(if fits { 3600 } else { 1 });
        Order {
            run: token(),
            chat: ChatId(-100),
            charts: true,
            budget: SlotBudget::of(None, now, now, budget),
            backoff: Some(std::time::Duration::from_secs(60)),
        }
    }

    async fn make_with(
        answer: fn() -> AvitoResult<CheckedReport>,
        fits: bool,
    ) -> (Made, Vec<String>) {
        let log = Log::default();
        let sender = FakeSender {
            log: &log,
            accepts: usize::MAX,
            then: Trouble::Passing("never".into()),
        };
        let ports = Ports {
            store: &log,
            sender: &sender,
            reports: &FakeReports(answer),
        };
        let (source, options) = inputs();
        let made = make(&ports, &order(fits), &source, &options)
            .await
            .expect("store");
        (made, log.events())
    }

    #[tokio::test]
    async fn a_report_made_is_frozen_before_its_pictures_and_text_go() {
        let (made, events) = make_with(complete, true).await;
        assert_eq!(made.next, Ok(slot::fresh(chunks(2))));
        assert!(made.every_source_answered);
        assert_eq!(events, ["freeze 2", "pictures 0"]);
    }

    #[tokio::test]
    async fn nothing_fetched_retries_while_it_fits_and_else_fails_at_once() {
        let (made, events) = make_with(nothing_fetched, true).await;
        assert!(matches!(made.next, Err(After::Retry { .. })));
        assert!(
            events.is_empty(),
            "nothing frozen: the retry makes it again"
        );
        let (made, _) = make_with(nothing_fetched, false).await;
        assert!(matches!(made.next, Err(After::Fail(_))));
    }

    #[tokio::test]
    async fn refused_keys_end_the_slot_without_a_retry() {
        let (made, events) = make_with(keys_refused, true).await;
        assert!(matches!(made.next, Err(After::KeysRefused(_))));
        assert!(events.is_empty());
    }

    #[tokio::test]
    async fn a_resumed_delivery_sends_the_rest_marked_and_ends_sent() {
        let log = Log::default();
        let sender = FakeSender {
            log: &log,
            accepts: usize::MAX,
            then: Trouble::Passing("never".into()),
        };
        let Start::Resume(sending) = slot::start(Some(crate::db::slots::Resume {
            chunks: chunks(3),
            sent: 1,
            uncertain: true,
        })) else {
            panic!("a frozen run resumes");
        };
        let sent = transmit(&log, &sender, token(), ChatId(1), &sending, Lang::En).await;
        assert_eq!(sent.expect("store"), Ok(()));
        assert_eq!(
            log.events(),
            [
                "progress 1 true",
                "sent 🔁 part 1",
                "progress 2 false",
                "progress 2 true",
                "sent part 2",
                "progress 3 false",
                "finish Sent",
            ]
        );
    }

    #[tokio::test]
    async fn a_send_that_fails_keeps_its_progress_and_is_not_recorded_sent() {
        let log = Log::default();
        let sender = FakeSender {
            log: &log,
            accepts: 1,
            then: Trouble::DestinationLost("blocked".into()),
        };
        let sending = slot::fresh(chunks(3));
        let sent = transmit(&log, &sender, token(), ChatId(1), &sending, Lang::En).await;
        assert_eq!(
            sent.expect("store"),
            Err(Trouble::DestinationLost("blocked".into()))
        );
        let events = log.events();
        assert_eq!(events.last().map(String::as_str), Some("progress 1 true"));
        assert!(!events.iter().any(|e| e.starts_with("finish")));
    }
}
