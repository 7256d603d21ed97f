//! The target bodies. Each says what it throws at which code and which invariants it checks.

use std::sync::OnceLock;

use arbitrary::Unstructured;
use paysign_contract::{CreateOrderRequest, OrderStatus, Ticket as ContractTicket};
use paysign_core::order_str::{self, OrderStr};
use paysign_core::outcome::PaymentOutcome;
use paysign_core::status::MerchantPayment;
use paysign_core::{redact, step, Action, Event, FlowConfig, FlowState, MerchantStatus};
use paysign_crypto::{PrivateKey, PublicKey};
use paysign_pas::auth::HttpMethod;
use paysign_pas::model::notify::{
    ContractSignedNotification, PaymentNotification, RefundNotification, UnsignNotification,
};
use paysign_pas::simulator::auth as sim_auth;
use paysign_pas::{bill, callback, response};

use crate::{GMT_MESSAGE, KEY_POINT_HEX, KEY_SCALAR_HEX, NOW_MS};

fn public_key() -> Option<&'static PublicKey> {
    static KEY: OnceLock<Option<PublicKey>> = OnceLock::new();
    let key = KEY.get_or_init(|| PublicKey::from_text(KEY_POINT_HEX).ok());
    assert!(key.is_some(), "the fuzz public key loads");
    key.as_ref()
}

/// The fuzz key, for the seed writer and the tests (the targets only verify).
pub fn private_key() -> Option<PrivateKey> {
    PrivateKey::from_text(KEY_SCALAR_HEX).ok()
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// orderStr parsing and validation (what stands between a ticket and the cashier), the log
/// redaction of an orderStr and the printf-safe log filter.
///
/// Invariants: `validate_view` (what parseOrderStr runs, fields borrowed from the text) gives
/// `validate`'s answer, field for field and error for error; a parsed orderStr writes back to JSON
/// that parses to the same value; the redacted log line never shows a long sign or prepay_id; a
/// printf-safe message has no NUL, no lone `%` and fits its bound.
pub fn order_str(data: &[u8]) {
    let Some(text) = text(data) else { return };
    for now in [NOW_MS, 0, u64::MAX] {
        for expected in [None, Some("101831000")] {
            let owned = order_str::validate(text, now, expected);
            let view = order_str::validate_view(text, now, expected);
            match (&owned, &view) {
                (Ok(o), Ok(v)) => {
                    let same = o.order.app_id.as_deref() == v.app_id.as_deref()
                        && o.order.merc_no == v.merc_no
                        && o.order.prepay_id == v.prepay_id
                        && o.order.timestamp == v.timestamp
                        && o.order.noncestr == v.noncestr
                        && o.order.auth_id == v.auth_id
                        && o.sandbox == v.sandbox
                        && o.age_ms == v.age_ms;
                    assert!(same, "{text}: validate {o:?}, validate_view {v:?}");
                }
                (Err(o), Err(v)) => {
                    assert_eq!(
                        o.to_string(),
                        v.to_string(),
                        "{text}: the two errors differ"
                    );
                }
                // One accepted and the other refused.
                _ => assert_eq!(
                    owned.is_ok(),
                    view.is_ok(),
                    "{text}: validate {owned:?}, validate_view {view:?}"
                ),
            }
        }
    }
    if let Ok(order) = OrderStr::from_json(text) {
        let json = order.to_json();
        assert!(json.is_ok(), "a parsed orderStr serializes: {json:?}");
        if let Ok(json) = json {
            let again = OrderStr::from_json(&json);
            assert!(again.is_ok(), "{json}: {again:?}");
            if let Ok(again) = again {
                assert_eq!(again, order, "round trip of {json}");
            }
        }
        let _ = order.check_freshness(NOW_MS);
        let shown = redact::order_str(text);
        let in_clear = [
            order.merc_no.as_str(),
            order.timestamp.as_str(),
            order.auth_id.as_str(),
            order.app_id.as_deref().unwrap_or_default(),
            order.reserved.as_deref().unwrap_or_default(),
        ];
        for secret in [&order.sign, &order.prepay_id] {
            let revealed_elsewhere = in_clear.iter().any(|c| c.contains(secret.as_str()))
                || order.extra.keys().any(|k| k.contains(secret.as_str()));
            if secret.chars().count() >= 16 && !revealed_elsewhere {
                assert!(!shown.contains(secret.as_str()), "{shown} shows {secret}");
            }
        }
    }
    let max = data.first().map_or(0, |b| usize::from(*b) * 4);
    let safe = redact::printf_safe(text, max);
    assert!(safe.len() <= max, "{} > {max}", safe.len());
    assert!(!safe.contains('\0'));
    assert!(!safe.replace("%%", "").contains('%'), "lone % in {safe:?}");
}

/// Money-safety facts a run of the flow learns from the merchant server's answers.
#[derive(Default)]
struct ServerSaid {
    merc_order_no: Option<String>,
    paid: bool,
    not_paid: bool,
    /// The Payment Kit code the reducer took from the cashier, if it failed.
    cashier_code: Option<i64>,
    /// The ticket's `serverTimeMs`: the clock the orderStr's age is judged on when present.
    server_time_ms: Option<u64>,
}

/// Cashier codes after which the reducer ends NOT_PAID without asking the merchant server, by
/// design (commented in `flow.rs`): the cashier did not take the order (parameter error, called
/// too often), so no payment can exist.
const CASHIER_DID_NOT_TAKE_THE_ORDER: [i64; 2] = [401, 1_001_930_010];

/// The pay-and-sign reducer driven by a fuzzed sequence of events and times. Bodies are either
/// raw fuzz bytes or well-formed tickets and statuses built from fuzzed parts, so the fuzzer
/// reaches every phase.
///
/// Invariants: an event that does not fit is error 1001 and nothing else; `Done` is sticky; every
/// state encodes and decodes to itself; the cashier opens at most once and only with an orderStr
/// that validates at that time; an outcome never says PAID, NOT_PAID or CANCELED after the
/// cashier opened unless the merchant server said so for that order; before the cashier, the
/// outcome is NOT_PAID; a PAID outcome never carries a retryable error; once the cashier opened,
/// the outcome names the order.
pub fn flow_events(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let config = flow_config(&mut u);
    let Ok(mut state) = FlowState::new(config) else {
        return;
    };
    let mut now = NOW_MS;
    let mut latest = 0;
    let mut done: Option<Action> = None;
    let mut cashiers = 0u32;
    let mut said = ServerSaid::default();
    for _ in 0..32 {
        if u.is_empty() {
            break;
        }
        let delta = u64::from(u.arbitrary::<u16>().unwrap_or_default()) * 8;
        now = if u.ratio(1u8, 16u8).unwrap_or(false) {
            now.saturating_sub(delta)
        } else {
            now.saturating_add(delta)
        };
        let event = flow_event(&mut u, now, &said);
        if let Event::TicketFetched { body } = &event {
            if !state.cashier_opened() {
                let ticket = ContractTicket::from_json(body).ok();
                said = ServerSaid {
                    merc_order_no: ticket.as_ref().map(|t| t.merc_order_no.clone()),
                    server_time_ms: ticket.and_then(|t| t.server_time_ms),
                    ..ServerSaid::default()
                };
            }
        }
        // The reducer reads a clock that goes back as standing still (from the last step it took).
        let clock = latest.max(now);
        let in_cashier = state.cashier_opened() && !state.is_done();
        match step(&state, now, &event) {
            Ok((next, action)) => {
                if let (true, Event::CashierFailed { code, .. }) = (in_cashier, &event) {
                    said.cashier_code.get_or_insert(*code);
                }
                if let Event::StatusFetched { body } = &event {
                    if let Ok(status) = MerchantStatus::from_json(body) {
                        if said.merc_order_no.as_deref() == Some(status.merc_order_no.as_str()) {
                            said.paid |= status.payment == MerchantPayment::Paid;
                            said.not_paid |= status.payment == MerchantPayment::NotPaid;
                        }
                    }
                }
                if let Some(first) = &done {
                    assert_eq!(first, &action, "Done is sticky");
                }
                latest = clock;
                check_action(&next, &action, clock, &said, &mut cashiers);
                if matches!(action, Action::OpenCashier { .. }) {
                    round_trip(&next);
                }
                if matches!(action, Action::Done { .. }) {
                    done = Some(action);
                }
                state = next;
            }
            Err(error) => assert_eq!(error.code().as_u32(), 1001, "{error:?} on {event:?}"),
        }
    }
    // Once per input, not per step: the codec would be most of the cost of every execution.
    round_trip(&state);
}

fn round_trip(state: &FlowState) {
    let encoded = state.encode();
    assert!(encoded.is_ok(), "state encodes: {encoded:?}");
    if let Ok(encoded) = encoded {
        let decoded = FlowState::decode(&encoded);
        assert_eq!(decoded.as_ref().ok(), Some(state), "state {encoded}");
    }
}

fn check_action(
    next: &FlowState,
    action: &Action,
    now: u64,
    said: &ServerSaid,
    cashiers: &mut u32,
) {
    match action {
        Action::OpenCashier { order_str, .. } => {
            *cashiers += 1;
            assert!(*cashiers <= 1, "the cashier opened twice");
            let at = said.server_time_ms.unwrap_or(now);
            let checked =
                order_str::validate(order_str, at, next.config().expected_app_id.as_deref());
            assert!(checked.is_ok(), "the cashier got {order_str}: {checked:?}");
        }
        Action::Done { outcome } => {
            if next.cashier_opened() {
                assert!(outcome.merc_order_no.is_some(), "{outcome:?}");
                match outcome.payment {
                    PaymentOutcome::Paid => assert!(said.paid, "PAID unconfirmed: {outcome:?}"),
                    PaymentOutcome::NotPaid | PaymentOutcome::Canceled => {
                        let not_taken = said
                            .cashier_code
                            .is_some_and(|c| CASHIER_DID_NOT_TAKE_THE_ORDER.contains(&c));
                        assert!(
                            said.not_paid || not_taken,
                            "not paid unconfirmed: {outcome:?}"
                        )
                    }
                    PaymentOutcome::Pending | PaymentOutcome::Unknown => {}
                }
            } else {
                assert_eq!(outcome.payment, PaymentOutcome::NotPaid, "{outcome:?}");
            }
            if outcome.payment == PaymentOutcome::Paid {
                if let Some(error) = &outcome.error {
                    assert!(!error.info().retryable, "PAID with a retryable {error:?}");
                }
            }
        }
        Action::FetchTicket | Action::QueryStatus { .. } | Action::Wait { .. } => {}
    }
}

fn flow_config(u: &mut Unstructured) -> FlowConfig {
    let mut config = FlowConfig::default();
    if u.ratio(1u8, 4u8).unwrap_or(false) {
        config.overall_deadline_ms = u.arbitrary().unwrap_or(config.overall_deadline_ms);
        config.confirm_deadline_ms = u.arbitrary().unwrap_or(config.confirm_deadline_ms);
        config.backoff_initial_ms = u.arbitrary().unwrap_or(config.backoff_initial_ms);
        config.backoff_cap_ms = u.arbitrary().unwrap_or(config.backoff_cap_ms);
        config.backoff_factor = u.arbitrary().unwrap_or(config.backoff_factor);
    }
    if u.ratio(1u8, 4u8).unwrap_or(false) {
        config.expected_app_id = Some(pick(u, &APP_IDS).to_owned());
    }
    config
}

const APP_IDS: [&str; 3] = ["101831000", "5765880207853001", ""];
const ORDER_NOS: [&str; 3] = ["PS20260101000001", "PS20260101000002", ""];
const PAYMENTS: [&str; 4] = ["PAID", "NOT_PAID", "PENDING", "paid"];
const CONTRACTS: [&str; 4] = ["SIGNED", "NOT_SIGNED", "PENDING", "UNKNOWN"];
const CASHIER_CODES: [i64; 8] = [
    401,
    1_001_930_000,
    1_001_930_001,
    1_001_930_002,
    1_001_930_010,
    1_001_930_011,
    0,
    i64::MIN,
];

fn pick<'a>(u: &mut Unstructured, from: &[&'a str]) -> &'a str {
    u.choose(from).copied().unwrap_or_default()
}

fn short_string(u: &mut Unstructured) -> String {
    let len = u.int_in_range(0..=40usize).unwrap_or(0);
    let bytes = u.bytes(len.min(u.len())).unwrap_or_default();
    String::from_utf8_lossy(bytes).into_owned()
}

fn flow_event(u: &mut Unstructured, now: u64, said: &ServerSaid) -> Event {
    let message = |u: &mut Unstructured| short_string(u);
    let http = |u: &mut Unstructured| u.arbitrary::<Option<u16>>().unwrap_or(None);
    match u.int_in_range(0..=9u8).unwrap_or(0) {
        0 => Event::Started,
        1 => Event::TicketFetched {
            body: ticket_body(u, now),
        },
        2 => Event::TicketFetched { body: message(u) },
        3 => Event::TicketFailed {
            http_status: http(u),
            message: message(u),
        },
        4 => Event::CashierReturned,
        5 => Event::CashierFailed {
            code: if u.ratio(3u8, 4u8).unwrap_or(true) {
                u.choose(&CASHIER_CODES).copied().unwrap_or(0)
            } else {
                u.arbitrary().unwrap_or(0)
            },
            message: message(u),
        },
        6 => Event::StatusFetched {
            body: status_body(u, said),
        },
        7 => Event::StatusFetched { body: message(u) },
        8 => Event::StatusFailed {
            http_status: http(u),
            message: message(u),
        },
        _ => Event::TimerFired,
    }
}

fn ticket_body(u: &mut Unstructured, now: u64) -> String {
    // Mostly fresh, sometimes older than the 10-minute prepay validity or ahead of the clock.
    let age = i64::from(u.arbitrary::<i16>().unwrap_or_default()) * 40;
    let timestamp = now.saturating_add_signed(-age);
    let mut order = serde_json::json!({
        "merc_no": "101610000123", "prepay_id": "125070117235808975917",
        "timestamp": format!("{timestamp:013}"), "noncestr": "6f18060eee669126",
        "sign": "c2lnbmF0dXJl", "auth_id": "1016100000",
    });
    if u.ratio(1u8, 2u8).unwrap_or(false) {
        set(&mut order, "app_id", pick(u, &APP_IDS).into());
    }
    if u.ratio(1u8, 4u8).unwrap_or(false) {
        set(&mut order, "reserved", short_string(u).into());
    }
    let order_no = if u.ratio(1u8, 8u8).unwrap_or(false) {
        short_string(u)
    } else {
        pick(u, &ORDER_NOS).to_owned()
    };
    let mut ticket = serde_json::json!({
        "orderStr": order.to_string(), "mercOrderNo": order_no, "mercContractCode": "C-0001",
    });
    // Mostly the server's clock; sometimes absent (the phone's clock judges) or off.
    if u.ratio(3u8, 4u8).unwrap_or(true) {
        let skew = i64::from(u.arbitrary::<i8>().unwrap_or_default()) * 10_000;
        set(
            &mut ticket,
            "serverTimeMs",
            now.saturating_add_signed(skew).into(),
        );
    }
    ticket.to_string()
}

fn set(object: &mut serde_json::Value, key: &str, value: serde_json::Value) {
    if let Some(map) = object.as_object_mut() {
        map.insert(key.to_owned(), value);
    }
}

fn status_body(u: &mut Unstructured, said: &ServerSaid) -> String {
    let order_no = match (&said.merc_order_no, u.ratio(7u8, 8u8).unwrap_or(true)) {
        (Some(no), true) => no.clone(),
        _ => pick(u, &ORDER_NOS).to_owned(),
    };
    let mut status = serde_json::json!({
        "mercOrderNo": order_no, "payment": pick(u, &PAYMENTS),
        "contract": pick(u, &CONTRACTS), "updatedAt": NOW_MS,
    });
    if u.ratio(1u8, 2u8).unwrap_or(false) {
        set(&mut status, "contractId", short_string(u).into());
    }
    status.to_string()
}

/// The opaque flow state string the shell keeps between calls (and may store on the phone):
/// decoded from anything, then stepped.
///
/// Invariants: a state that decodes encodes to a string that decodes to the same state; stepping
/// it with any event never panics.
pub fn flow_state(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(state) = FlowState::decode(text) else {
        return;
    };
    let encoded = state.encode();
    assert!(encoded.is_ok(), "{encoded:?}");
    if let Ok(encoded) = encoded {
        assert_eq!(FlowState::decode(&encoded).ok().as_ref(), Some(&state));
    }
    let _ = state.is_done();
    let _ = state.outcome();
    for event in [
        Event::Started,
        Event::CashierReturned,
        Event::TimerFired,
        Event::CashierFailed {
            code: 1_001_930_000,
            message: String::new(),
        },
        Event::StatusFailed {
            http_status: Some(503),
            message: String::new(),
        },
    ] {
        for now in [0, NOW_MS, u64::MAX] {
            let _ = step(&state, now, &event);
        }
    }
}

/// The canonical signing string (spec §3.2): every body that is signed or verified goes through it.
///
/// Invariants: the string is the same every time; a top-level `sign` never enters it; the GET
/// form of any text starts with `/`.
pub fn canonical(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let first = paysign_crypto::canonical_json(text);
    assert_eq!(first, paysign_crypto::canonical_json(text), "deterministic");
    if let Ok(first) = first {
        let trimmed = text.trim_start();
        if let Some(rest) = trimmed.strip_prefix('{') {
            let with_sign = if rest.trim_start().starts_with('}') {
                format!("{{\"sign\":\"MEUCIQ\"{rest}")
            } else {
                format!("{{\"sign\":\"MEUCIQ\",{rest}")
            };
            if !text.contains("\"sign\"") && !text.contains("\\u") {
                assert_eq!(
                    paysign_crypto::canonical_json(&with_sign).as_ref(),
                    Ok(&first),
                    "sign is dropped: {with_sign}"
                );
            }
        }
    }
    assert!(paysign_crypto::canonical_get(text).starts_with('/'));
}

/// SM2 signature decoding and verification with the GM/T example key: the first input byte
/// chooses how the rest is split into message and signature text (Base64 as sent, or raw bytes
/// Base64-encoded here so the fuzzer works on DER directly).
///
/// Invariant: nothing verifies except a signature over the GM/T message (no forgery).
pub fn sm2_verify(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Some(key) = public_key() else { return };
    let cut = usize::from(mode & 0x7f).min(rest.len());
    let (message, signature) = rest.split_at(cut);
    let signature = if mode & 0x80 == 0 {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(signature)
    } else {
        String::from_utf8_lossy(signature).into_owned()
    };
    if key.verify(message, &signature).is_ok() {
        assert_eq!(
            message, GMT_MESSAGE,
            "a forged signature verified: {signature}"
        );
    }
    let _ = paysign_crypto::body_signature(&String::from_utf8_lossy(rest));
}

/// Key loading from text in every accepted form (hex, Base64, PEM; SPKI, PKCS#8, SEC1, X.509):
/// merchant key files and Huawei's certificate come through here.
///
/// Invariants: a loaded private key's public key reloads from its SPKI PEM; errors never echo the
/// input (key material).
pub fn keys(data: &[u8]) {
    let Some(text) = text(data) else { return };
    match PublicKey::from_text(text) {
        Ok(key) => {
            let again = PublicKey::from_text(&key.to_spki_pem());
            assert_eq!(again.as_ref().ok(), Some(&key));
        }
        Err(error) => no_echo(&error.to_string(), text),
    }
    match PrivateKey::from_text(text) {
        Ok(key) => {
            let public = key.public_key();
            assert_eq!(
                PublicKey::from_text(&public.to_spki_pem()).ok(),
                Some(public)
            );
        }
        Err(error) => no_echo(&error.to_string(), text),
    }
}

fn no_echo(message: &str, input: &str) {
    let input = input.trim();
    // Key material is one long token (hex, Base64); messages are words with spaces.
    if input.len() >= 24 && !input.contains(char::is_whitespace) {
        assert!(
            !message.contains(input),
            "the key error echoes its input: {message}"
        );
    }
}

/// Every notification parser (payment, contract signed, unsign, refund, any) and the synchronous
/// answer check — one of them per input, by its length — on a raw body verified with the fuzz key; and the typed models the parsers map a
/// verified body into, on the same text (the fuzzer cannot forge a signature, so the code after
/// verification is reached directly).
///
/// Invariants: a body that does not verify is never returned typed; the parsers agree with
/// `callback::verify` on whether the signature holds.
pub fn notification(data: &[u8]) {
    let Some(key) = public_key() else { return };
    let verified = callback::verify(data, key).is_ok();
    // One parser per input (each verifies again, and a verification is most of the cost).
    let result = match data.len() % 6 {
        0 => callback::parse_payment(data, key).map(|_| ()),
        1 => callback::parse_contract_signed(data, key).map(|_| ()),
        2 => callback::parse_unsign(data, key).map(|_| ()),
        3 => callback::parse_refund(data, key).map(|_| ()),
        4 => callback::parse_notification(data, key).map(|_| ()),
        _ => {
            if let Some(text) = text(data) {
                let _ = response::check(text, 200, Some(key));
                let _ = response::read_envelope(text);
            }
            Ok(())
        }
    };
    if data.len() % 6 != 5 {
        if !verified {
            assert!(result.is_err(), "unverified body parsed");
        }
        if let Err(
            callback::CallbackError::BadSignature
            | callback::CallbackError::MissingSign
            | callback::CallbackError::NotJson(_)
            | callback::CallbackError::NotUtf8
            | callback::CallbackError::UnsupportedSignType(_)
            | callback::CallbackError::EncryptedNotSupported,
        ) = result
        {
            assert!(
                !verified,
                "verify passed but the parser refused the signature"
            );
        }
    }
    let Some(text) = text(data) else { return };
    let _ = serde_json::from_str::<PaymentNotification>(text);
    let _ = serde_json::from_str::<ContractSignedNotification>(text);
    let _ = serde_json::from_str::<UnsignNotification>(text);
    let _ = serde_json::from_str::<RefundNotification>(text);
}

/// The app <-> merchant server contract: the create-order body as the merchant server reads it
/// (`POST /paysign/orders`; unknown fields such as an amount are ignored), and the ticket and
/// status answers as the app reads them.
///
/// Invariants: nothing but a product id comes through a create-order body (the price is the
/// server's); a ticket or status that parses writes back to JSON that parses to itself.
pub fn merchant_contract(data: &[u8]) {
    if let Ok(request) = serde_json::from_slice::<CreateOrderRequest>(data) {
        let written = serde_json::to_value(&request).unwrap_or_default();
        let keys: Vec<&String> = written
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            ["productId"],
            "a create-order body carried more than the product"
        );
    }
    let Some(text) = text(data) else { return };
    if let Ok(ticket) = ContractTicket::from_json(text) {
        let json = serde_json::to_string(&ticket).unwrap_or_default();
        assert_eq!(
            ContractTicket::from_json(&json).ok(),
            Some(ticket),
            "{json}"
        );
    }
    if let Ok(status) = OrderStatus::from_json(text) {
        let json = serde_json::to_string(&status).unwrap_or_default();
        assert_eq!(OrderStatus::from_json(&json).ok(), Some(status), "{json}");
    }
}

/// The PayMercAuth header as a server (the sandbox, a merchant-facing proxy) receives it: the
/// input is `header \n path \n body`; parsed, verified against the fuzz key (GET when the body is
/// empty, POST otherwise), and
/// clock-checked at extreme times.
///
/// Invariant: a header that verifies parses to the same fields.
pub fn pay_merc_auth(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let mut parts = text.splitn(3, '\n');
    let header = parts.next().unwrap_or_default();
    let path = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let Some(key) = public_key() else { return };
    let parsed = sim_auth::parse_pay_merc_auth(Some(header));
    let method = if body.is_empty() {
        HttpMethod::Get
    } else {
        HttpMethod::Post
    };
    if let Ok(verified) = sim_auth::verify_pay_merc_auth(Some(header), method, path, body, key) {
        assert_eq!(parsed.as_ref().ok(), Some(&verified));
    }
    if let Ok(parsed) = parsed {
        for now in [0, i64::MIN, i64::MAX, NOW_MS as i64] {
            for window in [0, 300_000, i64::MAX] {
                let _ = sim_auth::check_time(&parsed, now, window);
            }
        }
        let _ = parsed.to_header_value();
    }
    let _ = HttpMethod::parse(path);
}

/// The bill zip: archive reading with its size bound, then the CSV inside as trade and settle rows.
///
/// Invariant: what the zip parser returns equals parsing each CSV it lists.
pub fn bill_zip(data: &[u8]) {
    let files = bill::csv_files_in_zip(data);
    let trade = bill::parse_trade_bill_zip(data);
    let _ = bill::parse_settle_bill_zip(data);
    if let Ok(files) = files {
        let mut rows = Vec::new();
        let mut failed = false;
        for (_, csv) in &files {
            match bill::parse_trade_bill_csv(csv) {
                Ok(more) => rows.extend(more),
                Err(_) => failed = true,
            }
        }
        if !failed {
            assert_eq!(trade.as_ref().ok(), Some(&rows));
        }
    }
}

/// The bill CSV (header names, BOM, quoting, unknown columns) as a trade or settle bill (by the
/// input's length, so one mutation can switch), and the yuan → fen conversion.
///
/// Invariant: fen written back as yuan converts to the same fen.
pub fn bill_csv(data: &[u8]) {
    // One parser per input: building the CSV reader is most of the cost of a small input.
    if data.len().is_multiple_of(2) {
        let _ = bill::parse_trade_bill_csv(data);
    } else {
        let _ = bill::parse_settle_bill_csv(data);
    }
    let Some(text) = text(data) else { return };
    for field in text.split([',', '\n']).take(64) {
        if let Ok(fen) = bill::yuan_to_fen(field) {
            let sign = if fen < 0 { "-" } else { "" };
            let abs = fen.unsigned_abs();
            let yuan = format!("{sign}{}.{:02}", abs / 100, abs % 100);
            assert_eq!(
                bill::yuan_to_fen(&yuan),
                Ok(fen),
                "{field:?} -> {fen} -> {yuan}"
            );
        }
    }
}
