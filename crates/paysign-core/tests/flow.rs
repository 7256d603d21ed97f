//! Every branch of the pay-and-sign reducer, driven through its public API.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use paysign_core::{
    step, Action, ContractOutcome, Event, FlowConfig, FlowState, PayAndSignOutcome, PaymentOutcome,
    PaysignError,
};
use serde_json::json;

const T0: u64 = 1_751_361_838_042;
const ORDER_NO: &str = "PS20260101000001";

fn order_str_at(timestamp: u64, app_id: &str) -> String {
    json!({
        "app_id": app_id,
        "merc_no": "101610000123",
        "prepay_id": "1250701172358089759170412",
        "timestamp": timestamp.to_string(),
        "noncestr": "6f18060eee669126b98e474407cc0682",
        "sign": "c2lnbmF0dXJl",
        "auth_id": "101610000031001",
    })
    .to_string()
}

fn ticket_body(order_str: &str) -> String {
    json!({"orderStr": order_str, "mercOrderNo": ORDER_NO, "mercContractCode": "C-0001"})
        .to_string()
}

fn status_body(payment: &str, contract: &str) -> String {
    json!({"mercOrderNo": ORDER_NO, "payment": payment, "contract": contract,
           "contractId": if contract == "SIGNED" { json!("2024070914615843071097") } else { json!(null) },
           "updatedAt": T0})
    .to_string()
}

/// A flow driven to the open cashier.
struct Driver {
    state: FlowState,
    now: u64,
    actions: Vec<Action>,
}

impl Driver {
    fn new(config: FlowConfig) -> Driver {
        Driver {
            state: FlowState::new(config).unwrap(),
            now: T0,
            actions: vec![],
        }
    }

    fn send(&mut self, event: Event) -> Action {
        let (state, action) = step(&self.state, self.now, &event).unwrap();
        // Every state survives the opaque string round trip.
        let encoded = state.encode().unwrap();
        assert_eq!(FlowState::decode(&encoded).unwrap(), state);
        self.state = state;
        self.actions.push(action.clone());
        action
    }

    fn advance(&mut self, ms: u64) {
        self.now += ms;
    }

    fn to_cashier() -> Driver {
        let mut d = Driver::new(FlowConfig::default());
        assert_eq!(d.send(Event::Started), Action::FetchTicket);
        d.advance(300);
        let order_str = order_str_at(T0, "101831234");
        let action = d.send(Event::TicketFetched {
            body: ticket_body(&order_str),
        });
        assert_eq!(
            action,
            Action::OpenCashier {
                order_str,
                merc_order_no: ORDER_NO.to_string(),
                merc_contract_code: "C-0001".to_string(),
            }
        );
        d
    }

    fn done(&self) -> PayAndSignOutcome {
        match self.actions.last() {
            Some(Action::Done { outcome }) => outcome.clone(),
            other => panic!("not done: {other:?}"),
        }
    }
}

fn query() -> Action {
    Action::QueryStatus {
        merc_order_no: ORDER_NO.to_string(),
    }
}

fn error_code(outcome: &PayAndSignOutcome) -> Option<u32> {
    outcome.error.as_ref().map(|e| e.code().as_u32())
}

#[test]
fn happy_path_pays_and_signs() {
    let mut d = Driver::to_cashier();
    d.advance(20_000);
    assert_eq!(d.send(Event::CashierReturned), query());
    d.advance(80);
    let action = d.send(Event::StatusFetched {
        body: status_body("PAID", "SIGNED"),
    });
    let Action::Done { outcome } = action else {
        panic!("{action:?}")
    };
    assert!(outcome.is_success());
    assert_eq!(outcome.merc_order_no.as_deref(), Some(ORDER_NO));
    assert_eq!(outcome.merc_contract_code.as_deref(), Some("C-0001"));
    assert_eq!(
        outcome.contract_id.as_deref(),
        Some("2024070914615843071097")
    );
    assert_eq!(outcome.elapsed_ms, 20_380);
    assert_eq!(outcome.error, None);
    assert!(outcome.is_final());
    assert!(!outcome.unknown_outcome());
}

#[test]
fn polling_backs_off_until_final() {
    let mut d = Driver::to_cashier();
    d.send(Event::CashierReturned);
    let mut waits = vec![];
    for _ in 0..4 {
        let action = d.send(Event::StatusFetched {
            body: status_body("PAID", "PENDING"),
        });
        let Action::Wait { wait_ms } = action else {
            panic!("{action:?}")
        };
        waits.push(wait_ms);
        d.advance(wait_ms);
        assert_eq!(d.send(Event::TimerFired), query());
    }
    assert_eq!(waits, vec![500, 1000, 2000, 4000]);
    d.send(Event::StatusFetched {
        body: status_body("PAID", "NOT_SIGNED"),
    });
    let outcome = d.done();
    assert_eq!(outcome.payment, PaymentOutcome::Paid);
    assert_eq!(outcome.contract, ContractOutcome::NotSigned);
    // Paid without a contract: its own code, never a payment failure.
    assert_eq!(error_code(&outcome), Some(6001));
    assert!(outcome.is_final());
    assert!(!outcome.error.unwrap().info().retryable);
}

#[test]
fn polling_stops_at_the_confirm_deadline_with_what_it_knows() {
    let mut d = Driver::to_cashier();
    d.send(Event::CashierReturned);
    let mut queries = 1;
    loop {
        let action = d.send(Event::StatusFetched {
            body: status_body("PAID", "PENDING"),
        });
        match action {
            Action::Wait { wait_ms } => {
                assert!(wait_ms <= 5_000);
                d.advance(wait_ms);
                d.send(Event::TimerFired);
                queries += 1;
            }
            Action::Done { .. } => break,
            other => panic!("{other:?}"),
        }
    }
    let outcome = d.done();
    assert_eq!(outcome.payment, PaymentOutcome::Paid);
    assert_eq!(outcome.contract, ContractOutcome::Pending);
    // The payment is confirmed; only the contract is open.
    assert_eq!(error_code(&outcome), Some(6002));
    assert!(!outcome.is_final());
    assert!(!outcome.unknown_outcome());
    let error = outcome.clone().error.unwrap();
    assert!(!error.info().unknown_outcome);
    assert!(!error.info().retryable);
    // 500+1000+2000+4000+5000*4 = 27 500, then the rest of the 30 s window: 10 queries in all.
    assert_eq!(queries, 10);
    assert!(
        outcome.elapsed_ms >= 30_000 && outcome.elapsed_ms <= 30_300,
        "{}",
        outcome.elapsed_ms
    );
}

#[test]
fn status_failures_and_malformed_answers_keep_polling_then_time_out() {
    let mut d = Driver::to_cashier();
    d.send(Event::CashierReturned);
    let Action::Wait { wait_ms } = d.send(Event::StatusFailed {
        http_status: Some(503),
        message: "unavailable".into(),
    }) else {
        panic!()
    };
    d.advance(wait_ms);
    d.send(Event::TimerFired);
    // An answer about another order is not believed.
    let other = status_body("PAID", "SIGNED").replace(ORDER_NO, "PS-OTHER");
    let Action::Wait { wait_ms } = d.send(Event::StatusFetched { body: other }) else {
        panic!()
    };
    d.advance(wait_ms);
    d.send(Event::TimerFired);
    d.advance(40_000);
    d.send(Event::StatusFetched {
        body: "{not json".into(),
    });
    let outcome = d.done();
    assert_eq!(outcome.payment, PaymentOutcome::Unknown);
    assert_eq!(outcome.contract, ContractOutcome::Unknown);
    let error = outcome.error.unwrap();
    assert_eq!(error.code().as_u32(), 3004);
    assert!(error.to_string().contains("malformed"), "{error}");
}

/// Polls with the same answer until the flow ends; returns how many queries were answered.
fn poll_until_done(d: &mut Driver, body: &str) -> u32 {
    let mut queries = 0;
    loop {
        queries += 1;
        match d.send(Event::StatusFetched { body: body.into() }) {
            Action::Wait { wait_ms } => {
                d.advance(wait_ms);
                assert_eq!(d.send(Event::TimerFired), query());
            }
            Action::Done { .. } => return queries,
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn after_a_cancel_the_merchant_is_polled_until_final() {
    // The user cancelled before paying: a PENDING answer is not "not paid"; polling goes on
    // until the server says NOT_PAID.
    let mut d = Driver::to_cashier();
    assert_eq!(
        d.send(Event::CashierFailed {
            code: 1_001_930_000,
            message: "canceled".into()
        }),
        query()
    );
    let Action::Wait { wait_ms } = d.send(Event::StatusFetched {
        body: status_body("PENDING", "PENDING"),
    }) else {
        panic!("a pending answer after a cancel must be polled again")
    };
    d.advance(wait_ms);
    d.send(Event::TimerFired);
    d.send(Event::StatusFetched {
        body: status_body("NOT_PAID", "NOT_SIGNED"),
    });
    let outcome = d.done();
    assert_eq!(outcome.payment, PaymentOutcome::Canceled);
    assert_eq!(outcome.contract, ContractOutcome::NotSigned);
    assert_eq!(error_code(&outcome), Some(4000));
    assert!(outcome.is_final());
    assert!(outcome.error.unwrap().info().retryable);
}

#[test]
fn paid_then_cancelled_signing_is_paid_with_a_contract_code() {
    let mut d = Driver::to_cashier();
    d.send(Event::CashierFailed {
        code: 1_001_930_000,
        message: "canceled".into(),
    });
    // The contract is still being decided: keep asking.
    assert!(matches!(
        d.send(Event::StatusFetched {
            body: status_body("PAID", "PENDING"),
        }),
        Action::Wait { .. }
    ));
    d.send(Event::TimerFired);
    d.send(Event::StatusFetched {
        body: status_body("PAID", "NOT_SIGNED"),
    });
    let outcome = d.done();
    assert_eq!(outcome.payment, PaymentOutcome::Paid);
    assert_eq!(outcome.contract, ContractOutcome::NotSigned);
    assert!(outcome.is_final());
    let error = outcome.error.unwrap();
    assert_eq!(error.code().as_u32(), 6001);
    assert_eq!(error.payment_kit_code(), Some(1_001_930_000));
    let info = error.info();
    assert!(!info.retryable && !info.unknown_outcome);
    assert!(
        !info.user_message_zh.contains("取消"),
        "{}",
        info.user_message_zh
    );
    assert!(!info.user_message_en.to_lowercase().contains("cancel"));
    assert!(!info.user_message_en.to_lowercase().contains("try again"));
}

#[test]
fn a_cancel_the_server_never_confirms_is_unknown_not_cancelled() {
    // Failed and pending answers until the window closes.
    let mut d = Driver::to_cashier();
    d.send(Event::CashierFailed {
        code: 1_001_930_000,
        message: "canceled".into(),
    });
    let Action::Wait { wait_ms } = d.send(Event::StatusFailed {
        http_status: None,
        message: "offline".into(),
    }) else {
        panic!("a failed status call after a cancel must be retried")
    };
    d.advance(wait_ms);
    d.send(Event::TimerFired);
    let queries = poll_until_done(&mut d, "{not json");
    assert!(queries > 3, "{queries}");
    let outcome = d.done();
    assert_eq!(outcome.payment, PaymentOutcome::Unknown);
    assert_eq!(outcome.contract, ContractOutcome::Unknown);
    assert!(outcome.unknown_outcome());
    assert!(!outcome.is_final());
    assert_eq!(outcome.merc_order_no.as_deref(), Some(ORDER_NO));
    let error = outcome.error.unwrap();
    assert_eq!(error.code().as_u32(), 3004);
    assert_eq!(error.payment_kit_code(), Some(1_001_930_000));
    assert!(error.info().unknown_outcome && !error.info().retryable);

    // Pending to the end: PENDING, never CANCELED.
    let mut d = Driver::to_cashier();
    d.send(Event::CashierFailed {
        code: 1_001_930_000,
        message: "canceled".into(),
    });
    poll_until_done(&mut d, &status_body("PENDING", "PENDING"));
    let outcome = d.done();
    assert_eq!(outcome.payment, PaymentOutcome::Pending);
    assert_eq!(error_code(&outcome), Some(3004));
}

#[test]
fn pay_failure_is_polled_and_can_turn_out_paid() {
    let mut d = Driver::to_cashier();
    d.send(Event::CashierFailed {
        code: 1_001_930_001,
        message: "Pay failed.".into(),
    });
    assert!(matches!(
        d.send(Event::StatusFetched {
            body: status_body("PENDING", "PENDING"),
        }),
        Action::Wait { .. }
    ));
    d.send(Event::TimerFired);
    d.send(Event::StatusFetched {
        body: status_body("NOT_PAID", "NOT_SIGNED"),
    });
    let outcome = d.done();
    assert_eq!(outcome.payment, PaymentOutcome::NotPaid);
    assert_eq!(outcome.contract, ContractOutcome::NotSigned);
    let error = outcome.error.unwrap();
    assert_eq!(error.code().as_u32(), 4001);
    assert_eq!(error.payment_kit_code(), Some(1_001_930_001));

    let mut d = Driver::to_cashier();
    d.send(Event::CashierFailed {
        code: 1_001_930_001,
        message: "Pay failed.".into(),
    });
    d.send(Event::StatusFetched {
        body: status_body("PAID", "SIGNED"),
    });
    let outcome = d.done();
    assert!(outcome.is_success());
    assert_eq!(outcome.error, None);
}

#[test]
fn a_confirmed_payment_is_never_forgotten() {
    // PAID once, then answers that regress or fail: the outcome stays PAID.
    let mut d = Driver::to_cashier();
    d.send(Event::CashierReturned);
    d.send(Event::StatusFetched {
        body: status_body("PAID", "PENDING"),
    });
    d.send(Event::TimerFired);
    d.send(Event::StatusFetched {
        body: status_body("PENDING", "PENDING"),
    });
    d.send(Event::TimerFired);
    d.send(Event::StatusFailed {
        http_status: Some(500),
        message: "oops".into(),
    });
    d.send(Event::TimerFired);
    poll_until_done(&mut d, &status_body("NOT_PAID", "PENDING"));
    let outcome = d.done();
    assert_eq!(outcome.payment, PaymentOutcome::Paid);
    assert_eq!(outcome.contract, ContractOutcome::Pending);
    assert_eq!(error_code(&outcome), Some(6002));
}

#[test]
fn parameter_error_and_rate_limit_end_without_confirming() {
    for (code, expected) in [(401, 4401), (1_001_930_010, 4010)] {
        let mut d = Driver::to_cashier();
        let action = d.send(Event::CashierFailed {
            code,
            message: "x".into(),
        });
        let Action::Done { outcome } = action else {
            panic!("{code}: {action:?}")
        };
        assert_eq!(outcome.payment, PaymentOutcome::NotPaid);
        assert_eq!(outcome.contract, ContractOutcome::NotSigned);
        assert_eq!(error_code(&outcome), Some(expected));
        assert_eq!(outcome.merc_order_no.as_deref(), Some(ORDER_NO));
    }
}

#[test]
fn unknown_outcome_codes_poll_and_keep_the_code() {
    for code in [1_001_930_002, 1_001_930_003, 1_001_930_011, 77] {
        // Resolved: the merchant says paid and signed.
        let mut d = Driver::to_cashier();
        assert_eq!(
            d.send(Event::CashierFailed {
                code,
                message: "x".into()
            }),
            query()
        );
        d.send(Event::StatusFetched {
            body: status_body("PAID", "SIGNED"),
        });
        let outcome = d.done();
        assert!(outcome.is_success(), "{code}");
        assert_eq!(outcome.error, None);

        // Resolved as not paid: the cashier's error is reported.
        let mut d = Driver::to_cashier();
        d.send(Event::CashierFailed {
            code,
            message: "x".into(),
        });
        d.send(Event::StatusFetched {
            body: status_body("NOT_PAID", "NOT_SIGNED"),
        });
        // Confirmed not paid: final, and not "unknown, do not pay again".
        let outcome = d.done();
        assert_eq!(outcome.payment, PaymentOutcome::NotPaid);
        assert!(outcome.is_final() && !outcome.unknown_outcome(), "{code}");
        assert_eq!(error_code(&outcome), Some(4100), "{code}");
        assert_eq!(
            outcome
                .error
                .as_ref()
                .and_then(PaysignError::payment_kit_code),
            Some(code)
        );
        let info = outcome.error.as_ref().unwrap().info();
        assert!(!info.unknown_outcome && info.retryable, "{code}");

        // Never resolved: 3004 carrying the cashier's code.
        let mut d = Driver::to_cashier();
        d.send(Event::CashierFailed {
            code,
            message: "x".into(),
        });
        d.advance(31_000);
        d.send(Event::StatusFailed {
            http_status: None,
            message: "offline".into(),
        });
        let outcome = d.done();
        assert!(outcome.unknown_outcome());
        let error = outcome.error.unwrap();
        assert_eq!(error.code().as_u32(), 3004);
        assert_eq!(error.payment_kit_code(), Some(code));
    }
    // The cashier said success but the server says not paid: 4100, not silence.
    let mut d = Driver::to_cashier();
    d.send(Event::CashierReturned);
    d.send(Event::StatusFetched {
        body: status_body("NOT_PAID", "NOT_SIGNED"),
    });
    let outcome = d.done();
    assert_eq!(error_code(&outcome), Some(4100));
    assert_eq!(outcome.error.unwrap().payment_kit_code(), None);
}

#[test]
fn invalid_tickets_never_reach_the_cashier() {
    let cases: Vec<(String, u32)> = vec![
        ("not json".into(), 2001),
        (json!({"orderStr": 1}).to_string(), 2001),
        (ticket_body("{\"merc_no\":"), 2002),
        (
            ticket_body(&serde_json::to_string(&order_str_at(T0, "101831234")).unwrap()),
            2003,
        ),
        (
            ticket_body(&order_str_at(T0 - 11 * 60_000, "101831234")),
            2007,
        ),
        (
            ticket_body(&order_str_at(T0 + 60 * 60_000, "101831234")),
            2008,
        ),
        (ticket_body(&order_str_at(T0, "someone-else")), 2009),
    ];
    for (body, code) in cases {
        let mut d = Driver::new(FlowConfig {
            expected_app_id: Some("101831234".into()),
            ..FlowConfig::default()
        });
        d.send(Event::Started);
        let action = d.send(Event::TicketFetched { body: body.clone() });
        let Action::Done { outcome } = action else {
            panic!("{body}: {action:?}")
        };
        assert_eq!(error_code(&outcome), Some(code), "{body}");
        assert_eq!(outcome.payment, PaymentOutcome::NotPaid);
        assert!(!d.state.cashier_opened());
    }
}

#[test]
fn ticket_call_failures_end_with_merchant_errors() {
    for (status, code) in [(None, 3001), (Some(500), 3002)] {
        let mut d = Driver::new(FlowConfig::default());
        d.send(Event::Started);
        d.send(Event::TicketFailed {
            http_status: status,
            message: "boom".into(),
        });
        let outcome = d.done();
        assert_eq!(error_code(&outcome), Some(code));
        assert!(outcome.error.unwrap().info().retryable);
        assert_eq!(outcome.merc_order_no, None);
    }
}

#[test]
fn a_ticket_after_the_overall_deadline_is_not_used() {
    let mut d = Driver::new(FlowConfig::default());
    d.send(Event::Started);
    d.advance(300_000);
    let order_str = order_str_at(d.now, "101831234");
    d.send(Event::TicketFetched {
        body: ticket_body(&order_str),
    });
    let outcome = d.done();
    assert_eq!(error_code(&outcome), Some(5001));
    assert!(!d.state.cashier_opened());
}

#[test]
fn confirmation_has_its_own_window_whatever_the_time_before_the_cashier() {
    let mut d = Driver::new(FlowConfig {
        overall_deadline_ms: 10_000,
        confirm_deadline_ms: 6_000,
        ..FlowConfig::default()
    });
    d.send(Event::Started);
    // 9.9 of the 10 s before the cashier are used up, then ten minutes in the cashier.
    d.advance(9_900);
    let order_str = order_str_at(d.now, "101831234");
    d.send(Event::TicketFetched {
        body: ticket_body(&order_str),
    });
    d.advance(600_000);
    d.send(Event::CashierReturned);
    let mut total = 0;
    loop {
        match d.send(Event::StatusFetched {
            body: status_body("PENDING", "PENDING"),
        }) {
            Action::Wait { wait_ms } => {
                total += wait_ms;
                d.advance(wait_ms);
                d.send(Event::TimerFired);
            }
            Action::Done { .. } => break,
            other => panic!("{other:?}"),
        }
    }
    // The full confirmation window, not the 100 ms left of the pre-cashier budget.
    assert_eq!(total, 6_000);
    assert_eq!(error_code(&d.done()), Some(3004));
}

#[test]
fn out_of_phase_events_are_refused_and_change_nothing() {
    let d = Driver::to_cashier();
    for event in [
        Event::Started,
        Event::TimerFired,
        Event::StatusFetched { body: "{}".into() },
        Event::TicketFetched { body: "{}".into() },
    ] {
        let err = step(&d.state, d.now, &event).unwrap_err();
        assert_eq!(err.code().as_u32(), 1001, "{event:?}");
        assert!(err.to_string().contains(event.kind()));
    }
    let fresh = FlowState::new(FlowConfig::default()).unwrap();
    assert!(step(&fresh, T0, &Event::CashierReturned).is_err());
}

#[test]
fn done_repeats_itself() {
    let mut d = Driver::new(FlowConfig::default());
    d.send(Event::Started);
    d.send(Event::TicketFailed {
        http_status: None,
        message: "x".into(),
    });
    let first = d.done();
    for event in [Event::Started, Event::TimerFired, Event::CashierReturned] {
        let (state, action) = step(&d.state, d.now + 1_000, &event).unwrap();
        assert_eq!(
            action,
            Action::Done {
                outcome: first.clone()
            }
        );
        assert_eq!(state, d.state);
    }
}

#[test]
fn a_clock_that_goes_back_is_read_as_standing_still() {
    let mut d = Driver::to_cashier();
    d.now -= 100_000;
    d.send(Event::CashierReturned);
    d.send(Event::StatusFetched {
        body: status_body("PAID", "SIGNED"),
    });
    assert_eq!(d.done().elapsed_ms, 300);
}

#[test]
fn foreign_state_strings_are_1003() {
    let good = FlowState::new(FlowConfig::default())
        .unwrap()
        .encode()
        .unwrap();
    // Prefixing a 9 to the version number makes it another version, whatever the current one is.
    let bad_version = good.replacen("\"v\":", "\"v\":9", 1);
    assert_ne!(bad_version, good);
    // The factor is kept as its f64 bit pattern; 0 is the bits of 0.0, below the allowed 1..=10.
    let factor_bits = format!("\"backoffFactorBits\":{}", 2.0f64.to_bits());
    let bad_config = good.replacen(&factor_bits, "\"backoffFactorBits\":0", 1);
    assert_ne!(bad_config, good);
    for text in [
        String::new(),
        "{}".to_string(),
        "null".to_string(),
        bad_version,
        bad_config,
        good.replacen('{', "{\"extra\":1,", 1),
        "x".repeat(70_000),
        // What the library wrote as version 1, before the hand-shaped form: refused.
        r#"{"v":1,"config":{"overallDeadlineMs":300000,"confirmDeadlineMs":30000,"backoffInitialMs":500,"backoffCapMs":5000,"backoffFactor":2.0,"expectedAppId":null},"startedMs":null,"lastNowMs":0,"cashierOpened":false,"phase":{"phase":"new"}}"#.to_string(),
    ] {
        let err = FlowState::decode(&text).unwrap_err();
        assert_eq!(err.code().as_u32(), 1003, "{text:.80}");
    }
}

#[test]
fn messages_from_the_caller_are_clipped() {
    let mut d = Driver::new(FlowConfig::default());
    d.send(Event::Started);
    d.send(Event::TicketFailed {
        http_status: Some(502),
        message: "x".repeat(10_000),
    });
    let message = d.done().error.unwrap().to_string();
    assert!(message.len() < 400, "{}", message.len());
}

fn ticket_with_server_time(order_str: &str, server_time_ms: u64) -> String {
    json!({"orderStr": order_str, "mercOrderNo": ORDER_NO, "mercContractCode": "C-0001",
           "serverTimeMs": server_time_ms})
    .to_string()
}

#[test]
fn the_order_str_age_is_judged_on_the_server_clock_when_the_ticket_carries_it() {
    // The server signed the orderStr a second ago by its clock; the phone's clock is 15 minutes
    // off either way.
    let server_now = T0;
    let order_str = order_str_at(server_now - 1_000, "101831234");
    for skew in [15 * 60_000i64, -15 * 60_000] {
        let mut d = Driver::new(FlowConfig::default());
        d.now = server_now.saturating_add_signed(skew);
        d.send(Event::Started);
        let action = d.send(Event::TicketFetched {
            body: ticket_with_server_time(&order_str, server_now),
        });
        assert!(
            matches!(action, Action::OpenCashier { .. }),
            "skew {skew}: {action:?}"
        );
    }
    // Without serverTimeMs the phone's clock decides: 15 minutes fast is "expired", 15 minutes
    // slow is "from the future".
    for (skew, code) in [(15 * 60_000i64, 2007), (-15 * 60_000, 2008)] {
        let mut d = Driver::new(FlowConfig::default());
        d.now = server_now.saturating_add_signed(skew);
        d.send(Event::Started);
        d.send(Event::TicketFetched {
            body: ticket_body(&order_str),
        });
        assert_eq!(error_code(&d.done()), Some(code), "skew {skew}");
    }
    // The server's clock also catches an orderStr that is really too old.
    let mut d = Driver::new(FlowConfig::default());
    d.send(Event::Started);
    d.send(Event::TicketFetched {
        body: ticket_with_server_time(
            &order_str_at(server_now - 11 * 60_000, "101831234"),
            server_now,
        ),
    });
    assert_eq!(error_code(&d.done()), Some(2007));
}

#[test]
fn a_resumed_flow_reconfirms_the_saved_order_without_a_cashier() {
    let resumed = FlowState::resume(FlowConfig::default(), ORDER_NO, "C-0001").unwrap();
    let mut d = Driver {
        state: resumed,
        now: T0,
        actions: vec![],
    };
    assert!(d.state.cashier_opened());
    // Started queries at once; a cashier event is out of phase.
    let err = step(&d.state, d.now, &Event::CashierReturned).unwrap_err();
    assert_eq!(err.code().as_u32(), 1001);
    assert_eq!(d.send(Event::Started), query());
    d.send(Event::StatusFetched {
        body: status_body("PENDING", "PENDING"),
    });
    d.send(Event::TimerFired);
    d.send(Event::StatusFetched {
        body: status_body("PAID", "SIGNED"),
    });
    let outcome = d.done();
    assert!(outcome.is_success() && outcome.is_final());
    assert_eq!(outcome.merc_order_no.as_deref(), Some(ORDER_NO));
    assert_eq!(outcome.merc_contract_code.as_deref(), Some("C-0001"));

    // Not paid, confirmed: 4100 without a Payment Kit code.
    let mut d = Driver {
        state: FlowState::resume(FlowConfig::default(), ORDER_NO, "C-0001").unwrap(),
        now: T0,
        actions: vec![],
    };
    d.send(Event::Started);
    d.send(Event::StatusFetched {
        body: status_body("NOT_PAID", "NOT_SIGNED"),
    });
    let outcome = d.done();
    assert_eq!(error_code(&outcome), Some(4100));
    assert_eq!(outcome.error.unwrap().payment_kit_code(), None);

    // Never answered: unknown, naming the order.
    let mut d = Driver {
        state: FlowState::resume(FlowConfig::default(), ORDER_NO, "C-0001").unwrap(),
        now: T0,
        actions: vec![],
    };
    d.send(Event::Started);
    d.advance(31_000);
    d.send(Event::StatusFailed {
        http_status: None,
        message: "offline".into(),
    });
    let outcome = d.done();
    assert_eq!(outcome.payment, PaymentOutcome::Unknown);
    assert_eq!(outcome.merc_order_no.as_deref(), Some(ORDER_NO));
    assert_eq!(error_code(&outcome), Some(3004));
}

#[test]
fn resume_refuses_order_numbers_the_contract_does_not_allow() {
    for (no, code) in [
        ("", "C1"),
        (ORDER_NO, ""),
        (&"x".repeat(47)[..], "C1"),
        ("PS\n1", "C1"),
    ] {
        let err = FlowState::resume(FlowConfig::default(), no, code).unwrap_err();
        assert_eq!(err.code().as_u32(), 1001, "{no:?} {code:?}");
    }
}
