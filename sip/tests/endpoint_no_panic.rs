//! Nothing a peer sends may panic the endpoint (DESIGN "Errors and bad input"): every RFC 4475
//! message and our own call-flow messages, truncated and with bytes flipped, are fed to one
//! long-lived endpoint (so that mutations also hit live transactions and dialogs), and its timers
//! are run to the end.

mod common;

use common::*;
use sip::Transport;

fn corpus() -> Vec<Vec<u8>> {
    let dir = format!("{}/../fixtures/rfc4475", env!("CARGO_MANIFEST_DIR"));
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "dat"))
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    out.push(crlf(&invite_text("z9hG4bKfz1", "fz@phone")));
    out
}

#[test]
fn mutated_messages_never_panic() {
    let t0 = t0();
    let mut ep = bridge();
    let mut now = t0;
    let mut fed = 0u64;
    for msg in corpus() {
        // The original, so that a dialog exists for the mutations of in-dialog requests.
        ep.handle_input(now, &msg, addr(PHONE), Transport::Udp);
        for i in (0..msg.len()).step_by(13) {
            ep.handle_input(now, &msg[..i], addr(PHONE), Transport::Udp);
            for flip in [b'\0', b'\r', b';', b'<', b',', b' ', 0xff] {
                let mut m = msg.clone();
                m[i] = flip;
                ep.handle_input(now, &m, addr(PHONE), Transport::Tcp);
                fed += 1;
            }
            now += ms(1);
        }
        while ep.poll_transmit().is_some() {}
        while let Some(event) = ep.poll_event() {
            // Answer whatever came in, to exercise accept on odd requests too.
            if let sip::Event::IncomingCall { call, .. } = event {
                ep.accept(now, call, SDP_ANSWER.into());
            }
        }
    }
    while let Some(at) = ep.poll_timeout() {
        ep.handle_timeout(at);
        while ep.poll_transmit().is_some() {}
        while ep.poll_event().is_some() {}
    }
    assert!(fed > 500);
    assert_eq!(ep.call_count(), 0, "every call ended by its timers");
}
