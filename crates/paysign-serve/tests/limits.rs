//! The limits over real loopback TCP: a client trickling its head or body is cut off at the
//! deadline while others are served; the connection cap holds; bodies over the cap are refused
//! with or without a Content-Length.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use paysign_serve::{serve, BodyError, ServeLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

const LIMIT: usize = 1024;

fn limits() -> ServeLimits {
    ServeLimits {
        header_timeout: Duration::from_millis(300),
        body_timeout: Duration::from_millis(300),
        max_connections: 64,
    }
}

async fn gate(request: Request, next: Next) -> Response {
    match paysign_serve::buffer_request(request, LIMIT, limits().body_timeout).await {
        Ok(request) => next.run(request).await,
        Err(e @ BodyError::TooLarge { .. }) => {
            (StatusCode::PAYLOAD_TOO_LARGE, e.to_string()).into_response()
        }
        Err(e @ BodyError::TimedOut { .. }) => {
            (StatusCode::REQUEST_TIMEOUT, e.to_string()).into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(limits: ServeLimits) -> Server {
        let app = Router::new()
            .route("/echo", post(|body: Bytes| async move { body }))
            .route("/ok", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn(gate));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(serve(listener, app, limits, async move {
            let _ = rx.await;
        }));
        Server {
            addr,
            stop: Some(tx),
            task,
        }
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("the server stops")
            .unwrap();
    }
}

/// Writes `request` on a fresh connection and reads the whole answer (the server closes).
async fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .expect("an answer")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

async fn ok(addr: SocketAddr) -> bool {
    exchange(
        addr,
        b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await
    .starts_with("HTTP/1.1 200")
}

/// Reads until the server closes the connection; returns how long that took.
async fn closed_after(mut s: TcpStream, started: Instant) -> Duration {
    let mut buf = [0u8; 512];
    loop {
        match tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => {}
            Err(_) => panic!("the server kept a slow connection open for 5 s"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_head_is_cut_off_while_others_are_served() {
    let server = Server::start(limits()).await;
    let started = Instant::now();
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET /ok HTTP/1.1\r\n").await.unwrap();
    // One header byte every 50 ms: never a whole head within 300 ms.
    let trickle = tokio::spawn(async move {
        for b in b"X-Slow: 1234567890123456789\r\n" {
            if slow.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        slow
    });
    assert!(ok(server.addr).await, "another client is served meanwhile");
    let slow = trickle.await.unwrap();
    let took = closed_after(slow, started).await;
    assert!(took >= Duration::from_millis(250), "closed after {took:?}");
    assert!(ok(server.addr).await);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_closed_at_the_header_deadline() {
    let server = Server::start(limits()).await;
    let started = Instant::now();
    let silent = TcpStream::connect(server.addr).await.unwrap();
    let took = closed_after(silent, started).await;
    assert!(took >= Duration::from_millis(250), "closed after {took:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_body_gets_408_at_the_body_deadline() {
    let server = Server::start(limits()).await;
    let slow = TcpStream::connect(server.addr).await.unwrap();
    let (mut read, mut write) = slow.into_split();
    write
        .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        .await
        .unwrap();
    let started = Instant::now();
    // A byte every 40 ms never pauses long, but the whole body would take 4 s.
    let trickle = tokio::spawn(async move {
        for _ in 0..99 {
            if write.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    });
    let writer = tokio::spawn(async move {
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), read.read_to_end(&mut answer)).await;
        String::from_utf8_lossy(&answer).into_owned()
    });
    assert!(ok(server.addr).await, "another client is served meanwhile");
    let answer = writer.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(2));
    trickle.abort();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_cap_are_refused_with_or_without_a_length() {
    let server = Server::start(limits()).await;
    // Declared too large: refused before the body is sent at all.
    let answer = exchange(
        server.addr,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 1000000\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // Chunked, no length: cut off once past the cap.
    let mut chunked = b"POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..3 {
        chunked.extend_from_slice(b"200\r\n");
        chunked.extend_from_slice(&[b'a'; 0x200]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let answer = exchange(server.addr, &chunked).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // At the cap exactly: echoed.
    let mut exact = format!(
        "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {LIMIT}\r\n\r\n"
    )
    .into_bytes();
    exact.extend_from_slice(&[b'b'; LIMIT]);
    let answer = exchange(server.addr, &exact).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with(&"b".repeat(LIMIT)));
    // A huge head: hyper's 431.
    let mut huge = b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    huge.extend_from_slice(&[b'h'; paysign_serve::MAX_HEADER_BYTES + 1]);
    huge.extend_from_slice(b"\r\n\r\n");
    let answer = exchange(server.addr, &huge).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    assert!(ok(server.addr).await);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_wait_for_a_free_slot() {
    let server = Server::start(ServeLimits {
        max_connections: 2,
        ..limits()
    })
    .await;
    let started = Instant::now();
    let _a = TcpStream::connect(server.addr).await.unwrap();
    let _b = TcpStream::connect(server.addr).await.unwrap();
    // Both slots are held by silent clients until the header deadline frees them.
    assert!(ok(server.addr).await);
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(250), "served after {took:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_ends_the_server_even_with_a_connection_open() {
    let server = Server::start(ServeLimits {
        header_timeout: Duration::from_secs(30),
        ..limits()
    })
    .await;
    let _idle = TcpStream::connect(server.addr).await.unwrap();
    assert!(ok(server.addr).await);
    server.stop().await;
}
