//! Fuzz target: arbitrary data for every known Responses event name (and as a WebSocket JSON
//! frame) never panics, nor do the accessors used by translators.
#![cfg_attr(fuzzing, no_main)]

use codex_proxy_schema::responses::{
    ErrorPayload, KNOWN_EVENTS, RateLimitSnapshot, ResponsesEvent,
};

fn check(input: &[u8]) {
    let [selector, bytes @ ..] = input else { return };
    let data = String::from_utf8_lossy(bytes);
    let names = KNOWN_EVENTS.len();
    let kind = KNOWN_EVENTS.get(usize::from(*selector) % (names + 1)).copied().unwrap_or("response.file_search_call.searching");
    for event in [ResponsesEvent::parse_named(kind, &data), ResponsesEvent::parse_json(&data)] {
        let Ok(event) = event else { continue };
        let _ = event.is_terminal();
        let _ = event.kind();
        let _ = event.error_info();
        match &event {
            ResponsesEvent::Created(env) | ResponsesEvent::Completed(env) | ResponsesEvent::Failed(env) | ResponsesEvent::Incomplete(env) => {
                let _ = env.response.output_items();
            }
            ResponsesEvent::RateLimits(raw) => {
                let _ = RateLimitSnapshot::from_raw(raw);
            }
            _ => {}
        }
    }
    let info = ErrorPayload::new(&data).extract();
    let _ = info.http_status();
}

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));

/// Without the fuzzer: run every file named on the command line through the same checks.
#[cfg(not(fuzzing))]
fn main() {
    for path in std::env::args().skip(1) {
        match std::fs::read(&path) {
            Ok(bytes) => check(&bytes),
            Err(e) => eprintln!("{path}: {e}"),
        }
    }
}
