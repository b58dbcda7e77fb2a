//! HTTP CONNECT and SOCKS5 tunnels (with and without credentials) against the testkit's
//! loopback proxies and its TLS fake backend; connections are pooled per (proxy, origin).

use std::net::SocketAddr;

use codex_proxy_testkit::proxy::{ProxyProtocol, TestProxy};
use codex_proxy_testkit::{JwtClaims, MockConfig, MockServer, TestCa, mint_jwt};
use codex_proxy_upstream::{
    Credentials, Proxy, ProxyKind, Upstream, UpstreamConfig, UpstreamError,
};

use crate::support;

struct Setup {
    _ca: TestCa,
    mock: MockServer,
    cfg: UpstreamConfig,
    token: String,
}

impl Setup {
    fn creds(&self) -> Credentials<'_> {
        Credentials {
            access_token: &self.token,
            account_id: Some(support::ACCOUNT),
        }
    }
}

/// The TLS fake backend, and a config for `https://chatgpt.com/backend-api` trusting its CA.
async fn setup() -> Setup {
    let ca = TestCa::generate().unwrap();
    let mock = MockServer::start_tls(MockConfig::default(), &ca)
        .await
        .unwrap();
    let mut cfg = support::config("https://chatgpt.com/backend-api");
    cfg.extra_ca_pem = Some(ca.ca_pem().as_bytes().to_vec());
    let token = mint_jwt(&JwtClaims {
        chatgpt_account_id: support::ACCOUNT.to_owned(),
        plan_type: "pro".to_owned(),
        email: "fake.user@example.invalid".to_owned(),
        exp: 4_102_444_800,
        user_id: "user-FAKE".to_owned(),
    });
    Setup {
        _ca: ca,
        mock,
        cfg,
        token,
    }
}

async fn proxy(protocol: ProxyProtocol, auth: Option<(&str, &str)>, to: SocketAddr) -> TestProxy {
    TestProxy::start(protocol, auth, Some(to)).await.unwrap()
}

#[tokio::test]
async fn global_proxies_tunnel_to_the_real_host_name() {
    for protocol in [ProxyProtocol::HttpConnect, ProxyProtocol::Socks5] {
        for auth in [None, Some(("user", "p@ss:word"))] {
            let s = setup().await;
            let p = proxy(protocol, auth, s.mock.addr()).await;
            let mut cfg = s.cfg.clone();
            cfg.proxy_url = Some(match auth {
                // Credentials with reserved characters arrive percent-encoded in URLs.
                Some(_) => p.url().replace("p@ss:word", "p%40ss%3Aword"),
                None => p.url(),
            });
            let upstream = Upstream::new(cfg).unwrap();
            for _ in 0..2 {
                let usage = upstream.get("/wham/usage", &s.creds()).await;
                assert_eq!(usage.unwrap().status, 200, "{protocol:?} {auth:?}");
            }
            // One tunnel: the h2 connection through it is reused.
            assert_eq!(p.targets(), vec!["chatgpt.com:443".to_owned()]);
        }
    }
}

#[tokio::test]
async fn wrong_proxy_credentials_are_a_proxy_error() {
    let s = setup().await;
    for protocol in [ProxyProtocol::HttpConnect, ProxyProtocol::Socks5] {
        let p = proxy(protocol, Some(("user", "right")), s.mock.addr()).await;
        let mut cfg = s.cfg.clone();
        cfg.proxy_url = Some(p.url().replace("right", "wrong"));
        let err = Upstream::new(cfg)
            .unwrap()
            .get("/wham/usage", &s.creds())
            .await
            .unwrap_err();
        assert!(err.is_proxy(), "{protocol:?}: {err:?}");
        assert_eq!(err.label(), "proxy");
        if protocol == ProxyProtocol::HttpConnect {
            assert!(matches!(
                err,
                UpstreamError::Proxy {
                    status: Some(407),
                    ..
                }
            ));
        }
        assert!(p.targets().is_empty());
    }
}

#[tokio::test]
async fn per_account_proxies_get_their_own_connections() {
    let s = setup().await;
    let a = proxy(ProxyProtocol::HttpConnect, None, s.mock.addr()).await;
    let b = proxy(ProxyProtocol::Socks5, Some(("u", "p")), s.mock.addr()).await;
    let direct = {
        let mut cfg = s.cfg.clone();
        cfg.connect_to = Some(s.mock.addr());
        Upstream::new(cfg).unwrap()
    };
    let via_a = direct.with_proxy(Some(Proxy::parse(&a.url()).unwrap()));
    let via_b = direct.with_proxy(Some(Proxy::parse(&b.url()).unwrap()));
    assert_eq!(via_b.proxy().map(Proxy::kind), Some(ProxyKind::Socks5));
    for _ in 0..2 {
        for upstream in [&direct, &via_a, &via_b] {
            let r = upstream.get("/wham/usage", &s.creds()).await.unwrap();
            assert_eq!(r.status, 200);
        }
    }
    assert_eq!(a.targets().len(), 1);
    assert_eq!(b.targets().len(), 1);
    assert_eq!(s.mock.stats().requests, 6);
}
