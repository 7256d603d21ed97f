//! Findings of the fuzz targets (docs/reliability.md) in code this crate owns, as tests. An
//! ignored one is reported and not fixed yet; un-ignore it with the fix.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use paysign_core::OrderStr;

/// `order_str` target: `OrderStr::to_json` and `from_json` are documented as inverse, but a
/// number in an unknown field that fits no integer type (here 1777777777777777777770000) is read
/// as an f64 and drifts by an ulp on the way back (serde_json is built without float_roundtrip).
/// The spec's orderStr values are all strings and the cashier is given the ticket's own text, so
/// no signature breaks today; a caller that re-serializes would.
#[test]
#[ignore = "reported finding: a float in an unknown orderStr field does not round trip"]
fn a_float_in_an_unknown_field_round_trips() {
    let text = r#"{"merc_no":"OeS+3","prepay_id":"11","timestamp":"1757361838042","noncestr":"6f375bW5vcA==","sign":"=","auth_id":"1016100000}","11th_id=":"1mF0dXJl","Timestamp":1777777777777777777770000,"appeid":"1p1831r00"}"#;
    let order = OrderStr::from_json(text).unwrap();
    let again = OrderStr::from_json(&order.to_json().unwrap()).unwrap();
    assert_eq!(again, order);
}
