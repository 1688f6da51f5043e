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
    BudgetKey, BudgetStore, BudgetUnavailable, Limit, Moment, Slot, exhaust, release, reserve_all,
};

/// The database's clock, in microseconds since the Unix epoch.
const NOW_US: &str = "(extract(epoch from clock_timestamp()) * 1000000)::bigint";

/// Budgets and answers kept in PostgreSQL.
pub struct SharedAvito {
    db: DatabaseConnection,
}

impl SharedAvito {
    /// What the processes on `db` share: on PostgreSQL the database's budgets and answers;
    /// on SQLite (one process) nothing, the client keeps both in memory.
    pub fn for_engine(db: &DatabaseConnection) -> Option<Shared> {
        if db.get_database_backend() != DbBackend::Postgres {
            return None;
        }
        let shared = Arc::new(Self { db: db.clone() });
        Some(Shared {
            budgets: shared.clone(),
            answers: shared,
        })
    }

    /// The budgets every process on `db` shares, or none on SQLite (one process).
    pub fn budgets(db: &DatabaseConnection) -> Option<Arc<dyn BudgetStore>> {
        Self::for_engine(db).map(|shared| shared.budgets)
    }

    /// One atomic step on `key`'s budget: its row is locked, `step` decides from the recorded
    /// instants and the database's now, and what it records replaces them.
    async fn update<T>(
        &self,
        key: &BudgetKey,
        step: impl FnOnce(&[Moment], Moment) -> (Vec<Moment>, T),
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
        step: impl FnOnce(&[Vec<Moment>], Moment) -> (Vec<Vec<Moment>>, T),
    ) -> Result<T, DbErr> {
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_by(|a, b| keys[*a].cmp(&keys[*b]));
        let txn = self.db.begin().await?;
        // Creates the row or locks it (the upsert's update), then reads the clock.
        let sql = format!(
            "INSERT INTO avito_budgets (budget_key, slots) VALUES ($1, '[]') \
             ON CONFLICT (budget_key) DO UPDATE SET slots = avito_budgets.slots \
             RETURNING slots, {NOW_US} AS now_us"
        );
        let mut logs = vec![Vec::new(); keys.len()];
        let mut now = 0;
        for i in &order {
            let key = &keys[*i];
            let row = txn
                .query_one_raw(statement(&sql, [key.to_string().into()]))
                .await?
                .ok_or_else(|| DbErr::RecordNotFound(format!("budget {key}")))?;
            let slots: String = row.try_get("", "slots")?;
            // The clock read once every row is held.
            now = row.try_get("", "now_us")?;
            logs[*i] = serde_json::from_str::<Vec<u64>>(&slots)
                // An unreadable log holds nothing back; the server's 429 would correct it.
                .unwrap_or_default()
                .into_iter()
                .map(Duration::from_micros)
                .collect();
        }
        let (recorded, out) = step(&logs, moment(now));
        for (key, log) in keys.iter().zip(recorded) {
            let slots: Vec<u64> = log.iter().map(|t| micros(*t)).collect();
            let slots = serde_json::to_string(&slots).map_err(|e| DbErr::Custom(e.to_string()))?;
            txn.execute_raw(statement(
                "UPDATE avito_budgets SET slots = $2 WHERE budget_key = $1",
                [key.to_string().into(), slots.into()],
            ))
            .await?;
        }
        txn.commit().await?;
        Ok(out)
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

fn statement<const N: usize>(sql: &str, values: [Value; N]) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

fn moment(micros: i64) -> Moment {
    Duration::from_micros(u64::try_from(micros).unwrap_or_default())
}

fn micros(moment: Moment) -> u64 {
    u64::try_from(moment.as_micros()).unwrap_or(u64::MAX)
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
        let keys: Vec<BudgetKey> = budgets.iter().map(|(key, _)| key.clone()).collect();
        self.update_all(&keys, |logs, now| {
            let pairs: Vec<(&[Moment], Limit)> = logs
                .iter()
                .zip(budgets)
                .map(|(log, (_, limit))| (log.as_slice(), *limit))
                .collect();
            let (slot, recorded) = reserve_all(&pairs, now);
            (recorded, slot)
        })
        .await
        .map_err(budget_error)
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
        // Answers are saved about once a window per account and operation: a cheap moment to
        // drop the expired ones.
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
