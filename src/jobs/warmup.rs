//! "Listings to look at" fetched ahead of the slot: the section needs two or more requests of
//! a once-a-minute operation, which inside a report's deadline would often not fit. A few
//! rate windows before a slot whose report has the section, the leading planner asks Avito
//! for exactly the requests the report will make; their answers are reused for five windows
//! (across processes on PostgreSQL), so at the slot the report finds them ready. A warm-up
//! that fails or comes late costs nothing: the report asks within its deadline as before.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::JobContext;
use crate::db::entities::report_task;
use crate::db::{profiles, slots};
use crate::domain::{Period, TaskId};
use crate::listings::fetch::{self, Reuse};
use crate::report::ProfileSource;

/// How far ahead of a slot its statistics are asked for, in rate windows: the two periods'
/// requests (more past 1,000 listings) paced a window apart, well within the five windows an
/// answer is reused for.
const LEAD_WINDOWS: u32 = 3;

/// The slots warmed, so that each is warmed once per process.
#[derive(Debug, Default)]
pub struct Warmer {
    warmed: HashMap<TaskId, DateTime<Utc>>,
}

/// The tasks among `due` to warm now: those whose report at its slot has the section, and
/// that were not warmed for that slot yet. Pure.
pub fn to_warm<'a>(
    due: &'a [report_task::Model],
    warmed: &HashMap<TaskId, DateTime<Utc>>,
) -> Vec<(&'a report_task::Model, DateTime<Utc>, Period)> {
    due.iter()
        .filter_map(|task| {
            let slot = task.next_run_at?;
            if warmed.get(&task.id) == Some(&slot) {
                return None;
            }
            let schedule = crate::schedule::of_task(task).ok()?;
            let period = super::deliver::slot_period(task, &schedule, slot).ok()?;
            let metrics = task.metrics.get().ok()?;
            crate::report::listings::wanted(metrics, period).then_some((task, slot, period))
        })
        .collect()
}

impl Warmer {
    /// Starts the warm-ups due at `now` (each runs on its own; this returns at once).
    pub async fn warm(&mut self, ctx: &JobContext, now: DateTime<Utc>) -> anyhow::Result<()> {
        let window = ctx.state.knobs.avito_rate_window;
        let lead = chrono::Duration::from_std(window * LEAD_WINDOWS)?;
        let due = slots::due_within(&ctx.state.db, now, now + lead).await?;
        // Slots passed are forgotten.
        self.warmed.retain(|_, slot| *slot > now);
        for (task, slot, period) in to_warm(&due, &self.warmed) {
            self.warmed.insert(task.id, slot);
            let ctx = ctx.clone();
            let profile_id = task.profile_id;
            tokio::spawn(async move {
                let started = std::time::Instant::now();
                match warm_one(&ctx, profile_id, period).await {
                    Ok(()) => {
                        tracing::info!(profile_id = profile_id.0, took = ?round(started.elapsed()), "listings warmed ahead of the slot")
                    }
                    Err(e) => {
                        tracing::info!(profile_id = profile_id.0, error = %e, "listings not warmed; the report asks at its slot")
                    }
                }
            });
        }
        Ok(())
    }
}

fn round(d: Duration) -> Duration {
    Duration::from_millis(d.as_millis() as u64)
}

async fn warm_one(
    ctx: &JobContext,
    profile_id: crate::domain::ProfileId,
    period: Period,
) -> anyhow::Result<()> {
    let Some(profile) = profiles::find(&ctx.state.db, profile_id).await? else {
        return Ok(());
    };
    let Some(user_id) = profile.avito_user_id else {
        return Ok(());
    };
    let source = ProfileSource::from_profile(&profile, &ctx.state.secrets)?;
    let account = ctx.state.avito.account(source.credentials);
    fetch::groups(&account, user_id, period, Reuse::Ask).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ChatId, ProfileId, Stored};
    use chrono::TimeZone;

    fn task(id: i64, period: &str, metrics: &str, slot: DateTime<Utc>) -> report_task::Model {
        let created = Utc
            .with_ymd_and_hms(2026, 3, 2, 12, 0, 0)
            .single()
            .expect("time");
        report_task::Model {
            id: TaskId(id),
            profile_id: ProfileId(id),
            chat_id: Some(ChatId(5)),
            chat_title: None,
            frequency: Stored::parse("daily"),
            interval_days: 1,
            weekdays: 0,
            month_day: 1,
            time_of_day: Stored::parse("09:30"),
            time_zone: Stored::parse("Europe/Moscow"),
            period: Stored::parse(period),
            metrics: Stored::parse(metrics),
            is_active: true,
            charts: true,
            schedule_version: 0,
            next_run_at: Some(slot),
            last_run_at: None,
            created_at: created,
            updated_at: created,
        }
    }

    #[test]
    fn only_reports_with_the_section_over_a_week_are_warmed_once_per_slot() {
        let slot = Utc
            .with_ymd_and_hms(2026, 3, 9, 6, 30, 0)
            .single()
            .expect("time");
        let due = [
            task(1, "last_7_days", r#"["views","listings"]"#, slot),
            task(2, "last_7_days", r#"["views"]"#, slot),
            task(3, "yesterday", r#"["views","listings"]"#, slot),
            task(4, "last_30_days", r#"["listings"]"#, slot),
        ];
        let ids = |warmed: &HashMap<TaskId, DateTime<Utc>>| -> Vec<i64> {
            to_warm(&due, warmed)
                .iter()
                .map(|(t, _, _)| t.id.0)
                .collect()
        };
        assert_eq!(ids(&HashMap::new()), [1, 4]);
        let warmed = HashMap::from([(TaskId(1), slot)]);
        assert_eq!(ids(&warmed), [4], "warmed once per slot");
        let earlier = HashMap::from([(TaskId(1), slot - chrono::Duration::days(1))]);
        assert_eq!(ids(&earlier), [1, 4], "the next slot is warmed again");
        let (_, _, period) = to_warm(&due, &HashMap::new())[0];
        assert_eq!(period.days(), 7);
    }
}
