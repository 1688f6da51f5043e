//! The database: connecting, migrating, and repositories that query by intent.
//!
//! SQLite is the embedded default and PostgreSQL the production engine; the schema and every
//! query are the same on both. apalis' job tables are set up from the very same pool, so the
//! process holds one pool, not two.

pub mod admin_alerts;
pub mod alerts;
mod database_url;
pub mod dialogue_storage;
pub mod entities;
pub mod exports;
pub mod lease;
pub mod listings_seen;
pub mod profiles;
pub mod ratings;
pub mod reviews;
pub mod shared_avito;
pub mod slots;
pub mod tasks;
pub mod token_store;
pub mod users;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement,
    TransactionTrait,
};

pub use self::database_url::{BadDatabaseUrl, DatabaseKind, DatabaseUrl};
use crate::retry::{self, Backoff, GaveUp};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to the database {url}: {source}")]
    Connect { url: String, source: DbErr },
    /// The server's address does not answer: said at once, with the cause, instead of
    /// waiting for the pool to time out.
    #[error("cannot reach the database server at {addr}: {cause}")]
    Unreachable { addr: String, cause: String },
    #[error("database migration failed: {0}")]
    Migrate(DbErr),
    /// SQLite migrations that kept racing another process's.
    #[error(transparent)]
    MigrateRetried(#[from] GaveUp),
    #[error("setting up the job queue tables failed: {0}")]
    QueueSetup(String),
    #[error(transparent)]
    Query(#[from] DbErr),
    /// A write of a claimed run found its claim taken over by another delivery (see
    /// `slots::Fenced`): this delivery stops, the other one owns the run.
    #[error("the delivery's claim was taken over by another delivery")]
    ClaimLost,
}

/// Opens a pool. One attempt; the caller decides about retries.
pub async fn connect(url: &DatabaseUrl) -> Result<DatabaseConnection, DbError> {
    reachable(url).await?;
    let mut options = ConnectOptions::new(url.as_str());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .max_connections(10)
        .min_connections(1)
        // sqlx pings a connection before every query by default: a second round trip each.
        // Only a connection idle this long (a server or proxy may have dropped it) is pinged.
        .test_before_acquire_if_idle_for(Duration::from_secs(30));
    if plain_on_loopback(url.as_str()) {
        // TLS to this very machine protects nothing and costs every query its encryption.
        options
            .map_sqlx_postgres_opts(|pg| pg.ssl_mode(sea_orm::sqlx::postgres::PgSslMode::Disable));
    }
    if matches!(url.kind(), DatabaseKind::Sqlite { .. }) {
        options.map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                // A write waits its turn behind the other writers (another job, another
                // process) instead of failing with "database is locked".
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                // Safe with WAL (see `migrate`): a crash loses no committed transaction's
                // integrity, only possibly the last ones, and commits need no sync each.
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
        });
    }
    Database::connect(options)
        .await
        .map_err(|source| DbError::Connect {
            url: url.to_string(),
            source,
        })
}

/// Whether `url` is a PostgreSQL server on this machine (a loopback address or a Unix socket)
/// that does not ask for an `sslmode` of its own.
fn plain_on_loopback(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    if !matches!(parsed.scheme(), "postgres" | "postgresql")
        || parsed.query_pairs().any(|(k, _)| k == "sslmode")
    {
        return false;
    }
    // A `postgres:` URL's host is opaque to `url`: an address is read here.
    match parsed.host_str().filter(|h| !h.is_empty()) {
        None => true,
        Some("localhost") => true,
        Some(host) => host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
    }
}

/// For a server database, whether its address takes a TCP connection: a refused port or an
/// unknown host is named with its cause in a second, where the pool would only say "pool
/// timed out" after its acquire timeout.
async fn reachable(url: &DatabaseUrl) -> Result<(), DbError> {
    let Ok(parsed) = url::Url::parse(url.as_str()) else {
        return Ok(());
    };
    if !matches!(parsed.scheme(), "postgres" | "postgresql") {
        return Ok(());
    }
    let host = parsed.host_str().unwrap_or("localhost");
    crate::net::probe(host, parsed.port().unwrap_or(5432))
        .await
        .map_err(|e| DbError::Unreachable {
            addr: e.addr,
            cause: e.cause,
        })
}

/// Applies every pending migration of ours, then apalis' own. Several processes starting at
/// once on a fresh database take turns: on PostgreSQL under an advisory lock, on SQLite (which
/// has none) by trying again once the other process's schema change is done.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbError> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            // The lock belongs to one session: take and free it on one pooled connection.
            let pool = db.get_postgres_connection_pool();
            let mut session = pool
                .acquire()
                .await
                .map_err(|e| DbError::Migrate(DbErr::Custom(format!("migration lock: {e}"))))?;
            let lock = |sql: &'static str| sea_orm::sqlx::query(sql).bind(MIGRATION_LOCK);
            lock("SELECT pg_advisory_lock($1)")
                .execute(&mut *session)
                .await
                .map_err(|e| DbError::Migrate(DbErr::Custom(format!("migration lock: {e}"))))?;
            let result = migrate_unlocked(db).await;
            // Freed with the session anyway if this fails.
            let _ = lock("SELECT pg_advisory_unlock($1)")
                .execute(&mut *session)
                .await;
            result
        }
        // SQLite has no lock to take turns with: a process whose schema change raced another
        // one's tries again once that one is done, as the one retry policy says.
        _ => Ok(
            retry::retry("migration", MIGRATION_RACE, MIGRATION_ATTEMPT_LIMIT, || {
                migrate_unlocked(db)
            })
            .await?,
        ),
    }
}

/// The advisory lock key of migrations (any constant shared by all our processes).
const MIGRATION_LOCK: i64 = 0x6176_6974_6f5f_7270; // "avito_rp"
/// Tries of a SQLite migration that races another process's: 0.3 s, then longer, ≈3 s in all.
const MIGRATION_RACE: Backoff = Backoff::new(5, Duration::from_millis(300), Duration::from_secs(1));
/// A migration is never cut short (a schema change stopped half-way helps nobody); the pool's
/// own timeouts bound a stuck one.
const MIGRATION_ATTEMPT_LIMIT: Duration = Duration::MAX;

/// How long a SQLite write waits for the lock another writer holds before failing: longer than
/// any of our write transactions, so concurrent jobs queue instead of failing.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

async fn migrate_unlocked(db: &DatabaseConnection) -> Result<(), DbError> {
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL: readers never block the writer nor it them, so only writers take turns (under
        // the busy timeout). Kept in the file, so set once here, where racing processes try
        // again; the switch needs a lock the busy timeout cannot wait for. (apalis' setup sets
        // it too; ours must not depend on that.) An in-memory database answers "memory".
        db.execute_unprepared("PRAGMA journal_mode = WAL")
            .await
            .map_err(DbError::Migrate)?;
    }
    Migrator::up(db, None).await.map_err(DbError::Migrate)?;
    setup_job_queue(db).await
}

/// Reverts every migration of ours (apalis' tables stay: they are apalis' to manage).
pub async fn rollback_all(db: &DatabaseConnection) -> Result<(), DbError> {
    Migrator::reset(db).await.map_err(DbError::Migrate)
}

/// Migrations applied, by name, oldest first.
pub async fn applied_migrations(db: &DatabaseConnection) -> Result<Vec<String>, DbError> {
    let applied = Migrator::get_applied_migrations(db).await?;
    Ok(applied.iter().map(|m| m.name().to_owned()).collect())
}

/// Creates apalis' storage tables from the shared pool.
async fn setup_job_queue(db: &DatabaseConnection) -> Result<(), DbError> {
    match db.get_database_backend() {
        DbBackend::Sqlite => apalis_sqlite::SqliteStorage::setup(db.get_sqlite_connection_pool())
            .await
            .map_err(|e| DbError::QueueSetup(e.to_string())),
        DbBackend::Postgres => {
            apalis_postgres::PostgresStorage::setup(db.get_postgres_connection_pool())
                .await
                .map_err(|e| DbError::QueueSetup(e.to_string()))?;
            // An optimisation: a start never waits on it nor fails for it.
            if let Err(e) = index_live_locks(db).await {
                tracing::warn!(error = %e, "the job queue's indexes were left as they were");
            }
            Ok(())
        }
        other => Err(DbError::QueueSetup(format!(
            "unsupported backend {other:?}"
        ))),
    }
}

/// apalis indexes every job's `lock_by`, and finished jobs keep theirs (for two weeks here).
/// Its acknowledgement of finished jobs, planned once for all, could then read a worker's
/// whole history through that index and hash it against the few jobs acknowledged, a cost
/// that grows with every job the worker has done (in the agency bench, on a server whose
/// statistics lagged the table: 9,496 rows read to acknowledge 2 jobs). Only the jobs still
/// queued or running are looked up by worker (a dead worker's, to queue them again), so only
/// those are indexed; the acknowledgement then finds its jobs by id. Run after apalis' setup
/// at every start, so an index apalis adds back is dropped again.
///
/// Creating or dropping an index locks the table against every open transaction that wrote
/// to it, and a process frozen inside one (SIGSTOP) held a starting process there for good:
/// so the catalog is asked first (no lock), only what is missing or left over is changed, and
/// with a lock timeout.
async fn index_live_locks(db: &DatabaseConnection) -> Result<(), DbErr> {
    const LIVE: &str = "ix_apalis_jobs_live_lock_by";
    let mut changes = Vec::new();
    if !apalis_index_exists(db, LIVE).await? {
        changes.push(format!(
            "CREATE INDEX IF NOT EXISTS {LIVE} ON apalis.jobs (lock_by) \
             WHERE status = 'Queued' OR status = 'Running'"
        ));
    }
    for old in ["idx_apalis_jobs_lock_by", "lidx"] {
        if apalis_index_exists(db, old).await? {
            changes.push(format!("DROP INDEX IF EXISTS apalis.{old}"));
        }
    }
    if changes.is_empty() {
        return Ok(());
    }
    let txn = db.begin().await?;
    txn.execute_unprepared("SET LOCAL lock_timeout = '5s'")
        .await?;
    for sql in &changes {
        txn.execute_unprepared(sql).await?;
    }
    txn.commit().await
}

async fn apalis_index_exists(db: &DatabaseConnection, name: &str) -> Result<bool, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 AS one FROM pg_indexes WHERE schemaname = 'apalis' AND indexname = $1",
            [name.into()],
        ))
        .await?;
    Ok(row.is_some())
}

/// Whether the database is a PostgreSQL server whose autovacuum is off. The job queue's table
/// is rewritten at every job's step: unvacuumed, it bloats and its statistics go stale, and
/// its queries slow down with every job done (an acknowledgement took 54 ms instead of 6 in
/// the agency bench).
pub async fn autovacuum_off(db: &DatabaseConnection) -> Result<bool, DbError> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(false);
    }
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_setting('autovacuum') AS autovacuum",
        ))
        .await?;
    let setting: String = match row {
        Some(row) => row.try_get("", "autovacuum")?,
        None => return Ok(false),
    };
    Ok(setting == "off")
}

/// A cheap round trip, for readiness checks.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbError> {
    db.execute_unprepared("SELECT 1").await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::plain_on_loopback;

    #[test]
    fn only_a_local_postgres_without_an_sslmode_goes_without_tls() {
        for local in [
            "postgres://u@127.0.0.1:5432/db",
            "postgresql://u@localhost/db",
            "postgres://u@[::1]/db",
            "postgres:///db?host=/run/postgresql",
        ] {
            assert!(plain_on_loopback(local), "{local}");
        }
        for other in [
            "postgres://u@db.internal:5432/db",
            "postgres://u@10.0.0.5/db",
            "postgres://u@127.0.0.1/db?sslmode=require",
            "sqlite://data/bot.db",
        ] {
            assert!(!plain_on_loopback(other), "{other}");
        }
    }
}
