//! One check of one rule: ask Avito, then decide. The decisions are pure functions of what
//! Avito said, tested on their own; a check that could not ask says so (`Observation::Unknown`)
//! and never counts as "all is well" nor as an alert.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;

use crate::avito::model::{Analytics, CallsStats, Chat, WalletOperation};
use crate::avito::money::Kopecks;
use crate::avito::plausible;
use crate::avito::query::{AnalyticsQuery, Grouping};
use crate::avito::ratings::RatingInfo;
use crate::avito::{Account, AvitoError, ChatsQuery};
use crate::db::entities::alert_rule;
use crate::domain::AccountId;
use crate::domain::alerts::{AlertRule, DaySpan, DemandDrop, DemandMetric, Finding, WaitingChat};
use crate::domain::dates::DateRange;

/// What a check saw.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// The condition does not hold.
    Normal,
    /// The condition holds (an episode opens or goes on).
    Abnormal(Finding),
    /// Missed calls: how many the Moscow `day` has now (told against what was told before).
    Calls { day: NaiveDate, missed: i64 },
    /// Nothing to decide: outside the rule's working hours, or no rating to watch (switched
    /// off, or a new seller's).
    Idle,
    /// A rule checked by its own job, not by one question (new reviews: `alerts::reviews`;
    /// flagged listings: `alerts::listings`).
    Elsewhere,
    /// Avito could not be asked.
    Unknown(String),
    /// Avito refused the profile's keys: nothing can be asked until the owner fixes them.
    KeysRefused,
}

/// Wallet operations that take money, and the ones that give a reservation back.
const SPENDING: &[&str] = &[
    "резервирование средств под услугу",
    "резервирование под автостратегию",
    "постоплата",
    "списание в счёт кредита",
    "списание остатка",
];
const REFUNDS: &[&str] = &[
    "возврат зарзервированных средств на баланс кошелька",
    "возврат зарезервированных средств под автостатегию на кошелек",
];

/// Asks Avito what `watch` needs and decides. `user_id` is the Avito account id (`None`: the
/// profile has none, so account-wide figures cannot be asked).
pub async fn observe(
    account: &Account,
    user_id: Option<AccountId>,
    watch: &alert_rule::Model,
    tz: Tz,
    now: DateTime<Utc>,
) -> Observation {
    let asked = Asked {
        account,
        user_id,
        now,
    };
    let param = watch.param;
    let outcome = match watch.rule {
        AlertRule::WalletLow => asked.wallet(param).await,
        AlertRule::CpaLow => asked.cpa(param).await,
        AlertRule::SpendSpike => asked.spending(param).await,
        AlertRule::DemandDrop => asked.demand(param).await,
        AlertRule::Unanswered => asked.chats(watch, tz).await,
        AlertRule::MissedCalls => asked.calls().await,
        AlertRule::RatingLow => asked.rating(param).await,
        AlertRule::NewReviews | AlertRule::ListingBlocked => Ok(Observation::Elsewhere),
    };
    outcome.unwrap_or_else(|unasked| match unasked {
        Unasked::KeysRefused => Observation::KeysRefused,
        Unasked::Because(reason) => Observation::Unknown(reason),
    })
}

/// One check's questions to Avito, one per rule; each decides on the answer.
struct Asked<'a> {
    account: &'a Account,
    user_id: Option<AccountId>,
    now: DateTime<Utc>,
}

impl Asked<'_> {
    fn user_id(&self) -> Result<AccountId, Unasked> {
        self.user_id
            .ok_or_else(|| Unasked::Because("the profile has no Avito account id".to_owned()))
    }

    async fn wallet(&self, threshold: i64) -> Result<Observation, Unasked> {
        let balance = self
            .account
            .wallet_balance(self.user_id()?)
            .await
            .map_err(told)?
            .real()
            .map(|r| r.to_kopecks());
        match balance {
            Some(b) if plausible::signed_roubles(b.0 as f64 / 100.0) => Ok(low(b, threshold)),
            _ => Err(Unasked::Because(
                "Avito gave no usable wallet balance".to_owned(),
            )),
        }
    }

    async fn cpa(&self, threshold: i64) -> Result<Observation, Unasked> {
        let balance = self.account.cpa_balance().await.map_err(told)?;
        Ok(low(balance, threshold))
    }

    /// The past week's wallet operations, Moscow time, against today's.
    async fn spending(&self, factor_percent: i64) -> Result<Observation, Unasked> {
        let local = self
            .now
            .with_timezone(&chrono_tz::Europe::Moscow)
            .naive_local();
        let from = (local.date() - Duration::days(7))
            .and_hms_opt(0, 0, 0)
            .unwrap_or(local);
        let ops = self
            .account
            .operations_history(from, local)
            .await
            .map_err(told)?;
        Ok(spend_spike(&ops, local, factor_percent))
    }

    /// Yesterday's views and contacts (Moscow days) against the week before.
    async fn demand(&self, percent: i64) -> Result<Observation, Unasked> {
        let today = self
            .now
            .with_timezone(&chrono_tz::Europe::Moscow)
            .date_naive();
        let range = DateRange::unchecked(today - Duration::days(8), today - Duration::days(1));
        let query = AnalyticsQuery {
            range,
            metrics: vec!["views".into(), "contacts".into()],
            grouping: Grouping::Day,
            category_ids: Vec::new(),
        };
        let analytics = self
            .account
            .analytics(self.user_id()?, &query)
            .await
            .map_err(told)?;
        Ok(demand_drop(&analytics, today - Duration::days(1), percent))
    }

    /// Chats waiting for an answer, in the rule's working hours only.
    async fn chats(&self, watch: &alert_rule::Model, tz: Tz) -> Result<Observation, Unasked> {
        let work = DaySpan::from_minutes(watch.work_from, watch.work_to);
        if !work.contains(&self.now.with_timezone(&tz)) {
            return Ok(Observation::Idle);
        }
        let id = self.user_id()?;
        // Chats that waited up to a day before the rule was switched on count, and none older
        // than a week; older ones are history, and not even listed (usually one page of the
        // chats list instead of every page).
        let since = (watch.watching_since - 86_400).max(self.now.timestamp() - 7 * 86_400);
        let query = ChatsQuery {
            updated_since: Some(since),
            ..ChatsQuery::default()
        };
        let chats = self.account.chats(id, &query).await.map_err(told)?;
        Ok(unanswered(&chats.items, id, self.now, watch.param, since))
    }

    /// Today's missed calls (Moscow day).
    async fn calls(&self) -> Result<Observation, Unasked> {
        let day = self
            .now
            .with_timezone(&chrono_tz::Europe::Moscow)
            .date_naive();
        let stats = self
            .account
            .calls_stats(self.user_id()?, DateRange::unchecked(day, day), &[])
            .await
            .map_err(told)?;
        Ok(Observation::Calls {
            day,
            missed: missed_calls(&stats, day),
        })
    }
}

impl Asked<'_> {
    async fn rating(&self, threshold_tenths: i64) -> Result<Observation, Unasked> {
        let info = self.account.rating_info().await.map_err(told)?;
        Ok(rating_low(&info, threshold_tenths))
    }
}

/// The rating against a bar of `threshold_tenths` (40: 4.0★). A rating switched off, not
/// there yet or not believable decides nothing: never "all is well", never an alert.
pub fn rating_low(info: &RatingInfo, threshold_tenths: i64) -> Observation {
    if info.enabled == Some(false) {
        return Observation::Idle;
    }
    let score = info
        .rating
        .as_ref()
        .and_then(|r| r.checked_score().plausible());
    match score {
        // Compared in tenths as shown: 3.95 shows as 4.0 and is not below 4.0.
        Some(score) if (score * 10.0).round() < threshold_tenths as f64 => {
            Observation::Abnormal(Finding::RatingLow {
                score,
                threshold_tenths,
            })
        }
        Some(_) => Observation::Normal,
        None => Observation::Idle,
    }
}

/// Why Avito could not be asked.
enum Unasked {
    KeysRefused,
    Because(String),
}

fn told(e: AvitoError) -> Unasked {
    match e {
        AvitoError::InvalidCredentials => Unasked::KeysRefused,
        other => Unasked::Because(other.to_string()),
    }
}

/// Below `threshold` kopecks?
pub fn low(balance: Kopecks, threshold: i64) -> Observation {
    if balance.0 < threshold {
        Observation::Abnormal(Finding::Balance {
            balance: balance.0,
            threshold,
        })
    } else {
        Observation::Normal
    }
}

/// Net spending of `ops` (kopecks) within `[from, to)` Moscow time.
fn spent(ops: &[WalletOperation], from: NaiveDateTime, to: NaiveDateTime) -> i64 {
    ops.iter()
        .filter_map(|op| {
            let at = op.paid_at.as_deref().and_then(parse_local)?;
            if at < from || at >= to {
                return None;
            }
            let kind = op.operation_type.as_deref()?;
            let amount = op.amount_total.or(op.amount_rub)?.abs();
            let kopecks = (amount * 100.0).round() as i64;
            if SPENDING.contains(&kind) {
                Some(kopecks)
            } else if REFUNDS.contains(&kind) {
                Some(-kopecks)
            } else {
                None
            }
        })
        .sum()
}

/// Avito's operation times: RFC 3339, or local Moscow time without a zone.
fn parse_local(s: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&chrono_tz::Europe::Moscow).naive_local())
        .or_else(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok())
        .or_else(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok())
}

/// Today's spending up to `now` against the average of the 7 days before, each up to the same
/// time of day; a spike when above `factor_percent` % of it. No spending before: no base, no
/// spike.
pub fn spend_spike(
    ops: &[WalletOperation],
    now: NaiveDateTime,
    factor_percent: i64,
) -> Observation {
    let midnight = now.date().and_hms_opt(0, 0, 0).unwrap_or(now);
    let today = spent(ops, midnight, now);
    let past: i64 = (1..=7)
        .map(|d| spent(ops, midnight - Duration::days(d), now - Duration::days(d)))
        .sum();
    let average = past / 7;
    if average > 0 && today * 100 > average * factor_percent {
        Observation::Abnormal(Finding::SpendSpike {
            today,
            average,
            hour: now.hour(),
            factor_percent,
        })
    } else {
        Observation::Normal
    }
}

/// Yesterday's views and contacts against the average of the 7 days before it.
pub fn demand_drop(analytics: &Analytics, yesterday: NaiveDate, percent: i64) -> Observation {
    let day_of = |unix: i64| {
        DateTime::from_timestamp(unix, 0)
            .map(|t| t.with_timezone(&chrono_tz::Europe::Moscow).date_naive())
    };
    let mut drops = Vec::new();
    for (metric, slug) in [
        (DemandMetric::Views, "views"),
        (DemandMetric::Contacts, "contacts"),
    ] {
        let value_on = |day: NaiveDate| {
            analytics
                .groups
                .iter()
                .filter(|g| day_of(g.id) == Some(day))
                .filter_map(|g| g.metric(slug))
                .sum::<f64>()
        };
        let has = |day: NaiveDate| {
            analytics
                .groups
                .iter()
                .any(|g| day_of(g.id) == Some(day) && g.metric(slug).is_some())
        };
        if !has(yesterday) {
            continue;
        }
        let before: Vec<f64> = (1..=7)
            .map(|d| yesterday - Duration::days(d))
            .filter(|d| has(*d))
            .map(value_on)
            .collect();
        if before.is_empty() {
            continue;
        }
        let average = before.iter().sum::<f64>() / before.len() as f64;
        let value = value_on(yesterday);
        if average > 0.0 && value * 100.0 < average * percent as f64 {
            drops.push(DemandDrop {
                metric,
                yesterday: value.round() as i64,
                average,
            });
        }
    }
    if drops.is_empty() {
        Observation::Normal
    } else {
        Observation::Abnormal(Finding::DemandDrop { drops, percent })
    }
}

/// Chats whose last message came from the other side `minutes` or more ago.
/// Chats whose last message is incoming, arrived since `since` (unix seconds) and has waited
/// `minutes` or more.
pub fn unanswered(
    chats: &[Chat],
    account_id: AccountId,
    now: DateTime<Utc>,
    minutes: i64,
    since: i64,
) -> Observation {
    let mut waiting: Vec<WaitingChat> = chats
        .iter()
        .filter_map(|chat| {
            let last = chat.last_message.as_ref()?;
            let incoming = match last.direction.as_deref() {
                Some("in") => true,
                Some("out") => false,
                _ => last.author_id.is_some_and(|a| a != account_id),
            };
            let created = DateTime::from_timestamp(last.created.filter(|t| *t >= since)?, 0)?;
            let waited = (now - created).num_minutes();
            (incoming && waited >= minutes).then(|| WaitingChat {
                chat_id: chat.id.clone(),
                item_title: chat
                    .context
                    .as_ref()
                    .and_then(|c| c.value.as_ref())
                    .and_then(|v| v.title.clone()),
                counterpart: chat
                    .users
                    .iter()
                    .find(|u| u.id.is_some_and(|id| id != account_id))
                    .and_then(|u| u.name.clone()),
                waiting_minutes: waited,
            })
        })
        .collect();
    if waiting.is_empty() {
        return Observation::Normal;
    }
    waiting.sort_by_key(|c| std::cmp::Reverse(c.waiting_minutes));
    Observation::Abnormal(Finding::Unanswered {
        chats: waiting,
        minutes,
    })
}

/// Calls not answered on `day`, over every item.
pub fn missed_calls(stats: &CallsStats, day: NaiveDate) -> i64 {
    stats
        .items
        .iter()
        .flat_map(|item| item.days.iter())
        .filter(|d| d.date == day)
        .map(|d| (d.calls.unwrap_or(0) - d.answered.unwrap_or(0)).max(0))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avito::model::{AnalyticsGroup, CallsDay, CallsItem, Message};
    use chrono::TimeZone;

    fn op(at: &str, kind: &str, roubles: f64) -> WalletOperation {
        serde_json::from_value(serde_json::json!({
            "paidAt": at, "operationType": kind, "amountTotal": roubles
        }))
        .expect("operation")
    }

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").expect("time")
    }

    #[test]
    fn a_rating_below_its_bar_is_abnormal_and_no_rating_decides_nothing() {
        let info = |enabled: Option<bool>, score: Option<f64>| RatingInfo {
            enabled,
            rating: score.map(|s| crate::avito::ratings::Rating {
                score: Some(s),
                reviews_count: Some(10),
                reviews_with_score_count: Some(9),
            }),
        };
        assert_eq!(
            rating_low(&info(Some(true), Some(3.8)), 40),
            Observation::Abnormal(Finding::RatingLow {
                score: 3.8,
                threshold_tenths: 40
            })
        );
        // Shown as 4.0, so not below 4.0.
        assert_eq!(
            rating_low(&info(Some(true), Some(3.96)), 40),
            Observation::Normal
        );
        assert_eq!(
            rating_low(&info(Some(true), Some(4.7)), 45),
            Observation::Normal
        );
        assert_eq!(
            rating_low(&info(Some(false), Some(2.0)), 45),
            Observation::Idle
        );
        assert_eq!(rating_low(&info(Some(true), None), 45), Observation::Idle);
        assert_eq!(
            rating_low(&info(None, Some(9.0)), 45),
            Observation::Idle,
            "implausible"
        );
    }

    #[test]
    fn a_balance_below_its_threshold_is_abnormal_and_at_it_is_not() {
        assert!(matches!(
            low(Kopecks(99_999), 100_000),
            Observation::Abnormal(_)
        ));
        assert_eq!(low(Kopecks(100_000), 100_000), Observation::Normal);
    }

    #[test]
    fn spending_spikes_against_the_same_hour_of_the_past_week() {
        let spend = "резервирование средств под услугу";
        // 100 ₽ by 10:00 on each of the 7 days before; more later those days does not count.
        let mut ops: Vec<WalletOperation> = (1..=7)
            .flat_map(|d| {
                [
                    op(&format!("2026-11-{:02}T09:00:00", 30 - d + 1), spend, 100.0),
                    op(
                        &format!("2026-11-{:02}T18:00:00", 30 - d + 1),
                        spend,
                        5_000.0,
                    ),
                ]
            })
            .collect();
        ops.push(op("2026-12-01T08:00:00", spend, 150.0));
        let now = local("2026-12-01T10:00:00");
        assert_eq!(
            spend_spike(&ops, now, 200),
            Observation::Normal,
            "1.5× is below 2×"
        );
        ops.push(op("2026-12-01T09:30:00", spend, 100.0));
        let Observation::Abnormal(Finding::SpendSpike { today, average, .. }) =
            spend_spike(&ops, now, 200)
        else {
            panic!("2.5× is a spike");
        };
        assert_eq!((today, average), (25_000, 10_000));
        // A refund of a reservation counts against the day.
        ops.push(op(
            "2026-12-01T09:45:00",
            "возврат зарзервированных средств на баланс кошелька",
            100.0,
        ));
        assert_eq!(spend_spike(&ops, now, 200), Observation::Normal);
        // No spending before: no base, no spike.
        assert_eq!(
            spend_spike(&[op("2026-12-01T09:00:00", spend, 1e6)], now, 200),
            Observation::Normal
        );
    }

    fn day_group(day: NaiveDate, views: f64, contacts: Option<f64>) -> AnalyticsGroup {
        let midnight = chrono_tz::Europe::Moscow
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
            .single()
            .expect("moscow");
        let mut metrics = std::collections::BTreeMap::new();
        metrics.insert("views".to_owned(), views);
        if let Some(c) = contacts {
            metrics.insert("contacts".to_owned(), c);
        }
        AnalyticsGroup {
            id: midnight.timestamp(),
            kind: "day".into(),
            metrics,
        }
    }

    #[test]
    fn demand_drops_below_a_share_of_the_week_and_a_missing_metric_is_no_drop() {
        let yesterday = NaiveDate::from_ymd_opt(2026, 12, 2).expect("date");
        let mut groups: Vec<AnalyticsGroup> = (1..=7)
            .map(|d| day_group(yesterday - Duration::days(d), 1000.0, None))
            .collect();
        groups.push(day_group(yesterday, 400.0, None));
        let analytics = Analytics {
            groups,
            timestamp: None,
        };
        let Observation::Abnormal(Finding::DemandDrop { drops, .. }) =
            demand_drop(&analytics, yesterday, 50)
        else {
            panic!("40 % of the average is a drop");
        };
        assert_eq!(drops.len(), 1, "contacts were never given: not a drop");
        assert_eq!(
            (drops[0].metric, drops[0].yesterday),
            (DemandMetric::Views, 400)
        );
        assert_eq!(demand_drop(&analytics, yesterday, 30), Observation::Normal);
    }

    fn chat(id: &str, author: i64, created: i64) -> Chat {
        Chat {
            id: id.into(),
            created: None,
            updated: None,
            context: None,
            users: Vec::new(),
            last_message: Some(Message {
                id: "m".into(),
                author_id: Some(AccountId(author)),
                created: Some(created),
                direction: None,
                kind: None,
                is_read: None,
                read: None,
                content: None,
                quote: None,
            }),
        }
    }

    #[test]
    fn chats_wait_when_the_last_message_is_theirs_and_old_enough() {
        let now = Utc
            .with_ymd_and_hms(2026, 12, 3, 12, 0, 0)
            .single()
            .expect("now");
        let t = |mins: i64| (now - Duration::minutes(mins)).timestamp();
        let chats = [
            chat("old-in", 5, t(45)),
            chat("new-in", 5, t(10)),
            chat("answered", 1, t(90)),
        ];
        let Observation::Abnormal(Finding::Unanswered { chats: waiting, .. }) =
            unanswered(&chats, AccountId(1), now, 30, 0)
        else {
            panic!("one chat waits");
        };
        assert_eq!(
            waiting
                .iter()
                .map(|c| c.chat_id.as_str())
                .collect::<Vec<_>>(),
            ["old-in"]
        );
        assert_eq!(
            unanswered(&chats[1..], AccountId(1), now, 30, 0),
            Observation::Normal
        );
        // A message from before the rule watched is history, not an alert.
        assert_eq!(
            unanswered(&chats, AccountId(1), now, 30, t(40)),
            Observation::Normal
        );
    }

    #[test]
    fn missed_calls_are_calls_not_answered_that_day_over_items() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).expect("date");
        let calls = |calls, answered| CallsDay {
            date: day,
            calls: Some(calls),
            answered: Some(answered),
            new: None,
            new_answered: None,
        };
        let stats = CallsStats {
            items: vec![
                CallsItem {
                    item_id: Some(1),
                    employee_id: None,
                    days: vec![calls(5, 3)],
                },
                CallsItem {
                    item_id: Some(0),
                    employee_id: None,
                    days: vec![calls(2, 2)],
                },
            ],
        };
        assert_eq!(missed_calls(&stats, day), 2);
        assert_eq!(missed_calls(&stats, day - Duration::days(1)), 0);
    }
}
