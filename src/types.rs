//! The JS-facing shapes: plain objects, generated into `index.d.ts`. Every number is a JS number;
//! optional fields are `?:`. Inputs are read field by field (`convert`), so a wrong type is a
//! typed paysign error naming the field, not a Node-API exception.

use napi_derive_ohos::napi;

/// Input of `parseOrderStr`.
#[napi(object)]
pub struct ParseOrderStrInput {
    /// The orderStr exactly as the merchant server sent it.
    pub order_str: String,
    /// The caller's clock, milliseconds since the epoch.
    pub now_ms: f64,
    /// This app's id; when given, an orderStr for another app is refused (2009).
    pub expected_app_id: Option<String>,
}

/// What a valid orderStr says (the sign is never returned).
#[napi(object)]
pub struct OrderStrInfo {
    pub merc_no: String,
    pub prepay_id: String,
    /// 13 digits, milliseconds since the epoch.
    pub timestamp: String,
    pub noncestr: String,
    pub auth_id: String,
    pub app_id: Option<String>,
    /// `reserved.sandbox_flag`.
    pub sandbox: bool,
    /// Age of the orderStr at `nowMs` (negative when slightly ahead).
    pub age_ms: f64,
}

/// Input of `classifyCashierError`: a Payment Kit `BusinessError`.
#[napi(object)]
pub struct CashierErrorInput {
    pub code: f64,
    pub message: String,
}

/// Input of `errorInfo`.
#[napi(object)]
pub struct ErrorInfoInput {
    pub code: f64,
}

/// One paysign error: a row of the error table plus what this occurrence adds.
#[napi(object, js_name = "PaysignError")]
pub struct JsPaysignError {
    /// Stable numeric code (docs/native-api.md).
    pub code: u32,
    #[napi(
        ts_type = "'INVALID_INPUT' | 'BUSY' | 'INVALID_STATE' | 'INVALID_TICKET' | 'MERCHANT' | 'UNKNOWN_OUTCOME' | 'CANCELED' | 'PAYMENT_FAILED' | 'RATE_LIMITED' | 'NETWORK' | 'TIMEOUT' | 'INTERNAL' | 'CONTRACT_NOT_SIGNED' | 'CONTRACT_UNCONFIRMED'"
    )]
    pub kind: String,
    /// Trying again later can succeed.
    pub retryable: bool,
    /// Money may have moved: ask the merchant server.
    pub unknown_outcome: bool,
    /// For developers.
    pub message: String,
    /// What the app should do next (the error table's action column).
    pub action: String,
    pub user_message_zh: String,
    pub user_message_en: String,
    /// The raw Payment Kit code, when the error came from the cashier.
    pub payment_kit_code: Option<i64>,
    /// The input field the error is about.
    pub field: Option<String>,
}

/// Flow settings; every field is optional (defaults in docs/native-api.md).
#[napi(object, js_name = "FlowConfig")]
pub struct JsFlowConfig {
    pub overall_deadline_ms: Option<f64>,
    pub confirm_deadline_ms: Option<f64>,
    pub backoff_initial_ms: Option<f64>,
    pub backoff_cap_ms: Option<f64>,
    pub backoff_factor: Option<f64>,
    pub expected_app_id: Option<String>,
}

/// Input of `resumeFlow`: the saved order, and the flow settings (defaults when absent).
#[napi(object)]
pub struct ResumeFlowInput {
    pub config: Option<JsFlowConfig>,
    pub merc_order_no: String,
    pub merc_contract_code: String,
}

/// What happened: `kind` is STARTED | TICKET_FETCHED | TICKET_FAILED | CASHIER_RETURNED |
/// CASHIER_FAILED | STATUS_FETCHED | STATUS_FAILED | TIMER_FIRED.
#[napi(object)]
pub struct FlowEvent {
    #[napi(
        ts_type = "'STARTED' | 'TICKET_FETCHED' | 'TICKET_FAILED' | 'CASHIER_RETURNED' | 'CASHIER_FAILED' | 'STATUS_FETCHED' | 'STATUS_FAILED' | 'TIMER_FIRED'"
    )]
    pub kind: String,
    /// The caller's clock, milliseconds since the epoch.
    pub now_ms: f64,
    /// TICKET_FETCHED, STATUS_FETCHED: the merchant server's JSON text.
    pub body: Option<String>,
    /// CASHIER_FAILED: the Payment Kit code.
    pub error_code: Option<f64>,
    /// *_FAILED: what went wrong.
    pub error_message: Option<String>,
    /// TICKET_FAILED, STATUS_FAILED: the HTTP status, when there was an answer.
    pub http_status: Option<f64>,
}

/// What to do next: `kind` is FETCH_TICKET | OPEN_CASHIER | QUERY_STATUS | WAIT | DONE.
#[napi(object)]
pub struct FlowAction {
    #[napi(ts_type = "'FETCH_TICKET' | 'OPEN_CASHIER' | 'QUERY_STATUS' | 'WAIT' | 'DONE'")]
    pub kind: String,
    /// Where the flow is, for a progress display: CREATING_ORDER (FETCH_TICKET), IN_CASHIER
    /// (OPEN_CASHIER), CONFIRMING (QUERY_STATUS, WAIT), DONE.
    #[napi(ts_type = "'CREATING_ORDER' | 'IN_CASHIER' | 'CONFIRMING' | 'DONE'")]
    pub stage: String,
    /// OPEN_CASHIER: pass to `requestPayment` verbatim.
    pub order_str: Option<String>,
    /// OPEN_CASHIER, QUERY_STATUS: the order (from OPEN_CASHIER on, money may move: keep it).
    pub merc_order_no: Option<String>,
    /// OPEN_CASHIER: the order's contract code.
    pub merc_contract_code: Option<String>,
    /// WAIT: then send TIMER_FIRED.
    pub wait_ms: Option<f64>,
    /// DONE: the result.
    pub outcome: Option<PayAndSignOutcome>,
}

/// The result of one pay-and-sign.
#[napi(object)]
pub struct PayAndSignOutcome {
    #[napi(ts_type = "'PAID' | 'NOT_PAID' | 'CANCELED' | 'PENDING' | 'UNKNOWN'")]
    pub payment: String,
    #[napi(ts_type = "'SIGNED' | 'NOT_SIGNED' | 'PENDING' | 'UNKNOWN'")]
    pub contract: String,
    pub merc_order_no: Option<String>,
    pub merc_contract_code: Option<String>,
    pub contract_id: Option<String>,
    pub elapsed_ms: f64,
    /// Payment and contract are both known for good; nothing about this order will change.
    pub is_final: bool,
    /// Money may have moved and nobody confirmed it (payment PENDING or UNKNOWN): never offer to
    /// pay again for this order; confirm it later.
    pub unknown_outcome: bool,
    pub error: Option<JsPaysignError>,
}

/// Input of `selfTest`.
#[napi(object)]
pub struct SelfTestInput {
    /// Panic inside the export: it must come back as error 5002.
    pub force_panic: bool,
}

/// What `selfTest` proves on a device.
#[napi(object)]
pub struct SelfTestResult {
    pub version: String,
    /// The target the library was built for.
    pub target: String,
    /// A panic inside the library was caught by unwinding.
    pub panic_caught: bool,
}
