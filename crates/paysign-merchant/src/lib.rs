//! paysign-merchant: the reference merchant server for Huawei Payment Kit pay-and-sign
//! (支付并签约), on `paysign-pas`.
//!
//! | module | what is there |
//! |---|---|
//! | [`config`] | `merchant.toml`, read once; secrets refused when others can read them |
//! | [`db`], [`store`] | SQLite or PostgreSQL (sqlx, embedded migrations); rows and forward-only state changes |
//! | [`http`] | the public listener: `POST/GET /paysign/orders`, callbacks, `/healthz`, `/readyz` |
//! | [`orders`] | the app's calls: catalogue prices, idempotent tickets, owner-only status |
//! | [`callbacks`] | Payment Kit notifications: SM2 verified before parsing, applied once per callbackId |
//! | [`commit`] | group commit: verified callbacks stored in batches, each answered after its commit |
//! | [`reconcile`] | the worker: queries what stayed pending, leases rows, closes expired orders |
//! | [`operations`], [`admin`] | the admin listener: refunds, unsign, withholding debits, bills |
//! | [`pk`] | Payment Kit calls for the configured model, timed |
//! | [`auth`] | app users (HS256 JWT, or `dev`), operators (admin token) |
//! | [`metrics`] | Prometheus text exposition |
//!
//! `paysign-merchant serve --config merchant.toml` runs it; docs/merchant-server.md explains
//! deployment.

pub mod admin;
pub mod auth;
pub mod callbacks;
pub mod commit;
pub mod config;
pub mod db;
pub mod error;
pub mod exec;
pub mod http;
pub mod ids;
pub mod metrics;
pub mod operations;
pub mod orders;
pub mod pk;
pub mod reconcile;
pub mod server;
pub mod sqlite_writer;
pub mod store;
pub mod time;

pub use config::{Config, Settings};
pub use server::{start, AppState, RunningServer, StartError};
