//! Query payment order (spec §4.3), both models.

use serde::{Deserialize, Serialize};

use super::common::{OrderStatus, PayerOut, PaymentTool, PromotionItem, ResponseEnvelope};

/// The query-order answer. Direct merchants get `mercNo`/`appId`; service providers get
/// `spMercNo`/`subMercNo`/`spAppId`/`subAppId`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryOrderResponse {
    #[serde(flatten)]
    pub envelope: ResponseEnvelope,
    pub merc_order_no: String,
    pub order_status: OrderStatus,
    pub currency: String,
    /// Fen.
    pub total_amount: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merc_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_merc_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_merc_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sys_trans_order_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// Fen the user actually paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_amount: Option<i64>,
    /// Fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_amount: Option<i64>,
    /// `yyyy-MM-dd'T'HH:mm:ss.SSSZ`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_tools: Option<PaymentTool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_detail: Option<Vec<PromotionItem>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<PayerOut>,
}
