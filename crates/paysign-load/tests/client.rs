//! The load driver's HTTP client against real servers on loopback: an axum app, a hyper server
//! that closes idle keep-alive connections, and one that drops a connection mid-request.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use http_body_util::Full;
use hyper::Uri;
use hyper_util::rt::TokioIo;
use paysign_load::client::{Client, SUCCESS};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// What the axum app received: (Content-Type, Host, body) per request.
type Seen = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

/// An app whose `/callback` answers with the status and body the request's body asks for
/// (`ok` for the success answer), `/big` answers 1 MiB, and records what it got.
async fn app() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let router = Router::new()
        .route(
            "/callback",
            post(
                |State(seen): State<Seen>, headers: HeaderMap, body: Bytes| async move {
                    let h = |n: &str| {
                        headers
                            .get(n)
                            .map(|v| v.to_str().unwrap().to_owned())
                            .unwrap_or_default()
                    };
                    seen.lock()
                        .unwrap()
                        .push((h("content-type"), h("host"), body.to_vec()));
                    match &body[..] {
                        b"ok" => (StatusCode::OK, SUCCESS.to_vec()),
                        b"500" => (StatusCode::INTERNAL_SERVER_ERROR, SUCCESS.to_vec()),
                        b"almost" => (StatusCode::OK, [SUCCESS, b" "].concat()),
                        _ => (
                            StatusCode::OK,
                            br#"{"resultCode":"1","resultDesc":"no"}"#.to_vec(),
                        ),
                    }
                },
            ),
        )
        // More than the socket buffers hold: the answer arrives in many reads.
        .route("/big", get(|| async { big() }))
        .with_state(Arc::clone(&seen));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, seen)
}

fn big() -> Vec<u8> {
    (0..1_048_576u32).map(|i| (i % 251) as u8).collect()
}

fn uri(path: &'static str) -> Uri {
    Uri::from_static(path)
}

#[tokio::test]
async fn sends_the_body_exactly_and_takes_only_the_exact_success_answer() {
    let (url, seen) = app().await;
    let client = Client::new(&url).unwrap();
    let callback = uri("/callback");

    client
        .deliver(&callback, Bytes::from_static(b"ok"))
        .await
        .unwrap();
    // A body with bytes that must go out untouched: multi-byte UTF-8, quotes, CR LF.
    let odd = Bytes::from("{\"a\":\"月卡\\\"\",\r\n\"b\":1}".as_bytes().to_vec());
    let answer = client.post_json(&callback, odd.clone()).await.unwrap();
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(&answer.body[..], br#"{"resultCode":"1","resultDesc":"no"}"#);

    let refused = client.deliver(&callback, odd.clone()).await.unwrap_err();
    assert!(
        refused.starts_with("HTTP 200: {\"resultCode\":\"1\""),
        "{refused}"
    );
    let status = client
        .deliver(&callback, Bytes::from_static(b"500"))
        .await
        .unwrap_err();
    assert!(status.starts_with("HTTP 500: "), "{status}");
    let longer = client
        .deliver(&callback, Bytes::from_static(b"almost"))
        .await
        .unwrap_err();
    assert!(longer.starts_with("HTTP 200: "), "{longer}");

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 5);
    let host = url.trim_start_matches("http://");
    for (content_type, h, _) in seen.iter() {
        assert_eq!(content_type, "application/json; charset=UTF-8");
        assert_eq!(h, host);
    }
    assert_eq!(seen[0].2, b"ok");
    assert_eq!(seen[1].2, odd.to_vec());
    assert_eq!(seen[2].2, odd.to_vec());
    // One request at a time: one keep-alive connection carried all five.
    assert_eq!(client.connections_opened(), 1);
}

#[tokio::test]
async fn reads_the_whole_answer_and_keeps_one_connection_per_request_in_flight() {
    let (url, _) = app().await;
    let client = Arc::new(Client::new(&url).unwrap());
    let answer = client.get(&uri("/big")).await.unwrap();
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body.len(), big().len());
    assert!(answer.body == big());
    // The connection is reusable after a long answer, and 4 in flight use 4 connections.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let client = Arc::clone(&client);
        tasks.spawn(async move {
            for _ in 0..20 {
                client
                    .deliver(&uri("/callback"), Bytes::from_static(b"ok"))
                    .await
                    .unwrap();
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    assert!(
        client.connections_opened() <= 4,
        "{}",
        client.connections_opened()
    );
    let missing = client.get(&uri("/nothing")).await.unwrap();
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

/// A hyper server that answers every request with the success body and closes each connection
/// once it has been idle for `idle` after an answer (as a server's keep-alive timeout does), or
/// after one answer with `Connection: close` when `keep_alive` is off. Counts the requests.
async fn closing_server(idle: Duration, keep_alive: bool) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&served);
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let count = Arc::clone(&count);
            let answered = Arc::new(tokio::sync::Notify::new());
            let notify = Arc::clone(&answered);
            let service = hyper::service::service_fn(move |_req| {
                count.fetch_add(1, Ordering::SeqCst);
                notify.notify_one();
                async {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                        Bytes::from_static(SUCCESS),
                    )))
                }
            });
            tokio::spawn(async move {
                let conn = hyper::server::conn::http1::Builder::new()
                    .keep_alive(keep_alive)
                    .serve_connection(TokioIo::new(stream), service);
                let mut conn = std::pin::pin!(conn);
                tokio::select! {
                    _ = conn.as_mut() => return,
                    () = answered.notified() => {}
                }
                // Idle after an answer: close unless the next request comes first.
                loop {
                    tokio::select! {
                        _ = conn.as_mut() => return,
                        () = tokio::time::sleep(idle) => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.as_mut().await;
                            return;
                        }
                        () = answered.notified() => {}
                    }
                }
            });
        }
    });
    (url, served)
}

#[tokio::test]
async fn survives_the_server_closing_an_idle_keep_alive_connection() {
    // Long enough that two back-to-back requests never straddle it, even on a busy machine.
    let (url, served) = closing_server(Duration::from_millis(300), true).await;
    let client = Client::new(&url).unwrap();
    let path = uri("/callbacks");
    client
        .deliver(&path, Bytes::from_static(b"1"))
        .await
        .unwrap();
    client
        .deliver(&path, Bytes::from_static(b"2"))
        .await
        .unwrap();
    assert_eq!(client.connections_opened(), 1);
    // The server closes the idle connection; the next request goes out on a new one.
    tokio::time::sleep(Duration::from_millis(700)).await;
    client
        .deliver(&path, Bytes::from_static(b"3"))
        .await
        .unwrap();
    assert_eq!(client.connections_opened(), 2);
    assert_eq!(served.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn opens_a_new_connection_after_connection_close() {
    let (url, served) = closing_server(Duration::from_secs(10), false).await;
    let client = Client::new(&url).unwrap();
    for i in 0..3u8 {
        client
            .deliver(&uri("/callbacks"), Bytes::from(vec![i]))
            .await
            .unwrap();
    }
    assert_eq!(client.connections_opened(), 3);
    assert_eq!(served.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_request_sent_without_an_answer_is_an_error_and_is_not_sent_again() {
    // A server that reads the request and closes without answering, counting connections.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            count.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
        }
    });
    let client = Client::new(&url).unwrap();
    let e = client
        .deliver(&uri("/callbacks"), Bytes::from_static(b"{}"))
        .await
        .unwrap_err();
    assert!(e.starts_with("transport: "), "{e}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[test]
fn only_plain_http_urls() {
    assert!(Client::new("https://127.0.0.1:1").is_err());
    assert!(Client::new("not a url").is_err());
    assert!(Client::new("http://127.0.0.1:1").is_ok());
}
