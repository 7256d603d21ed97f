//! paysign-core: the protocol model and the client logic of Huawei Payment Kit pay-and-sign.
//!
//! No I/O, no FFI, no clock: time comes in as `now_ms`, bytes come in as strings. The N-API
//! library (`paysign`) converts values and forwards here; `paysign-pas` builds the [`OrderStr`]
//! this crate parses.
//!
//! - [`error`]: the one error type and its table of stable codes
//! - [`order_str`]: the orderStr, parsed and validated before the cashier
//! - [`ticket`], [`status`]: the two answers of the merchant server (types and strict readers from
//!   `paysign-contract`, shared with the merchant server; here their problems get error codes)
//! - [`outcome`]: payment and contract results
//! - [`config`], [`flow`]: the pay-and-sign reducer
//! - [`redact`]: masking for log lines

pub mod config;
pub mod error;
pub mod flow;

pub mod order_str;
pub mod outcome;
pub mod redact;
pub mod status;
pub mod ticket;

pub use config::FlowConfig;
pub use error::{ErrorCode, ErrorInfo, ErrorKind, ErrorView, PaysignError};
pub use flow::{step, Action, Event, FlowState};
pub use order_str::{CheckedOrderStr, OrderStr};
pub use outcome::{ContractOutcome, PayAndSignOutcome, PaymentOutcome};
pub use status::{MerchantContract, MerchantPayment, MerchantStatus};
pub use ticket::Ticket;
