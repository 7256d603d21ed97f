//! Bills generated from the sandbox's own orders and refunds: a zip holding one CSV in Huawei's
//! trade-bill column layout (spec §4.8), amounts in yuan with two decimals, and the one-time,
//! header-checked download link the downloadInfo answer points at (standing in for OBS).

use std::io::Write;

use chrono::NaiveDate;
use rusqlite::Connection;

use crate::clock;
use crate::merchants::{Merchant, MerchantModel};
use crate::store::{self, OrderStatus, RefundStatus, StoreError};

/// The trade-bill columns, in Huawei's order (spec §4.8).
pub const COLUMNS: [&str; 24] = [
    "商户名称",
    "商户号",
    "交易创建时间",
    "交易完成时间",
    "系统交易订单号",
    "商户订单号",
    "交易状态",
    "交易类型",
    "产品实例编号",
    "产品名称",
    "银行名称",
    "卡类型",
    "交易币种",
    "交易金额(元)",
    "订单金额(元)",
    "优惠金额(元)",
    "手续费金额(元)",
    "合作方商户号",
    "合作方商户名称",
    "原系统交易订单号",
    "原商户订单号",
    "商户预留信息",
    "AppID",
    "用户标识",
];

/// Trade bill (对账单) or settle bill (结算账单).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillKind {
    Trade,
    Settle,
}

impl BillKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trade => "trade",
            Self::Settle => "settle",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "trade" => Some(Self::Trade),
            "settle" => Some(Self::Settle),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BillError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the bill: {0}")]
    Write(String),
}

/// Fen as yuan with exactly two decimals: 1234 → "12.34", 5 → "0.05", -5 → "-0.05".
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn on_day(ms: Option<i64>, day: NaiveDate) -> bool {
    ms.and_then(clock::beijing_day) == Some(day)
}

/// The bill's rows: payments that succeeded on `day` (收单) and refunds that succeeded on it
/// (退款), Beijing time, optionally narrowed to one sub-merchant of a service provider.
pub fn rows(
    c: &Connection,
    merchant: &Merchant,
    day: NaiveDate,
    sub_merc_no: Option<&str>,
) -> Result<Vec<Vec<String>>, BillError> {
    let orders = store::orders(c, Some(&merchant.merc_no))?;
    let in_scope =
        |o: &store::Order| sub_merc_no.is_none() || o.sub_merc_no.as_deref() == sub_merc_no;
    let sp = merchant.model == MerchantModel::Sp;
    let party = |o: &store::Order| -> (String, String, String, String) {
        // (商户名称, 商户号, 合作方商户号, 合作方商户名称): for a service provider the row's
        // merchant is the sub-merchant and the partner is the provider itself.
        if sp {
            let sub = o.sub_merc_no.clone().unwrap_or_default();
            let name = merchant
                .sub_merchant(&sub)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            (name, sub, merchant.merc_no.clone(), merchant.name.clone())
        } else {
            (
                merchant.name.clone(),
                merchant.merc_no.clone(),
                String::new(),
                String::new(),
            )
        }
    };
    let mut out = Vec::new();
    for o in orders.iter().filter(|o| in_scope(o)) {
        if o.status == OrderStatus::TrxSuccess && on_day(o.finish_ms, day) {
            let (name, no, partner_no, partner_name) = party(o);
            out.push(vec![
                name,
                no,
                clock::format_plain(o.created_ms),
                o.finish_ms.map(clock::format_plain).unwrap_or_default(),
                o.sys_trans_order_no.clone(),
                o.merc_order_no.clone(),
                "成功".to_owned(),
                "收单".to_owned(),
                format!("SBX-PAS-{}", o.channel.to_uppercase()),
                "支付并签约".to_owned(),
                "沙箱银行".to_owned(),
                "借记卡".to_owned(),
                o.currency.clone(),
                yuan(o.total_amount),
                yuan(o.total_amount),
                yuan(0),
                yuan(0),
                partner_no,
                partner_name,
                String::new(),
                String::new(),
                o.payload.clone().unwrap_or_default(),
                o.app_id.clone().unwrap_or_default(),
                String::new(),
            ]);
        }
    }
    for r in store::refunds(c, Some(&merchant.merc_no), None)? {
        let Some(o) = orders.iter().find(|o| o.merc_order_no == r.merc_order_no) else {
            continue;
        };
        if r.status == RefundStatus::RefundSuccess && on_day(r.finish_ms, day) && in_scope(o) {
            let (name, no, partner_no, partner_name) = party(o);
            out.push(vec![
                name,
                no,
                clock::format_plain(r.created_ms),
                r.finish_ms.map(clock::format_plain).unwrap_or_default(),
                r.sys_refund_order_no.clone(),
                r.merc_refund_order_no.clone(),
                "成功".to_owned(),
                "退款".to_owned(),
                format!("SBX-PAS-{}", o.channel.to_uppercase()),
                "支付并签约".to_owned(),
                "沙箱银行".to_owned(),
                "借记卡".to_owned(),
                o.currency.clone(),
                yuan(r.refund_amount),
                yuan(o.total_amount),
                yuan(0),
                yuan(0),
                partner_no,
                partner_name,
                r.sys_trans_order_no.clone(),
                r.merc_order_no.clone(),
                r.payload.clone().unwrap_or_default(),
                o.app_id.clone().unwrap_or_default(),
                String::new(),
            ]);
        }
    }
    Ok(out)
}

/// The CSV (UTF-8, header row first) zipped as `<mercNo>_<yyyyMMdd>_<kind>.csv`.
pub fn zip(
    merc_no: &str,
    bill_date: &str,
    kind: BillKind,
    rows: &[Vec<String>],
) -> Result<Vec<u8>, BillError> {
    let mut csv_out = csv::Writer::from_writer(Vec::new());
    csv_out
        .write_record(COLUMNS)
        .map_err(|e| BillError::Write(e.to_string()))?;
    for row in rows {
        csv_out
            .write_record(row)
            .map_err(|e| BillError::Write(e.to_string()))?;
    }
    let csv_bytes = csv_out
        .into_inner()
        .map_err(|e| BillError::Write(e.to_string()))?;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file(
        format!("{merc_no}_{bill_date}_{}.csv", kind.as_str()),
        options,
    )
    .map_err(|e| BillError::Write(e.to_string()))?;
    zip.write_all(&csv_bytes)
        .map_err(|e| BillError::Write(e.to_string()))?;
    let cursor = zip.finish().map_err(|e| BillError::Write(e.to_string()))?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_has_exactly_two_decimals() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(100), "1.00");
        assert_eq!(yuan(123_456), "1234.56");
        assert_eq!(yuan(-5), "-0.05");
        assert_eq!(yuan(i64::MIN), "-92233720368547758.08");
    }

    #[test]
    fn the_zip_holds_one_csv_with_the_huawei_header() {
        let rows = vec![vec!["x".to_owned(); COLUMNS.len()]];
        let bytes = zip("101", "20260101", BillKind::Trade, &rows).unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), 1);
        let mut file = archive.by_index(0).unwrap();
        assert_eq!(file.name().unwrap(), "101_20260101_trade.csv");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut file, &mut text).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(header, COLUMNS);
        assert_eq!(reader.records().count(), 1);
    }
}
