//! Bad input at every boundary of the merchant server, over real HTTP on loopback and a real
//! SQLite file: bodies over the cap (with a length, chunked), wrong JSON types, bytes that are
//! not UTF-8, wrong Content-Types and charsets, truncated JSON, deep nesting, duplicate keys,
//! huge numbers, bad path and query parameters, and clients that trickle their head or body.
//! Each case must get a clear typed error (status and the error body), the server must answer
//! the next request, and nothing may be stored. Short deadlines come from the config file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{Backend, Bench, ADMIN_TOKEN, PRICE, RECONCILE_BY_HAND};
use paysign_serve::testing::{self, chunked, head, request, Answer, Ending};
use serde_json::Value;

/// Deadlines of the servers under test (the config's `[limits]`).
const DEADLINE_MS: u64 = 400;

async fn bench() -> Bench {
    let extra = format!(
        "{RECONCILE_BY_HAND}\n[limits]\nheader_timeout_ms = {DEADLINE_MS}\nbody_timeout_ms = {DEADLINE_MS}\n"
    );
    let mut bench = Bench::start_with(Backend::Sqlite, &extra).await;
    // No pooled connections: the server closes idle ones after DEADLINE_MS.
    bench.http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    bench
}

fn addr(url: &str) -> SocketAddr {
    url.trim_start_matches("http://").parse().unwrap()
}

/// Rows in every table of the merchant's database.
async fn rows(bench: &Bench) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for table in ["orders", "contracts", "refunds", "debits", "callbacks"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&bench.server().state.db.pool)
            .await
            .unwrap();
        out.push((table, n));
    }
    out
}

/// The error body of the app and admin APIs: `{"error": {"code", "message"}}`.
fn assert_error(answer: &Answer, status: u16, code: &str, case: &str) {
    assert_eq!(answer.status, status, "{case}: {}", answer.text());
    let body: Value = serde_json::from_slice(&answer.body).unwrap_or_else(|e| {
        panic!(
            "{case}: the error body is not JSON ({e}): {}",
            answer.text()
        )
    });
    assert_eq!(body["error"]["code"], code, "{case}: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{case}: {body}"
    );
}

/// The callback endpoints' refusal: a status other than 200 and `resultCode` FAIL (never
/// Payment Kit's success body).
fn assert_refused_callback(answer: &Answer, status: u16, case: &str) {
    assert_eq!(answer.status, status, "{case}: {}", answer.text());
    let body: Value = serde_json::from_slice(&answer.body)
        .unwrap_or_else(|e| panic!("{case}: the answer is not JSON ({e}): {}", answer.text()));
    let refused = body["resultCode"] == "FAIL" || body["error"]["code"].is_string();
    assert!(refused, "{case}: {body}");
}

async fn still_serving(public: SocketAddr) {
    let answer = testing::send(public, &head("GET", "/healthz", &[])).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
}

const USER: (&str, &str) = ("X-Paysign-User", "mallory");
const JSON_TYPE: (&str, &str) = ("Content-Type", "application/json");

fn create(headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut all = vec![USER, ("Idempotency-Key", "boundary-key-0001")];
    all.extend_from_slice(headers);
    request("POST", "/paysign/orders", &all, body)
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_app_requests_get_typed_errors_and_store_nothing() {
    let bench = bench().await;
    let public = addr(&bench.server().base_url());
    let before = rows(&bench).await;
    let over = format!("{{\"productId\":\"{}\"}}", "v".repeat(17 * 1024));
    let deep = format!("{{\"productId\":{}}}", nested(5000));
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "over the cap, with a length",
            create(&[JSON_TYPE], over.as_bytes()),
            413,
            "TOO_LARGE",
        ),
        (
            "over the cap, declared only",
            head(
                "POST",
                "/paysign/orders",
                &[
                    USER,
                    ("Idempotency-Key", "k-0001"),
                    JSON_TYPE,
                    ("Content-Length", "100000000"),
                ],
            ),
            413,
            "TOO_LARGE",
        ),
        (
            "over the cap, chunked",
            chunked(
                "POST",
                "/paysign/orders",
                &[USER, ("Idempotency-Key", "k-0001"), JSON_TYPE],
                over.as_bytes(),
                1000,
            ),
            413,
            "TOO_LARGE",
        ),
        (
            "a number for the product",
            create(&[JSON_TYPE], br#"{"productId":123}"#),
            400,
            "BAD_REQUEST",
        ),
        // serde would read the struct from an array; the API takes an object only.
        (
            "an array body",
            create(&[JSON_TYPE], br#"["vip-month"]"#),
            400,
            "BAD_REQUEST",
        ),
        ("null", create(&[JSON_TYPE], b"null"), 400, "BAD_REQUEST"),
        ("empty", create(&[JSON_TYPE], b""), 400, "BAD_REQUEST"),
        (
            "not UTF-8",
            create(&[JSON_TYPE], b"{\"productId\":\"vip-\xff\xfe\"}"),
            400,
            "BAD_REQUEST",
        ),
        (
            "UTF-16",
            create(&[JSON_TYPE], b"\xff\xfe{\0\"\0}\0"),
            400,
            "BAD_REQUEST",
        ),
        (
            "a form",
            create(
                &[("Content-Type", "application/x-www-form-urlencoded")],
                b"productId=vip-month",
            ),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "JSON declared GBK",
            create(
                &[("Content-Type", "application/json; charset=GBK")],
                br#"{"productId":"vip-month"}"#,
            ),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "no Content-Type",
            create(&[], br#"{"productId":"vip-month"}"#),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "truncated",
            create(&[JSON_TYPE], br#"{"productId":"vip-mo"#),
            400,
            "BAD_REQUEST",
        ),
        (
            "deeply nested",
            create(&[JSON_TYPE], deep.as_bytes()),
            400,
            "BAD_REQUEST",
        ),
        (
            "a duplicate key",
            create(
                &[JSON_TYPE],
                br#"{"productId":"vip-month","productId":"vip-year"}"#,
            ),
            400,
            "BAD_REQUEST",
        ),
        (
            "a huge number",
            create(&[JSON_TYPE], br#"{"productId":1e400}"#),
            400,
            "BAD_REQUEST",
        ),
        (
            "an unknown product",
            create(&[JSON_TYPE], br#"{"productId":"vip-forever"}"#),
            400,
            "BAD_REQUEST",
        ),
        (
            "a key that is not ASCII",
            request(
                "POST",
                "/paysign/orders",
                &[USER, ("Idempotency-Key", "kéy-0001"), JSON_TYPE],
                br#"{"productId":"vip-month"}"#,
            ),
            400,
            "BAD_REQUEST",
        ),
        (
            "a user id that is not ASCII",
            request(
                "POST",
                "/paysign/orders",
                &[
                    ("X-Paysign-User", "mällory"),
                    ("Idempotency-Key", "k-0001"),
                    JSON_TYPE,
                ],
                br#"{"productId":"vip-month"}"#,
            ),
            401,
            "UNAUTHORIZED",
        ),
        (
            "status: a path that is not UTF-8",
            head("GET", "/paysign/orders/%FF%FE", &[USER]),
            400,
            "BAD_REQUEST",
        ),
        (
            "status: a huge order number",
            head(
                "GET",
                &format!("/paysign/orders/{}", "9".repeat(4000)),
                &[USER],
            ),
            404,
            "NOT_FOUND",
        ),
        (
            "status: POSTed",
            request("POST", "/paysign/orders/PS-1", &[USER, JSON_TYPE], b"{}"),
            405,
            "METHOD_NOT_ALLOWED",
        ),
        (
            "no such path",
            head("GET", "/paysign/nothing", &[]),
            404,
            "NOT_FOUND",
        ),
    ];
    for (case, bytes, status, code) in &cases {
        let answer = testing::send(public, bytes).await;
        assert_error(&answer, *status, code, case);
        still_serving(public).await;
    }
    assert_eq!(rows(&bench).await, before, "nothing is stored");

    // A huge number in a field the server ignores changes nothing: the catalogue's price.
    let answer = testing::send(
        public,
        &create(
            &[("Content-Type", "application/json; charset=utf-8")],
            br#"{"productId":"vip-month","amount":1e300,"totalAmount":99999999999999999999999}"#,
        ),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let no = serde_json::from_slice::<Value>(&answer.body).unwrap()["mercOrderNo"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, detail) = bench.admin_get(&format!("/admin/orders/{no}")).await;
    assert_eq!(detail["order"]["amountFen"], PRICE, "{detail}");
    bench.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_callbacks_are_refused_and_store_nothing() {
    let bench = bench().await;
    let public = addr(&bench.server().base_url());
    let (no, _) = bench.new_order("alice").await;
    bench.pay(&no).await;
    let genuine = bench.notification("ORDER_PAID", &no).await;
    let before = rows(&bench).await;
    let cb_type = ("Content-Type", "application/json; charset=UTF-8");
    let path = "/paysign/callbacks/payment";
    let over = format!("{{\"pad\":\"{}\"}}", "x".repeat(65 * 1024));
    let deep = format!("{{\"sign\":\"x\",\"pad\":{}}}", nested(5000));
    let duplicated = genuine.replacen('{', &format!("{{\"mercOrderNo\":\"{no}-other\","), 1);
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "over the cap, with a length",
            request("POST", path, &[cb_type], over.as_bytes()),
            413,
        ),
        (
            "over the cap, chunked",
            chunked("POST", path, &[cb_type], over.as_bytes(), 4096),
            413,
        ),
        (
            "wrong types",
            request(
                "POST",
                path,
                &[cb_type],
                br#"{"sign":5,"totalAmount":"many"}"#,
            ),
            400,
        ),
        (
            "not UTF-8",
            request("POST", path, &[cb_type], b"{\"sign\":\"\xff\xfe\"}"),
            400,
        ),
        (
            "truncated",
            request(
                "POST",
                path,
                &[cb_type],
                &genuine.as_bytes()[..genuine.len() / 2],
            ),
            400,
        ),
        (
            "deeply nested",
            request("POST", path, &[cb_type], deep.as_bytes()),
            400,
        ),
        (
            "a duplicate key",
            request("POST", path, &[cb_type], duplicated.as_bytes()),
            400,
        ),
        (
            "a huge number",
            request(
                "POST",
                path,
                &[cb_type],
                br#"{"totalAmount":1e400,"sign":"x"}"#,
            ),
            400,
        ),
        ("an array", request("POST", path, &[cb_type], b"[]"), 400),
        ("empty", request("POST", path, &[cb_type], b""), 400),
    ];
    for (case, bytes, status) in &cases {
        let answer = testing::send(public, bytes).await;
        assert_refused_callback(&answer, *status, case);
        still_serving(public).await;
    }
    assert_eq!(rows(&bench).await, before, "nothing is stored");

    // The signature, not the Content-Type, is what makes a callback genuine: Payment Kit's own
    // notification is applied whatever type it was labelled with.
    let answer = testing::send(
        public,
        &request(
            "POST",
            path,
            &[("Content-Type", "text/plain")],
            genuine.as_bytes(),
        ),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let (_, status) = bench.status("alice", &no).await;
    assert_eq!(status["payment"], "PAID", "{status}");
    bench.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_admin_requests_get_typed_errors_and_store_nothing() {
    let bench = bench().await;
    let admin = addr(&bench.server().admin_url());
    let public = addr(&bench.server().base_url());
    let (no, code) = bench.new_order("alice").await;
    let before = rows(&bench).await;
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let auth = ("Authorization", bearer.as_str());
    let refund = format!("/admin/orders/{no}/refunds");
    let charge = format!("/admin/contracts/{code}/charges");
    let over = format!("{{\"reason\":\"{}\"}}", "r".repeat(17 * 1024));
    let deep = format!("{{\"reason\":{}}}", nested(5000));
    let post = |path: &str, headers: &[(&str, &str)], body: &[u8]| {
        let mut all = vec![auth];
        all.extend_from_slice(headers);
        request("POST", path, &all, body)
    };
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "refund over the cap",
            post(&refund, &[JSON_TYPE], over.as_bytes()),
            413,
            "TOO_LARGE",
        ),
        (
            "refund over the cap, chunked",
            chunked("POST", &refund, &[auth, JSON_TYPE], over.as_bytes(), 512),
            413,
            "TOO_LARGE",
        ),
        (
            "refund amount as a string",
            post(&refund, &[JSON_TYPE], br#"{"amountFen":"100"}"#),
            400,
            "BAD_REQUEST",
        ),
        (
            "refund amount fractional",
            post(&refund, &[JSON_TYPE], br#"{"amountFen":1.5}"#),
            400,
            "BAD_REQUEST",
        ),
        (
            "refund amount huge",
            post(
                &refund,
                &[JSON_TYPE],
                br#"{"amountFen":99999999999999999999}"#,
            ),
            400,
            "BAD_REQUEST",
        ),
        (
            "refund amount 1e30",
            post(&refund, &[JSON_TYPE], br#"{"amountFen":1e30}"#),
            400,
            "BAD_REQUEST",
        ),
        (
            "refund not UTF-8",
            post(&refund, &[JSON_TYPE], b"{\"reason\":\"\xc3\x28\"}"),
            400,
            "BAD_REQUEST",
        ),
        (
            "refund as a form",
            post(
                &refund,
                &[("Content-Type", "application/x-www-form-urlencoded")],
                b"amountFen=1",
            ),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "refund without a type",
            post(&refund, &[], br#"{"amountFen":1}"#),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "refund truncated",
            post(&refund, &[JSON_TYPE], br#"{"amountFen":1"#),
            400,
            "BAD_REQUEST",
        ),
        (
            "refund deeply nested",
            post(&refund, &[JSON_TYPE], deep.as_bytes()),
            400,
            "BAD_REQUEST",
        ),
        (
            "refund duplicate key",
            post(
                &refund,
                &[JSON_TYPE],
                br#"{"amountFen":1,"amountFen":1500}"#,
            ),
            400,
            "BAD_REQUEST",
        ),
        (
            "refund unknown field",
            post(&refund, &[JSON_TYPE], br#"{"amount":1}"#),
            400,
            "BAD_REQUEST",
        ),
        // serde would read a struct from an array: [number, amount, reason].
        (
            "refund as an array",
            post(&refund, &[JSON_TYPE], br#"["R-1", 1, "x"]"#),
            400,
            "BAD_REQUEST",
        ),
        (
            "charge product as a number",
            post(&charge, &[JSON_TYPE], br#"{"productId":7}"#),
            400,
            "BAD_REQUEST",
        ),
        (
            "charge amount huge",
            post(&charge, &[JSON_TYPE], br#"{"amountFen":1e400}"#),
            400,
            "BAD_REQUEST",
        ),
        (
            "list with a bad limit",
            head("GET", "/admin/orders?limit=many", &[auth]),
            400,
            "BAD_REQUEST",
        ),
        (
            "list with a huge limit",
            head("GET", "/admin/orders?limit=99999999999999999999", &[auth]),
            400,
            "BAD_REQUEST",
        ),
        (
            "order path not UTF-8",
            head("GET", "/admin/orders/%C3%28", &[auth]),
            400,
            "BAD_REQUEST",
        ),
        (
            "no such path",
            head("GET", "/admin/nothing", &[auth]),
            404,
            "NOT_FOUND",
        ),
        (
            "wrong method",
            head("DELETE", &format!("/admin/orders/{no}"), &[auth]),
            405,
            "METHOD_NOT_ALLOWED",
        ),
    ];
    for (case, bytes, status, code) in &cases {
        let answer = testing::send(admin, bytes).await;
        assert_error(&answer, *status, code, case);
    }
    let unauthenticated = testing::send(
        admin,
        &request("POST", &refund, &[JSON_TYPE], br#"{"amountFen":1}"#),
    )
    .await;
    assert_error(&unauthenticated, 401, "UNAUTHORIZED", "no token");
    assert_eq!(rows(&bench).await, before, "nothing is stored");
    let (status, _) = bench.admin_get("/admin/orders").await;
    assert_eq!(status, 200);
    still_serving(public).await;
    bench.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_while_others_are_served() {
    let bench = bench().await;
    let public = addr(&bench.server().base_url());
    let before = rows(&bench).await;
    let deadline = Duration::from_millis(DEADLINE_MS);
    let every = Duration::from_millis(60);
    let give_up = Duration::from_secs(5);
    let body = br#"{"productId":"vip-month"}                                                  "#;

    // A head trickled a byte at a time, on the app API and the callback endpoint.
    let app_head = tokio::spawn(testing::trickle(
        public,
        b"POST /paysign/orders HTTP/1.1\r\n",
        b"X-Paysign-User: mallory\r\nIdempotency-Key: slow-key-0001\r\n",
        every,
        give_up,
    ));
    // A body trickled: every gap is short, the whole is too slow.
    let length = body.len().to_string();
    let app_body = tokio::spawn(testing::trickle(
        public,
        head(
            "POST",
            "/paysign/orders",
            &[
                USER,
                ("Idempotency-Key", "slow-key-0002"),
                JSON_TYPE,
                ("Content-Length", &length),
            ],
        ),
        body,
        every,
        give_up,
    ));
    let callback_body = tokio::spawn(testing::trickle(
        public,
        head(
            "POST",
            "/paysign/callbacks/payment",
            &[
                ("Content-Type", "application/json"),
                ("Content-Length", "4000"),
            ],
        ),
        &[b' '; 200],
        every,
        give_up,
    ));
    // Meanwhile a well-behaved user buys.
    let (no, _) = bench.new_order("alice").await;
    still_serving(public).await;

    let (ending, took) = app_head.await.unwrap();
    assert!(matches!(ending, Ending::Closed | Ending::Answered(_)));
    assert!(
        took >= deadline - Duration::from_millis(100),
        "head cut after {took:?}"
    );
    for (name, task) in [("app body", app_body), ("callback body", callback_body)] {
        let (ending, took) = task.await.unwrap();
        match ending {
            Ending::Answered(answer) => assert_error(&answer, 408, "REQUEST_TIMEOUT", name),
            Ending::Closed => panic!("{name}: closed without the 408 error body"),
        }
        assert!(
            took >= deadline - Duration::from_millis(100),
            "{name} cut after {took:?}"
        );
    }
    // Alice's order and its contract, and nothing of the slow clients.
    let mut after = before.clone();
    after[0].1 += 1;
    after[1].1 += 1;
    assert_eq!(rows(&bench).await, after);
    let (status, _) = bench.status("alice", &no).await;
    assert_eq!(status, 200);
    bench.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_in_the_config_are_checked() {
    let bench = bench().await;
    let text = std::fs::read_to_string(bench.config_path()).unwrap();
    for key in ["header_timeout_ms", "body_timeout_ms", "max_connections"] {
        let broken: String = text
            .lines()
            .filter(|l| !l.starts_with(key))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
            .replace("[limits]\n", &format!("[limits]\n{key} = 0\n"));
        let err = paysign_merchant::Config::parse(&broken, bench.dir.path(), "merchant.toml")
            .expect_err(key);
        assert!(err.to_string().contains("limits"), "{key}: {err}");
    }
    for bad in [
        "[\"\"]",
        "[\"*.com\"]",
        "[\"https://x.example\"]",
        "[\"a@b.example\"]",
    ] {
        let broken = text.replace(
            "bill_hosts = [\"127.0.0.1\"]",
            &format!("bill_hosts = {bad}"),
        );
        let err = paysign_merchant::Config::parse(&broken, bench.dir.path(), "merchant.toml")
            .expect_err(bad);
        assert!(err.to_string().contains("bill_hosts"), "{bad}: {err}");
    }
    bench.stop().await;
}
