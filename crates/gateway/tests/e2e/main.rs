//! End-to-end tests: the gateway in front of the fake Codex backend, driven over loopback.

mod accounts;
mod anthropic;
mod chat;
mod errors;
mod gemini;
mod lifecycle;
mod ollama;
mod reload;
mod responses;
mod support;
mod transport;
mod ws;
