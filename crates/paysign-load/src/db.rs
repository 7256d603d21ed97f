//! The merchant's database as the runs check it: a fresh SQLite file or PostgreSQL database per
//! run, and read-only counts taken straight from the tables (not through the server under test).

use std::path::Path;

use sqlx::{AnyPool, Connection, Row};

use crate::{Ctx, Res};

/// Which database a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// The PostgreSQL server of this run (`scripts/pg-test.sh` sets it), if any.
pub fn postgres_url() -> Option<String> {
    std::env::var("PAYSIGN_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A new, empty database: `sqlite://DIR/NAME.db`, or a new database in the PostgreSQL cluster.
pub async fn fresh(backend: Backend, dir: &Path, name: &str) -> Res<String> {
    match backend {
        Backend::Sqlite => Ok(format!(
            "sqlite://{}",
            dir.join(format!("{name}.db")).display()
        )),
        Backend::Postgres => {
            let admin = postgres_url().ctx("PAYSIGN_TEST_POSTGRES_URL is not set")?;
            let mut random = [0u8; 6];
            getrandom::fill(&mut random).map_err(|e| e.to_string())?;
            let db = format!("load_{name}_{}", hex::encode(random));
            let mut conn = sqlx::postgres::PgConnection::connect(&admin)
                .await
                .ctx("connecting to PostgreSQL")?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
                .execute(&mut conn)
                .await
                .ctx("CREATE DATABASE")?;
            let _ = conn.close().await;
            let mut url = url::Url::parse(&admin).ctx("PAYSIGN_TEST_POSTGRES_URL")?;
            url.set_path(&format!("/{db}"));
            Ok(url.to_string())
        }
    }
}

/// A read-only view of the merchant's tables.
pub struct Db {
    pool: AnyPool,
}

impl Db {
    pub async fn open(database_url: &str) -> Res<Db> {
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(2)
            .connect(database_url)
            .await
            .ctx("opening the merchant's database")?;
        Ok(Db { pool })
    }

    async fn count(&self, sql: &'static str) -> Res<i64> {
        let row = sqlx::query(sql)
            .fetch_one(&self.pool)
            .await
            .ctx("counting rows")?;
        row.try_get::<i64, _>(0).ctx("a count")
    }

    /// Stored notifications (one row per callbackId: the primary key).
    pub async fn callbacks(&self) -> Res<i64> {
        self.count("SELECT COUNT(*) FROM callbacks").await
    }

    pub async fn paid_orders(&self) -> Res<i64> {
        self.count("SELECT COUNT(*) FROM orders WHERE payment = 'PAID'")
            .await
    }

    pub async fn signed_contracts(&self) -> Res<i64> {
        self.count("SELECT COUNT(*) FROM contracts WHERE state = 'SIGNED'")
            .await
    }

    /// Every stored callbackId with its kind and subject.
    pub async fn callback_rows(&self) -> Res<Vec<(String, String, String)>> {
        let rows = sqlx::query("SELECT callback_id, kind, subject FROM callbacks")
            .fetch_all(&self.pool)
            .await
            .ctx("reading callbacks")?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>(0).ctx("callback_id")?,
                    r.try_get::<String, _>(1).ctx("kind")?,
                    r.try_get::<String, _>(2).ctx("subject")?,
                ))
            })
            .collect()
    }

    pub async fn close(self) {
        self.pool.close().await;
    }
}
