//! The streamed `chat.completion.chunk`. Strings are `Cow` and lists are [`ChunkList`] so the
//! streaming translator can build a chunk that borrows the upstream delta (and a stack-allocated
//! choice) and serialize it without allocating. Every type here is covariant in `'a`.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::completion::Usage;

/// One `data:` payload of a streamed chat completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionChunk<'a> {
    /// `chatcmpl-...`, the same for every chunk of a stream.
    pub id: Cow<'a, str>,
    /// Always `chat.completion.chunk`.
    pub object: Cow<'a, str>,
    /// Unix seconds, the same for every chunk of a stream.
    pub created: u64,
    /// Model name echoed to the client.
    pub model: Cow<'a, str>,
    /// Zero or one choice (zero on the separate usage chunk).
    pub choices: ChunkList<'a, ChunkChoice<'a>>,
    /// Absent on ordinary chunks; `null` or a value on the final one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub usage: Option<Option<Usage>>,
}

/// One choice of a chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkChoice<'a> {
    /// Choice index (always 0 for us).
    pub index: u32,
    /// What this chunk adds.
    pub delta: ChunkDelta<'a>,
    /// `null` until the last chunk.
    pub finish_reason: Option<Cow<'a, str>>,
}

/// The incremental part of a chunk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChunkDelta<'a> {
    /// `assistant` on the first chunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Cow<'a, str>>,
    /// Answer text fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Cow<'a, str>>,
    /// Reasoning text fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<Cow<'a, str>>,
    /// Refusal text fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Cow<'a, str>>,
    /// Tool call fragments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<ChunkList<'a, ToolCallDelta<'a>>>,
}

/// A tool call fragment: the first one of a call carries `id`, `type` and the name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolCallDelta<'a> {
    /// Stable position of the call within the message.
    pub index: u32,
    /// Call id (first fragment only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Cow<'a, str>>,
    /// `function` or `custom` (first fragment only).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Cow<'a, str>>,
    /// Function name / argument fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<ToolCallDeltaFunction<'a>>,
    /// Custom tool name / input fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<ToolCallDeltaCustom<'a>>,
}

/// `function` of a [`ToolCallDelta`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolCallDeltaFunction<'a> {
    /// Function name (first fragment only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Cow<'a, str>>,
    /// Argument text fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Cow<'a, str>>,
}

/// `custom` of a [`ToolCallDelta`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolCallDeltaCustom<'a> {
    /// Tool name (first fragment only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Cow<'a, str>>,
    /// Input text fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Cow<'a, str>>,
}

/// Distinguish `"usage": null` (Some(None)) from an absent key (None, via `default`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<Usage>>, D::Error> {
    Option::<Usage>::deserialize(d).map(Some)
}

/// A list that is either borrowed (when serializing what we emit) or owned (when parsing).
/// Unlike `Cow<'a, [T]>` it is covariant, so a chunk can borrow a short-lived local slice.
#[derive(Debug, Clone)]
pub enum ChunkList<'a, T> {
    /// A borrowed slice.
    Borrowed(&'a [T]),
    /// An owned vector (what deserialization produces).
    Owned(Vec<T>),
}

impl<T> std::ops::Deref for ChunkList<'_, T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match self {
            ChunkList::Borrowed(s) => s,
            ChunkList::Owned(v) => v,
        }
    }
}

impl<T: PartialEq> PartialEq for ChunkList<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T> From<Vec<T>> for ChunkList<'_, T> {
    fn from(v: Vec<T>) -> Self {
        ChunkList::Owned(v)
    }
}

impl<'a, T> From<&'a [T]> for ChunkList<'a, T> {
    fn from(s: &'a [T]) -> Self {
        ChunkList::Borrowed(s)
    }
}

impl<T: Serialize> Serialize for ChunkList<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ChunkList<'_, T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<T>::deserialize(d).map(ChunkList::Owned)
    }
}
