//! The notifications Payment Kit POSTs to the merchant (spec §5, §4.13): payment (and the
//! withholding debit result, which has the same shape), contract signed, unsign, refund — each for both merchant models (SP variants carry spMercNo/subMercNo/spAppId
//! instead of mercNo/appId). Parse them with [`crate::callback`], which verifies first.

use serde::{Deserialize, Deserializer, Serialize};

use super::common::{
    ChangeMode, DataType, OrderStatus, PayerOut, PaymentTool, PromotionItem, RefundStatus,
};

/// Fields every notification carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationHeader {
    /// Stays the same across re-deliveries of one notification: the idempotency key.
    pub callback_id: String,
    /// `yyyy-MM-dd HH:mm:ss`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_time: Option<String>,
    /// `plain` or `encrypt` (optional on unsign notifications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<DataType>,
    /// `SM2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_no: Option<String>,
    /// Huawei's signature; verified before parsing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign: Option<String>,
}

/// Payment result (`payment-pas-pay-notify`, `payment-partner-pas-pay-notify`). Sent only after a
/// successful payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentNotification {
    #[serde(flatten)]
    pub header: NotificationHeader,
    pub merc_order_no: String,
    pub sys_trans_order_no: String,
    pub order_status: OrderStatus,
    pub currency: String,
    /// Fen.
    pub total_amount: i64,
    /// Fen the user paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_amount: Option<i64>,
    /// Fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merc_no: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "string_or_number"
    )]
    pub app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_merc_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_merc_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_tools: Option<PaymentTool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_detail: Option<Vec<PromotionItem>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<PayerOut>,
}

/// Withholding debit result (`payment-withhold-notify`, spec §4.13): the same fields as a payment
/// notification, direct or service provider. It carries no contractId — match it to the debit by
/// `mercOrderNo` / `sysTransOrderNo` — and may report `TRX_FAILED`.
pub type WithholdNotification = PaymentNotification;

/// Contract signed (`payment-pas-withhold-sign-notify`, `payment-partner-pas-sign-notify`). Sent
/// to `contractInfo.callbackUrl`, only after a successful signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContractSignedNotification {
    #[serde(flatten)]
    pub header: NotificationHeader,
    /// 委托代扣协议ID.
    pub contract_id: String,
    /// `yyyy-MM-dd HH:mm:ss`.
    pub operate_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merc_contract_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merc_no: Option<String>,
    /// The documented example shows appId as a bare number; both forms are accepted.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "string_or_number"
    )]
    pub app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_merc_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_merc_no: Option<String>,
    /// `USER_SIGN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_mode: Option<ChangeMode>,
    /// `yyyy-MM-dd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<PayerOut>,
}

/// Contract ended (`payment-pas-withhold-unsign-notify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnsignNotification {
    #[serde(flatten)]
    pub header: NotificationHeader,
    pub contract_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operate_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merc_contract_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merc_no: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "string_or_number"
    )]
    pub app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_merc_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_merc_no: Option<String>,
    /// `USER_UNSIGN`, `MERC_API_UNSIGN` or `PLATFORM_UNSIGN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_mode: Option<ChangeMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_date: Option<String>,
}

/// Refund result (`payment-pas-refund-notify`). Note the field names: `mercRefundNo` and
/// `sysRefundNo`, not the request's `mercRefundOrderNo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundNotification {
    #[serde(flatten)]
    pub header: NotificationHeader,
    pub merc_refund_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sys_refund_no: Option<String>,
    pub refund_order_status: RefundStatus,
    /// Fen.
    pub refund_amount: i64,
    /// Fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_refund_amount: Option<i64>,
    /// Fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_refund_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merc_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_merc_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_merc_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

/// Which notification a body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    Payment,
    ContractSigned,
    Unsign,
    Refund,
}

/// Any of the four notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    Payment(PaymentNotification),
    ContractSigned(ContractSignedNotification),
    Unsign(UnsignNotification),
    Refund(RefundNotification),
}

impl Notification {
    pub fn kind(&self) -> NotificationKind {
        match self {
            Notification::Payment(_) => NotificationKind::Payment,
            Notification::ContractSigned(_) => NotificationKind::ContractSigned,
            Notification::Unsign(_) => NotificationKind::Unsign,
            Notification::Refund(_) => NotificationKind::Refund,
        }
    }

    /// The idempotency key.
    pub fn callback_id(&self) -> &str {
        match self {
            Notification::Payment(n) => &n.header.callback_id,
            Notification::ContractSigned(n) => &n.header.callback_id,
            Notification::Unsign(n) => &n.header.callback_id,
            Notification::Refund(n) => &n.header.callback_id,
        }
    }
}

/// Accepts `"123"` and `123` (a documented example has a bare number where a string belongs).
fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        S(String),
        N(serde_json::Number),
    }
    Ok(Option::<Either>::deserialize(d)?.map(|v| match v {
        Either::S(s) => s,
        Either::N(n) => n.to_string(),
    }))
}
