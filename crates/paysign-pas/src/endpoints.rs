//! Every Payment Kit path, for both merchant models, in one place.
//!
//! Paths marked `[INFER]` are not in the documentation we could read (spec §4, §9); each has one
//! note here so it is easy to change when the real page is found. Route templates (`*_ROUTE`) use
//! `{name}` for path parameters, the syntax axum 0.8 routes use, so the sandbox can mount them as is.

use crate::error::FieldError;

/// Production host (spec §4).
pub const PRODUCTION_BASE_URL: &str = "https://petalpay-developer.cloud.huawei.com.cn";
/// Huawei's sandbox host (spec §7); pay-and-sign support there is not documented.
pub const HUAWEI_SANDBOX_BASE_URL: &str = "https://petalpay-developer-sandbox.cloud.huawei.com.cn";

/// Which merchant model a call is made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MerchantModel {
    /// 直连商户: the merchant calls for itself (`callerId` = mercNo).
    Direct,
    /// 服务商: a service provider calls for a sub-merchant (`callerId` = spMercNo).
    ServiceProvider,
}

impl MerchantModel {
    pub const ALL: [MerchantModel; 2] = [MerchantModel::Direct, MerchantModel::ServiceProvider];
}

/// Where the cashier is opened from: an app, or an atomic service (元服务).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrepayChannel {
    App,
    AtomicService,
}

// --- Direct merchant -------------------------------------------------------------------------

pub const DIRECT_PREPAY_APP: &str = "/api/v1/aggr/pay-and-sign/preorder/create/app";
pub const DIRECT_PREPAY_ATOMIC: &str = "/api/v1/aggr/pay-and-sign/preorder/create/fa";
pub const DIRECT_QUERY_ORDER_PREFIX: &str = "/api/v2/aggr/transactions/merc-orders/";
pub const DIRECT_QUERY_ORDER_ROUTE: &str = "/api/v2/aggr/transactions/merc-orders/{mercOrderNo}";
pub const DIRECT_REFUND: &str = "/api/v1/aggr/transactions/refunds";
pub const DIRECT_QUERY_REFUND_PREFIX: &str = "/api/v1/aggr/transactions/refunds/merc-orders/";
pub const DIRECT_QUERY_REFUND_ROUTE: &str =
    "/api/v1/aggr/transactions/refunds/merc-orders/{mercRefundOrderNo}";
pub const DIRECT_QUERY_CONTRACT_PREFIX: &str = "/api/v2/contract/sign/merc-contracts/";
pub const DIRECT_QUERY_CONTRACT_ROUTE: &str =
    "/api/v2/contract/sign/merc-contracts/{mercContractCode}";
pub const DIRECT_UNSIGN: &str = "/api/v2/contract/unsign";
/// Withholding debit (免密代扣, spec §4.13).
pub const DIRECT_WITHHOLD: &str = "/api/v1/aggr/transactions/withhold";
pub const DIRECT_TRADE_BILL: &str = "/api/v1/bill/trade-bill/downloadInfo";
pub const DIRECT_SETTLE_BILL: &str = "/api/v1/bill/settle-bill/downloadInfo";

// --- Service provider ------------------------------------------------------------------------

pub const SP_PREPAY_APP: &str = "/api/v1/partner/aggr/pay-and-sign/preorder/create/app";
pub const SP_PREPAY_ATOMIC: &str = "/api/v1/partner/aggr/pay-and-sign/preorder/create/fa";
/// Seen on the SP query-order page (basic-pay and pay-and-sign share it).
pub const SP_QUERY_ORDER_PREFIX: &str = "/api/v2/partner/aggr/transactions/merc-orders/";
pub const SP_QUERY_ORDER_ROUTE: &str =
    "/api/v2/partner/aggr/transactions/merc-orders/{mercOrderNo}";
pub const SP_REFUND: &str = "/api/v1/partner/aggr/transactions/refunds";
/// `[INFER]` only the by-sysRefundOrderNo SP path was read
/// (`/api/v1/partner/aggr/transactions/refunds/orders/{sysRefundOrderNo}`); the by-merchant-number
/// path is assumed to mirror the direct one under `/partner`.
pub const SP_QUERY_REFUND_PREFIX: &str = "/api/v1/partner/aggr/transactions/refunds/merc-orders/";
pub const SP_QUERY_REFUND_ROUTE: &str =
    "/api/v1/partner/aggr/transactions/refunds/merc-orders/{mercRefundOrderNo}";
pub const SP_QUERY_CONTRACT_PREFIX: &str = "/api/v1/partner/contract/sign/merc-contracts/";
pub const SP_QUERY_CONTRACT_ROUTE: &str =
    "/api/v1/partner/contract/sign/merc-contracts/{mercContractCode}";
pub const SP_UNSIGN: &str = "/api/v1/partner/contract/unsign";
/// Withholding debit (免密代扣, spec §4.13).
pub const SP_WITHHOLD: &str = "/api/v1/partner/aggr/transactions/withhold";
/// Seen on the SP trade-bill page; takes `billDate` and an optional `subMercNo`.
pub const SP_TRADE_BILL: &str = "/api/v1/partner/bill/trade-bill/downloadInfo";
/// `[INFER]` the SP settle-bill page was not read; assumed to mirror the SP trade bill.
pub const SP_SETTLE_BILL: &str = "/api/v1/partner/bill/settle-bill/downloadInfo";

/// The pre-order path.
pub fn prepay(model: MerchantModel, channel: PrepayChannel) -> &'static str {
    match (model, channel) {
        (MerchantModel::Direct, PrepayChannel::App) => DIRECT_PREPAY_APP,
        (MerchantModel::Direct, PrepayChannel::AtomicService) => DIRECT_PREPAY_ATOMIC,
        (MerchantModel::ServiceProvider, PrepayChannel::App) => SP_PREPAY_APP,
        (MerchantModel::ServiceProvider, PrepayChannel::AtomicService) => SP_PREPAY_ATOMIC,
    }
}

/// The refund path.
pub fn refund(model: MerchantModel) -> &'static str {
    match model {
        MerchantModel::Direct => DIRECT_REFUND,
        MerchantModel::ServiceProvider => SP_REFUND,
    }
}

/// The unsign path.
pub fn unsign(model: MerchantModel) -> &'static str {
    match model {
        MerchantModel::Direct => DIRECT_UNSIGN,
        MerchantModel::ServiceProvider => SP_UNSIGN,
    }
}

/// The withholding debit path.
pub fn withhold(model: MerchantModel) -> &'static str {
    match model {
        MerchantModel::Direct => DIRECT_WITHHOLD,
        MerchantModel::ServiceProvider => SP_WITHHOLD,
    }
}

/// `GET` path of query order (pay-and-sign payments and withholding debits alike), with the order number checked (see [`path_segment`]).
pub fn query_order(model: MerchantModel, merc_order_no: &str) -> Result<String, FieldError> {
    let prefix = match model {
        MerchantModel::Direct => DIRECT_QUERY_ORDER_PREFIX,
        MerchantModel::ServiceProvider => SP_QUERY_ORDER_PREFIX,
    };
    Ok(format!(
        "{prefix}{}",
        path_segment("mercOrderNo", merc_order_no, crate::limits::MERC_ORDER_NO)?
    ))
}

/// `GET` path of query refund by mercRefundOrderNo.
pub fn query_refund(
    model: MerchantModel,
    merc_refund_order_no: &str,
) -> Result<String, FieldError> {
    let prefix = match model {
        MerchantModel::Direct => DIRECT_QUERY_REFUND_PREFIX,
        MerchantModel::ServiceProvider => SP_QUERY_REFUND_PREFIX,
    };
    Ok(format!(
        "{prefix}{}",
        path_segment(
            "mercRefundOrderNo",
            merc_refund_order_no,
            crate::limits::MERC_REFUND_ORDER_NO
        )?
    ))
}

/// `GET` path of query contract by mercContractCode.
pub fn query_contract(
    model: MerchantModel,
    merc_contract_code: &str,
) -> Result<String, FieldError> {
    let prefix = match model {
        MerchantModel::Direct => DIRECT_QUERY_CONTRACT_PREFIX,
        MerchantModel::ServiceProvider => SP_QUERY_CONTRACT_PREFIX,
    };
    Ok(format!(
        "{prefix}{}",
        path_segment(
            "mercContractCode",
            merc_contract_code,
            crate::limits::MERC_CONTRACT_CODE
        )?
    ))
}

/// Which bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BillKind {
    /// 对账单: every transaction of the day.
    Trade,
    /// 结算账单: what was settled to the merchant's account.
    Settle,
}

/// `GET` path plus query of a bill's download info. `sub_merc_no` narrows an SP bill to one
/// sub-merchant (ignored for direct merchants, whose API has no such parameter).
pub fn bill(
    model: MerchantModel,
    kind: BillKind,
    bill_date: &str,
    sub_merc_no: Option<&str>,
) -> Result<String, FieldError> {
    let base = match (model, kind) {
        (MerchantModel::Direct, BillKind::Trade) => DIRECT_TRADE_BILL,
        (MerchantModel::Direct, BillKind::Settle) => DIRECT_SETTLE_BILL,
        (MerchantModel::ServiceProvider, BillKind::Trade) => SP_TRADE_BILL,
        (MerchantModel::ServiceProvider, BillKind::Settle) => SP_SETTLE_BILL,
    };
    if bill_date.len() != 8 || !bill_date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new("billDate", "must be yyyyMMdd"));
    }
    let mut out = format!("{base}?billDate={bill_date}");
    if let (MerchantModel::ServiceProvider, Some(sub)) = (model, sub_merc_no) {
        out.push_str("&subMercNo=");
        out.push_str(path_segment("subMercNo", sub, crate::limits::MERC_NO)?);
    }
    Ok(out)
}

/// Checks a value placed in a path or query: 1..=max characters of `A-Z a-z 0-9 - _ . ~` only.
///
/// Why not percent-encode: GET requests are signed over the path exactly as sent (spec §3.2), and
/// the spec asks merchants to avoid special characters; refusing them keeps the signed string and
/// the server's view identical.
pub fn path_segment<'a>(
    field: &'static str,
    value: &'a str,
    max: usize,
) -> Result<&'a str, FieldError> {
    if value.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("longer than {max} characters"),
        ));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
    {
        return Err(FieldError::new(
            field,
            "only letters, digits and - _ . ~ may appear in a URL path",
        ));
    }
    Ok(value)
}
