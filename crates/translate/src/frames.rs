//! Upstream SSE bytes → [`ResponsesEvent`]s, shared by the byte-level pipes of every dialect's
//! translator. Frames that are not valid events are skipped (like the reference's
//! "unknown" events); a framing error (oversized event, invalid UTF-8) is reported once.

use codex_proxy_schema::responses::ResponsesEvent;
use codex_proxy_schema::sse::SseDecoder;

use crate::upstream::UpstreamFailure;

/// Decode every complete frame in `decoder` (all remaining ones when `eof`), handing each event
/// to `on_event`. Returns the framing failure, if any.
pub(crate) fn drain(
    decoder: &mut SseDecoder,
    eof: bool,
    on_event: &mut dyn FnMut(&ResponsesEvent<'_>),
) -> Option<UpstreamFailure> {
    loop {
        let frame = if eof {
            decoder.finish()
        } else {
            decoder.next_frame()
        };
        match frame {
            Ok(Some(frame)) => {
                if !frame.is_done()
                    && let Ok(ev) = ResponsesEvent::parse(&frame)
                {
                    on_event(&ev);
                }
            }
            Ok(None) => return None,
            Err(e) => {
                return Some(UpstreamFailure {
                    message: e.to_string(),
                    code: "upstream_protocol_error",
                });
            }
        }
    }
}
