//! `cargo xtask codex-cli`: the official Codex CLI (`@openai/codex`, pinned) completes turns
//! through the gateway against the fake backend, inside a loopback-only network namespace.
//!
//! Installs the CLI with `npm install --prefix target/npm-codex` (skipped cleanly, saying why,
//! only when the npm registry is unreachable), builds `codex-proxy` and `codex-mock`, then runs
//! one shell script under `unshare -n` that starts both on loopback, adds a minted account and
//! runs `codex exec` twice with `wire_api = "responses"`:
//!
//! 1. a plain turn, whose answer must be the echo of the prompt;
//! 2. a tool loop: the prompt carries `[[tool:exec_command {"cmd":"echo …"}]]`, so the fake
//!    answers with a call of the CLI's own `exec_command` tool; the CLI runs it and sends the
//!    output back, and the fake's final answer (`tool result: …`) must contain the command's
//!    output.
//!
//! Checks: exit codes, the final answers on stdout (the tool turn's answer can only contain the
//! command's output if the CLI ran the call and sent the output back), and the fake's record of
//! HTTP model calls (one ends with the `function_call_output` for the `exec_command` call's
//! `call_id`).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::Value;

use crate::clients::mint_jwt;
use crate::npm_cli::NpmCli;
use crate::project_root;

/// The CLI version verified against the wire (shared/CLIENTS.md).
const CODEX_PACKAGE: &str = "@openai/codex@0.169.0";
const CODEX_VERSION: &str = "0.169.0";
/// The proxy API key the run uses.
const KEY: &str = "cpk-xtask-codex-cli";
/// Marker the tool command prints.
const TOOL_OUTPUT: &str = "hi-from-codex-tool";

pub(crate) fn run() -> anyhow::Result<()> {
    let root = project_root();
    let Some(codex) = NpmCli {
        suite: "codex-cli",
        prefix: "target/npm-codex",
        bin: "codex",
        package: CODEX_PACKAGE,
        version: CODEX_VERSION,
    }
    .ensure(&root)?
    else {
        return Ok(());
    };
    crate::clients::build_debug_bins()?;
    let work = root.join("target/xtask-codex-cli");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(work.join("data"))?;
    let bin = root.join("target/debug");
    std::fs::write(
        work.join("config.yaml"),
        format!(
            "server:\n  proxy_api_key: {KEY}\napi:\n  base_url: http://127.0.0.1:18931/backend-api\nauth:\n  oauth_token_endpoint: http://127.0.0.1:18931/oauth/token\n"
        ),
    )?;
    let token = mint_jwt("00000000-0000-4000-8000-00000000c0de", 0);
    let script = work.join("run.sh");
    std::fs::write(&script, SCRIPT)?;

    println!("codex-cli: running `codex exec` in a loopback-only network namespace");
    let status = Command::new("unshare")
        .args(["-n", "bash"])
        .arg(&script)
        .env("WORK", &work)
        .env("MOCK_BIN", bin.join("codex-mock"))
        .env("PROXY_BIN", bin.join("codex-proxy"))
        .env("CODEX_BIN", &codex)
        .env("PROXY_KEY", KEY)
        .env("ACCOUNT_TOKEN", token)
        .env("TOOL_OUTPUT", TOOL_OUTPUT)
        .status()
        .context("running `unshare -n` (needs root or user namespaces)")?;
    if !status.success() {
        bail!(
            "the codex-cli script failed ({status}); logs in {}",
            work.display()
        );
    }
    check(&work)
}

/// The script run inside the namespace. Fixed ports are fine there: the namespace is ours.
const SCRIPT: &str = r#"set -u
ip link set lo up
MP=18931
GP=18932
"$MOCK_BIN" --port $MP --record "$WORK/mock-requests.jsonl" >"$WORK/codex-mock.log" 2>&1 &
MOCK_PID=$!
"$PROXY_BIN" --port $GP --data-dir "$WORK/data" --config "$WORK/config.yaml" >"$WORK/codex-proxy.log" 2>&1 &
PROXY_PID=$!
trap 'kill $PROXY_PID $MOCK_PID 2>/dev/null; wait 2>/dev/null' EXIT
for i in $(seq 1 200); do
  curl -sf "http://127.0.0.1:$GP/health" >/dev/null && curl -s "http://127.0.0.1:$MP/" >/dev/null && break
  sleep 0.1
done
curl -sf -X POST "http://127.0.0.1:$GP/auth/accounts" -H "authorization: Bearer $PROXY_KEY" \
  -H 'content-type: application/json' -d "{\"token\":\"$ACCOUNT_TOKEN\"}" >"$WORK/account.json" \
  || { echo "adding the account failed"; exit 1; }
run_codex() {
  name=$1; prompt=$2
  home="$WORK/home-$name"; mkdir -p "$home"
  CODEX_HOME="$home" KEY="$PROXY_KEY" timeout 180 "$CODEX_BIN" exec --skip-git-repo-check --ephemeral \
    -c model_provider=gw \
    -c "model_providers.gw={name=\"gw\",base_url=\"http://127.0.0.1:$GP/v1\",wire_api=\"responses\",env_key=\"KEY\"}" \
    -c model=gpt-5.4 -c features.plugins=false -c features.remote_plugin=false -c features.apps=false \
    -c analytics.enabled=false "$prompt" </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err"
  echo $? >"$WORK/$name.rc"
}
cd "$WORK"
run_codex plain "say hello to the gateway"
run_codex tool "run the command [[tool:exec_command {\"cmd\":\"echo $TOOL_OUTPUT\"}]]"
exit 0
"#;

/// Checks what the two runs produced (see module docs).
fn check(work: &Path) -> anyhow::Result<()> {
    let read = |name: &str| std::fs::read_to_string(work.join(name)).unwrap_or_default();
    for run in ["plain", "tool"] {
        let rc = read(&format!("{run}.rc"));
        if rc.trim() != "0" {
            bail!(
                "codex exec ({run}) exited with {:?}; stderr:\n{}",
                rc.trim(),
                tail(&read(&format!("{run}.err")))
            );
        }
    }
    let plain = read("plain.out");
    if !plain.contains("echo: say hello to the gateway") {
        bail!("plain turn: unexpected answer:\n{}", tail(&plain));
    }
    let tool = read("tool.out");
    if !(tool.contains("tool result:") && tool.contains(TOOL_OUTPUT)) {
        bail!(
            "tool turn: the answer lacks the tool output:\n{}\nstderr:\n{}",
            tail(&tool),
            tail(&read("tool.err"))
        );
    }
    // The fake's record of HTTP model calls (turns sent over a WebSocket are not in it): the
    // tool turn's second call answers the first call's `exec_command` with its output.
    let calls: Vec<Value> = read("mock-requests.jsonl")
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| {
            // POSTs only: a WebSocket upgrade attempt (GET) is no HTTP model call.
            r.get("method").and_then(Value::as_str) == Some("POST")
                && r.get("path")
                    .and_then(Value::as_str)
                    .is_some_and(|p| p.ends_with("/codex/responses"))
        })
        .collect();
    let answering = calls.iter().rev().find_map(|c| {
        let input = c.pointer("/body/input").and_then(Value::as_array)?;
        let last = input.last()?;
        (last.get("type").and_then(Value::as_str) == Some("function_call_output"))
            .then_some((input, last))
    });
    match answering {
        Some((input, output)) => {
            let answered = output.get("call_id").and_then(Value::as_str).unwrap_or("");
            let asked = input.iter().any(|i| {
                i.get("type").and_then(Value::as_str) == Some("function_call")
                    && i.get("name").and_then(Value::as_str) == Some("exec_command")
                    && i.get("call_id").and_then(Value::as_str) == Some(answered)
            });
            if !asked {
                bail!("the function_call_output does not answer the exec_command call");
            }
        }
        None if calls.is_empty() => {
            println!("codex-cli: every turn went over the WebSocket; HTTP record check skipped");
        }
        None => bail!("no recorded model call carries the exec_command output back"),
    }
    println!(
        "codex-cli: ok (plain turn echoed; tool loop ran exec_command and returned {TOOL_OUTPUT:?})"
    );
    Ok(())
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}
