//! Installing a pinned command-line client from npm for the real-client suites (`claude-code`,
//! `codex-cli`), once, under `target/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// A client the suites install from npm.
pub(crate) struct NpmCli<'a> {
    /// Suite name for messages, e.g. `codex-cli`.
    pub suite: &'a str,
    /// Install prefix under the project root, e.g. `target/npm-codex`.
    pub prefix: &'a str,
    /// The executable in `node_modules/.bin`.
    pub bin: &'a str,
    /// `package@version`.
    pub package: &'a str,
    /// The version `--version` must print.
    pub version: &'a str,
}

impl NpmCli<'_> {
    /// The installed executable, installing it first if needed. `None` (after saying why) only
    /// when the npm registry cannot be reached; a failing install is an error.
    pub(crate) fn ensure(&self, root: &Path) -> anyhow::Result<Option<PathBuf>> {
        let prefix = root.join(self.prefix);
        let bin = prefix.join("node_modules/.bin").join(self.bin);
        let installed = Command::new(&bin)
            .arg("--version")
            .output()
            .ok()
            .is_some_and(|o| String::from_utf8_lossy(&o.stdout).contains(self.version));
        if installed {
            return Ok(Some(bin));
        }
        let npm_works = Command::new("npm")
            .args(["ping", "--fetch-timeout=15000", "--fetch-retries=0"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !npm_works {
            println!(
                "{}: SKIPPED: the npm registry is unreachable (`npm ping` failed), so {} cannot be installed",
                self.suite, self.package
            );
            return Ok(None);
        }
        let status = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(self.package)
            .status()
            .context("running npm install")?;
        if !status.success() {
            bail!("npm install {} failed ({status})", self.package);
        }
        Ok(Some(bin))
    }
}
