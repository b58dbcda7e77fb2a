//! Model name parsing and resolution: aliases, catalog ids, `-<effort>` and `-<tier>` suffixes
//! (translation spec §2.3, upstream spec §12).

use crate::options::ModelCatalog;

/// Effort suffixes in the order they are checked.
const EFFORTS: [&str; 6] = ["none", "minimal", "low", "medium", "high", "xhigh"];
/// Service-tier suffixes in the order they are checked.
const TIERS: [&str; 2] = ["fast", "flex"];

/// The outcome of resolving a client model name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedModel {
    /// The Codex model id sent upstream.
    pub id: String,
    /// Effort parsed from a suffix.
    pub effort: Option<&'static str>,
    /// Service tier parsed from a suffix (`fast` / `flex`).
    pub tier: Option<&'static str>,
    /// Name echoed to the client: `<id>[-<effort>][-<tier>]`.
    pub display: String,
    /// Whether the name was known (alias, catalog id, either after suffix stripping, or a name
    /// that looks like an OpenAI/Codex model). The chat route rejects unrecognized names.
    pub recognized: bool,
}

/// Resolve `name` against the catalog (see module docs).
pub fn resolve_model(name: &str, catalog: &ModelCatalog) -> ResolvedModel {
    let name = name.trim();
    let known = |n: &str| catalog.aliases.contains_key(n) || catalog.contains(n);
    let (base, effort, tier) = if known(name) {
        (name, None, None)
    } else {
        let (rest, tier) = strip_suffix(name, &TIERS);
        let (rest, effort) = strip_suffix(rest, &EFFORTS);
        (rest, effort, tier)
    };
    let recognized = known(base) || looks_like_openai_model(name);
    let id = resolve_base(base, catalog);
    let mut display = id.clone();
    for suffix in [effort, tier].into_iter().flatten() {
        display.push('-');
        display.push_str(suffix);
    }
    ResolvedModel {
        id,
        effort,
        tier,
        display,
        recognized,
    }
}

/// Strip one `-<suffix>` from the end, trying `options` in order.
fn strip_suffix<'a>(name: &'a str, options: &[&'static str]) -> (&'a str, Option<&'static str>) {
    for &suffix in options {
        if let Some(rest) = name.strip_suffix(suffix).and_then(|r| r.strip_suffix('-'))
            && !rest.is_empty()
        {
            return (rest, Some(suffix));
        }
    }
    (name, None)
}

/// Follow the alias chain (≤ 20 hops, a cycle keeps the original); unknown → default model.
fn resolve_base(base: &str, catalog: &ModelCatalog) -> String {
    let mut current = base;
    let mut hops = 0;
    while let Some(next) = catalog.aliases.get(current) {
        hops += 1;
        if hops > 20 || next == base {
            current = base;
            break;
        }
        current = next;
    }
    if current != base || catalog.contains(current) {
        current.to_owned()
    } else {
        catalog.default_model.clone()
    }
}

/// `^(gpt|o\d|codex)` case-insensitively.
fn looks_like_openai_model(name: &str) -> bool {
    let lower = name.as_bytes();
    let starts = |p: &[u8]| lower.len() >= p.len() && lower[..p.len()].eq_ignore_ascii_case(p);
    starts(b"gpt")
        || starts(b"codex")
        || (lower.len() >= 2 && lower[0].eq_ignore_ascii_case(&b'o') && lower[1].is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> ModelCatalog {
        ModelCatalog {
            models: vec![
                "gpt-5.4".into(),
                "gpt-5.3-codex".into(),
                "gpt-5.4-mini".into(),
            ],
            aliases: [
                ("codex".to_owned(), "gpt-5.3-codex".to_owned()),
                ("a".to_owned(), "b".to_owned()),
                ("b".to_owned(), "a".to_owned()),
            ]
            .into_iter()
            .collect(),
            default_model: "gpt-5.4".into(),
        }
    }

    #[test]
    fn suffix_order_matters() {
        let r = resolve_model("gpt-5.4-high-fast", &catalog());
        assert_eq!(
            (r.id.as_str(), r.effort, r.tier, r.display.as_str()),
            ("gpt-5.4", Some("high"), Some("fast"), "gpt-5.4-high-fast")
        );
        let r = resolve_model("gpt-5.4-fast-high", &catalog());
        assert_eq!(
            (r.id.as_str(), r.effort, r.tier),
            ("gpt-5.4", Some("high"), None)
        );
        let r = resolve_model("gpt-5.4-xhigh", &catalog());
        assert_eq!(r.effort, Some("xhigh"));
        let r = resolve_model("gpt-5.4-mini", &catalog());
        assert_eq!((r.id.as_str(), r.effort), ("gpt-5.4-mini", None));
    }

    #[test]
    fn aliases_and_defaults() {
        let r = resolve_model("codex-high", &catalog());
        assert_eq!(
            (r.id.as_str(), r.effort, r.recognized),
            ("gpt-5.3-codex", Some("high"), true)
        );
        let r = resolve_model("gpt-4o", &catalog());
        assert_eq!((r.id.as_str(), r.recognized), ("gpt-5.4", true));
        let r = resolve_model("claude-opus-4-high", &catalog());
        assert_eq!(
            (r.id.as_str(), r.effort, r.recognized),
            ("gpt-5.4", Some("high"), false)
        );
        let r = resolve_model("a", &catalog());
        assert_eq!(
            r.id, "gpt-5.4",
            "a cycle keeps the original name, which is unknown"
        );
        let r = resolve_model("o3-mini", &catalog());
        assert!(r.recognized);
    }
}
