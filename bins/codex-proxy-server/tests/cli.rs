//! The real `codex-proxy` binary on loopback: first start in an empty data dir (what it tells
//! the user, the generated key), `/health`, `codex-proxy keys`, `check-config` masking, hot
//! reload of `local.yaml` starting the Ollama bridge, and a clean exit on SIGTERM.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_codex-proxy");

fn command(data: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("--data-dir").arg(data);
    for var in [
        "PORT",
        "CODEX_PROXY_HOST",
        "HTTPS_PROXY",
        "https_proxy",
        "CODEX_JWT_TOKEN",
        "OLLAMA_BRIDGE_ENABLED",
        "OLLAMA_BRIDGE_HOST",
        "OLLAMA_BRIDGE_PORT",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1").env("RUST_LOG", "info");
    cmd
}

/// Collects a child's stderr in the background.
fn capture(child: &mut Child) -> Arc<Mutex<String>> {
    let log = Arc::new(Mutex::new(String::new()));
    let stderr = child.stderr.take().expect("stderr piped");
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let mut s = sink
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            s.push_str(&line);
            s.push('\n');
        }
    });
    log
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One HTTP/1.1 GET; `(status, body)`.
fn get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n")?.1.to_owned();
    Some((status, body))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

#[test]
fn first_start_keys_check_config_hot_reload_and_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let extra = dir.path().join("extra.yaml");
    std::fs::write(
        &extra,
        "server:\n  config_poll_seconds: 0.2\napi:\n  base_url: http://127.0.0.1:9\n",
    )
    .expect("write --config file");

    let mut child = command(&data)
        .args(["--port", "0", "--config"])
        .arg(&extra)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let log = capture(&mut child);
    let text = || log.lock().map(|s| s.clone()).unwrap_or_default();
    let addr: SocketAddr = wait_for("the listening line", || {
        let t = text();
        let rest = t.split("OpenAI-compatible API at http://").nth(1)?;
        rest.split("/v1").next()?.parse().ok()
    });
    let startup = text();
    assert!(
        startup.contains("codex-proxy keys"),
        "tells where the key is: {startup}"
    );
    assert!(
        startup.contains("codex-proxy login") && startup.contains("accounts import"),
        "tells how to add an account: {startup}"
    );

    let (status, body) = get(addr, "/health").expect("health answers");
    assert_eq!(status, 200);
    assert!(body.contains("\"status\":\"ok\""), "{body}");

    let local = data.join("local.yaml");
    let local_text = std::fs::read_to_string(&local).expect("local.yaml created");
    let doc: serde_yaml::Value = serde_yaml::from_str(&local_text).expect("yaml");
    let key = doc["server"]["proxy_api_key"]
        .as_str()
        .expect("generated key")
        .to_owned();
    assert!(key.starts_with("cpk-"));
    assert!(!startup.contains(&key), "the key is never logged");

    let checked = command(&data)
        .arg("--config")
        .arg(&extra)
        .arg("check-config")
        .output()
        .expect("check-config runs");
    assert!(checked.status.success());
    let shown = String::from_utf8_lossy(&checked.stdout);
    assert!(!shown.contains(&key), "check-config masks the key");
    assert!(shown.contains("proxy_api_key: '***'") || shown.contains("proxy_api_key: \"***\""));

    // Hot reload: enabling the bridge in local.yaml starts it without a restart.
    let port = free_port();
    std::fs::write(
        &local,
        format!("{local_text}ollama:\n  enabled: true\n  host: 127.0.0.1\n  port: {port}\n"),
    )
    .expect("edit local.yaml");
    let bridge: SocketAddr = ([127, 0, 0, 1], port).into();
    let (status, body) = wait_for("the ollama bridge", || get(bridge, "/api/version"));
    assert_eq!(status, 200);
    assert!(body.contains("\"version\""), "{body}");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let exit = wait_for("exit", || child.try_wait().ok().flatten());
    assert!(exit.success(), "SIGTERM exits 0: {exit:?}\n{}", text());

    let keys = command(&data).arg("keys").output().expect("keys runs");
    assert!(
        keys.status.success(),
        "{}",
        String::from_utf8_lossy(&keys.stderr)
    );
    let printed = String::from_utf8_lossy(&keys.stdout);
    assert!(
        printed.contains(&key),
        "`codex-proxy keys` prints the key: {printed}"
    );
}
