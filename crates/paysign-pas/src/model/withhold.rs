//! Withholding debit (免密代扣, spec §4.13): charging a signed contract without the cashier, for
//! both merchant models. `000000` means **accepted**, not charged: the result comes later by
//! notification ([`crate::model::WithholdNotification`]) or by querying the order.
//!
//! Idempotency is by `mercOrderNo`: re-send a failed call with the same number; a number that was
//! accepted answers the same again; after `TRX_FAILED` a new charge needs a new number.
//! `WITHHOLD_OVER_TIMES` means the contract was charged too often: try again after 4 hours.

use serde::{Deserialize, Serialize};

use super::common::{AllocationType, PayerIn, ResponseEnvelope};
use super::prepay::check_expire_time;
use crate::error::FieldError;
use crate::limits;

/// The fields both merchant models send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WithholdOrder {
    /// Unique merchant order number of this debit, ≤ 46; the idempotency key.
    pub merc_order_no: String,
    /// "商户应用名称-商品描述", ≤ 128.
    pub trade_summary: String,
    /// Fen, > 0.
    pub total_amount: i64,
    /// `CNY` (the default and only value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation_type: Option<AllocationType>,
    /// Where the debit result notification goes.
    pub callback_url: String,
    /// 委托代扣协议ID, from the contract-signed notification or query, ≤ 64.
    pub contract_id: String,
    /// Echoed in queries and notifications, ≤ 255.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// `yyyy-MM-dd'T'HH:mm:ss.SSSZ`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<PayerIn>,
}

impl WithholdOrder {
    pub fn validate(&self) -> Result<(), FieldError> {
        limits::required("mercOrderNo", &self.merc_order_no, limits::MERC_ORDER_NO)?;
        limits::required("tradeSummary", &self.trade_summary, limits::TRADE_SUMMARY)?;
        limits::positive_fen("totalAmount", self.total_amount)?;
        if let Some(currency) = &self.currency {
            if currency != limits::CNY {
                return Err(FieldError::new("currency", "only CNY is supported"));
            }
        }
        limits::callback_url("callbackUrl", &self.callback_url)?;
        limits::required("contractId", &self.contract_id, limits::CONTRACT_ID)?;
        limits::optional("payload", self.payload.as_deref(), limits::PAYLOAD)?;
        if let Some(expire) = &self.expire_time {
            check_expire_time(expire)?;
        }
        if let Some(payer) = &self.payer {
            payer.validate()?;
        }
        Ok(())
    }
}

/// Direct merchant debit (`POST /api/v1/aggr/transactions/withhold`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WithholdRequest {
    /// App ID bound to the merchant number.
    pub app_id: String,
    /// Merchant number, ≤ 12.
    pub merc_no: String,
    #[serde(flatten)]
    pub order: WithholdOrder,
}

impl WithholdRequest {
    pub fn validate(&self) -> Result<(), FieldError> {
        limits::required("appId", &self.app_id, limits::APP_ID)?;
        limits::required("mercNo", &self.merc_no, limits::MERC_NO)?;
        self.order.validate()
    }
}

/// Service-provider debit (`POST /api/v1/partner/aggr/transactions/withhold`).
///
/// `[INFER]` the page lists `appId` among the required fields and `spAppId`/`subAppId` as
/// optional SP fields; an SP merchant may have no app of its own, so `appId` is optional here
/// (see [`crate::infer`], note 12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerWithholdRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Service-provider merchant number, ≤ 12 (also PayMercAuth.callerId).
    pub sp_merc_no: String,
    /// Sub-merchant number, ≤ 12.
    pub sub_merc_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_app_id: Option<String>,
    #[serde(flatten)]
    pub order: WithholdOrder,
}

impl PartnerWithholdRequest {
    pub fn validate(&self) -> Result<(), FieldError> {
        limits::optional("appId", self.app_id.as_deref(), limits::APP_ID)?;
        limits::required("spMercNo", &self.sp_merc_no, limits::MERC_NO)?;
        limits::required("subMercNo", &self.sub_merc_no, limits::MERC_NO)?;
        limits::optional("spAppId", self.sp_app_id.as_deref(), limits::APP_ID)?;
        limits::optional("subAppId", self.sub_app_id.as_deref(), limits::APP_ID)?;
        self.order.validate()
    }
}

/// The debit answer (both models): accepted, with Payment Kit's order number. Not a charge yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WithholdResponse {
    #[serde(flatten)]
    pub envelope: ResponseEnvelope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sys_trans_order_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merc_order_no: Option<String>,
}
