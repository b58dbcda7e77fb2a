//! The subcommands: serve, accounts list/import/export, keys, check-config.

use std::io::Write as _;
use std::path::Path;
use std::time::SystemTime;

use anyhow::Context as _;
use codex_proxy_gateway::Gateway;
use codex_proxy_pool::Pool;

use crate::Cli;
use crate::load::{load, local_yaml};

/// Runs the server until SIGINT/SIGTERM, then drains.
pub(crate) fn serve(cli: &Cli) -> anyhow::Result<()> {
    let mut loaded = load(cli)?;
    if loaded.config.server.proxy_api_key.is_none() {
        let key = codex_proxy_gateway::keys::generate_and_persist(&cli.data_dir)
            .context("cannot store a new proxy API key")?;
        tracing::info!(
            "generated a proxy API key in {}; run `codex-proxy keys` to print it",
            local_yaml(&cli.data_dir).display()
        );
        loaded.config.server.proxy_api_key = Some(key);
    } else {
        tracing::info!("clients must send the proxy API key (`codex-proxy keys` prints it)");
    }
    codex_proxy_gateway::keys::ensure_data_dir(&cli.data_dir)
        .context("cannot create the data dir")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let running = Gateway::start(loaded.config, &cli.data_dir).await?;
        let reload_cli = cli.clone();
        running.watch_config(codex_proxy_gateway::ReloadSource::new(
            crate::load::watched_files(cli),
            move || crate::load::reload(&reload_cli),
        ));
        if running.pool().list().is_ok_and(|l| l.is_empty()) {
            tracing::warn!(
                "no account yet: stop the server and run `codex-proxy login` (or `codex-proxy accounts import ~/.codex/auth.json`), or POST {{\"token\": \"...\"}} to http://{}/auth/accounts",
                running.local_addr()
            );
        }
        tracing::info!("OpenAI-compatible API at http://{}/v1", running.local_addr());
        wait_for_signal().await;
        tracing::info!("shutting down");
        running.shutdown().await;
        Ok::<_, anyhow::Error>(())
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

pub(crate) fn open_pool(cli: &Cli) -> anyhow::Result<Pool> {
    let loaded = load(cli)?;
    codex_proxy_gateway::keys::ensure_data_dir(&cli.data_dir)
        .context("cannot create the data dir")?;
    Pool::open(
        &cli.data_dir,
        codex_proxy_gateway::pool_config(&loaded.config),
    )
    .with_context(|| {
        format!(
            "cannot open the account store in {} (is the server running?)",
            cli.data_dir.display()
        )
    })
}

pub(crate) fn accounts_list(cli: &Cli) -> anyhow::Result<()> {
    let pool = open_pool(cli)?;
    let accounts = pool.list()?;
    let mut out = std::io::stdout().lock();
    if accounts.is_empty() {
        writeln!(
            out,
            "no accounts; import one with `codex-proxy accounts import ~/.codex/auth.json`"
        )?;
        return Ok(());
    }
    for a in accounts {
        let status = serde_json::to_value(a.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}",
            a.id,
            status,
            a.email.as_deref().unwrap_or("-"),
            a.plan.as_deref().unwrap_or("-"),
            a.label.as_deref().unwrap_or("-"),
        )?;
    }
    Ok(())
}

pub(crate) fn accounts_import(cli: &Cli, file: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let pool = open_pool(cli)?;
    let report = pool
        .import(&bytes, SystemTime::now())
        .context("import failed")?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "added {}, updated {}, skipped {}",
        report.added,
        report.updated,
        report.skipped.len()
    )?;
    for (index, reason) in &report.skipped {
        writeln!(out, "  item {index}: {reason}")?;
    }
    Ok(())
}

pub(crate) fn accounts_export(cli: &Cli, minimal: bool) -> anyhow::Result<()> {
    let pool = open_pool(cli)?;
    let mut out = std::io::stdout().lock();
    out.write_all(&pool.export(minimal).to_json())?;
    writeln!(out)?;
    Ok(())
}

pub(crate) fn keys(cli: &Cli) -> anyhow::Result<()> {
    let loaded = load(cli)?;
    let mut out = std::io::stdout().lock();
    match &loaded.config.server.proxy_api_key {
        Some(key) => {
            writeln!(out, "proxy API key: {}", key.expose())?;
            writeln!(
                out,
                "stored in: {} (server.proxy_api_key; env or --config may override)",
                local_yaml(&cli.data_dir).display()
            )?;
            writeln!(
                out,
                "send it as `Authorization: Bearer <key>` or `x-api-key: <key>`"
            )?;
        }
        None => writeln!(
            out,
            "no proxy API key yet: one is generated into {} on the first `codex-proxy` start",
            local_yaml(&cli.data_dir).display()
        )?,
    }
    drop(out);
    keys_list(cli)
}

/// `codex-proxy keys list`: client keys, masked.
pub(crate) fn keys_list(cli: &Cli) -> anyhow::Result<()> {
    let pool = open_pool(cli)?;
    let keys = pool.list_client_keys();
    let mut out = std::io::stdout().lock();
    if keys.is_empty() {
        writeln!(
            out,
            "no client keys; create one with `codex-proxy keys create --label NAME`"
        )?;
        return Ok(());
    }
    writeln!(out, "client keys:")?;
    for k in keys {
        let models = k
            .allowed_models
            .as_ref()
            .map_or_else(|| "all models".to_owned(), |m| m.join(","));
        let budget = k.token_budget.map_or_else(
            || "no budget".to_owned(),
            |b| format!("{}/{b} tokens", k.used_tokens),
        );
        let state = if k.revoked { "revoked" } else { "active" };
        writeln!(
            out,
            "  {}\t{}\t{}\t{state}\t{models}\t{budget}",
            k.id, k.masked, k.label
        )?;
    }
    Ok(())
}

/// `codex-proxy keys create`: prints the new key once.
pub(crate) fn keys_create(
    cli: &Cli,
    label: &str,
    models: &[String],
    expires_days: Option<u64>,
    budget: Option<u64>,
) -> anyhow::Result<()> {
    if label.trim().is_empty() {
        anyhow::bail!("--label must not be empty");
    }
    let pool = open_pool(cli)?;
    let now = SystemTime::now();
    let models: Vec<String> = models
        .iter()
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .collect();
    let expires =
        expires_days.map(|d| now + std::time::Duration::from_secs(d.saturating_mul(86_400)));
    let (info, key) = pool
        .create_client_key(
            label,
            (!models.is_empty()).then_some(models),
            expires,
            budget,
            now,
        )
        .context("cannot store the client key")?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "created client key {} ({}):", info.id, info.label)?;
    writeln!(out, "{key}")?;
    writeln!(
        out,
        "it is shown only once; clients send it as `Authorization: Bearer <key>`"
    )?;
    Ok(())
}

pub(crate) fn check_config(cli: &Cli) -> anyhow::Result<()> {
    let loaded = load(cli)?;
    let mut value = serde_json::to_value(&loaded.raw).context("cannot render the config")?;
    mask_secrets(&mut value);
    let text = serde_yaml::to_string(&value).context("cannot render the config")?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "# effective configuration (valid; secrets masked)")?;
    out.write_all(text.as_bytes())?;
    Ok(())
}

/// Replaces every string under a key that looks secret with `***`.
fn mask_secrets(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                let k = k.to_ascii_lowercase();
                let secret = ["key", "token", "secret", "password"]
                    .iter()
                    .any(|s| k.contains(s));
                if secret && child.is_string() {
                    *child = serde_json::Value::String("***".to_owned());
                } else {
                    mask_secrets(child);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask_secrets),
        _ => {}
    }
}
