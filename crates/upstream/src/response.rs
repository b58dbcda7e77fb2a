//! Response types: `StreamingResponse` (body chunks as they arrive, idle-timed) and
//! `BufferedResponse` (small capped bodies), plus the connection lease that puts an HTTP/1
//! connection back into the pool once its body has been read to the end.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use http_body::Body as _;
use http_body_util::BodyExt;
use hyper::body::Incoming;

use crate::connector::{H1Conn, Origin};
use crate::error::{TimeoutKind, UpstreamError};
use crate::pool::Pool;
use crate::ratelimit::RateLimitSnapshot;

/// A 2xx response whose body is read chunk by chunk. Dropping it before the end closes the
/// connection, which cancels the upstream request.
pub struct StreamingResponse {
    /// HTTP status (2xx).
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    body: BodyReader,
}

impl StreamingResponse {
    pub(crate) fn new(status: u16, headers: HeaderMap, body: BodyReader) -> Self {
        Self {
            status,
            headers,
            body,
        }
    }

    /// The next body chunk, as soon as it arrives. `None` = clean end of body. An idle gap
    /// longer than the idle timeout yields `Err(Timeout(Idle))`; after an error, `None`.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, UpstreamError>> {
        self.body.next().await
    }

    /// The `x-codex-*` quota headers of this response.
    pub fn rate_limits(&self) -> Option<RateLimitSnapshot> {
        RateLimitSnapshot::from_headers(&self.headers)
    }

    /// `x-codex-turn-state` to echo on the next request of the same turn.
    pub fn turn_state(&self) -> Option<&str> {
        self.headers
            .get("x-codex-turn-state")
            .and_then(|v| v.to_str().ok())
    }
}

impl fmt::Debug for StreamingResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamingResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

/// A 2xx response read to the end (capped).
#[derive(Clone, Debug)]
pub struct BufferedResponse {
    /// HTTP status (2xx).
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

/// The connection a response body is read from.
pub(crate) enum Lease {
    /// Exclusive HTTP/1 connection: back to the pool at end of body, closed if abandoned.
    H1 {
        conn: H1Conn,
        pool: Arc<Pool>,
        origin: Origin,
    },
    /// Shared h2 connection: dropping the body resets only this stream.
    H2,
}

impl Lease {
    fn release(self) {
        if let Lease::H1 { conn, pool, origin } = self {
            pool.checkin(&origin, conn);
        }
    }

    fn abandon(self) {
        if let Lease::H1 { conn, .. } = self {
            conn.abort();
        }
    }
}

/// The end of a call's total budget, if it has one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline(Option<Instant>);

impl Deadline {
    /// A deadline `total` from now (`None`: unbounded).
    pub(crate) fn after(total: Option<Duration>) -> Deadline {
        Deadline(total.map(|total| Instant::now() + total))
    }

    /// Time left (`None`: unbounded; zero once passed).
    pub(crate) fn remaining(self) -> Option<Duration> {
        self.0
            .map(|at| at.saturating_duration_since(Instant::now()))
    }
}

/// Reads a hyper body with the idle and total timeouts and manages the lease.
pub(crate) struct BodyReader {
    incoming: Incoming,
    lease: Option<Lease>,
    idle_timeout: Duration,
    deadline: Deadline,
    finished: bool,
}

impl BodyReader {
    pub(crate) fn new(
        incoming: Incoming,
        lease: Lease,
        idle_timeout: Duration,
        deadline: Deadline,
    ) -> Self {
        let mut reader = Self {
            incoming,
            lease: Some(lease),
            idle_timeout,
            deadline,
            finished: false,
        };
        if reader.incoming.is_end_stream() {
            reader.finish();
        }
        reader
    }

    pub(crate) async fn next(&mut self) -> Option<Result<Bytes, UpstreamError>> {
        while !self.finished {
            // The total budget wins when it ends before the idle gap would.
            let (wait, kind) = match self.deadline.remaining() {
                Some(left) if left < self.idle_timeout => (left, TimeoutKind::Total),
                _ => (self.idle_timeout, TimeoutKind::Idle),
            };
            let frame = match tokio::time::timeout(wait, self.incoming.frame()).await {
                Err(_) => return Some(Err(self.fail(UpstreamError::Timeout(kind)))),
                Ok(None) => {
                    self.finish();
                    return None;
                }
                Ok(Some(Err(err))) => return Some(Err(self.fail(UpstreamError::Protocol(err)))),
                Ok(Some(Ok(frame))) => frame,
            };
            if self.incoming.is_end_stream() {
                self.finish();
            }
            // Trailers carry nothing we use; empty data frames are skipped.
            if let Ok(data) = frame.into_data()
                && !data.is_empty()
            {
                return Some(Ok(data));
            }
        }
        None
    }

    /// Reads the whole body; `Err(BodyTooLarge)` past `cap` bytes.
    pub(crate) async fn read_capped(mut self, cap: usize) -> Result<Bytes, UpstreamError> {
        let mut collected = Collected::default();
        while let Some(chunk) = self.next().await {
            let chunk = chunk?;
            if collected.len() + chunk.len() > cap {
                self.fail(UpstreamError::BodyTooLarge { limit: cap });
                return Err(UpstreamError::BodyTooLarge { limit: cap });
            }
            collected.push(chunk);
        }
        Ok(collected.into_bytes())
    }

    /// Reads at most `cap` bytes of an error body; the excess is dropped with the connection
    /// and a transport error mid-body keeps what was read.
    pub(crate) async fn read_truncated(mut self, cap: usize) -> Bytes {
        let mut collected = Collected::default();
        while collected.len() < cap {
            match self.next().await {
                Some(Ok(mut chunk)) => {
                    chunk.truncate(cap - collected.len());
                    collected.push(chunk);
                }
                Some(Err(_)) | None => break,
            }
        }
        if !self.finished {
            self.finished = true;
            if let Some(lease) = self.lease.take() {
                lease.abandon();
            }
        }
        collected.into_bytes()
    }

    fn finish(&mut self) {
        self.finished = true;
        if let Some(lease) = self.lease.take() {
            lease.release();
        }
    }

    fn fail(&mut self, err: UpstreamError) -> UpstreamError {
        self.finished = true;
        if let Some(lease) = self.lease.take() {
            lease.abandon();
        }
        err
    }
}

impl Drop for BodyReader {
    fn drop(&mut self) {
        if let Some(lease) = self.lease.take() {
            lease.abandon();
        }
    }
}

/// Accumulates chunks without copying when the body is a single chunk.
#[derive(Default)]
struct Collected {
    first: Option<Bytes>,
    rest: Option<BytesMut>,
}

impl Collected {
    fn len(&self) -> usize {
        match (&self.first, &self.rest) {
            (_, Some(rest)) => rest.len(),
            (Some(first), None) => first.len(),
            (None, None) => 0,
        }
    }

    fn push(&mut self, chunk: Bytes) {
        if let Some(rest) = &mut self.rest {
            rest.extend_from_slice(&chunk);
        } else if let Some(first) = self.first.take() {
            let mut rest = BytesMut::with_capacity(first.len() + chunk.len());
            rest.extend_from_slice(&first);
            rest.extend_from_slice(&chunk);
            self.rest = Some(rest);
        } else {
            self.first = Some(chunk);
        }
    }

    fn into_bytes(self) -> Bytes {
        match (self.first, self.rest) {
            (_, Some(rest)) => rest.freeze(),
            (Some(first), None) => first,
            (None, None) => Bytes::new(),
        }
    }
}
