//! The merchant server against the real sandbox over loopback, on real SQLite and real
//! PostgreSQL (the same tests on both): orders, verified callbacks, the reconcile worker,
//! refunds, unsign and bills.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use serde_json::{json, Value};

on_both_databases!(
    pay_and_sign_reaches_paid_and_signed,
    orders_belong_to_their_user_and_the_price_is_the_servers,
    the_same_idempotency_key_gives_the_same_ticket,
    concurrent_copies_of_a_callback_on_two_instances_apply_once,
    a_tampered_or_forged_callback_changes_nothing,
    a_lost_callback_is_recovered_by_the_worker,
    refunds_are_idempotent_and_bounded,
    unsign_ends_the_contract_and_a_late_sign_does_not_revive_it,
    bills_are_checked_against_the_database,
    instances_share_the_reconcile_work_without_doubling_it,
    a_signed_contract_is_charged_without_the_cashier,
    a_service_provider_sells_for_its_sub_merchant,
    a_late_verified_success_pays_a_failed_order_and_revives_its_contract,
    operations_list_every_row_once_across_pages,
);

const SUCCESS: &str = r#"{"resultCode":"000000","resultDesc":"Success."}"#;

async fn pay_and_sign_reaches_paid_and_signed(backend: Backend) {
    let bench = Bench::start(backend).await;
    let (no, code) = bench.new_order("alice").await;
    let (status, s) = bench.status("alice", &no).await;
    assert_eq!(status, 200);
    assert_eq!(s["payment"], "PENDING");
    assert_eq!(s["contract"], "PENDING");

    bench.pay(&no).await;
    let paid = bench.notification("ORDER_PAID", &no).await;
    bench.deliver_ok("payment", &paid).await;
    let (_, s) = bench.status("alice", &no).await;
    assert_eq!(s["payment"], "PAID");
    assert_eq!(s["contract"], "PENDING");

    let contract_id = bench.sign(&code).await;
    let signed = bench.notification("CONTRACT_SIGNED", &code).await;
    bench.deliver_ok("contract", &signed).await;
    let (_, s) = bench.status("alice", &no).await;
    assert_eq!(s["payment"], "PAID");
    assert_eq!(s["contract"], "SIGNED");
    assert_eq!(s["contractId"], contract_id.as_str());
    assert_eq!(s["mercOrderNo"], no.as_str());
    assert!(s["updatedAt"].as_u64().unwrap() > 0);

    // Payment Kit repeats a notification until it sees success: still success, applied once.
    bench.deliver_ok("payment", &paid).await;
    bench.deliver_ok("contract", &signed).await;
    let m = &bench.server().state.metrics;
    assert_eq!(m.callback_count("payment", "applied"), 1);
    assert_eq!(m.callback_count("payment", "duplicate"), 1);
    assert_eq!(m.callback_count("contract", "applied"), 1);
    assert_eq!(
        bench
            .db_count("SELECT COUNT(*) FROM callbacks WHERE subject = $1", &no)
            .await,
        1
    );
    // The raw body is kept for audit, verbatim.
    let (_, detail) = bench.admin_get(&format!("/admin/orders/{no}")).await;
    let callback_id = detail["callbacks"][0]["callbackId"].as_str().unwrap();
    let kept = paysign_merchant::store::callback_body(&bench.server().state.db, callback_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept, paid);
    assert_eq!(detail["order"]["payment"], "PAID");
    assert_eq!(detail["contract"]["contractId"], contract_id.as_str());
    bench.stop().await;
}

async fn orders_belong_to_their_user_and_the_price_is_the_servers(backend: Backend) {
    let bench = Bench::start(backend).await;
    // An amount in the app's body is ignored: the catalogue's price is what Payment Kit gets.
    let (status, ticket) = bench
        .create(
            "alice",
            "k-amount",
            json!({"productId": "vip-month", "amount": 1, "totalAmount": 1, "amountFen": 1}),
        )
        .await;
    assert_eq!(status, 200, "{ticket}");
    let no = ticket["mercOrderNo"].as_str().unwrap();
    let (status, sandbox_order) = bench
        .sandbox_get(&format!("/sandbox/orders/{MERC_NO}/{no}"))
        .await;
    assert_eq!(status, 200, "{sandbox_order}");
    assert_eq!(sandbox_order["totalAmount"], PRICE);
    // The orderStr is signed by the merchant key and names the prepay Payment Kit issued.
    let order_str: Value = serde_json::from_str(ticket["orderStr"].as_str().unwrap()).unwrap();
    assert_eq!(order_str["merc_no"], MERC_NO);
    assert_eq!(order_str["app_id"], APP_ID);
    paysign_crypto::verify_body(
        ticket["orderStr"].as_str().unwrap(),
        &bench.merchant_key.public_key(),
    )
    .unwrap();
    let server_ms = ticket["serverTimeMs"].as_u64().unwrap();
    let now = paysign_merchant::time::now_ms() as u64;
    assert!(server_ms <= now && now - server_ms < 60_000);

    // Only alice can read it; to anyone else it does not exist.
    assert_eq!(bench.status("alice", no).await.0, 200);
    let (status, body) = bench.status("mallory", no).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    assert_eq!(bench.status("alice", "PS-NOT-A-REAL-ORDER").await.0, 404);
    assert_eq!(bench.status("alice", "..%2F..%2Fetc").await.0, 404);

    // Without a user, key or product: clear client errors, nothing created.
    let r = bench
        .http
        .post(format!("{}/paysign/orders", bench.server().base_url()))
        .header("Idempotency-Key", "k-1")
        .json(&json!({"productId": "vip-month"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = bench
        .http
        .post(format!("{}/paysign/orders", bench.server().base_url()))
        .header("X-Paysign-User", "alice")
        .json(&json!({"productId": "vip-month"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let (status, body) = bench
        .create("alice", "k-2", json!({"productId": "free-money"}))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = bench.create("alice", "k-3", json!({"amount": 1})).await;
    assert_eq!(status, 400);
    let (_, orders) = bench.sandbox_get("/sandbox/orders").await;
    assert_eq!(orders.as_array().unwrap().len(), 1);
    bench.stop().await;
}

async fn the_same_idempotency_key_gives_the_same_ticket(backend: Backend) {
    let bench = Bench::start(backend).await;
    let body = json!({"productId": "vip-month"});
    let (s1, first) = bench.create("alice", "key-1", body.clone()).await;
    let (s2, again) = bench.create("alice", "key-1", body.clone()).await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(first["orderStr"], again["orderStr"]);
    assert_eq!(first["mercOrderNo"], again["mercOrderNo"]);
    assert_eq!(first["mercContractCode"], again["mercContractCode"]);
    // The same key for another product is a client error, not a silent second order.
    let (status, _) = bench
        .create("alice", "key-1", json!({"productId": "vip-year"}))
        .await;
    assert_eq!(status, 409);
    // Keys are per user: bob's "key-1" is his own order.
    let (status, bobs) = bench.create("bob", "key-1", body.clone()).await;
    assert_eq!(status, 200);
    assert_ne!(bobs["mercOrderNo"], first["mercOrderNo"]);
    // Concurrent retries of one key: one order.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let http = bench.http.clone();
        let url = format!("{}/paysign/orders", bench.server().base_url());
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .header("X-Paysign-User", "carol")
                .header("Idempotency-Key", "carol-key")
                .json(&json!({"productId": "vip-month"}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }));
    }
    let mut numbers = std::collections::BTreeSet::new();
    for t in tasks {
        let (status, v) = t.await.unwrap();
        // A retry racing the first request is told to retry (409), never given a new order.
        assert!(status == 200 || status == 409, "{status} {v}");
        if status == 200 {
            numbers.insert(v["mercOrderNo"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(numbers.len(), 1, "{numbers:?}");
    let (_, orders) = bench.sandbox_get("/sandbox/orders").await;
    assert_eq!(orders.as_array().unwrap().len(), 3);

    // A pre-order that never finished (the server died mid-call): while recent, the key waits;
    // once stale, the key makes a new order (no ticket was ever handed out for the old one).
    let (_, dave) = bench.create("dave", "dave-key", body.clone()).await;
    let old_no = dave["mercOrderNo"].as_str().unwrap().to_owned();
    sqlx::query(
        "UPDATE orders SET payment = 'PREPARING', order_str = NULL, ticket_ms = NULL \
         WHERE merc_order_no = $1",
    )
    .bind(&old_no)
    .execute(&bench.server().state.db.pool)
    .await
    .unwrap();
    assert_eq!(bench.create("dave", "dave-key", body.clone()).await.0, 409);
    assert_eq!(bench.status("dave", &old_no).await.0, 404);
    sqlx::query("UPDATE orders SET created_ms = created_ms - 600000 WHERE merc_order_no = $1")
        .bind(&old_no)
        .execute(&bench.server().state.db.pool)
        .await
        .unwrap();
    let (status, fresh) = bench.create("dave", "dave-key", body.clone()).await;
    assert_eq!(status, 200, "{fresh}");
    assert_ne!(fresh["mercOrderNo"].as_str().unwrap(), old_no);
    bench.stop().await;
}

async fn concurrent_copies_of_a_callback_on_two_instances_apply_once(backend: Backend) {
    let mut bench = Bench::start(backend).await;
    bench.add_server().await;
    let (no, _) = bench.new_order("alice").await;
    bench.pay(&no).await;
    let body = bench.notification("ORDER_PAID", &no).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let http = bench.http.clone();
        let url = format!(
            "{}/paysign/callbacks/payment",
            bench.servers[i % 2].base_url()
        );
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let r = http.post(url).body(body).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }));
    }
    for t in tasks {
        let (status, answer) = t.await.unwrap();
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer, SUCCESS);
    }
    let applied: u64 = bench
        .servers
        .iter()
        .map(|s| s.state.metrics.callback_count("payment", "applied"))
        .sum();
    let duplicates: u64 = bench
        .servers
        .iter()
        .map(|s| s.state.metrics.callback_count("payment", "duplicate"))
        .sum();
    assert_eq!(applied, 1);
    assert_eq!(duplicates, 49);
    assert_eq!(
        bench
            .db_count("SELECT COUNT(*) FROM callbacks WHERE subject = $1", &no)
            .await,
        1
    );
    assert_eq!(bench.status("alice", &no).await.1["payment"], "PAID");
    bench.stop().await;
}

async fn a_tampered_or_forged_callback_changes_nothing(backend: Backend) {
    let bench = Bench::start(backend).await;
    let (no, code) = bench.new_order("alice").await;
    bench.pay(&no).await;
    let body = bench.notification("ORDER_PAID", &no).await;

    // A changed amount: the signature no longer matches.
    let tampered = body.replace(&format!("\"totalAmount\":{PRICE}"), "\"totalAmount\":1");
    assert_ne!(tampered, body);
    let (status, answer) = bench.deliver("payment", &tampered).await;
    assert_eq!(status, 400);
    assert_ne!(answer, SUCCESS);
    // Signed by someone else's key.
    let mut forged: Value = serde_json::from_str(&body).unwrap();
    forged.as_object_mut().unwrap().remove("sign");
    let forger = paysign_crypto::PrivateKey::generate_sm2().unwrap();
    let forged = paysign_crypto::sign_body(&forged.to_string(), &forger).unwrap();
    let (status, _) = bench.deliver("payment", &forged).await;
    assert_eq!(status, 400);
    // No signature, not JSON, too large.
    let mut unsigned: Value = serde_json::from_str(&body).unwrap();
    unsigned.as_object_mut().unwrap().remove("sign");
    assert_eq!(bench.deliver("payment", &unsigned.to_string()).await.0, 400);
    assert_eq!(bench.deliver("payment", "not json").await.0, 400);
    // Too large: 413, answered as soon as the length is read. A client still uploading may
    // see the connection reset before it reads that answer (the server does not drain what it
    // refused); either way it is not success and nothing is stored (counted below).
    // tests/boundaries.rs reads the 413 itself over raw TCP.
    let huge = format!("{{\"pad\":\"{}\"}}", "x".repeat(128 * 1024));
    if let Ok((status, _)) = bench.try_deliver_to(0, "payment", &huge).await {
        assert_eq!(status, 413);
    }
    // A real notification at the wrong endpoint is not read as a contract.
    let (status, answer) = bench.deliver("contract", &body).await;
    assert_ne!(status, 200);
    assert_ne!(answer, SUCCESS);

    let (_, s) = bench.status("alice", &no).await;
    assert_eq!(s["payment"], "PENDING");
    assert_eq!(
        bench
            .db_count("SELECT COUNT(*) FROM callbacks WHERE subject = $1", &no)
            .await,
        0
    );
    let m = &bench.server().state.metrics;
    assert!(m.callback_count("payment", "invalid") >= 4);
    // Refused callbacks stop counting as on their way to the writer, which would otherwise
    // hold every later batch for its commit delay.
    assert_eq!(bench.server().state.committer.on_the_way(), 0);

    // A genuine notification for an order this server never made: not success.
    let stranger = "PS-MADE-ELSEWHERE-1";
    let client = paysign_pas::PasClient::new(paysign_pas::ClientConfig::new(
        bench.sandbox.base_url(),
        paysign_pas::MerchantModel::Direct,
        paysign_pas::MerchantSigner::new(MERC_NO, AUTH_ID, bench.merchant_key.clone()),
        bench.sandbox.public_key(),
    ))
    .unwrap();
    client
        .pas_prepay(
            &paysign_pas::model::PrepayRequest {
                app_id: APP_ID.to_owned(),
                merc_no: MERC_NO.to_owned(),
                order: paysign_pas::model::PrepayOrder {
                    merc_order_no: stranger.to_owned(),
                    trade_summary: "elsewhere".to_owned(),
                    total_amount: 1,
                    currency: None,
                    goods_detail: None,
                    allocation_type: None,
                    callback_url: "https://elsewhere.example/cb".to_owned(),
                    payload: None,
                    expire_time: None,
                    contract_info: paysign_pas::model::ContractInfo {
                        plan_id: PLAN_ID.to_owned(),
                        merc_contract_code: "PC-ELSEWHERE-1".to_owned(),
                        callback_url: "https://elsewhere.example/cb".to_owned(),
                    },
                    payer: None,
                },
            },
            paysign_pas::PrepayChannel::App,
        )
        .await
        .unwrap();
    bench.pay(stranger).await;
    let strange = bench.notification("ORDER_PAID", stranger).await;
    let (status, answer) = bench.deliver("payment", &strange).await;
    assert_eq!(status, 404);
    assert_ne!(answer, SUCCESS);
    assert_eq!(m.callback_count("payment", "unknown"), 1);

    // The genuine one still applies afterwards.
    bench.deliver_ok("payment", &body).await;
    assert_eq!(bench.status("alice", &no).await.1["payment"], "PAID");
    let _ = code;
    bench.stop().await;
}

async fn a_lost_callback_is_recovered_by_the_worker(backend: Backend) {
    let bench = Bench::start(backend).await;
    let (no, code) = bench.new_order("alice").await;
    bench.pay(&no).await;
    let contract_id = bench.sign(&code).await;
    // No notification reaches the server; the worker asks Payment Kit.
    assert_eq!(bench.status("alice", &no).await.1["payment"], "PENDING");
    bench.reconcile().await;
    let (_, s) = bench.status("alice", &no).await;
    assert_eq!(s["payment"], "PAID");
    assert_eq!(s["contract"], "SIGNED");
    assert_eq!(s["contractId"], contract_id.as_str());
    // The notification arriving late changes nothing and is still answered success.
    let late = bench.notification("ORDER_PAID", &no).await;
    bench.deliver_ok("payment", &late).await;
    assert_eq!(
        bench
            .server()
            .state
            .metrics
            .callback_count("payment", "no_change"),
        1
    );

    // A failed payment sends no notification: the worker learns it by query.
    let (failed, _) = bench.new_order("alice").await;
    bench
        .sandbox_post(
            &format!("/sandbox/orders/{MERC_NO}/{failed}/fail"),
            json!({}),
        )
        .await;
    // An order nobody pays: closed once Payment Kit says it expired.
    let (lapsed, _) = bench.new_order("alice").await;
    bench
        .sandbox_post("/sandbox/clock", json!({"advanceMs": 3 * 3_600_000}))
        .await;
    bench.reconcile().await;
    for n in [&failed, &lapsed] {
        let (_, s) = bench.status("alice", n).await;
        assert_eq!(s["payment"], "NOT_PAID", "{n}: {s}");
        assert_eq!(s["contract"], "NOT_SIGNED", "{n}: {s}");
    }
    // Nothing is left pending for the worker.
    assert_eq!(bench.reconcile().await, 0);
    bench.stop().await;
}

async fn refunds_are_idempotent_and_bounded(backend: Backend) {
    let bench = Bench::start(backend).await;
    let (no, code) = bench.new_order("alice").await;
    // Not paid yet: nothing to refund.
    let (status, _) = bench
        .admin_post(
            &format!("/admin/orders/{no}/refunds"),
            json!({"amountFen": 100}),
        )
        .await;
    assert_eq!(status, 409);
    bench.pay_and_sign(&no, &code).await;

    let body = json!({"mercRefundOrderNo": "R-1", "amountFen": 500, "reason": "test"});
    let (status, r) = bench
        .admin_post(&format!("/admin/orders/{no}/refunds"), body.clone())
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["state"], "PENDING");
    assert_eq!(r["amountFen"], 500);
    // The same number again: the same refund, nothing new at Payment Kit.
    let (status, again) = bench
        .admin_post(&format!("/admin/orders/{no}/refunds"), body.clone())
        .await;
    assert_eq!(status, 200);
    assert_eq!(again["mercRefundOrderNo"], "R-1");
    let (_, refunds) = bench.sandbox_get("/sandbox/refunds").await;
    assert_eq!(refunds.as_array().unwrap().len(), 1);
    // More than what is left: refused before Payment Kit is asked.
    let (status, _) = bench
        .admin_post(
            &format!("/admin/orders/{no}/refunds"),
            json!({"mercRefundOrderNo": "R-2", "amountFen": PRICE}),
        )
        .await;
    assert_eq!(status, 409);

    bench
        .sandbox_post(
            &format!("/sandbox/refunds/{MERC_NO}/R-1/complete"),
            json!({"success": true}),
        )
        .await;
    let notified = bench.notification("REFUND_FINISHED", "R-1").await;
    bench.deliver_ok("refund", &notified).await;
    let (_, r) = bench.admin_get("/admin/refunds/R-1").await;
    assert_eq!(r["state"], "SUCCESS");

    // The rest, without a number: the server makes one (a minute later: Payment Kit spaces
    // refunds of one order); a query learns the result.
    bench
        .sandbox_post("/sandbox/clock", json!({"advanceMs": 61_000}))
        .await;
    let (status, rest) = bench
        .admin_post(&format!("/admin/orders/{no}/refunds"), json!({}))
        .await;
    assert_eq!(status, 200, "{rest}");
    assert_eq!(rest["amountFen"], PRICE - 500);
    let rest_no = rest["mercRefundOrderNo"].as_str().unwrap().to_owned();
    bench
        .sandbox_post(
            &format!("/sandbox/refunds/{MERC_NO}/{rest_no}/complete"),
            json!({"success": false}),
        )
        .await;
    let (_, r) = bench
        .admin_get(&format!("/admin/refunds/{rest_no}?query=true"))
        .await;
    assert_eq!(r["state"], "FAILED");
    // A failed refund gives its amount back.
    let (_, detail) = bench.admin_get(&format!("/admin/orders/{no}")).await;
    assert_eq!(detail["order"]["refundedFen"], 500);
    assert_eq!(detail["refunds"].as_array().unwrap().len(), 2);
    // The app still sees a paid order.
    assert_eq!(bench.status("alice", &no).await.1["payment"], "PAID");
    bench.stop().await;
}

async fn unsign_ends_the_contract_and_a_late_sign_does_not_revive_it(backend: Backend) {
    let bench = Bench::start(backend).await;
    // The merchant ends a contract.
    let (no, code) = bench.new_order("alice").await;
    bench.pay_and_sign(&no, &code).await;
    let (status, c) = bench
        .admin_post(&format!("/admin/contracts/{code}/unsign"), json!({}))
        .await;
    assert_eq!(status, 200, "{c}");
    let ended = bench.notification("CONTRACT_UNSIGNED", &code).await;
    bench.deliver_ok("contract", &ended).await;
    let (_, detail) = bench.admin_get(&format!("/admin/contracts/{code}")).await;
    assert_eq!(detail["contract"]["state"], "UNSIGNED");
    let (_, s) = bench.status("alice", &no).await;
    assert_eq!(s["payment"], "PAID");
    assert_eq!(s["contract"], "NOT_SIGNED");
    // A signed contract cannot be charged once ended; unsign again is a no-op.
    let (status, _) = bench
        .admin_post(
            &format!("/admin/contracts/{code}/charges"),
            json!({"productId": "vip-month"}),
        )
        .await;
    assert_eq!(status, 409);

    // The user ends one; the unsign notification overtakes the sign notification.
    let (no2, code2) = bench.new_order("bob").await;
    bench.pay(&no2).await;
    bench.sign(&code2).await;
    let signed = bench.notification("CONTRACT_SIGNED", &code2).await;
    bench
        .sandbox_post(
            &format!("/sandbox/contracts/{MERC_NO}/{code2}/unsign"),
            json!({"changeMode": "USER_UNSIGN"}),
        )
        .await;
    let unsigned = bench.notification("CONTRACT_UNSIGNED", &code2).await;
    bench.deliver_ok("contract", &unsigned).await;
    bench.deliver_ok("contract", &signed).await;
    let (_, detail) = bench.admin_get(&format!("/admin/contracts/{code2}")).await;
    assert_eq!(detail["contract"]["state"], "UNSIGNED");
    assert_eq!(bench.status("bob", &no2).await.1["contract"], "NOT_SIGNED");

    // The merchant's unsign confirmed by the worker when the notification is lost.
    let (no3, code3) = bench.new_order("carol").await;
    bench.pay_and_sign(&no3, &code3).await;
    let (status, _) = bench
        .admin_post(&format!("/admin/contracts/{code3}/unsign"), json!({}))
        .await;
    assert_eq!(status, 200);
    bench.reconcile().await;
    let (_, detail) = bench.admin_get(&format!("/admin/contracts/{code3}")).await;
    assert_eq!(detail["contract"]["state"], "UNSIGNED");
    bench.stop().await;
}

async fn bills_are_checked_against_the_database(backend: Backend) {
    let bench = Bench::start(backend).await;
    let (no, code) = bench.new_order("alice").await;
    bench.pay_and_sign(&no, &code).await;
    let (status, _) = bench
        .admin_post(
            &format!("/admin/orders/{no}/refunds"),
            json!({"mercRefundOrderNo": "R-B1", "amountFen": 300}),
        )
        .await;
    assert_eq!(status, 200);
    bench
        .sandbox_post(
            &format!("/sandbox/refunds/{MERC_NO}/R-B1/complete"),
            json!({}),
        )
        .await;
    let n = bench.notification("REFUND_FINISHED", "R-B1").await;
    bench.deliver_ok("refund", &n).await;
    // Paid at Payment Kit, but its notification never came: a difference.
    let (lost, _) = bench.new_order("bob").await;
    bench.pay(&lost).await;

    let today = paysign_merchant::time::bill_date_of(paysign_merchant::time::now_ms());
    // No bill for today yet (Payment Kit makes them the next day).
    let (status, _) = bench
        .admin_get(&format!("/admin/bills/trade/{today}"))
        .await;
    assert_eq!(status, 502);
    // Both bills of today exist from 15:00 Beijing time tomorrow: the sandbox's clock goes to
    // 16:00 then (a fixed advance failed the settle bill when run before 09:00 Beijing time).
    let (_, today_ends) = paysign_merchant::time::bill_day(&today).unwrap();
    let advance = today_ends + 16 * 3_600_000 - paysign_merchant::time::now_ms();
    bench
        .sandbox_post("/sandbox/clock", json!({ "advanceMs": advance }))
        .await;
    for kind in ["trade", "settle"] {
        let (status, report) = bench
            .admin_get(&format!("/admin/bills/{kind}/{today}"))
            .await;
        assert_eq!(status, 200, "{kind}: {report}");
        assert_eq!(report["billRows"], 3, "{kind}: {report}");
        assert_eq!(report["matched"], 2, "{kind}: {report}");
        let missing = report["missingInDatabase"].as_array().unwrap();
        assert_eq!(missing.len(), 1, "{kind}: {report}");
        assert_eq!(missing[0]["mercOrderNo"], lost.as_str());
        assert_eq!(missing[0]["billFen"], PRICE);
        assert_eq!(report["missingInBill"].as_array().unwrap().len(), 0);
        assert_eq!(report["amountMismatches"].as_array().unwrap().len(), 0);
    }
    // The worker fetches the lost payment; the trade bill then matches entirely.
    bench.reconcile().await;
    let (_, report) = bench
        .admin_get(&format!("/admin/bills/trade/{today}"))
        .await;
    assert_eq!(report["matched"], 3, "{report}");
    assert_eq!(report["missingInDatabase"].as_array().unwrap().len(), 0);
    // A database that disagrees with the bill is reported, not trusted.
    sqlx::query("UPDATE orders SET amount_fen = 1499 WHERE merc_order_no = $1")
        .bind(&no)
        .execute(&bench.server().state.db.pool)
        .await
        .unwrap();
    let (_, report) = bench
        .admin_get(&format!("/admin/bills/trade/{today}"))
        .await;
    let mismatches = report["amountMismatches"].as_array().unwrap();
    assert_eq!(mismatches.len(), 1, "{report}");
    assert_eq!(mismatches[0]["mercOrderNo"], no.as_str());
    assert_eq!(mismatches[0]["billFen"], PRICE);
    assert_eq!(mismatches[0]["databaseFen"], 1499);
    // Bad input.
    assert_eq!(
        bench.admin_get("/admin/bills/trade/2024-01-01").await.0,
        400
    );
    assert_eq!(bench.admin_get("/admin/bills/weekly/20240101").await.0, 400);
    bench.stop().await;
}

async fn instances_share_the_reconcile_work_without_doubling_it(backend: Backend) {
    let mut bench = Bench::start(backend).await;
    bench.add_server().await;
    let mut numbers = Vec::new();
    for i in 0..6 {
        let (no, _) = bench.new_order(&format!("user-{i}")).await;
        bench.pay(&no).await;
        numbers.push(no);
    }
    // Both instances reconcile at once; leases hand each order to one of them.
    let (a, b) = tokio::join!(
        paysign_merchant::reconcile::run_once(&bench.servers[0].state),
        paysign_merchant::reconcile::run_once(&bench.servers[1].state),
    );
    assert!(a + b >= 6, "{a} + {b}");
    let queries: u64 = bench
        .servers
        .iter()
        .map(|s| s.state.metrics.payment_kit_calls("query_order", "ok"))
        .sum();
    assert_eq!(queries, 6, "each pending payment is asked about once");
    for (i, no) in numbers.iter().enumerate() {
        let (_, s) = bench.status(&format!("user-{i}"), no).await;
        assert_eq!(s["payment"], "PAID", "{no}");
    }
    // Settled: nothing is due any more, on either instance.
    assert_eq!(
        paysign_merchant::reconcile::run_once(&bench.servers[1].state).await,
        0
    );
    bench.stop().await;
}

async fn a_signed_contract_is_charged_without_the_cashier(backend: Backend) {
    let bench = Bench::start(backend).await;
    // The sandbox leaves debits processing until the test decides.
    bench
        .sandbox_post(
            "/sandbox/withhold-settings",
            json!({"maxDebits": 3, "windowMs": 4 * 3_600_000, "autoResult": "OFF", "autoDelayMs": 0}),
        )
        .await;
    let (no, code) = bench.new_order("alice").await;
    // Not signed yet: nothing to charge.
    let (status, _) = bench
        .admin_post(
            &format!("/admin/contracts/{code}/charges"),
            json!({"productId": "vip-month"}),
        )
        .await;
    assert_eq!(status, 409);
    let contract_id = bench.pay_and_sign(&no, &code).await;

    // Accepted means pending; the same mercOrderNo again is the same debit.
    let charge = json!({"productId": "vip-month", "mercOrderNo": "PD-1"});
    let (status, d) = bench
        .admin_post(&format!("/admin/contracts/{code}/charges"), charge.clone())
        .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["state"], "PENDING");
    assert_eq!(d["amountFen"], PRICE);
    assert_eq!(d["contractId"], contract_id.as_str());
    assert!(d["sysTransOrderNo"].is_string(), "{d}");
    let (status, again) = bench
        .admin_post(&format!("/admin/contracts/{code}/charges"), charge.clone())
        .await;
    assert_eq!(status, 200);
    assert_eq!(again["mercOrderNo"], "PD-1");
    let (status, _) = bench
        .admin_post(
            &format!("/admin/contracts/{code}/charges"),
            json!({"amountFen": 1, "mercOrderNo": "PD-1"}),
        )
        .await;
    assert_eq!(status, 409, "one number, one debit");
    let (_, debits) = bench.sandbox_get("/sandbox/debits").await;
    assert_eq!(debits.as_array().unwrap().len(), 1);

    // Charged: the notification (a payment notification without contractId) settles it.
    bench
        .sandbox_post(
            &format!("/sandbox/debits/{MERC_NO}/PD-1/succeed"),
            json!({}),
        )
        .await;
    let n = bench.notification("DEBIT_FINISHED", "PD-1").await;
    bench.deliver_ok("payment", &n).await;
    let (_, d) = bench.admin_get("/admin/debits/PD-1").await;
    assert_eq!(d["state"], "PAID", "{d}");
    // A tampered debit notification changes nothing.
    let tampered = n.replace(&format!("\"totalAmount\":{PRICE}"), "\"totalAmount\":1");
    assert_eq!(bench.deliver("payment", &tampered).await.0, 400);

    // A failed debit sends maybe no notification: the worker learns it by query.
    let (status, d2) = bench
        .admin_post(
            &format!("/admin/contracts/{code}/charges"),
            json!({"amountFen": 990}),
        )
        .await;
    assert_eq!(status, 200, "{d2}");
    let d2_no = d2["mercOrderNo"].as_str().unwrap().to_owned();
    bench
        .sandbox_post(
            &format!("/sandbox/debits/{MERC_NO}/{d2_no}/fail"),
            json!({}),
        )
        .await;
    bench.reconcile().await;
    let (_, d2) = bench.admin_get(&format!("/admin/debits/{d2_no}")).await;
    assert_eq!(d2["state"], "NOT_PAID", "{d2}");

    // Over Payment Kit's count: WITHHOLD_OVER_TIMES holds everything back for 4 hours.
    let (status, d3) = bench
        .admin_post(
            &format!("/admin/contracts/{code}/charges"),
            json!({"productId": "vip-month"}),
        )
        .await;
    assert_eq!(status, 200, "{d3}");
    let (status, d4) = bench
        .admin_post(
            &format!("/admin/contracts/{code}/charges"),
            json!({"productId": "vip-month"}),
        )
        .await;
    assert_eq!(status, 200, "{d4}");
    assert_eq!(d4["state"], "SCHEDULED", "{d4}");
    assert_eq!(d4["failure"], "WITHHOLD_OVER_TIMES");
    let wait = d4["sendAfterMs"].as_i64().unwrap() - paysign_merchant::time::now_ms();
    assert!(wait > 4 * 3_600_000 - 60_000, "{wait}");
    let (status, refused) = bench
        .admin_post(
            &format!("/admin/contracts/{code}/charges"),
            json!({"productId": "vip-month"}),
        )
        .await;
    assert_eq!(status, 429, "{refused}");
    bench.reconcile().await;
    let (_, debits) = bench.sandbox_get("/sandbox/debits").await;
    assert_eq!(
        debits.as_array().unwrap().len(),
        3,
        "nothing sent sooner than 4 h"
    );
    let _ = d3;
    bench.stop().await;
}

async fn a_service_provider_sells_for_its_sub_merchant(backend: Backend) {
    let extra = format!("{SERVICE_PROVIDER_MARK}\n{RECONCILE_BY_HAND}");
    let bench = Bench::start_with(backend, &extra).await;
    bench
        .sandbox_post(
            "/sandbox/withhold-settings",
            json!({"maxDebits": 5, "windowMs": 3_600_000, "autoResult": "OFF", "autoDelayMs": 0}),
        )
        .await;
    let (status, ticket) = bench
        .create("alice", "sp-1", json!({"productId": "vip-month"}))
        .await;
    assert_eq!(status, 200, "{ticket}");
    let no = ticket["mercOrderNo"].as_str().unwrap().to_owned();
    let code = ticket["mercContractCode"].as_str().unwrap().to_owned();
    // The orderStr names the provider and the sub-merchant's app.
    let order_str: Value = serde_json::from_str(ticket["orderStr"].as_str().unwrap()).unwrap();
    assert_eq!(order_str["merc_no"], SP_MERC_NO);
    assert_eq!(order_str["app_id"], SUB_APP_ID);
    let (_, sandbox_order) = bench
        .sandbox_get(&format!("/sandbox/orders/{SP_MERC_NO}/{no}"))
        .await;
    assert_eq!(sandbox_order["subMercNo"], SUB_MERC_NO, "{sandbox_order}");

    let contract_id = bench.pay_and_sign(&no, &code).await;
    let (_, s) = bench.status("alice", &no).await;
    assert_eq!(s["payment"], "PAID");
    assert_eq!(s["contract"], "SIGNED");
    assert_eq!(s["contractId"], contract_id.as_str());

    // Refund and charge through the partner APIs.
    let (status, r) = bench
        .admin_post(
            &format!("/admin/orders/{no}/refunds"),
            json!({"amountFen": 100}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["state"], "PENDING");
    let (status, d) = bench
        .admin_post(
            &format!("/admin/contracts/{code}/charges"),
            json!({"productId": "vip-month", "mercOrderNo": "PD-SP-1"}),
        )
        .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["state"], "PENDING");
    bench
        .sandbox_post(
            &format!("/sandbox/debits/{SP_MERC_NO}/PD-SP-1/succeed"),
            json!({}),
        )
        .await;
    bench.reconcile().await;
    let (_, d) = bench.admin_get("/admin/debits/PD-SP-1").await;
    assert_eq!(d["state"], "PAID", "{d}");
    bench.stop().await;
}

/// `mark_paid` (one statement on PostgreSQL, two on SQLite): a verified success after the order
/// was judged unpaid pays it and makes its unsigned contract pending again, once; a paid order is
/// not paid twice, and a contract that has a contractId is left alone.
async fn a_late_verified_success_pays_a_failed_order_and_revives_its_contract(backend: Backend) {
    use paysign_merchant::store;
    let bench = Bench::start(backend).await;
    let db = &bench.server().state.db;
    let (no, code) = bench.new_order("alice").await;
    let mut tx = db.begin_write().await.unwrap();
    assert!(store::mark_not_paid(&mut tx, &no, 1).await.unwrap());
    tx.commit().await.unwrap();
    let (_, s) = bench.status("alice", &no).await;
    assert_eq!(
        (s["payment"].as_str(), s["contract"].as_str()),
        (Some("NOT_PAID"), Some("NOT_SIGNED"))
    );

    for (round, expect_change) in [(0, true), (1, false)] {
        let mut tx = db.begin_write().await.unwrap();
        let changed = store::mark_paid(&mut tx, &no, Some("SYS-LATE"), None, 2, 2)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(changed, expect_change, "round {round}");
    }
    let order = store::order(db, &no).await.unwrap().unwrap();
    assert_eq!(order.payment, "PAID");
    assert_eq!(order.sys_trans_order_no.as_deref(), Some("SYS-LATE"));
    assert_eq!(
        store::contract(db, &code).await.unwrap().unwrap().state,
        "PENDING"
    );

    // Another order: its contract reached NOT_SIGNED with a contractId (ended after signing):
    // a late payment does not make it pending.
    let (no2, code2) = bench.new_order("alice").await;
    let mut tx = db.begin_write().await.unwrap();
    assert!(store::mark_not_paid(&mut tx, &no2, 1).await.unwrap());
    sqlx::query("UPDATE contracts SET contract_id = $1 WHERE merc_contract_code = $2")
        .bind("C-ENDED")
        .bind(&code2)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.begin_write().await.unwrap();
    assert!(store::mark_paid(&mut tx, &no2, None, None, 3, 3)
        .await
        .unwrap());
    tx.commit().await.unwrap();
    assert_eq!(
        store::contract(db, &code2).await.unwrap().unwrap().state,
        "NOT_SIGNED"
    );
    bench.stop().await;
}

/// Every page of a listing, two rows at a time, each page starting after the last row of the
/// one before (`before` and `beforeKey`).
async fn page_through(bench: &Bench, path: &str, key: &str) -> Vec<Value> {
    let mut all: Vec<Value> = Vec::new();
    let mut start = String::new();
    loop {
        let (status, page) = bench.admin_get(&format!("{path}?limit=2{start}")).await;
        assert_eq!(status, 200, "{page}");
        let rows = page.as_array().unwrap();
        let Some(last) = rows.last() else {
            return all;
        };
        start = format!(
            "&before={}&beforeKey={}",
            last["createdMs"],
            last[key].as_str().unwrap()
        );
        all.extend(rows.iter().cloned());
        assert!(all.len() <= 14, "the pages never end: {all:?}");
    }
}

/// The operations API lists orders and contracts newest first, a page at a time, and lists each
/// row once even when several were made in the same millisecond, as under load (paging by time
/// alone skipped the rest of that millisecond). Each page is read through the listing index in
/// its order, not by sorting the table.
async fn operations_list_every_row_once_across_pages(backend: Backend) {
    use paysign_merchant::store::Listing;
    let bench = Bench::start(backend).await;
    let mut made = Vec::new();
    for i in 0..7 {
        made.push(bench.new_order(&format!("lister-{i}")).await);
    }
    let tied: Vec<String> = made[1..6].iter().map(|(no, _)| format!("'{no}'")).collect();
    let pool = &bench.server().state.db.pool;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "UPDATE orders SET created_ms = 1700000000000 WHERE merc_order_no IN ({0}); \
         UPDATE contracts SET created_ms = 1700000000000 WHERE merc_order_no IN ({0})",
        tied.join(", ")
    )))
    .execute(pool)
    .await
    .unwrap();

    for (path, key) in [
        ("/admin/orders", "mercOrderNo"),
        ("/admin/contracts", "mercContractCode"),
    ] {
        let paged = page_through(&bench, path, key).await;
        let (_, whole) = bench.admin_get(&format!("{path}?limit=50")).await;
        let keys = |rows: &[Value]| -> Vec<String> {
            rows.iter()
                .map(|r| r[key].as_str().unwrap().to_owned())
                .collect()
        };
        let paged_keys = keys(&paged);
        assert_eq!(paged_keys, keys(whole.as_array().unwrap()), "{path}");
        let mut expected: Vec<String> = made
            .iter()
            .map(|(no, code)| if key == "mercOrderNo" { no } else { code }.clone())
            .collect();
        expected.sort();
        let mut seen = paged_keys.clone();
        seen.sort();
        assert_eq!(seen, expected, "{path}: each row once");
        // Newest first; within one millisecond, by key.
        for pair in paged.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let (ta, tb) = (
                a["createdMs"].as_i64().unwrap(),
                b["createdMs"].as_i64().unwrap(),
            );
            assert!(
                ta > tb || (ta == tb && a[key].as_str() < b[key].as_str()),
                "{path}: {a} before {b}"
            );
        }
        // `before` alone: strictly older rows only (none here).
        let (status, older) = bench
            .admin_get(&format!("{path}?before=1700000000000"))
            .await;
        assert_eq!((status, older), (200, json!([])));
        let (status, refused) = bench.admin_get(&format!("{path}?beforeKey=x")).await;
        assert_eq!(status, 400, "{refused}");
    }

    // The plan: the listing index, entered where the page starts, and no sort.
    for (listing, index) in [
        (Listing::Orders, "orders_created"),
        (Listing::Contracts, "contracts_created"),
    ] {
        let plan = match backend {
            Backend::Sqlite => {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "EXPLAIN QUERY PLAN {}",
                    listing.sql()
                )))
                .bind(1_700_000_000_000_i64)
                .bind("PS0")
                .bind(2_i64)
                .fetch_all(pool)
                .await
                .unwrap();
                rows.iter()
                    .map(|r| sqlx::Row::get::<String, _>(r, 3))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            Backend::Postgres => {
                // Told to avoid scanning the table, the planner shows whether the index can
                // serve the query at all (with a handful of rows it would rather scan).
                let mut tx = pool.begin().await.unwrap();
                sqlx::raw_sql("SET LOCAL enable_seqscan = off")
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN {}", listing.sql())))
                    .bind(1_700_000_000_000_i64)
                    .bind("PS0")
                    .bind(2_i64)
                    .fetch_all(&mut *tx)
                    .await
                    .unwrap();
                tx.rollback().await.unwrap();
                rows.iter()
                    .map(|r| sqlx::Row::get::<String, _>(r, 0))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
        };
        assert!(plan.contains(index), "{listing:?}: {plan}");
        assert!(
            !plan.contains("TEMP B-TREE") && !plan.contains("Sort"),
            "{listing:?} sorts: {plan}"
        );
    }
    bench.stop().await;
}
