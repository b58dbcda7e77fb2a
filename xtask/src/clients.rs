//! `cargo xtask clients`: the official SDKs drive a real gateway against the fake backend.
//!
//! Builds `codex-proxy` and `codex-mock`, starts both on free loopback ports, adds one account with
//! a locally minted token, then runs the pytest suites in `xtask/clients/` inside a venv with the
//! SDKs at pinned versions.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::procs::{Guard, free_port, http_request, wait_http_ok};
use crate::project_root;

/// Pinned client versions (see shared/CLIENTS.md for the versions verified against the wire).
const PY_REQUIREMENTS: &[&str] = &[
    "openai==2.54.0",
    "anthropic==2.12.0",
    "google-genai==3.4.0",
    "ollama==0.6.3",
    "pytest==8.4.2",
];

/// The proxy API key the suites use.
pub(crate) const TEST_KEY: &str = "cpk-xtask-clients";

pub(crate) fn run() -> anyhow::Result<()> {
    let root = project_root();
    build_debug_bins()?;
    let python = ensure_venv(&root)?;
    let stack = Stack::start(
        &root.join("target/debug"),
        &root.join("target/xtask-clients"),
    )?;

    let status = Command::new(&python)
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "xtask/clients/",
        ])
        .current_dir(&root)
        .env(
            "GATEWAY_BASE_URL",
            format!("http://127.0.0.1:{}/v1", stack.gateway_port),
        )
        .env("GATEWAY_API_KEY", TEST_KEY)
        .env(
            "GATEWAY_ROOT_URL",
            format!("http://127.0.0.1:{}", stack.gateway_port),
        )
        .env(
            "OLLAMA_HOST",
            format!("http://127.0.0.1:{}", stack.ollama_port),
        )
        .env(
            "MOCK_BASE_URL",
            format!("http://127.0.0.1:{}", stack.mock_port),
        )
        .status()
        .context("running pytest")?;
    stack.stop()?;
    if !status.success() {
        bail!("client suites failed ({status})");
    }
    Ok(())
}

/// Builds the debug `codex-proxy` and `codex-mock` the suites run.
pub(crate) fn build_debug_bins() -> anyhow::Result<()> {
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
    )
}

/// Creates (once) the venv under target/ and installs the pinned SDKs; returns its python.
fn ensure_venv(root: &Path) -> anyhow::Result<PathBuf> {
    let venv = root.join("target/clients-venv");
    let python = venv.join("bin/python");
    let stamp = venv.join("requirements.stamp");
    let wanted = PY_REQUIREMENTS.join("\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) && python.exists() {
        return Ok(python);
    }
    run_ok(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run_ok(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(PY_REQUIREMENTS),
    )?;
    std::fs::write(&stamp, wanted)?;
    Ok(python)
}

fn run_ok(cmd: &mut Command) -> anyhow::Result<()> {
    let status = cmd.status().with_context(|| format!("running {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed ({status})");
    }
    Ok(())
}

/// The fake backend plus a gateway pointed at it, with one account.
pub(crate) struct Stack {
    pub(crate) mock: Guard,
    pub(crate) gateway: Guard,
    pub(crate) mock_port: u16,
    pub(crate) gateway_port: u16,
    /// The Ollama bridge listener (enabled in every stack).
    pub(crate) ollama_port: u16,
}

impl Stack {
    /// Starts `codex-mock` and `codex-proxy` from `bin_dir`, state and logs under `work`.
    pub(crate) fn start(bin_dir: &Path, work: &Path) -> anyhow::Result<Stack> {
        Stack::start_with(bin_dir, work, &[], 1, "")
    }

    /// Like [`Stack::start`], with extra `codex-mock` flags, `accounts` minted accounts and
    /// extra `auth:` keys for the gateway (YAML lines indented by two spaces).
    pub(crate) fn start_with(
        bin_dir: &Path,
        work: &Path,
        mock_flags: &[&str],
        accounts: usize,
        auth_yaml: &str,
    ) -> anyhow::Result<Stack> {
        let _ = std::fs::remove_dir_all(work);
        let data = work.join("data");
        std::fs::create_dir_all(&data)?;
        let mock_port = free_port()?;
        let gateway_port = free_port()?;
        let ollama_port = free_port()?;
        let mock_port_s = mock_port.to_string();
        let mut mock_args = vec!["--port", mock_port_s.as_str()];
        mock_args.extend_from_slice(mock_flags);
        let mut mock = Guard::spawn(
            "codex-mock",
            &bin_dir.join("codex-mock"),
            &mock_args,
            &[],
            &work.join("codex-mock.log"),
        )?;
        wait_http_ok(
            &mut mock,
            mock_port,
            "/backend-api/codex/models",
            Duration::from_secs(20),
        )
        .or_else(|_| wait_port(&mut mock, mock_port))?;

        let config = work.join("config.yaml");
        std::fs::write(
            &config,
            format!(
                "server:\n  proxy_api_key: {TEST_KEY}\napi:\n  base_url: http://127.0.0.1:{mock_port}/backend-api\nauth:\n  oauth_token_endpoint: http://127.0.0.1:{mock_port}/oauth/token\n{auth_yaml}ollama:\n  enabled: true\n  host: 127.0.0.1\n  port: {ollama_port}\n"
            ),
        )?;
        let gateway_port_s = gateway_port.to_string();
        let data_s = data.to_string_lossy().into_owned();
        let config_s = config.to_string_lossy().into_owned();
        let mut gateway = Guard::spawn(
            "codex-proxy",
            &bin_dir.join("codex-proxy"),
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
        for i in 0..accounts {
            let token = mint_jwt(&format!("00000000-0000-4000-8000-{i:012}"), i);
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
        }
        Ok(Stack {
            mock,
            gateway,
            mock_port,
            gateway_port,
            ollama_port,
        })
    }

    /// Stops both processes; the gateway must exit on SIGTERM.
    pub(crate) fn stop(self) -> anyhow::Result<()> {
        let Stack { mock, gateway, .. } = self;
        gateway.terminate(Duration::from_secs(15))?;
        drop(mock);
        Ok(())
    }
}

fn wait_port(guard: &mut Guard, port: u16) -> anyhow::Result<()> {
    for _ in 0..400 {
        guard.check_alive()?;
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("port {port} never opened")
}

/// A JWT shaped like the real access token (unsigned; the fake backend does not verify).
pub(crate) fn mint_jwt(account_id: &str, n: usize) -> String {
    let header = serde_json::json!({ "alg": "HS256", "typ": "JWT" });
    let claims = serde_json::json!({
        "iss": "https://auth.openai.com",
        "sub": format!("auth0|xtask{n}"),
        "exp": 4_102_444_800u64,
        "https://api.openai.com/auth": {
            "chatgpt_account_id": account_id,
            "chatgpt_plan_type": "pro",
            "chatgpt_user_id": format!("user-xtask{n}"),
            "user_id": format!("user-xtask{n}"),
        },
        "https://api.openai.com/profile": { "email": format!("xtask{n}@example.invalid") },
    });
    format!(
        "{}.{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes()),
        b64url(b"not-a-signature")
    )
}

fn b64url(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}
