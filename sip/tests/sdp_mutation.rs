//! A stable stand-in for the `sdp` fuzz target (cargo-fuzz is not installed here): the sample
//! bodies mutated by a small deterministic PRNG, some thousands of times. Nothing may panic; what
//! parses must print and parse back to itself; what answers must print SDP that parses, with and
//! without video.
//! Inputs that once broke an invariant are kept in `regressions`.

mod sdp_samples;

use sip::sdp::{
    answer, answer_av, negotiate_answer, negotiate_answer_av, offer, LocalMedia, LocalVideo,
    SessionDescription,
};

/// xorshift64*: deterministic, so a failure names its iteration and can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Bytes that matter to the grammar, so mutations hit separators more often than chance would.
const INTERESTING: &[u8] = b"\r\n =:/ 0123456789-.amcvotbsk\x00\xff\xc3\t";

fn mutate(rng: &mut Rng, body: &mut Vec<u8>, donor: &[u8]) {
    match rng.below(7) {
        0 if !body.is_empty() => {
            let i = rng.below(body.len());
            body[i] ^= 1 << rng.below(8);
        }
        1 => {
            let i = rng.below(body.len() + 1);
            body.insert(i, INTERESTING[rng.below(INTERESTING.len())]);
        }
        2 if !body.is_empty() => {
            let start = rng.below(body.len());
            let end = (start + 1 + rng.below(16)).min(body.len());
            body.drain(start..end);
        }
        3 if !body.is_empty() => {
            let i = rng.below(body.len());
            body[i] = INTERESTING[rng.below(INTERESTING.len())];
        }
        4 if !donor.is_empty() => {
            // Splice a piece of another sample in (whole lines move between sections this way).
            let start = rng.below(donor.len());
            let end = (start + 1 + rng.below(64)).min(donor.len());
            let at = rng.below(body.len() + 1);
            body.splice(at..at, donor[start..end].iter().copied());
        }
        5 => {
            // A long run of digits: overflows of port, payload type, ptime, bandwidth.
            let at = rng.below(body.len() + 1);
            let digits = b"99999999999999999999999";
            body.splice(
                at..at,
                digits[..1 + rng.below(digits.len() - 1)].iter().copied(),
            );
        }
        _ if !body.is_empty() => {
            // Duplicate a slice in place.
            let start = rng.below(body.len());
            let end = (start + 1 + rng.below(48)).min(body.len());
            let piece = body[start..end].to_vec();
            body.splice(end..end, piece);
        }
        _ => {}
    }
}

/// Every invariant the fuzz target checks, plus offer/answer.
fn check(bytes: &[u8]) {
    let Ok(sdp) = SessionDescription::parse(bytes) else {
        return;
    };
    let printed = sdp.to_bytes();
    let again = SessionDescription::parse(&printed).expect("printed SDP parses");
    assert_eq!(
        again,
        sdp,
        "reparse differs for {:?}",
        String::from_utf8_lossy(bytes)
    );
    let local = sdp_samples::local();
    if let Ok((ours, _)) = answer(&sdp, &local) {
        let reparsed = SessionDescription::parse(&ours.to_bytes()).expect("answer parses");
        assert_eq!(reparsed, ours);
    }
    // The same body read as a peer's answer to our offer must not panic either.
    let _ = negotiate_answer(&offer(&local), &sdp);

    // And all of it again with video on.
    let local = LocalMedia {
        video: Some(LocalVideo {
            port: 50_000,
            max_level_idc: 0x1f,
            max_recv_bitrate_bps: 2_000_000,
        }),
        ..local
    };
    if let Ok((ours, _, video)) = answer_av(&sdp, &local) {
        let reparsed = SessionDescription::parse(&ours.to_bytes()).expect("answer parses");
        assert_eq!(reparsed, ours);
        assert_eq!(ours.media.len(), sdp.media.len());
        let accepted = ours
            .media
            .iter()
            .filter(|m| m.is_video() && m.port != 0)
            .count();
        assert_eq!(accepted, usize::from(video.is_some()));
    }
    let _ = negotiate_answer_av(&offer(&local), &sdp);
}

#[test]
fn sdp_mutated_samples_never_panic() {
    let samples: Vec<Vec<u8>> = sdp_samples::ALL
        .iter()
        .map(|s| sdp_samples::crlf(s))
        .collect();
    let mut rng = Rng(0x0005_eed0_f5d9);
    let mut parsed = 0;
    for iteration in 0..6000 {
        let base = rng.below(samples.len());
        let donor = &samples[rng.below(samples.len())];
        let mut body = samples[base].clone();
        for _ in 0..1 + rng.below(8) {
            mutate(&mut rng, &mut body, donor);
        }
        let result = std::panic::catch_unwind(|| check(&body));
        assert!(
            result.is_ok(),
            "iteration {iteration}: {:?}",
            String::from_utf8_lossy(&body)
        );
        parsed += usize::from(SessionDescription::parse(&body).is_ok());
    }
    // The mutations must leave enough bodies valid to exercise printing and answering too.
    assert!(parsed > 600, "only {parsed} mutated bodies parsed");
}

#[test]
fn sdp_regressions() {
    // Inputs found by the mutation test or written for edge cases; each once broke an invariant
    // or is a boundary the parser must hold.
    let cases: &[&[u8]] = &[
        b"v=0\no=- 1 1 IN IP4 x\ns= \n",
        b"v=0\no=- 1 1 IN IP4 x\na=fmtp:0  \n",
        b"v=0\ro=- 1 1 IN IP4 x\rm=audio 0 RTP/AVP 0\ra=rtpmap:0 PCMU/8000/1\r",
        b"v=0\no=- 1 1 IN IP4 x\nm=audio 1 RTP/AVP 127\nc=IN IP4 0.0.0.0/127/3\n",
        b"v=0\no=\xff \xff 1 1 IN IP4 x\n",
        b"v=0\no=- 1 1 IN IP4 x\na=rtpmap:0 \xc3/1\n",
    ];
    for case in cases {
        check(case);
    }
}
