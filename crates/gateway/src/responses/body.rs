//! [`ResponsesBody`]: the streamed `/v1/responses` body. Like the chat body it polls the upstream
//! body directly, decodes SSE incrementally and relays each batch of events at once, with `: ping`
//! comments while the upstream is idle; dropping it cancels the upstream request.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use codex_proxy_pool::Lease;
use codex_proxy_schema::sse::SseDecoder;
use codex_proxy_translate::UpstreamFailure;
use codex_proxy_translate::responses::ResponsesRelay;
use codex_proxy_upstream::UpstreamError;

use crate::attempt::StreamingResponse;
use futures_util::Stream;
use http_body::Frame;
use tokio::time::{Instant, Sleep};

use crate::events::{self, Tap};
use crate::state::AppState;

type Chunks = Pin<Box<dyn Stream<Item = Result<Bytes, UpstreamError>> + Send>>;

/// The heartbeat comment.
const PING: &[u8] = b": ping\n\n";

/// A streamed Responses passthrough body.
pub(crate) struct ResponsesBody {
    upstream: Chunks,
    decoder: SseDecoder,
    relay: ResponsesRelay,
    tap: Tap,
    out: Vec<u8>,
    heartbeat: Pin<Box<Sleep>>,
    interval: Duration,
    done: bool,
    report: Option<(Arc<AppState>, Lease)>,
}

impl ResponsesBody {
    /// A body relaying `response`, pinging every `interval` of silence; usage is reported
    /// against `lease` when the response completes.
    pub fn new(
        response: StreamingResponse,
        relay: ResponsesRelay,
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
            relay,
            tap: Tap::default(),
            out: Vec::with_capacity(1024),
            heartbeat: Box::pin(tokio::time::sleep(interval)),
            interval,
            done: false,
            report: Some((state, lease)),
        }
    }

    /// Relays every complete buffered frame; `eof` also flushes and closes the client stream.
    fn pump(&mut self, eof: bool) {
        let Self {
            decoder,
            relay,
            tap,
            out,
            ..
        } = self;
        let fed = super::feed(decoder, eof, tap, |frame| relay.push_frame(frame, out));
        if let Err(e) = fed {
            let failure = UpstreamFailure {
                message: e.to_string(),
                code: "upstream_protocol_error",
            };
            relay.fail(&failure, out);
            self.end();
        } else if eof {
            relay.finish(out);
            self.end();
        }
    }

    fn end(&mut self) {
        self.done = true;
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

impl http_body::Body for ResponsesBody {
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
            if this.done {
                return Poll::Ready(None);
            }
            match this.upstream.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(bytes))) => {
                    this.decoder.push(&bytes);
                    this.pump(false);
                }
                Poll::Ready(Some(Err(e))) => {
                    tracing::info!(error = e.label(), "upstream failed mid-stream");
                    this.pump(false);
                    this.relay
                        .fail(&events::transport_failure(&e), &mut this.out);
                    this.end();
                }
                Poll::Ready(None) => this.pump(true),
                Poll::Pending => {
                    if this.heartbeat.as_mut().poll(cx).is_ready() {
                        this.heartbeat
                            .as_mut()
                            .reset(Instant::now() + this.interval);
                        return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(PING)))));
                    }
                    return Poll::Pending;
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done && self.out.is_empty()
    }
}
