//! The merchants the sandbox knows: who may call it (callerId + authId + public key), with which
//! app ids and withholding plans, and, for a service provider, which sub-merchants it serves.
//! Loaded from the `--config` JSON file and registered through the operator API.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Direct merchant (直连商户) or service provider (服务商) with sub-merchants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MerchantModel {
    Direct,
    Sp,
}

impl MerchantModel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "DIRECT",
            Self::Sp => "SP",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubMerchant {
    pub merc_no: String,
    #[serde(default)]
    pub name: String,
    /// App ids the sub-merchant may pass as `subAppId`.
    #[serde(default)]
    pub app_ids: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Merchant {
    /// Merchant number: `callerId` and `mercNo` (direct) or `spMercNo` (service provider).
    pub merc_no: String,
    #[serde(default)]
    pub name: String,
    pub model: MerchantModel,
    /// Certificate id: `PayMercAuth.authId` and the orderStr's `auth_id`.
    pub auth_id: String,
    /// The merchant's public key (SM2 or RSA; PEM, Base64 DER or hex), checking its requests.
    pub public_key: String,
    /// App ids bound to the merchant (`appId`, or `spAppId` for a service provider).
    #[serde(default)]
    pub app_ids: Vec<String>,
    /// Withholding plans (`contractInfo.planId`) the merchant may sign users to.
    #[serde(default)]
    pub plan_ids: Vec<String>,
    /// Sub-merchants of a service provider (empty for a direct merchant).
    #[serde(default)]
    pub sub_merchants: Vec<SubMerchant>,
    /// Refunds allowed (else `MERC_NOT_SUPPORT_REFUND`).
    #[serde(default = "yes")]
    pub refund_enabled: bool,
    /// Trade-bill switch (else `BILL_SWITCH_NOT_TURN_ON`).
    #[serde(default = "yes")]
    pub trade_bill_enabled: bool,
    /// Settle-bill switch (else `BILL_SWITCH_NOT_TURN_ON`).
    #[serde(default = "yes")]
    pub settle_bill_enabled: bool,
}

impl Merchant {
    pub fn sub_merchant(&self, merc_no: &str) -> Option<&SubMerchant> {
        self.sub_merchants.iter().find(|s| s.merc_no == merc_no)
    }

    /// Checks what the sandbox relies on; the error says which field is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let too_long = |name: &str, v: &str, max: usize| -> Result<(), String> {
            if v.is_empty() || v.chars().count() > max {
                Err(format!("{name} must be 1 to {max} characters"))
            } else {
                Ok(())
            }
        };
        too_long("mercNo", &self.merc_no, 12)?;
        too_long("authId", &self.auth_id, 64)?;
        if self.public_key.trim().is_empty() {
            return Err(format!("merchant {}: publicKey is empty", self.merc_no));
        }
        match self.model {
            MerchantModel::Direct if !self.sub_merchants.is_empty() => Err(format!(
                "merchant {}: a DIRECT merchant has no subMerchants",
                self.merc_no
            )),
            _ => {
                for sub in &self.sub_merchants {
                    too_long("subMerchants[].mercNo", &sub.merc_no, 12)?;
                }
                Ok(())
            }
        }
    }
}

/// The `--config` file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SandboxConfig {
    #[serde(default)]
    pub merchants: Vec<Merchant>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the config file {path} is not valid: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error("the config file {path}: {message}")]
    Invalid { path: String, message: String },
}

impl SandboxConfig {
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let config: Self = serde_json::from_str(&text).map_err(|source| ConfigError::Parse {
            path: shown.clone(),
            source,
        })?;
        for m in &config.merchants {
            m.validate().map_err(|message| ConfigError::Invalid {
                path: shown.clone(),
                message,
            })?;
        }
        Ok(config)
    }
}
