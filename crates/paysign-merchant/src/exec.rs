//! The statements that move a row's state, run on either kind of connection: a pool connection
//! (`sqlx`, SQLite or PostgreSQL) or the callback writer's own SQLite connection
//! (`sqlite_writer`, `rusqlite`). Each state change in `store` is written once against
//! [`Exec`], so both run the same SQL with the same arguments.

use sqlx::{AnyConnection, Row};

use crate::db::{DbError, WriteTx};

/// A value bound to one of a statement's `$n` parameters (`$1` is the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg<'a> {
    Text(&'a str),
    MaybeText(Option<&'a str>),
    Int(i64),
}

/// A connection that runs `store`'s state changes. Implemented by a pool connection and by the
/// callback writer's own SQLite connection; the futures of the latter are ready at once.
#[allow(async_fn_in_trait)] // used with concrete types only; no Send bound is needed here
pub trait Exec {
    /// The few statements whose dialects differ ask.
    fn on_postgres(&self) -> bool;
    /// Runs `sql` and returns how many rows it changed.
    async fn execute(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<u64, DbError>;
    /// Runs `sql`, which returns one row of one integer.
    async fn fetch_int(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<i64, DbError>;
    /// Runs `sql`, which returns at most one row of (text, integer).
    async fn fetch_text_int(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Option<(String, i64)>, DbError>;
}

fn bind<'q>(
    sql: &'static str,
    args: &[Arg<'q>],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    args.iter().fold(sqlx::query(sql), |q, a| match *a {
        Arg::Text(t) => q.bind(t),
        Arg::MaybeText(t) => q.bind(t),
        Arg::Int(i) => q.bind(i),
    })
}

impl Exec for AnyConnection {
    fn on_postgres(&self) -> bool {
        self.backend_name() == "PostgreSQL"
    }

    async fn execute(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<u64, DbError> {
        Ok(bind(sql, args).execute(&mut *self).await?.rows_affected())
    }

    async fn fetch_int(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<i64, DbError> {
        Ok(bind(sql, args).fetch_one(&mut *self).await?.try_get(0)?)
    }

    async fn fetch_text_int(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Option<(String, i64)>, DbError> {
        match bind(sql, args).fetch_optional(&mut *self).await? {
            Some(row) => Ok(Some((row.try_get(0)?, row.try_get(1)?))),
            None => Ok(None),
        }
    }
}

impl Exec for WriteTx<'_> {
    fn on_postgres(&self) -> bool {
        (**self).on_postgres()
    }

    async fn execute(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<u64, DbError> {
        (**self).execute(sql, args).await
    }

    async fn fetch_int(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<i64, DbError> {
        (**self).fetch_int(sql, args).await
    }

    async fn fetch_text_int(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Option<(String, i64)>, DbError> {
        (**self).fetch_text_int(sql, args).await
    }
}
