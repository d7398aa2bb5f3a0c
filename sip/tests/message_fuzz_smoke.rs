//! A stable-toolchain fuzz smoke: thousands of deterministic mutations of the RFC 4475
//! messages through `parse`, `error_response` and the stream framer, none of which may panic.
//! The libFuzzer targets in `fuzz/` explore further; this one runs with every `cargo test`.
//! Crashes found by either are kept under `fixtures/fuzz/sip/` and replayed here.

use sip::framing::StreamFramer;
use sip::message::{error_response, parse};
use std::path::PathBuf;

/// xorshift64*: tiny, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes and fragments that matter to the SIP grammar.
const PIECES: &[&[u8]] = &[
    b"\r\n",
    b"\r",
    b"\n",
    b" ",
    b"\t",
    b":",
    b";",
    b",",
    b"=",
    b"<",
    b">",
    b"\"",
    b"\\",
    b"%",
    b"%00",
    b"@",
    b"/",
    b"?",
    b"[",
    b"]",
    b"\0",
    b"\xff",
    b"\xc3",
    b"0",
    b"-1",
    b"99999999999999999999",
    b"SIP/2.0",
    b"SIP/",
    b"sip:",
    b"Content-Length: ",
    b"l: 5",
    b"\r\n\r\n",
    b"Via: SIP/2.0/UDP ",
    b"CSeq: 1 INVITE",
    b"INVITE",
    b";tag=",
    b";branch=",
    b"\r\n ",
    b"\xe2\x82\xac",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] = rng.next() as u8;
            }
            1 => {
                let piece = PIECES[rng.below(PIECES.len())];
                out.splice(at..at, piece.iter().copied());
            }
            2 if at < out.len() => {
                let end = (at + 1 + rng.below(16)).min(out.len());
                out.drain(at..end);
            }
            3 => out.truncate(at),
            4 if at < out.len() => {
                let end = (at + 1 + rng.below(64)).min(out.len());
                let copy = out[at..end].to_vec();
                let to = rng.below(out.len() + 1);
                out.splice(to..to, copy);
            }
            _ => {
                let i = rng.below(out.len() + 1);
                out.insert(i.min(out.len()), b"\r\n :;\"<>"[rng.below(8)]);
            }
        }
    }
    out
}

/// Calls rsip's typed parsers the way the transaction and dialog layers do, so a panic inside
/// rsip on a value we accepted shows up here rather than in the bridge.
fn exercise_typed(msg: &rsip::SipMessage) {
    use rsip::prelude::*;
    use rsip::Header;
    for header in msg.headers().iter() {
        match header {
            Header::Via(h) => drop(h.typed()),
            Header::From(h) => drop(h.typed()),
            Header::To(h) => drop(h.typed()),
            Header::Contact(h) => drop(h.typed()),
            Header::CSeq(h) => drop(h.typed()),
            Header::Route(h) => drop(h.typed()),
            Header::RecordRoute(h) => drop(h.typed()),
            Header::ContentType(h) => drop(h.typed()),
            Header::Authorization(h) => drop(h.typed()),
            Header::Accept(h) => drop(h.typed()),
            Header::Allow(h) => drop(h.typed()),
            Header::MaxForwards(h) => drop(h.num()),
            Header::ContentLength(h) => drop(h.length()),
            Header::Expires(h) => drop(h.seconds()),
            _ => {}
        }
    }
    if let rsip::SipMessage::Request(r) = msg {
        let _ = r.uri.to_string();
    }
}

fn check(bytes: &[u8]) {
    match parse(bytes) {
        Ok(msg) => {
            exercise_typed(&msg);
            let _ = parse(msg.to_string().as_bytes());
        }
        Err(err) => {
            if let Some(resp) = error_response(bytes, &err) {
                let code = resp.status_code.code();
                assert!(matches!(code, 400 | 501 | 505), "{code}");
                let _ = resp.to_string();
            }
        }
    }
}

fn frame(rng: &mut Rng, bytes: &[u8]) {
    let mut framer = StreamFramer::new();
    let mut rest = bytes;
    let mut out = 0;
    while !rest.is_empty() {
        let n = 1 + rng.below(rest.len().min(200));
        framer.push(&rest[..n]);
        rest = &rest[n..];
        while let Ok(Some(msg)) = framer.next_message() {
            out += msg.len();
            check(&msg);
        }
    }
    assert!(out <= bytes.len());
}

fn corpus(dir: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(dir);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "dat" || x == "sip"))
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

#[test]
fn mutated_rfc4475_messages_never_panic() {
    let seeds = corpus("fixtures/rfc4475");
    assert_eq!(seeds.len(), 49);
    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    // `SIP_FUZZ_SMOKE_ROUNDS=5000 cargo test …` for a longer local run.
    let rounds = std::env::var("SIP_FUZZ_SMOKE_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(120);
    let mut runs = 0;
    for seed in &seeds {
        for _ in 0..rounds {
            let input = mutate(&mut rng, seed);
            check(&input);
            if runs % 10 == 0 {
                // Several messages back to back, with keep-alives, through the framer.
                let mut stream = b"\r\n\r\n".to_vec();
                stream.extend_from_slice(&input);
                stream.extend_from_slice(seed);
                frame(&mut rng, &stream);
            }
            runs += 1;
        }
    }
    assert!(runs >= 5000);
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(42);
    for _ in 0..2000 {
        let len = rng.below(300);
        let bytes: Vec<u8> = (0..len)
            .map(|_| PIECES[rng.below(PIECES.len())][0].wrapping_add((rng.next() % 3) as u8))
            .collect();
        check(&bytes);
        frame(&mut rng, &bytes);
    }
}

#[test]
fn kept_crashes_stay_fixed() {
    let kept = corpus("fixtures/fuzz/sip");
    assert!(!kept.is_empty());
    for input in kept {
        check(&input);
        frame(&mut Rng(7), &input);
    }
}
