//! Properties of the reducer on generated event sequences: it never panics, never opens the
//! cashier twice, ends within its deadlines in a bounded number of steps, and every outcome obeys
//! the money-safety rules (DESIGN.md): a confirmed payment is final and never lost, "not paid"
//! after the cashier needs the server's word, "money may have moved" follows what was confirmed,
//! and the order is always named once the cashier opened.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use paysign_core::{
    step, Action, ErrorKind, Event, FlowConfig, FlowState, MerchantPayment, MerchantStatus,
    PayAndSignOutcome, PaymentOutcome,
};
use proptest::prelude::*;
use serde_json::json;

const T0: u64 = 1_751_361_838_042;

fn order_str(timestamp: u64) -> String {
    json!({"merc_no": "101610000123", "prepay_id": "125070117235808975917", "timestamp": timestamp.to_string(),
           "noncestr": "n0nce", "sign": "c2ln", "auth_id": "1016100000"})
    .to_string()
}

fn ticket(timestamp: u64) -> String {
    json!({"orderStr": order_str(timestamp), "mercOrderNo": "PS1", "mercContractCode": "C1"})
        .to_string()
}

fn status(payment: &str, contract: &str) -> String {
    json!({"mercOrderNo": "PS1", "payment": payment, "contract": contract, "updatedAt": T0})
        .to_string()
}

const PAYMENTS: [&str; 3] = ["PAID", "NOT_PAID", "PENDING"];
const CONTRACTS: [&str; 3] = ["SIGNED", "NOT_SIGNED", "PENDING"];
const CASHIER_CODES: [i64; 9] = [
    401,
    1_001_930_000,
    1_001_930_001,
    1_001_930_002,
    1_001_930_003,
    1_001_930_010,
    1_001_930_011,
    -7,
    i64::MAX,
];

fn any_body() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(ticket(T0)),
        Just(ticket(T0 - 20 * 60_000)),
        (0..3usize, 0..3usize).prop_map(|(p, c)| status(PAYMENTS[p], CONTRACTS[c])),
        Just(String::new()),
        Just("{\"orderStr\":\"\\u0000%n%s\"}".to_string()),
        ".{0,40}",
    ]
}

fn any_event() -> impl Strategy<Value = Event> {
    prop_oneof![
        Just(Event::Started),
        any_body().prop_map(|body| Event::TicketFetched { body }),
        (proptest::option::of(any::<u16>()), ".{0,20}").prop_map(|(http_status, message)| {
            Event::TicketFailed {
                http_status,
                message,
            }
        }),
        Just(Event::CashierReturned),
        (
            prop_oneof![
                proptest::sample::select(CASHIER_CODES.to_vec()),
                any::<i64>()
            ],
            ".{0,20}"
        )
            .prop_map(|(code, message)| Event::CashierFailed { code, message }),
        any_body().prop_map(|body| Event::StatusFetched { body }),
        (proptest::option::of(any::<u16>()), ".{0,20}").prop_map(|(http_status, message)| {
            Event::StatusFailed {
                http_status,
                message,
            }
        }),
        Just(Event::TimerFired),
    ]
}

fn any_config() -> impl Strategy<Value = FlowConfig> {
    (
        1u64..600_000,
        1u64..120_000,
        1u64..5_000,
        0u64..20_000,
        1.0f64..4.0,
    )
        .prop_map(
            |(overall, confirm, initial, extra_cap, factor)| FlowConfig {
                overall_deadline_ms: overall,
                confirm_deadline_ms: confirm,
                backoff_initial_ms: initial,
                backoff_cap_ms: initial + extra_cap,
                backoff_factor: factor,
                expected_app_id: None,
            },
        )
}

/// What the shell told the reducer, as far as the money rules care.
#[derive(Default, Debug)]
struct Facts {
    cashier_opened: bool,
    /// The last cashier rejection code, if the cashier rejected.
    cashier_code: Option<i64>,
    /// An accepted status answer for the order said PAID / NOT_PAID.
    saw_paid: bool,
    saw_not_paid: bool,
}

impl Facts {
    /// Records an event the reducer accepted (it returned `Ok` before the flow was done).
    fn accepted(&mut self, event: &Event) {
        match event {
            Event::CashierFailed { code, .. } => self.cashier_code = Some(*code),
            Event::StatusFetched { body } => {
                if let Ok(status) = MerchantStatus::from_json(body) {
                    if status.merc_order_no == "PS1" {
                        match status.payment {
                            MerchantPayment::Paid => self.saw_paid = true,
                            MerchantPayment::NotPaid => self.saw_not_paid = true,
                            MerchantPayment::Pending => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// The money-safety rules every outcome obeys, whatever led to it.
fn check_outcome(outcome: &PayAndSignOutcome, facts: &Facts) -> Result<(), TestCaseError> {
    let error = outcome.error.as_ref();
    // A payment the server confirmed is never lost.
    if facts.saw_paid {
        prop_assert_eq!(outcome.payment, PaymentOutcome::Paid);
    }
    // Paid is final: no retryable error, no cancel or failure, at most a contract code.
    if outcome.payment == PaymentOutcome::Paid {
        if let Some(e) = error {
            let info = e.info();
            prop_assert!(!info.retryable, "paid with retryable {:?}", info.code);
            prop_assert!(
                matches!(
                    info.kind,
                    ErrorKind::ContractNotSigned | ErrorKind::ContractUnconfirmed
                ),
                "paid with {:?}",
                info.code
            );
        }
    }
    // "Not paid" after the cashier opened needs the server's word (or a cashier that refused the
    // order outright: 401, 1001930010).
    let refused = matches!(facts.cashier_code, Some(401) | Some(1_001_930_010));
    if facts.cashier_opened
        && matches!(
            outcome.payment,
            PaymentOutcome::NotPaid | PaymentOutcome::Canceled
        )
    {
        prop_assert!(
            (facts.saw_not_paid && !facts.saw_paid) || refused,
            "{:?} without the server's NOT_PAID: {:?}",
            outcome.payment,
            facts
        );
    }
    if outcome.payment == PaymentOutcome::Canceled {
        prop_assert_eq!(facts.cashier_code, Some(1_001_930_000));
    }
    // A cancel or failure message only where nothing was paid.
    if let Some(e) = error {
        if matches!(
            e.info().kind,
            ErrorKind::Canceled | ErrorKind::PaymentFailed
        ) {
            prop_assert!(matches!(
                outcome.payment,
                PaymentOutcome::NotPaid | PaymentOutcome::Canceled
            ));
        }
    }
    // "Money may have moved" is the outcome's, and the error's row agrees with it.
    let unknown = outcome.unknown_outcome();
    prop_assert_eq!(unknown, error.is_some_and(|e| e.info().unknown_outcome));
    if unknown {
        prop_assert!(error.is_some_and(|e| !e.info().retryable));
    }
    prop_assert_eq!(
        outcome.is_final(),
        outcome.payment.is_final() && outcome.contract.is_final()
    );
    // Once the cashier opened, the order is always named.
    if facts.cashier_opened {
        prop_assert_eq!(outcome.merc_order_no.as_deref(), Some("PS1"));
        prop_assert_eq!(outcome.merc_contract_code.as_deref(), Some("C1"));
    } else {
        prop_assert_eq!(outcome.payment, PaymentOutcome::NotPaid);
        prop_assert!(!unknown);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any events, in any order, at any times (also going back): no panic, at most one cashier
    /// (and it names the order), refused events change nothing, `Done` is final, and the outcome
    /// obeys the money rules.
    #[test]
    fn any_event_sequence_is_safe(
        config in any_config(),
        events in proptest::collection::vec((any_event(), -60_000i64..600_000), 0..60),
    ) {
        let mut state = FlowState::new(config).unwrap();
        let mut now = T0;
        let mut cashiers = 0;
        let mut done: Option<Action> = None;
        let mut facts = Facts::default();
        for (event, delta) in events {
            now = now.saturating_add_signed(delta);
            match step(&state, now, &event) {
                Ok((next, action)) => {
                    if done.is_none() {
                        facts.accepted(&event);
                    }
                    if let Action::OpenCashier { merc_order_no, merc_contract_code, .. } = &action {
                        cashiers += 1;
                        facts.cashier_opened = true;
                        prop_assert_eq!(merc_order_no.as_str(), "PS1");
                        prop_assert_eq!(merc_contract_code.as_str(), "C1");
                    }
                    if let Some(first) = &done {
                        prop_assert_eq!(first, &action);
                    }
                    if let Action::Done { outcome } = &action {
                        if done.is_none() {
                            check_outcome(outcome, &facts)?;
                        }
                        done = Some(action.clone());
                    }
                    let decoded = FlowState::decode(&next.encode().unwrap()).unwrap();
                    prop_assert_eq!(&decoded, &next);
                    state = next;
                }
                Err(error) => prop_assert_eq!(error.code().as_u32(), 1001),
            }
            prop_assert!(cashiers <= 1);
        }
    }

    /// A shell that does what it is told (with any answers and any delays) reaches `Done` within
    /// the budget before the cashier, the user's time in the cashier and the confirmation window
    /// (plus one answer's latency each side), in a bounded number of steps, with an outcome that
    /// obeys the money rules.
    #[test]
    fn an_obedient_shell_always_finishes_in_time(
        config in any_config(),
        answers in proptest::collection::vec((0..8u8, 0..3usize, 0..3usize, 0u64..5_000), 200),
        cashier_ms in 0u64..1_800_000,
        cashier_code in proptest::sample::select(CASHIER_CODES.to_vec()),
        cashier_fails in any::<bool>(),
    ) {
        let max_latency = 5_000;
        let bound_steps = 4 + 2 * config.max_status_queries() as usize;
        let overall = config.overall_deadline_ms;
        let confirm = config.confirm_deadline_ms;
        let mut facts = Facts::default();
        let mut state = FlowState::new(config).unwrap();
        let mut now = T0;
        let mut action = {
            let (s, a) = step(&state, now, &Event::Started).unwrap();
            state = s;
            a
        };
        let mut steps = 1;
        let mut cashiers = 0;
        let mut answers = answers.into_iter().cycle();
        loop {
            let (pick, p, c, latency) = answers.next().unwrap();
            let event = match &action {
                Action::FetchTicket => {
                    now += latency;
                    if pick == 0 {
                        Event::TicketFailed { http_status: Some(500), message: "x".into() }
                    } else {
                        Event::TicketFetched { body: ticket(now) }
                    }
                }
                Action::OpenCashier { .. } => {
                    cashiers += 1;
                    facts.cashier_opened = true;
                    now += cashier_ms;
                    if cashier_fails {
                        Event::CashierFailed { code: cashier_code, message: "x".into() }
                    } else {
                        Event::CashierReturned
                    }
                }
                Action::QueryStatus { .. } => {
                    now += latency;
                    if pick == 0 {
                        Event::StatusFailed { http_status: None, message: "x".into() }
                    } else {
                        Event::StatusFetched { body: status(PAYMENTS[p], CONTRACTS[c]) }
                    }
                }
                Action::Wait { wait_ms } => {
                    prop_assert!(*wait_ms > 0);
                    now += wait_ms;
                    Event::TimerFired
                }
                Action::Done { outcome } => {
                    let after_cashier = if cashiers > 0 { cashier_ms + confirm + max_latency } else { 0 };
                    let budget = overall + max_latency + after_cashier;
                    prop_assert!(outcome.elapsed_ms <= budget, "{} > {}", outcome.elapsed_ms, budget);
                    check_outcome(outcome, &facts)?;
                    break;
                }
            };
            facts.accepted(&event);
            let (s, a) = step(&state, now, &event).unwrap();
            state = s;
            action = a;
            steps += 1;
            prop_assert!(steps <= bound_steps, "{} steps", steps);
            prop_assert!(cashiers <= 1);
        }
    }

    /// A resumed flow (the cashier opened in an earlier run) obeys the same rules on any events.
    #[test]
    fn a_resumed_flow_obeys_the_money_rules(
        config in any_config(),
        events in proptest::collection::vec((any_event(), 0i64..60_000), 0..40),
    ) {
        let mut state = FlowState::resume(config, "PS1", "C1").unwrap();
        let mut now = T0;
        let mut facts = Facts { cashier_opened: true, ..Facts::default() };
        let mut done = false;
        for (event, delta) in std::iter::once((Event::Started, 0)).chain(events) {
            now = now.saturating_add_signed(delta);
            if let Ok((next, action)) = step(&state, now, &event) {
                if !done {
                    facts.accepted(&event);
                }
                let opens_cashier = matches!(action, Action::OpenCashier { .. });
                prop_assert!(!opens_cashier, "a resumed flow opened the cashier");
                if let Action::Done { outcome } = &action {
                    if !done {
                        check_outcome(outcome, &facts)?;
                    }
                    done = true;
                }
                prop_assert_eq!(&FlowState::decode(&next.encode().unwrap()).unwrap(), &next);
                state = next;
            }
        }
    }
}
