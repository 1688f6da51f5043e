//! The columns the application now reads as types (settings, statuses, kinds) get values it
//! can read, converting what earlier versions wrote and interpreted:
//!
//! * `report_tasks.metrics`: earlier readers took an unreadable value as every metric and
//!   dropped unknown slugs; that reading is written out, so nothing changes for the owner.
//! * `report_tasks.time_of_day`: `9:05` becomes `09:05`.
//! * Statuses and kinds only ever held the application's own slugs; anything else (edited by
//!   hand) becomes the value that asks for attention: a failed run or export, a profile whose
//!   credentials are checked again at the next report.
//!
//! Frequency, period and time zone are left as they are: a value no version wrote has no
//! meaning to convert to, and the application shows it as damaged for the owner to set again.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement, Value};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The metric slugs at the time of this migration.
const METRICS: [&str; 10] = [
    "views",
    "contacts",
    "favorites",
    "conversion",
    "calls",
    "spending",
    "cost_per_contact",
    "balance",
    "cpa_balance",
    "active_items",
];

/// The metrics an earlier reader saw in `stored`, as the JSON list written back.
fn metrics_as_read(stored: &str) -> String {
    let slugs: Vec<&str> = match serde_json::from_str::<Vec<String>>(stored) {
        Ok(list) => METRICS
            .iter()
            .copied()
            .filter(|m| list.iter().any(|s| s == m))
            .collect(),
        Err(_) => METRICS.to_vec(),
    };
    let quoted: Vec<String> = slugs.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", quoted.join(","))
}

/// `H:MM` padded to `HH:MM`; anything else as it is.
fn padded_time(stored: &str) -> String {
    match stored.trim().split_once(':') {
        Some((h, m))
            if h.len() == 1
                && h.bytes().all(|b| b.is_ascii_digit())
                && m.len() == 2
                && m.bytes().all(|b| b.is_ascii_digit()) =>
        {
            format!("0{h}:{m}")
        }
        _ => stored.to_owned(),
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id, metrics, time_of_day FROM report_tasks",
            ))
            .await?;
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let metrics: String = row.try_get("", "metrics")?;
            let time: String = row.try_get("", "time_of_day")?;
            let (new_metrics, new_time) = (metrics_as_read(&metrics), padded_time(&time));
            if new_metrics != metrics || new_time != time {
                db.execute_raw(Statement::from_sql_and_values(
                    backend,
                    "UPDATE report_tasks SET metrics = $1, time_of_day = $2 WHERE id = $3",
                    [
                        Value::from(new_metrics),
                        Value::from(new_time),
                        Value::from(id),
                    ],
                ))
                .await?;
            }
        }
        for sql in [
            "UPDATE report_runs SET status = 'failed', \
             error = COALESCE(error, 'unreadable status before migration 9') \
             WHERE status NOT IN ('pending', 'sent', 'failed', 'skipped')",
            "UPDATE report_runs SET kind = 'now' \
             WHERE kind NOT IN ('scheduled', 'now', 'historical', 'stats')",
            "UPDATE exports SET status = 'failed' \
             WHERE status NOT IN ('queued', 'running', 'done', 'failed')",
            "UPDATE avito_profiles SET status = 'ok' WHERE status NOT IN ('ok', 'auth_failed')",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The converted values are what the earlier version read anyway: nothing to undo.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_values_convert_to_what_earlier_readers_saw() {
        assert_eq!(
            metrics_as_read("garbage"),
            metrics_as_read(&format!("{METRICS:?}"))
        );
        assert_eq!(
            metrics_as_read(r#"["calls","bogus","views"]"#),
            r#"["views","calls"]"#
        );
        assert_eq!(metrics_as_read("[]"), "[]");
        assert_eq!(padded_time("9:05"), "09:05");
        assert_eq!(padded_time("21:30"), "21:30");
        assert_eq!(padded_time("25:00"), "25:00");
    }
}
