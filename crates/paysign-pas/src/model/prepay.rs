//! The pay-and-sign pre-order (spec §4.1 direct, §4.2 service provider).

use serde::{Deserialize, Serialize};

use super::common::{AllocationType, ContractInfo, GoodDetail, PayerIn, ResponseEnvelope};
use crate::error::FieldError;
use crate::limits;

/// The fields both merchant models send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrepayOrder {
    /// Unique merchant order number, ≤ 46.
    pub merc_order_no: String,
    /// "商户应用名称-商品描述", ≤ 128.
    pub trade_summary: String,
    /// Fen, > 0.
    pub total_amount: i64,
    /// `CNY` (the default and only value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_detail: Option<Vec<GoodDetail>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation_type: Option<AllocationType>,
    /// Where the payment notification goes.
    pub callback_url: String,
    /// Echoed in queries and notifications, ≤ 255.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// `yyyy-MM-dd'T'HH:mm:ss.SSSZ`; Payment Kit's default is 2 hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_time: Option<String>,
    pub contract_info: ContractInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<PayerIn>,
}

impl PrepayOrder {
    pub fn validate(&self) -> Result<(), FieldError> {
        limits::required("mercOrderNo", &self.merc_order_no, limits::MERC_ORDER_NO)?;
        limits::required("tradeSummary", &self.trade_summary, limits::TRADE_SUMMARY)?;
        limits::positive_fen("totalAmount", self.total_amount)?;
        if let Some(currency) = &self.currency {
            if currency != limits::CNY {
                return Err(FieldError::new("currency", "only CNY is supported"));
            }
        }
        for good in self.goods_detail.iter().flatten() {
            good.validate()?;
        }
        limits::callback_url("callbackUrl", &self.callback_url)?;
        limits::optional("payload", self.payload.as_deref(), limits::PAYLOAD)?;
        if let Some(expire) = &self.expire_time {
            check_expire_time(expire)?;
        }
        self.contract_info.validate()?;
        if let Some(payer) = &self.payer {
            payer.validate()?;
        }
        Ok(())
    }
}

/// `yyyy-MM-dd'T'HH:mm:ss.SSSZ`, e.g. `2023-03-28T17:50:12.000+0800` (shape only).
pub(crate) fn check_expire_time(value: &str) -> Result<(), FieldError> {
    let shape = "dddd-dd-ddTdd:dd:dd.ddd+dddd";
    let ok = value.len() == shape.len()
        && value.bytes().zip(shape.bytes()).all(|(v, s)| match s {
            b'd' => v.is_ascii_digit(),
            b'+' => v == b'+' || v == b'-',
            other => v == other,
        });
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            "expireTime",
            "must be yyyy-MM-dd'T'HH:mm:ss.SSSZ, e.g. 2023-03-28T17:50:12.000+0800",
        ))
    }
}

/// Direct merchant pre-order (`payment-pas-prepay`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrepayRequest {
    /// App ID bound to the merchant number.
    pub app_id: String,
    /// Merchant number, ≤ 12.
    pub merc_no: String,
    #[serde(flatten)]
    pub order: PrepayOrder,
}

impl PrepayRequest {
    pub fn validate(&self) -> Result<(), FieldError> {
        limits::required("appId", &self.app_id, 64)?;
        limits::required("mercNo", &self.merc_no, limits::MERC_NO)?;
        self.order.validate()
    }
}

/// Service-provider pre-order (`payment-partner-pas-prepay`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerPrepayRequest {
    /// AppID of the service provider.
    pub sp_app_id: String,
    /// Service-provider merchant number, ≤ 12 (also PayMercAuth.callerId).
    pub sp_merc_no: String,
    /// The sub-merchant's AppID, when the sub-merchant's own app opens the cashier (then the
    /// orderStr's `app_id` must be this value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_app_id: Option<String>,
    /// Sub-merchant number, ≤ 12.
    pub sub_merc_no: String,
    #[serde(flatten)]
    pub order: PrepayOrder,
}

impl PartnerPrepayRequest {
    pub fn validate(&self) -> Result<(), FieldError> {
        limits::required("spAppId", &self.sp_app_id, 64)?;
        limits::required("spMercNo", &self.sp_merc_no, limits::MERC_NO)?;
        limits::optional("subAppId", self.sub_app_id.as_deref(), 64)?;
        limits::required("subMercNo", &self.sub_merc_no, limits::MERC_NO)?;
        self.order.validate()
    }
}

/// The pre-order answer (both models).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrepayResponse {
    #[serde(flatten)]
    pub envelope: ResponseEnvelope,
    /// Goes into the orderStr; valid for 10 minutes.
    pub prepay_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merc_order_no: Option<String>,
}

impl std::fmt::Debug for PrepayResponse {
    // prepay_id is a bearer value for the cashier: never logged.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrepayResponse")
            .field("envelope", &self.envelope.result_code)
            .field("merc_order_no", &self.merc_order_no)
            .finish_non_exhaustive()
    }
}
