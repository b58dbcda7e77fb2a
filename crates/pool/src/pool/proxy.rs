//! Per-account upstream proxies: stored sealed with the account's secrets, shown masked.

use super::Pool;
use crate::account::{AccountId, AccountSummary};
use crate::error::PoolError;

impl Pool {
    /// Sets (`Some`) or clears (`None`: use the global proxy) the account's upstream proxy
    /// URL, e.g. `http://user:pass@host:3128` or `socks5://host:1080`. The caller validates
    /// the URL (the pool only trims it and refuses an empty one as "clear"). Persisted at once.
    pub fn set_account_proxy(
        &self,
        id: &AccountId,
        proxy: Option<String>,
    ) -> Result<AccountSummary, PoolError> {
        let proxy = proxy.map(|p| p.trim().to_owned()).filter(|p| !p.is_empty());
        self.mutate(id, true, |a| a.secrets.proxy_url = proxy)
    }

    /// The account's own proxy URL with credentials (for the transport), `None` when it uses
    /// the global one or does not exist.
    pub fn account_proxy(&self, id: &AccountId) -> Option<String> {
        let state = self.state();
        let i = state.position(id)?;
        state.accounts[i].secrets.proxy_url.clone()
    }
}

/// `scheme://user:***@host:port`: the password (or a lone user name) masked for display.
pub(crate) fn mask_proxy_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "***".to_owned();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::PoolConfig;

    #[test]
    fn masks_credentials() {
        assert_eq!(mask_proxy_url("http://u:secret@h:1"), "http://u:***@h:1");
        assert_eq!(mask_proxy_url("socks5://h:1080"), "socks5://h:1080");
        assert_eq!(mask_proxy_url("garbage"), "***");
    }

    #[test]
    fn proxy_is_stored_sealed_masked_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        use base64::Engine as _;
        let payload = r#"{"exp":4102444800,"https://api.openai.com/auth":{"chatgpt_account_id":"acc-proxy","chatgpt_user_id":"u"}}"#;
        let jwt = format!(
            "eyJhbGciOiJub25lIn0.{}.sig",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload)
        );
        let id = {
            let pool = Pool::open(dir.path(), PoolConfig::default()).unwrap();
            let summary = pool
                .add_tokens(Some(&jwt), None, None, SystemTime::now())
                .unwrap();
            let s = pool
                .set_account_proxy(&summary.id, Some(" http://u:pw@127.0.0.1:9 ".into()))
                .unwrap();
            assert_eq!(s.proxy.as_deref(), Some("http://u:***@127.0.0.1:9"));
            summary.id
        };
        let pool = Pool::open(dir.path(), PoolConfig::default()).unwrap();
        assert_eq!(
            pool.account_proxy(&id).as_deref(),
            Some("http://u:pw@127.0.0.1:9")
        );
        let raw = std::fs::read(dir.path().join("codex-proxy.redb")).unwrap();
        assert!(
            !raw.windows(b"u:pw@".len()).any(|w| w == b"u:pw@"),
            "proxy credentials are sealed"
        );
        pool.set_account_proxy(&id, None).unwrap();
        assert_eq!(pool.account_proxy(&id), None);
        assert_eq!(pool.get(&id).unwrap().proxy, None);
        assert!(pool.set_account_proxy(&AccountId::random(), None).is_err());
    }
}
