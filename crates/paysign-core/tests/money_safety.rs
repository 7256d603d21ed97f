//! DESIGN.md's money-safety rules on the cases the `flow_events` fuzz target found breaking them
//! in the reducer of 014fc94 (docs/reliability.md): after a cancel or a pay failure, a failed or
//! PENDING status answer was read as CANCELED / NOT_PAID, and a PAID answer kept the cashier's
//! retryable error. The reducer now polls after every cashier answer; these keep it that way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use paysign_core::{step, Action, Event, FlowConfig, FlowState, PayAndSignOutcome, PaymentOutcome};
use serde_json::json;

const T0: u64 = 1_751_361_838_042;
const CANCELED: i64 = 1_001_930_000;
const PAY_FAILED: i64 = 1_001_930_001;

fn ticket() -> String {
    let order_str = json!({"merc_no": "101610000123", "prepay_id": "125070117235808975917",
        "timestamp": T0.to_string(), "noncestr": "n0nce", "sign": "c2ln", "auth_id": "1016100000"})
    .to_string();
    json!({"orderStr": order_str, "mercOrderNo": "PS1", "mercContractCode": "C1"}).to_string()
}

fn status(payment: &str) -> Event {
    Event::StatusFetched {
        body: json!({"mercOrderNo": "PS1", "payment": payment, "contract": "NOT_SIGNED",
            "updatedAt": T0})
        .to_string(),
    }
}

/// Ticket, cashier fails with `code`, then `answers` until the flow is done.
fn run(code: i64, answers: &[Event]) -> PayAndSignOutcome {
    let mut state = FlowState::new(FlowConfig::default()).unwrap();
    let mut now = T0;
    let mut events = vec![
        Event::Started,
        Event::TicketFetched { body: ticket() },
        Event::CashierFailed {
            code,
            message: String::new(),
        },
    ];
    events.extend_from_slice(answers);
    let mut queue = events.into_iter();
    let mut next = queue.next();
    while let Some(event) = next {
        now += 100;
        let (after, action) = step(&state, now, &event).unwrap();
        state = after;
        match action {
            Action::Done { outcome } => return outcome,
            Action::Wait { .. } => next = Some(Event::TimerFired),
            _ => next = queue.next(),
        }
        if next.is_none() {
            // The shell keeps answering like the last answer until the window closes.
            next = answers.last().cloned();
        }
    }
    panic!("the flow did not end");
}

#[test]
fn a_not_paid_answer_after_a_cancel_is_canceled() {
    let outcome = run(CANCELED, &[status("NOT_PAID")]);
    assert_eq!(outcome.payment, PaymentOutcome::Canceled);
}

#[test]
fn a_paid_answer_after_a_cancel_is_paid() {
    let outcome = run(CANCELED, &[status("PAID")]);
    assert_eq!(outcome.payment, PaymentOutcome::Paid);
}

#[test]
fn a_failed_status_call_after_a_cancel_is_not_read_as_not_paid() {
    for code in [CANCELED, PAY_FAILED] {
        let failed = Event::StatusFailed {
            http_status: Some(503),
            message: "unavailable".into(),
        };
        let outcome = run(code, &[failed]);
        assert!(
            !matches!(
                outcome.payment,
                PaymentOutcome::Canceled | PaymentOutcome::NotPaid
            ),
            "the server never said not paid, yet: {outcome:?}"
        );
    }
}

#[test]
fn a_pending_answer_after_a_cancel_is_not_read_as_not_paid() {
    for code in [CANCELED, PAY_FAILED] {
        let outcome = run(code, &[status("PENDING")]);
        assert!(
            !matches!(
                outcome.payment,
                PaymentOutcome::Canceled | PaymentOutcome::NotPaid
            ),
            "PENDING became {outcome:?}"
        );
    }
}

#[test]
fn a_paid_outcome_never_carries_a_retryable_error() {
    for code in [CANCELED, PAY_FAILED] {
        let outcome = run(code, &[status("PAID")]);
        assert_eq!(outcome.payment, PaymentOutcome::Paid);
        if let Some(error) = &outcome.error {
            assert!(!error.info().retryable, "PAID with retryable {error:?}");
        }
    }
}
