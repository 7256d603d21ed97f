//! Bills generated from the sandbox's own orders, withholding debits and refunds: a zip holding
//! one CSV in Huawei's
//! column layout (spec §4.8; paysign-pas's column constants, so both sides agree), amounts in
//! yuan with two decimals. The download link itself is served by `merchant_api`.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::NaiveDate;
use paysign_pas::bill::{settle_columns, trade_columns};
use rusqlite::Connection;

use crate::clock;
use crate::merchants::{Merchant, MerchantModel};
use crate::store::{self, OrderStatus, RefundStatus, StoreError};

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

/// One bill line, by column name (paysign-pas's column constants).
pub type Line = BTreeMap<&'static str, String>;

/// What the columns shared by every line of one payment need.
struct Trade<'a> {
    sub_merc_no: Option<&'a String>,
    product_instance_no: String,
    product_name: &'static str,
    currency: &'a str,
    total_amount: i64,
    app_id: Option<&'a String>,
}

impl<'a> Trade<'a> {
    fn order(o: &'a store::Order) -> Self {
        Self {
            sub_merc_no: o.sub_merc_no.as_ref(),
            product_instance_no: format!("SBX-PAS-{}", o.channel.to_uppercase()),
            product_name: "支付并签约",
            currency: &o.currency,
            total_amount: o.total_amount,
            app_id: o.app_id.as_ref(),
        }
    }

    fn debit(d: &'a crate::withhold::Debit) -> Self {
        Self {
            sub_merc_no: d.sub_merc_no.as_ref(),
            product_instance_no: "SBX-WITHHOLD".to_owned(),
            product_name: "免密代扣",
            currency: &d.currency,
            total_amount: d.total_amount,
            app_id: d.app_id.as_ref().or(d.sp_app_id.as_ref()),
        }
    }
}

/// The bill's lines: payments and withholding debits that succeeded on `day` (收单) and refunds
/// that succeeded on it (退款), Beijing time, optionally narrowed to one sub-merchant of a
/// service provider.
pub fn lines(
    c: &Connection,
    merchant: &Merchant,
    kind: BillKind,
    day: NaiveDate,
    sub_merc_no: Option<&str>,
) -> Result<Vec<Line>, BillError> {
    use trade_columns as t;
    let orders = store::orders(c, Some(&merchant.merc_no))?;
    let in_scope =
        |o: &store::Order| sub_merc_no.is_none() || o.sub_merc_no.as_deref() == sub_merc_no;
    let sp = merchant.model == MerchantModel::Sp;
    // Columns shared by payment and refund lines of an order.
    let base = |o: Trade<'_>| -> Line {
        let mut line = Line::new();
        // For a service provider the line's merchant is the sub-merchant and the partner is
        // the provider itself.
        if sp {
            let sub = o.sub_merc_no.cloned().unwrap_or_default();
            let name = merchant
                .sub_merchant(&sub)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            line.insert(t::MERCHANT_NAME, name);
            line.insert(t::MERC_NO, sub);
            line.insert(t::PARTNER_MERC_NO, merchant.merc_no.clone());
            line.insert(t::PARTNER_MERC_NAME, merchant.name.clone());
        } else {
            line.insert(t::MERCHANT_NAME, merchant.name.clone());
            line.insert(t::MERC_NO, merchant.merc_no.clone());
        }
        line.insert(t::PRODUCT_INSTANCE_NO, o.product_instance_no);
        line.insert(t::PRODUCT_NAME, o.product_name.to_owned());
        line.insert(t::BANK_NAME, "沙箱银行".to_owned());
        line.insert(t::CARD_TYPE, "借记卡".to_owned());
        line.insert(t::CURRENCY, o.currency.to_owned());
        line.insert(t::ORDER_AMOUNT, yuan(o.total_amount));
        line.insert(t::PROMOTION_AMOUNT, yuan(0));
        line.insert(t::FEE_AMOUNT, yuan(0));
        line.insert(t::APP_ID, o.app_id.cloned().unwrap_or_default());
        line
    };
    let settle_day = day.format("%Y-%m-%d").to_string();
    let mut out = Vec::new();
    let mut push = |mut line: Line, signed_amount: i64| {
        match kind {
            BillKind::Trade => {
                line.insert(t::STATUS, "成功".to_owned());
                line.insert(t::TRADE_AMOUNT, yuan(signed_amount.abs()));
            }
            BillKind::Settle => {
                line.insert(
                    settle_columns::SETTLE_NO,
                    format!("SBXS{}{:04}", day.format("%Y%m%d"), out.len() + 1),
                );
                line.insert(settle_columns::SETTLE_DATE, settle_day.clone());
                // Settled money is net: refunds are paid back out.
                line.insert(settle_columns::SETTLE_AMOUNT, yuan(signed_amount));
                line.insert(settle_columns::FEE_MODE, "按笔收取".to_owned());
                line.insert(settle_columns::ALLOCATION_TYPE, "NO_ALLOCATION".to_owned());
            }
        }
        out.push(line);
    };
    for o in orders.iter().filter(|o| in_scope(o)) {
        if o.status == OrderStatus::TrxSuccess && on_day(o.finish_ms, day) {
            let mut line = base(Trade::order(o));
            line.insert(t::CREATED_AT, clock::format_plain(o.created_ms));
            line.insert(
                t::FINISHED_AT,
                o.finish_ms.map(clock::format_plain).unwrap_or_default(),
            );
            line.insert(t::SYS_TRANS_ORDER_NO, o.sys_trans_order_no.clone());
            line.insert(t::MERC_ORDER_NO, o.merc_order_no.clone());
            line.insert(t::TRADE_TYPE, "收单".to_owned());
            line.insert(t::PAYLOAD, o.payload.clone().unwrap_or_default());
            push(line, o.total_amount);
        }
    }
    for d in crate::withhold::debits(c, Some(&merchant.merc_no))? {
        let in_scope = sub_merc_no.is_none() || d.sub_merc_no.as_deref() == sub_merc_no;
        if d.status == OrderStatus::TrxSuccess && on_day(d.finish_ms, day) && in_scope {
            let mut line = base(Trade::debit(&d));
            line.insert(t::CREATED_AT, clock::format_plain(d.created_ms));
            line.insert(
                t::FINISHED_AT,
                d.finish_ms.map(clock::format_plain).unwrap_or_default(),
            );
            line.insert(t::SYS_TRANS_ORDER_NO, d.sys_trans_order_no.clone());
            line.insert(t::MERC_ORDER_NO, d.merc_order_no.clone());
            line.insert(t::TRADE_TYPE, "收单".to_owned());
            line.insert(t::PAYLOAD, d.payload.clone().unwrap_or_default());
            push(line, d.total_amount);
        }
    }
    for r in store::refunds(c, Some(&merchant.merc_no), None)? {
        let Some(o) = orders.iter().find(|o| o.merc_order_no == r.merc_order_no) else {
            continue;
        };
        if r.status == RefundStatus::RefundSuccess && on_day(r.finish_ms, day) && in_scope(o) {
            let mut line = base(Trade::order(o));
            line.insert(t::CREATED_AT, clock::format_plain(r.created_ms));
            line.insert(
                t::FINISHED_AT,
                r.finish_ms.map(clock::format_plain).unwrap_or_default(),
            );
            line.insert(t::SYS_TRANS_ORDER_NO, r.sys_refund_order_no.clone());
            line.insert(t::MERC_ORDER_NO, r.merc_refund_order_no.clone());
            line.insert(t::TRADE_TYPE, "退款".to_owned());
            line.insert(t::ORIG_SYS_TRANS_ORDER_NO, r.sys_trans_order_no.clone());
            line.insert(t::ORIG_MERC_ORDER_NO, r.merc_order_no.clone());
            line.insert(t::PAYLOAD, r.payload.clone().unwrap_or_default());
            push(line, -r.refund_amount);
        }
    }
    Ok(out)
}

/// The CSV (UTF-8, header row first, Huawei's column order for the kind) zipped as
/// `<mercNo>_<yyyyMMdd>_<kind>.csv`.
pub fn zip(
    merc_no: &str,
    bill_date: &str,
    kind: BillKind,
    lines: &[Line],
) -> Result<Vec<u8>, BillError> {
    let columns: &[&str] = match kind {
        BillKind::Trade => &trade_columns::ALL,
        BillKind::Settle => &settle_columns::ALL,
    };
    let mut csv_out = csv::Writer::from_writer(Vec::new());
    csv_out
        .write_record(columns)
        .map_err(|e| BillError::Write(e.to_string()))?;
    for line in lines {
        let record = columns
            .iter()
            .map(|c| line.get(c).map_or("", String::as_str));
        csv_out
            .write_record(record)
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
    fn the_zip_holds_one_csv_in_the_column_order_of_its_kind() {
        let mut line = Line::new();
        line.insert(trade_columns::MERC_NO, "101".to_owned());
        line.insert(trade_columns::TRADE_AMOUNT, "1.05".to_owned());
        for (kind, columns) in [
            (BillKind::Trade, trade_columns::ALL.to_vec()),
            (BillKind::Settle, settle_columns::ALL.to_vec()),
        ] {
            let bytes = zip("101", "20260101", kind, std::slice::from_ref(&line)).unwrap();
            let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
            assert_eq!(archive.len(), 1);
            let mut file = archive.by_index(0).unwrap();
            assert_eq!(
                file.name().unwrap(),
                format!("101_20260101_{}.csv", kind.as_str())
            );
            let mut text = String::new();
            std::io::Read::read_to_string(&mut file, &mut text).unwrap();
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let header: Vec<String> = reader
                .headers()
                .unwrap()
                .iter()
                .map(str::to_owned)
                .collect();
            assert_eq!(header, columns);
            let record = reader.records().next().unwrap().unwrap();
            let at = |name: &str| columns.iter().position(|c| *c == name).unwrap();
            assert_eq!(&record[at(trade_columns::MERC_NO)], "101");
            match kind {
                BillKind::Trade => {
                    assert_eq!(&record[at(trade_columns::TRADE_AMOUNT)], "1.05")
                }
                // A column the layout does not have is not written.
                BillKind::Settle => assert!(!record.iter().any(|v| v == "1.05")),
            }
        }
    }
}
