//! Property tests: random sequences of inserts (any SSRC, sequence, timestamp, marker, length,
//! duration), skips and pops, in both framings, never panic, and the counters add up: every
//! insert is counted once (stored + duplicate + late + oversized), every pop once (played +
//! concealed + stretched + waiting); what a pop reports fits its buffer; the target stays within
//! `[min_delay, max_delay]`.

use std::time::{Duration, Instant};

use media::jitter::{Arrival, Insert, JitterBuffer, JitterConfig, PacketPop, Pop};
use media::{SeqNo, Ssrc};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    /// Advance the clock by this many ms, then insert.
    Insert {
        dt: u16,
        ssrc: bool,
        dseq: i16,
        dts: i32,
        marker: bool,
        len: u16,
        duration: u16,
    },
    Skip {
        dseq: i16,
    },
    /// Advance the clock by this many ms, then pop.
    Pop {
        dt: u16,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (
            0u16..60,
            any::<bool>(),
            prop_oneof![3 => -3i16..5, 1 => any::<i16>()],
            prop_oneof![3 => -400i32..1200, 1 => any::<i32>()],
            any::<bool>(),
            0u16..1600,
            0u16..3000,
        )
            .prop_map(|(dt, ssrc, dseq, dts, marker, len, duration)| Op::Insert {
                dt,
                ssrc,
                dseq,
                dts,
                marker,
                len,
                duration,
            }),
        1 => (-3i16..5).prop_map(|dseq| Op::Skip { dseq }),
        4 => (0u16..45).prop_map(|dt| Op::Pop { dt }),
    ]
}

#[allow(clippy::disallowed_methods)]
fn t0() -> Instant {
    Instant::now()
}

fn run(config: JitterConfig, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut jb = JitterBuffer::with_config(config);
    let mut now = t0();
    let (mut seq, mut ts) = (SeqNo(65500), 4_294_960_000u32);
    let (mut inserts, mut pops) = (0u64, 0u64);
    let payload = vec![0xA5u8; 1600];
    let mut out = vec![0u8; config.max_payload];
    let frame = config.frame_units as usize;
    for op in ops {
        match *op {
            Op::Insert {
                dt,
                ssrc,
                dseq,
                dts,
                marker,
                len,
                duration,
            } => {
                now += Duration::from_millis(u64::from(dt));
                seq = SeqNo(seq.0.wrapping_add(dseq as u16));
                ts = ts.wrapping_add(dts as u32);
                let a = Arrival {
                    ssrc: Ssrc(if ssrc { 1 } else { 2 }),
                    seq,
                    ts,
                    marker,
                    payload: &payload[..usize::from(len)],
                    duration: u32::from(duration),
                };
                let r = jb.offer(now, &a);
                if len == 0 || usize::from(len) > config.max_payload {
                    prop_assert_eq!(r, Insert::Oversized);
                }
                inserts += 1;
            }
            Op::Skip { dseq } => jb.skip(Ssrc(1), SeqNo(seq.0.wrapping_add(dseq as u16))),
            Op::Pop { dt } => {
                now += Duration::from_millis(u64::from(dt));
                pops += 1;
                match config.framing {
                    media::jitter::Framing::Bytes => {
                        if let Pop::Frame(n) = jb.pop(now, &mut out) {
                            prop_assert!(n >= 1 && n <= frame);
                        }
                    }
                    media::jitter::Framing::Packets => match jb.pop_packet(now, &mut out) {
                        PacketPop::Packet { len, duration } => {
                            prop_assert!(len >= 1 && len <= out.len());
                            prop_assert!(duration >= 1);
                        }
                        PacketPop::Lost { duration, next } => {
                            prop_assert!(duration >= 1);
                            prop_assert!(next.is_none_or(|n| n >= 1 && n <= out.len()));
                        }
                        PacketPop::Missing => {}
                    },
                }
            }
        }
        let s = jb.stats();
        prop_assert_eq!(
            inserts,
            s.stored + s.duplicate + s.late + s.oversized,
            "{:?}",
            s
        );
        prop_assert_eq!(
            pops,
            s.played + s.concealed + s.stretched + s.waiting,
            "{:?}",
            s
        );
        prop_assert!(jb.target_delay() >= config.min_delay);
        prop_assert!(jb.target_delay() <= config.max_delay);
        prop_assert!(jb.current_delay() <= Duration::from_secs(3600));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn bytes_mode_never_panics_and_counts_add_up(ops in prop::collection::vec(op(), 1..300)) {
        run(JitterConfig::g711(), &ops)?;
    }

    #[test]
    fn packets_mode_never_panics_and_counts_add_up(ops in prop::collection::vec(op(), 1..300)) {
        run(JitterConfig::opus(), &ops)?;
    }

    #[test]
    fn odd_configs_never_panic(
        ops in prop::collection::vec(op(), 1..200),
        frame in 0u32..2000,
        max_payload in 0usize..700,
        min_ms in 0u64..300,
        max_ms in 0u64..300,
    ) {
        let config = JitterConfig {
            frame_units: frame,
            max_payload,
            min_delay: Duration::from_millis(min_ms),
            max_delay: Duration::from_millis(max_ms),
            ..JitterConfig::g711()
        };
        let jb = JitterBuffer::with_config(config);
        run(*jb.config(), &ops)?;
    }
}
