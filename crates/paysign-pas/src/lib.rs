//! paysign-pas: the typed Huawei Payment Kit server API for pay-and-sign (支付并签约), for both
//! merchant models (direct merchant 直连商户 and service provider 服务商).
//!
//! Module map:
//!
//! | module | what is there |
//! |---|---|
//! | [`endpoints`] | every path as a constant, per model; base URLs; route templates for servers |
//! | [`model`] | requests, responses and notifications (serde, camelCase, fen as `i64`) |
//! | [`codes`] | `resultCode` / `subCode` enums: every code of spec §4.10, retry and what to do |
//! | [`error`] | [`PasError`], the one error type of the client; [`ApiError`]; [`FieldError`] |
//! | [`limits`] | documented field lengths and amount rules (shared by client and sandbox) |
//! | [`auth`] | PayMercAuth for the client's requests |
//! | [`orderstr`] | the signed orderStr for the app (direct and SP, sandbox flag) |
//! | [`callback`] | notifications: verify raw body (size-capped) → typed; the exact success reply |
//! | [`response`] | verifying synchronous answers |
//! | [`bill`] | bill zip → CSV → typed rows, yuan → fen exactly |
//! | [`hosts`] | [`HostAllowList`]: the storage hosts a bill download may contact |
//! | [`client`] | [`PasClient`]: async reqwest/rustls client with timeouts, bounded retries, verification |
//! | [`infer`] | every protocol choice the docs leave open, one note each |
//! | `simulator` | feature `simulator`: Payment Kit's side (verify PayMercAuth, sign answers and notifications) |
//!
//! A merchant server uses everything but `simulator`; a Payment Kit simulator (paysign-sandbox)
//! turns the feature on. Withholding debits (免密代扣) are [`PasClient::withhold`] /
//! [`PasClient::partner_withhold`], [`callback::parse_withhold`] and [`PasClient::query_order`].
//!
//! Crypto (canonical string, SM2, RSA-PSS, keys) comes from `paysign_crypto`.

pub mod auth;
pub mod bill;
pub mod callback;
pub mod client;
pub mod codes;
pub mod endpoints;
pub mod error;
pub mod hosts;
pub mod infer;
pub mod limits;
pub mod model;
pub mod orderstr;
pub mod response;
#[cfg(feature = "simulator")]
pub mod simulator;
mod strenum;

pub use auth::{HttpMethod, MerchantSigner, PayMercAuth};
pub use client::{ClientConfig, PasClient};
pub use codes::{ResultCode, Retry, SubCode};
pub use endpoints::{BillKind, MerchantModel, PrepayChannel};
pub use error::{ApiError, FieldError, PasError};
pub use hosts::HostAllowList;
pub use orderstr::OrderStrBuilder;
pub use paysign_crypto::{KeyAlgorithm, PrivateKey, PublicKey};
