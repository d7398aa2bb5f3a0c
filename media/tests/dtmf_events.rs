//! RFC 4733 digits through the engine: one event per digit despite updates and three end-bit
//! retransmissions; an event whose end never comes is ended by the next event or by a stall.

mod support;

use std::time::Duration;

use media::{AudioCodec, ConferenceEngine, LegId, MediaEvent};
use support::*;

fn event(seq: u16, ts: u32, digit: u8, end: bool, duration: u16) -> Vec<u8> {
    let flags = if end { 0x80 | 10 } else { 10 };
    let [d0, d1] = duration.to_be_bytes();
    packet(
        TE_PT,
        0x5555,
        seq,
        ts,
        !end && duration == 160,
        &[digit, flags, d0, d1],
    )
}

fn digits(engine: &mut ConferenceEngine) -> String {
    let mut s = String::new();
    while let Some(ev) = engine.poll_event() {
        if let MediaEvent::Dtmf { leg, digit } = ev {
            assert_eq!(leg, LegId(1));
            s.push(digit);
        }
    }
    s
}

/// A phone sending one telephone-event packet per tick.
struct Phone {
    engine: ConferenceEngine,
    seq: u16,
    now: std::time::Instant,
}

impl Phone {
    fn send(&mut self, ts: u32, digit: u8, end: bool, duration: u16) {
        let p = event(self.seq, ts, digit, end, duration);
        self.engine.handle_rtp(self.now, LegId(1), &p);
        self.seq += 1;
        self.now += TICK;
        self.engine.tick(self.now);
        while self.engine.poll_transmit().is_some() {}
    }

    fn digits(&mut self) -> String {
        digits(&mut self.engine)
    }
}

#[test]
fn digits_once_each() {
    let t0 = t0();
    let mut engine = ConferenceEngine::new();
    engine.add_leg(t0, LegId(1), config(AudioCodec::Pcmu, 1));
    let mut phone = Phone {
        engine,
        seq: 0,
        now: t0,
    };
    // '5': three updates, then the end three times.
    for d in [160, 320, 480] {
        phone.send(8000, 5, false, d);
    }
    for _ in 0..3 {
        phone.send(8000, 5, true, 640);
    }
    assert_eq!(phone.digits(), "5");
    // '#' without an end packet, then '1' (new timestamp) ends it; '1' ends normally.
    for d in [160, 320] {
        phone.send(16000, 11, false, d);
    }
    assert_eq!(phone.digits(), "");
    phone.send(24000, 1, false, 160);
    assert_eq!(phone.digits(), "#");
    for _ in 0..3 {
        phone.send(24000, 1, true, 320);
    }
    assert_eq!(phone.digits(), "1");
    // '*' whose updates stop: ended by the stall timeout at a later tick.
    phone.send(32000, 10, false, 160);
    let now = phone.now;
    phone.engine.tick(now + Duration::from_millis(100));
    assert_eq!(phone.digits(), "");
    phone.engine.tick(now + Duration::from_millis(300));
    assert_eq!(phone.digits(), "*");
    // Its late end packets are not a second '*'.
    phone.now = now + Duration::from_millis(320);
    phone.send(32000, 10, true, 800);
    assert_eq!(phone.digits(), "");
    let s = phone.engine.leg_stats(LegId(1)).expect("leg");
    assert_eq!(s.dtmf_digits, 4);
    // Telephone-event sequence numbers are not audio losses.
    assert_eq!(s.jitter.lost, 0);
}

#[test]
fn short_event_payload_is_malformed() {
    let t0 = t0();
    let mut engine = ConferenceEngine::new();
    engine.add_leg(t0, LegId(1), config(AudioCodec::Pcmu, 1));
    engine.handle_rtp(t0, LegId(1), &packet(TE_PT, 1, 1, 1, false, &[5, 0x80]));
    assert_eq!(engine.stats().rtp_malformed, 1);
    assert_eq!(engine.poll_event(), None);
}
