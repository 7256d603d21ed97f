//! paysign-sandbox: a local simulator of the Huawei Payment Kit server (pay and sign) that
//! answers paysign-pas over real HTTP, for both merchant models.
//!
//! - `merchant_api`: the Payment Kit endpoints, PayMercAuth-checked, answers signed with SM2;
//! - `lifecycle`: every state change of orders, contracts and refunds (merchant API, operator,
//!   and later the phone-side cashier all drive it), each one an event in `events`;
//! - `notifications`: the signed notification Payment Kit sends for an event;
//! - `cashier`: `POST /sandbox/cashier`, the phone's cashier checking an orderStr and playing a
//!   decision (pay and sign, pay only, cancel, fail, network error, already processed);
//! - `operator`: `/sandbox/...`, acting as the cashier and Payment Kit, reading state, faults;
//! - `bills`: trade and settle bills from the sandbox's own orders;
//! - `store`: SQLite, in memory or in a file.
//!
//! Start one with [`start`]; `paysign-sandbox --help` documents the binary.

pub mod auth;
pub mod bills;
pub mod cashier;
pub mod clock;
pub mod events;
pub mod faults;
pub mod lifecycle;
pub mod merchant_api;
pub mod merchants;
pub mod notifications;
pub mod operator;
pub mod rejection;
pub mod rules;
pub mod server;
pub mod signing;
pub mod store;

pub use merchants::{Merchant, MerchantModel, SandboxConfig, SubMerchant};
pub use server::{start, RunningSandbox, SandboxOptions, StartError};
