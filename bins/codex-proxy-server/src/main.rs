//! `codex-proxy`: the command line of the gateway. Parses flags, loads the layered config,
//! sets up logging, and runs the server or one of the account/key/config commands. The only
//! place that reads env vars, arguments and exits the process.

mod commands;
mod load;
mod login;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A local gateway exposing a ChatGPT account's Codex models through the APIs AI clients speak.
#[derive(Debug, Clone, Parser)]
#[command(name = "codex-proxy", version, about)]
struct Cli {
    /// Bind address (overrides `server.host`).
    #[arg(long, global = true)]
    host: Option<String>,
    /// Bind port (overrides `server.port`).
    #[arg(long, global = true)]
    port: Option<u16>,
    /// Directory holding accounts, keys and `local.yaml`.
    #[arg(long, global = true, default_value = "./data")]
    data_dir: PathBuf,
    /// Extra YAML config layer, applied over `<data-dir>/local.yaml`.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Clone, Subcommand)]
enum Command {
    /// Serve (the default).
    Serve,
    /// Manage accounts.
    Accounts {
        #[command(subcommand)]
        action: AccountsAction,
    },
    /// Print the proxy API key and list client keys; `keys create` makes a client key.
    Keys {
        #[command(subcommand)]
        action: Option<KeysAction>,
    },
    /// Load and validate the config, print the effective config with secrets masked.
    CheckConfig,
    /// Log in to a ChatGPT account (OAuth, as the official Codex CLI does) and store it.
    /// The browser redirect is awaited on 127.0.0.1:1455 (`--port` to change); the redirect
    /// url can also be pasted.
    Login {
        /// Use the device-code flow (enter a code on another device) instead of a redirect.
        #[arg(long)]
        device: bool,
    },
}

#[derive(Debug, Clone, Subcommand)]
enum KeysAction {
    /// List client keys (masked).
    List,
    /// Create a client key; it is printed once.
    Create {
        /// A name for the key.
        #[arg(long)]
        label: String,
        /// Models the key may use, comma separated (default: all).
        #[arg(long, value_delimiter = ',')]
        models: Vec<String>,
        /// Days until the key expires (default: never).
        #[arg(long)]
        expires_days: Option<u64>,
        /// Token budget (input + output tokens; default: unlimited).
        #[arg(long)]
        budget: Option<u64>,
    },
}

#[derive(Debug, Clone, Subcommand)]
enum AccountsAction {
    /// List accounts (no secrets).
    List,
    /// Import accounts from a file (official `auth.json`, export files, token lists).
    Import {
        /// The file to import.
        file: PathBuf,
    },
    /// Export accounts as JSON (contains tokens).
    Export {
        /// Only refresh tokens and labels.
        #[arg(long)]
        minimal: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let result = match cli.command {
        None | Some(Command::Serve) => commands::serve(&cli),
        Some(Command::Accounts {
            action: AccountsAction::List,
        }) => commands::accounts_list(&cli),
        Some(Command::Accounts {
            action: AccountsAction::Import { ref file },
        }) => commands::accounts_import(&cli, file),
        Some(Command::Accounts {
            action: AccountsAction::Export { minimal },
        }) => commands::accounts_export(&cli, minimal),
        Some(Command::Keys { action: None }) => commands::keys(&cli),
        Some(Command::Keys {
            action: Some(KeysAction::List),
        }) => commands::keys_list(&cli),
        Some(Command::Keys {
            action:
                Some(KeysAction::Create {
                    ref label,
                    ref models,
                    expires_days,
                    budget,
                }),
        }) => commands::keys_create(&cli, label, models, expires_days, budget),
        Some(Command::CheckConfig) => commands::check_config(&cli),
        Some(Command::Login { device }) => login::login(&cli, device),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
