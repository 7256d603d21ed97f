//! The database: SQLite (a file, or `sqlite::memory:`) or PostgreSQL behind one `sqlx` Any pool,
//! with the embedded migrations of `migrations/` (one SQL text both accept). The few places the
//! dialects differ (row leases) ask [`Db::dialect`].

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection, SqlSafeStr, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Which SQL engine is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database_url must start with sqlite: or postgres:// (got {0:?})")]
    UnsupportedUrl(String),
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    /// From the callback writer's own SQLite connection (`sqlite_writer`).
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The shared connection pool.
#[derive(Debug, Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub dialect: Dialect,
    /// SQLite takes one writer at a time and makes the others sleep and retry (its busy
    /// handler), which turns contention into long tails; this process's write transactions
    /// queue here instead. `None` on PostgreSQL, whose row locks do the job.
    write_gate: Option<Arc<Mutex<()>>>,
    /// The SQLite database's file (`None` in memory and on PostgreSQL): the callback writer
    /// opens its own connection to it (`sqlite_writer`).
    sqlite_file: Option<PathBuf>,
}

/// A write transaction (behind the SQLite write gate). Dropped without [`commit`](Self::commit),
/// it rolls back.
pub struct WriteTx<'c> {
    tx: Transaction<'c, Any>,
    _gate: Option<OwnedMutexGuard<()>>,
}

impl WriteTx<'_> {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for WriteTx<'_> {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

fn migrator() -> Migrator {
    let migration = |version, name, sql: &'static str| {
        Migration::new(
            version,
            Cow::Borrowed(name),
            MigrationType::Simple,
            sql.into_sql_str(),
            false,
        )
    };
    Migrator::with_migrations(vec![
        migration(1, "init", include_str!("../migrations/0001_init.sql")),
        migration(
            2,
            "listing indexes",
            include_str!("../migrations/0002_listing_indexes.sql"),
        ),
    ])
}

impl Db {
    /// Connects and brings the schema up to date (safe with several instances starting at once:
    /// the migrator takes a database lock).
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let (dialect, url) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Dialect::Postgres, url.to_owned())
        } else if url.starts_with("sqlite:") {
            (Dialect::Sqlite, sqlite_url(url))
        } else {
            return Err(DbError::UnsupportedUrl(url.to_owned()));
        };
        // In memory either way SQLite accepts it: no file for the callback writer to open.
        let memory =
            dialect == Dialect::Sqlite && (url.contains(":memory:") || url.contains("mode=memory"));
        let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        options = if memory {
            // Each SQLite connection to :memory: is its own database: keep exactly one, forever.
            options
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            options.max_connections(16)
        };
        if dialect == Dialect::Sqlite {
            // A callback answered success must survive a power loss: every commit is flushed to
            // disk (FULL is SQLite's default too; said here so no build or URL weakens it).
            // Group commit (src/commit.rs) makes that one flush per batch, not per callback.
            options = options.after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::query("PRAGMA synchronous = FULL")
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            });
        }
        let pool = options.connect(&url).await?;
        if dialect == Dialect::Sqlite && !memory {
            // Readers do not wait for the writer, and other instances on the same file can
            // write in turn (busy_timeout is sqlx's default 5 s).
            sqlx::query("PRAGMA journal_mode=WAL")
                .fetch_optional(&pool)
                .await?;
        }
        migrator().run(&pool).await?;
        let write_gate = (dialect == Dialect::Sqlite).then(|| Arc::new(Mutex::new(())));
        let sqlite_file = if dialect == Dialect::Sqlite && !memory {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)?;
            Some(options.get_filename().to_path_buf())
        } else {
            None
        };
        Ok(Db {
            pool,
            dialect,
            write_gate,
            sqlite_file,
        })
    }

    /// Begins a write transaction, after this process's other SQLite writers.
    pub async fn begin_write(&self) -> Result<WriteTx<'static>, sqlx::Error> {
        let gate = self.write_turn().await;
        let tx = self.pool.begin().await?;
        Ok(WriteTx { tx, _gate: gate })
    }

    /// [`begin_write`](Self::begin_write) on a connection the caller keeps (the callback
    /// writer's, whose statements and pages stay cached). On SQLite it takes the write lock at
    /// once (`BEGIN IMMEDIATE`), waiting for other processes on the same file in the busy
    /// handler, instead of failing when a read inside it would have to become a write.
    pub async fn begin_write_on<'c>(
        &self,
        conn: &'c mut AnyConnection,
    ) -> Result<WriteTx<'c>, sqlx::Error> {
        let gate = self.write_turn().await;
        let tx = match self.dialect {
            Dialect::Sqlite => conn.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => conn.begin().await?,
        };
        Ok(WriteTx { tx, _gate: gate })
    }

    /// The SQLite file, when the database is one.
    pub fn sqlite_file(&self) -> Option<&Path> {
        self.sqlite_file.as_deref()
    }

    pub(crate) async fn write_turn(&self) -> Option<OwnedMutexGuard<()>> {
        match &self.write_gate {
            Some(g) => Some(Arc::clone(g).lock_owned().await),
            None => None,
        }
    }

    /// A connection of the pool for the caller to keep.
    pub async fn connection(&self) -> Result<PoolConnection<Any>, sqlx::Error> {
        self.pool.acquire().await
    }

    /// `FOR UPDATE SKIP LOCKED` where the engine has row locks (PostgreSQL); SQLite has one
    /// writer at a time, so its claims are serialised anyway.
    pub fn skip_locked(&self) -> &'static str {
        match self.dialect {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        }
    }

    /// The database answers.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// `sqlite://file.db` creates the file when missing (`mode=rwc`) unless the URL says otherwise.
fn sqlite_url(url: &str) -> String {
    if url.contains(":memory:") || url.contains("mode=") {
        return url.to_owned();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}mode=rwc")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn only_a_database_file_is_named_for_the_writers_own_connection() {
        for url in ["sqlite::memory:", "sqlite://paysign-db-test?mode=memory"] {
            let db = Db::connect(url).await.unwrap();
            assert_eq!(db.sqlite_file(), None, "{url}");
            db.close().await;
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("merchant.db");
        let db = Db::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        assert_eq!(db.sqlite_file(), Some(file.as_path()));
        db.close().await;
    }
}
