//! Serving an axum [`Router`] to clients that may be slow or hostile: the defences paysign's two
//! servers (the merchant server and the sandbox) share.
//!
//! - **Slow headers** (slowloris): hyper's own HTTP/1 header-read timer ([`ServeLimits::header_timeout`]).
//!   It also closes a keep-alive connection left idle that long. `axum::serve` runs hyper without
//!   a timer, so [`serve`] drives hyper's HTTP/1 connection itself.
//! - **Slow or endless bodies**: [`read_body`] reads a whole body within a deadline and a byte
//!   cap, refusing a `Content-Length` over the cap before reading anything. Each server calls it
//!   from a middleware in front of its handlers and answers a [`BodyError`] in its own error body.
//! - **Too many connections**: at most [`ServeLimits::max_connections`] are served at once; the
//!   rest wait in the kernel's accept queue until one ends.
//! - **Huge headers**: a request head over [`MAX_HEADER_BYTES`] is HTTP 431 (hyper's own check).
//! - **Bodies of the wrong shape**: [`JsonObject`] reads a struct from a JSON object only, never
//!   from an array of its fields.

mod json_object;
#[cfg(feature = "testing")]
pub mod testing;

pub use json_object::JsonObject;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderMap};
use axum::Router;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::{watch, Semaphore};

/// The largest request head accepted, start line included (hyper answers 431 above it).
/// Bearer tokens and PayMercAuth headers are a few KiB.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// What a client may take from a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// Time to send a whole request head, from the first byte read (or from the end of the
    /// previous answer on a kept-alive connection). Past it the connection is closed.
    pub header_timeout: Duration,
    /// Time to send a whole request body, from its head ([`read_body`]).
    pub body_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Default for ServeLimits {
    /// 10 s for the head, 30 s for the body, 512 connections: far above what a phone or Payment
    /// Kit needs, far below what lets a few idle sockets hold the server.
    fn default() -> Self {
        ServeLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 512,
        }
    }
}

impl ServeLimits {
    /// Refuses limits that would leave the server unusable or unbounded.
    pub fn validate(&self) -> Result<(), String> {
        if self.header_timeout.is_zero() || self.body_timeout.is_zero() {
            return Err("the header and body timeouts must be positive".to_owned());
        }
        if self.max_connections == 0 {
            return Err("max_connections must be positive".to_owned());
        }
        Ok(())
    }
}

/// Serves `app` on `listener` under `limits` until `stop` completes, then stops accepting,
/// lets every open connection finish its request in flight, and returns.
pub async fn serve<L>(
    mut listener: L,
    app: Router,
    limits: ServeLimits,
    stop: impl Future<Output = ()> + Send,
) where
    L: axum::serve::Listener,
{
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stopping, stop_seen) = watch::channel(false);
    // Every connection task holds a receiver; the last one dropped ends the wait below.
    let (all_closed, open) = watch::channel(());
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(MAX_HEADER_BYTES);
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut stop => break,
        };
        let (io, _) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => break,
        };
        let connection =
            http.serve_connection(TokioIo::new(io), TowerToHyperService::new(app.clone()));
        let mut stop_seen = stop_seen.clone();
        let open = open.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            let stop_asked = async move {
                // The Ref it yields is not Send: keep only the fact.
                let _ = stop_seen.wait_for(|stopping| *stopping).await.is_ok();
            };
            tokio::select! {
                result = connection.as_mut() => log_end(result),
                () = stop_asked => {
                    connection.as_mut().graceful_shutdown();
                    log_end(connection.await);
                }
            }
            drop(permit);
            drop(open);
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    drop(open);
    all_closed.closed().await;
}

fn log_end(result: Result<(), hyper::Error>) {
    if let Err(e) = result {
        // A client that timed out, reset or sent garbage: its business, not an error of ours.
        tracing::debug!(error = %e, "connection ended");
    }
}

/// Why a request body was not read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the request body did not arrive within {} ms", .timeout.as_millis())]
    TimedOut { timeout: Duration },
    #[error("the request body could not be read: {0}")]
    Unreadable(String),
}

/// Reads a whole body of at most `limit` bytes within `timeout`. A `Content-Length` above
/// `limit` is refused before any byte is read; a chunked body is cut off at `limit`.
pub async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(BodyError::TooLarge { limit });
    }
    match tokio::time::timeout(timeout, Limited::new(body, limit).collect()).await {
        Err(_) => Err(BodyError::TimedOut { timeout }),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<LengthLimitError>() => Err(BodyError::TooLarge { limit }),
        Ok(Err(e)) => Err(BodyError::Unreadable(e.to_string())),
    }
}

/// [`read_body`] on a request, giving the request back with its body in memory (so handlers
/// behind it never wait on the client).
pub async fn buffer_request(
    request: Request,
    limit: usize,
    timeout: Duration,
) -> Result<Request, BodyError> {
    let (parts, body) = request.into_parts();
    let bytes = read_body(&parts.headers, body, limit, timeout).await?;
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Whether a `Content-Type` names JSON in UTF-8: `application/json` (or `+json`), with no
/// charset or `charset=utf-8` in any case. JSON is UTF-8 on the wire (RFC 8259 §8.1); a body
/// declared in another charset is refused rather than guessed at.
pub fn is_json_utf8(content_type: Option<&str>) -> bool {
    let Some(parsed) = content_type.and_then(|c| c.parse::<mime::Mime>().ok()) else {
        return false;
    };
    let json = parsed.type_() == mime::APPLICATION
        && (parsed.subtype() == mime::JSON || parsed.suffix() == Some(mime::JSON));
    let utf8 = parsed
        .get_param(mime::CHARSET)
        .is_none_or(|c| c.as_str().eq_ignore_ascii_case("utf-8"));
    json && utf8
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn json_content_types() {
        for ok in [
            "application/json",
            "application/json; charset=UTF-8",
            "application/json;charset=utf-8",
            "Application/JSON; charset=\"utf-8\"",
            "application/problem+json",
        ] {
            assert!(is_json_utf8(Some(ok)), "{ok}");
        }
        for bad in [
            "",
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/json; charset=GBK",
            "application/json; charset=iso-8859-1",
            "text/json",
            "json",
        ] {
            assert!(!is_json_utf8(Some(bad)), "{bad}");
        }
        assert!(!is_json_utf8(None));
    }

    #[test]
    fn limits_are_checked() {
        assert!(ServeLimits::default().validate().is_ok());
        let zero = ServeLimits {
            max_connections: 0,
            ..ServeLimits::default()
        };
        assert!(zero.validate().is_err());
        let no_time = ServeLimits {
            header_timeout: Duration::ZERO,
            ..ServeLimits::default()
        };
        assert!(no_time.validate().is_err());
    }
}
