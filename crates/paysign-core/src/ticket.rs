//! The ticket: the merchant server's answer to "create an order" (docs/merchant-contract.md):
//! `{orderStr, mercOrderNo, mercContractCode, serverTimeMs?}`. The type and its strict reader are
//! the contract crate's; here its problems become error 2001 naming the field.

pub use paysign_contract::{Ticket, MERC_CONTRACT_CODE_MAX_CHARS, MERC_ORDER_NO_MAX_CHARS};

use crate::error::PaysignError;

/// Reads a ticket strictly ([`Ticket::from_json`]); any problem is 2001 naming the field.
pub fn parse(text: &str) -> Result<Ticket, PaysignError> {
    Ticket::from_json(text).map_err(|e| PaysignError::InvalidTicket {
        field: e.field,
        reason: e.reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use serde_json::json;

    #[test]
    fn parses_a_ticket_with_or_without_the_server_clock() {
        let t = parse(&json!({"orderStr": "{}", "mercOrderNo": "PS1", "mercContractCode": "C1", "serverTimeMs": 5}).to_string()).unwrap();
        assert_eq!(t.server_time_ms, Some(5));
        let t = parse(
            &json!({"orderStr": "{}", "mercOrderNo": "PS1", "mercContractCode": "C1"}).to_string(),
        )
        .unwrap();
        assert_eq!(t.server_time_ms, None);
        assert_eq!(t.merc_contract_code, "C1");
    }

    #[test]
    fn every_problem_is_2001_and_names_the_field() {
        for (text, field) in [
            ("".to_string(), "ticket"),
            (json!({"orderStr": "{}", "mercContractCode": "C1"}).to_string(), "mercOrderNo"),
            (json!({"orderStr": "{}", "mercOrderNo": "PS1", "mercContractCode": "C1", "serverTimeMs": "now"}).to_string(), "serverTimeMs"),
        ] {
            let err = parse(&text).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidTicket, "{text}");
            assert_eq!(err.field(), Some(field), "{text}");
        }
    }
}
