//! Requests, responses and notifications of every pay-and-sign API, for both merchant models.
//!
//! Conventions: JSON is camelCase; amounts are integer fen (`i64`); optional fields are `Option`
//! and are left out when `None`; unknown response fields are ignored; states and codes that may
//! grow keep unknown values (`Other`). Every type serializes and deserializes, so the sandbox can
//! use the same models on the other side of the wire.

pub mod bill;
pub mod common;
pub mod contract;
pub mod notify;
pub mod order;
pub mod prepay;
pub mod refund;
pub mod withhold;

pub use bill::BillDownloadInfoResponse;
pub use common::*;
pub use contract::{PartnerUnsignRequest, QueryContractResponse, UnsignRequest, UnsignResponse};
pub use notify::{
    ContractSignedNotification, Notification, NotificationKind, PaymentNotification,
    RefundNotification, UnsignNotification, WithholdNotification,
};
pub use order::QueryOrderResponse;
pub use prepay::{PartnerPrepayRequest, PrepayOrder, PrepayRequest, PrepayResponse};
pub use refund::{QueryRefundResponse, RefundRequest, RefundResponse};
pub use withhold::{PartnerWithholdRequest, WithholdOrder, WithholdRequest, WithholdResponse};
