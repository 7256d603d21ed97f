//! A raw HTTP/1.1 client over loopback TCP, for tests of what no well-behaved client sends:
//! lying or missing lengths, chunked bodies, bytes that are not UTF-8, heads and bodies
//! trickled a byte at a time. Feature `testing` only; never part of a server.
#![allow(clippy::indexing_slicing, clippy::panic)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One answer: status, headers (lowercase names) and body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How a connection ended when the client was too slow.
#[derive(Debug, Clone)]
pub enum Ending {
    /// The server answered (e.g. 408) and closed.
    Answered(Answer),
    /// The server closed without an answer.
    Closed,
}

/// Builds a request head: `method path`, `Host`, `Connection: close`, then `headers` as given.
pub fn head(method: &str, path: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: loopback\r\nConnection: close\r\n");
    for (name, value) in headers {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// A request with `Content-Length` set to the body's length.
pub fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let length = body.len().to_string();
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    all.push(("Content-Length", &length));
    let mut out = head(method, path, &all);
    out.extend_from_slice(body);
    out
}

/// A request whose body is sent `Transfer-Encoding: chunked`, in chunks of `chunk` bytes.
pub fn chunked(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    chunk: usize,
) -> Vec<u8> {
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    all.push(("Transfer-Encoding", "chunked"));
    let mut out = head(method, path, &all);
    for piece in body.chunks(chunk.max(1)) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// Sends `bytes` on a new connection and reads the answer until the server closes.
/// Panics (it is a test helper) when no answer comes within 10 s.
pub async fn send(addr: SocketAddr, bytes: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    // The server may answer (413) and close before reading everything; that is not an error.
    let _ = stream.write_all(bytes).await;
    let mut raw = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), read_all(&mut stream, &mut raw)).await;
    assert!(read.is_ok(), "no answer from {addr} within 10 s");
    parse(&raw).unwrap_or_else(|| panic!("not an HTTP answer: {:?}", String::from_utf8_lossy(&raw)))
}

async fn read_all(stream: &mut TcpStream, out: &mut Vec<u8>) {
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// Sends `prefix`, then `trickle` one byte every `every`, reading meanwhile; returns how the
/// connection ended and when (from the first trickled byte). Panics if it is still open after
/// `give_up`.
pub async fn trickle(
    addr: SocketAddr,
    prefix: impl AsRef<[u8]>,
    trickle: impl AsRef<[u8]>,
    every: Duration,
    give_up: Duration,
) -> (Ending, Duration) {
    let stream = TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    let (mut read, mut write) = stream.into_split();
    let _ = write.write_all(prefix.as_ref()).await;
    let started = Instant::now();
    let bytes = trickle.as_ref().to_vec();
    let writer = tokio::spawn(async move {
        for b in bytes {
            if write.write_all(&[b]).await.is_err() {
                return;
            }
            tokio::time::sleep(every).await;
        }
        // Keep the write side open: a slow client does not finish.
        tokio::time::sleep(Duration::from_secs(3600)).await;
    });
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let ended = tokio::time::timeout(give_up, async {
        loop {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    writer.abort();
    assert!(
        ended.is_ok(),
        "the server kept a slow connection open for {give_up:?}"
    );
    let took = started.elapsed();
    match parse(&raw) {
        Some(answer) => (Ending::Answered(answer), took),
        None => (Ending::Closed, took),
    }
}

fn parse(raw: &[u8]) -> Option<Answer> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Some(Answer {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&rest[..end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 || rest.len() < end + 2 + size {
            break;
        }
        out.extend_from_slice(&rest[end + 2..end + 2 + size]);
        rest = &rest[(end + 2 + size + 2).min(rest.len())..];
    }
    out
}
