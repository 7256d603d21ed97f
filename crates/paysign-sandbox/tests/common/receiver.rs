//! A real HTTP server on loopback that receives the sandbox's callbacks, the way a merchant
//! server does: it records every POST (path, Content-Type, body, arrival) and answers as the
//! test tells it (acknowledge, fail in various ways, answer slowly), counting how many requests
//! it handled at the same time.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;

pub const ACK: &str = r#"{"resultCode":"000000","resultDesc":"Success."}"#;

/// How the receiver answers one request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// `application/json` `{"resultCode":"000000","resultDesc":"Success."}`.
    Ack,
    /// That body, but after a pause.
    SlowAck(Duration),
    /// Another HTTP status with the acknowledgement body.
    Status(u16),
    /// The acknowledgement body as `text/plain`.
    PlainText,
    /// JSON that is not the acknowledgement.
    WrongJson,
}

#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub content_type: Option<String>,
    pub body: String,
    pub at: Instant,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
    pub fn callback_id(&self) -> String {
        self.json()["callbackId"].as_str().unwrap().to_owned()
    }
}

#[derive(Default)]
struct Inner {
    received: Mutex<Vec<Received>>,
    /// Answers for the next requests, in order; `then` once they are used up.
    script: Mutex<VecDeque<Answer>>,
    then: Mutex<Option<Answer>>,
    /// Every request is held this long before it is answered (to see concurrency).
    hold: Mutex<Duration>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

pub struct Receiver {
    addr: SocketAddr,
    inner: Arc<Inner>,
}

async fn receive(
    State(inner): State<Arc<Inner>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = inner.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    inner.max_in_flight.fetch_max(now, Ordering::SeqCst);
    inner.received.lock().unwrap().push(Received {
        path: uri.path().to_owned(),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: String::from_utf8(body.to_vec()).unwrap(),
        at: Instant::now(),
    });
    let hold = *inner.hold.lock().unwrap();
    if !hold.is_zero() {
        tokio::time::sleep(hold).await;
    }
    let answer = inner
        .script
        .lock()
        .unwrap()
        .pop_front()
        .or_else(|| inner.then.lock().unwrap().clone())
        .unwrap_or(Answer::Ack);
    let json = [(header::CONTENT_TYPE, "application/json")];
    let response = match answer {
        Answer::Ack => (StatusCode::OK, json, ACK).into_response(),
        Answer::SlowAck(pause) => {
            tokio::time::sleep(pause).await;
            (StatusCode::OK, json, ACK).into_response()
        }
        Answer::Status(code) => (StatusCode::from_u16(code).unwrap(), json, ACK).into_response(),
        Answer::PlainText => {
            (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], ACK).into_response()
        }
        Answer::WrongJson => (
            StatusCode::OK,
            json,
            r#"{"resultCode":"100001","resultDesc":"Busy."}"#,
        )
            .into_response(),
    };
    inner.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}

impl Receiver {
    pub async fn start() -> Self {
        let inner = Arc::new(Inner::default());
        let app = Router::new()
            .fallback(receive)
            .with_state(Arc::clone(&inner));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, inner }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The next answers, in order, then `then` for every later request.
    pub fn script(&self, answers: Vec<Answer>, then: Answer) {
        *self.inner.script.lock().unwrap() = answers.into();
        *self.inner.then.lock().unwrap() = Some(then);
    }

    pub fn hold(&self, pause: Duration) {
        *self.inner.hold.lock().unwrap() = pause;
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().unwrap().clone()
    }

    pub fn max_in_flight(&self) -> usize {
        self.inner.max_in_flight.load(Ordering::SeqCst)
    }

    /// Waits until `n` requests have arrived (panics after `limit`).
    pub async fn wait_for(&self, n: usize, limit: Duration) -> Vec<Received> {
        let deadline = Instant::now() + limit;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} callbacks arrived within {limit:?}: {:?}",
                got.len(),
                got.iter().map(|r| &r.path).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
