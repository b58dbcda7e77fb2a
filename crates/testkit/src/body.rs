//! The response body type and small constructors for JSON/HTML/error responses.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body::{Body, Frame, SizeHint};
use serde_json::{Value, json};

use crate::sse::SseBody;

/// Either a complete body or a paced SSE stream.
pub(crate) enum MockBody {
    Full(Option<Bytes>),
    Sse(Box<SseBody>),
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            MockBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            MockBody::Sse(s) => s.poll_next(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, MockBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            MockBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            MockBody::Full(None) => SizeHint::with_exact(0),
            MockBody::Sse(_) => SizeHint::default(),
        }
    }
}

pub(crate) type Resp = Response<MockBody>;

/// A response with a complete body and content type.
pub(crate) fn full(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Resp {
    let mut resp = Response::new(MockBody::Full(Some(body.into())));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, value: &Value) -> Resp {
    full(status, "application/json", value.to_string())
}

/// `{"detail": "<message>"}` — the shape of the backend's own validation errors.
pub(crate) fn detail(status: StatusCode, message: &str) -> Resp {
    json(status, &json!({ "detail": message }))
}

/// `{"error": {message, type, param, code}}` — the OpenAI error object shape.
pub(crate) fn error(
    status: StatusCode,
    message: &str,
    kind: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> Resp {
    json(
        status,
        &json!({ "error": { "message": message, "type": kind, "param": param, "code": code } }),
    )
}

/// An empty-bodied response.
pub(crate) fn empty(status: StatusCode) -> Resp {
    let mut resp = Response::new(MockBody::Full(None));
    *resp.status_mut() = status;
    resp
}
