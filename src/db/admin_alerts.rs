//! The `admin_alerts` table: at most one alert per cause per window, across processes.

use std::time::Duration;

use crate::domain::clock;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, Value};

/// Claims `key` for sending at `now` (unix seconds) unless it was sent within `window`;
/// `Some(held back since the last send)` when claimed.
pub async fn claim(
    db: &DatabaseConnection,
    key: &str,
    now: i64,
    window: Duration,
) -> Result<Option<i32>, DbErr> {
    let window = i64::try_from(window.as_secs()).unwrap_or(i64::MAX);
    let cutoff = now.saturating_sub(window);
    // One statement, so two processes cannot both claim: the conflicting insert becomes an
    // update only if the last send is old enough, and RETURNING yields no row otherwise.
    // Placeholders `$n` are understood by both engines' drivers.
    let sql = "INSERT INTO admin_alerts \
                   (cause, last_sent_at, suppressed, reported_suppressed, updated_at) \
               VALUES ($1, $2, 0, 0, $3) \
               ON CONFLICT (cause) DO UPDATE SET \
                   last_sent_at = excluded.last_sent_at, \
                   reported_suppressed = admin_alerts.suppressed, \
                   suppressed = 0, \
                   updated_at = excluded.updated_at \
               WHERE admin_alerts.last_sent_at <= $4 \
               RETURNING reported_suppressed";
    let row = db
        .query_one_raw(statement(
            db,
            sql,
            [key.into(), now.into(), clock::now().into(), cutoff.into()],
        ))
        .await?;
    row.map(|r| r.try_get::<i32>("", "reported_suppressed"))
        .transpose()
}

/// One more alert of `key` held back.
pub async fn count_suppressed(db: &DatabaseConnection, key: &str) -> Result<(), DbErr> {
    let sql = "UPDATE admin_alerts SET suppressed = suppressed + 1 WHERE cause = $1";
    db.execute_raw(statement(db, sql, [key.into()])).await?;
    Ok(())
}

/// Undoes a claim made at `claimed_at` whose send failed (unless another process has claimed
/// since); the next alert counts the held-back ones and this undelivered one.
pub async fn release(
    db: &DatabaseConnection,
    key: &str,
    claimed_at: i64,
    suppressed: i32,
) -> Result<(), DbErr> {
    let sql = "UPDATE admin_alerts SET last_sent_at = 0, suppressed = suppressed + $1 + 1 \
               WHERE cause = $2 AND last_sent_at = $3";
    db.execute_raw(statement(
        db,
        sql,
        [suppressed.into(), key.into(), claimed_at.into()],
    ))
    .await?;
    Ok(())
}

fn statement<const N: usize>(db: &DatabaseConnection, sql: &str, values: [Value; N]) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}
