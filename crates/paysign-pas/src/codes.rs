//! Payment Kit's result codes and sub codes (spec §4.10): every documented code, which resultCode
//! it travels with, whether retrying the same call later can succeed, and what the merchant does.

use crate::strenum::string_enum;

string_enum! {
    /// The envelope's `resultCode`.
    pub enum ResultCode {
        /// `000000`: the call succeeded (for queries: the query did, not necessarily the order).
        Success = "000000",
        /// `100000` 权限不足.
        InsufficientPermission = "100000",
        /// `200000` 缺少必选参数 (a PayMercAuth field is missing).
        MissingParameter = "200000",
        /// `200001` 非法的参数.
        InvalidParameter = "200001",
        /// `200002` 签名错误.
        SignatureError = "200002",
        /// `300000` 调用频率受限.
        FrequencyLimited = "300000",
        /// `400000` business error; the `subCode` says which.
        BusinessError = "400000",
        /// `500000` 服务不可用.
        ServiceUnavailable = "500000",
    }
}

string_enum! {
    /// The envelope's `subCode`: every code listed in spec §4.10 (public and per-API).
    pub enum SubCode {
        InsufficientPermission = "INSUFFICIENT_PERMISSION",
        MissingAuthHeader = "MISSING_AUTH_HEADER",
        MissingTracerId = "MISSING_TRACER_ID",
        MissingHeaderSign = "MISSING_HEADER_SIGN",
        MissingCallerId = "MISSING_CALLER_ID",
        MissingBodySign = "MISSING_BODY_SIGN",
        MissingAuthId = "MISSING_AUTH_ID",
        MissingTime = "MISSING_TIME",
        MissAccessToken = "MISS_ACCESS_TOKEN",
        MissPetalPaySignKeyId = "MISS_PETAL_PAY_SIGN_KEY_ID",
        MissPetalPayEncKeyId = "MISS_PETAL_PAY_ENC_KEY_ID",
        MissDeveloperSignKeyId = "MISS_DEVELOPER_SIGN_KEY_ID",
        InvalidAuthHeader = "INVALID_AUTH_HEADER",
        InvalidTracerId = "INVALID_TRACER_ID",
        InvalidAuthId = "INVALID_AUTH_ID",
        InvalidTime = "INVALID_TIME",
        InvalidSessionKey = "INVALID_SESSION_KEY",
        InvalidPubKey = "INVALID_PUB_KEY",
        InvalidDuplicateRequest = "INVALID_DUPLICATE_REQUEST",
        InvalidParameter = "INVALID_PARAMETER",
        InvalidCallerId = "INVALID_CALLER_ID",
        InvalidPayDevAuth = "INVALID_PAY_DEV_AUTH",
        UnsupportedPetalPayEncKeyId = "UNSUPPORTED_PETAL_PAY_ENC_KEY_ID",
        UnsupportedPetalPaySignKeyId = "UNSUPPORTED_PETAL_PAY_SIGN_KEY_ID",
        UnsupportedDeveloperSignKeyId = "UNSUPPORTED_DEVELOPER_SIGN_KEY_ID",
        InvalidSignature = "INVALID_SIGNATURE",
        CallFrequencyLimited = "CALL_FREQUENCY_LIMITED",
        /// Spelled so by Payment Kit (most APIs).
        UnknowError = "UNKNOW_ERROR",
        /// Spelled so by the bill APIs.
        UnknownError = "UNKNOWN_ERROR",
        InvalidArguments = "INVALID_ARGUMENTS",
        PayOrderNotExist = "PAY_ORDER_NOT_EXIST",
        MercOrderNotExist = "MERC_ORDER_NOT_EXIST",
        InvalidMercNo = "INVALID_MERCNO",
        /// Spelled so by the withholding API.
        InvalidMercNoWithhold = "INVALID_MERC_NO",
        MercNotSupportAllocation = "MERC_NOT_SUPPORT_ALLOCATION",
        RejectedByRiskControl = "REJECTED_BY_RISK_CONTROL",
        NoMatchMatchingProduct = "NO_MATCH_MATCHING_PRODUCT",
        CheckOrderStatus = "CHECK_ORDER_STATUS",
        BankCardNotSupport = "BANK_CARD_NOT_SUPPORT",
        CheckAccountStatus = "CHECK_ACCOUNT_STATUS",
        CheckMercStatus = "CHECK_MERC_STATUS",
        MercNotSupportRefund = "MERC_NOT_SUPPORT_REFUND",
        CheckAmountInvalid = "CHECK_AMOUNT_INVALID",
        CheckAccountBalance = "CHECK_ACCOUNT_BALANCE",
        RetryTooMany = "RETRY_TOO_MANY",
        NotSettlementDate = "NOT_SETTLEMENT_DATE",
        InvalidAppId = "INVALID_APPID",
        BillSwitchNotTurnOn = "BILL_SWITCH_NOT_TURN_ON",
        InvalidSubMercNo = "INVALID_SUB_MERCNO",
        OrderConcurrentError = "ORDER_CONCURRENT_ERROR",
        NotSupportedOperation = "NOT_SUPPORTED_OPERATION",
        RestrictedUserAccount = "RESTRICTED_USER_ACCOUNT",
        RestrictedUserTransaction = "RESTRICTED_USER_TRANSACTION",
        RestrictedMerchantTransaction = "RESTRICTED_MERCHANT_TRANSACTION",
        CheckContractStatus = "CHECK_CONTRACT_STATUS",
        NotInValidityPeriod = "NOT_IN_VALIDITY_PERIOD",
        PaymentAccountNotEnable = "PAYMENT_ACCOUNT_NOT_ENABLE",
        CustNotExist = "CUST_NOT_EXIST",
        OperationNotAuthorized = "OPERATION_NOT_AUTHORIZED",
        RestrictedTransaction = "RESTRICTED_TRANSACTION",
        WithholdOverTimes = "WITHHOLD_OVER_TIMES",
        InvalidPaymentType = "INVALID_PAYMENT_TYPE",
        CheckTransactionOrderStatus = "CHECK_TRANSACTION_ORDER_STATUS",
        NeedChangeOrder = "NEED_CHANGE_ORDER",
        OrderNotSupport = "ORDER_NOT_SUPPORT",
    }
}

/// Whether a later identical call can succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Do not retry: the request or the merchant's setup must change first.
    No,
    /// Retry after a short backoff (this client does it itself for frequency limits).
    Soon,
    /// Retry, but only after the wait the action names (minutes to hours).
    Later,
}

impl SubCode {
    /// The `resultCode` this sub code is documented under.
    pub fn result_code(&self) -> ResultCode {
        use SubCode::*;
        match self {
            InsufficientPermission => ResultCode::InsufficientPermission,
            MissingAuthHeader
            | MissingTracerId
            | MissingHeaderSign
            | MissingCallerId
            | MissingBodySign
            | MissingAuthId
            | MissingTime
            | MissAccessToken
            | MissPetalPaySignKeyId
            | MissPetalPayEncKeyId
            | MissDeveloperSignKeyId => ResultCode::MissingParameter,
            InvalidAuthHeader
            | InvalidTracerId
            | InvalidAuthId
            | InvalidTime
            | InvalidSessionKey
            | InvalidPubKey
            | InvalidDuplicateRequest
            | InvalidParameter
            | InvalidCallerId
            | InvalidPayDevAuth
            | UnsupportedPetalPayEncKeyId
            | UnsupportedPetalPaySignKeyId
            | UnsupportedDeveloperSignKeyId => ResultCode::InvalidParameter,
            InvalidSignature => ResultCode::SignatureError,
            CallFrequencyLimited => ResultCode::FrequencyLimited,
            _ => ResultCode::BusinessError,
        }
    }

    /// Whether retrying the same call later can succeed.
    pub fn retry(&self) -> Retry {
        use SubCode::*;
        match self {
            CallFrequencyLimited | UnknowError | UnknownError => Retry::Soon,
            OrderConcurrentError | WithholdOverTimes | NotSettlementDate => Retry::Later,
            _ => Retry::No,
        }
    }

    /// The documented wait before the same call can succeed: 4 hours after
    /// `WITHHOLD_OVER_TIMES` (spec §4.10, §4.13), one minute after `ORDER_CONCURRENT_ERROR`
    /// (refunds of one order at least a minute apart, §4.4). `None` when no wait is documented.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            SubCode::WithholdOverTimes => Some(std::time::Duration::from_secs(4 * 3600)),
            SubCode::OrderConcurrentError => Some(std::time::Duration::from_secs(60)),
            _ => None,
        }
    }

    /// True for answers that can mean "this request, or one with the same order number, was
    /// already processed". Seen on a write's retry, they make its outcome unknown.
    pub fn is_duplicate(&self) -> bool {
        use SubCode::*;
        matches!(
            self,
            CheckOrderStatus
                | CheckTransactionOrderStatus
                | OrderConcurrentError
                | InvalidDuplicateRequest
        )
    }

    /// What the merchant should do, in one sentence.
    pub fn action(&self) -> &'static str {
        use SubCode::*;
        match self {
            InsufficientPermission => "Enable the product or API for this merchant on the Huawei Pay merchant platform.",
            MissingAuthHeader | MissingTracerId | MissingHeaderSign | MissingCallerId
            | MissingBodySign | MissingAuthId | MissingTime => {
                "The PayMercAuth header is incomplete: a client bug; fix the request signing."
            }
            MissAccessToken | MissPetalPaySignKeyId | MissPetalPayEncKeyId
            | MissDeveloperSignKeyId => "A key or token the API requires was not sent; check the merchant configuration.",
            InvalidAuthHeader => "PayMercAuth is not valid JSON or has wrong types: fix the request signing.",
            InvalidTracerId => "traceId must be 1 to 32 characters and unique per request.",
            InvalidAuthId => "authId is not a certificate of this merchant: check the certificate ID configured.",
            InvalidTime => "PayMercAuth.time is outside the accepted window: fix the server clock (NTP).",
            InvalidSessionKey => "The SM4 session key could not be decrypted: check Huawei's encryption public key.",
            InvalidPubKey | UnsupportedPetalPayEncKeyId | UnsupportedPetalPaySignKeyId
            | UnsupportedDeveloperSignKeyId => "A key is unknown or unsupported: check the certificates on the merchant platform.",
            InvalidDuplicateRequest => "The traceId was reused: send a fresh traceId (this client never reuses one; report a bug).",
            InvalidParameter | InvalidArguments => "A request field is missing, too long or malformed: check the request against the API page.",
            InvalidCallerId => "callerId is not the merchant number that owns authId: check the configured merchant number.",
            InvalidPayDevAuth => "The merchant is not authorised for this API: check the product enablement.",
            InvalidSignature => "The signature did not verify: the private key does not match the uploaded certificate (or the key type is wrong).",
            CallFrequencyLimited => "Too many calls: back off and retry with a fresh traceId.",
            UnknowError | UnknownError => "Payment Kit is temporarily unavailable: retry later; for writes, query first.",
            PayOrderNotExist | MercOrderNotExist => "No such order: check the order number (and the merchant model used to create it).",
            InvalidMercNo | InvalidMercNoWithhold => "The merchant number is wrong or not bound to this app: check mercNo / spMercNo / subMercNo.",
            RejectedByRiskControl => "Rejected by risk control: do not retry this order; tell the user to use another way.",
            NoMatchMatchingProduct => "The product (pay-and-sign) is not enabled for this merchant: apply for it on the merchant platform.",
            CheckOrderStatus => "The order is in a state that forbids this (often a re-submitted mercOrderNo): query the order.",
            BankCardNotSupport => "The bank card is not supported: the user must choose another card.",
            CheckAccountStatus | CheckMercStatus => "The account or merchant is not in a usable state: contact Huawei Pay support.",
            MercNotSupportRefund => "Refunds are not enabled for this merchant: enable them on the merchant platform.",
            CheckAmountInvalid => "The amount is invalid (e.g. refund above the paid amount): fix the amount.",
            CheckAccountBalance => "The merchant balance is too low to refund: top up, then retry with the same mercRefundOrderNo.",
            RetryTooMany => "Too many attempts for this refund: retry with a NEW mercRefundOrderNo.",
            NotSettlementDate => "No settlement on that date: ask for another billDate.",
            InvalidAppId => "appId is not bound to this merchant: check the AppID binding.",
            BillSwitchNotTurnOn => "Turn on the bill download switch on the merchant platform (function settings).",
            InvalidSubMercNo => "subMercNo is not a sub-merchant of this service provider: check the sub-merchant number.",
            OrderConcurrentError => "Another refund of this order is in progress: wait at least one minute, then retry.",
            MercNotSupportAllocation => "Delayed allocation is not enabled for this merchant: send NO_ALLOCATION.",
            NotSupportedOperation | OrderNotSupport | InvalidPaymentType => "The operation is not supported for this order or merchant.",
            RestrictedUserAccount | RestrictedUserTransaction => "The user's account is restricted: the user must contact Huawei Pay.",
            RestrictedMerchantTransaction | RestrictedTransaction => "The merchant's transactions are restricted: contact Huawei Pay support.",
            CheckContractStatus => "The contract code is invalid or the contract is not in a state that allows this: query the contract.",
            NotInValidityPeriod => "The order is outside its validity period (e.g. too old to refund).",
            PaymentAccountNotEnable => "The payment account is not enabled: contact Huawei Pay support.",
            CustNotExist => "No such contract or customer: check contractId / mercContractCode.",
            OperationNotAuthorized => "The service provider lacks the sub-merchant's authorisation for this API (e.g. API refund).",
            WithholdOverTimes => "Withholding attempted too often: retry after 4 hours.",
            CheckTransactionOrderStatus | NeedChangeOrder => "The original order cannot be used: create a new order.",
            Other(_) => "An undocumented code: read subDesc, and query the order before acting.",
        }
    }
}

impl ResultCode {
    /// What a resultCode without a (known) subCode means for the caller.
    pub fn retry(&self) -> Retry {
        match self {
            ResultCode::FrequencyLimited | ResultCode::ServiceUnavailable => Retry::Soon,
            _ => Retry::No,
        }
    }
}
