//! `cargo xtask`: the project's automation, one subcommand per job.
//!
//! `ci` runs every gate CI runs (format, lints, tests, docs, real clients); `bless` re-blesses the
//! golden files; `replay` prints the translation of a recorded stream; `clients` drives the gateway
//! with the official SDKs; `bench` measures throughput, latency and memory.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod ci;
mod claude_code;
mod clients;
mod codex_cli;
mod npm_cli;
mod procs;
mod replay;
mod soak;
#[cfg(test)]
mod tidy;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "xtask", about = "codex-proxy project automation")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Everything CI checks: fmt, clippy, tests, docs, real SDK clients.
    Ci {
        /// Skip the real-client suites (SDKs from PyPI, CLIs from npm).
        #[arg(long)]
        no_clients: bool,
    },
    /// Re-bless golden files (UPDATE_EXPECT=1 on the golden suites).
    Bless,
    /// Print the translation of a recorded upstream stream.
    Replay {
        /// A recorded `.sse` file.
        file: PathBuf,
        /// Target dialect.
        #[arg(long, default_value = "openai")]
        to: String,
    },
    /// Drive the gateway with the official SDKs (Python venv under target/).
    Clients,
    /// Claude Code (pinned, from npm) completes a tool loop through the gateway, offline.
    ClaudeCode,
    /// Codex CLI (pinned, from npm) completes a tool loop through the gateway, offline.
    CodexCli,
    /// 2,000 requests through the gateway on four accounts with a fault mix.
    Soak,
    /// Release-build benchmark of the gateway against the fake backend.
    Bench(bench::Args),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Ci { no_clients } => ci::run(!no_clients),
        Cmd::Bless => ci::bless(),
        Cmd::Replay { file, to } => replay::run(&file, &to),
        Cmd::Clients => clients::run(),
        Cmd::ClaudeCode => claude_code::run(),
        Cmd::CodexCli => codex_cli::run(),
        Cmd::Soak => soak::run(),
        Cmd::Bench(args) => bench::run(&args),
    }
}

/// The workspace root (the parent of `xtask/`).
pub(crate) fn project_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| manifest.to_path_buf())
}
