//! Repository invariants, checked as tests: the crate dependency graph and file headers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::project_root;

/// Allowed `codex-proxy-*` dependencies (normal, not dev) of each workspace package. A new edge
/// is a design change: update ARCHITECTURE.md and this table together.
const ALLOWED_EDGES: &[(&str, &[&str])] = &[
    ("codex-proxy-schema", &[]),
    ("codex-proxy-translate", &["codex-proxy-schema"]),
    ("codex-proxy-upstream", &[]),
    ("codex-proxy-pool", &[]),
    ("codex-proxy-fingerprint", &[]),
    ("codex-proxy-testkit", &[]),
    (
        "codex-proxy-gateway",
        &[
            "codex-proxy-schema",
            "codex-proxy-translate",
            "codex-proxy-upstream",
            "codex-proxy-pool",
            "codex-proxy-fingerprint",
        ],
    ),
    (
        "codex-proxy-server",
        &["codex-proxy-gateway", "codex-proxy-pool"],
    ),
];

/// Packages that must never appear among a crate's normal dependencies (I/O stays out of the
/// sans-I/O crates; storage and HTTP clients stay in their own crates).
const FORBIDDEN: &[(&str, &[&str])] = &[
    ("codex-proxy-schema", &["tokio", "hyper", "redb", "tracing"]),
    (
        "codex-proxy-translate",
        &["tokio", "hyper", "redb", "tracing"],
    ),
    ("codex-proxy-upstream", &["redb"]),
    ("codex-proxy-pool", &["hyper", "tokio-rustls"]),
];

fn manifests() -> Vec<PathBuf> {
    let root = project_root();
    let mut out = Vec::new();
    for dir in ["crates", "bins"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let m = e.path().join("Cargo.toml");
            if m.exists() {
                out.push(m);
            }
        }
    }
    out.sort();
    out
}

/// Package name and the names under `[dependencies]` of one manifest (a small line parser: our
/// manifests use one `name.workspace = true` or `name = ...` line per dependency).
fn parse_manifest(path: &Path) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut name = String::new();
    let mut deps = Vec::new();
    let mut section = String::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.to_owned();
            continue;
        }
        if section == "[package]" && line.starts_with("name") {
            name = line.split('"').nth(1).unwrap_or_default().to_owned();
        }
        if section == "[dependencies]" && !line.is_empty() && !line.starts_with('#') {
            let dep = line.split(['.', '=', ' ']).next().unwrap_or_default();
            deps.push(dep.to_owned());
        }
    }
    (name, deps)
}

#[test]
fn crate_edges_follow_the_architecture() {
    let allowed: BTreeMap<_, _> = ALLOWED_EDGES.iter().copied().collect();
    let mut seen = 0;
    for m in manifests() {
        let (name, deps) = parse_manifest(&m);
        let Some(ok) = allowed.get(name.as_str()) else {
            panic!(
                "{name} ({}) is not in ALLOWED_EDGES: add it with its allowed edges",
                m.display()
            );
        };
        for d in deps.iter().filter(|d| d.starts_with("codex-proxy-")) {
            assert!(
                ok.contains(&d.as_str()),
                "{name} must not depend on {d} (see ARCHITECTURE.md)"
            );
        }
        if let Some((_, bad)) = FORBIDDEN.iter().find(|(n, _)| *n == name) {
            for d in &deps {
                assert!(!bad.contains(&d.as_str()), "{name} must not depend on {d}");
            }
        }
        seen += 1;
    }
    assert!(seen >= 6, "expected the workspace crates, found {seen}");
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let root = project_root();
    let mut missing = Vec::new();
    let mut stack = vec![root.join("crates"), root.join("bins"), root.join("xtask")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                if !text.trim_start().starts_with("//!") {
                    missing.push(p.strip_prefix(&root).unwrap_or(&p).display().to_string());
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "files without a leading //! doc line: {missing:?}"
    );
}

#[test]
fn no_mod_rs_files() {
    let root = project_root();
    let mut stack = vec![root.join("crates"), root.join("bins"), root.join("xtask")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                assert_ne!(
                    p.file_name().and_then(|n| n.to_str()),
                    Some("mod.rs"),
                    "{}",
                    p.display()
                );
            }
        }
    }
}
