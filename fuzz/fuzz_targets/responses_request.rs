//! Fuzz target: any JSON that deserializes into `ResponsesRequest` serializes back to JSON that
//! deserializes into an equal request (nothing is lost or invented on the way), without panics.
#![cfg_attr(fuzzing, no_main)]

use codex_proxy_schema::responses::ResponsesRequest;

fn check(input: &[u8]) {
    let Ok(request) = serde_json::from_slice::<ResponsesRequest>(input) else { return };
    let text = serde_json::to_string(&request).expect("a parsed request serializes");
    let again: ResponsesRequest = serde_json::from_str(&text).expect("our output parses");
    assert_eq!(again, request);
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
