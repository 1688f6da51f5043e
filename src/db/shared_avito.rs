//! The request budgets (Avito's per account and operation, Telegram's for the bot and per
//! chat) and Avito's once-a-window answers every process on one PostgreSQL database shares,
//! so the documented limits hold across `run` and the `worker`s.
//!
//! Time is the database's `clock_timestamp()`: one clock for every process, whatever their
//! hosts' clocks say, and read after the budget's row lock is held (`now()` would be the
//! transaction's start, before a wait for the lock). A process is told how long to wait, not
//! when, so its own clock never meets the database's.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait, Value,
};

use crate::avito::{AnswerStore, AnswersUnavailable, Shared};
use crate::budget::{
    BudgetKey, BudgetStore, BudgetUnavailable, Limit, Moment, Slot, exhaust, index_keys, release,
    reserve_each,
};

/// The database's clock, in microseconds since the Unix epoch.
const NOW_US: &str = "(extract(epoch from clock_timestamp()) * 1000000)::bigint";

/// How often a process drops the expired answers. Dropping them after every save scanned the
/// table at every check's answer (a tenth of PostgreSQL's time in the agency bench); a read
/// never returns an expired one, so they may wait.
const PRUNE_ANSWERS_EVERY: Duration = Duration::from_secs(60);

/// Budgets and answers kept in PostgreSQL.
pub struct SharedAvito {
    db: DatabaseConnection,
    /// When this process last dropped the expired answers.
    pruned_at: std::sync::Mutex<Option<std::time::Instant>>,
}

/// Whether expired answers last dropped at `last` are due to be dropped again at `now`.
fn prune_due(last: Option<std::time::Instant>, now: std::time::Instant) -> bool {
    last.is_none_or(|last| now.saturating_duration_since(last) >= PRUNE_ANSWERS_EVERY)
}

impl SharedAvito {
    /// What the processes on `db` share: on PostgreSQL the database's budgets and answers;
    /// on SQLite (one process) nothing, the client keeps both in memory.
    pub fn for_engine(db: &DatabaseConnection) -> Option<Shared> {
        if db.get_database_backend() != DbBackend::Postgres {
            return None;
        }
        let shared = Arc::new(Self {
            db: db.clone(),
            pruned_at: std::sync::Mutex::new(None),
        });
        Some(Shared {
            budgets: shared.clone(),
            answers: shared,
        })
    }

    /// The budgets every process on `db` shares, or none on SQLite (one process).
    pub fn budgets(db: &DatabaseConnection) -> Option<Arc<dyn BudgetStore>> {
        Self::for_engine(db).map(|shared| shared.budgets)
    }

    /// A slot for each of `calls`, booked in one step, and the instant it was decided.
    async fn book(
        &self,
        calls: &[Vec<(BudgetKey, Limit)>],
    ) -> Result<(Vec<Slot>, std::time::Instant), BudgetUnavailable> {
        let (keys, indexed) = index_keys(calls);
        self.update_all(&keys, |logs, now| {
            let mut recorded = logs.to_vec();
            let slots = reserve_each(&mut recorded, &indexed, now);
            (recorded, (slots, std::time::Instant::now()))
        })
        .await
        .map_err(budget_error)
    }

    /// One atomic step on `key`'s budget: its row is locked, `step` decides from the recorded
    /// instants and the database's now, and what it records replaces them.
    async fn update<T>(
        &self,
        key: &BudgetKey,
        step: impl Fn(&[Moment], Moment) -> (Vec<Moment>, T),
    ) -> Result<T, DbErr> {
        self.update_all(std::slice::from_ref(key), |logs, now| {
            let (recorded, out) = step(logs.first().map_or(&[], Vec::as_slice), now);
            (vec![recorded], out)
        })
        .await
    }

    /// One atomic step on several budgets: their rows are locked in key order (so that two
    /// processes never wait for each other's), then `step` decides as [`Self::update`].
    async fn update_all<T>(
        &self,
        keys: &[BudgetKey],
        step: impl Fn(&[Vec<Moment>], Moment) -> (Vec<Vec<Moment>>, T),
    ) -> Result<T, DbErr> {
        if let [key] = keys
            && let Some(out) = self.swap_one(key, &step).await?
        {
            return Ok(out);
        }
        let mut sorted: Vec<String> = keys.iter().map(ToString::to_string).collect();
        sorted.sort();
        let txn = self.db.begin().await?;
        // Creates the rows or locks them (the upsert's update), in key order so that two
        // processes never wait for each other's; the clock is read once all are held.
        let values = placeholders(sorted.len(), 1, |n| format!("(${n}, '[]')"));
        let lock = format!(
            "INSERT INTO avito_budgets (budget_key, slots) VALUES {values} \
             ON CONFLICT (budget_key) DO UPDATE SET slots = avito_budgets.slots \
             RETURNING budget_key, slots, {NOW_US} AS now_us"
        );
        let args = sorted.iter().map(|k| Value::from(k.as_str()));
        let rows = txn
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                lock,
                args,
            ))
            .await?;
        let mut held = std::collections::HashMap::with_capacity(rows.len());
        let mut now = 0;
        for row in rows {
            let key: String = row.try_get("", "budget_key")?;
            let slots: String = row.try_get("", "slots")?;
            now = now.max(row.try_get::<i64>("", "now_us")?);
            held.insert(key, parse_log(&slots));
        }
        let logs: Vec<Vec<Moment>> = keys
            .iter()
            .map(|key| held.remove(&key.to_string()).unwrap_or_default())
            .collect();
        let (recorded, out) = step(&logs, moment(now));
        // Every row written back in one statement.
        let values = placeholders(keys.len(), 2, |n| format!("(${n}, ${})", n + 1));
        let write = format!(
            "UPDATE avito_budgets AS b SET slots = v.slots \
             FROM (VALUES {values}) AS v (budget_key, slots) WHERE b.budget_key = v.budget_key"
        );
        let mut args = Vec::with_capacity(keys.len() * 2);
        for (key, log) in keys.iter().zip(recorded) {
            args.push(Value::from(key.to_string()));
            args.push(Value::from(encode_log(&log)?));
        }
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            write,
            args,
        ))
        .await?;
        txn.commit().await?;
        Ok(out)
    }

    /// [`Self::update_all`] of one budget (every Avito call's): read, decided, and written back
    /// only if the row is still as read (two statements, no transaction, no row lock held over
    /// a round trip). A write that lost to another process's reads and decides again; `None`
    /// after a few losses, and the caller locks the row instead.
    async fn swap_one<T>(
        &self,
        key: &BudgetKey,
        step: &impl Fn(&[Vec<Moment>], Moment) -> (Vec<Vec<Moment>>, T),
    ) -> Result<Option<T>, DbErr> {
        let read = format!(
            "SELECT (SELECT slots FROM avito_budgets WHERE budget_key = $1) AS slots, \
             {NOW_US} AS now_us"
        );
        for _ in 0..SWAP_TRIES {
            let row = self
                .db
                .query_one_raw(statement(&read, [key.to_string().into()]))
                .await?
                .ok_or_else(|| DbErr::RecordNotFound(format!("budget {key}")))?;
            let old: Option<String> = row.try_get("", "slots")?;
            let now: i64 = row.try_get("", "now_us")?;
            let logs = [old.as_deref().map(parse_log).unwrap_or_default()];
            let (recorded, out) = step(&logs, moment(now));
            let new = encode_log(recorded.first().map_or(&[], Vec::as_slice))?;
            let written = match old {
                None => {
                    let sql = "INSERT INTO avito_budgets (budget_key, slots) VALUES ($1, $2) \
                               ON CONFLICT (budget_key) DO NOTHING";
                    let values = [key.to_string().into(), new.into()];
                    self.db.execute_raw(statement(sql, values)).await?
                }
                Some(old) => {
                    let sql = "UPDATE avito_budgets SET slots = $2 \
                               WHERE budget_key = $1 AND slots = $3";
                    let values = [key.to_string().into(), new.into(), old.into()];
                    self.db.execute_raw(statement(sql, values)).await?
                }
            };
            if written.rows_affected() == 1 {
                return Ok(Some(out));
            }
        }
        Ok(None)
    }
}

/// Drops the budgets none of whose calls is younger than `idle` (a chat written to once, an
/// account since deleted): they hold nothing back, and a row per chat would otherwise stay
/// for good. Nothing to do on SQLite (its budgets are in memory). Returns how many went.
pub async fn prune_idle_budgets(db: &DatabaseConnection, idle: Duration) -> Result<u64, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(0);
    }
    let idle = i64::try_from(idle.as_micros()).unwrap_or(i64::MAX);
    let sql = format!(
        "DELETE FROM avito_budgets WHERE NOT EXISTS (\
         SELECT 1 FROM jsonb_array_elements_text(slots::jsonb) AS at \
         WHERE at::bigint > {NOW_US} - $1)"
    );
    let done = db.execute_raw(statement(&sql, [idle.into()])).await?;
    Ok(done.rows_affected())
}

/// Tries of [`SharedAvito::swap_one`] before it locks the row.
const SWAP_TRIES: usize = 4;

/// A budget's recorded instants as stored (a JSON array of microseconds).
fn parse_log(slots: &str) -> Vec<Moment> {
    serde_json::from_str::<Vec<u64>>(slots)
        // An unreadable log holds nothing back; the server's 429 would correct it.
        .unwrap_or_default()
        .into_iter()
        .map(Duration::from_micros)
        .collect()
}

fn encode_log(log: &[Moment]) -> Result<String, DbErr> {
    let slots: Vec<u64> = log.iter().map(|t| micros(*t)).collect();
    serde_json::to_string(&slots).map_err(|e| DbErr::Custom(e.to_string()))
}

/// `count` comma-separated groups of `per` numbered parameters, from `$1`.
fn placeholders(count: usize, per: usize, group: impl Fn(usize) -> String) -> String {
    (0..count)
        .map(|i| group(i * per + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

fn statement<const N: usize>(sql: &str, values: [Value; N]) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

fn moment(micros: i64) -> Moment {
    Duration::from_micros(u64::try_from(micros).unwrap_or_default())
}

fn micros(moment: Moment) -> u64 {
    u64::try_from(moment.as_micros()).unwrap_or(u64::MAX)
}

/// `slot` with its wait counted from now instead of from when it was decided: the write and
/// the commit that follow take a round trip or two (more on a busy machine), and a wait
/// counted from their end would send every call of a booking that much late.
fn since_decided(slot: Slot, decided: std::time::Instant) -> Slot {
    Slot {
        wait: slot.wait.saturating_sub(decided.elapsed()),
        ..slot
    }
}

fn budget_error(e: DbErr) -> BudgetUnavailable {
    BudgetUnavailable(e.to_string())
}

fn answers_error(e: DbErr) -> AnswersUnavailable {
    AnswersUnavailable(e.to_string())
}

#[async_trait::async_trait]
impl BudgetStore for SharedAvito {
    async fn reserve(&self, budgets: &[(BudgetKey, Limit)]) -> Result<Slot, BudgetUnavailable> {
        let (slots, decided) = self.book(&[budgets.to_vec()]).await?;
        slots
            .into_iter()
            .next()
            .map(|slot| since_decided(slot, decided))
            .ok_or_else(|| BudgetUnavailable("no slot came for the call".to_owned()))
    }

    async fn reserve_each(
        &self,
        calls: &[Vec<(BudgetKey, Limit)>],
    ) -> Result<Vec<Slot>, BudgetUnavailable> {
        Ok(self.book(calls).await?.0)
    }

    async fn release(&self, key: &BudgetKey, slot: Slot) -> Result<(), BudgetUnavailable> {
        self.update(key, |log, _| (release(log, slot.at), ()))
            .await
            .map_err(budget_error)
    }

    async fn exhaust(&self, key: &BudgetKey, limit: Limit) -> Result<(), BudgetUnavailable> {
        self.update(key, |log, now| (exhaust(log, limit, now), ()))
            .await
            .map_err(budget_error)
    }
}

impl SharedAvito {
    /// Whether this save drops the expired answers (then the next does not for a while).
    fn claim_prune(&self) -> bool {
        let now = std::time::Instant::now();
        let mut last = self.pruned_at.lock().unwrap_or_else(|p| p.into_inner());
        let due = prune_due(*last, now);
        if due {
            *last = Some(now);
        }
        due
    }
}

#[async_trait::async_trait]
impl AnswerStore for SharedAvito {
    async fn load(&self, key: &str) -> Result<Option<serde_json::Value>, AnswersUnavailable> {
        let sql = format!(
            "SELECT body FROM avito_answers \
             WHERE key_hash = md5($1) AND request_key = $1 AND expires_at > {NOW_US}"
        );
        let row = self
            .db
            .query_one_raw(statement(&sql, [key.into()]))
            .await
            .map_err(answers_error)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let body: String = row.try_get("", "body").map_err(answers_error)?;
        Ok(serde_json::from_str(&body).ok())
    }

    async fn save(
        &self,
        key: &str,
        answer: &serde_json::Value,
        keep_for: Duration,
    ) -> Result<(), AnswersUnavailable> {
        let keep_for = i64::try_from(keep_for.as_micros()).unwrap_or(i64::MAX);
        let sql = format!(
            "INSERT INTO avito_answers (key_hash, request_key, body, expires_at) \
             VALUES (md5($1), $1, $2, {NOW_US} + $3) \
             ON CONFLICT (key_hash) DO UPDATE SET request_key = EXCLUDED.request_key, \
             body = EXCLUDED.body, \
             expires_at = GREATEST(avito_answers.expires_at, EXCLUDED.expires_at)"
        );
        self.db
            .execute_raw(statement(
                &sql,
                [key.into(), answer.to_string().into(), keep_for.into()],
            ))
            .await
            .map_err(answers_error)?;
        if !self.claim_prune() {
            return Ok(());
        }
        self.db
            .execute_raw(statement(
                &format!("DELETE FROM avito_answers WHERE expires_at <= {NOW_US}"),
                [],
            ))
            .await
            .map_err(answers_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_answers_are_dropped_at_the_first_save_then_once_a_minute() {
        let t0 = std::time::Instant::now();
        assert!(prune_due(None, t0));
        assert!(!prune_due(Some(t0), t0 + Duration::from_secs(59)));
        assert!(prune_due(Some(t0), t0 + PRUNE_ANSWERS_EVERY));
    }
}
