//! The app <-> merchant server contract (docs/merchant-contract.md), as types.
//!
//! The HAR (through `paysign-core`) reads these answers and the reference merchant server
//! (`paysign-merchant`) writes them; both take the names, states and limits from here so the two
//! sides cannot drift. [`Ticket::from_json`] and [`OrderStatus::from_json`] are the strict readers
//! the app uses (every problem a [`FieldError`] naming the field; by hand over `serde_json::Value`,
//! to stay small on the device); the serde derives serve the server side.
//!
//! ```text
//! POST {base}/paysign/orders        {"productId": "..."}  + Idempotency-Key
//!                                   -> Ticket {orderStr, mercOrderNo, mercContractCode, serverTimeMs}
//! GET  {base}/paysign/orders/{no}   -> OrderStatus {mercOrderNo, payment, contract, contractId?, updatedAt}
//! ```

pub mod json;

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

/// Why an answer of the merchant server is not what the contract says: the field (`ticket` or
/// `status` for the whole answer) and what is wrong with it. Values are echoed only cut short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "field `{}`: {}", self.field, self.reason)
    }
}

impl std::error::Error for FieldError {}

fn field_error(field: &str, reason: String) -> FieldError {
    FieldError {
        field: field.to_string(),
        reason,
    }
}

/// The answer's members, or an error about the whole answer (`what`). Read in one pass without a
/// value tree; a repeated key keeps its last value, as a map would.
fn object<'a>(text: &'a str, what: &str) -> Result<json::Members<'a>, FieldError> {
    match json::read(text).map_err(|e| field_error(what, format!("not JSON: {e}")))? {
        json::TopLevel::Object(members) => Ok(members),
        json::TopLevel::Other(other) => Err(field_error(
            what,
            format!("must be a JSON object, found {}", json::type_name(&other)),
        )),
    }
}

/// A required non-empty string of at most `max_chars` characters; control characters are refused
/// unless `controls_allowed` (the orderStr is passed on verbatim and judged elsewhere).
fn text_field(
    map: &json::Members,
    name: &str,
    max_chars: usize,
    controls_allowed: bool,
) -> Result<String, FieldError> {
    let problem = |p: json::FieldProblem| field_error(name, p.describe());
    let raw = map
        .get(name)
        .ok_or(json::FieldProblem::Missing)
        .map_err(problem)?;
    let value = json::raw_string(raw).map_err(problem)?;
    if value.is_empty() {
        return Err(problem(json::FieldProblem::Empty));
    }
    let chars = value.chars().count();
    if chars > max_chars {
        return Err(field_error(
            name,
            format!("{chars} characters, at most {max_chars} allowed"),
        ));
    }
    if !controls_allowed && value.chars().any(char::is_control) {
        return Err(field_error(name, "contains control characters".to_string()));
    }
    Ok(value)
}

/// A required non-negative integer.
fn u64_field(map: &json::Members, name: &str) -> Result<u64, FieldError> {
    map.get(name)
        .ok_or(json::FieldProblem::Missing)
        .and_then(json::raw_u64)
        .map_err(|p| field_error(name, p.describe()))
}

/// Values echoed in messages are cut short: a hostile server must not fill the logs.
fn shown(value: &str) -> String {
    value.chars().take(32).collect()
}

impl Ticket {
    /// Reads a ticket strictly: a JSON object whose `orderStr`, `mercOrderNo` and
    /// `mercContractCode` are non-empty strings within their limits, and whose `serverTimeMs`, when
    /// present and not null, is a non-negative integer. Other fields are ignored (a merchant may
    /// add its own).
    pub fn from_json(text: &str) -> Result<Ticket, FieldError> {
        let map = object(text, "ticket")?;
        let server_time_ms = match map.get("serverTimeMs").map(json::RawValue::get) {
            None | Some("null") => None,
            Some(_) => Some(u64_field(&map, "serverTimeMs")?),
        };
        Ok(Ticket {
            order_str: text_field(&map, "orderStr", usize::MAX, true)?,
            merc_order_no: text_field(&map, "mercOrderNo", MERC_ORDER_NO_MAX_CHARS, false)?,
            merc_contract_code: text_field(
                &map,
                "mercContractCode",
                MERC_CONTRACT_CODE_MAX_CHARS,
                false,
            )?,
            server_time_ms,
        })
    }
}

impl OrderStatus {
    /// Reads a status answer strictly: every field present with its exact type and one of its
    /// values; `contractId` may be absent or null, otherwise a non-empty string of at most
    /// [`CONTRACT_ID_MAX_CHARS`].
    pub fn from_json(text: &str) -> Result<OrderStatus, FieldError> {
        let map = object(text, "status")?;
        let merc_order_no = text_field(&map, "mercOrderNo", MERC_ORDER_NO_MAX_CHARS, false)?;
        let payment = text_field(&map, "payment", usize::MAX, true)?;
        let payment = PaymentState::parse(&payment).ok_or_else(|| {
            field_error(
                "payment",
                format!(
                    "must be PAID, NOT_PAID or PENDING, found {:?}",
                    shown(&payment)
                ),
            )
        })?;
        let contract = text_field(&map, "contract", usize::MAX, true)?;
        let contract = ContractState::parse(&contract).ok_or_else(|| {
            field_error(
                "contract",
                format!(
                    "must be SIGNED, NOT_SIGNED or PENDING, found {:?}",
                    shown(&contract)
                ),
            )
        })?;
        let contract_id = match map.get("contractId") {
            None => None,
            Some(raw) => match json::raw_type_name(raw.get()) {
                "null" => None,
                "string" if raw.get() == "\"\"" => {
                    return Err(field_error(
                        "contractId",
                        "empty; leave it out or send null".to_string(),
                    ))
                }
                "string" => Some(text_field(
                    &map,
                    "contractId",
                    CONTRACT_ID_MAX_CHARS,
                    false,
                )?),
                found => {
                    return Err(field_error(
                        "contractId",
                        format!("must be a string, found {found}"),
                    ))
                }
            },
        };
        let updated_at = u64_field(&map, "updatedAt")?;
        Ok(OrderStatus {
            merc_order_no,
            payment,
            contract,
            contract_id,
            updated_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

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

    fn ticket() -> Value {
        serde_json::json!({"orderStr": "{\"merc_no\":\"1\"}", "mercOrderNo": "PS20260101000001",
                           "mercContractCode": "C-0001", "serverTimeMs": 1_751_361_838_042u64})
    }

    fn status() -> Value {
        serde_json::json!({"mercOrderNo": "PS1", "payment": "PAID", "contract": "SIGNED",
                           "contractId": "2024070914615843071097", "updatedAt": 1_751_361_838_042u64})
    }

    #[test]
    fn a_ticket_reads_back_what_the_server_wrote() {
        let written = Ticket {
            order_str: "{\"merc_no\":\"1\"}".into(),
            merc_order_no: "PS1".into(),
            merc_contract_code: "C1".into(),
            server_time_ms: Some(1_751_361_838_042),
        };
        let text = serde_json::to_string(&written).unwrap();
        assert_eq!(Ticket::from_json(&text).unwrap(), written);
        let without = Ticket {
            server_time_ms: None,
            ..written
        };
        let text = serde_json::to_string(&without).unwrap();
        assert_eq!(Ticket::from_json(&text).unwrap(), without);
        let mut v = ticket();
        v["serverTimeMs"] = Value::Null;
        v["merchantNote"] = serde_json::json!(3);
        assert_eq!(
            Ticket::from_json(&v.to_string()).unwrap().server_time_ms,
            None
        );
    }

    #[test]
    fn every_ticket_problem_names_its_field() {
        use serde_json::json;
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
        for bad in [json!("1751361838042"), json!(-1), json!(1.5), json!(true)] {
            let mut v = ticket();
            v["serverTimeMs"] = bad;
            cases.push((v.to_string(), "serverTimeMs"));
        }
        let mut long = ticket();
        long["mercOrderNo"] = json!("x".repeat(MERC_ORDER_NO_MAX_CHARS + 1));
        cases.push((long.to_string(), "mercOrderNo"));
        let mut long = ticket();
        long["mercContractCode"] = json!("x".repeat(MERC_CONTRACT_CODE_MAX_CHARS + 1));
        cases.push((long.to_string(), "mercContractCode"));
        let mut ctl = ticket();
        ctl["mercOrderNo"] = json!("PS\n1");
        cases.push((ctl.to_string(), "mercOrderNo"));
        for (text, field) in cases {
            let err = Ticket::from_json(&text).unwrap_err();
            assert_eq!(err.field, field, "{text}: {err}");
        }
    }

    #[test]
    fn a_status_reads_back_what_the_server_wrote() {
        for payment in [
            PaymentState::Paid,
            PaymentState::NotPaid,
            PaymentState::Pending,
        ] {
            for contract in [
                ContractState::Signed,
                ContractState::NotSigned,
                ContractState::Pending,
            ] {
                let written = OrderStatus {
                    merc_order_no: "PS1".into(),
                    payment,
                    contract,
                    contract_id: (contract == ContractState::Signed).then(|| "2024".to_string()),
                    updated_at: 1_751_361_838_042,
                };
                let text = serde_json::to_string(&written).unwrap();
                assert_eq!(OrderStatus::from_json(&text).unwrap(), written);
            }
        }
    }

    #[test]
    fn every_status_problem_names_its_field() {
        use serde_json::json;
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
            ("contractId", json!("9".repeat(CONTRACT_ID_MAX_CHARS + 1))),
            ("updatedAt", json!("1751361838042")),
            ("updatedAt", json!(1.5)),
            ("updatedAt", json!(-1)),
        ];
        for (field, bad) in cases {
            let mut v = status();
            v[field] = bad.clone();
            let err = OrderStatus::from_json(&v.to_string()).unwrap_err();
            assert_eq!(err.field, field, "{bad}");
        }
        for field in ["mercOrderNo", "payment", "contract", "updatedAt"] {
            let mut v = status();
            v.as_object_mut().unwrap().remove(field);
            assert_eq!(
                OrderStatus::from_json(&v.to_string()).unwrap_err().field,
                field
            );
        }
        for text in ["", "[]", "null", "{"] {
            assert_eq!(OrderStatus::from_json(text).unwrap_err().field, "status");
        }
    }
}
