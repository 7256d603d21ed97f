//! The merchant status: the merchant server's answer to "how did order N end"
//! (`{mercOrderNo, payment, contract, contractId?, updatedAt}`). The types and the strict reader
//! are the contract crate's (docs/merchant-contract.md); here a problem becomes error 3003 naming
//! the field.

pub use paysign_contract::{
    ContractState as MerchantContract, OrderStatus as MerchantStatus,
    PaymentState as MerchantPayment, CONTRACT_ID_MAX_CHARS,
};

use crate::error::PaysignError;

/// Reads a status answer strictly ([`MerchantStatus::from_json`]); any problem is 3003 naming the
/// field.
pub fn parse(text: &str) -> Result<MerchantStatus, PaysignError> {
    MerchantStatus::from_json(text).map_err(|e| PaysignError::StatusMalformed {
        field: e.field,
        reason: e.reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use serde_json::{json, Value};

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
                let s = parse(&v.to_string()).unwrap();
                assert_eq!((s.payment, s.contract), (pe, ce));
                assert_eq!(s.is_final(), p != "PENDING" && c != "PENDING");
            }
        }
        let s = parse(&status().to_string()).unwrap();
        assert_eq!(s.contract_id.as_deref(), Some("2024070914615843071097"));
        assert_eq!(s.updated_at, 1_751_361_838_042);
    }

    #[test]
    fn contract_id_is_optional() {
        let mut v = status();
        v["contractId"] = json!(null);
        assert_eq!(parse(&v.to_string()).unwrap().contract_id, None);
        v.as_object_mut().unwrap().remove("contractId");
        assert_eq!(parse(&v.to_string()).unwrap().contract_id, None);
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
            let err = parse(&v.to_string()).unwrap_err();
            assert_eq!(err.code(), ErrorCode::StatusMalformed, "{field} {bad}");
            assert_eq!(err.field(), Some(field));
        }
        for field in ["mercOrderNo", "payment", "contract", "updatedAt"] {
            let mut v = status();
            v.as_object_mut().unwrap().remove(field);
            let err = parse(&v.to_string()).unwrap_err();
            assert_eq!(err.field(), Some(field));
        }
        for text in ["", "[]", "null", "{"] {
            let err = parse(text).unwrap_err();
            assert_eq!(err.field(), Some("status"), "{text}");
        }
    }
}
