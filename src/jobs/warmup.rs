//! "Listings to look at" fetched ahead of the slot: the section needs two or more requests of
//! a once-a-minute operation, which inside a report's deadline would often not fit. Ahead of
//! a slot whose report has the section — as many rate windows as the account's pages took
//! last time and a margin (`listings::lead`), three for an account not fetched yet — the
//! leading planner asks Avito for exactly the requests the report will make, keeps their
//! answers until the slot and a few windows past it (across processes on PostgreSQL), and
//! records how many pages they were. At the slot the report finds them ready. A warm-up
//! that fails or comes late costs nothing: the report asks within its deadline as before.
//! An account whose pages no lead can cover is not warmed (its reports say why).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::JobContext;
use crate::db::entities::report_task;
use crate::db::{profiles, slots};
use crate::domain::{Period, ProfileId, TaskId};
use crate::listings::{fetch, lead};
use crate::report::ProfileSource;

/// How long past its slot a warmed answer is kept, in rate windows (five minutes against
/// Avito): a report that starts a little late, or tries again, still finds it.
const KEEP_PAST_SLOT_WINDOWS: u32 = 5;
/// And at least this long: the report reads the section after its other sources, which on
/// a busy machine take a while (and shortened rate windows, in tests, would be too short).
const KEEP_PAST_SLOT_LEAST: Duration = Duration::from_secs(120);

/// The slots warmed, so that each is warmed once per process.
#[derive(Debug, Default)]
pub struct Warmer {
    warmed: HashMap<TaskId, DateTime<Utc>>,
    /// When the due slots were last looked at.
    looked: Option<DateTime<Utc>>,
}

/// Whether to look at the due slots again: leads are whole rate windows, so once a window is
/// enough (the planner's round comes every half second; looking reads every task due within
/// the biggest account's lead, up to two hours of slots). Pure.
fn time_to_look(looked: Option<DateTime<Utc>>, now: DateTime<Utc>, window: Duration) -> bool {
    looked.is_none_or(|at| (now - at).to_std().is_ok_and(|since| since >= window))
}

/// What a warm-up does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Asks for every page, kept until the slot.
    Warm,
    /// The account is past any lead: its size is only measured again (the first page of each
    /// period, at the default lead), in case it shrank.
    Measure,
}

/// The tasks among `due` to warm at `now`: those whose report at its slot has the section,
/// whose slot is within their account's lead (`pages` its listings took last time; rate
/// windows of `window`), and that were not warmed for that slot yet. Pure.
pub fn to_warm<'a>(
    due: &'a [report_task::Model],
    warmed: &HashMap<TaskId, DateTime<Utc>>,
    pages: &HashMap<ProfileId, u32>,
    now: DateTime<Utc>,
    window: Duration,
) -> Vec<(&'a report_task::Model, DateTime<Utc>, Period, Step)> {
    due.iter()
        .filter_map(|task| {
            let slot = task.next_run_at?;
            if warmed.get(&task.id) == Some(&slot) {
                return None;
            }
            let (lead, step) = match lead::windows(pages.get(&task.profile_id).copied()) {
                Some(lead) => (lead, Step::Warm),
                None => (lead::DEFAULT_WINDOWS, Step::Measure),
            };
            if slot - now > chrono::Duration::from_std(window * lead).ok()? {
                return None;
            }
            let schedule = crate::schedule::of_task(task).ok()?;
            let period = super::deliver::slot_period(task, &schedule, slot).ok()?;
            let metrics = task.metrics.get().ok()?;
            crate::report::listings::wanted(metrics, period).then_some((task, slot, period, step))
        })
        .collect()
}

impl Warmer {
    /// Starts the warm-ups due at `now` (each runs on its own; this returns at once).
    pub async fn warm(&mut self, ctx: &JobContext, now: DateTime<Utc>) -> anyhow::Result<()> {
        let db = &ctx.state.db;
        let window = ctx.state.knobs.avito_rate_window;
        if !time_to_look(self.looked, now, window) {
            return Ok(());
        }
        self.looked = Some(now);
        // As far ahead as the biggest account's lead: a small account's slots that far off
        // are passed over until their own lead.
        let most = profiles::most_listing_pages(db).await?;
        let horizon = lead::windows(most).unwrap_or(lead::MAX_WINDOWS);
        let due =
            slots::due_within(db, now, now + chrono::Duration::from_std(window * horizon)?).await?;
        // Slots passed are forgotten.
        self.warmed.retain(|_, slot| *slot > now);
        let ids: Vec<ProfileId> = due.iter().map(|t| t.profile_id).collect();
        let pages = profiles::listing_pages(db, &ids).await?;
        for (task, slot, period, step) in to_warm(&due, &self.warmed, &pages, now, window) {
            self.warmed.insert(task.id, slot);
            let ctx = ctx.clone();
            let profile_id = task.profile_id;
            // Kept until the slot and a few windows past it, however long the lead.
            let until = tokio::time::Instant::now()
                + (slot - now).to_std().unwrap_or_default()
                + (window * KEEP_PAST_SLOT_WINDOWS).max(KEEP_PAST_SLOT_LEAST);
            tokio::spawn(async move {
                let started = std::time::Instant::now();
                match warm_one(&ctx, profile_id, period, until, step).await {
                    Ok(pages) => {
                        tracing::info!(profile_id = profile_id.0, ?pages, ?step, took = ?round(started.elapsed()), "listings warmed ahead of the slot")
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

/// Asks for the pages of `period` kept until `until` (or, `Step::Measure`, only counts
/// them), and records how many they were: the next lead of the profile's reports. Returns
/// that count.
async fn warm_one(
    ctx: &JobContext,
    profile_id: ProfileId,
    period: Period,
    until: tokio::time::Instant,
    step: Step,
) -> anyhow::Result<Option<u32>> {
    let Some(profile) = profiles::find(&ctx.state.db, profile_id).await? else {
        return Ok(None);
    };
    let Some(user_id) = profile.avito_user_id else {
        return Ok(None);
    };
    let source = ProfileSource::from_profile(&profile, &ctx.state.secrets)?;
    let account = ctx.state.avito.account(source.credentials);
    let pages = match step {
        Step::Warm => Some(fetch::warm(&account, user_id, period, until).await?),
        Step::Measure => fetch::measure(&account, user_id, period, until).await?,
    };
    if let Some(pages) = pages {
        profiles::record_listing_pages(&ctx.state.db, profile_id, pages).await?;
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ChatId, ProfileId, Stored};
    use chrono::TimeZone;

    const MINUTE: Duration = Duration::from_secs(60);

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("time")
    }

    fn task(id: i64, period: &str, metrics: &str, slot: DateTime<Utc>) -> report_task::Model {
        let created = at(2026, 3, 2, 12, 0);
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
        let slot = at(2026, 3, 9, 6, 30);
        let due = [
            task(1, "last_7_days", r#"["views","listings"]"#, slot),
            task(2, "last_7_days", r#"["views"]"#, slot),
            task(3, "yesterday", r#"["views","listings"]"#, slot),
            task(4, "last_30_days", r#"["listings"]"#, slot),
        ];
        let (none, now, window) = (HashMap::new(), slot - chrono::Duration::minutes(2), MINUTE);
        let ids = |warmed: &HashMap<TaskId, DateTime<Utc>>| -> Vec<i64> {
            to_warm(&due, warmed, &none, now, window)
                .iter()
                .map(|(t, _, _, _)| t.id.0)
                .collect()
        };
        assert_eq!(ids(&HashMap::new()), [1, 4]);
        let warmed = HashMap::from([(TaskId(1), slot)]);
        assert_eq!(ids(&warmed), [4], "warmed once per slot");
        let earlier = HashMap::from([(TaskId(1), slot - chrono::Duration::days(1))]);
        assert_eq!(ids(&earlier), [1, 4], "the next slot is warmed again");
        let (_, _, period, _) = to_warm(&due, &HashMap::new(), &none, now, window)[0];
        assert_eq!(period.days(), 7);
    }

    #[test]
    fn the_due_slots_are_looked_at_once_a_window() {
        let at = at(2026, 3, 9, 6, 0);
        let later = |s| at + chrono::Duration::seconds(s);
        assert!(time_to_look(None, at, MINUTE));
        assert!(!time_to_look(Some(at), later(59), MINUTE));
        assert!(time_to_look(Some(at), later(60), MINUTE));
        assert!(
            !time_to_look(Some(at), later(-5), MINUTE),
            "a clock gone back"
        );
    }

    #[test]
    fn each_account_is_warmed_as_far_ahead_as_its_pages_took_last_time() {
        let slot = at(2026, 3, 9, 6, 30);
        let metrics = r#"["listings"]"#;
        let due = [
            task(1, "last_7_days", metrics, slot),
            task(2, "last_7_days", metrics, slot),
            task(3, "last_7_days", metrics, slot),
            task(4, "last_7_days", metrics, slot),
        ];
        // 1: not fetched yet; 2: two pages; 3: 3,500 listings (8 pages, 12 windows);
        // 4: beyond any lead.
        let pages = HashMap::from([(ProfileId(2), 2), (ProfileId(3), 8), (ProfileId(4), 500)]);
        let at = |minutes: i64| -> Vec<i64> {
            let now = slot - chrono::Duration::minutes(minutes);
            to_warm(&due, &HashMap::new(), &pages, now, MINUTE)
                .iter()
                .map(|(t, _, _, _)| t.id.0)
                .collect()
        };
        assert_eq!(at(13), Vec::<i64>::new());
        assert_eq!(at(12), [3]);
        assert_eq!(at(5), [2, 3]);
        assert_eq!(
            at(3),
            [1, 2, 3, 4],
            "the default lead for an unknown account"
        );
        let now = slot - chrono::Duration::minutes(3);
        let steps: Vec<Step> = to_warm(&due, &HashMap::new(), &pages, now, MINUTE)
            .iter()
            .map(|(_, _, _, step)| *step)
            .collect();
        assert_eq!(
            steps,
            [Step::Warm, Step::Warm, Step::Warm, Step::Measure],
            "the account beyond any lead is only measured again"
        );
    }
}
