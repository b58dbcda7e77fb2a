//! [`TranslatedBody`]: the streamed response body of every dialect. It polls the upstream body
//! directly (no task per request), decodes SSE incrementally, feeds a [`StreamTranslate`], and
//! yields each produced batch of bytes at once. While the upstream is idle it yields the
//! dialect's heartbeat. Dropping it (client
//! disconnect) drops the upstream response, which cancels the upstream request.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use codex_proxy_pool::Lease;
use codex_proxy_schema::sse::SseDecoder;
use codex_proxy_upstream::UpstreamError;

use crate::attempt::StreamingResponse;
use futures_util::Stream;
use http_body::Frame;
use tokio::time::{Instant, Sleep};

use crate::dialect::StreamTranslate;
use crate::events::{self, Next, Tap};
use crate::state::AppState;

type Chunks = Pin<Box<dyn Stream<Item = Result<Bytes, UpstreamError>> + Send>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading upstream events.
    Streaming,
    /// The terminal frame was written; read the rest of the upstream body (for at most
    /// [`DRAIN_GRACE`]) so an HTTP/1 connection can be reused.
    Draining,
    /// Nothing more.
    Done,
}

/// How long a finished stream waits for the upstream body's end before dropping the
/// connection. The backend ends its body right after the terminal event, so this is almost
/// never reached; the client already has everything.
const DRAIN_GRACE: Duration = Duration::from_millis(250);

/// A streamed, translated response body.
pub(crate) struct TranslatedBody<T> {
    upstream: Chunks,
    decoder: SseDecoder,
    chat: T,
    tap: Tap,
    out: Vec<u8>,
    heartbeat: Pin<Box<Sleep>>,
    interval: Duration,
    phase: Phase,
    /// Whether the drain deadline was armed.
    drain_started: bool,
    report: Option<(Arc<AppState>, Lease)>,
}

impl<T: StreamTranslate> TranslatedBody<T> {
    /// A body translating `response` with `chat`, pinging every `interval` of silence. Usage is
    /// reported against `lease` when the response completes.
    pub fn new(
        response: StreamingResponse,
        chat: T,
        interval: Duration,
        state: Arc<AppState>,
        lease: Lease,
    ) -> Self {
        let upstream = futures_util::stream::unfold(response, |mut r| async move {
            r.chunk().await.map(|c| (c, r))
        });
        Self {
            upstream: Box::pin(upstream),
            decoder: SseDecoder::new(),
            chat,
            tap: Tap::default(),
            out: Vec::with_capacity(1024),
            heartbeat: Box::pin(tokio::time::sleep(interval)),
            interval,
            phase: Phase::Streaming,
            drain_started: false,
            report: Some((state, lease)),
        }
    }

    /// Feeds every complete buffered event to the translator. Returns false once the stream is
    /// over (terminal event written, or a framing failure).
    fn pump(&mut self, eof: bool) -> bool {
        loop {
            match events::next_event(&mut self.decoder, eof) {
                Ok(Next::Event(ev)) => {
                    self.tap.observe(&ev);
                    self.chat.push(&ev, &mut self.out);
                    if self.chat.is_terminated() {
                        self.chat.finish(&mut self.out);
                        return false;
                    }
                }
                Ok(Next::Skip) => {}
                Ok(Next::Pending) => return true,
                Err(failure) => {
                    self.chat.fail(&failure, &mut self.out);
                    return false;
                }
            }
        }
    }

    fn end(&mut self, next: Phase) {
        self.phase = next;
        if let Some((state, lease)) = self.report.take() {
            self.tap.report(&state, &lease);
        }
    }

    fn take_out(&mut self) -> Frame<Bytes> {
        let cap = self.out.capacity();
        let bytes = std::mem::replace(&mut self.out, Vec::with_capacity(cap.min(64 * 1024)));
        self.heartbeat
            .as_mut()
            .reset(Instant::now() + self.interval);
        Frame::data(Bytes::from(bytes))
    }
}

impl<T: StreamTranslate> http_body::Body for TranslatedBody<T> {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        loop {
            if !this.out.is_empty() {
                return Poll::Ready(Some(Ok(this.take_out())));
            }
            match this.phase {
                Phase::Done => return Poll::Ready(None),
                Phase::Draining => {
                    if !this.drain_started {
                        // The client already has its terminal frame; give the upstream a short
                        // grace to finish its body so the connection goes back to the pool.
                        this.drain_started = true;
                        this.heartbeat.as_mut().reset(Instant::now() + DRAIN_GRACE);
                    }
                    return match this.upstream.as_mut().poll_next(cx) {
                        Poll::Ready(Some(Ok(_))) => continue,
                        Poll::Ready(Some(Err(_)) | None) => {
                            this.phase = Phase::Done;
                            Poll::Ready(None)
                        }
                        Poll::Pending if this.heartbeat.as_mut().poll(cx).is_ready() => {
                            this.phase = Phase::Done;
                            Poll::Ready(None)
                        }
                        Poll::Pending => Poll::Pending,
                    };
                }
                Phase::Streaming => {}
            }
            match this.upstream.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(bytes))) => {
                    this.decoder.push(&bytes);
                    if !this.pump(false) {
                        this.end(Phase::Draining);
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    tracing::info!(error = e.label(), "upstream failed mid-stream");
                    this.chat
                        .fail(&events::transport_failure(&e), &mut this.out);
                    this.end(Phase::Done);
                }
                Poll::Ready(None) => {
                    if this.pump(true) {
                        // Clean EOF without a terminal event: the translator reports the cut.
                        this.chat.finish(&mut this.out);
                    }
                    this.end(Phase::Done);
                }
                Poll::Pending => {
                    if this.heartbeat.as_mut().poll(cx).is_ready() {
                        this.heartbeat
                            .as_mut()
                            .reset(Instant::now() + this.interval);
                        return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(
                            this.chat.heartbeat(),
                        )))));
                    }
                    return Poll::Pending;
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.phase == Phase::Done && self.out.is_empty()
    }
}
