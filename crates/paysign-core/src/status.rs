//! The merchant status: the merchant server's answer to "how did order N end"
//! (`{mercOrderNo, payment, contract, contractId?, updatedAt}`), parsed strictly.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::PaysignError;
use crate::json;

/// Payment Kit contract ids are about 25 digits; a longer one is not a contract id (and would bloat
/// the flow state that carries it).
pub const CONTRACT_ID_MAX_CHARS: usize = 128;

/// The payment state the merchant server knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MerchantPayment {
    Paid,
    NotPaid,
    Pending,
}

/// The contract state the merchant server knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MerchantContract {
    Signed,
    NotSigned,
    Pending,
}

/// One answer of the status call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MerchantStatus {
    pub merc_order_no: String,
    pub payment: MerchantPayment,
    pub contract: MerchantContract,
    pub contract_id: Option<String>,
    /// Milliseconds since the epoch of the merchant's last change.
    pub updated_at: u64,
}

impl MerchantStatus {
    /// Parses a status answer strictly: every field present with its exact type and one of its
    /// values; `contractId` may be absent or null, otherwise a non-empty string.
    pub fn from_json(text: &str) -> Result<MerchantStatus, PaysignError> {
        let malformed = |field: &str, reason: String| PaysignError::StatusMalformed {
            field: field.to_string(),
            reason,
        };
        let value: Value = serde_json::from_str(text)
            .map_err(|e| malformed("status", format!("not JSON: {e}")))?;
        let Value::Object(map) = value else {
            return Err(malformed(
                "status",
                format!("must be a JSON object, found {}", json::type_name(&value)),
            ));
        };
        let text_field = |name: &str| {
            json::required_str(&map, name)
                .map(str::to_string)
                .map_err(|p| malformed(name, p.describe()))
        };
        let merc_order_no = text_field("mercOrderNo")?;
        let payment = match text_field("payment")?.as_str() {
            "PAID" => MerchantPayment::Paid,
            "NOT_PAID" => MerchantPayment::NotPaid,
            "PENDING" => MerchantPayment::Pending,
            other => {
                return Err(malformed(
                    "payment",
                    format!(
                        "must be PAID, NOT_PAID or PENDING, found {:?}",
                        truncate(other)
                    ),
                ))
            }
        };
        let contract = match text_field("contract")?.as_str() {
            "SIGNED" => MerchantContract::Signed,
            "NOT_SIGNED" => MerchantContract::NotSigned,
            "PENDING" => MerchantContract::Pending,
            other => {
                return Err(malformed(
                    "contract",
                    format!(
                        "must be SIGNED, NOT_SIGNED or PENDING, found {:?}",
                        truncate(other)
                    ),
                ))
            }
        };
        let contract_id = contract_id(&map).map_err(|reason| malformed("contractId", reason))?;
        let updated_at = json::required_u64(&map, "updatedAt")
            .map_err(|p| malformed("updatedAt", p.describe()))?;
        Ok(MerchantStatus {
            merc_order_no,
            payment,
            contract,
            contract_id,
            updated_at,
        })
    }

    /// Both states are final: nothing more will change them without a new action.
    pub fn is_final(&self) -> bool {
        self.payment != MerchantPayment::Pending && self.contract != MerchantContract::Pending
    }
}

fn contract_id(map: &Map<String, Value>) -> Result<Option<String>, String> {
    match map.get("contractId") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => {
            Err("empty; leave it out or send null".to_string())
        }
        Some(Value::String(s)) if s.chars().count() > CONTRACT_ID_MAX_CHARS => Err(format!(
            "{} characters, at most {CONTRACT_ID_MAX_CHARS} allowed",
            s.chars().count()
        )),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!(
            "must be a string, found {}",
            json::type_name(other)
        )),
    }
}

/// Values echoed in messages are cut short: a hostile server must not fill the logs.
fn truncate(value: &str) -> String {
    value.chars().take(32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use serde_json::json;

    fn status() -> Value {
        json!({"mercOrderNo": "PS1", "payment": "PAID", "contract": "SIGNED", "contractId": "2024070914615843071097", "updatedAt": 1_751_361_838_042u64})
    }

    #[test]
    fn parses_every_state() {
        for (p, pe) in [
            ("PAID", MerchantPayment::Paid),
            ("NOT_PAID", MerchantPayment::NotPaid),
            ("PENDING", MerchantPayment::Pending),
        ] {
            for (c, ce) in [
                ("SIGNED", MerchantContract::Signed),
                ("NOT_SIGNED", MerchantContract::NotSigned),
                ("PENDING", MerchantContract::Pending),
            ] {
                let mut v = status();
                v["payment"] = json!(p);
                v["contract"] = json!(c);
                let s = MerchantStatus::from_json(&v.to_string()).unwrap();
                assert_eq!((s.payment, s.contract), (pe, ce));
                assert_eq!(s.is_final(), p != "PENDING" && c != "PENDING");
            }
        }
        let s = MerchantStatus::from_json(&status().to_string()).unwrap();
        assert_eq!(s.contract_id.as_deref(), Some("2024070914615843071097"));
        assert_eq!(s.updated_at, 1_751_361_838_042);
    }

    #[test]
    fn contract_id_is_optional() {
        let mut v = status();
        v["contractId"] = json!(null);
        assert_eq!(
            MerchantStatus::from_json(&v.to_string())
                .unwrap()
                .contract_id,
            None
        );
        v.as_object_mut().unwrap().remove("contractId");
        assert_eq!(
            MerchantStatus::from_json(&v.to_string())
                .unwrap()
                .contract_id,
            None
        );
    }

    #[test]
    fn malformed_answers_are_3003_naming_the_field() {
        let cases: Vec<(&str, Value)> = vec![
            ("payment", json!("paid")),
            ("payment", json!("CANCELED")),
            ("payment", json!(1)),
            ("contract", json!("UNKNOWN")),
            ("contract", json!(null)),
            ("mercOrderNo", json!("")),
            ("mercOrderNo", json!(5)),
            ("contractId", json!("")),
            ("contractId", json!(7)),
            ("contractId", json!("9".repeat(129))),
            ("updatedAt", json!("1751361838042")),
            ("updatedAt", json!(1.5)),
            ("updatedAt", json!(-1)),
        ];
        for (field, bad) in cases {
            let mut v = status();
            v[field] = bad.clone();
            let err = MerchantStatus::from_json(&v.to_string()).unwrap_err();
            assert_eq!(err.code(), ErrorCode::StatusMalformed, "{field} {bad}");
            assert_eq!(err.field(), Some(field));
        }
        for field in ["mercOrderNo", "payment", "contract", "updatedAt"] {
            let mut v = status();
            v.as_object_mut().unwrap().remove(field);
            let err = MerchantStatus::from_json(&v.to_string()).unwrap_err();
            assert_eq!(err.field(), Some(field));
        }
        for text in ["", "[]", "null", "{"] {
            let err = MerchantStatus::from_json(text).unwrap_err();
            assert_eq!(err.field(), Some("status"), "{text}");
        }
    }
}
