//! The load driver's own HTTP/1.1 client for the measured requests (callback rounds, the HTTP
//! floor): keep-alive connections over plain `TcpStream`s with TCP_NODELAY, hyper's `http1`
//! connection API and nothing else in the way (no pool timers, proxy or TLS layers, no extra
//! task per connection).
//!
//! The driver shares the cores with the server it measures, so every microsecond it spends per
//! request is taken from the server. Each connection is driven by the request that uses it (the
//! same task polls the connection and awaits the answer), so a request costs no cross-task
//! wake-up. A connection the server closed while idle is replaced, and a request the closed
//! connection never sent goes out again on a new one; a request that was sent and got no answer
//! is an error, never repeated.

use std::future::{poll_fn, Future};
use std::net::{SocketAddr, ToSocketAddrs};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::task::Context;

// The types of this client's API, so its users need no dependency of their own.
pub use bytes::Bytes;
pub use hyper::{StatusCode, Uri};

use http_body_util::{BodyExt, Empty, Full};
use hyper::client::conn::http1;
use hyper::header::{HeaderValue, CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::{Ctx, Res};

/// Payment Kit's success answer, the only one that counts as delivered.
pub const SUCCESS: &[u8] = br#"{"resultCode":"000000","resultDesc":"Success."}"#;

/// How Payment Kit judges a notification's answer: delivered only for status 200 with exactly
/// [`SUCCESS`]; anything else is the error it reports.
pub fn delivered(status: u16, body: &[u8]) -> Res<()> {
    if status == 200 && body == SUCCESS {
        Ok(())
    } else {
        Err(format!("HTTP {status}: {}", String::from_utf8_lossy(body)))
    }
}

/// What Payment Kit sends its notifications as.
const JSON: HeaderValue = HeaderValue::from_static("application/json; charset=UTF-8");

/// A request body: empty (GET) or the bytes prepared once and shared by reference count.
type Body = http_body_util::Either<Full<Bytes>, Empty<Bytes>>;

/// One keep-alive connection: the handle that sends on it and the state machine that does its
/// I/O, `None` once the connection has ended.
struct Conn {
    sender: http1::SendRequest<Body>,
    io: Option<ConnIo>,
}

/// The state machine of one connection's I/O.
type ConnIo = http1::Connection<TokioIo<TcpStream>, Body>;

impl Conn {
    async fn open(addr: SocketAddr) -> Res<Conn> {
        let stream = TcpStream::connect(addr).await.ctx("connect")?;
        // A request is one small write; don't let Nagle hold it for the previous answer's ACK.
        stream.set_nodelay(true).ctx("TCP_NODELAY")?;
        let (sender, io) = http1::handshake(TokioIo::new(stream))
            .await
            .ctx("HTTP/1.1 handshake")?;
        Ok(Conn {
            sender,
            io: Some(io),
        })
    }

    /// Runs `fut` while doing the connection's I/O, in this task.
    async fn drive<F: Future>(&mut self, fut: F) -> F::Output {
        let Conn { io, .. } = self;
        let mut fut = pin!(fut);
        poll_fn(|cx| {
            poll_io(io, cx);
            fut.as_mut().poll(cx)
        })
        .await
    }

    /// Ready for a request (the previous exchange finished and the peer has not closed).
    async fn ready(&mut self) -> bool {
        let Conn { sender, io } = self;
        let ready = poll_fn(|cx| {
            poll_io(io, cx);
            sender.poll_ready(cx)
        })
        .await;
        ready.is_ok() && self.io.is_some()
    }

    fn reusable(&self) -> bool {
        self.io.is_some() && !self.sender.is_closed()
    }
}

/// Does the connection's pending I/O. Once it has ended (closed by the peer, or failed) it is
/// dropped, which hands every request it had not written back to its sender, or fails the one
/// in flight.
fn poll_io(io: &mut Option<ConnIo>, cx: &mut Context<'_>) {
    if let Some(conn) = io.as_mut() {
        if Pin::new(conn).poll(cx).is_ready() {
            *io = None;
        }
    }
}

/// An answer read in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Bytes,
}

/// How one exchange ended when it did not end with an answer.
enum Failed {
    /// The connection ended before the request was written: it may go out on another.
    NotSent(Box<Request<Body>>),
    /// The request was (or may have been) written: an error, never repeated.
    Error(String),
}

/// Keep-alive HTTP/1.1 connections to one server: at most one per request in flight (a closed
/// loop of N keeps N), opened on demand, reused in turn.
pub struct Client {
    addr: SocketAddr,
    host: HeaderValue,
    idle: Mutex<Vec<Conn>>,
    opened: AtomicU64,
}

impl Client {
    /// A client of the server at `base_url` (`http://host:port`; plain HTTP on loopback).
    pub fn new(base_url: &str) -> Res<Client> {
        let url = url::Url::parse(base_url).ctx(base_url)?;
        if url.scheme() != "http" {
            return Err(format!("{base_url}: only http:// is supported"));
        }
        let host = url.host_str().ctx("the server's host")?;
        let port = url.port_or_known_default().ctx("the server's port")?;
        let addr = (host, port)
            .to_socket_addrs()
            .ctx(base_url)?
            .next()
            .ctx(base_url)?;
        let authority = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        };
        Ok(Client {
            addr,
            host: HeaderValue::try_from(authority).ctx("Host")?,
            idle: Mutex::new(Vec::new()),
            opened: AtomicU64::new(0),
        })
    }

    /// Connections opened so far (one per request in flight, plus one per server-side close).
    pub fn connections_opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    /// `POST path` with a JSON body, Payment Kit's Content-Type; the whole answer.
    pub async fn post_json(&self, path: &Uri, body: Bytes) -> Res<Answer> {
        self.send(Method::POST, path, Some(body)).await
    }

    /// `GET path`; the whole answer.
    pub async fn get(&self, path: &Uri) -> Res<Answer> {
        self.send(Method::GET, path, None).await
    }

    /// POSTs a notification as Payment Kit does; `Ok` only for status 200 with its exact
    /// success body.
    pub async fn deliver(&self, path: &Uri, body: Bytes) -> Res<()> {
        let a = self.post_json(path, body).await?;
        delivered(a.status.as_u16(), &a.body)
    }

    fn request(&self, method: Method, path: &Uri, body: Option<Bytes>) -> Res<Request<Body>> {
        let builder = Request::builder()
            .method(method)
            .uri(path.clone())
            .header(HOST, self.host.clone());
        match body {
            Some(b) => builder
                .header(CONTENT_TYPE, JSON)
                .body(Body::Left(Full::new(b))),
            None => builder.body(Body::Right(Empty::new())),
        }
        .ctx("the request")
    }

    async fn send(&self, method: Method, path: &Uri, body: Option<Bytes>) -> Res<Answer> {
        let mut req = self.request(method, path, body)?;
        // A reused connection the server closed meanwhile sends nothing; then a new one does.
        // Two tries: the second is on a connection opened for it.
        for _ in 0..2 {
            let mut conn = self.take().await?;
            match exchange(&mut conn, req).await {
                Ok(answer) => {
                    self.give_back(conn);
                    return Ok(answer);
                }
                Err(Failed::NotSent(r)) => req = *r,
                Err(Failed::Error(e)) => return Err(e),
            }
        }
        Err("the connection closed before the request was sent, twice".to_owned())
    }

    /// An idle connection that is still open, or a new one.
    async fn take(&self) -> Res<Conn> {
        loop {
            let next = self.idle.lock().ok().and_then(|mut idle| idle.pop());
            let Some(mut conn) = next else { break };
            if conn.ready().await {
                return Ok(conn);
            }
        }
        let mut conn = Conn::open(self.addr).await?;
        self.opened.fetch_add(1, Ordering::Relaxed);
        if conn.ready().await {
            Ok(conn)
        } else {
            Err("the server closed a new connection at once".to_owned())
        }
    }

    fn give_back(&self, conn: Conn) {
        if conn.reusable() {
            if let Ok(mut idle) = self.idle.lock() {
                idle.push(conn);
            }
        }
    }
}

/// One request on `conn` and its answer read to the end.
async fn exchange(conn: &mut Conn, req: Request<Body>) -> Result<Answer, Failed> {
    let sent = conn.sender.try_send_request(req);
    conn.drive(async move {
        let answer = match sent.await {
            Ok(a) => a,
            Err(mut e) => {
                return Err(match e.take_message() {
                    Some(r) => Failed::NotSent(Box::new(r)),
                    None => Failed::Error(format!("transport: {}", e.into_error())),
                })
            }
        };
        let (head, body) = answer.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| Failed::Error(format!("reading: {e}")))?
            .to_bytes();
        Ok(Answer {
            status: head.status,
            body,
        })
    })
    .await
}
