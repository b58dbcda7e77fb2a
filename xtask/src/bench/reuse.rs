//! Scenario "connection reuse vs fresh handshake": `codex-mock --tls` (a CA generated at start,
//! written with `--ca-out`), the gateway trusting it through `tls.extra_ca_file`, once with
//! upstream connection pooling (`tls.max_idle_per_host: 8`, h2 shared) and once with
//! `tls.max_idle_per_host: 0` (TCP + TLS + HTTP handshake per request). Reports TTFB seen by
//! the client for both.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::bail;

use super::{Target, load, pct, print_row};
use crate::clients::{Stack, TEST_KEY, mint_jwt};
use crate::procs::{Guard, free_port, http_request, wait_http_ok};

/// Runs both variants at `conc` 1 and 16; prints table rows and a summary line each.
pub(super) fn run(
    bin: &Path,
    root: &Path,
    rt: &tokio::runtime::Runtime,
    dur: Duration,
) -> anyhow::Result<()> {
    let mut summary = Vec::new();
    for (label, idle) in [("tls reuse", 8usize), ("tls fresh handshake", 0)] {
        let stack = start(
            bin,
            &root.join(format!("target/xtask-bench-tls-{idle}")),
            idle,
        )?;
        for conc in [1usize, 16] {
            let out = rt.block_on(load(&stack, Target::Gateway, true, conc, dur))?;
            print_row(label, Target::Gateway, conc, &out);
            let mut ttfb: Vec<Duration> = out.samples.iter().map(|s| s.ttfb).collect();
            ttfb.sort_unstable();
            summary.push((label, conc, pct(&ttfb, 0.50), pct(&ttfb, 0.99)));
        }
        stack.stop()?;
    }
    println!();
    println!("| upstream connections | conc | ttfb p50 ms | ttfb p99 ms |");
    println!("|---|---|---|---|");
    for (label, conc, p50, p99) in summary {
        println!(
            "| {label} | {conc} | {:.2} | {:.2} |",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
    }
    Ok(())
}

fn start(bin: &Path, work: &Path, max_idle: usize) -> anyhow::Result<Stack> {
    let _ = std::fs::remove_dir_all(work);
    let data = work.join("data");
    std::fs::create_dir_all(&data)?;
    let ca = work.join("ca.pem");
    let mock_port = free_port()?;
    let gateway_port = free_port()?;
    let (mock_port_s, ca_s) = (mock_port.to_string(), ca.to_string_lossy().into_owned());
    let mut mock = Guard::spawn(
        "codex-mock",
        &bin.join("codex-mock"),
        &["--port", &mock_port_s, "--tls", "--ca-out", &ca_s],
        &[],
        &work.join("codex-mock.log"),
    )?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !(ca.exists() && std::net::TcpStream::connect(("127.0.0.1", mock_port)).is_ok()) {
        mock.check_alive()?;
        if Instant::now() > deadline {
            bail!("codex-mock --tls did not start");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let config = work.join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "server:\n  proxy_api_key: {TEST_KEY}\napi:\n  base_url: https://127.0.0.1:{mock_port}/backend-api\nauth:\n  oauth_token_endpoint: https://127.0.0.1:{mock_port}/oauth/token\ntls:\n  extra_ca_file: {ca_s}\n  max_idle_per_host: {max_idle}\n"
        ),
    )?;
    let (gateway_port_s, data_s) = (
        gateway_port.to_string(),
        data.to_string_lossy().into_owned(),
    );
    let config_s = config.to_string_lossy().into_owned();
    let mut gateway = Guard::spawn(
        "codex-proxy",
        &bin.join("codex-proxy"),
        &[
            "--port",
            &gateway_port_s,
            "--data-dir",
            &data_s,
            "--config",
            &config_s,
        ],
        &[("RUST_LOG", "warn")],
        &work.join("codex-proxy.log"),
    )?;
    wait_http_ok(
        &mut gateway,
        gateway_port,
        "/health",
        Duration::from_secs(20),
    )?;
    let token = mint_jwt("00000000-0000-4000-8000-000000000000", 0);
    let body = serde_json::to_vec(&serde_json::json!({ "token": token }))?;
    let (status, reply) = http_request(
        gateway_port,
        "POST",
        "/auth/accounts",
        &[("authorization", &format!("Bearer {TEST_KEY}"))],
        Some(&body),
    )?;
    if !(200..300).contains(&status) {
        bail!(
            "adding account failed: {status} {}",
            String::from_utf8_lossy(&reply)
        );
    }
    Ok(Stack {
        mock,
        gateway,
        mock_port,
        gateway_port,
        ollama_port: 0,
    })
}
