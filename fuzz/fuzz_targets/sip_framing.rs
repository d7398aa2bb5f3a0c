//! Fuzz target: `sip::framing::StreamFramer` fed arbitrary bytes in arbitrary chunks
//! (RFC 3261 §18.3). It must not panic, must never return more bytes than were pushed, and
//! must return the same frames whether the bytes arrive at once or in pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip::framing::StreamFramer;

/// Pushes `data` cut at the offsets the first byte suggests, draining after every push.
fn frames(data: &[u8], step: usize) -> (Vec<Vec<u8>>, bool) {
    let mut framer = StreamFramer::new();
    let mut out = Vec::new();
    for chunk in data.chunks(step.max(1)) {
        framer.push(chunk);
        loop {
            match framer.next_message() {
                Ok(Some(msg)) => out.push(msg),
                Ok(None) => break,
                Err(_) => return (out, true),
            }
        }
    }
    (out, false)
}

fuzz_target!(|data: &[u8]| {
    let Some((&step, data)) = data.split_first() else {
        return;
    };
    let (whole, whole_failed) = frames(data, data.len());
    let (pieces, pieces_failed) = frames(data, usize::from(step % 16) + 1);
    assert!(whole.iter().map(Vec::len).sum::<usize>() <= data.len());
    assert_eq!(whole_failed, pieces_failed);
    assert_eq!(whole, pieces);
    for msg in &whole {
        let _ = sip::message::parse(msg);
    }
});
