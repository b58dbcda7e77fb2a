//! The native Responses API, passed through to Codex (translation spec §7, §8.1).
//!
//! * [`passthrough_request`]: a `/v1/responses` body → a Codex request (forced `stream:true`,
//!   `store:false`, unsupported fields dropped, input sanitized, tools repaired and merged with
//!   the default hosted tools, model resolved); [`require_http_compatible`] refuses what only
//!   the WebSocket transport can carry.
//! * [`compact_request`]: a `/v1/responses/compact` body → the Codex compact body.
//! * [`ResponsesRelay`]: upstream SSE → client SSE, event by event.
//! * [`ResponsesCollector`]: upstream SSE → the `response` object for `stream:false`.
//! * [`images_request`] + [`ImageCollector`]: `/v1/images/generations` (and JSON edits) via
//!   the `image_generation` tool.
//! * [`responses_error_body`] / [`images_error_body`]: these routes' error shapes.

mod collect;
mod error_body;
mod images;
mod multipart;
mod relay;
mod request;
mod sanitize;

pub use collect::ResponsesCollector;
pub use error_body::responses_error_body;
pub use images::{
    IMAGE_SIZES, ImageCollector, ImageMode, ImagesTranslated, images_error_body, images_request,
};
pub use multipart::images_multipart_to_json;
pub use relay::{ResponsesRelay, write_failed_reply};
pub use request::{
    PassthroughRoute, ResponsesTranslated, compact_request, passthrough_request,
    require_http_compatible,
};
pub use sanitize::sanitize_input;

#[cfg(test)]
mod tests;
