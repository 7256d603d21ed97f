//! The HTTP calls of a run: the app's order creation, the sandbox's operator API (standing in for
//! the user in the cashier, and for reading what Payment Kit saw), a callback POSTed as Payment
//! Kit posts it, and the merchant's `/metrics`.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::client;
use crate::stack::{MERC_NO, PRODUCT};
use crate::{Ctx, Res};

/// A string member of a JSON object.
pub fn str_at<'a>(v: &'a Value, key: &str) -> Res<&'a str> {
    v.get(key).and_then(Value::as_str).ctx(key)
}

async fn json_of(r: reqwest::Response, what: &str) -> Res<Value> {
    let status = r.status().as_u16();
    let text = r.text().await.ctx(what)?;
    if status != 200 {
        return Err(format!("{what}: HTTP {status}: {text}"));
    }
    serde_json::from_str(&text).ctx(what)
}

/// The app creates an order (dev auth: the user in `X-Paysign-User`): (mercOrderNo, mercContractCode).
pub async fn create_order(
    http: &reqwest::Client,
    merchant_url: &str,
    user: &str,
    key: &str,
) -> Res<(String, String)> {
    let r = http
        .post(format!("{merchant_url}/paysign/orders"))
        .header("X-Paysign-User", user)
        .header("Idempotency-Key", key)
        .json(&json!({ "productId": PRODUCT }))
        .send()
        .await
        .ctx("POST /paysign/orders")?;
    let ticket = json_of(r, "POST /paysign/orders").await?;
    Ok((
        str_at(&ticket, "mercOrderNo")?.to_owned(),
        str_at(&ticket, "mercContractCode")?.to_owned(),
    ))
}

async fn operator_post(
    http: &reqwest::Client,
    sandbox: &str,
    path: &str,
    body: Value,
) -> Res<Value> {
    let r = http
        .post(format!("{sandbox}{path}"))
        .json(&body)
        .send()
        .await
        .ctx(path)?;
    json_of(r, path).await
}

pub async fn operator_get(http: &reqwest::Client, sandbox: &str, path: &str) -> Res<Value> {
    let r = http
        .get(format!("{sandbox}{path}"))
        .send()
        .await
        .ctx(path)?;
    json_of(r, path).await
}

/// The user pays in the cashier.
pub async fn pay(http: &reqwest::Client, sandbox: &str, no: &str) -> Res<()> {
    operator_post(
        http,
        sandbox,
        &format!("/sandbox/orders/{MERC_NO}/{no}/pay"),
        json!({}),
    )
    .await
    .map(drop)
}

/// The user signs the contract (after paying).
pub async fn sign(http: &reqwest::Client, sandbox: &str, code: &str) -> Res<()> {
    operator_post(
        http,
        sandbox,
        &format!("/sandbox/contracts/{MERC_NO}/{code}/sign"),
        json!({}),
    )
    .await
    .map(drop)
}

/// Arms delivery faults for the next notifications (replaces the plan).
pub async fn callback_faults(http: &reqwest::Client, sandbox: &str, plan: Value) -> Res<()> {
    operator_post(http, sandbox, "/sandbox/callback-faults", plan)
        .await
        .map(drop)
}

/// The signed notification body of every `ORDER_PAID` event, in the order the orders were paid
/// (the sandbox's event order, which Payment Kit's notifications follow).
pub async fn paid_notifications(http: &reqwest::Client, sandbox: &str) -> Res<Vec<String>> {
    let events = operator_get(http, sandbox, "/sandbox/events").await?;
    let mut paid = Vec::new();
    for e in events.as_array().ctx("events")? {
        if e.get("kind").and_then(Value::as_str) != Some("ORDER_PAID") {
            continue;
        }
        paid.push(e.get("seq").and_then(Value::as_i64).ctx("seq")?);
    }
    paid.sort_unstable();
    let mut out = Vec::with_capacity(paid.len());
    for seq in paid {
        let n = operator_get(
            http,
            sandbox,
            &format!("/sandbox/events/{seq}/notification"),
        )
        .await?;
        out.push(str_at(&n, "body")?.to_owned());
    }
    Ok(out)
}

/// The signed notification of the `ORDER_PAID` event of one order.
pub async fn paid_notifications_of(http: &reqwest::Client, sandbox: &str, no: &str) -> Res<String> {
    let events = operator_get(http, sandbox, "/sandbox/events").await?;
    let seq = events
        .as_array()
        .ctx("events")?
        .iter()
        .find(|e| {
            e.get("kind").and_then(Value::as_str) == Some("ORDER_PAID")
                && e.get("key").and_then(Value::as_str) == Some(no)
        })
        .and_then(|e| e.get("seq").and_then(Value::as_i64))
        .ctx("the order's ORDER_PAID event")?;
    let n = operator_get(
        http,
        sandbox,
        &format!("/sandbox/events/{seq}/notification"),
    )
    .await?;
    Ok(str_at(&n, "body")?.to_owned())
}

/// POSTs a notification as Payment Kit does; `Ok` only for its exact success answer. For the
/// fault runs' few deliveries; the measured rounds use `client::Client::deliver`.
pub async fn deliver(http: &reqwest::Client, url: &str, body: String) -> Res<()> {
    let r = http
        .post(url)
        .header("Content-Type", "application/json; charset=UTF-8")
        .body(body)
        .send()
        .await
        .map_err(|e| format!("transport: {e}"))?;
    let status = r.status().as_u16();
    let body = r.bytes().await.map_err(|e| format!("reading: {e}"))?;
    client::delivered(status, &body)
}

/// One callback as the sandbox's dispatcher saw it.
#[derive(Debug, Clone)]
pub struct SeenCallback {
    pub callback_id: String,
    pub kind: String,
    pub status: String,
    /// Attempts answered with Payment Kit's success (several with duplicate copies).
    pub answered: usize,
    /// Attempts refused, cut off or answered otherwise.
    pub failed: usize,
    /// When the first success answer came (wall clock ms).
    pub first_success_ms: Option<i64>,
    /// The failed attempts: (when, the sandbox's reason).
    pub failures: Vec<(i64, String)>,
}

pub async fn seen_callbacks(http: &reqwest::Client, sandbox: &str) -> Res<Vec<SeenCallback>> {
    let list = operator_get(
        http,
        sandbox,
        &format!("/sandbox/callbacks?mercNo={MERC_NO}"),
    )
    .await?;
    let mut out = Vec::new();
    for c in list.as_array().ctx("callbacks")? {
        let attempts = c
            .get("attempts")
            .and_then(Value::as_array)
            .ctx("attempts")?;
        let ok = |a: &&Value| a.get("delivered").and_then(Value::as_bool) == Some(true);
        out.push(SeenCallback {
            callback_id: str_at(c, "callbackId")?.to_owned(),
            kind: str_at(c, "kind")?.to_owned(),
            status: str_at(c, "status")?.to_owned(),
            answered: attempts.iter().filter(ok).count(),
            failed: attempts.iter().filter(|a| !ok(a)).count(),
            first_success_ms: attempts
                .iter()
                .filter(ok)
                .filter_map(|a| a.get("atMs").and_then(Value::as_i64))
                .min(),
            failures: attempts
                .iter()
                .filter(|a| !ok(a))
                .map(|a| {
                    (
                        a.get("atMs").and_then(Value::as_i64).unwrap_or_default(),
                        a.get("error")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    )
                })
                .collect(),
        });
    }
    Ok(out)
}

/// The sandbox's count of `api` calls per item key (`/sandbox/api-calls`).
pub async fn api_calls(
    http: &reqwest::Client,
    sandbox: &str,
    api: &str,
) -> Res<HashMap<String, u64>> {
    let list = operator_get(
        http,
        sandbox,
        &format!("/sandbox/api-calls?mercNo={MERC_NO}&api={api}"),
    )
    .await?;
    list.as_array()
        .ctx("api-calls")?
        .iter()
        .map(|r| {
            Ok((
                str_at(r, "key")?.to_owned(),
                r.get("count").and_then(Value::as_u64).ctx("count")?,
            ))
        })
        .collect()
}

/// The sum of a Prometheus counter's samples whose labels contain every `label="value"` given.
pub async fn metric(
    http: &reqwest::Client,
    admin_url: &str,
    name: &str,
    labels: &[&str],
) -> Res<f64> {
    let text = http
        .get(format!("{admin_url}/metrics"))
        .send()
        .await
        .ctx("/metrics")?
        .text()
        .await
        .ctx("/metrics")?;
    Ok(sum_samples(&text, name, labels))
}

/// A merchant instance's count of callbacks that ended with `result` (applied, no_change,
/// duplicate, invalid, ...), from its `/metrics`.
pub async fn callback_results(http: &reqwest::Client, admin_url: &str, result: &str) -> Res<f64> {
    let label = format!("result=\"{result}\"");
    metric(
        http,
        admin_url,
        "paysign_merchant_callbacks_total",
        &[&label],
    )
    .await
}

/// The sum of the samples of `name` in Prometheus text whose labels contain every one given.
pub fn sum_samples(text: &str, name: &str, labels: &[&str]) -> f64 {
    let mut sum = 0.0;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        if !(rest.starts_with('{') || rest.starts_with(' ')) {
            continue;
        }
        if labels.iter().all(|l| rest.contains(l)) {
            if let Some(v) = rest.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()) {
                sum += v;
            }
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::sum_samples;

    #[test]
    fn sums_the_samples_of_one_counter_with_the_labels_asked() {
        let text = "# HELP paysign_merchant_callbacks Payment Kit notifications\n\
            # TYPE paysign_merchant_callbacks counter\n\
            paysign_merchant_callbacks_total{kind=\"payment\",result=\"applied\"} 40\n\
            paysign_merchant_callbacks_total{kind=\"contract\",result=\"applied\"} 2\n\
            paysign_merchant_callbacks_total{kind=\"payment\",result=\"duplicate\"} 7\n\
            paysign_merchant_callbacks_total_other{result=\"applied\"} 1000\n";
        let applied = ["result=\"applied\""];
        assert_eq!(
            sum_samples(text, "paysign_merchant_callbacks_total", &applied),
            42.0
        );
        assert_eq!(
            sum_samples(
                text,
                "paysign_merchant_callbacks_total",
                &["result=\"duplicate\""]
            ),
            7.0
        );
        assert_eq!(
            sum_samples(
                text,
                "paysign_merchant_callbacks_total",
                &["kind=\"contract\"", "result=\"applied\""]
            ),
            2.0
        );
        assert_eq!(
            sum_samples(text, "paysign_merchant_orders_created_total", &[]),
            0.0
        );
    }
}
