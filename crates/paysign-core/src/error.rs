//! The one error type of paysign and its table of stable numeric codes.
//!
//! Every failure the library can report is a [`PaysignError`] variant. Each variant maps to one
//! [`ErrorCode`], and each code has one row in [`ERROR_TABLE`]: its kind, whether retrying can help,
//! whether money may have moved (`unknown_outcome`), and the messages a user sees. Codes are stable:
//! the HAR, the docs and merchant apps compare against the numbers.

use serde::{Deserialize, Serialize};

/// Payment Kit `requestPayment` codes (spec §1.2).
pub mod payment_kit {
    /// Parameter error: missing context or orderStr.
    pub const PARAMETER_ERROR: i64 = 401;
    /// The user cancelled (before paying, or after paying while signing).
    pub const CANCELED: i64 = 1_001_930_000;
    /// Pay failed: malformed orderStr, wrong prepay_id, or key mismatch.
    pub const PAY_FAILED: i64 = 1_001_930_001;
    /// Already processed: concurrent or repeated launch; the outcome is unknown.
    pub const ALREADY_PROCESSED: i64 = 1_001_930_002;
    /// Withhold (signing) failed; listed for `requestContract`. In a pay-and-sign the payment may
    /// have gone through before signing failed.
    pub const CONTRACT_FAILED: i64 = 1_001_930_003;
    /// Called too frequently.
    pub const DUPLICATE_REQUEST: i64 = 1_001_930_010;
    /// No or unstable network.
    pub const NETWORK_ERROR: i64 = 1_001_930_011;
}

/// What kind of failure a code is; the HAR and apps branch on this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorKind {
    InvalidInput,
    Busy,
    InvalidState,
    InvalidTicket,
    Merchant,
    UnknownOutcome,
    Canceled,
    PaymentFailed,
    RateLimited,
    Network,
    Timeout,
    Internal,
    /// Paid (final); the withholding contract was not signed.
    ContractNotSigned,
    /// Paid (final); the contract's result is not confirmed yet.
    ContractUnconfirmed,
}

impl ErrorKind {
    /// The name used on the wire and in the docs (`INVALID_TICKET`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "INVALID_INPUT",
            ErrorKind::Busy => "BUSY",
            ErrorKind::InvalidState => "INVALID_STATE",
            ErrorKind::InvalidTicket => "INVALID_TICKET",
            ErrorKind::Merchant => "MERCHANT",
            ErrorKind::UnknownOutcome => "UNKNOWN_OUTCOME",
            ErrorKind::Canceled => "CANCELED",
            ErrorKind::PaymentFailed => "PAYMENT_FAILED",
            ErrorKind::RateLimited => "RATE_LIMITED",
            ErrorKind::Network => "NETWORK",
            ErrorKind::Timeout => "TIMEOUT",
            ErrorKind::Internal => "INTERNAL",
            ErrorKind::ContractNotSigned => "CONTRACT_NOT_SIGNED",
            ErrorKind::ContractUnconfirmed => "CONTRACT_UNCONFIRMED",
        }
    }
}

/// The stable numeric codes. The discriminant is the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorCode {
    InvalidInput = 1001,
    Busy = 1002,
    InvalidState = 1003,
    InvalidTicket = 2001,
    OrderStrNotJson = 2002,
    OrderStrNotObject = 2003,
    OrderStrMissingField = 2004,
    OrderStrWrongType = 2005,
    OrderStrBadValue = 2006,
    PrepayExpired = 2007,
    TimestampInFuture = 2008,
    AppIdMismatch = 2009,
    TicketUnreachable = 3001,
    TicketRefused = 3002,
    StatusMalformed = 3003,
    ConfirmTimedOut = 3004,
    CashierCanceled = 4000,
    CashierPayFailed = 4001,
    CashierAlreadyProcessed = 4002,
    CashierContractFailed = 4003,
    CashierRateLimited = 4010,
    CashierNetwork = 4011,
    CashierParameterError = 4401,
    CashierUnknownCode = 4999,
    NotPaidConfirmed = 4100,
    DeadlineExceeded = 5001,
    Internal = 5002,
    OrderNotSaved = 5003,
    ContractNotSigned = 6001,
    ContractUnconfirmed = 6002,
}

/// One row of the error table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorInfo {
    pub code: ErrorCode,
    pub kind: ErrorKind,
    /// Trying the same thing again is safe and can succeed. Never set together with
    /// `unknown_outcome`: while money may have moved, a new attempt could charge twice.
    pub retryable: bool,
    /// Money may have moved: only the merchant server knows.
    pub unknown_outcome: bool,
    /// What the code means, for developers (the docs table's "meaning").
    pub meaning: &'static str,
    /// What the app should do (the docs table's "action").
    pub action: &'static str,
    pub user_message_zh: &'static str,
    pub user_message_en: &'static str,
}

impl ErrorCode {
    /// Every code, in ascending order.
    pub const ALL: [ErrorCode; 30] = [
        ErrorCode::InvalidInput,
        ErrorCode::Busy,
        ErrorCode::InvalidState,
        ErrorCode::InvalidTicket,
        ErrorCode::OrderStrNotJson,
        ErrorCode::OrderStrNotObject,
        ErrorCode::OrderStrMissingField,
        ErrorCode::OrderStrWrongType,
        ErrorCode::OrderStrBadValue,
        ErrorCode::PrepayExpired,
        ErrorCode::TimestampInFuture,
        ErrorCode::AppIdMismatch,
        ErrorCode::TicketUnreachable,
        ErrorCode::TicketRefused,
        ErrorCode::StatusMalformed,
        ErrorCode::ConfirmTimedOut,
        ErrorCode::CashierCanceled,
        ErrorCode::CashierPayFailed,
        ErrorCode::CashierAlreadyProcessed,
        ErrorCode::CashierContractFailed,
        ErrorCode::CashierRateLimited,
        ErrorCode::CashierNetwork,
        ErrorCode::NotPaidConfirmed,
        ErrorCode::CashierParameterError,
        ErrorCode::CashierUnknownCode,
        ErrorCode::DeadlineExceeded,
        ErrorCode::Internal,
        ErrorCode::OrderNotSaved,
        ErrorCode::ContractNotSigned,
        ErrorCode::ContractUnconfirmed,
    ];

    /// The code's constant name in the HAR's `PaysignErrorCode` (generated from this table).
    pub fn constant_name(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "INVALID_INPUT",
            ErrorCode::Busy => "BUSY",
            ErrorCode::InvalidState => "INVALID_STATE",
            ErrorCode::InvalidTicket => "TICKET_MALFORMED",
            ErrorCode::OrderStrNotJson => "ORDER_STR_NOT_JSON",
            ErrorCode::OrderStrNotObject => "ORDER_STR_NOT_OBJECT",
            ErrorCode::OrderStrMissingField => "ORDER_STR_FIELD_MISSING",
            ErrorCode::OrderStrWrongType => "ORDER_STR_FIELD_TYPE",
            ErrorCode::OrderStrBadValue => "ORDER_STR_FIELD_VALUE",
            ErrorCode::PrepayExpired => "PREPAY_ID_EXPIRED",
            ErrorCode::TimestampInFuture => "ORDER_STR_FROM_FUTURE",
            ErrorCode::AppIdMismatch => "APP_ID_MISMATCH",
            ErrorCode::TicketUnreachable => "MERCHANT_UNREACHABLE",
            ErrorCode::TicketRefused => "MERCHANT_REFUSED",
            ErrorCode::StatusMalformed => "MERCHANT_STATUS_MALFORMED",
            ErrorCode::ConfirmTimedOut => "OUTCOME_UNCONFIRMED",
            ErrorCode::CashierCanceled => "USER_CANCELED",
            ErrorCode::CashierPayFailed => "PAYMENT_FAILED",
            ErrorCode::CashierAlreadyProcessed => "ALREADY_PROCESSED",
            ErrorCode::CashierContractFailed => "PAYMENT_KIT_CONTRACT_FAILED",
            ErrorCode::CashierRateLimited => "RATE_LIMITED",
            ErrorCode::CashierNetwork => "PAYMENT_KIT_NETWORK",
            ErrorCode::NotPaidConfirmed => "NOT_PAID_CONFIRMED",
            ErrorCode::CashierParameterError => "PAYMENT_KIT_PARAMETER",
            ErrorCode::CashierUnknownCode => "PAYMENT_KIT_UNKNOWN",
            ErrorCode::DeadlineExceeded => "TIMEOUT",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::OrderNotSaved => "ORDER_NOT_SAVED",
            ErrorCode::ContractNotSigned => "CONTRACT_NOT_SIGNED",
            ErrorCode::ContractUnconfirmed => "CONTRACT_UNCONFIRMED",
        }
    }

    /// The numeric code.
    pub fn as_u32(self) -> u32 {
        self as u32
    }

    /// The code with this number, if there is one.
    pub fn from_u32(code: u32) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_u32() == code)
    }

    /// The code a Payment Kit `requestPayment` rejection maps to; any code not in the spec maps
    /// to [`ErrorCode::CashierUnknownCode`].
    pub fn from_payment_kit(code: i64) -> ErrorCode {
        match code {
            payment_kit::PARAMETER_ERROR => ErrorCode::CashierParameterError,
            payment_kit::CANCELED => ErrorCode::CashierCanceled,
            payment_kit::PAY_FAILED => ErrorCode::CashierPayFailed,
            payment_kit::ALREADY_PROCESSED => ErrorCode::CashierAlreadyProcessed,
            payment_kit::CONTRACT_FAILED => ErrorCode::CashierContractFailed,
            payment_kit::DUPLICATE_REQUEST => ErrorCode::CashierRateLimited,
            payment_kit::NETWORK_ERROR => ErrorCode::CashierNetwork,
            _ => ErrorCode::CashierUnknownCode,
        }
    }

    /// This code's row of the table.
    pub fn info(self) -> ErrorInfo {
        use ErrorKind as K;
        #[allow(clippy::type_complexity)]
        let (kind, retryable, unknown_outcome, meaning, action, zh, en): (
            ErrorKind,
            bool,
            bool,
            &'static str,
            &'static str,
            &'static str,
            &'static str,
        ) = match self {
            ErrorCode::InvalidInput => (
                K::InvalidInput,
                false,
                false,
                "bad options, config or event from the caller",
                "fix the call; nothing was paid",
                "支付组件调用参数有误，请联系应用开发者。",
                "The payment was set up incorrectly. Please contact the app developer.",
            ),
            ErrorCode::Busy => (
                K::Busy,
                true,
                false,
                "a payAndSign is already open",
                "wait for the open payAndSign to resolve",
                "已有一笔支付正在进行，请稍候。",
                "A payment is already in progress. Please wait.",
            ),
            ErrorCode::InvalidState => (
                K::InvalidState,
                false,
                false,
                "the flow state is not one this library made",
                "a bug in the shell: start a new flow; nothing was paid by this call",
                "支付流程状态异常，请重试。",
                "The payment flow is in an unexpected state. Please try again.",
            ),
            ErrorCode::InvalidTicket => (
                K::InvalidTicket,
                true,
                false,
                "the ticket is not {orderStr, mercOrderNo, mercContractCode, serverTimeMs?}",
                "nothing was paid: offer to order again; fix the merchant server if it repeats",
                "订单信息有误，请重新下单。",
                "The order information is invalid. Please place the order again.",
            ),
            ErrorCode::OrderStrNotJson => (
                K::InvalidTicket,
                true,
                false,
                "orderStr is not JSON",
                "nothing was paid: offer to order again; fix the merchant's orderStr if it repeats",
                "订单信息有误，请重新下单。",
                "The order information is invalid. Please place the order again.",
            ),
            ErrorCode::OrderStrNotObject => (
                K::InvalidTicket,
                true,
                false,
                "orderStr is not a JSON object (or was serialized twice)",
                "nothing was paid: offer to order again; fix the merchant's orderStr if it repeats",
                "订单信息有误，请重新下单。",
                "The order information is invalid. Please place the order again.",
            ),
            ErrorCode::OrderStrMissingField => (
                K::InvalidTicket,
                true,
                false,
                "a required orderStr field is missing or empty",
                "nothing was paid: offer to order again; fix the merchant's orderStr if it repeats",
                "订单信息不完整，请重新下单。",
                "The order information is incomplete. Please place the order again.",
            ),
            ErrorCode::OrderStrWrongType => (
                K::InvalidTicket,
                true,
                false,
                "an orderStr field has the wrong type",
                "nothing was paid: offer to order again; fix the merchant's orderStr if it repeats",
                "订单信息有误，请重新下单。",
                "The order information is invalid. Please place the order again.",
            ),
            ErrorCode::OrderStrBadValue => (
                K::InvalidTicket,
                true,
                false,
                "an orderStr field has a bad value",
                "nothing was paid: offer to order again; fix the merchant's orderStr if it repeats",
                "订单信息有误，请重新下单。",
                "The order information is invalid. Please place the order again.",
            ),
            ErrorCode::PrepayExpired => (
                K::InvalidTicket,
                true,
                false,
                "the prepay_id is older than its 10-minute validity",
                "nothing was paid: offer to order again (a new ticket)",
                "订单已过期，请重新下单。",
                "The order has expired. Please place the order again.",
            ),
            ErrorCode::TimestampInFuture => (
                K::InvalidTicket,
                true,
                false,
                "the orderStr timestamp is too far in the future",
                "nothing was paid: offer to order again; have the server send serverTimeMs",
                "订单时间异常，请检查手机时间后重新下单。",
                "The order time is wrong. Check the phone's clock and place the order again.",
            ),
            ErrorCode::AppIdMismatch => (
                K::InvalidTicket,
                false,
                false,
                "orderStr app_id is not this app's",
                "nothing was paid: fix the merchant's app id configuration",
                "订单不属于本应用，请联系商家。",
                "This order does not belong to this app. Please contact the merchant.",
            ),
            ErrorCode::TicketUnreachable => (
                K::Merchant,
                true,
                false,
                "the merchant server could not be reached for the ticket",
                "nothing was paid: offer to try again",
                "无法连接商家服务器，请检查网络后重试。",
                "Could not reach the merchant. Check your network and try again.",
            ),
            ErrorCode::TicketRefused => (
                K::Merchant,
                true,
                false,
                "the merchant server refused the ticket (HTTP status)",
                "nothing was paid: offer to try again later",
                "商家暂时无法创建订单，请稍后重试。",
                "The merchant could not create the order. Please try again later.",
            ),
            ErrorCode::StatusMalformed => (
                K::Merchant,
                false,
                true,
                "the merchant status answer is malformed",
                "money may have moved: do not offer to pay again; re-confirm the order later",
                "暂时无法确认支付结果，请稍后在订单中查看。",
                "The payment result could not be confirmed yet. Check your orders later.",
            ),
            ErrorCode::ConfirmTimedOut => (
                K::UnknownOutcome,
                false,
                true,
                "the payment could not be confirmed before the deadline",
                "money may have moved: show the order as pending, do not offer to pay again; re-confirm it later",
                "暂时无法确认支付结果，请稍后在订单中查看，请勿重复支付。",
                "The payment result is not confirmed yet. Check your orders later; do not pay again.",
            ),
            ErrorCode::CashierCanceled => (
                K::Canceled,
                true,
                false,
                "Payment Kit 1001930000, user cancelled; the merchant server confirmed the order is not paid",
                "nothing was paid (confirmed): let the user order again",
                "您已取消支付，未扣款。",
                "You cancelled the payment. You were not charged.",
            ),
            ErrorCode::CashierPayFailed => (
                K::PaymentFailed,
                true,
                false,
                "Payment Kit 1001930001, pay failed (bad orderStr, key mismatch); the merchant server confirmed the order is not paid",
                "nothing was paid (confirmed): offer to try again; check the merchant's signing if it repeats",
                "支付失败，未扣款，请重试。",
                "The payment failed and you were not charged. Please try again.",
            ),
            ErrorCode::CashierAlreadyProcessed => (
                K::UnknownOutcome,
                false,
                true,
                "Payment Kit 1001930002, already processed",
                "money may have moved: do not pay again; the flow confirms with the merchant server",
                "该订单已在处理中，请稍后在订单中查看结果。",
                "This order is already being processed. Check your orders for the result.",
            ),
            ErrorCode::CashierContractFailed => (
                K::UnknownOutcome,
                false,
                true,
                "Payment Kit 1001930003, signing failed; the payment may have gone through",
                "money may have moved: do not pay again; the flow confirms with the merchant server",
                "签约未成功，支付结果确认中，请勿重复支付。",
                "Signing did not complete; the payment is being confirmed. Do not pay again.",
            ),
            ErrorCode::CashierRateLimited => (
                K::RateLimited,
                true,
                false,
                "Payment Kit 1001930010, too frequent (the cashier did not take the order)",
                "nothing was paid: wait a moment, then offer to try again",
                "操作过于频繁，请稍后再试。",
                "Too many attempts. Please try again in a moment.",
            ),
            ErrorCode::CashierNetwork => (
                K::Network,
                false,
                true,
                "Payment Kit 1001930011, network error",
                "money may have moved: do not pay again; the flow confirms with the merchant server",
                "网络连接异常，请检查网络后在订单中查看结果。",
                "Network error. Check your connection, then check your orders for the result.",
            ),
            ErrorCode::NotPaidConfirmed => (
                K::PaymentFailed,
                true,
                false,
                "the merchant server confirmed the order is not paid after a cashier answer that left it open (success, 1001930002, 1001930003, 1001930011, an unknown code)",
                "nothing was paid (confirmed): let the user order again",
                "支付未完成，未扣款，可重新下单。",
                "The payment was not completed and you were not charged. You can place the order again.",
            ),
            ErrorCode::CashierParameterError => (
                K::InvalidTicket,
                false,
                false,
                "Payment Kit 401, parameter error (the cashier did not open)",
                "nothing was paid: a bug in the app or the ticket; contact the developer",
                "支付参数有误，请联系应用开发者。",
                "The payment request was invalid. Please contact the app developer.",
            ),
            ErrorCode::CashierUnknownCode => (
                K::UnknownOutcome,
                false,
                true,
                "any other Payment Kit code",
                "money may have moved: do not pay again; the flow confirms with the merchant server",
                "支付结果未知，请稍后在订单中查看，请勿重复支付。",
                "The payment result is unknown. Check your orders later; do not pay again.",
            ),
            ErrorCode::DeadlineExceeded => (
                K::Timeout,
                true,
                false,
                "the time budget before the cashier passed (the cashier never opened)",
                "nothing was paid: offer to try again",
                "支付超时，请重试。",
                "The payment timed out. Please try again.",
            ),
            ErrorCode::Internal => (
                K::Internal,
                false,
                true,
                "a bug in paysign or the shell (a caught panic, an exception after the cashier opened)",
                "money may have moved if the cashier opened: re-confirm the named order; report the bug",
                "支付组件内部错误，请稍后在订单中查看结果。",
                "Internal error in the payment component. Check your orders for the result.",
            ),
            // The shell saves the order before the cashier so that a killed app can find it
            // again; when the phone cannot, the cashier stays closed (DESIGN.md "Money safety").
            ErrorCode::OrderNotSaved => (
                K::Internal,
                true,
                false,
                "the phone could not save the order before the cashier, so the cashier never opened",
                "nothing was paid: offer to try again; if it keeps failing, the phone's storage is full or broken",
                "无法在手机上保存订单，未扣款。请检查存储空间后重试。",
                "The order could not be saved on this phone, so nothing was paid. Free some storage and try again.",
            ),
            ErrorCode::ContractNotSigned => (
                K::ContractNotSigned,
                false,
                false,
                "paid (final); the withholding contract was not signed (declined, cancelled or failed)",
                "the payment is done: deliver; offer to sign later, or go on without withholding",
                "支付成功。免密支付未开通，可稍后再开通。",
                "Payment successful. Automatic payments were not set up; you can set them up later.",
            ),
            ErrorCode::ContractUnconfirmed => (
                K::ContractUnconfirmed,
                false,
                false,
                "paid (final); the contract's result was not confirmed before the deadline",
                "the payment is done: deliver; re-confirm the contract later",
                "支付成功。免密支付开通结果确认中，请稍后查看。",
                "Payment successful. Automatic payment setup is still being confirmed; check again later.",
            ),
        };
        ErrorInfo {
            code: self,
            kind,
            retryable,
            unknown_outcome,
            meaning,
            action,
            user_message_zh: zh,
            user_message_en: en,
        }
    }
}

/// The documented error table, one row per code, ascending.
pub fn error_table() -> Vec<ErrorInfo> {
    ErrorCode::ALL.into_iter().map(ErrorCode::info).collect()
}

/// Every failure paysign reports. The variant decides the code; the fields carry what a developer
/// needs to find the cause. No variant carries a secret (sign, keys, prepay_id, the full orderStr).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum PaysignError {
    #[error("invalid input: {reason}")]
    InvalidInput { reason: String },
    #[error("a payAndSign is already open")]
    Busy,
    #[error("invalid flow state: {reason}")]
    InvalidState { reason: String },
    #[error("invalid ticket field `{field}`: {reason}")]
    InvalidTicket { field: String, reason: String },
    #[error("orderStr is not JSON: {reason}")]
    OrderStrNotJson { reason: String },
    #[error("orderStr is not a JSON object: {found}")]
    OrderStrNotObject { found: String },
    #[error("orderStr field `{field}` is missing or empty")]
    MissingField { field: String },
    #[error("orderStr field `{field}` must be a {expected}, found {found}")]
    WrongType {
        field: String,
        expected: String,
        found: String,
    },
    #[error("orderStr field `{field}` has a bad value: {reason}")]
    BadValue { field: String, reason: String },
    #[error(
        "the prepay_id expired: the orderStr timestamp is {age_ms} ms old (limit {limit_ms} ms)"
    )]
    PrepayExpired { age_ms: u64, limit_ms: u64 },
    #[error("the orderStr timestamp is {ahead_ms} ms in the future (limit {limit_ms} ms)")]
    TimestampInFuture { ahead_ms: u64, limit_ms: u64 },
    #[error("orderStr app_id `{actual}` is not this app's (`{expected}`)")]
    AppIdMismatch { expected: String, actual: String },
    #[error("the merchant server could not be reached for the ticket: {reason}")]
    TicketUnreachable { reason: String },
    #[error("the merchant server refused the ticket with HTTP {http_status}: {reason}")]
    TicketRefused { http_status: u16, reason: String },
    #[error("the merchant status answer is malformed: field `{field}`: {reason}")]
    StatusMalformed { field: String, reason: String },
    #[error("the outcome could not be confirmed before the deadline: {reason}")]
    ConfirmTimedOut {
        reason: String,
        payment_kit_code: Option<i64>,
    },
    #[error("Payment Kit requestPayment failed with {code}: {message}")]
    PaymentKit { code: i64, message: String },
    #[error("the merchant server confirmed the order is not paid")]
    NotPaidConfirmed { payment_kit_code: Option<i64> },
    #[error("paid; the withholding contract was not signed")]
    ContractNotSigned { payment_kit_code: Option<i64> },
    #[error("paid; the contract's result was not confirmed before the deadline: {reason}")]
    ContractUnconfirmed {
        reason: String,
        payment_kit_code: Option<i64>,
    },
    #[error("the overall deadline of {deadline_ms} ms passed")]
    DeadlineExceeded { deadline_ms: u64 },
    #[error("internal error: {reason}")]
    Internal { reason: String },
}

impl PaysignError {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            PaysignError::InvalidInput { .. } => ErrorCode::InvalidInput,
            PaysignError::Busy => ErrorCode::Busy,
            PaysignError::InvalidState { .. } => ErrorCode::InvalidState,
            PaysignError::InvalidTicket { .. } => ErrorCode::InvalidTicket,
            PaysignError::OrderStrNotJson { .. } => ErrorCode::OrderStrNotJson,
            PaysignError::OrderStrNotObject { .. } => ErrorCode::OrderStrNotObject,
            PaysignError::MissingField { .. } => ErrorCode::OrderStrMissingField,
            PaysignError::WrongType { .. } => ErrorCode::OrderStrWrongType,
            PaysignError::BadValue { .. } => ErrorCode::OrderStrBadValue,
            PaysignError::PrepayExpired { .. } => ErrorCode::PrepayExpired,
            PaysignError::TimestampInFuture { .. } => ErrorCode::TimestampInFuture,
            PaysignError::AppIdMismatch { .. } => ErrorCode::AppIdMismatch,
            PaysignError::TicketUnreachable { .. } => ErrorCode::TicketUnreachable,
            PaysignError::TicketRefused { .. } => ErrorCode::TicketRefused,
            PaysignError::StatusMalformed { .. } => ErrorCode::StatusMalformed,
            PaysignError::ConfirmTimedOut { .. } => ErrorCode::ConfirmTimedOut,
            PaysignError::PaymentKit { code, .. } => ErrorCode::from_payment_kit(*code),
            PaysignError::NotPaidConfirmed { .. } => ErrorCode::NotPaidConfirmed,
            PaysignError::ContractNotSigned { .. } => ErrorCode::ContractNotSigned,
            PaysignError::ContractUnconfirmed { .. } => ErrorCode::ContractUnconfirmed,
            PaysignError::DeadlineExceeded { .. } => ErrorCode::DeadlineExceeded,
            PaysignError::Internal { .. } => ErrorCode::Internal,
        }
    }

    /// This error's row of the table.
    pub fn info(&self) -> ErrorInfo {
        self.code().info()
    }

    /// The raw Payment Kit code, when the error came from the cashier.
    pub fn payment_kit_code(&self) -> Option<i64> {
        match self {
            PaysignError::PaymentKit { code, .. } => Some(*code),
            PaysignError::ConfirmTimedOut {
                payment_kit_code, ..
            }
            | PaysignError::NotPaidConfirmed { payment_kit_code }
            | PaysignError::ContractNotSigned { payment_kit_code }
            | PaysignError::ContractUnconfirmed {
                payment_kit_code, ..
            } => *payment_kit_code,
            _ => None,
        }
    }

    /// The input field the error is about, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            PaysignError::InvalidTicket { field, .. }
            | PaysignError::MissingField { field }
            | PaysignError::WrongType { field, .. }
            | PaysignError::BadValue { field, .. }
            | PaysignError::StatusMalformed { field, .. } => Some(field),
            PaysignError::PrepayExpired { .. } | PaysignError::TimestampInFuture { .. } => {
                Some("timestamp")
            }
            PaysignError::AppIdMismatch { .. } => Some("app_id"),
            _ => None,
        }
    }

    /// The flat, public form of this error (what JS and logs see).
    pub fn view(&self) -> ErrorView {
        let info = self.info();
        ErrorView {
            code: info.code.as_u32(),
            kind: info.kind,
            retryable: info.retryable,
            unknown_outcome: info.unknown_outcome,
            message: self.to_string(),
            action: info.action.to_string(),
            user_message_zh: info.user_message_zh.to_string(),
            user_message_en: info.user_message_en.to_string(),
            payment_kit_code: self.payment_kit_code(),
            field: self.field().map(str::to_string),
        }
    }
}

/// The flat form of an error as the docs describe `PaysignError`: every table column plus the
/// developer message, the raw Payment Kit code and the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorView {
    pub code: u32,
    pub kind: ErrorKind,
    pub retryable: bool,
    pub unknown_outcome: bool,
    pub message: String,
    /// What the app should do (the table's action column).
    pub action: String,
    pub user_message_zh: String,
    pub user_message_en: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_kit_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ErrorView {
    /// The view of a table row itself, with the row's meaning as the message (`errorInfo`).
    pub fn of_code(code: ErrorCode) -> ErrorView {
        let info = code.info();
        ErrorView {
            code: code.as_u32(),
            kind: info.kind,
            retryable: info.retryable,
            unknown_outcome: info.unknown_outcome,
            message: info.meaning.to_string(),
            action: info.action.to_string(),
            user_message_zh: info.user_message_zh.to_string(),
            user_message_en: info.user_message_en.to_string(),
            payment_kit_code: None,
            field: None,
        }
    }
}

/// Turns a Payment Kit `requestPayment` rejection into its paysign error.
pub fn classify_cashier_error(code: i64, message: &str) -> PaysignError {
    PaysignError::PaymentKit {
        code,
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_ascending_and_round_trip() {
        let numbers: Vec<u32> = ErrorCode::ALL.iter().map(|c| c.as_u32()).collect();
        let mut sorted = numbers.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(numbers, sorted, "ALL must be ascending without duplicates");
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_u32(code.as_u32()), Some(code));
            assert_eq!(code.info().code, code);
        }
        assert_eq!(ErrorCode::from_u32(0), None);
        assert_eq!(ErrorCode::from_u32(4998), None);
    }

    #[test]
    fn nothing_is_retryable_while_money_may_have_moved() {
        for info in error_table() {
            assert!(!(info.retryable && info.unknown_outcome), "{:?}", info.code);
        }
    }

    #[test]
    fn every_row_has_both_user_messages_a_meaning_and_an_action() {
        for info in error_table() {
            assert!(!info.meaning.is_empty());
            assert!(!info.action.is_empty());
            assert!(!info.user_message_zh.is_empty());
            assert!(info.user_message_en.is_ascii(), "{:?}", info.code);
            assert!(!info.user_message_zh.is_ascii(), "{:?}", info.code);
        }
    }

    #[test]
    fn every_request_payment_code_is_mapped() {
        let cases = [
            (401, 4401, ErrorKind::InvalidTicket, false),
            (1_001_930_000, 4000, ErrorKind::Canceled, false),
            (1_001_930_001, 4001, ErrorKind::PaymentFailed, false),
            (1_001_930_002, 4002, ErrorKind::UnknownOutcome, true),
            (1_001_930_010, 4010, ErrorKind::RateLimited, false),
            (1_001_930_011, 4011, ErrorKind::Network, true),
            (1_001_930_003, 4003, ErrorKind::UnknownOutcome, true),
            (1_001_930_004, 4999, ErrorKind::UnknownOutcome, true),
            (-1, 4999, ErrorKind::UnknownOutcome, true),
        ];
        for (raw, code, kind, unknown) in cases {
            let err = classify_cashier_error(raw, "msg");
            assert_eq!(err.code().as_u32(), code, "{raw}");
            assert_eq!(err.info().kind, kind, "{raw}");
            assert_eq!(err.info().unknown_outcome, unknown, "{raw}");
            assert_eq!(err.payment_kit_code(), Some(raw));
        }
    }

    #[test]
    fn view_names_the_field_and_keeps_the_code() {
        let err = PaysignError::MissingField {
            field: "auth_id".into(),
        };
        let view = err.view();
        assert_eq!(view.code, 2004);
        assert_eq!(view.kind, ErrorKind::InvalidTicket);
        assert_eq!(view.field.as_deref(), Some("auth_id"));
        assert!(view.message.contains("auth_id"));
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["kind"], "INVALID_TICKET");
        assert_eq!(json["unknownOutcome"], false);
        assert!(json.get("paymentKitCode").is_none());
    }

    #[test]
    fn kinds_serialize_as_their_names() {
        let kinds: HashSet<&str> = error_table().iter().map(|i| i.kind.as_str()).collect();
        for info in error_table() {
            let json = serde_json::to_value(info.kind).unwrap();
            assert_eq!(json, info.kind.as_str());
        }
        assert_eq!(kinds.len(), 14);
    }

    /// The table in docs/native-api.md is the published contract: it must match this one.
    #[test]
    fn docs_table_matches() {
        let doc = include_str!("../../../docs/native-api.md");
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let rows: Vec<Vec<String>> = doc
            .lines()
            .filter_map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                cells.get(1)?.parse::<u32>().ok()?;
                Some(
                    cells
                        .iter()
                        .skip(1)
                        .take(5)
                        .map(|c| c.to_string())
                        .collect(),
                )
            })
            .collect();
        let table: Vec<Vec<String>> = error_table()
            .iter()
            .map(|i| {
                vec![
                    i.code.as_u32().to_string(),
                    i.kind.as_str().to_string(),
                    yes_no(i.retryable).to_string(),
                    yes_no(i.unknown_outcome).to_string(),
                    i.action.to_string(),
                ]
            })
            .collect();
        assert_eq!(rows, table);
    }
}
