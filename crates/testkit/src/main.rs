//! codex-mock: the fake Codex backend as a standalone server (see the library docs).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use codex_proxy_testkit::{MockConfig, MockServer};

/// Fake ChatGPT Codex backend and OAuth server for tests and benchmarks.
#[derive(Debug, Parser)]
#[command(name = "codex-mock", version)]
struct Args {
    /// Port to listen on (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Append every request as a JSON line to FILE (authorization redacted).
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Serve the `.sse` files of DIR verbatim (`[[replay:NAME]]` picks NAME.sse, else round-robin).
    #[arg(long, value_name = "DIR")]
    replay: Option<PathBuf>,
    /// Delay before the response head of model calls, in milliseconds.
    #[arg(long, default_value_t = 0)]
    ttfb_ms: u64,
    /// Delay between SSE events, in milliseconds.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// Keep this many recent requests for `GET /__mock/requests` (0 = none, fastest).
    #[arg(long, default_value_t = 0)]
    keep_requests: usize,
    /// Serve HTTPS (h2 + http/1.1) with a certificate from a CA generated at start.
    #[arg(long)]
    tls: bool,
    /// With `--tls`: write the generated CA certificate (PEM) to FILE for clients to trust.
    #[arg(long, value_name = "FILE", requires = "tls")]
    ca_out: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let cfg = MockConfig {
        ttfb: Duration::from_millis(args.ttfb_ms),
        delay: Duration::from_millis(args.delay_ms),
        replay_dir: args.replay,
        record: args.record,
        keep_requests: args.keep_requests,
        ..MockConfig::default()
    };
    let addr = SocketAddr::new(args.host, args.port);
    let server = if args.tls {
        let ca = codex_proxy_testkit::TestCa::generate()?;
        if let Some(path) = &args.ca_out {
            std::fs::write(path, ca.ca_pem())?;
        }
        MockServer::start_tls_on(addr, cfg, &ca).await?
    } else {
        MockServer::start_on(addr, cfg).await?
    };
    let scheme = if args.tls { "https" } else { "http" };
    #[allow(clippy::print_stdout)]
    {
        println!("codex-mock listening on {scheme}://{}", server.addr());
    }
    wait_for_signal().await?;
    server.shutdown().await;
    Ok(())
}

#[cfg(unix)]
async fn wait_for_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> std::io::Result<()> {
    tokio::signal::ctrl_c().await
}
