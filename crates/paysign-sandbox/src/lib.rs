//! paysign-sandbox: a local simulator of the Huawei Payment Kit server (pay and sign) that
//! answers paysign-pas over real HTTP, for both merchant models.
//!
//! - `merchant_api`: the Payment Kit endpoints, PayMercAuth-checked, answers signed with SM2;
//! - `lifecycle`: every state change of orders, contracts and refunds (merchant API, operator,
//!   and the phone-side cashier all drive it), each one an event in `events`;
//! - `notifications`: the signed notification Payment Kit sends for an event;
//! - `cashier`: `POST /sandbox/cashier`, the phone's cashier checking an orderStr and playing a
//!   decision (pay and sign, pay only, cancel, fail, network error, already processed);
//! - `operator`: `/sandbox/...`, acting as the cashier and Payment Kit, reading state, faults;
//! - `dispatcher`: every notification POSTed to its callbackUrl, retried on `schedule`, each
//!   attempt kept in `delivery_store`, with test faults from `delivery_faults`; read and armed
//!   through `callback_ops` (`/sandbox/callbacks`, `/sandbox/callback-faults`);
//! - `withhold`: withholding debits (免密代扣) against signed contracts, their asynchronous
//!   result, notification and operator API (`/sandbox/debits`, `/sandbox/withhold-settings`);
//! - `bills`: trade and settle bills from the sandbox's own orders;
//! - `api_calls`: per-order counts of the merchant API calls (`/sandbox/api-calls`);
//! - `store`: SQLite, in memory or in a file.
//!
//! Start one with [`start`]; `paysign-sandbox --help` documents the binary.

pub mod api_calls;
pub mod auth;
pub mod bills;
pub mod callback_ops;
pub mod cashier;
pub mod clock;
pub mod delivery_faults;
pub mod delivery_store;
pub mod dispatcher;
pub mod events;
pub mod faults;
pub mod lifecycle;
pub mod merchant_api;
pub mod merchants;
pub mod notifications;
pub mod operator;
pub mod rejection;
pub mod rules;
pub mod schedule;
pub mod server;
pub mod signing;
pub mod store;
pub mod withhold;

pub use dispatcher::CallbackOptions;
pub use merchants::{Merchant, MerchantModel, SandboxConfig, SubMerchant};
pub use paysign_serve::ServeLimits;
pub use schedule::RetrySchedule;
pub use server::{start, RunningSandbox, SandboxOptions, StartError};
pub use withhold::{AutoResult, WithholdSettings};
