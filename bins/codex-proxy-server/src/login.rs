//! `codex-proxy login`: the official client's OAuth PKCE login. Prints the authorize URL,
//! waits for the browser's redirect on `127.0.0.1:<port>/auth/callback` (1455 by default,
//! `--port` to change), and accepts the redirect URL pasted on stdin instead when the callback
//! cannot reach this machine (remote server, Docker). `--device` runs the device-code flow.

use std::io::Write as _;
use std::time::SystemTime;

use anyhow::{Context as _, bail};
use codex_proxy_pool::oauth::{AuthCode, DeviceCode, LoginState, OAuthConfig, PkceLogin};
use codex_proxy_pool::{LoginError, Pool};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::Cli;

/// The official client's callback port.
const DEFAULT_PORT: u16 = 1455;
/// Largest callback request head read.
const MAX_HEAD: usize = 16 * 1024;

/// Runs the login and stores the account.
pub(crate) fn login(cli: &Cli, device: bool) -> anyhow::Result<()> {
    let loaded = crate::load::load(cli)?;
    let pool = crate::commands::open_pool(cli)?;
    let mut oauth = codex_proxy_gateway::oauth_config(&loaded.config.auth);
    let port = cli.port.unwrap_or(DEFAULT_PORT);
    if port != DEFAULT_PORT {
        oauth.redirect_uri = format!("http://127.0.0.1:{port}/auth/callback");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let transport = codex_proxy_gateway::login::login_transport(&loaded.config)
            .context("cannot set up the http client")?;
        let tokens = if device {
            device_flow(&oauth, &transport).await?
        } else {
            browser_flow(&oauth, &transport, port).await?
        };
        store(&pool, tokens)
    })
}

fn store(pool: &Pool, tokens: codex_proxy_pool::TokenSet) -> anyhow::Result<()> {
    let summary = pool
        .complete_login(tokens, None, SystemTime::now())
        .context("the login worked but the account could not be stored")?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "logged in: {} ({}, plan {}), account id {}",
        summary.email.as_deref().unwrap_or("unknown email"),
        summary.chatgpt_account_id.as_deref().unwrap_or("-"),
        summary.plan.as_deref().unwrap_or("unknown"),
        summary.id
    )?;
    Ok(())
}

async fn browser_flow(
    oauth: &OAuthConfig,
    transport: &codex_proxy_gateway::UpstreamOAuth,
    port: u16,
) -> anyhow::Result<codex_proxy_pool::TokenSet> {
    let (url, login) = PkceLogin::start_random(oauth, SystemTime::now());
    let listener = match TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => Some(l),
        Err(e) => {
            eprintln_safe(&format!(
                "cannot listen on 127.0.0.1:{port} ({e}); paste the redirect url instead"
            ));
            None
        }
    };
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "open this url in a browser and sign in:\n\n{url}\n")?;
        writeln!(
            out,
            "waiting for the redirect to {} ... if the browser cannot reach this machine, copy the url it was sent to (it starts with {}) and paste it here:",
            oauth.redirect_uri, oauth.redirect_uri
        )?;
    }
    let code = tokio::time::timeout(oauth.login_ttl, wait_for_code(&login, listener))
        .await
        .map_err(|_| anyhow::anyhow!("{}", LoginError::Expired))??;
    login
        .exchange(transport, &code)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// The first valid callback, from the listener or from a pasted url.
async fn wait_for_code(
    login: &LoginState,
    listener: Option<TcpListener>,
) -> anyhow::Result<AuthCode> {
    // Stdin is read on a plain thread (blocking); lines arrive over a channel.
    let (tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<std::io::Result<String>>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    loop {
        tokio::select! {
            accepted = accept(listener.as_ref()) => {
                let Ok((stream, _)) = accepted else { continue };
                if let Some(result) = serve_callback(login, stream).await {
                    return result;
                }
            }
            line = lines.recv() => {
                match line.transpose().context("cannot read stdin")? {
                    None => bail!("stdin closed before a redirect url was pasted"),
                    Some(l) if l.trim().is_empty() => {}
                    Some(l) => match login.check_callback(&l, SystemTime::now()) {
                        Ok(code) => return Ok(code),
                        Err(e) if e.needs_restart() || matches!(e, LoginError::Denied { .. }) => {
                            bail!("{e}; run `codex-proxy login` again")
                        }
                        Err(e) => eprintln_safe(&format!("{e}; paste the whole redirect url")),
                    },
                }
            }
        }
    }
}

async fn accept(
    listener: Option<&TcpListener>,
) -> std::io::Result<(TcpStream, std::net::SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// Answers one browser request; `Some` once the login callback arrived (good or bad).
async fn serve_callback(
    login: &LoginState,
    mut stream: TcpStream,
) -> Option<anyhow::Result<AuthCode>> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let target = text.split_whitespace().nth(1).unwrap_or("");
    if !target.starts_with("/auth/callback") {
        respond(&mut stream, "404 Not Found", "not found").await;
        return None;
    }
    let result = login.check_callback(target, SystemTime::now());
    match &result {
        Ok(_) => {
            respond(
                &mut stream,
                "200 OK",
                "login received: you can close this tab and return to the terminal",
            )
            .await;
        }
        Err(e) => {
            respond(
                &mut stream,
                "400 Bad Request",
                &format!("login failed: {e}"),
            )
            .await
        }
    }
    Some(result.map_err(|e| anyhow::anyhow!("{e}")))
}

async fn respond(stream: &mut TcpStream, status: &str, text: &str) {
    let body = format!(
        "<!doctype html><title>codex-proxy</title><p>{}</p>",
        html_escape(text)
    );
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

async fn device_flow(
    oauth: &OAuthConfig,
    transport: &codex_proxy_gateway::UpstreamOAuth,
) -> anyhow::Result<codex_proxy_pool::TokenSet> {
    let now = SystemTime::now();
    let code = DeviceCode::start(oauth, transport, now)
        .await
        .map_err(|e| anyhow::anyhow!("cannot start the device login: {e}"))?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "open {} and enter the code {} (valid for {} minutes); waiting ...",
            code.verification_url(),
            code.user_code(),
            code.expires_at()
                .duration_since(now)
                .map_or(0, |d| d.as_secs() / 60)
        )?;
    }
    code.wait(transport, SystemTime::now())
        .await
        .map_err(|e| anyhow::anyhow!("device login failed: {e}"))
}

fn eprintln_safe(msg: &str) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}
