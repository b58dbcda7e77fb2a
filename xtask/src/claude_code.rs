//! `cargo xtask claude-code`: Claude Code (`@anthropic-ai/claude-code`, pinned) completes a
//! multi-turn tool loop through the gateway's Anthropic Messages API against the fake backend,
//! inside a loopback-only network namespace.
//!
//! Installs the CLI with `npm install --prefix target/npm-claude` (skipped cleanly, saying why,
//! only when the npm registry is unreachable), builds `codex-proxy` and `codex-mock`, then runs
//! one shell script under `unshare -n` that starts both on loopback, adds a minted account and
//! runs `claude -p` (per shared/CLIENTS.md: `ANTHROPIC_BASE_URL` at the gateway, nonessential
//! traffic, telemetry, error reporting and the updater off) twice:
//!
//! 1. a plain prompt, whose answer must be the fake's echo of it;
//! 2. a tool loop: the prompt carries `[[tool:Bash {"command":"echo …"}]]`, so the fake calls
//!    Claude Code's own `Bash` tool; Claude Code runs it (allowed by `--allowedTools
//!    "Bash(echo:*)"`) and sends the output back as a `tool_result`, and the fake's final answer
//!    (`tool result: …`) must contain the command's output.
//!
//! Checks: exit codes, the `result` of `--output-format json` (Claude Code exits 0 with an
//! empty answer when it cannot parse a stream, so the text is what counts), and the fake's
//! request record: the tool turn's last upstream request ends with the `function_call_output`
//! answering the `Bash` call, and no request was repeated (Claude Code silently retries without
//! streaming when it cannot parse our stream, which would show up as extra upstream calls).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::Value;

use crate::clients::mint_jwt;
use crate::npm_cli::NpmCli;
use crate::project_root;

/// The CLI version verified against the wire (shared/CLIENTS.md).
const CLAUDE_PACKAGE: &str = "@anthropic-ai/claude-code@2.1.197";
const CLAUDE_VERSION: &str = "2.1.197";
/// The proxy API key the run uses.
const KEY: &str = "cpk-xtask-claude-code";
/// Marker the tool command prints.
const TOOL_OUTPUT: &str = "hi-from-claude-tool";

pub(crate) fn run() -> anyhow::Result<()> {
    let root = project_root();
    let Some(claude) = NpmCli {
        suite: "claude-code",
        prefix: "target/npm-claude",
        bin: "claude",
        package: CLAUDE_PACKAGE,
        version: CLAUDE_VERSION,
    }
    .ensure(&root)?
    else {
        return Ok(());
    };
    crate::clients::build_debug_bins()?;
    let work = root.join("target/xtask-claude-code");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(work.join("data"))?;
    let bin = root.join("target/debug");
    std::fs::write(
        work.join("config.yaml"),
        format!(
            "server:\n  proxy_api_key: {KEY}\napi:\n  base_url: http://127.0.0.1:18941/backend-api\nauth:\n  oauth_token_endpoint: http://127.0.0.1:18941/oauth/token\n"
        ),
    )?;
    let token = mint_jwt("00000000-0000-4000-8000-0000000c1a0d", 0);
    let script = work.join("run.sh");
    std::fs::write(&script, SCRIPT)?;

    println!("claude-code: running `claude -p` in a loopback-only network namespace");
    let status = Command::new("unshare")
        .args(["-n", "bash"])
        .arg(&script)
        .env("WORK", &work)
        .env("MOCK_BIN", bin.join("codex-mock"))
        .env("PROXY_BIN", bin.join("codex-proxy"))
        .env("CLAUDE_BIN", &claude)
        .env("PROXY_KEY", KEY)
        .env("ACCOUNT_TOKEN", token)
        .env("TOOL_OUTPUT", TOOL_OUTPUT)
        .status()
        .context("running `unshare -n` (needs root or user namespaces)")?;
    if !status.success() {
        bail!(
            "the claude-code script failed ({status}); logs in {}",
            work.display()
        );
    }
    check(&work)
}

/// The script run inside the namespace. Fixed ports are fine there: the namespace is ours.
const SCRIPT: &str = r#"set -u
ip link set lo up
MP=18941
GP=18942
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
run_claude() {
  name=$1; prompt=$2
  cfg="$WORK/config-$name"; mkdir -p "$cfg" "$WORK/cwd-$name"
  echo "$name" >"$WORK/turn.marker"
  (cd "$WORK/cwd-$name" && ANTHROPIC_BASE_URL="http://127.0.0.1:$GP" ANTHROPIC_API_KEY="$PROXY_KEY" \
    CLAUDE_CONFIG_DIR="$cfg" HOME="$cfg" CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 \
    DISABLE_TELEMETRY=1 DISABLE_ERROR_REPORTING=1 timeout 180 "$CLAUDE_BIN" -p "$prompt" \
    --allowedTools "Bash(echo:*)" --output-format json </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err")
  echo $? >"$WORK/$name.rc"
  grep -c '"method":"POST","path":"/backend-api/codex/responses"' "$WORK/mock-requests.jsonl" >"$WORK/$name.requests"
}
run_claude plain "say hello to the gateway"
run_claude tool "run the command [[tool:Bash {\"command\":\"echo $TOOL_OUTPUT\"}]]"
exit 0
"#;

/// Checks what the two runs produced (see module docs).
fn check(work: &Path) -> anyhow::Result<()> {
    let read = |name: &str| std::fs::read_to_string(work.join(name)).unwrap_or_default();
    let mut answers = Vec::new();
    for run in ["plain", "tool"] {
        let rc = read(&format!("{run}.rc"));
        if rc.trim() != "0" {
            bail!(
                "claude -p ({run}) exited with {:?}; stdout:\n{}\nstderr:\n{}",
                rc.trim(),
                tail(&read(&format!("{run}.out"))),
                tail(&read(&format!("{run}.err")))
            );
        }
        let out: Value = serde_json::from_str(read(&format!("{run}.out")).trim())
            .with_context(|| format!("claude -p ({run}) did not print JSON"))?;
        if out.get("is_error").and_then(Value::as_bool) == Some(true) {
            bail!("claude -p ({run}) reported an error: {out}");
        }
        answers.push(
            out.get("result")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
        );
    }
    if !answers[0].contains("say hello to the gateway") {
        bail!("plain turn: unexpected answer {:?}", answers[0]);
    }
    if !(answers[1].contains("tool result:") && answers[1].contains(TOOL_OUTPUT)) {
        bail!(
            "tool turn: the answer lacks the tool output: {:?}",
            answers[1]
        );
    }
    let calls: Vec<Value> = read("mock-requests.jsonl")
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| {
            // Model turns only: a refused WebSocket upgrade (GET) before the HTTP fallback is
            // not a request Claude Code sent.
            r.get("method").and_then(Value::as_str) == Some("POST")
                && r.get("path")
                    .and_then(Value::as_str)
                    .is_some_and(|p| p.ends_with("/codex/responses"))
        })
        .collect();
    let plain_calls: usize = read("plain.requests").trim().parse().unwrap_or(0);
    let tool_calls = calls.len().saturating_sub(plain_calls);
    if plain_calls != 1 || tool_calls != 2 {
        bail!(
            "expected 1 upstream call for the plain turn and 2 for the tool loop (more means Claude Code \
             re-sent a request, e.g. falling back from streaming), saw {plain_calls} and {tool_calls}"
        );
    }
    let input = calls
        .last()
        .and_then(|c| c.pointer("/body/input"))
        .and_then(Value::as_array)
        .context("the recorded tool-loop request has no input")?;
    let answered = input
        .iter()
        .rev()
        .find(|i| i.get("type").and_then(Value::as_str) == Some("function_call_output"))
        .and_then(|o| o.get("call_id").and_then(Value::as_str))
        .context("the second tool-loop request carries no function_call_output")?;
    let asked = input.iter().any(|i| {
        i.get("type").and_then(Value::as_str) == Some("function_call")
            && i.get("name").and_then(Value::as_str) == Some("Bash")
            && i.get("call_id").and_then(Value::as_str) == Some(answered)
    });
    if !asked {
        bail!("the function_call_output does not answer the Bash call");
    }
    println!(
        "claude-code: ok (plain turn echoed; tool loop ran Bash and returned {TOOL_OUTPUT:?})"
    );
    Ok(())
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}
