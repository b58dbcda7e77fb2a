//! The echo model: reads the validated request and decides what to answer.

use std::hash::{DefaultHasher, Hash, Hasher};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::fault::{self, Fault};
use crate::plan::{Ending, Item, Plan, Usage};

/// What a request asks of the echo model (borrowed from the request JSON).
pub(crate) struct Turn<'a> {
    pub model: &'a str,
    /// Text of the last `user` message (parts joined with `\n`).
    pub user_text: String,
    /// Output of a trailing `function_call_output` / `custom_tool_call_output` item.
    pub tool_output: Option<String>,
    /// `(name, is_custom)` for every function/custom tool offered (top level, `additional_tools`, namespaces).
    pub tools: Vec<(&'a str, bool)>,
    pub reasoning: bool,
    pub include_encrypted: bool,
    pub prompt_cache_key: Option<&'a str>,
    /// `text.format` of the request (structured output), if any.
    pub format: Option<&'a Value>,
    /// The image the request asks for (`image_generation` tool, see `image.rs`).
    pub image: Option<crate::image::ImageSpec>,
}

impl<'a> Turn<'a> {
    /// Reads a request body that already passed validation.
    pub fn read(v: &'a Value) -> Turn<'a> {
        let input = v
            .get("input")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        let user_text = input
            .iter()
            .rev()
            .find(|it| {
                it.get("role").and_then(Value::as_str) == Some("user")
                    && it
                        .get("type")
                        .and_then(Value::as_str)
                        .is_none_or(|t| t == "message")
            })
            .map(|m| text_of(m.get("content"), "\n"))
            .unwrap_or_default();
        let tool_output = input.last().and_then(|last| {
            let kind = last.get("type").and_then(Value::as_str)?;
            matches!(kind, "function_call_output" | "custom_tool_call_output")
                .then(|| text_of(last.get("output"), ""))
        });
        let mut tools = Vec::new();
        if let Some(list) = v.get("tools").and_then(Value::as_array) {
            collect_tools(list, &mut tools);
        }
        for it in input {
            if it.get("type").and_then(Value::as_str) == Some("additional_tools")
                && let Some(list) = it.get("tools").and_then(Value::as_array)
            {
                collect_tools(list, &mut tools);
            }
        }
        let reasoning = v
            .get("reasoning")
            .and_then(|r| r.get("effort"))
            .and_then(Value::as_str)
            .is_some_and(|e| e != "none");
        let include_encrypted = v.get("include").and_then(Value::as_array).is_some_and(|a| {
            a.iter()
                .any(|s| s.as_str() == Some("reasoning.encrypted_content"))
        });
        let image = crate::image::wanted(v, &user_text);
        Turn {
            model: v.get("model").and_then(Value::as_str).unwrap_or_default(),
            image,
            user_text,
            tool_output,
            tools,
            reasoning,
            include_encrypted,
            prompt_cache_key: v.get("prompt_cache_key").and_then(Value::as_str),
            format: v.get("text").and_then(|t| t.get("format")),
        }
    }

    /// The first fault marker in the last user text.
    pub fn marker_fault(&self) -> Option<Fault> {
        fault::markers(&self.user_text).next()
    }

    /// The `[[replay:NAME]]` marker in the last user text.
    pub fn replay_name(&self) -> Option<&str> {
        fault::marker_bodies(&self.user_text, "[[replay:")
            .next()
            .map(str::trim)
    }

    /// Hash of the prompt cache key (what the account remembers for cached tokens).
    pub fn cache_key_hash(&self) -> Option<u64> {
        self.prompt_cache_key.map(|k| {
            let mut h = DefaultHasher::new();
            k.hash(&mut h);
            h.finish()
        })
    }

    /// Builds the answer. `n` makes ids unique; `body_len` drives input token usage.
    pub fn plan(&self, n: u64, body_len: usize, cache_hit: bool, ending: Ending, now: u64) -> Plan {
        let resp_id = format!("resp_mock{n:016x}");
        let mut items = Vec::new();
        if self.reasoning {
            let summary = format!(
                "**Echoing the request**\n\nThe user wrote {} characters; I will answer with an echo.",
                self.user_text.chars().count()
            );
            let encrypted = self
                .include_encrypted
                .then(|| STANDARD.encode(format!("mock-reasoning:v1:{resp_id}:{}", summary.len())));
            items.push(Item::Reasoning {
                id: format!("rs_mock{n:016x}"),
                summary,
                encrypted,
            });
        }
        let calls = match &self.tool_output {
            Some(_) => Vec::new(),
            None => self.tool_calls(n),
        };
        if let (true, None, Some(spec)) = (calls.is_empty(), &self.tool_output, &self.image) {
            items.push(Item::ImageGeneration {
                id: format!("ig_mock{n:016x}"),
                spec: spec.clone(),
                result: crate::image::png_b64(&self.user_text),
                revised_prompt: self.user_text.trim().to_owned(),
            });
        } else if calls.is_empty() {
            let text = match &self.tool_output {
                Some(out) => format!("tool result: {out}"),
                None => self
                    .format
                    .and_then(|f| crate::structured::answer(f, &self.user_text))
                    .unwrap_or_else(|| format!("echo: {}", self.user_text)),
            };
            items.push(Item::Message {
                id: format!("msg_mock{n:016x}"),
                text,
            });
        } else {
            items.extend(calls);
        }
        let input = (body_len as u64 / 4).max(1);
        let reasoning = match items.first() {
            Some(Item::Reasoning { summary, .. }) => summary.len() as u64 / 4 + 32,
            _ => 0,
        };
        let visible: u64 = items
            .iter()
            .map(|it| match it {
                Item::Reasoning { .. } => 0,
                Item::Message { text, .. } => text.len() as u64 / 4 + 1,
                Item::FunctionCall {
                    arguments, name, ..
                } => (arguments.len() + name.len()) as u64 / 4 + 1,
                Item::CustomToolCall { input, name, .. } => {
                    (input.len() + name.len()) as u64 / 4 + 1
                }
                Item::ImageGeneration { revised_prompt, .. } => revised_prompt.len() as u64 / 4 + 1,
            })
            .sum();
        let usage = Usage {
            input,
            cached: if cache_hit { input * 3 / 4 } else { 0 },
            output: visible + reasoning,
            reasoning,
        };
        Plan {
            resp_id,
            model: self.model.to_owned(),
            created_at: now,
            items,
            usage,
            ending,
        }
    }

    /// Function/custom tool calls requested by `[[tool:NAME ARGS]]` markers naming offered tools.
    fn tool_calls(&self, n: u64) -> Vec<Item> {
        let mut calls = Vec::new();
        for body in fault::marker_bodies_balanced(&self.user_text, "[[tool:") {
            let (name, rest) = match body.find(char::is_whitespace) {
                Some(at) => (&body[..at], body[at..].trim()),
                None => (body, ""),
            };
            let Some(&(_, custom)) = self.tools.iter().find(|(t, _)| *t == name) else {
                continue;
            };
            let parsed: Option<Value> = if rest.is_empty() {
                Some(Value::Object(Default::default()))
            } else {
                serde_json::from_str(rest).ok()
            };
            let i = calls.len();
            let call_id = format!("call_mock{n:016x}{i:02}");
            if custom {
                let input = match parsed {
                    Some(Value::String(s)) => s,
                    _ => rest.to_owned(),
                };
                let id = format!("ctc_mock{n:016x}{i:02}");
                calls.push(Item::CustomToolCall {
                    id,
                    call_id,
                    name: name.to_owned(),
                    input,
                });
            } else if let Some(args) = parsed {
                let id = format!("fc_mock{n:016x}{i:02}");
                let arguments = args.to_string();
                calls.push(Item::FunctionCall {
                    id,
                    call_id,
                    name: name.to_owned(),
                    arguments,
                });
            }
        }
        calls
    }
}

fn collect_tools<'a>(list: &'a [Value], out: &mut Vec<(&'a str, bool)>) {
    for tool in list {
        match tool.get("type").and_then(Value::as_str) {
            Some(kind @ ("function" | "custom")) => {
                if let Some(name) = tool.get("name").and_then(Value::as_str) {
                    out.push((name, kind == "custom"));
                }
            }
            Some("namespace") => {
                if let Some(nested) = tool.get("tools").and_then(Value::as_array) {
                    collect_tools(nested, out);
                }
            }
            _ => {}
        }
    }
}

/// Text of a message `content` / tool `output`: a string, or the text of its parts joined by `sep`.
fn text_of(content: Option<&Value>, sep: &str) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter_map(|p| {
                    p.get("text")
                        .or_else(|| p.get("refusal"))
                        .and_then(Value::as_str)
                })
                .collect();
            texts.join(sep)
        }
        _ => String::new(),
    }
}
