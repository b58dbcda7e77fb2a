//! `cargo xtask ci` and `cargo xtask bless`: the gates, in the order a reviewer cares about.

use std::process::Command;

use anyhow::{Context, bail};

use crate::project_root;

/// Runs every gate; stops at the first failure.
pub(crate) fn run(with_clients: bool) -> anyhow::Result<()> {
    cargo(&["fmt", "--all", "--", "--check"], &[])?;
    cargo(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    cargo(&["test", "--workspace", "--locked"], &[])?;
    cargo(
        &["doc", "--workspace", "--no-deps", "--locked"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    crate::soak::run()?;
    if with_clients {
        crate::clients::run()?;
        crate::claude_code::run()?;
        crate::codex_cli::run()?;
    }
    println!("xtask ci: all gates passed");
    Ok(())
}

/// Re-blesses golden expectations.
pub(crate) fn bless() -> anyhow::Result<()> {
    cargo(
        &["test", "--workspace", "--locked", "golden"],
        &[("UPDATE_EXPECT", "1")],
    )
}

/// Runs `cargo ARGS` in the project root and fails if it fails.
pub(crate) fn cargo(args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<()> {
    eprintln!("$ cargo {}", args.join(" "));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut cmd = Command::new(cargo);
    cmd.args(args).current_dir(project_root());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let status = cmd
        .status()
        .with_context(|| format!("running cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("cargo {} failed ({status})", args.join(" "));
    }
    Ok(())
}
