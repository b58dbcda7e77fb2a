//! Black-box tests of codex-proxy-upstream against loopback servers (no internet).

#[cfg(test)]
mod clienthello;
#[cfg(test)]
mod errors;
#[cfg(test)]
mod fingerprint;
#[cfg(test)]
mod headers;
#[cfg(test)]
mod http2;
#[cfg(test)]
mod hyper_server;
#[cfg(test)]
mod mock_tls;
#[cfg(test)]
mod pooling;
#[cfg(test)]
mod proxies;
#[cfg(test)]
mod ratelimit;
#[cfg(test)]
mod recording_h2;
#[cfg(test)]
mod streaming;
#[cfg(test)]
mod support;
#[cfg(test)]
mod timeouts;
#[cfg(test)]
mod tls;
#[cfg(test)]
mod websocket;
#[cfg(test)]
mod zstd_body;
