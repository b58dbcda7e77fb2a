//! The echo model's answer to one request, as data: items, usage and how the stream ends.

/// One output item of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    /// `reasoning` with one summary part and (when requested) `encrypted_content`.
    Reasoning {
        id: String,
        summary: String,
        encrypted: Option<String>,
    },
    /// Assistant `message` with one `output_text` part.
    Message { id: String, text: String },
    /// `function_call`.
    FunctionCall {
        id: String,
        call_id: String,
        name: String,
        arguments: String,
    },
    /// `custom_tool_call`.
    CustomToolCall {
        id: String,
        call_id: String,
        name: String,
        input: String,
    },
    /// `image_generation_call` (see `image.rs`).
    ImageGeneration {
        id: String,
        spec: crate::image::ImageSpec,
        result: String,
        revised_prompt: String,
    },
}

/// Token usage reported in the terminal event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    pub input: u64,
    pub cached: u64,
    pub output: u64,
    pub reasoning: u64,
}

/// How the stream ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// `response.completed`.
    Completed,
    /// `response.incomplete` with `incomplete_details.reason = max_output_tokens`; text truncated.
    Incomplete,
    /// `response.failed` with code `server_is_overloaded` right after `response.in_progress`.
    Overloaded,
    /// `error` (code `server_error`) then `response.failed`, right after `response.in_progress`.
    ErrorEvent,
}

/// Everything needed to render the SSE stream of one response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub resp_id: String,
    pub model: String,
    pub created_at: u64,
    pub items: Vec<Item>,
    pub usage: Usage,
    pub ending: Ending,
}

/// Splits `s` into deterministic chunks of 4–8 bytes (extended to char boundaries).
pub(crate) fn chunk_ranges(s: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    const SIZES: [usize; 5] = [4, 6, 5, 8, 7];
    let mut start = 0;
    let mut i = 0;
    std::iter::from_fn(move || {
        if start >= s.len() {
            return None;
        }
        let mut end = (start + SIZES[i % SIZES.len()]).min(s.len());
        while !s.is_char_boundary(end) {
            end += 1;
        }
        i += 1;
        let range = (start, end);
        start = end;
        Some(range)
    })
}

/// Cuts `s` to about half its length at a char boundary (the text of an incomplete message).
pub(crate) fn truncate_half(s: &str) -> &str {
    let mut end = s.len() / 2;
    while !s.is_char_boundary(end) {
        end += 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_text_on_char_boundaries() {
        let s = "echo: héllo wörld ✓✓✓ and more";
        let parts: Vec<&str> = chunk_ranges(s).map(|(a, b)| &s[a..b]).collect();
        assert!(parts.len() > 3);
        assert_eq!(parts.concat(), s);
        assert!(
            parts
                .iter()
                .all(|p| (4..=10).contains(&p.len()) || p.len() < 4)
        );
        assert_eq!(chunk_ranges("").count(), 0);
        assert_eq!(truncate_half("ab✓"), "ab✓".get(..2).unwrap_or_default());
    }
}
