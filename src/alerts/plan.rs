//! Queues the checks due now: for every enabled rule, the job of the check window `now` falls
//! in. Pushing the same (profile, rule, window) twice is one job, so every process may plan.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::context::JobContext;
use crate::db::alerts as store;
use crate::domain::ProfileId;
use crate::domain::alerts::AlertRule;
use crate::queue::CheckAlert;

/// The start of the check window `now` falls in, in Unix seconds: windows of the rule's
/// interval divided by `speedup` (at least a second). Demand is checked once a day, in the
/// morning after Avito's day closed (09:00 Moscow).
pub fn window(rule: AlertRule, param: i64, now: DateTime<Utc>, speedup: u32) -> i64 {
    let speedup = i64::from(speedup.max(1));
    let every = (rule.check_every(param).as_secs() as i64 / speedup).max(1);
    let offset = match rule {
        AlertRule::DemandDrop => 6 * 3600 / speedup, // 09:00 Moscow is 06:00 UTC
        _ => 0,
    };
    let t = now.timestamp() - offset;
    t - t.rem_euclid(every) + offset
}

/// Queues checks as their windows start. Remembers what this process pushed, so each window
/// is pushed once per process (the queue keeps it to one job across processes).
#[derive(Debug, Default)]
pub struct Planner {
    pushed: HashMap<(ProfileId, AlertRule), i64>,
}

impl Planner {
    /// Queues every check whose window started since it was last pushed; returns how many.
    pub async fn plan(&mut self, ctx: &JobContext, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let rules = store::enabled_rules(&ctx.state.db).await?;
        let mut due = Vec::new();
        let mut seen = HashMap::with_capacity(rules.len());
        let speedup = ctx.state.knobs.alert_check_speedup;
        for (profile_id, rule, param) in rules {
            let key = (profile_id, rule);
            let window = window(rule, param, now, speedup);
            seen.insert(key, window);
            if self.pushed.get(&key) != Some(&window) {
                due.push(CheckAlert {
                    profile_id,
                    rule,
                    window,
                });
            }
        }
        let pushed = due.len();
        ctx.state.jobs.enqueue_checks(&ctx.state.db, due).await?;
        // Rules switched off or deleted are forgotten.
        self.pushed = seen;
        Ok(pushed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn windows_start_on_their_grid_and_demand_at_nine_in_moscow() {
        let at = |h, m| {
            Utc.with_ymd_and_hms(2026, 12, 3, h, m, 30)
                .single()
                .expect("t")
        };
        let w = window(AlertRule::WalletLow, 0, at(10, 17), 1);
        assert_eq!(w, at(10, 10).timestamp() - 30);
        let d = window(AlertRule::DemandDrop, 50, at(10, 17), 1);
        assert_eq!(d, at(6, 0).timestamp() - 30);
        let before = window(AlertRule::DemandDrop, 50, at(5, 59), 1);
        assert_eq!(d - before, 86_400);
        // Sped up 600×: the wallet every second, spending every 6 s.
        assert_eq!(
            window(AlertRule::WalletLow, 0, at(10, 17), 600),
            at(10, 17).timestamp()
        );
        assert_eq!(window(AlertRule::SpendSpike, 200, at(10, 17), 600) % 6, 0);
    }
}
