//! The ticket: the merchant server's answer to "create an order" (DESIGN.md, app <-> merchant
//! server contract): `{orderStr, mercOrderNo, mercContractCode}`, all non-empty strings.

use serde_json::{Map, Value};

use crate::error::PaysignError;
use crate::json;

/// mercOrderNo is at most 46 characters (spec §6).
pub const MERC_ORDER_NO_MAX_CHARS: usize = 46;
/// mercContractCode is at most 64 characters (spec §6).
pub const MERC_CONTRACT_CODE_MAX_CHARS: usize = 64;

/// What the merchant server returns for a new pay-and-sign order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The signed orderStr, passed to the cashier verbatim.
    pub order_str: String,
    /// The merchant's order number; the status call is keyed by it.
    pub merc_order_no: String,
    /// The merchant's contract code for the withholding contract signed with this order.
    pub merc_contract_code: String,
}

impl Ticket {
    /// Parses a ticket strictly: a JSON object with the three fields as non-empty strings within
    /// their length limits. Other fields are ignored (a merchant may add its own).
    pub fn from_json(text: &str) -> Result<Ticket, PaysignError> {
        let value: Value = serde_json::from_str(text).map_err(|e| PaysignError::InvalidTicket {
            field: "ticket".to_string(),
            reason: format!("not JSON: {e}"),
        })?;
        let Value::Object(map) = value else {
            return Err(PaysignError::InvalidTicket {
                field: "ticket".to_string(),
                reason: format!("must be a JSON object, found {}", json::type_name(&value)),
            });
        };
        Ok(Ticket {
            order_str: ticket_str(&map, "orderStr", usize::MAX)?,
            merc_order_no: ticket_str(&map, "mercOrderNo", MERC_ORDER_NO_MAX_CHARS)?,
            merc_contract_code: ticket_str(&map, "mercContractCode", MERC_CONTRACT_CODE_MAX_CHARS)?,
        })
    }
}

fn ticket_str(
    map: &Map<String, Value>,
    name: &str,
    max_chars: usize,
) -> Result<String, PaysignError> {
    let value = json::required_str(map, name).map_err(|problem| PaysignError::InvalidTicket {
        field: name.to_string(),
        reason: problem.describe(),
    })?;
    let chars = value.chars().count();
    if chars > max_chars {
        return Err(PaysignError::InvalidTicket {
            field: name.to_string(),
            reason: format!("{chars} characters, at most {max_chars} allowed"),
        });
    }
    if name != "orderStr" && value.chars().any(char::is_control) {
        return Err(PaysignError::InvalidTicket {
            field: name.to_string(),
            reason: "contains control characters".to_string(),
        });
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use serde_json::json;

    fn ticket() -> Value {
        json!({"orderStr": "{\"merc_no\":\"1\"}", "mercOrderNo": "PS20260101000001", "mercContractCode": "C-0001"})
    }

    #[test]
    fn parses_a_ticket_and_ignores_extra_fields() {
        let mut v = ticket();
        v["merchantNote"] = json!(3);
        let t = Ticket::from_json(&v.to_string()).unwrap();
        assert_eq!(t.merc_order_no, "PS20260101000001");
        assert_eq!(t.merc_contract_code, "C-0001");
        assert_eq!(t.order_str, "{\"merc_no\":\"1\"}");
    }

    #[test]
    fn every_problem_is_2001_and_names_the_field() {
        let mut cases: Vec<(String, &str)> = vec![
            ("".to_string(), "ticket"),
            ("[]".to_string(), "ticket"),
            ("\"{}\"".to_string(), "ticket"),
        ];
        for field in ["orderStr", "mercOrderNo", "mercContractCode"] {
            for bad in [json!(null), json!(""), json!(7), json!({"a": 1})] {
                let mut v = ticket();
                v[field] = bad;
                cases.push((v.to_string(), field));
            }
            let mut v = ticket();
            v.as_object_mut().unwrap().remove(field);
            cases.push((v.to_string(), field));
        }
        let mut long = ticket();
        long["mercOrderNo"] = json!("x".repeat(47));
        cases.push((long.to_string(), "mercOrderNo"));
        let mut long = ticket();
        long["mercContractCode"] = json!("x".repeat(65));
        cases.push((long.to_string(), "mercContractCode"));
        let mut ctl = ticket();
        ctl["mercOrderNo"] = json!("PS\n1");
        cases.push((ctl.to_string(), "mercOrderNo"));
        for (text, field) in cases {
            let err = Ticket::from_json(&text).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidTicket, "{text}");
            assert_eq!(err.field(), Some(field), "{text}");
        }
    }
}
