//! Query contract (spec §4.6) and unsign (spec §4.7).

use serde::{Deserialize, Serialize};

use super::common::{PayerOut, ResponseEnvelope, SignStatus};
use crate::error::FieldError;
use crate::limits;

/// The query-contract answer. Service providers get `spMercNo`/`subMercNo` [INFER: the SP page's
/// fields after `sign` were not read; assumed to mirror SP query order].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryContractResponse {
    #[serde(flatten)]
    pub envelope: ResponseEnvelope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merc_contract_code: Option<String>,
    /// 委托代扣协议ID: use it for withholding and unsign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
    /// `1` signed, `9` unsigned. Absent in the documented example.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_status: Option<SignStatus>,
    /// `yyyy-MM-dd hh:mm:ss`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_time: Option<String>,
    /// `yyyy-MM-dd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merc_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_merc_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_merc_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<PayerOut>,
}

fn check_contract_ref(
    contract_id: Option<&str>,
    merc_contract_code: Option<&str>,
) -> Result<(), FieldError> {
    if contract_id.is_none() && merc_contract_code.is_none() {
        return Err(FieldError::new(
            "contractId",
            "one of contractId / mercContractCode is required",
        ));
    }
    limits::optional("contractId", contract_id, 64)?;
    limits::optional(
        "mercContractCode",
        merc_contract_code,
        limits::MERC_CONTRACT_CODE,
    )
}

/// Direct merchant unsign. `contractId` wins when both references are given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnsignRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merc_contract_code: Option<String>,
    pub merc_no: String,
    /// Where the unsign notification goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

impl UnsignRequest {
    pub fn validate(&self) -> Result<(), FieldError> {
        check_contract_ref(
            self.contract_id.as_deref(),
            self.merc_contract_code.as_deref(),
        )?;
        limits::required("mercNo", &self.merc_no, limits::MERC_NO)?;
        match &self.callback_url {
            Some(url) => limits::callback_url("callbackUrl", url),
            None => Ok(()),
        }
    }
}

/// Service-provider unsign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerUnsignRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merc_contract_code: Option<String>,
    pub sp_merc_no: String,
    pub sub_merc_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

impl PartnerUnsignRequest {
    pub fn validate(&self) -> Result<(), FieldError> {
        check_contract_ref(
            self.contract_id.as_deref(),
            self.merc_contract_code.as_deref(),
        )?;
        limits::required("spMercNo", &self.sp_merc_no, limits::MERC_NO)?;
        limits::required("subMercNo", &self.sub_merc_no, limits::MERC_NO)?;
        match &self.callback_url {
            Some(url) => limits::callback_url("callbackUrl", url),
            None => Ok(()),
        }
    }
}

/// The unsign answer (both models; SP adds spMercNo/subMercNo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnsignResponse {
    #[serde(flatten)]
    pub envelope: ResponseEnvelope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merc_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_merc_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_merc_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merc_contract_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
}
