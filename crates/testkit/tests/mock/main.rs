//! Black-box tests of the fake Codex backend over loopback HTTP.

// Test helpers outside #[test] fns are not covered by clippy.toml's test exemptions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod endpoints;
mod faults;
mod images;
mod oauth;
mod rejections;
mod stream;
mod transport;
