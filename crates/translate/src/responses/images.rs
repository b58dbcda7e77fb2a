//! `/v1/images/generations` (and JSON `/v1/images/edits`) through the `image_generation` tool
//! (translation spec §8.1, upstream spec §3.6): [`images_request`] validates the body and builds
//! a Codex request; [`ImageCollector`] picks the generated image out of the upstream stream and
//! answers `{created, data:[{b64_json, revised_prompt?}]}`.
//!
//! Edit mode: input images (`images:[{image_url}]` or `image: url | [url]`, data or http URLs)
//! travel as `input_image` parts of the user message; `mask` is refused (the backend has no
//! mask input). Deliberate improvement: the host model goes upstream as its resolved id (the
//! reference sends the display name with suffixes, which the backend refuses).

use std::borrow::Cow;

use codex_proxy_schema::responses::{ErrorPayload, ResponsesRequest};
use codex_proxy_schema::sse::{SseDecoder, SseFrame};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::TranslateError;
use crate::model::resolve_model;
use crate::options::RequestOptions;
use crate::reply::{ErrorKind, ErrorReply};
use crate::upstream::event_error_to_reply;

/// Sizes the backend accepts.
pub const IMAGE_SIZES: [&str; 10] = [
    "1024x1024",
    "1024x1536",
    "1536x1024",
    "2048x2048",
    "2048x3072",
    "3072x2048",
    "3840x2160",
    "2160x3840",
    "2304x3072",
    "auto",
];
/// Longest prompt accepted (characters, after trimming).
const MAX_PROMPT_CHARS: usize = 32_768;
/// Message when the upstream produced no image.
const NO_IMAGE: &str = "Upstream returned no image_generation_call.result";

/// Which images endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageMode {
    /// `/v1/images/generations`: input images are optional.
    Generate,
    /// `/v1/images/edits`: at least one input image is required.
    Edit,
}

/// A validated images request.
#[derive(Debug, Clone)]
pub struct ImagesTranslated {
    /// The Codex request (host model, prompt as user input, one `image_generation` tool).
    pub request: ResponsesRequest,
    /// The model the client named (usually `gpt-image-2`); never sent upstream.
    pub client_model: String,
}

/// Validate an images body and build the Codex request. `host_model` is the config
/// `model.image_host_model`; a host that is unknown, outside the catalog or an image model is a
/// server-side configuration error (500 `image_host_model_invalid`).
pub fn images_request(
    body: &[u8],
    opts: &RequestOptions,
    host_model: &str,
    mode: ImageMode,
) -> Result<ImagesTranslated, ErrorReply> {
    let obj = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(obj)) => obj,
        Ok(_) => return Err(invalid("model", "request body must be a JSON object")),
        Err(_) => return Err(TranslateError::InvalidJson.to_reply()),
    };
    let client_model = obj
        .get("model")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| invalid("model", "model is required"))?
        .to_owned();
    let prompt = obj
        .get("prompt")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| invalid("prompt", "prompt is required"))?;
    if prompt.chars().count() > MAX_PROMPT_CHARS {
        return Err(invalid("prompt", "prompt must be at most 32768 characters"));
    }
    let size = one_of(&obj, "size", &IMAGE_SIZES)?.unwrap_or("auto");
    one_of(&obj, "quality", &["standard", "hd"])?;
    let format = one_of(&obj, "output_format", &["png", "jpeg", "webp"])?.unwrap_or("png");
    let compression = int_in(&obj, "output_compression", 100)?;
    let background = one_of(&obj, "background", &["auto", "opaque"])?;
    let moderation = one_of(&obj, "moderation", &["auto", "low"])?;
    let partial = int_in(&obj, "partial_images", 3)?;
    if obj.get("n").is_some_and(|n| n.as_u64() != Some(1)) {
        return Err(invalid("n", "n must be 1"));
    }
    let b64 = match obj.get("response_format") {
        None | Some(Value::Null) => true,
        Some(Value::String(f)) => f == "b64_json",
        Some(other) => other.get("type").and_then(Value::as_str) == Some("b64_json"),
    };
    if !b64 {
        return Err(invalid(
            "response_format",
            "response_format must be b64_json",
        ));
    }
    if obj.get("stream").is_some_and(|s| s != &Value::Bool(false)) {
        return Err(invalid(
            "stream",
            "streaming image generation is not supported",
        ));
    }
    if obj.get("mask").is_some_and(|m| !m.is_null()) {
        return Err(invalid("mask", "mask is not supported"));
    }
    if format == "png" && compression.is_some_and(|c| c != 100) {
        return Err(invalid(
            "output_compression",
            "output_compression must be 100 when output_format is png",
        ));
    }
    let images = input_images(&obj)?;
    if mode == ImageMode::Edit && images.is_empty() {
        return Err(invalid(
            "image",
            "image edits need at least one input image",
        ));
    }
    let host = host_model_id(host_model, opts)?;

    let mut tool = Map::new();
    tool.insert("type".into(), json!("image_generation"));
    tool.insert("size".into(), json!(size));
    tool.insert("output_format".into(), json!(format));
    if let Some(c) = compression {
        tool.insert("output_compression".into(), json!(c));
    }
    if let Some(b) = background {
        tool.insert("background".into(), json!(b));
    }
    if let Some(m) = moderation {
        tool.insert("moderation".into(), json!(m));
    }
    if let Some(p) = partial {
        tool.insert("partial_images".into(), json!(p));
    }
    let mut content = vec![json!({"type": "input_text", "text": prompt})];
    content.extend(
        images
            .into_iter()
            .map(|url| json!({"type": "input_image", "image_url": url})),
    );
    let request = json!({
        "model": host,
        "instructions": "",
        "input": [{"type": "message", "role": "user", "content": content}],
        "stream": true,
        "store": false,
        "tools": [tool],
    });
    let request = serde_json::from_value(request).map_err(|e| {
        ErrorReply::new(
            500,
            ErrorKind::Upstream,
            e.to_string(),
            Some("internal_error"),
        )
    })?;
    Ok(ImagesTranslated {
        request,
        client_model,
    })
}

/// The error body of the images routes: `{error:{message, type, param:null, code}}` with
/// `type`/`code` chosen by status (§8.1).
pub fn images_error_body(reply: &ErrorReply) -> Vec<u8> {
    let (kind, default_code) = match reply.status {
        429 => ("rate_limit_error", "rate_limit_exceeded"),
        400..=499 => ("invalid_request_error", "invalid_request"),
        _ => ("server_error", "codex_api_error"),
    };
    let code = match reply.code.as_deref() {
        Some(c @ ("image_generation_failed" | "image_host_model_invalid" | "invalid_json")) => c,
        _ => default_code,
    };
    let param = reply.param.as_deref().filter(|_| reply.status >= 500);
    json!({"error": {"message": reply.message, "type": kind, "param": param, "code": code}})
        .to_string()
        .into_bytes()
}

/// Upstream SSE bytes → the images answer.
#[derive(Debug, Default)]
pub struct ImageCollector {
    decoder: SseDecoder,
    state: ImageState,
}

/// A generated image: base64 result and the revised prompt.
type Image = (String, Option<String>);

#[derive(Debug, Default)]
struct ImageState {
    /// First image seen in `output_item.done`: (result, revised_prompt).
    early: Option<Image>,
    /// Outcome once terminal: `Some(Ok(image))` / `Some(Err(reply))`.
    outcome: Option<Result<Option<Image>, ErrorReply>>,
}

impl ImageCollector {
    /// A collector for one response.
    pub fn new() -> Self {
        ImageCollector::default()
    }

    /// Feed upstream bytes (split anywhere).
    pub fn push_bytes(&mut self, chunk: &[u8]) {
        if self.state.outcome.is_some() {
            return;
        }
        self.decoder.push(chunk);
        self.drain(false);
    }

    /// Feed one already decoded upstream frame (for callers that run their own
    /// [`SseDecoder`]).
    pub fn push_frame(&mut self, frame: &SseFrame<'_>) {
        if self.state.outcome.is_none()
            && let Some(name) = frame.event.filter(|e| !e.is_empty())
        {
            self.state.push(name, frame.data);
        }
    }

    /// End of the upstream body: `{created, data:[{b64_json, revised_prompt?}]}` or the error.
    pub fn finish(mut self, created: u64) -> Result<Vec<u8>, ErrorReply> {
        if self.state.outcome.is_none() {
            self.drain(true);
        }
        match self.state.outcome {
            Some(Ok(Some((b64, revised)))) => {
                let mut entry = Map::new();
                entry.insert("b64_json".into(), Value::String(b64));
                if let Some(r) = revised {
                    entry.insert("revised_prompt".into(), Value::String(r));
                }
                Ok(json!({"created": created, "data": [entry]})
                    .to_string()
                    .into_bytes())
            }
            Some(Err(reply)) => Err(reply),
            Some(Ok(None)) | None => Err(ErrorReply::new(
                502,
                ErrorKind::Upstream,
                NO_IMAGE,
                Some("image_generation_failed"),
            )),
        }
    }

    fn drain(&mut self, eof: bool) {
        loop {
            let frame = if eof {
                self.decoder.finish()
            } else {
                self.decoder.next_frame()
            };
            match frame {
                Ok(Some(frame)) => {
                    let name = match frame.event.filter(|e| !e.is_empty()) {
                        Some(name) => name,
                        None => continue,
                    };
                    self.state.push(name, frame.data);
                    if self.state.outcome.is_some() {
                        return;
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    self.state.outcome = Some(Err(ErrorReply::new(
                        502,
                        ErrorKind::Upstream,
                        e.to_string(),
                        Some("upstream_protocol_error"),
                    )));
                    return;
                }
            }
        }
    }
}

impl ImageState {
    fn push(&mut self, name: &str, data: &str) {
        match name {
            "response.output_item.done" if self.early.is_none() => {
                if let Ok(ev) = serde_json::from_str::<ItemDone<'_>>(data)
                    && let Some(image) = ev.item.and_then(ImageItem::into_image)
                {
                    self.early = Some(image);
                }
            }
            "response.completed" => {
                let output = serde_json::from_str::<Completed<'_>>(data)
                    .ok()
                    .and_then(|c| c.response)
                    .and_then(|r| r.output)
                    .filter(|o| !o.is_empty());
                let image = match output {
                    Some(items) => items.into_iter().find_map(ImageItem::into_image),
                    None => self.early.take(),
                };
                self.outcome = Some(Ok(image));
            }
            "response.failed" | "error" => {
                let info = ErrorPayload::new(data).extract();
                self.outcome = Some(Err(event_error_to_reply(&info.code, &info.message)));
            }
            _ => {}
        }
    }
}

fn invalid(param: &str, message: &str) -> ErrorReply {
    TranslateError::InvalidRequest {
        message: message.to_owned(),
        param: Some(param.to_owned()),
    }
    .to_reply()
}

/// An optional string field restricted to `allowed`.
fn one_of<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    allowed: &[&str],
) -> Result<Option<&'v str>, ErrorReply> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s)),
        Some(_) => Err(invalid(
            key,
            &format!("{key} must be one of {}", allowed.join(", ")),
        )),
    }
}

/// An optional integer field in `0..=max`.
fn int_in(obj: &Map<String, Value>, key: &str, max: u64) -> Result<Option<u64>, ErrorReply> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64().filter(|n| *n <= max) {
            Some(n) => Ok(Some(n)),
            None => Err(invalid(
                key,
                &format!("{key} must be an integer from 0 to {max}"),
            )),
        },
    }
}

/// Input images of edit mode as URLs.
fn input_images(obj: &Map<String, Value>) -> Result<Vec<String>, ErrorReply> {
    let mut urls = Vec::new();
    let bad = || invalid("image", "input images must be data: or http(s) URLs");
    let mut push = |url: &str| -> Result<(), ErrorReply> {
        let ok = url.starts_with("data:image/")
            || url.starts_with("https://")
            || url.starts_with("http://");
        if !ok {
            return Err(bad());
        }
        urls.push(url.to_owned());
        Ok(())
    };
    match obj.get("image") {
        None | Some(Value::Null) => {}
        Some(Value::String(url)) => push(url)?,
        Some(Value::Array(list)) => {
            for url in list {
                push(url.as_str().ok_or_else(bad)?)?;
            }
        }
        Some(_) => return Err(bad()),
    }
    if let Some(list) = obj.get("images").filter(|v| !v.is_null()) {
        let list = list.as_array().ok_or_else(bad)?;
        for entry in list {
            let url = entry
                .get("image_url")
                .and_then(Value::as_str)
                .or_else(|| entry.as_str())
                .ok_or_else(bad)?;
            push(url)?;
        }
    }
    Ok(urls)
}

/// The configured host model as a catalog id, refusing unknown names and image models.
fn host_model_id(host: &str, opts: &RequestOptions) -> Result<String, ErrorReply> {
    // Resolve without the default-model fallback: an unknown host resolves to "".
    let mut catalog = opts.catalog.clone();
    catalog.default_model = String::new();
    let resolved = resolve_model(host, &catalog);
    let valid = !resolved.id.is_empty()
        && catalog.contains(&resolved.id)
        && !resolved.id.eq_ignore_ascii_case("gpt-image-2");
    if valid {
        return Ok(resolved.id);
    }
    Err(ErrorReply::new(
        500,
        ErrorKind::Upstream,
        format!("Configured image host model '{host}' is not a usable Codex model"),
        Some("image_host_model_invalid"),
    )
    .with_param("model.image_host_model"))
}

#[derive(Deserialize)]
struct ItemDone<'a> {
    #[serde(borrow)]
    item: Option<ImageItem<'a>>,
}

#[derive(Deserialize)]
struct Completed<'a> {
    #[serde(borrow)]
    response: Option<CompletedResponse<'a>>,
}

#[derive(Deserialize)]
struct CompletedResponse<'a> {
    #[serde(borrow)]
    output: Option<Vec<ImageItem<'a>>>,
}

#[derive(Deserialize)]
struct ImageItem<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    result: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    revised_prompt: Option<Cow<'a, str>>,
}

impl ImageItem<'_> {
    fn into_image(self) -> Option<Image> {
        if self.kind != "image_generation_call" {
            return None;
        }
        let result = self.result.filter(|r| !r.is_empty())?;
        Some((
            result.into_owned(),
            self.revised_prompt.map(Cow::into_owned),
        ))
    }
}
