//! `ClientProfile`: who the gateway says it is, as data (`config/fingerprint.yaml`), with the
//! captured official Codex CLI 0.169.0 (`codex exec` on Debian 12, x86_64) as the default.

use serde::Deserialize;

use crate::error::FingerprintError;

/// The official profile, embedded (the same text as `config/fingerprint.yaml`).
pub const OFFICIAL_PROFILE_YAML: &str = include_str!("../../../config/fingerprint.yaml");

/// A client identity. Build one with [`ClientProfile::from_yaml`] or
/// [`ClientProfile::official`]; render headers with [`ClientProfile::user_agent`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientProfile {
    originator: String,
    app_version: String,
    build_number: Option<String>,
    platform: String,
    arch: String,
    terminal: String,
    user_agent_template: String,
    startup_user_agent_template: String,
    update_feed: Option<String>,
    header_order: Vec<String>,
}

/// `client.*` config keys that override the profile (the user's word beats the file and the
/// updater). `None` keeps the profile's value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientOverrides {
    /// `client.originator`.
    pub originator: Option<String>,
    /// `client.app_version`; pins the version (the updater then leaves it alone).
    pub app_version: Option<String>,
    /// `client.build_number`.
    pub build_number: Option<String>,
    /// `client.platform`.
    pub platform: Option<String>,
    /// `client.arch`.
    pub arch: Option<String>,
}

/// The file as written; converted once into [`ClientProfile`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    originator: String,
    app_version: String,
    #[serde(default)]
    build_number: Option<String>,
    platform: String,
    arch: String,
    terminal: String,
    user_agent_template: String,
    startup_user_agent_template: String,
    #[serde(default)]
    update_feed: Option<String>,
    header_order: Vec<String>,
}

impl ClientProfile {
    /// The captured official profile (`codex_exec` 0.169.0).
    pub fn official() -> ClientProfile {
        // The embedded file is validated by a unit test; fall back to the same values spelled
        // out if it were ever broken, rather than panicking.
        ClientProfile::from_yaml(OFFICIAL_PROFILE_YAML).unwrap_or_else(|_| ClientProfile {
            originator: "codex_exec".to_owned(),
            app_version: "0.169.0".to_owned(),
            build_number: None,
            platform: "Debian 12.0.0".to_owned(),
            arch: "x86_64".to_owned(),
            terminal: "xterm".to_owned(),
            user_agent_template:
                "{originator}/{version} ({platform}; {arch}) {terminal} ({originator}; {version})"
                    .to_owned(),
            startup_user_agent_template: "{originator}/{version} ({platform}; {arch}) {terminal}"
                .to_owned(),
            update_feed: None,
            header_order: Vec::new(),
        })
    }

    /// Parses and validates a profile file.
    pub fn from_yaml(text: &str) -> Result<ClientProfile, FingerprintError> {
        let raw: RawProfile =
            serde_yaml::from_str(text).map_err(|e| FingerprintError::Profile {
                path: e
                    .location()
                    .map_or_else(|| ".".to_owned(), |l| format!("line {}", l.line())),
                reason: e.to_string(),
            })?;
        let profile = ClientProfile {
            originator: raw.originator,
            app_version: raw.app_version,
            build_number: raw.build_number,
            platform: raw.platform,
            arch: raw.arch,
            terminal: raw.terminal,
            user_agent_template: raw.user_agent_template,
            startup_user_agent_template: raw.startup_user_agent_template,
            update_feed: raw.update_feed,
            header_order: raw.header_order,
        };
        profile.validate()?;
        Ok(profile)
    }

    fn validate(&self) -> Result<(), FingerprintError> {
        let bad = |path: &str, reason: &str| {
            Err(FingerprintError::Profile {
                path: path.to_owned(),
                reason: reason.to_owned(),
            })
        };
        for (path, value) in [
            ("originator", &self.originator),
            ("app_version", &self.app_version),
            ("platform", &self.platform),
            ("arch", &self.arch),
        ] {
            if value.is_empty() || !is_header_safe(value) {
                return bad(path, "must be a non-empty printable ascii string");
            }
        }
        for (path, template) in [
            ("user_agent_template", &self.user_agent_template),
            (
                "startup_user_agent_template",
                &self.startup_user_agent_template,
            ),
        ] {
            if !template.contains("{version}") {
                return bad(path, "must contain {version}");
            }
            if !is_header_safe(&render(template, self)) {
                return bad(path, "renders to an invalid header value");
            }
        }
        for (i, name) in self.header_order.iter().enumerate() {
            let ok = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                return bad(
                    &format!("header_order[{i}]"),
                    "must be a lowercase header name",
                );
            }
        }
        Ok(())
    }

    /// This profile with `client.*` overrides applied (invalid values are rejected).
    pub fn with_overrides(&self, o: &ClientOverrides) -> Result<ClientProfile, FingerprintError> {
        let mut p = self.clone();
        if let Some(v) = &o.originator {
            p.originator.clone_from(v);
        }
        if let Some(v) = &o.app_version {
            p.app_version.clone_from(v);
        }
        if let Some(v) = &o.build_number {
            p.build_number = Some(v.clone());
        }
        if let Some(v) = &o.platform {
            p.platform.clone_from(v);
        }
        if let Some(v) = &o.arch {
            p.arch.clone_from(v);
        }
        p.validate()?;
        Ok(p)
    }

    /// This profile at another version/build (what the updater applies).
    pub fn with_version(&self, app_version: &str, build_number: Option<&str>) -> ClientProfile {
        let mut p = self.clone();
        p.app_version = app_version.to_owned();
        p.build_number = build_number.map(str::to_owned);
        p
    }

    /// `originator` header.
    pub fn originator(&self) -> &str {
        &self.originator
    }

    /// `version` header and `client_version` query value.
    pub fn app_version(&self) -> &str {
        &self.app_version
    }

    /// Build number (informational; Codex Desktop has one, the CLI does not).
    pub fn build_number(&self) -> Option<&str> {
        self.build_number.as_deref()
    }

    /// `user-agent` of model calls.
    pub fn user_agent(&self) -> String {
        render(&self.user_agent_template, self)
    }

    /// `user-agent` of startup calls (accounts check, first models fetch, token refresh).
    pub fn startup_user_agent(&self) -> String {
        render(&self.startup_user_agent_template, self)
    }

    /// The update feed URL polled by the updater, if this profile follows one.
    pub fn update_feed(&self) -> Option<&str> {
        self.update_feed.as_deref()
    }

    /// Header names of `POST /codex/responses`, in the captured wire order.
    pub fn header_order(&self) -> &[String] {
        &self.header_order
    }
}

impl Default for ClientProfile {
    fn default() -> Self {
        ClientProfile::official()
    }
}

fn render(template: &str, p: &ClientProfile) -> String {
    template
        .replace("{originator}", &p.originator)
        .replace("{version}", &p.app_version)
        .replace("{build}", p.build_number.as_deref().unwrap_or(""))
        .replace("{platform}", &p.platform)
        .replace("{arch}", &p.arch)
        .replace("{terminal}", &p.terminal)
}

fn is_header_safe(text: &str) -> bool {
    text.bytes().all(|b| (0x20..0x7f).contains(&b))
}

#[cfg(test)]
mod tests;
