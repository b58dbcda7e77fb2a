//! `cargo xtask soak`: four accounts on `codex-mock` behind a real `codex-proxy`, a fault mix
//! (per-account 401 / 429 / 403 challenge / 403 ban / 500 via `POST /__mock/faults`, cut
//! streams via markers), 2,000 chat requests at bounded concurrency and time.
//! Every request must end served or with a correct error; no refresh token may be lost or
//! duplicated (a refresh of every account at the end must still succeed, and no account may
//! have been expired by a reused token). Prints a table of the figures.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use crate::clients::{Stack, TEST_KEY};
use crate::procs::http_request;
use crate::project_root;

const ACCOUNTS: usize = 4;
const REQUESTS: usize = 2_000;
const CONCURRENCY: usize = 16;
const TIME_LIMIT: Duration = Duration::from_secs(600);

pub(crate) fn run() -> anyhow::Result<()> {
    let root = project_root();
    crate::ci::cargo(
        &[
            "build",
            "--locked",
            "-p",
            "codex-proxy-server",
            "-p",
            "codex-proxy-testkit",
            "--bins",
        ],
        &[],
    )?;
    let stack = Stack::start_with(
        &root.join("target/debug"),
        &root.join("target/xtask-soak"),
        &[],
        0,
        "",
    )?;
    let result = soak(&stack);
    stack.stop()?;
    result
}

fn soak(stack: &Stack) -> anyhow::Result<()> {
    let gw = stack.gateway_port;
    let mock = stack.mock_port;
    let ids: Vec<String> = (0..ACCOUNTS)
        .map(|i| format!("00000000-0000-4000-a000-{i:012}"))
        .collect();
    for id in &ids {
        login(gw, mock, id).with_context(|| format!("oauth login of {id}"))?;
    }
    let accounts = admin(gw, "GET", "/auth/accounts", None)?;
    let n = accounts["accounts"].as_array().map_or(0, Vec::len);
    if n != ACCOUNTS {
        bail!("expected {ACCOUNTS} accounts after login, found {n}");
    }
    // Per-account faults: a burst of expired tokens (refresh, then retry the same account),
    // one usage limit (locked until its reset), Cloudflare challenges (cooldown, not a ban).
    fault(mock, &ids[0], "401", Some(40))?;
    fault(mock, &ids[1], "429", Some(1))?;
    fault(mock, &ids[2], "403-cf", Some(2))?;
    let before = mock_stats(mock)?;

    let next = Arc::new(AtomicUsize::new(0));
    let tally: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let wrong: Arc<Mutex<Vec<String>>> = Arc::default();
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..CONCURRENCY {
            let (next, tally, wrong) = (next.clone(), tally.clone(), wrong.clone());
            let ids = &ids;
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= REQUESTS || started.elapsed() > TIME_LIMIT {
                        break;
                    }
                    if i == REQUESTS / 2 {
                        // Midway: a ban and a run of server errors on other accounts.
                        let _ = fault(mock, &ids[3], "403-ban", Some(1));
                        let _ = fault(mock, &ids[2], "500", Some(20));
                    }
                    let (kind, ok) = one(gw, i);
                    *tally
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .entry(kind.clone())
                        .or_default() += 1;
                    if !ok {
                        wrong
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(format!("request {i}: {kind}"));
                    }
                }
            });
        }
    });
    let elapsed = started.elapsed();
    let after = mock_stats(mock)?;
    let done = next.load(Ordering::Relaxed).min(REQUESTS);

    // No refresh token lost or duplicated: nothing expired by a reused/invalid token, and a
    // forced refresh of every account still works with the token the gateway stored last.
    let accounts = admin(gw, "GET", "/auth/accounts", None)?;
    let mut refresh_failures = Vec::new();
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for a in accounts["accounts"].as_array().cloned().unwrap_or_default() {
        let status = a["status"].as_str().unwrap_or("?").to_owned();
        if status == "expired" {
            refresh_failures.push(format!("{} expired: {}", a["id"], a["status_reason"]));
        }
        *statuses.entry(status.clone()).or_default() += 1;
        if status == "banned" {
            continue;
        }
        let id = a["id"].as_str().unwrap_or_default();
        let r = admin(
            gw,
            "POST",
            &format!("/auth/accounts/{id}/refresh"),
            Some(&json!({})),
        )?;
        if r["success"] != true {
            refresh_failures.push(format!("{id}: final refresh failed: {}", r["error"]));
        }
    }
    let final_stats = mock_stats(mock)?;

    let tally = tally.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let wrong = wrong.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let upstream = |s: &Value| s["by_route"]["responses"].as_u64().unwrap_or(0);
    let token = |s: &Value| s["by_route"]["oauth_token"].as_u64().unwrap_or(0);
    let attempts = upstream(&after) - upstream(&before);
    let served = tally.get("served").copied().unwrap_or(0);
    // Requests answered by the pool alone (every account blocked) never reached upstream.
    let pool_only: usize = tally
        .iter()
        .filter(|(k, _)| k.contains("rate_limit_exceeded") || k.contains("no_available_accounts"))
        .map(|(_, n)| n)
        .sum();
    let reached = done.saturating_sub(pool_only);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "\nsoak: {done} requests, {CONCURRENCY} concurrent, {ACCOUNTS} accounts, {:.1}s",
        elapsed.as_secs_f64()
    )?;
    writeln!(out, "{:<34} {:>8}", "outcome", "count")?;
    for (kind, count) in &tally {
        writeln!(out, "{kind:<34} {count:>8}")?;
    }
    writeln!(out, "{:<34} {:>8}", "upstream attempts", attempts)?;
    writeln!(
        out,
        "{:<34} {:>8}",
        "retried / failed over (extra calls)",
        attempts.saturating_sub(reached as u64)
    )?;
    writeln!(
        out,
        "{:<34} {:>8}",
        "token refreshes (run)",
        token(&after) - token(&before)
    )?;
    writeln!(
        out,
        "{:<34} {:>8}",
        "token refreshes (final check)",
        token(&final_stats) - token(&after)
    )?;
    for (fault, count) in after["by_fault"].as_object().into_iter().flatten() {
        writeln!(
            out,
            "{:<34} {:>8}",
            format!("faults served: {fault}"),
            count.as_u64().unwrap_or(0)
        )?;
    }
    for (status, count) in &statuses {
        writeln!(out, "{:<34} {:>8}", format!("accounts {status}"), count)?;
    }
    drop(out);
    if done < REQUESTS {
        bail!(
            "only {done} of {REQUESTS} requests ran within {}s",
            TIME_LIMIT.as_secs()
        );
    }
    if !wrong.is_empty() {
        bail!(
            "{} requests ended wrongly, e.g. {:?}",
            wrong.len(),
            &wrong[..wrong.len().min(5)]
        );
    }
    if !refresh_failures.is_empty() {
        bail!("refresh tokens lost or duplicated: {refresh_failures:?}");
    }
    if served < REQUESTS / 2 {
        bail!("only {served} requests served");
    }
    Ok(())
}

/// One chat request; `(outcome kind, whether the outcome is correct)`.
fn one(gw: u16, i: usize) -> (String, bool) {
    let marker = match i % 50 {
        7 | 31 => Some("[[fault:cut:2]]"),
        19 => Some("[[fault:cut:6]]"),
        _ => None,
    };
    let text = format!("soak {i} {}", marker.unwrap_or(""));
    let body = json!({ "model": "gpt-5.4", "messages": [{ "role": "user", "content": text }] });
    let bytes = body.to_string().into_bytes();
    let auth = format!("Bearer {TEST_KEY}");
    let (status, reply) = match http_request(
        gw,
        "POST",
        "/v1/chat/completions",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        Some(&bytes),
    ) {
        Ok(r) => r,
        Err(e) => return (format!("transport error: {e}"), false),
    };
    let v: Value = serde_json::from_slice(&reply).unwrap_or(Value::Null);
    if status == 200 {
        let content = v["choices"][0]["message"]["content"].as_str().unwrap_or("");
        return (
            "served".to_owned(),
            content.starts_with("echo:") && marker.is_none(),
        );
    }
    let code = v["error"]["code"].as_str().unwrap_or("no code").to_owned();
    let kind = format!("failed {status} {code}");
    let ok = match status {
        // Every account blocked: one clear 429 naming the earliest reset.
        429 => v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("earliest resets")),
        503 => code == "no_available_accounts" || marker.is_some(),
        // Injected stream faults that hit every account.
        500 | 502 | 504 => marker.is_some(),
        _ => false,
    };
    (kind, ok)
}

fn fault(mock: u16, account: &str, fault: &str, times: Option<u32>) -> anyhow::Result<()> {
    let body = json!({ "account_id": account, "fault": fault, "times": times }).to_string();
    let (status, reply) = http_request(
        mock,
        "POST",
        "/__mock/faults",
        &[("content-type", "application/json")],
        Some(body.as_bytes()),
    )?;
    if !(200..300).contains(&status) {
        bail!(
            "setting fault failed: {status} {}",
            String::from_utf8_lossy(&reply)
        );
    }
    Ok(())
}

fn mock_stats(mock: u16) -> anyhow::Result<Value> {
    let (_, body) = http_request(mock, "GET", "/__mock/stats", &[], None)?;
    Ok(serde_json::from_slice(&body)?)
}

fn admin(gw: u16, method: &str, path: &str, body: Option<&Value>) -> anyhow::Result<Value> {
    let auth = format!("Bearer {TEST_KEY}");
    let bytes = body.map(|b| b.to_string().into_bytes());
    let (status, reply) = http_request(
        gw,
        method,
        path,
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        bytes.as_deref(),
    )?;
    if !(200..300).contains(&status) {
        bail!(
            "{method} {path}: {status} {}",
            String::from_utf8_lossy(&reply)
        );
    }
    Ok(serde_json::from_slice(&reply)?)
}

/// An OAuth login through the gateway's routes: start, follow the mock's authorize redirect
/// (with the mock's identity parameter), relay the callback url.
fn login(gw: u16, mock: u16, account_id: &str) -> anyhow::Result<()> {
    let started = admin(gw, "POST", "/auth/login-start", Some(&json!({})))?;
    let url = started["authUrl"].as_str().context("no authUrl")?;
    let path = url
        .split_once("/oauth/authorize")
        .map(|(_, rest)| format!("/oauth/authorize{rest}&mock_account_id={account_id}"))
        .context("unexpected authorize url")?;
    let location = redirect_of(mock, &path)?;
    admin(
        gw,
        "POST",
        "/auth/code-relay",
        Some(&json!({ "callbackUrl": location })),
    )?;
    Ok(())
}

/// `GET path` on the mock; the `Location` of its 302.
fn redirect_of(port: u16, path: &str) -> anyhow::Result<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nconnection: close\r\n\r\n"
    )?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    text.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("location")
                .then(|| v.trim().to_owned())
        })
        .with_context(|| {
            format!(
                "no redirect from the authorize endpoint: {}",
                text.lines().next().unwrap_or("")
            )
        })
}
