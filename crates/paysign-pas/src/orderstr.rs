//! The orderStr (spec §2): built and signed by the merchant server, handed verbatim to the app,
//! which passes it to `paymentService.requestPayment`.

use serde::{Deserialize, Serialize};

use crate::auth::MerchantSigner;
use crate::endpoints::MerchantModel;
use crate::error::{FieldError, PasError};
use crate::infer;

/// The orderStr's fields, snake_case, every value a string.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderStrFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    pub merc_no: String,
    pub prepay_id: String,
    /// 13-digit milliseconds.
    pub timestamp: String,
    /// 1 to 32 characters, fresh per orderStr.
    pub noncestr: String,
    pub auth_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign: Option<String>,
}

impl std::fmt::Debug for OrderStrFields {
    // prepay_id and sign are bearer values: never logged.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderStrFields")
            .field("app_id", &self.app_id)
            .field("merc_no", &self.merc_no)
            .field("timestamp", &self.timestamp)
            .field("auth_id", &self.auth_id)
            .field("reserved", &self.reserved)
            .finish_non_exhaustive()
    }
}

/// Builds signed orderStrs for one merchant (its signer gives `merc_no` and `auth_id`).
#[derive(Debug, Clone)]
pub struct OrderStrBuilder {
    signer: MerchantSigner,
    model: MerchantModel,
    sandbox: bool,
}

impl OrderStrBuilder {
    /// `signer.caller_id` is the direct merchant number or, for a service provider, the SP
    /// number that obtained the prepay_id (`[INFER]` note 4 in [`crate::infer`]).
    pub fn new(signer: MerchantSigner, model: MerchantModel) -> Self {
        OrderStrBuilder {
            signer,
            model,
            sandbox: false,
        }
    }

    /// Marks orderStrs for Huawei's sandbox (`reserved.sandbox_flag = true`).
    pub fn sandbox(mut self, sandbox: bool) -> Self {
        self.sandbox = sandbox;
        self
    }

    pub fn model(&self) -> MerchantModel {
        self.model
    }

    /// Builds and signs an orderStr. `app_id`: direct → the pre-order's appId; service provider →
    /// the pre-order's subAppId, or `None` when it had none. `now_ms`: the current time.
    pub fn build(
        &self,
        app_id: Option<&str>,
        prepay_id: &str,
        now_ms: i64,
    ) -> Result<String, PasError> {
        let noncestr = new_noncestr()?;
        self.build_with_nonce(app_id, prepay_id, now_ms, noncestr)
    }

    /// [`build`](Self::build) with a chosen noncestr (tests).
    pub fn build_with_nonce(
        &self,
        app_id: Option<&str>,
        prepay_id: &str,
        now_ms: i64,
        noncestr: String,
    ) -> Result<String, PasError> {
        if prepay_id.trim().is_empty() {
            return Err(FieldError::new("prepay_id", "is required").into());
        }
        if self.model == MerchantModel::Direct && app_id.is_none_or(|a| a.trim().is_empty()) {
            return Err(
                FieldError::new("app_id", "a direct merchant's orderStr needs its appId").into(),
            );
        }
        if app_id.is_some_and(|a| a.trim().is_empty()) {
            return Err(FieldError::new("app_id", "must not be empty when given").into());
        }
        if noncestr.is_empty() || noncestr.chars().count() > crate::limits::NONCESTR {
            return Err(FieldError::new("noncestr", "must be 1 to 32 characters").into());
        }
        let timestamp = format!("{now_ms}");
        if timestamp.len() != 13 || now_ms < 0 {
            return Err(FieldError::new("timestamp", "must be 13-digit milliseconds").into());
        }
        let fields = OrderStrFields {
            app_id: app_id.map(str::to_owned),
            merc_no: self.signer.caller_id.clone(),
            prepay_id: prepay_id.to_owned(),
            timestamp,
            noncestr,
            auth_id: self.signer.auth_id.clone(),
            reserved: self.sandbox.then(|| infer::SANDBOX_RESERVED.to_owned()),
            sign: None,
        };
        let unsigned =
            serde_json::to_string(&fields).map_err(|e| PasError::Signing(e.to_string()))?;
        paysign_crypto::sign_body(&unsigned, &self.signer.private_key)
            .map_err(|e| PasError::Signing(e.to_string()))
    }
}

/// 32 random hex characters.
pub fn new_noncestr() -> Result<String, PasError> {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|e| PasError::Signing(format!("random: {e}")))?;
    Ok(hex::encode(random))
}
