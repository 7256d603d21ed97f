//! Figures for the pure-Rust side of the Node benchmark (`make bench-node`): what parseOrderStr and
//! stepFlow cost without the N-API marshalling around them (stepFlow holds the state natively and
//! runs `step` alone; the codec row is what a state string cost before). Prints figures; asserts
//! nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use paysign_core::{order_str, step, Event, FlowConfig, FlowState};

const NOW: u64 = 1_751_361_838_042;

/// Median time per call over 5 rounds of about 200 ms each.
fn measure(mut f: impl FnMut()) -> Duration {
    for _ in 0..2_000 {
        f();
    }
    let mut rounds: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let mut n = 0u32;
            while start.elapsed() < Duration::from_millis(200) {
                for _ in 0..100 {
                    f();
                }
                n += 100;
            }
            start.elapsed() / n
        })
        .collect();
    rounds.sort();
    rounds[2]
}

fn main() {
    let order = serde_json::json!({
        "app_id": "101831234", "merc_no": "101610000123", "prepay_id": "1250701172358089759170412",
        "timestamp": (NOW - 60_000).to_string(), "noncestr": "6f18060eee669126b98e474407cc0682",
        "sign": format!("{}==", "A".repeat(510)), "auth_id": "101610000031001",
        "reserved": "{\"sandbox_flag\": true}",
    })
    .to_string();
    let fresh = FlowState::new(FlowConfig::default())
        .unwrap()
        .encode()
        .unwrap();
    let ticket = serde_json::json!({"orderStr": order, "mercOrderNo": "PS20260101000001", "mercContractCode": "C-0001"}).to_string();
    let started = {
        let s = FlowState::decode(&fresh).unwrap();
        step(&s, NOW, &Event::Started).unwrap().0
    };
    let querying = {
        let (s, _) = step(
            &started,
            NOW,
            &Event::TicketFetched {
                body: ticket.clone(),
            },
        )
        .unwrap();
        step(&s, NOW, &Event::CashierReturned)
            .unwrap()
            .0
            .encode()
            .unwrap()
    };
    let fresh_state = FlowState::decode(&fresh).unwrap();
    let querying_state = FlowState::decode(&querying).unwrap();
    let pending = Event::StatusFetched {
        body: r#"{"mercOrderNo":"PS20260101000001","payment":"PAID","contract":"PENDING","updatedAt":1751361838042}"#.to_string(),
    };

    let rows = [
        (
            "order_str::validate (orderStr of 749 chars)",
            measure(|| {
                black_box(order_str::validate(black_box(&order), NOW, Some("101831234")).unwrap());
            }),
        ),
        (
            "order_str::validate_view (what parseOrderStr runs)",
            measure(|| {
                black_box(
                    order_str::validate_view(black_box(&order), NOW, Some("101831234")).unwrap(),
                );
            }),
        ),
        (
            "step STARTED (what stepFlow runs)",
            measure(|| {
                black_box(step(black_box(&fresh_state), NOW, &Event::Started).unwrap());
            }),
        ),
        (
            "step STATUS_FETCHED -> WAIT (what stepFlow runs)",
            measure(|| {
                black_box(step(black_box(&querying_state), NOW, &pending).unwrap());
            }),
        ),
        (
            "decode + step STATUS_FETCHED -> WAIT + encode",
            measure(|| {
                let s = FlowState::decode(black_box(&querying)).unwrap();
                black_box(step(&s, NOW, &pending).unwrap().0.encode().unwrap());
            }),
        ),
    ];
    for (name, d) in rows {
        println!("{name:<48} {:>8.2} µs/call", d.as_secs_f64() * 1e6);
    }
}
