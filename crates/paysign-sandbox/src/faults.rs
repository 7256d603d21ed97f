//! Test-only misbehaviour, armed through the operator API (`POST /sandbox/faults`), so a client's
//! handling of a bad network or a bad server can be exercised against the real sandbox:
//! dropped connections (transport errors), slow answers (timeouts), `CALL_FREQUENCY_LIMITED`,
//! `500000` unavailability, and tampered responses (a signed field changed after signing).
//! Each counter is consumed by the next merchant API requests; `/sandbox/*` calls are never hit.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// What to do to the next merchant API requests. Counters count requests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct FaultPlan {
    /// Close the connection as soon as the request arrives, without answering.
    pub drop_connections: u32,
    /// Answer `300000 CALL_FREQUENCY_LIMITED` without handling the request.
    pub frequency_limited: u32,
    /// Answer `500000 UNKNOW_ERROR` without handling the request.
    pub unavailable: u32,
    /// Handle the request normally, then change a signed field of the answer.
    pub tamper_responses: u32,
    /// Wait `delay_ms` before answering this many requests.
    pub delayed_responses: u32,
    pub delay_ms: u64,
}

/// What happened to a request, counted for tests and `/sandbox/faults`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultCounts {
    pub dropped: u64,
    pub frequency_limited: u64,
    pub unavailable: u64,
    pub tampered: u64,
    pub delayed: u64,
    /// Merchant API requests that reached a handler.
    pub handled: u64,
}

#[derive(Debug, Default)]
pub struct Faults {
    plan: Mutex<FaultPlan>,
    dropped: AtomicU64,
    frequency_limited: AtomicU64,
    unavailable: AtomicU64,
    tampered: AtomicU64,
    delayed: AtomicU64,
    handled: AtomicU64,
}

/// The fault to apply before handling a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Before {
    None,
    FrequencyLimited,
    Unavailable,
}

fn take(counter: &mut u32) -> bool {
    if *counter > 0 {
        *counter -= 1;
        true
    } else {
        false
    }
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, FaultPlan> {
        self.plan.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the armed plan.
    pub fn arm(&self, plan: FaultPlan) {
        *self.lock() = plan;
    }

    pub fn plan(&self) -> FaultPlan {
        self.lock().clone()
    }

    pub fn counts(&self) -> FaultCounts {
        FaultCounts {
            dropped: self.dropped.load(Ordering::Relaxed),
            frequency_limited: self.frequency_limited.load(Ordering::Relaxed),
            unavailable: self.unavailable.load(Ordering::Relaxed),
            tampered: self.tampered.load(Ordering::Relaxed),
            delayed: self.delayed.load(Ordering::Relaxed),
            handled: self.handled.load(Ordering::Relaxed),
        }
    }

    fn take_drop(&self) -> bool {
        let hit = take(&mut self.lock().drop_connections);
        if hit {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        hit
    }

    /// The delay to wait before answering, if one is armed.
    pub fn take_delay(&self) -> Option<u64> {
        let mut plan = self.lock();
        if take(&mut plan.delayed_responses) {
            self.delayed.fetch_add(1, Ordering::Relaxed);
            Some(plan.delay_ms)
        } else {
            None
        }
    }

    pub fn take_before(&self) -> Before {
        let mut plan = self.lock();
        if take(&mut plan.frequency_limited) {
            self.frequency_limited.fetch_add(1, Ordering::Relaxed);
            Before::FrequencyLimited
        } else if take(&mut plan.unavailable) {
            self.unavailable.fetch_add(1, Ordering::Relaxed);
            Before::Unavailable
        } else {
            self.handled.fetch_add(1, Ordering::Relaxed);
            Before::None
        }
    }

    pub fn take_tamper(&self) -> bool {
        let hit = take(&mut self.lock().tamper_responses);
        if hit {
            self.tampered.fetch_add(1, Ordering::Relaxed);
        }
        hit
    }
}

/// Changes a signed field of a JSON answer so its `sign` no longer matches: an amount when there
/// is one, else `resultDesc`.
pub fn tamper(body: &[u8]) -> Vec<u8> {
    let Ok(serde_json::Value::Object(mut map)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return body.to_vec();
    };
    let amount_key = ["totalAmount", "refundAmount"]
        .into_iter()
        .find(|k| map.get(*k).is_some_and(serde_json::Value::is_i64));
    match amount_key {
        Some(k) => {
            let v = map.get(k).and_then(serde_json::Value::as_i64).unwrap_or(0);
            map.insert(k.to_owned(), serde_json::Value::from(v.saturating_add(1)));
        }
        None => {
            let desc = map
                .get("resultDesc")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("")
                .to_owned();
            map.insert(
                "resultDesc".to_owned(),
                serde_json::Value::from(format!("{desc} (altered in transit)")),
            );
        }
    }
    serde_json::to_vec(&map).unwrap_or_else(|_| body.to_vec())
}

/// The listener the sandbox serves on: a TCP listener whose connections can be cut when a
/// merchant API request arrives while `dropConnections` is armed.
pub struct FaultyListener {
    inner: TcpListener,
    faults: Arc<Faults>,
}

impl FaultyListener {
    pub fn new(inner: TcpListener, faults: Arc<Faults>) -> Self {
        Self { inner, faults }
    }
}

impl axum::serve::Listener for FaultyListener {
    type Io = FaultyStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    return (
                        FaultyStream {
                            inner: stream,
                            faults: Arc::clone(&self.faults),
                        },
                        addr,
                    );
                }
                // Accept errors (e.g. too many open files) are transient: wait and go on.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

pub struct FaultyStream {
    inner: TcpStream,
    faults: Arc<Faults>,
}

/// True when `data` starts an HTTP request to the merchant API (`METHOD /api/...`).
fn is_merchant_api_request(data: &[u8]) -> bool {
    let Some(space) = data.iter().take(8).position(|b| *b == b' ') else {
        return false;
    };
    let method = data.get(..space).unwrap_or_default();
    !method.is_empty()
        && method.iter().all(u8::is_ascii_uppercase)
        && data
            .get(space + 1..)
            .is_some_and(|rest| rest.starts_with(b"/api/"))
}

impl AsyncRead for FaultyStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let fresh = buf.filled().get(before..).unwrap_or_default();
            if !fresh.is_empty() && is_merchant_api_request(fresh) && this.faults.take_drop() {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "sandbox fault: connection dropped",
                )));
            }
        }
        polled
    }
}

impl AsyncWrite for FaultyStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, data)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_consumed_one_request_at_a_time() {
        let f = Faults::default();
        f.arm(FaultPlan {
            frequency_limited: 1,
            unavailable: 1,
            ..FaultPlan::default()
        });
        assert_eq!(f.take_before(), Before::FrequencyLimited);
        assert_eq!(f.take_before(), Before::Unavailable);
        assert_eq!(f.take_before(), Before::None);
        let c = f.counts();
        assert_eq!((c.frequency_limited, c.unavailable, c.handled), (1, 1, 1));
    }

    #[test]
    fn tampering_changes_an_amount_or_the_description() {
        let out = tamper(br#"{"totalAmount":5,"sign":"x"}"#);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["totalAmount"], 6);
        let out = tamper(br#"{"resultDesc":"Success.","sign":"x"}"#);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_ne!(v["resultDesc"], "Success.");
        assert_eq!(tamper(b"not json"), b"not json".to_vec());
    }

    #[test]
    fn only_merchant_api_requests_are_dropped() {
        assert!(is_merchant_api_request(b"POST /api/v1/aggr/x HTTP/1.1\r\n"));
        assert!(is_merchant_api_request(b"GET /api/v2/x HTTP/1.1\r\n"));
        assert!(!is_merchant_api_request(
            b"POST /sandbox/faults HTTP/1.1\r\n"
        ));
        assert!(!is_merchant_api_request(b"{\"api\": \" /api/\"}"));
    }
}
