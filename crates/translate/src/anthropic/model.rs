//! Client model names on the Anthropic route: `claude-*` names resolve by tier.
//!
//! A name that is an alias or catalog id (also after stripping `-<effort>` / `-<tier>`
//! suffixes) resolves as on every route (§2.3). Otherwise a name mentioning `opus`, `sonnet` or
//! `haiku` (any version and date: `claude-sonnet-4-5-20250929`, `claude-opus-4-7[1m]`)
//! resolves through the alias `claude-<tier>` (then `<tier>`) when one is configured; anything
//! else goes to the default model. The name shown to the client is always the one it sent.

use crate::model::{ResolvedModel, resolve_model};
use crate::options::ModelCatalog;

const FAMILIES: [&str; 3] = ["opus", "sonnet", "haiku"];

/// Resolve an Anthropic-route model name (see module docs); `display` is the client's name.
pub fn resolve_anthropic_model(name: &str, catalog: &ModelCatalog) -> ResolvedModel {
    let mut resolved = resolve_model(name, catalog);
    if !known_base(name, &resolved, catalog) {
        let lower = name.to_ascii_lowercase();
        let alias = FAMILIES
            .iter()
            .filter(|f| lower.contains(*f))
            .flat_map(|f| [format!("claude-{f}"), (*f).to_owned()])
            .find(|a| catalog.aliases.contains_key(a.as_str()));
        if let Some(alias) = alias {
            resolved.id = resolve_model(&alias, catalog).id;
            resolved.recognized = true;
        }
    }
    resolved.display = name.trim().to_owned();
    resolved
}

/// Whether resolution found the name (or its suffix-stripped base) among aliases or models.
fn known_base(name: &str, resolved: &ResolvedModel, catalog: &ModelCatalog) -> bool {
    let name = name.trim();
    let mut base = name;
    for suffix in [resolved.tier, resolved.effort].into_iter().flatten() {
        base = base
            .strip_suffix(suffix)
            .and_then(|b| b.strip_suffix('-'))
            .unwrap_or(base);
    }
    catalog.aliases.contains_key(base) || catalog.contains(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> ModelCatalog {
        ModelCatalog {
            models: vec!["gpt-5.5".into(), "gpt-5.4".into(), "gpt-5.3-codex".into()],
            aliases: [
                ("claude-opus", "gpt-5.5"),
                ("claude-sonnet", "gpt-5.4"),
                ("claude-haiku", "gpt-5.3-codex"),
                ("claude-sonnet-4-5", "gpt-5.4"),
            ]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect(),
            default_model: "gpt-5.4".into(),
        }
    }

    #[test]
    fn tiers_resolve_through_aliases() {
        let c = catalog();
        for (name, id, effort) in [
            ("claude-opus-4-7", "gpt-5.5", None),
            ("claude-opus-4-1-20250805", "gpt-5.5", None),
            ("claude-3-5-haiku-latest", "gpt-5.3-codex", None),
            ("claude-haiku-4-5-20251001", "gpt-5.3-codex", None),
            ("claude-sonnet-4-5", "gpt-5.4", None),
            ("claude-opus-4-high", "gpt-5.5", Some("high")),
            ("gpt-5.3-codex", "gpt-5.3-codex", None),
            ("mystery", "gpt-5.4", None),
        ] {
            let r = resolve_anthropic_model(name, &c);
            assert_eq!((r.id.as_str(), r.effort), (id, effort), "{name}");
            assert_eq!(r.display, name);
        }
    }
}
