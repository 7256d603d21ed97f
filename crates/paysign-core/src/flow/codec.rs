//! The flow state's string form (tests, fuzzing and debugging; the N-API keeps the state native and
//! never calls this, so LTO drops it from the device library), shaped by hand: plain JSON objects, written straight to text and
//! read through `serde_json::Value`, which the library needs anyway for tickets and status answers.
//!
//! Why not derived serde: internally tagged enums buffer every value through serde's `Content`
//! before dispatching, which cost the device library about 84 KB. Floats are kept as their bit
//! pattern (an integer), so the round trip is exact without serde_json's `float_roundtrip`.
//! Every object is read strictly: a missing, mistyped or unknown key is error 1003.

use serde_json::{Map, Value};

use super::{CashierResult, Confirm, FlowState, OrderRef, Phase};
use crate::config::FlowConfig;
use crate::error::PaysignError;
use crate::outcome::{ContractOutcome, PayAndSignOutcome, PaymentOutcome};
use crate::status::{MerchantContract, MerchantPayment, MerchantStatus};

/// Why a state could not be read (the reason of error 1003) or written (of error 5002).
type Problem = String;

// --- writing ---

/// One JSON object being written straight to text (no `Value` tree); `None` values are left out.
#[derive(Default)]
struct Obj {
    out: Vec<u8>,
    /// The first error of serde_json's string writer (it cannot fail on a Vec; kept, not dropped).
    error: Option<serde_json::Error>,
}

/// What a field's value can be.
trait Field {
    fn write(self, obj: &mut Obj);
}

impl Obj {
    fn put(mut self, key: &str, value: impl Field) -> Obj {
        // Keys are this module's ASCII literals: nothing to escape.
        self.out.push(if self.out.is_empty() { b'{' } else { b',' });
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        value.write(&mut self);
        self
    }

    fn put_opt(self, key: &str, value: Option<impl Field>) -> Obj {
        match value {
            Some(value) => self.put(key, value),
            None => self,
        }
    }

    fn close(&mut self) {
        if self.out.is_empty() {
            self.out.push(b'{');
        }
        self.out.push(b'}');
    }

    fn finish(mut self) -> Result<String, Problem> {
        self.close();
        match self.error {
            Some(error) => Err(error.to_string()),
            // Only UTF-8 was written: ASCII punctuation and serde_json's escaped strings.
            None => String::from_utf8(self.out).map_err(|e| e.to_string()),
        }
    }
}

impl Field for Obj {
    fn write(mut self, obj: &mut Obj) {
        self.close();
        obj.out.append(&mut self.out);
        if obj.error.is_none() {
            obj.error = self.error;
        }
    }
}

impl Field for u64 {
    fn write(self, obj: &mut Obj) {
        obj.out.extend_from_slice(self.to_string().as_bytes());
    }
}

impl Field for i64 {
    fn write(self, obj: &mut Obj) {
        obj.out.extend_from_slice(self.to_string().as_bytes());
    }
}

impl Field for u32 {
    fn write(self, obj: &mut Obj) {
        u64::from(self).write(obj);
    }
}

impl Field for u16 {
    fn write(self, obj: &mut Obj) {
        u64::from(self).write(obj);
    }
}

impl Field for bool {
    fn write(self, obj: &mut Obj) {
        obj.out
            .extend_from_slice(if self { b"true" } else { b"false" });
    }
}

impl Field for &str {
    fn write(self, obj: &mut Obj) {
        if let Err(error) = serde_json::to_writer(&mut obj.out, self) {
            obj.error.get_or_insert(error);
        }
    }
}

impl Field for &String {
    fn write(self, obj: &mut Obj) {
        self.as_str().write(obj);
    }
}

pub(super) fn state_to_json(state: &FlowState) -> Result<String, Problem> {
    let (phase, data) = match &state.phase {
        Phase::New => ("new", None),
        Phase::Resuming { order } => (
            "resuming",
            Some(Obj::default().put("order", order_obj(order))),
        ),
        Phase::FetchingTicket => ("fetchingTicket", None),
        Phase::InCashier { order, opened_ms } => (
            "inCashier",
            Some(
                Obj::default()
                    .put("order", order_obj(order))
                    .put("openedMs", *opened_ms),
            ),
        ),
        Phase::Querying { confirm } => ("querying", Some(confirm_obj(confirm))),
        Phase::Waiting { confirm } => ("waiting", Some(confirm_obj(confirm))),
        Phase::Done { outcome } => ("done", Some(outcome_obj(outcome))),
    };
    Obj::default()
        .put("v", state.v)
        .put("config", config_obj(&state.config))
        .put_opt("startedMs", state.started_ms)
        .put("lastNowMs", state.last_now_ms)
        .put("cashierOpened", state.cashier_opened)
        .put("phase", phase)
        .put_opt("data", data)
        .finish()
}

fn config_obj(c: &FlowConfig) -> Obj {
    Obj::default()
        .put("overallDeadlineMs", c.overall_deadline_ms)
        .put("confirmDeadlineMs", c.confirm_deadline_ms)
        .put("backoffInitialMs", c.backoff_initial_ms)
        .put("backoffCapMs", c.backoff_cap_ms)
        .put("backoffFactorBits", c.backoff_factor.to_bits())
        .put_opt("expectedAppId", c.expected_app_id.as_deref())
}

fn order_obj(o: &OrderRef) -> Obj {
    Obj::default()
        .put("mercOrderNo", &o.merc_order_no)
        .put("mercContractCode", &o.merc_contract_code)
}

fn confirm_obj(c: &Confirm) -> Obj {
    let (cashier_code, cashier_message, resumed) = match &c.cashier {
        CashierResult::Returned => (None, None, None),
        CashierResult::Failed { code, message } => (Some(*code), Some(message.as_str()), None),
        CashierResult::Unknown => (None, None, Some(true)),
    };
    Obj::default()
        .put("order", order_obj(&c.order))
        .put_opt("cashierCode", cashier_code)
        .put_opt("cashierMessage", cashier_message)
        .put_opt("resumed", resumed)
        .put("untilMs", c.until_ms)
        .put("queries", c.queries)
        .put_opt("lastStatus", c.last_status.as_ref().map(status_obj))
        .put_opt("lastError", c.last_error.as_ref().map(error_obj))
}

fn status_obj(s: &MerchantStatus) -> Obj {
    Obj::default()
        .put("mercOrderNo", &s.merc_order_no)
        .put(
            "payment",
            match s.payment {
                MerchantPayment::Paid => "PAID",
                MerchantPayment::NotPaid => "NOT_PAID",
                MerchantPayment::Pending => "PENDING",
            },
        )
        .put(
            "contract",
            match s.contract {
                MerchantContract::Signed => "SIGNED",
                MerchantContract::NotSigned => "NOT_SIGNED",
                MerchantContract::Pending => "PENDING",
            },
        )
        .put_opt("contractId", s.contract_id.as_deref())
        .put("updatedAt", s.updated_at)
}

fn outcome_obj(o: &PayAndSignOutcome) -> Obj {
    Obj::default()
        .put("payment", o.payment.as_str())
        .put("contract", o.contract.as_str())
        .put_opt("mercOrderNo", o.merc_order_no.as_deref())
        .put_opt("mercContractCode", o.merc_contract_code.as_deref())
        .put_opt("contractId", o.contract_id.as_deref())
        .put("elapsedMs", o.elapsed_ms)
        .put_opt("error", o.error.as_ref().map(error_obj))
}

/// An error is kept as its variant's name and its fields, so the outcome read back is the same
/// error (same code, same message).
fn error_obj(e: &PaysignError) -> Obj {
    use PaysignError as E;
    let o = Obj::default();
    let (name, o) = match e {
        E::InvalidInput { reason } => ("invalidInput", o.put("reason", reason)),
        E::Busy => ("busy", o),
        E::InvalidState { reason } => ("invalidState", o.put("reason", reason)),
        E::InvalidTicket { field, reason } => {
            ("invalidTicket", o.put("field", field).put("reason", reason))
        }
        E::OrderStrNotJson { reason } => ("orderStrNotJson", o.put("reason", reason)),
        E::OrderStrNotObject { found } => ("orderStrNotObject", o.put("found", found)),
        E::MissingField { field } => ("missingField", o.put("field", field)),
        E::WrongType {
            field,
            expected,
            found,
        } => (
            "wrongType",
            o.put("field", field)
                .put("expected", expected)
                .put("found", found),
        ),
        E::BadValue { field, reason } => ("badValue", o.put("field", field).put("reason", reason)),
        E::PrepayExpired { age_ms, limit_ms } => (
            "prepayExpired",
            o.put("ageMs", *age_ms).put("limitMs", *limit_ms),
        ),
        E::TimestampInFuture { ahead_ms, limit_ms } => (
            "timestampInFuture",
            o.put("aheadMs", *ahead_ms).put("limitMs", *limit_ms),
        ),
        E::AppIdMismatch { expected, actual } => (
            "appIdMismatch",
            o.put("expected", expected).put("actual", actual),
        ),
        E::TicketUnreachable { reason } => ("ticketUnreachable", o.put("reason", reason)),
        E::TicketRefused {
            http_status,
            reason,
        } => (
            "ticketRefused",
            o.put("httpStatus", *http_status).put("reason", reason),
        ),
        E::StatusMalformed { field, reason } => (
            "statusMalformed",
            o.put("field", field).put("reason", reason),
        ),
        E::ConfirmTimedOut {
            reason,
            payment_kit_code,
        } => (
            "confirmTimedOut",
            o.put("reason", reason)
                .put_opt("paymentKitCode", *payment_kit_code),
        ),
        E::PaymentKit { code, message } => {
            ("paymentKit", o.put("code", *code).put("message", message))
        }
        E::NotPaidConfirmed { payment_kit_code } => (
            "notPaidConfirmed",
            o.put_opt("paymentKitCode", *payment_kit_code),
        ),
        E::ContractNotSigned { payment_kit_code } => (
            "contractNotSigned",
            o.put_opt("paymentKitCode", *payment_kit_code),
        ),
        E::ContractUnconfirmed {
            reason,
            payment_kit_code,
        } => (
            "contractUnconfirmed",
            o.put("reason", reason)
                .put_opt("paymentKitCode", *payment_kit_code),
        ),
        E::DeadlineExceeded { deadline_ms } => {
            ("deadlineExceeded", o.put("deadlineMs", *deadline_ms))
        }
        E::Internal { reason } => ("internal", o.put("reason", reason)),
    };
    o.put("type", name)
}

// --- reading ---

/// One JSON object being read: every key must be read exactly once (checked by [`Reader::end`]).
struct Reader<'a> {
    map: &'a Map<String, Value>,
    what: &'static str,
    read: usize,
}

impl<'a> Reader<'a> {
    fn new(value: &'a Value, what: &'static str) -> Result<Reader<'a>, Problem> {
        match value {
            Value::Object(map) => Ok(Reader { map, what, read: 0 }),
            _ => Err(format!("{what} must be an object")),
        }
    }

    fn bad(&self, key: &str) -> Problem {
        format!("{}.{key} is missing or has the wrong type", self.what)
    }

    fn opt(&mut self, key: &str) -> Option<&'a Value> {
        let value = self.map.get(key);
        if value.is_some() {
            self.read += 1;
        }
        value
    }

    fn get(&mut self, key: &str) -> Result<&'a Value, Problem> {
        self.opt(key).ok_or_else(|| self.bad(key))
    }

    fn opt_u64(&mut self, key: &str) -> Result<Option<u64>, Problem> {
        self.opt(key)
            .map(|v| v.as_u64().ok_or_else(|| self.bad(key)))
            .transpose()
    }

    fn u64(&mut self, key: &str) -> Result<u64, Problem> {
        self.opt_u64(key)?.ok_or_else(|| self.bad(key))
    }

    fn u32(&mut self, key: &str) -> Result<u32, Problem> {
        let n = self.u64(key)?;
        u32::try_from(n).map_err(|_| self.bad(key))
    }

    fn u16(&mut self, key: &str) -> Result<u16, Problem> {
        let n = self.u64(key)?;
        u16::try_from(n).map_err(|_| self.bad(key))
    }

    fn opt_i64(&mut self, key: &str) -> Result<Option<i64>, Problem> {
        self.opt(key)
            .map(|v| v.as_i64().ok_or_else(|| self.bad(key)))
            .transpose()
    }

    fn i64(&mut self, key: &str) -> Result<i64, Problem> {
        self.opt_i64(key)?.ok_or_else(|| self.bad(key))
    }

    fn bool(&mut self, key: &str) -> Result<bool, Problem> {
        self.get(key)?.as_bool().ok_or_else(|| self.bad(key))
    }

    fn opt_str(&mut self, key: &str) -> Result<Option<&'a str>, Problem> {
        self.opt(key)
            .map(|v| v.as_str().ok_or_else(|| self.bad(key)))
            .transpose()
    }

    fn str(&mut self, key: &str) -> Result<&'a str, Problem> {
        self.opt_str(key)?.ok_or_else(|| self.bad(key))
    }

    fn opt_string(&mut self, key: &str) -> Result<Option<String>, Problem> {
        Ok(self.opt_str(key)?.map(str::to_string))
    }

    fn string(&mut self, key: &str) -> Result<String, Problem> {
        self.str(key).map(str::to_string)
    }

    /// Every key of the object was read: nothing unknown rode along.
    fn end(self) -> Result<(), Problem> {
        if self.read == self.map.len() {
            Ok(())
        } else {
            Err(format!("{} has unknown keys", self.what))
        }
    }
}

pub(super) fn state_from_value(value: &Value) -> Result<FlowState, Problem> {
    let mut r = Reader::new(value, "state")?;
    let v = r.u32("v")?;
    let config = config_from_value(r.get("config")?)?;
    let started_ms = r.opt_u64("startedMs")?;
    let last_now_ms = r.u64("lastNowMs")?;
    let cashier_opened = r.bool("cashierOpened")?;
    let phase = r.str("phase")?;
    let data = r.opt("data");
    let need = |what: &str| data.ok_or_else(|| format!("state.data is required in phase {what}"));
    let phase = match phase {
        "new" | "fetchingTicket" if data.is_some() => {
            return Err(format!("state.data is not expected in phase {phase}"))
        }
        "new" => Phase::New,
        "resuming" => {
            let mut d = Reader::new(need(phase)?, "state.data")?;
            let order = order_from_value(d.get("order")?)?;
            d.end()?;
            Phase::Resuming { order }
        }
        "fetchingTicket" => Phase::FetchingTicket,
        "inCashier" => {
            let mut d = Reader::new(need(phase)?, "state.data")?;
            let order = order_from_value(d.get("order")?)?;
            let opened_ms = d.u64("openedMs")?;
            d.end()?;
            Phase::InCashier { order, opened_ms }
        }
        "querying" => Phase::Querying {
            confirm: confirm_from_value(need(phase)?)?,
        },
        "waiting" => Phase::Waiting {
            confirm: confirm_from_value(need(phase)?)?,
        },
        "done" => Phase::Done {
            outcome: outcome_from_value(need(phase)?)?,
        },
        _ => return Err("state.phase is not a phase".to_string()),
    };
    r.end()?;
    Ok(FlowState {
        v,
        config,
        started_ms,
        last_now_ms,
        cashier_opened,
        phase,
    })
}

fn config_from_value(value: &Value) -> Result<FlowConfig, Problem> {
    let mut r = Reader::new(value, "config")?;
    let config = FlowConfig {
        overall_deadline_ms: r.u64("overallDeadlineMs")?,
        confirm_deadline_ms: r.u64("confirmDeadlineMs")?,
        backoff_initial_ms: r.u64("backoffInitialMs")?,
        backoff_cap_ms: r.u64("backoffCapMs")?,
        backoff_factor: f64::from_bits(r.u64("backoffFactorBits")?),
        expected_app_id: r.opt_string("expectedAppId")?,
    };
    r.end()?;
    Ok(config)
}

fn order_from_value(value: &Value) -> Result<OrderRef, Problem> {
    let mut r = Reader::new(value, "order")?;
    let order = OrderRef {
        merc_order_no: r.string("mercOrderNo")?,
        merc_contract_code: r.string("mercContractCode")?,
    };
    r.end()?;
    Ok(order)
}

fn confirm_from_value(value: &Value) -> Result<Confirm, Problem> {
    let mut r = Reader::new(value, "confirm")?;
    let order = order_from_value(r.get("order")?)?;
    let resumed = match r.opt("resumed") {
        None => false,
        Some(Value::Bool(true)) => true,
        Some(_) => return Err(r.bad("resumed")),
    };
    let cashier = match (
        r.opt_i64("cashierCode")?,
        r.opt_string("cashierMessage")?,
        resumed,
    ) {
        (None, None, false) => CashierResult::Returned,
        (None, None, true) => CashierResult::Unknown,
        (Some(code), Some(message), false) => CashierResult::Failed { code, message },
        _ => {
            return Err(
                "confirm.cashierCode, cashierMessage and resumed do not go together".to_string(),
            )
        }
    };
    let confirm = Confirm {
        order,
        cashier,
        until_ms: r.u64("untilMs")?,
        queries: r.u32("queries")?,
        last_status: r.opt("lastStatus").map(status_from_value).transpose()?,
        last_error: r.opt("lastError").map(error_from_value).transpose()?,
    };
    r.end()?;
    Ok(confirm)
}

fn status_from_value(value: &Value) -> Result<MerchantStatus, Problem> {
    let mut r = Reader::new(value, "lastStatus")?;
    let merc_order_no = r.string("mercOrderNo")?;
    let payment = match r.str("payment")? {
        "PAID" => MerchantPayment::Paid,
        "NOT_PAID" => MerchantPayment::NotPaid,
        "PENDING" => MerchantPayment::Pending,
        _ => return Err(r.bad("payment")),
    };
    let contract = match r.str("contract")? {
        "SIGNED" => MerchantContract::Signed,
        "NOT_SIGNED" => MerchantContract::NotSigned,
        "PENDING" => MerchantContract::Pending,
        _ => return Err(r.bad("contract")),
    };
    let status = MerchantStatus {
        merc_order_no,
        payment,
        contract,
        contract_id: r.opt_string("contractId")?,
        updated_at: r.u64("updatedAt")?,
    };
    r.end()?;
    Ok(status)
}

fn outcome_from_value(value: &Value) -> Result<PayAndSignOutcome, Problem> {
    let mut r = Reader::new(value, "outcome")?;
    let payment = match r.str("payment")? {
        "PAID" => PaymentOutcome::Paid,
        "NOT_PAID" => PaymentOutcome::NotPaid,
        "CANCELED" => PaymentOutcome::Canceled,
        "PENDING" => PaymentOutcome::Pending,
        "UNKNOWN" => PaymentOutcome::Unknown,
        _ => return Err(r.bad("payment")),
    };
    let contract = match r.str("contract")? {
        "SIGNED" => ContractOutcome::Signed,
        "NOT_SIGNED" => ContractOutcome::NotSigned,
        "PENDING" => ContractOutcome::Pending,
        "UNKNOWN" => ContractOutcome::Unknown,
        _ => return Err(r.bad("contract")),
    };
    let outcome = PayAndSignOutcome {
        payment,
        contract,
        merc_order_no: r.opt_string("mercOrderNo")?,
        merc_contract_code: r.opt_string("mercContractCode")?,
        contract_id: r.opt_string("contractId")?,
        elapsed_ms: r.u64("elapsedMs")?,
        error: r.opt("error").map(error_from_value).transpose()?,
    };
    r.end()?;
    Ok(outcome)
}

fn error_from_value(value: &Value) -> Result<PaysignError, Problem> {
    use PaysignError as E;
    let mut r = Reader::new(value, "error")?;
    let error = match r.str("type")? {
        "invalidInput" => E::InvalidInput {
            reason: r.string("reason")?,
        },
        "busy" => E::Busy,
        "invalidState" => E::InvalidState {
            reason: r.string("reason")?,
        },
        "invalidTicket" => E::InvalidTicket {
            field: r.string("field")?,
            reason: r.string("reason")?,
        },
        "orderStrNotJson" => E::OrderStrNotJson {
            reason: r.string("reason")?,
        },
        "orderStrNotObject" => E::OrderStrNotObject {
            found: r.string("found")?,
        },
        "missingField" => E::MissingField {
            field: r.string("field")?,
        },
        "wrongType" => E::WrongType {
            field: r.string("field")?,
            expected: r.string("expected")?,
            found: r.string("found")?,
        },
        "badValue" => E::BadValue {
            field: r.string("field")?,
            reason: r.string("reason")?,
        },
        "prepayExpired" => E::PrepayExpired {
            age_ms: r.u64("ageMs")?,
            limit_ms: r.u64("limitMs")?,
        },
        "timestampInFuture" => E::TimestampInFuture {
            ahead_ms: r.u64("aheadMs")?,
            limit_ms: r.u64("limitMs")?,
        },
        "appIdMismatch" => E::AppIdMismatch {
            expected: r.string("expected")?,
            actual: r.string("actual")?,
        },
        "ticketUnreachable" => E::TicketUnreachable {
            reason: r.string("reason")?,
        },
        "ticketRefused" => E::TicketRefused {
            http_status: r.u16("httpStatus")?,
            reason: r.string("reason")?,
        },
        "statusMalformed" => E::StatusMalformed {
            field: r.string("field")?,
            reason: r.string("reason")?,
        },
        "confirmTimedOut" => E::ConfirmTimedOut {
            reason: r.string("reason")?,
            payment_kit_code: r.opt_i64("paymentKitCode")?,
        },
        "paymentKit" => E::PaymentKit {
            code: r.i64("code")?,
            message: r.string("message")?,
        },
        "notPaidConfirmed" => E::NotPaidConfirmed {
            payment_kit_code: r.opt_i64("paymentKitCode")?,
        },
        "contractNotSigned" => E::ContractNotSigned {
            payment_kit_code: r.opt_i64("paymentKitCode")?,
        },
        "contractUnconfirmed" => E::ContractUnconfirmed {
            reason: r.string("reason")?,
            payment_kit_code: r.opt_i64("paymentKitCode")?,
        },
        "deadlineExceeded" => E::DeadlineExceeded {
            deadline_ms: r.u64("deadlineMs")?,
        },
        "internal" => E::Internal {
            reason: r.string("reason")?,
        },
        _ => return Err(r.bad("type")),
    };
    r.end()?;
    Ok(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(obj: Obj) -> Value {
        serde_json::from_str(&obj.finish().unwrap()).unwrap()
    }

    fn every_error() -> Vec<PaysignError> {
        use PaysignError as E;
        let s = || "x".to_string();
        vec![
            E::InvalidInput { reason: s() },
            E::Busy,
            E::InvalidState { reason: s() },
            E::InvalidTicket {
                field: s(),
                reason: s(),
            },
            E::OrderStrNotJson { reason: s() },
            E::OrderStrNotObject { found: s() },
            E::MissingField { field: s() },
            E::WrongType {
                field: s(),
                expected: s(),
                found: s(),
            },
            E::BadValue {
                field: s(),
                reason: s(),
            },
            E::PrepayExpired {
                age_ms: 1,
                limit_ms: 2,
            },
            E::TimestampInFuture {
                ahead_ms: 3,
                limit_ms: 4,
            },
            E::AppIdMismatch {
                expected: s(),
                actual: "y".into(),
            },
            E::TicketUnreachable { reason: s() },
            E::TicketRefused {
                http_status: 502,
                reason: s(),
            },
            E::StatusMalformed {
                field: s(),
                reason: s(),
            },
            E::ConfirmTimedOut {
                reason: s(),
                payment_kit_code: Some(-7),
            },
            E::ConfirmTimedOut {
                reason: s(),
                payment_kit_code: None,
            },
            E::PaymentKit {
                code: i64::MIN,
                message: s(),
            },
            E::NotPaidConfirmed {
                payment_kit_code: Some(1_001_930_002),
            },
            E::ContractNotSigned {
                payment_kit_code: None,
            },
            E::ContractUnconfirmed {
                reason: s(),
                payment_kit_code: Some(1_001_930_000),
            },
            E::DeadlineExceeded { deadline_ms: 9 },
            E::Internal { reason: s() },
        ]
    }

    #[test]
    fn every_error_round_trips() {
        let errors = every_error();
        let codes: std::collections::HashSet<u32> =
            errors.iter().map(|e| e.code().as_u32()).collect();
        assert_eq!(codes.len(), errors.len() - 1, "one variant per code");
        for error in errors {
            let value = parse(error_obj(&error));
            assert_eq!(error_from_value(&value).unwrap(), error);
        }
    }

    #[test]
    fn unknown_and_mistyped_keys_are_refused() {
        let value = parse(error_obj(&PaysignError::TicketRefused {
            http_status: 502,
            reason: "x\"\u{0}\\ 中".into(),
        }));
        let mut extra = value.clone();
        extra["more"] = Value::Bool(true);
        assert!(error_from_value(&extra).unwrap_err().contains("unknown"));
        let mut wide = value.clone();
        wide["httpStatus"] = Value::from(70_000);
        assert!(error_from_value(&wide).is_err());
        let mut renamed = value;
        renamed["type"] = Value::from("teapot");
        assert!(error_from_value(&renamed).is_err());
    }

    #[test]
    fn factors_keep_every_bit() {
        for factor in [
            1.0,
            1.1,
            2.0,
            1.000_000_000_000_000_2,
            9.999_999_999_999_998,
        ] {
            let config = FlowConfig {
                backoff_factor: factor,
                ..FlowConfig::default()
            };
            let back = config_from_value(&parse(config_obj(&config))).unwrap();
            assert_eq!(back.backoff_factor.to_bits(), factor.to_bits());
        }
    }
}
