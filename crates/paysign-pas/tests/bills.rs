//! Bill files: a zip built here with real CSV, parsed into typed rows with exact fen.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use paysign_pas::bill::{self, yuan_to_fen, BillError, BillTradeStatus};
use support::*;

#[test]
fn yuan_to_fen_is_exact() {
    for (text, fen) in [
        ("0", 0),
        ("0.06", 6),
        ("0.1", 10),
        ("12", 1200),
        ("12.30", 1230),
        ("-3.5", -350),
        ("+7.01", 701),
        (" 5.01 ", 501),
        ("0.29", 29),
        ("1234567.89", 123_456_789),
        ("92233720368547758.07", i64::MAX),
    ] {
        assert_eq!(yuan_to_fen(text), Ok(fen), "{text}");
    }
    for bad in [
        "",
        "-",
        ".5",
        "1.",
        "1.234",
        "1e3",
        "1,000.00",
        "abc",
        "1.2.3",
        "--1",
        "92233720368547758.08",
        "0x10",
        "１",
    ] {
        assert!(yuan_to_fen(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn trade_bill_zip_parses_into_typed_rows() {
    let zip = make_zip(&[
        ("readme.txt", b"not a bill"),
        ("对账单20220825.csv", TRADE_CSV.as_bytes()),
    ]);
    let rows = bill::parse_trade_bill_zip(&zip).unwrap();
    assert_eq!(rows.len(), 3);
    let first = &rows[0];
    assert_eq!(
        first.merchant_name.as_deref(),
        Some("测试商户"),
        "BOM stripped from the first header"
    );
    assert_eq!(first.merc_no, "101000000001");
    assert_eq!(first.status, BillTradeStatus::Success);
    assert_eq!(first.trade_type, "收单");
    assert_eq!(
        (
            first.trade_amount_fen,
            first.order_amount_fen,
            first.promotion_amount_fen,
            first.fee_amount_fen
        ),
        (6, 6, Some(0), 1)
    );
    assert_eq!(first.app_id.as_deref(), Some("5765880207858652727"));
    assert!(first.extra.is_empty());
    let refund = &rows[1];
    assert_eq!(refund.trade_type, "退款");
    assert_eq!(refund.trade_amount_fen, -6);
    assert_eq!(refund.promotion_amount_fen, None);
    assert_eq!(refund.orig_merc_order_no.as_deref(), Some("ORDER-1"));
    assert_eq!(rows[2].promotion_amount_fen, Some(1000));
    assert_eq!(rows[2].fee_amount_fen, 350);
}

#[test]
fn settle_bill_keeps_new_columns() {
    let rows = bill::parse_settle_bill_zip(&make_zip(&[("s.CSV", SETTLE_CSV.as_bytes())])).unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r.settle_no, "71306c214b2d486199e3c19a6000000X");
    assert_eq!(r.settle_date, "20220826");
    assert_eq!(
        (r.settle_amount_fen, r.order_amount_fen, r.fee_amount_fen),
        (501, 501, 3)
    );
    assert_eq!(r.fee_mode.as_deref(), Some("手续费轧差收取"));
    assert_eq!(r.extra.get("新列").map(String::as_str), Some("future"));
}

#[test]
fn columns_are_found_by_name_in_any_order_and_width() {
    // Columns reordered, full-width parentheses, a new column in the middle, a blank line.
    let csv = "交易金额（元）,新的列,商户号,交易创建时间,交易完成时间,系统交易订单号,商户订单号,交易状态,交易类型,交易币种,订单金额(元),手续费金额(元)\n\
               1.50,x,101,2022-08-25 10:29:19,2022-08-25 10:29:19,S1,M1,成功,收单,CNY,1.50,0.01\n\
               ,,,,,,,,,,,\n";
    let rows = bill::parse_trade_bill_csv(csv.as_bytes()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].trade_amount_fen, 150);
    assert_eq!(rows[0].merchant_name, None);
    assert_eq!(rows[0].extra.get("新的列").map(String::as_str), Some("x"));
}

#[test]
fn bad_bills_give_typed_errors() {
    assert!(matches!(
        bill::parse_trade_bill_zip(b"not a zip"),
        Err(BillError::Zip(_))
    ));
    assert_eq!(
        bill::parse_trade_bill_zip(&make_zip(&[("a.txt", b"x")])),
        Err(BillError::NoCsv)
    );
    let missing = "商户号,交易创建时间\n101,2022-08-25 10:29:19\n";
    assert!(matches!(
        bill::parse_trade_bill_csv(missing.as_bytes()),
        Err(BillError::MissingColumn(_))
    ));
    let bad_amount = TRADE_CSV.replacen(",0.06,0.06,", ",0.065,0.06,", 1);
    match bill::parse_trade_bill_csv(bad_amount.as_bytes()) {
        Err(BillError::Amount {
            line,
            column,
            value,
        }) => {
            assert_eq!((line, column, value.as_str()), (2, "交易金额(元)", "0.065"));
        }
        other => panic!("{other:?}"),
    }
}
