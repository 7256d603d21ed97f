//! Refund and query refund (spec §4.4, §4.5). The body is the same for both merchant models;
//! only the path differs.

use serde::{Deserialize, Serialize};

use super::common::{RefundStatus, ResponseEnvelope};
use crate::error::FieldError;
use crate::limits;

/// A refund request. Keep `mercRefundOrderNo` unchanged when retrying the same refund (Payment
/// Kit refunds it once), except after `RETRY_TOO_MANY`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundRequest {
    /// One of `mercOrderNo` / `sysTransOrderNo` is required; `sysTransOrderNo` wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merc_order_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sys_trans_order_no: Option<String>,
    pub merc_refund_order_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub callback_url: String,
    /// Fen; `None` refunds the whole order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

impl RefundRequest {
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.merc_order_no.is_none() && self.sys_trans_order_no.is_none() {
            return Err(FieldError::new(
                "mercOrderNo",
                "one of mercOrderNo / sysTransOrderNo is required",
            ));
        }
        limits::optional(
            "mercOrderNo",
            self.merc_order_no.as_deref(),
            limits::MERC_ORDER_NO,
        )?;
        limits::required(
            "mercRefundOrderNo",
            &self.merc_refund_order_no,
            limits::MERC_REFUND_ORDER_NO,
        )?;
        limits::optional("reason", self.reason.as_deref(), limits::REASON)?;
        limits::callback_url("callbackUrl", &self.callback_url)?;
        if let Some(amount) = self.refund_amount {
            limits::positive_fen("refundAmount", amount)?;
        }
        limits::optional("payload", self.payload.as_deref(), limits::PAYLOAD)
    }
}

/// The refund answer (accepted; the result comes by notification or query).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundResponse {
    #[serde(flatten)]
    pub envelope: ResponseEnvelope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merc_refund_order_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sys_refund_order_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sys_trans_order_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merc_order_no: Option<String>,
    /// Fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_amount: Option<i64>,
    /// Fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_refund_amount: Option<i64>,
}

/// The query-refund answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryRefundResponse {
    #[serde(flatten)]
    pub envelope: ResponseEnvelope,
    pub refund_order_status: RefundStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sys_refund_order_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merc_refund_order_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_time: Option<String>,
    /// Fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_amount: Option<i64>,
    /// Fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_refund_amount: Option<i64>,
    /// Fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_refund_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}
