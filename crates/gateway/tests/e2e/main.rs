//! End-to-end tests: the gateway in front of the fake Codex backend, driven over loopback.

mod chat;
mod errors;
mod lifecycle;
mod support;
