//! Trade and settle bills (spec §4.8, §4.9): the zip downloaded with the headers Payment Kit
//! gave, each `.csv` inside parsed into typed rows, yuan converted to fen exactly (no floats).
//! Columns are found by header name, so new columns are tolerated (kept in `extra`).

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

/// Largest uncompressed CSV accepted from a bill zip (guards against zip bombs).
pub const MAX_CSV_BYTES: u64 = 128 * 1024 * 1024;
/// Largest sum of the uncompressed CSVs of one bill zip.
pub const MAX_BILL_TOTAL_BYTES: u64 = 256 * 1024 * 1024;
/// Most entries (files and folders) a bill zip may hold; a bill has one or a few CSVs.
pub const MAX_BILL_ZIP_ENTRIES: usize = 256;

/// Why a bill could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillError {
    #[error("bill download failed: {0}")]
    Download(String),
    #[error("bill download answered HTTP {0}")]
    DownloadStatus(u16),
    /// The download URL, or a redirect from it, names a host outside the configured storage
    /// hosts; nothing was sent there.
    #[error("bill download refused: host {0:?} is not on the bill storage allow-list")]
    HostNotAllowed(String),
    /// A redirect the client does not follow (to another scheme, into this machine, to a host
    /// not on the list, or too many).
    #[error("bill download refused: {0}")]
    Redirect(String),
    #[error("the bill is not a readable zip: {0}")]
    Zip(String),
    #[error("the bill zip holds no .csv file")]
    NoCsv,
    #[error("a CSV file in the bill is larger than {MAX_CSV_BYTES} bytes, or the zip than the download cap")]
    TooLarge,
    #[error("the bill's CSV files hold more than {MAX_BILL_TOTAL_BYTES} bytes in all")]
    TotalTooLarge,
    #[error("the bill zip has {0} entries; at most {MAX_BILL_ZIP_ENTRIES} are read")]
    TooManyEntries(usize),
    #[error("the bill CSV is malformed: {0}")]
    Csv(String),
    #[error("the bill CSV has no column {0:?}")]
    MissingColumn(&'static str),
    #[error("line {line}, column {column:?}: {value:?} is not an amount in yuan with at most 2 decimals")]
    Amount {
        line: u64,
        column: &'static str,
        value: String,
    },
}

/// Why a yuan string is not an exact amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an amount in yuan with at most 2 decimals")]
pub struct AmountError;

/// Converts a yuan amount as written in a bill (`"0.06"`, `"12"`, `"-3.5"`) to fen, exactly.
/// At most 2 decimals; a sign only in front; no exponent, no separators; overflow is an error.
pub fn yuan_to_fen(text: &str) -> Result<i64, AmountError> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, frac) = match digits.split_once('.') {
        Some((w, f)) => (w, f),
        None => (digits, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !all_digits(whole)
        || !all_digits(frac)
        || frac.len() > 2
        || (digits.contains('.') && frac.is_empty())
    {
        return Err(AmountError);
    }
    let whole: i64 = whole.parse().map_err(|_| AmountError)?;
    let frac_fen: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| AmountError)? * 10,
        _ => frac.parse::<i64>().map_err(|_| AmountError)?,
    };
    let fen = whole
        .checked_mul(100)
        .and_then(|v| v.checked_add(frac_fen))
        .ok_or(AmountError)?;
    Ok(if negative { -fen } else { fen })
}

/// `成功` / `失败` in a trade bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BillTradeStatus {
    Success,
    Failed,
    Other(String),
}

impl BillTradeStatus {
    fn parse(s: &str) -> Self {
        match s {
            "成功" => BillTradeStatus::Success,
            "失败" => BillTradeStatus::Failed,
            other => BillTradeStatus::Other(other.to_owned()),
        }
    }
}

/// One row of a trade bill (对账单). Amounts in fen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeBillRow {
    pub merchant_name: Option<String>,
    pub merc_no: String,
    /// `yyyy-MM-dd HH:mm:ss`.
    pub created_at: String,
    /// `yyyy-MM-dd HH:mm:ss`.
    pub finished_at: String,
    pub sys_trans_order_no: String,
    pub merc_order_no: String,
    pub status: BillTradeStatus,
    /// 收单, 退款, 分账… (kept as written: the list grows).
    pub trade_type: String,
    pub product_instance_no: Option<String>,
    pub product_name: Option<String>,
    pub bank_name: Option<String>,
    pub card_type: Option<String>,
    pub currency: String,
    /// 交易金额: what the user paid.
    pub trade_amount_fen: i64,
    /// 订单金额: the order total, promotions included.
    pub order_amount_fen: i64,
    pub promotion_amount_fen: Option<i64>,
    pub fee_amount_fen: i64,
    pub partner_merc_no: Option<String>,
    pub partner_merc_name: Option<String>,
    pub orig_sys_trans_order_no: Option<String>,
    pub orig_merc_order_no: Option<String>,
    pub payload: Option<String>,
    pub app_id: Option<String>,
    pub open_id: Option<String>,
    /// Columns this version does not know, by header.
    pub extra: BTreeMap<String, String>,
}

/// One row of a settle bill (结算账单). Amounts in fen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettleBillRow {
    pub settle_no: String,
    /// `yyyyMMdd`.
    pub settle_date: String,
    pub merchant_name: Option<String>,
    pub merc_no: String,
    pub created_at: String,
    pub finished_at: String,
    pub sys_trans_order_no: String,
    pub merc_order_no: String,
    pub trade_type: String,
    pub product_instance_no: Option<String>,
    pub product_name: Option<String>,
    pub bank_name: Option<String>,
    pub card_type: Option<String>,
    pub currency: String,
    /// 结算金额.
    pub settle_amount_fen: i64,
    pub order_amount_fen: i64,
    pub promotion_amount_fen: Option<i64>,
    pub fee_amount_fen: i64,
    /// 手续费收取方式.
    pub fee_mode: Option<String>,
    /// 分账类型.
    pub allocation_type: Option<String>,
    pub partner_merc_name: Option<String>,
    pub partner_merc_no: Option<String>,
    pub orig_sys_trans_order_no: Option<String>,
    pub orig_merc_order_no: Option<String>,
    pub payload: Option<String>,
    pub app_id: Option<String>,
    pub open_id: Option<String>,
    pub extra: BTreeMap<String, String>,
}

/// Trade bill column headers, as documented.
pub mod trade_columns {
    pub const MERCHANT_NAME: &str = "商户名称";
    pub const MERC_NO: &str = "商户号";
    pub const CREATED_AT: &str = "交易创建时间";
    pub const FINISHED_AT: &str = "交易完成时间";
    pub const SYS_TRANS_ORDER_NO: &str = "系统交易订单号";
    pub const MERC_ORDER_NO: &str = "商户订单号";
    pub const STATUS: &str = "交易状态";
    pub const TRADE_TYPE: &str = "交易类型";
    pub const PRODUCT_INSTANCE_NO: &str = "产品实例编号";
    pub const PRODUCT_NAME: &str = "产品名称";
    pub const BANK_NAME: &str = "银行名称";
    pub const CARD_TYPE: &str = "卡类型";
    pub const CURRENCY: &str = "交易币种";
    pub const TRADE_AMOUNT: &str = "交易金额(元)";
    pub const ORDER_AMOUNT: &str = "订单金额(元)";
    pub const PROMOTION_AMOUNT: &str = "优惠金额(元)";
    pub const FEE_AMOUNT: &str = "手续费金额(元)";
    pub const PARTNER_MERC_NO: &str = "合作方商户号";
    pub const PARTNER_MERC_NAME: &str = "合作方商户名称";
    pub const ORIG_SYS_TRANS_ORDER_NO: &str = "原系统交易订单号";
    pub const ORIG_MERC_ORDER_NO: &str = "原商户订单号";
    pub const PAYLOAD: &str = "商户预留信息";
    pub const APP_ID: &str = "AppID";
    pub const OPEN_ID: &str = "用户标识";
    /// In file order.
    pub const ALL: [&str; 24] = [
        MERCHANT_NAME,
        MERC_NO,
        CREATED_AT,
        FINISHED_AT,
        SYS_TRANS_ORDER_NO,
        MERC_ORDER_NO,
        STATUS,
        TRADE_TYPE,
        PRODUCT_INSTANCE_NO,
        PRODUCT_NAME,
        BANK_NAME,
        CARD_TYPE,
        CURRENCY,
        TRADE_AMOUNT,
        ORDER_AMOUNT,
        PROMOTION_AMOUNT,
        FEE_AMOUNT,
        PARTNER_MERC_NO,
        PARTNER_MERC_NAME,
        ORIG_SYS_TRANS_ORDER_NO,
        ORIG_MERC_ORDER_NO,
        PAYLOAD,
        APP_ID,
        OPEN_ID,
    ];
}

/// Settle bill column headers, as documented.
pub mod settle_columns {
    pub use super::trade_columns::{
        APP_ID, BANK_NAME, CARD_TYPE, CREATED_AT, CURRENCY, FEE_AMOUNT, FINISHED_AT, MERCHANT_NAME,
        MERC_NO, MERC_ORDER_NO, OPEN_ID, ORDER_AMOUNT, ORIG_MERC_ORDER_NO, ORIG_SYS_TRANS_ORDER_NO,
        PARTNER_MERC_NAME, PARTNER_MERC_NO, PAYLOAD, PRODUCT_INSTANCE_NO, PRODUCT_NAME,
        PROMOTION_AMOUNT, SYS_TRANS_ORDER_NO, TRADE_TYPE,
    };
    pub const SETTLE_NO: &str = "结算单号";
    pub const SETTLE_DATE: &str = "结算日";
    pub const SETTLE_AMOUNT: &str = "结算金额(元)";
    pub const FEE_MODE: &str = "手续费收取方式";
    pub const ALLOCATION_TYPE: &str = "分账类型";
    /// In file order.
    pub const ALL: [&str; 27] = [
        SETTLE_NO,
        SETTLE_DATE,
        MERCHANT_NAME,
        MERC_NO,
        CREATED_AT,
        FINISHED_AT,
        SYS_TRANS_ORDER_NO,
        MERC_ORDER_NO,
        TRADE_TYPE,
        PRODUCT_INSTANCE_NO,
        PRODUCT_NAME,
        BANK_NAME,
        CARD_TYPE,
        CURRENCY,
        SETTLE_AMOUNT,
        ORDER_AMOUNT,
        PROMOTION_AMOUNT,
        FEE_AMOUNT,
        FEE_MODE,
        ALLOCATION_TYPE,
        PARTNER_MERC_NAME,
        PARTNER_MERC_NO,
        ORIG_SYS_TRANS_ORDER_NO,
        ORIG_MERC_ORDER_NO,
        PAYLOAD,
        APP_ID,
        OPEN_ID,
    ];
}

/// The `.csv` files of a bill zip, in archive order, each at most [`MAX_CSV_BYTES`] and
/// [`MAX_BILL_TOTAL_BYTES`] in all, from a zip of at most [`MAX_BILL_ZIP_ENTRIES`] entries. Sizes
/// are counted as the data inflates, not trusted from the zip's headers.
pub fn csv_files_in_zip(zip_bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, BillError> {
    csv_files_capped(zip_bytes, &ZipCaps::BILL)
}

/// The caps of [`csv_files_in_zip`] (smaller in unit tests, so they run in milliseconds).
struct ZipCaps {
    entries: usize,
    per_file: u64,
    total: u64,
}

impl ZipCaps {
    const BILL: ZipCaps = ZipCaps {
        entries: MAX_BILL_ZIP_ENTRIES,
        per_file: MAX_CSV_BYTES,
        total: MAX_BILL_TOTAL_BYTES,
    };
}

fn csv_files_capped(zip_bytes: &[u8], caps: &ZipCaps) -> Result<Vec<(String, Vec<u8>)>, BillError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes))
        .map_err(|e| BillError::Zip(e.to_string()))?;
    if archive.len() > caps.entries {
        return Err(BillError::TooManyEntries(archive.len()));
    }
    let mut total: u64 = 0;
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let entry = archive
            .by_index(i)
            .map_err(|e| BillError::Zip(e.to_string()))?;
        let name = entry
            .name()
            .map_err(|e| BillError::Zip(e.to_string()))?
            .into_owned();
        if entry.is_dir() || !name.to_ascii_lowercase().ends_with(".csv") {
            continue;
        }
        // Never more than the file's cap, nor than what the total still allows, is inflated.
        let room = caps.total.saturating_sub(total);
        let mut data = Vec::new();
        entry
            .take(caps.per_file.min(room).saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| BillError::Zip(e.to_string()))?;
        let len = data.len() as u64;
        if len > caps.per_file {
            return Err(BillError::TooLarge);
        }
        total = total.saturating_add(len);
        if total > caps.total {
            return Err(BillError::TotalTooLarge);
        }
        out.push((name, data));
    }
    if out.is_empty() {
        return Err(BillError::NoCsv);
    }
    Ok(out)
}

/// Every row of every `.csv` in a trade bill zip.
pub fn parse_trade_bill_zip(zip_bytes: &[u8]) -> Result<Vec<TradeBillRow>, BillError> {
    let mut rows = Vec::new();
    for (_, csv) in csv_files_in_zip(zip_bytes)? {
        rows.extend(parse_trade_bill_csv(&csv)?);
    }
    Ok(rows)
}

/// Every row of every `.csv` in a settle bill zip.
pub fn parse_settle_bill_zip(zip_bytes: &[u8]) -> Result<Vec<SettleBillRow>, BillError> {
    let mut rows = Vec::new();
    for (_, csv) in csv_files_in_zip(zip_bytes)? {
        rows.extend(parse_settle_bill_csv(&csv)?);
    }
    Ok(rows)
}

/// The rows of one trade bill CSV.
pub fn parse_trade_bill_csv(csv_bytes: &[u8]) -> Result<Vec<TradeBillRow>, BillError> {
    use trade_columns as c;
    read_rows(csv_bytes, &c::ALL, |r| {
        Ok(TradeBillRow {
            merchant_name: r.opt(c::MERCHANT_NAME),
            merc_no: r.req(c::MERC_NO)?,
            created_at: r.req(c::CREATED_AT)?,
            finished_at: r.req(c::FINISHED_AT)?,
            sys_trans_order_no: r.req(c::SYS_TRANS_ORDER_NO)?,
            merc_order_no: r.req(c::MERC_ORDER_NO)?,
            status: BillTradeStatus::parse(&r.req(c::STATUS)?),
            trade_type: r.req(c::TRADE_TYPE)?,
            product_instance_no: r.opt(c::PRODUCT_INSTANCE_NO),
            product_name: r.opt(c::PRODUCT_NAME),
            bank_name: r.opt(c::BANK_NAME),
            card_type: r.opt(c::CARD_TYPE),
            currency: r.req(c::CURRENCY)?,
            trade_amount_fen: r.fen(c::TRADE_AMOUNT)?,
            order_amount_fen: r.fen(c::ORDER_AMOUNT)?,
            promotion_amount_fen: r.opt_fen(c::PROMOTION_AMOUNT)?,
            fee_amount_fen: r.fen(c::FEE_AMOUNT)?,
            partner_merc_no: r.opt(c::PARTNER_MERC_NO),
            partner_merc_name: r.opt(c::PARTNER_MERC_NAME),
            orig_sys_trans_order_no: r.opt(c::ORIG_SYS_TRANS_ORDER_NO),
            orig_merc_order_no: r.opt(c::ORIG_MERC_ORDER_NO),
            payload: r.opt(c::PAYLOAD),
            app_id: r.opt(c::APP_ID),
            open_id: r.opt(c::OPEN_ID),
            extra: r.extra(),
        })
    })
}

/// The rows of one settle bill CSV.
pub fn parse_settle_bill_csv(csv_bytes: &[u8]) -> Result<Vec<SettleBillRow>, BillError> {
    use settle_columns as c;
    read_rows(csv_bytes, &c::ALL, |r| {
        Ok(SettleBillRow {
            settle_no: r.req(c::SETTLE_NO)?,
            settle_date: r.req(c::SETTLE_DATE)?,
            merchant_name: r.opt(c::MERCHANT_NAME),
            merc_no: r.req(c::MERC_NO)?,
            created_at: r.req(c::CREATED_AT)?,
            finished_at: r.req(c::FINISHED_AT)?,
            sys_trans_order_no: r.req(c::SYS_TRANS_ORDER_NO)?,
            merc_order_no: r.req(c::MERC_ORDER_NO)?,
            trade_type: r.req(c::TRADE_TYPE)?,
            product_instance_no: r.opt(c::PRODUCT_INSTANCE_NO),
            product_name: r.opt(c::PRODUCT_NAME),
            bank_name: r.opt(c::BANK_NAME),
            card_type: r.opt(c::CARD_TYPE),
            currency: r.req(c::CURRENCY)?,
            settle_amount_fen: r.fen(c::SETTLE_AMOUNT)?,
            order_amount_fen: r.fen(c::ORDER_AMOUNT)?,
            promotion_amount_fen: r.opt_fen(c::PROMOTION_AMOUNT)?,
            fee_amount_fen: r.fen(c::FEE_AMOUNT)?,
            fee_mode: r.opt(c::FEE_MODE),
            allocation_type: r.opt(c::ALLOCATION_TYPE),
            partner_merc_name: r.opt(c::PARTNER_MERC_NAME),
            partner_merc_no: r.opt(c::PARTNER_MERC_NO),
            orig_sys_trans_order_no: r.opt(c::ORIG_SYS_TRANS_ORDER_NO),
            orig_merc_order_no: r.opt(c::ORIG_MERC_ORDER_NO),
            payload: r.opt(c::PAYLOAD),
            app_id: r.opt(c::APP_ID),
            open_id: r.opt(c::OPEN_ID),
            extra: r.extra(),
        })
    })
}

/// Header text normalized: BOM and spaces trimmed, full-width parentheses made ASCII.
fn normalize_header(h: &str) -> String {
    h.trim_start_matches('\u{feff}')
        .trim()
        .replace('（', "(")
        .replace('）', ")")
}

struct Row<'a> {
    index: &'a HashMap<String, usize>,
    known: &'a [&'static str],
    headers: &'a [String],
    record: &'a csv::StringRecord,
    line: u64,
}

impl Row<'_> {
    fn cell(&self, column: &'static str) -> Option<&str> {
        self.index
            .get(column)
            .and_then(|&i| self.record.get(i))
            .map(str::trim)
    }

    fn req(&self, column: &'static str) -> Result<String, BillError> {
        match self.cell(column) {
            Some(v) => Ok(v.to_owned()),
            None => Err(BillError::MissingColumn(column)),
        }
    }

    fn opt(&self, column: &'static str) -> Option<String> {
        self.cell(column)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    fn fen(&self, column: &'static str) -> Result<i64, BillError> {
        let value = self.req(column)?;
        yuan_to_fen(&value).map_err(|_| BillError::Amount {
            line: self.line,
            column,
            value,
        })
    }

    fn opt_fen(&self, column: &'static str) -> Result<Option<i64>, BillError> {
        match self.opt(column) {
            None => Ok(None),
            Some(value) => yuan_to_fen(&value)
                .map(Some)
                .map_err(|_| BillError::Amount {
                    line: self.line,
                    column,
                    value,
                }),
        }
    }

    fn extra(&self) -> BTreeMap<String, String> {
        self.headers
            .iter()
            .zip(self.record.iter())
            .filter(|(h, _)| !self.known.contains(&h.as_str()))
            .map(|(h, v)| (h.clone(), v.trim().to_owned()))
            .collect()
    }
}

fn read_rows<T>(
    csv_bytes: &[u8],
    known: &[&'static str],
    mut build: impl FnMut(&Row<'_>) -> Result<T, BillError>,
) -> Result<Vec<T>, BillError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| BillError::Csv(e.to_string()))?
        .iter()
        .map(normalize_header)
        .collect();
    let index: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.clone(), i))
        .collect();
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| BillError::Csv(e.to_string()))?;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        let row = Row {
            index: &index,
            known,
            headers: &headers,
            record: &record,
            line,
        };
        out.push(build(&row)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use std::io::Write;

    fn zip_of(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in files {
            writer
                .start_file(
                    *name,
                    zip::write::SimpleFileOptions::default()
                        .compression_method(zip::CompressionMethod::Deflated),
                )
                .unwrap();
            writer.write_all(data).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    const CAPS: ZipCaps = ZipCaps {
        entries: 3,
        per_file: 1000,
        total: 1500,
    };

    #[test]
    fn entries_files_and_total_are_capped() {
        let ok = zip_of(&[("a.csv", vec![b'x'; 1000]), ("b.csv", vec![b'x'; 500])]);
        assert_eq!(csv_files_capped(&ok, &CAPS).unwrap().len(), 2);
        // Deflate shrinks these to a few bytes: the caps count inflated bytes.
        let big_file = zip_of(&[("a.csv", vec![b'x'; 1001])]);
        assert_eq!(
            csv_files_capped(&big_file, &CAPS).unwrap_err(),
            BillError::TooLarge
        );
        let big_total = zip_of(&[("a.csv", vec![b'x'; 1000]), ("b.csv", vec![b'x'; 501])]);
        assert_eq!(
            csv_files_capped(&big_total, &CAPS).unwrap_err(),
            BillError::TotalTooLarge
        );
        let many = zip_of(&[
            ("a.csv", vec![b'x'; 1]),
            ("b.txt", vec![b'x'; 1]),
            ("c.txt", vec![b'x'; 1]),
            ("d.txt", vec![b'x'; 1]),
        ]);
        assert_eq!(
            csv_files_capped(&many, &CAPS).unwrap_err(),
            BillError::TooManyEntries(4)
        );
    }
}
