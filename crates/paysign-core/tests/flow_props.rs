//! Properties of the reducer on generated event sequences: it never panics, never opens the
//! cashier twice, and ends within its deadline in a bounded number of steps.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use paysign_core::{step, Action, Event, FlowConfig, FlowState};
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
const CASHIER_CODES: [i64; 8] = [
    401,
    1_001_930_000,
    1_001_930_001,
    1_001_930_002,
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any events, in any order, at any times (also going back): no panic, at most one cashier,
    /// refused events change nothing, and `Done` is final.
    #[test]
    fn any_event_sequence_is_safe(
        config in any_config(),
        events in proptest::collection::vec((any_event(), -60_000i64..600_000), 0..60),
    ) {
        let mut state = FlowState::new(config).unwrap();
        let mut now = T0;
        let mut cashiers = 0;
        let mut done: Option<Action> = None;
        for (event, delta) in events {
            now = now.saturating_add_signed(delta);
            match step(&state, now, &event) {
                Ok((next, action)) => {
                    if matches!(action, Action::OpenCashier { .. }) {
                        cashiers += 1;
                    }
                    if let Some(first) = &done {
                        prop_assert_eq!(first, &action);
                    }
                    if matches!(action, Action::Done { .. }) {
                        done = Some(action);
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
    /// the overall deadline plus the user's time in the cashier plus one answer's latency, in a
    /// bounded number of steps.
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
                    let budget = overall + if cashiers > 0 { cashier_ms } else { 0 } + max_latency;
                    prop_assert!(outcome.elapsed_ms <= budget, "{} > {}", outcome.elapsed_ms, budget);
                    break;
                }
            };
            let (s, a) = step(&state, now, &event).unwrap();
            state = s;
            action = a;
            steps += 1;
            prop_assert!(steps <= bound_steps, "{} steps", steps);
            prop_assert!(cashiers <= 1);
        }
    }
}
