//! `cargo xtask bench`: release builds of `codex-mock` and the gateway, a closed-loop load
//! generator, and a table of throughput, latency, memory and CPU.
//!
//! Every scenario runs the same load twice: through the gateway, and straight at the fake backend,
//! so the table shows what the gateway adds. All traffic stays on loopback.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;

use crate::clients::{Stack, mint_jwt};
use crate::project_root;

mod reuse;

/// Flags of `cargo xtask bench`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Seconds per scenario.
    #[arg(long, default_value_t = 5)]
    secs: u64,
    /// A short run (1 s per scenario) to check the harness works.
    #[arg(long)]
    quick: bool,
}

#[derive(Clone, Copy)]
enum Target {
    Gateway,
    Direct,
}

struct Sample {
    total: Duration,
    ttfb: Duration,
}

struct Outcome {
    samples: Vec<Sample>,
    errors: u64,
    elapsed: Duration,
}

/// The bench measures the gateway, not account hygiene: one account must be able to carry every
/// in-flight stream, so the per-account concurrency cap (default 3, a protection for real
/// accounts) is lifted.
const UNCAPPED: &str = "  max_concurrent_per_account: 100000\n";

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    let secs = if args.quick { 1 } else { args.secs };
    let dur = Duration::from_secs(secs);
    let root = project_root();
    crate::ci::cargo(
        &[
            "build",
            "--release",
            "--locked",
            "-p",
            "codex-proxy-server",
            "-p",
            "codex-proxy-testkit",
            "--bins",
        ],
        &[],
    )?;
    let bin = root.join("target/release");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;

    println!(
        "| scenario | target | conc | req/s | p50 ms | p99 ms | ttfb p50 | ttfb p99 | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let stack = Stack::start_with(&bin, &root.join("target/xtask-bench"), &[], 1, UNCAPPED)?;
    std::thread::sleep(Duration::from_millis(300));
    let idle_rss = rss_kib(stack.gateway.pid(), "VmRSS")?;
    let cpu_before = cpu_ticks(stack.gateway.pid())?;
    let mut gateway_requests = 0u64;
    let mut p99_added = Vec::new();
    for stream in [true, false] {
        for conc in [1usize, 64, 256] {
            let mut p99s = [Duration::ZERO; 2];
            for (i, target) in [Target::Gateway, Target::Direct].into_iter().enumerate() {
                let out = rt.block_on(load(&stack, target, stream, conc, dur))?;
                if matches!(target, Target::Gateway) {
                    gateway_requests += out.samples.len() as u64;
                }
                p99s[i] = print_row(
                    if stream { "stream" } else { "non-stream" },
                    target,
                    conc,
                    &out,
                );
            }
            if stream && conc == 64 {
                p99_added.push(p99s[0].saturating_sub(p99s[1]));
            }
        }
    }
    let peak_rss = rss_kib(stack.gateway.pid(), "VmHWM")?;
    let cpu_after = cpu_ticks(stack.gateway.pid())?;
    stack.stop()?;

    // The paced scenario: a slow upstream (200 ms head, 20 ms between events) at high concurrency;
    // the gateway must keep up with direct throughput.
    let paced = Stack::start_with(
        &bin,
        &root.join("target/xtask-bench-paced"),
        &["--ttfb-ms", "200", "--delay-ms", "20"],
        1,
        UNCAPPED,
    )?;
    let mut paced_rps = [0.0f64; 2];
    for (i, target) in [Target::Gateway, Target::Direct].into_iter().enumerate() {
        let out = rt.block_on(load(
            &paced,
            target,
            true,
            1000,
            dur.max(Duration::from_secs(3)),
        ))?;
        print_row("paced stream", target, 1000, &out);
        paced_rps[i] = out.samples.len() as f64 / out.elapsed.as_secs_f64();
    }
    let paced_peak = rss_kib(paced.gateway.pid(), "VmHWM")?;
    paced.stop()?;

    // Connection reuse vs a fresh TLS handshake per request (issue 6).
    reuse::run(&bin, &root, &rt, dur)?;

    let tick = 100.0; // USER_HZ on Linux
    let cpu_secs = (cpu_after - cpu_before) as f64 / tick;
    println!();
    println!("| metric | value | target |");
    println!("|---|---|---|");
    if let Some(added) = p99_added.first() {
        println!(
            "| added p99 at 64 streams | {:.3} ms | <= 1 ms |",
            added.as_secs_f64() * 1e3
        );
    }
    println!(
        "| gateway idle RSS | {:.1} MB | <= 20 MB |",
        idle_rss as f64 / 1024.0
    );
    println!(
        "| gateway peak RSS (<=256 streams) | {:.1} MB | <= 64 MB |",
        peak_rss as f64 / 1024.0
    );
    println!(
        "| gateway peak RSS (1000 paced streams) | {:.1} MB | - |",
        paced_peak as f64 / 1024.0
    );
    println!(
        "| gateway CPU s per 1000 requests | {:.3} | - |",
        if gateway_requests > 0 {
            cpu_secs * 1000.0 / gateway_requests as f64
        } else {
            0.0
        }
    );
    println!(
        "| paced throughput gateway/direct | {:.0}/{:.0} req/s ({:.0}%) | 100% |",
        paced_rps[0],
        paced_rps[1],
        if paced_rps[1] > 0.0 {
            100.0 * paced_rps[0] / paced_rps[1]
        } else {
            0.0
        }
    );
    Ok(())
}

fn print_row(name: &str, target: Target, conc: usize, out: &Outcome) -> Duration {
    let mut totals: Vec<Duration> = out.samples.iter().map(|s| s.total).collect();
    let mut ttfbs: Vec<Duration> = out.samples.iter().map(|s| s.ttfb).collect();
    totals.sort_unstable();
    ttfbs.sort_unstable();
    let rps = out.samples.len() as f64 / out.elapsed.as_secs_f64();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let p99 = pct(&totals, 0.99);
    println!(
        "| {name} | {} | {conc} | {rps:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
        match target {
            Target::Gateway => "gateway",
            Target::Direct => "direct",
        },
        ms(pct(&totals, 0.5)),
        ms(p99),
        ms(pct(&ttfbs, 0.5)),
        ms(pct(&ttfbs, 0.99)),
        out.errors
    );
    p99
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Runs `conc` closed-loop clients for `dur`, each on its own keep-alive connection.
async fn load(
    stack: &Stack,
    target: Target,
    stream: bool,
    conc: usize,
    dur: Duration,
) -> anyhow::Result<Outcome> {
    let token = mint_jwt("00000000-0000-4000-8000-000000000000", 0);
    let (port, path, body, headers): (u16, &str, Bytes, Vec<(&str, String)>) = match target {
        Target::Gateway => (
            stack.gateway_port,
            "/v1/chat/completions",
            Bytes::from(format!(
                r#"{{"model":"gpt-5.4","stream":{stream},"messages":[{{"role":"user","content":"benchmark this request please"}}]}}"#
            )),
            vec![("authorization", "Bearer cpk-xtask-clients".to_owned())],
        ),
        Target::Direct => (
            stack.mock_port,
            "/backend-api/codex/responses",
            Bytes::from_static(
                br#"{"model":"gpt-5.4","instructions":"","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"benchmark this request please"}]}],"tools":[],"tool_choice":"auto","parallel_tool_calls":false,"store":false,"stream":true,"include":[],"prompt_cache_key":"bench"}"#,
            ),
            vec![
                ("authorization", format!("Bearer {token}")),
                ("chatgpt-account-id", "00000000-0000-4000-8000-000000000000".to_owned()),
                ("originator", "codex_exec".to_owned()),
                ("accept", "text/event-stream".to_owned()),
            ],
        ),
    };
    let start = Instant::now();
    let deadline = start + dur;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..conc {
        let body = body.clone();
        let headers = headers.clone();
        tasks.spawn(async move { client_loop(port, path, body, headers, deadline).await });
    }
    let mut samples = Vec::new();
    let mut errors = 0;
    while let Some(res) = tasks.join_next().await {
        let (s, e) = res.context("load task panicked")?;
        samples.extend(s);
        errors += e;
    }
    Ok(Outcome {
        samples,
        errors,
        elapsed: start.elapsed(),
    })
}

async fn client_loop(
    port: u16,
    path: &'static str,
    body: Bytes,
    headers: Vec<(&'static str, String)>,
    deadline: Instant,
) -> (Vec<Sample>, u64) {
    let mut samples = Vec::new();
    let mut errors = 0u64;
    let mut conn = None;
    while Instant::now() < deadline {
        if conn.is_none() {
            match connect(port).await {
                Ok(c) => conn = Some(c),
                Err(_) => {
                    errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(sender) = conn.as_mut() else {
            continue;
        };
        match one_request(sender, port, path, &body, &headers).await {
            Ok(s) => samples.push(s),
            Err(_) => {
                errors += 1;
                conn = None;
            }
        }
    }
    (samples, errors)
}

async fn connect(
    port: u16,
) -> anyhow::Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    tcp.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

async fn one_request(
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    port: u16,
    path: &str,
    body: &Bytes,
    headers: &[(&'static str, String)],
) -> anyhow::Result<Sample> {
    sender.ready().await?;
    let mut req = Request::post(path)
        .header("host", format!("127.0.0.1:{port}"))
        .header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let req = req.body(Full::new(body.clone()))?;
    let t0 = Instant::now();
    let resp = sender.send_request(req).await?;
    if !resp.status().is_success() {
        bail!("status {}", resp.status());
    }
    let mut body = resp.into_body();
    let mut ttfb = None;
    while let Some(frame) = body.frame().await {
        let frame = frame?;
        if ttfb.is_none() && frame.data_ref().is_some_and(|d| !d.is_empty()) {
            ttfb = Some(t0.elapsed());
        }
    }
    let total = t0.elapsed();
    Ok(Sample {
        total,
        ttfb: ttfb.unwrap_or(total),
    })
}

/// A `/proc/PID/status` memory field in KiB (`VmRSS`, `VmHWM`).
fn rss_kib(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim_start_matches(':')
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .with_context(|| format!("no {field} for pid {pid}"))
}

/// utime + stime of a process in clock ticks.
fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .context("bad /proc stat")?;
    let f: Vec<&str> = after.split_whitespace().collect();
    let utime: u64 = f.get(11).and_then(|s| s.parse().ok()).context("no utime")?;
    let stime: u64 = f.get(12).and_then(|s| s.parse().ok()).context("no stime")?;
    Ok(utime + stime)
}
