//! Thinking-block signatures that carry Codex reasoning across turns.
//!
//! Anthropic clients send `thinking` blocks back verbatim in later turns, so the block's opaque
//! `signature` is where the reasoning item's `encrypted_content` travels: we write
//! `cxr1.<encrypted_content>` and, on the way back in, turn a block with such a signature into
//! a `reasoning` input item so multi-turn reasoning continues. Signatures that are not ours
//! (real Anthropic ones, from a conversation that started on Claude) are dropped.

/// Prefix of the signatures we issue.
pub const PREFIX: &str = "cxr1.";

/// The signature for an encrypted reasoning blob.
pub fn encode(encrypted_content: &str) -> String {
    let mut s = String::with_capacity(PREFIX.len() + encrypted_content.len());
    s.push_str(PREFIX);
    s.push_str(encrypted_content);
    s
}

/// The encrypted reasoning inside one of our signatures, or `None` for a foreign one.
pub fn decode(signature: &str) -> Option<&str> {
    signature
        .strip_prefix(PREFIX)
        .filter(|s| !s.trim().is_empty())
}
