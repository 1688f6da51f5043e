//! Work that one process leads for all (planning the alert checks), for as long as it lives:
//! on PostgreSQL a session advisory lock held on a connection of its own. The same process
//! keeps leading, so what it remembers of the work stays true (a planner taking turns with
//! others pushed again, one by one, every check the others had pushed). When the leader dies
//! or loses its connection, the server lets go of the lock and the next process to ask takes
//! over. SQLite serves one process: it always leads.

use std::time::Duration;

use sea_orm::sqlx::{self, Connection, PgConnection};
use sea_orm::{DatabaseConnection, DbBackend, DbErr};

/// How long the leader's own connection may take to answer before the lead counts as lost.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// The lead of one kind of work, held or not.
pub struct Lease {
    work: &'static str,
    held: Option<PgConnection>,
}

impl Lease {
    pub fn new(work: &'static str) -> Self {
        Self { work, held: None }
    }

    /// Whether this process leads the work now: a lead held is kept while its connection
    /// answers; without one, the lead is taken if no other process holds it.
    pub async fn lead(&mut self, db: &DatabaseConnection) -> Result<bool, DbErr> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(true);
        }
        if let Some(conn) = self.held.as_mut() {
            match tokio::time::timeout(ANSWER_WITHIN, conn.ping()).await {
                Ok(Ok(())) => return Ok(true),
                // The server let go of the lock with the connection: ask again below.
                _ => {
                    tracing::info!(work = self.work, "lost the lead with its connection");
                    self.held = None;
                }
            }
        }
        let mut conn = db
            .get_postgres_connection_pool()
            .acquire()
            .await
            .map_err(sqlx_error)?;
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext($1))")
            .bind(self.work)
            .fetch_one(&mut *conn)
            .await
            .map_err(sqlx_error)?;
        if taken {
            // Out of the pool: the lock lives as long as this connection.
            self.held = Some(conn.detach());
            tracing::info!(work = self.work, "leading");
        }
        Ok(taken)
    }

    /// Lets another process lead: the lock is let go at once (the server would let it go
    /// with the connection too, but only once it has seen the connection end).
    pub async fn end(&mut self) {
        let Some(mut conn) = self.held.take() else {
            return;
        };
        let unlocked = sqlx::query("SELECT pg_advisory_unlock(hashtext($1))")
            .bind(self.work)
            .execute(&mut conn)
            .await;
        if let Err(e) = unlocked.map(drop).and(conn.close().await) {
            tracing::debug!(work = self.work, error = %e, "letting go of the lead");
        }
    }
}

fn sqlx_error(e: sqlx::Error) -> DbErr {
    DbErr::Custom(e.to_string())
}
