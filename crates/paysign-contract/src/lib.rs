//! The app <-> merchant server contract (docs/merchant-contract.md), as types.
//!
//! The HAR (through `paysign-core`) reads these answers and the reference merchant server
//! (`paysign-merchant`) writes them; both take the names, states and limits from here so the two
//! sides cannot drift. Parsing with field-level errors is the reader's business (`paysign-core`
//! reads strictly, by hand, to stay small on the device); the serde derives serve the server side.
//!
//! ```text
//! POST {base}/paysign/orders        {"productId": "..."}  + Idempotency-Key
//!                                   -> Ticket {orderStr, mercOrderNo, mercContractCode, serverTimeMs}
//! GET  {base}/paysign/orders/{no}   -> OrderStatus {mercOrderNo, payment, contract, contractId?, updatedAt}
//! ```

use serde::{Deserialize, Serialize};

/// Path of the order calls, below the merchant's base URL.
pub const ORDERS_PATH: &str = "/paysign/orders";
/// Header that makes order creation idempotent: the same key from the same user answers the same
/// ticket and creates nothing new.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";
/// An idempotency key is 1 to this many visible ASCII characters.
pub const IDEMPOTENCY_KEY_MAX_CHARS: usize = 128;
/// mercOrderNo is at most 46 characters (Payment Kit's limit).
pub const MERC_ORDER_NO_MAX_CHARS: usize = 46;
/// mercContractCode is at most 64 characters (Payment Kit's limit).
pub const MERC_CONTRACT_CODE_MAX_CHARS: usize = 64;
/// Payment Kit contract ids are about 25 digits; a longer one is not a contract id.
pub const CONTRACT_ID_MAX_CHARS: usize = 128;
/// A product id is 1 to this many characters.
pub const PRODUCT_ID_MAX_CHARS: usize = 64;

/// The app's body for `POST /paysign/orders`. It names a product, never an amount: the server
/// prices the order from its own catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrderRequest {
    pub product_id: String,
}

/// The merchant server's answer to `POST /paysign/orders`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    /// The signed orderStr, passed to the cashier verbatim.
    pub order_str: String,
    /// The merchant's order number; the status call is keyed by it.
    pub merc_order_no: String,
    /// The merchant's code for the withholding contract signed with this order.
    pub merc_contract_code: String,
    /// The server's clock (ms since the epoch) when it answered. The client judges the orderStr's
    /// age on it, so a phone whose clock is off still pays. Optional for merchants that omit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_time_ms: Option<u64>,
}

/// What the merchant server knows of the payment.
///
/// - `PAID`: a verified payment callback or a Payment Kit query said the order is paid. Final.
/// - `NOT_PAID`: Payment Kit said the payment failed, or the order was closed unpaid (expired,
///   or a query found it failed). Final: this order will not take money.
/// - `PENDING`: nothing final is known yet (no callback, no conclusive query). Never "not paid".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentState {
    Paid,
    NotPaid,
    Pending,
}

/// What the merchant server knows of the withholding contract signed with the order.
///
/// - `SIGNED`: a verified sign callback or a contract query gave a contractId. Final for the
///   pay-and-sign flow (a later unsign does not turn it back into "pending").
/// - `NOT_SIGNED`: the payment is final and no contract came of it (signing declined, failed, or
///   the contract ended); also when the payment is `NOT_PAID`. Final.
/// - `PENDING`: the contract's fate is not known yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContractState {
    Signed,
    NotSigned,
    Pending,
}

impl PaymentState {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Paid => "PAID",
            PaymentState::NotPaid => "NOT_PAID",
            PaymentState::Pending => "PENDING",
        }
    }

    /// Parses a wire name; anything else is `None`.
    pub fn parse(name: &str) -> Option<PaymentState> {
        match name {
            "PAID" => Some(PaymentState::Paid),
            "NOT_PAID" => Some(PaymentState::NotPaid),
            "PENDING" => Some(PaymentState::Pending),
            _ => None,
        }
    }
}

impl ContractState {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContractState::Signed => "SIGNED",
            ContractState::NotSigned => "NOT_SIGNED",
            ContractState::Pending => "PENDING",
        }
    }

    /// Parses a wire name; anything else is `None`.
    pub fn parse(name: &str) -> Option<ContractState> {
        match name {
            "SIGNED" => Some(ContractState::Signed),
            "NOT_SIGNED" => Some(ContractState::NotSigned),
            "PENDING" => Some(ContractState::Pending),
            _ => None,
        }
    }
}

/// The merchant server's answer to `GET /paysign/orders/{mercOrderNo}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderStatus {
    pub merc_order_no: String,
    pub payment: PaymentState,
    pub contract: ContractState,
    /// Payment Kit's contract id, once the contract is signed.
    #[serde(default)]
    pub contract_id: Option<String>,
    /// Milliseconds since the epoch of the server's last change to this order.
    pub updated_at: u64,
}

impl OrderStatus {
    /// Both states are final: nothing more will change them without a new action.
    pub fn is_final(&self) -> bool {
        self.payment != PaymentState::Pending && self.contract != ContractState::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip_through_serde_and_parse() {
        for p in [
            PaymentState::Paid,
            PaymentState::NotPaid,
            PaymentState::Pending,
        ] {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.as_str()));
            assert_eq!(PaymentState::parse(p.as_str()), Some(p));
        }
        for c in [
            ContractState::Signed,
            ContractState::NotSigned,
            ContractState::Pending,
        ] {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(ContractState::parse(c.as_str()), Some(c));
        }
        assert_eq!(PaymentState::parse("paid"), None);
        assert_eq!(ContractState::parse("UNKNOWN"), None);
    }

    #[test]
    fn ticket_and_status_use_the_documented_field_names() {
        let ticket = Ticket {
            order_str: "{}".into(),
            merc_order_no: "PS1".into(),
            merc_contract_code: "C1".into(),
            server_time_ms: Some(1_751_361_838_042),
        };
        let v = serde_json::to_value(&ticket).unwrap();
        let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "mercContractCode",
                "mercOrderNo",
                "orderStr",
                "serverTimeMs"
            ]
        );
        let status = OrderStatus {
            merc_order_no: "PS1".into(),
            payment: PaymentState::Paid,
            contract: ContractState::Pending,
            contract_id: None,
            updated_at: 1,
        };
        let v = serde_json::to_value(&status).unwrap();
        assert_eq!(v["payment"], "PAID");
        assert_eq!(v["contract"], "PENDING");
        assert_eq!(v["mercOrderNo"], "PS1");
        assert!(!status.is_final());
        let req: CreateOrderRequest =
            serde_json::from_str(r#"{"productId":"vip-month","amount":1}"#).unwrap();
        assert_eq!(req.product_id, "vip-month");
    }
}
