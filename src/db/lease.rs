//! Work that one process at a time should do for all (planning the alert checks): on
//! PostgreSQL a transaction-scoped advisory lock, held while the work runs and let go when it
//! ends — or when the process dies and its connection closes, so another takes over at its
//! next round. SQLite serves one process: it always leads.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement,
    TransactionTrait,
};

/// This process leads the work named when it was taken, until [`Leading::end`].
pub struct Leading {
    txn: Option<DatabaseTransaction>,
}

impl Leading {
    /// Lets another process lead.
    pub async fn end(self) -> Result<(), DbErr> {
        match self.txn {
            Some(txn) => txn.commit().await,
            None => Ok(()),
        }
    }
}

/// Leads `work` unless another process does now (`None`).
pub async fn try_lead(db: &DatabaseConnection, work: &str) -> Result<Option<Leading>, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(Some(Leading { txn: None }));
    }
    let txn = db.begin().await?;
    let taken = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_try_advisory_xact_lock(hashtext($1)) AS taken",
            [work.into()],
        ))
        .await?
        .map(|row| row.try_get::<bool>("", "taken"))
        .transpose()?
        .unwrap_or(false);
    if taken {
        Ok(Some(Leading { txn: Some(txn) }))
    } else {
        txn.rollback().await?;
        Ok(None)
    }
}
