//! Fuzz target: `sip::message::parse` and `error_response` on arbitrary bytes (RFC 3261 §7).
//! Neither may panic; an accepted message must print and re-parse (rsip is our printer).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip::message::{error_response, parse};

fuzz_target!(|data: &[u8]| {
    match parse(data) {
        Ok(msg) => {
            // Printing must not panic either; re-parsing what we print is the round trip the
            // proxy-free bridge relies on when it answers from the parsed model.
            let printed = msg.to_string();
            let _ = parse(printed.as_bytes());
        }
        Err(err) => {
            if let Some(resp) = error_response(data, &err) {
                let _ = resp.to_string();
            }
        }
    }
});
