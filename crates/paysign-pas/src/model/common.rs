//! Shared models (spec §4.12) and the response envelope.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::codes::{ResultCode, SubCode};
use crate::error::FieldError;
use crate::limits;
use crate::strenum::string_enum;

/// Fields every synchronous answer carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseEnvelope {
    pub result_code: ResultCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_desc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_code: Option<SubCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_desc: Option<String>,
    /// Huawei's SM2 signature over every other field (set by the signer, checked by the client).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign: Option<String>,
}

impl ResponseEnvelope {
    /// `resultCode 000000`, `resultDesc "Success."`.
    pub fn success() -> Self {
        ResponseEnvelope {
            result_code: ResultCode::Success,
            result_desc: Some("Success.".to_owned()),
            sub_code: None,
            sub_desc: None,
            sign: None,
        }
    }

    /// An error answer: the resultCode the sub code belongs to, plus the sub code.
    pub fn error(sub_code: SubCode, sub_desc: impl Into<String>) -> Self {
        ResponseEnvelope {
            result_code: sub_code.result_code(),
            result_desc: Some(result_desc_of(&sub_code.result_code()).to_owned()),
            sub_code: Some(sub_code),
            sub_desc: Some(sub_desc.into()),
            sign: None,
        }
    }
}

fn result_desc_of(code: &ResultCode) -> &'static str {
    match code {
        ResultCode::Success => "Success.",
        ResultCode::InsufficientPermission => "Insufficient permission.",
        ResultCode::MissingParameter => "Missing required parameter.",
        ResultCode::InvalidParameter => "Invalid parameter.",
        ResultCode::SignatureError => "Signature error.",
        ResultCode::FrequencyLimited => "Call frequency limited.",
        ResultCode::BusinessError => "Business error.",
        ResultCode::ServiceUnavailable | ResultCode::Other(_) => "Service unavailable.",
    }
}

/// Signing information of a pay-and-sign pre-order (`contractInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContractInfo {
    /// 协议模板ID from Huawei Pay.
    pub plan_id: String,
    /// The merchant's contract code, unique on its side, ≤ 64.
    pub merc_contract_code: String,
    /// Where the contract-signed notification goes.
    pub callback_url: String,
}

impl ContractInfo {
    pub fn validate(&self) -> Result<(), FieldError> {
        limits::required("contractInfo.planId", &self.plan_id, 64)?;
        limits::required(
            "contractInfo.mercContractCode",
            &self.merc_contract_code,
            limits::MERC_CONTRACT_CODE,
        )?;
        limits::callback_url("contractInfo.callbackUrl", &self.callback_url)
    }
}

/// One line of goods (`GoodDetail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GoodDetail {
    pub quantity: i64,
    /// Fen, > 0.
    pub unit_price: i64,
    pub goods_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_id: Option<String>,
}

impl GoodDetail {
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.quantity <= 0 {
            return Err(FieldError::new("goodsDetail.quantity", "must be positive"));
        }
        limits::positive_fen("goodsDetail.unitPrice", self.unit_price)?;
        limits::required(
            "goodsDetail.goodsName",
            &self.goods_name,
            limits::GOODS_NAME,
        )?;
        limits::optional(
            "goodsDetail.goodsId",
            self.goods_id.as_deref(),
            limits::GOODS_ID,
        )
    }
}

/// Payer information sent with a pre-order (`PayerIn`). `credentialIdNo` and `realName` are
/// privacy fields Payment Kit expects SM4-encrypted; this crate sends what it is given.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayerIn {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_client_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_type: Option<String>,
    pub credential_id_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_type: Option<String>,
}

impl std::fmt::Debug for PayerIn {
    // Identity data never reaches logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayerIn")
            .field("credential_type", &self.credential_type)
            .field("text_type", &self.text_type)
            .finish_non_exhaustive()
    }
}

impl PayerIn {
    pub fn validate(&self) -> Result<(), FieldError> {
        limits::optional(
            "payer.credentialType",
            self.credential_type.as_deref(),
            limits::CREDENTIAL_TYPE,
        )?;
        limits::required(
            "payer.credentialIdNo",
            &self.credential_id_no,
            limits::CREDENTIAL_ID_NO,
        )?;
        limits::optional(
            "payer.realName",
            self.real_name.as_deref(),
            limits::REAL_NAME,
        )
    }
}

/// Payer information returned by queries and notifications (`PayerOut`).
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayerOut {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_open_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_open_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_client_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_client_ip_matched: Option<bool>,
}

impl std::fmt::Debug for PayerOut {
    // openIds identify a user: masked in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayerOut")
            .field("open_id", &self.open_id.as_ref().map(|_| "***"))
            .field("user_client_ip_matched", &self.user_client_ip_matched)
            .finish_non_exhaustive()
    }
}

string_enum! {
    /// `promotionType`.
    pub enum PromotionType {
        Promotion = "PROMOTION",
        Coupon = "COUPON",
        Voucher = "VOUCHER",
        ConsVoucher = "CONSVOUCHER",
    }
}

string_enum! {
    /// `promotionStatus`.
    pub enum PromotionStatus {
        Failed = "PROMO_FAILED",
        Unknown = "PROMO_UNKNOW",
        Success = "PROMO_SUCCESS",
    }
}

/// One promotion applied to an order (`PromotionItem`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromotionItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_type: Option<PromotionType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_status: Option<PromotionStatus>,
}

string_enum! {
    /// `orderStatus` of a payment order. `TRX_APPLY` and `TRX_PROC` both mean "processing".
    pub enum OrderStatus {
        Success = "TRX_SUCCESS",
        Failed = "TRX_FAILED",
        Applied = "TRX_APPLY",
        Processing = "TRX_PROC",
    }
}

impl OrderStatus {
    /// True while the payment may still complete.
    pub fn is_pending(&self) -> bool {
        matches!(self, OrderStatus::Applied | OrderStatus::Processing)
    }
}

string_enum! {
    /// `refundOrderStatus`.
    pub enum RefundStatus {
        Processing = "REFUND_CHL_PROC",
        Success = "REFUND_SUCCESS",
        Failed = "REFUND_FAILED",
    }
}

string_enum! {
    /// `signStatus` of a contract.
    pub enum SignStatus {
        Signed = "1",
        Unsigned = "9",
    }
}

string_enum! {
    /// `changeMode` of a contract notification.
    pub enum ChangeMode {
        UserSign = "USER_SIGN",
        UserUnsign = "USER_UNSIGN",
        MerchantApiUnsign = "MERC_API_UNSIGN",
        PlatformUnsign = "PLATFORM_UNSIGN",
    }
}

impl ChangeMode {
    /// `USER_UNSIGN`, `MERC_API_UNSIGN` or `PLATFORM_UNSIGN`: the contract ended.
    pub fn is_unsign(&self) -> bool {
        matches!(
            self,
            ChangeMode::UserUnsign | ChangeMode::MerchantApiUnsign | ChangeMode::PlatformUnsign
        )
    }
}

string_enum! {
    /// `paymentTools`.
    pub enum PaymentTool {
        WechatMicropay = "WECHAT_MICROPAY",
        /// 快捷 (bank card).
        Agreement = "AGMT",
        /// 余额 (balance).
        Account = "ACCT",
        HuaweiPay = "HUAWEIPAY",
    }
}

string_enum! {
    /// `allocationType` of a pre-order.
    pub enum AllocationType {
        NoAllocation = "NO_ALLOCATION",
        DelayOrderAllocation = "DELAY_ORDER_ALLOCATION",
    }
}

string_enum! {
    /// `dataType` of a notification.
    pub enum DataType {
        Plain = "plain",
        Encrypt = "encrypt",
    }
}

/// How to download a bill (`BillDownloadParam`): send `method` to `downloadUrl` with exactly
/// these headers (they carry an OBS authorization).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillDownloadParam {
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default = "default_get")]
    pub method: String,
    pub download_url: String,
}

fn default_get() -> String {
    "GET".to_owned()
}

impl std::fmt::Debug for BillDownloadParam {
    // The headers hold a storage credential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BillDownloadParam")
            .field("method", &self.method)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}
