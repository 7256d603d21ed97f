//! The callback writer's own connection to a SQLite file, used on its own thread.
//!
//! Through the pool (`sqlx`), every statement is a round trip to a worker thread, so a batch had
//! to travel as JSON in a few large statements. Here statements run in place, row by row, from
//! cached prepared statements: storing a callback costs less than half the CPU (the figures are in
//! docs/merchant-server.md). What a batch means is unchanged and shared with the pool's writer
//! (`commit::apply_batch_with`): the same checks, the same state changes (`store`, through
//! [`Exec`]), `BEGIN IMMEDIATE` after this process's other writers (`Db::write_turn`), and
//! success only once `COMMIT` returned, with `synchronous = FULL`.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, Value};
use rusqlite::{CachedStatement, Connection, OpenFlags};

use crate::callbacks::Outcome;
use crate::commit::{self, BatchStore, Verified};
use crate::db::{Db, DbError};
use crate::exec::{Arg, Exec};
use crate::store;
use crate::time;

/// How long a write waits for another process holding the file's write lock (sqlx's default).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Cached prepared statements: every statement the writer runs, with room to spare.
const STATEMENT_CACHE: usize = 64;

/// Opens the writer's connection to the database file, which `Db::connect` created and
/// migrated, in WAL mode. It never creates one: a file gone is an error, not a new empty
/// database.
pub fn open(file: &Path) -> Result<Connection, DbError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(file, flags)?;
    // Every commit flushed: a callback answered success survives a power loss (as the pool's
    // connections, db.rs).
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// The writer's connection, as [`commit`] stores batches on it.
pub struct Direct<'a> {
    pub db: &'a Db,
    pub conn: &'a Connection,
}

/// `$1` … `$16`: the parameter names `store`'s statements use, bound by name so a text may
/// use one twice or skip one.
const NAMES: [&str; 16] = [
    "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15",
    "$16",
];

fn prepare<'c>(
    conn: &'c Connection,
    sql: &str,
    args: &[Arg<'_>],
) -> Result<CachedStatement<'c>, DbError> {
    let mut statement = conn.prepare_cached(sql)?;
    if args.len() > NAMES.len() {
        return Err(DbError::Sqlite(rusqlite::Error::InvalidParameterCount(
            args.len(),
            NAMES.len(),
        )));
    }
    for (name, arg) in NAMES.iter().zip(args) {
        if let Some(index) = statement.parameter_index(name)? {
            let value = match *arg {
                Arg::Text(t) => ToSqlOutput::Borrowed(t.into()),
                Arg::MaybeText(Some(t)) => ToSqlOutput::Borrowed(t.into()),
                Arg::MaybeText(None) => ToSqlOutput::Owned(Value::Null),
                Arg::Int(i) => ToSqlOutput::Owned(Value::Integer(i)),
            };
            statement.raw_bind_parameter(index, value)?;
        }
    }
    Ok(statement)
}

impl Exec for Direct<'_> {
    fn on_postgres(&self) -> bool {
        false
    }

    async fn execute(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<u64, DbError> {
        let changed = prepare(self.conn, sql, args)?.raw_execute()?;
        Ok(changed as u64)
    }

    async fn fetch_int(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<i64, DbError> {
        let mut statement = prepare(self.conn, sql, args)?;
        let mut rows = statement.raw_query();
        match rows.next()? {
            Some(row) => Ok(row.get(0)?),
            None => Err(DbError::Sqlite(rusqlite::Error::QueryReturnedNoRows)),
        }
    }

    async fn fetch_text_int(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Option<(String, i64)>, DbError> {
        let mut statement = prepare(self.conn, sql, args)?;
        let mut rows = statement.raw_query();
        match rows.next()? {
            Some(row) => Ok(Some((row.get(0)?, row.get(1)?))),
            None => Ok(None),
        }
    }
}

impl BatchStore for Direct<'_> {
    async fn payment_terms(&mut self, numbers: &[&str]) -> Result<store::Terms, DbError> {
        let mut terms = store::Terms::new();
        if numbers.is_empty() {
            return Ok(terms);
        }
        let parameter = store::terms_parameter(numbers)?;
        let mut statement = prepare(
            self.conn,
            store::PAYMENT_TERMS_SQLITE,
            &[Arg::Text(&parameter)],
        )?;
        let mut rows = statement.raw_query();
        while let Some(row) = rows.next()? {
            let debit: i64 = row.get(3)?;
            store::add_term(
                &mut terms,
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                debit != 0,
            );
        }
        Ok(terms)
    }

    async fn apply_in_one_transaction(
        &mut self,
        items: &[&Verified],
    ) -> Result<Vec<Outcome>, DbError> {
        let now = time::now_ms();
        let _turn = self.db.write_turn().await;
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let committed = record_and_apply(self, items, now)
            .await
            .and_then(|outcomes| {
                self.conn.execute_batch("COMMIT")?;
                Ok(outcomes)
            });
        if !self.conn.is_autocommit() {
            // Failed before or at COMMIT: nothing of this transaction stays.
            if let Err(e) = self.conn.execute_batch("ROLLBACK") {
                tracing::error!(error = %e, "callback writer: rollback failed");
            }
        }
        committed
    }
}

/// Each member recorded first, then its change: a callbackId recorded before (an earlier batch,
/// another instance) writes nothing and is a duplicate.
async fn record_and_apply(
    direct: &mut Direct<'_>,
    items: &[&Verified],
    now: i64,
) -> Result<Vec<Outcome>, DbError> {
    let mut outcomes = Vec::with_capacity(items.len());
    for v in items {
        if !store::record_callback(direct, &v.record(), "APPLIED", now).await? {
            outcomes.push(Outcome::Duplicate);
            continue;
        }
        let changed = commit::apply_change(direct, &v.change, now).await?;
        if !changed {
            store::set_callback_outcome(direct, &v.callback_id, "NO_CHANGE").await?;
        }
        outcomes.push(Outcome::Applied { changed });
    }
    Ok(outcomes)
}
