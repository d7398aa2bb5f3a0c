//! The N−1 audio mixer, structured like Asterisk's bridge_softmix: each tick every leg's frame is
//! decoded once; a leg whose frame has energy above a small threshold is a talker; talkers are
//! summed in i32; each talker gets the sum minus its own voice, and every other leg shares the
//! full sum, encoded once per codec. All buffers are allocated when a leg joins, never per tick.
//!
//! The mixing rate is 8 kHz for now ([`SampleRate`] is where 16/48 kHz will go); talker detection
//! is a plain energy threshold (hysteresis and a real VAD are a later issue).

use crate::g711::Law;

/// The rate the mixer runs at (it will follow the widest codec present).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SampleRate {
    /// Narrowband, G.711.
    Hz8000,
}

impl SampleRate {
    /// Samples per second.
    pub fn hz(self) -> u32 {
        match self {
            SampleRate::Hz8000 => 8000,
        }
    }

    /// Samples in one 20 ms frame.
    pub fn frame_samples(self) -> usize {
        self.hz() as usize / 50
    }
}

/// Mean square energy (per sample) above which a frame counts as talking: an RMS of 100,
/// about −50 dBFS, above the noise floor of quiet phones and below any speech.
pub const TALK_ENERGY: i64 = 100 * 100;

/// Number of G.711 laws, for the per-codec shared mix.
const LAWS: usize = 2;

fn law_index(law: Law) -> usize {
    match law {
        Law::Ulaw => 0,
        Law::Alaw => 1,
    }
}

/// One leg's buffers in the mixer, owned by the leg so they move with it between engines.
#[derive(Debug, Clone)]
pub struct MixChannel {
    law: Law,
    /// This tick's decoded frame. When a frame is missing it still holds the previous one,
    /// which is what concealment repeats (so no second buffer and no copy per tick).
    input: Vec<i16>,
    /// Consecutive missing frames.
    missing: u32,
    /// The leg's own N−1 mix, encoded, when it is a talker.
    own: Vec<u8>,
    /// Whether this tick's frame is above [`TALK_ENERGY`].
    talker: bool,
}

impl MixChannel {
    /// Buffers for a leg sending and receiving `law` at `rate`.
    pub fn new(law: Law, rate: SampleRate) -> Self {
        let n = rate.frame_samples();
        Self {
            law,
            input: vec![0; n],
            missing: 0,
            own: vec![law.silence(); n],
            talker: false,
        }
    }

    /// The leg's codec.
    pub fn law(&self) -> Law {
        self.law
    }

    /// Whether this tick's frame counted as talking.
    pub fn is_talker(&self) -> bool {
        self.talker
    }

    /// Consecutive ticks without a received frame (0 when this tick's frame was received).
    pub fn missing(&self) -> u32 {
        self.missing
    }

    /// This tick's decoded frame.
    pub fn input(&self) -> &[i16] {
        &self.input
    }

    /// Loads this tick's encoded frame; bytes beyond `codes` are silence.
    pub fn load(&mut self, codes: &[u8]) {
        let n = self.law.decode(codes, &mut self.input);
        self.input[n..].fill(0);
        self.missing = 0;
    }

    /// No frame this tick: repeat the last one fading out to zero, once; then silence.
    pub fn conceal(&mut self) {
        self.missing = self.missing.saturating_add(1);
        if self.missing == 1 {
            let n = self.input.len().max(1) as i32;
            for (i, s) in self.input.iter_mut().enumerate() {
                *s = (i32::from(*s) * (n - i as i32) / n) as i16;
            }
        } else {
            self.input.fill(0);
        }
    }
}

/// The per-engine mixing state: the i32 sum and the shared encoded mixes.
#[derive(Debug, Clone)]
pub struct AudioMixer {
    rate: SampleRate,
    sum: Vec<i32>,
    /// The full mix encoded per law, for every non-talker.
    shared: [Vec<u8>; LAWS],
    /// Whether `shared[law]` has been encoded this tick (encode lazily, once).
    shared_ready: [bool; LAWS],
    talkers: usize,
}

impl AudioMixer {
    /// A mixer at `rate`.
    pub fn new(rate: SampleRate) -> Self {
        let n = rate.frame_samples();
        Self {
            rate,
            sum: vec![0; n],
            shared: [vec![0; n], vec![0; n]],
            shared_ready: [false; LAWS],
            talkers: 0,
        }
    }

    /// The mixing rate.
    pub fn rate(&self) -> SampleRate {
        self.rate
    }

    /// Talkers in the current tick.
    pub fn talkers(&self) -> usize {
        self.talkers
    }

    /// Starts a tick.
    pub fn begin(&mut self) {
        self.sum.fill(0);
        self.shared_ready = [false; LAWS];
        self.talkers = 0;
    }

    /// Adds a leg's loaded (or concealed) frame: decides whether it talks and sums it if so.
    pub fn add(&mut self, ch: &mut MixChannel) {
        let energy: i64 = ch.input.iter().map(|&s| i64::from(s) * i64::from(s)).sum();
        ch.talker = energy > TALK_ENERGY * ch.input.len() as i64;
        if ch.talker {
            self.talkers += 1;
            for (acc, &s) in self.sum.iter_mut().zip(&ch.input) {
                *acc += i32::from(s);
            }
        }
    }

    /// The encoded payload the leg hears this tick: its own N−1 mix if it talks, else the shared
    /// mix of its codec (encoded on first use this tick).
    pub fn payload<'a>(&'a mut self, ch: &'a mut MixChannel) -> &'a [u8] {
        if ch.talker {
            for ((o, &acc), &own) in ch.own.iter_mut().zip(&self.sum).zip(&ch.input) {
                *o = encode_one(ch.law, saturate(acc - i32::from(own)));
            }
            return &ch.own;
        }
        let i = law_index(ch.law);
        if !self.shared_ready[i] {
            for (o, &acc) in self.shared[i].iter_mut().zip(&self.sum) {
                *o = encode_one(ch.law, saturate(acc));
            }
            self.shared_ready[i] = true;
        }
        &self.shared[i]
    }

    /// The encoded payload of a leg hearing a prompt: what [`AudioMixer::payload`] would give it
    /// plus `overlay` (the prompt's frame), summed before encoding. Always the leg's own buffer,
    /// since no other leg hears this prompt.
    pub fn payload_over<'a>(&'a mut self, ch: &'a mut MixChannel, overlay: &[i16]) -> &'a [u8] {
        let own_voice = ch.talker;
        for (i, o) in ch.own.iter_mut().enumerate() {
            let mut v = self.sum[i] + overlay.get(i).copied().map_or(0, i32::from);
            if own_voice {
                v -= i32::from(ch.input[i]);
            }
            *o = encode_one(ch.law, saturate(v));
        }
        &ch.own
    }
}

fn encode_one(law: Law, s: i16) -> u8 {
    match law {
        Law::Ulaw => crate::g711::ulaw_encode(s),
        Law::Alaw => crate::g711::alaw_encode(s),
    }
}

fn saturate(v: i32) -> i16 {
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::g711::{alaw_decode, ulaw_decode, ulaw_encode};

    fn channel(law: Law, level: i16) -> MixChannel {
        let mut ch = MixChannel::new(law, SampleRate::Hz8000);
        let codes: Vec<u8> = (0..160)
            .map(|i| {
                let s = if i % 2 == 0 { level } else { -level };
                match law {
                    Law::Ulaw => ulaw_encode(s),
                    Law::Alaw => crate::g711::alaw_encode(s),
                }
            })
            .collect();
        ch.load(&codes);
        ch
    }

    #[test]
    fn talkers_get_n_minus_1_and_listeners_the_sum() {
        let mut m = AudioMixer::new(SampleRate::Hz8000);
        let mut a = channel(Law::Ulaw, 1000);
        let mut b = channel(Law::Ulaw, 3000);
        let mut quiet = channel(Law::Alaw, 0);
        m.begin();
        for ch in [&mut a, &mut b, &mut quiet] {
            m.add(ch);
        }
        assert_eq!(m.talkers(), 2);
        assert!(!quiet.is_talker());
        // a hears only b, b hears only a, the listener hears both.
        let pa = ulaw_decode(m.payload(&mut a)[0]);
        assert!((2900..=3100).contains(&pa), "{pa}");
        let pb = ulaw_decode(m.payload(&mut b)[0]);
        assert!((950..=1050).contains(&pb), "{pb}");
        let pq = alaw_decode(m.payload(&mut quiet)[0]);
        assert!((3800..=4200).contains(&pq), "{pq}");
    }

    #[test]
    fn sum_saturates() {
        let mut m = AudioMixer::new(SampleRate::Hz8000);
        let mut chans: Vec<_> = (0..4).map(|_| channel(Law::Ulaw, 30000)).collect();
        let mut listener = channel(Law::Ulaw, 0);
        m.begin();
        chans.iter_mut().for_each(|c| m.add(c));
        m.add(&mut listener);
        assert_eq!(m.payload(&mut listener)[0], ulaw_encode(i16::MAX));
        assert_eq!(m.payload(&mut chans[0])[1], ulaw_encode(i16::MIN));
    }

    #[test]
    fn overlay_is_added_to_what_the_leg_hears() {
        let mut m = AudioMixer::new(SampleRate::Hz8000);
        let mut a = channel(Law::Ulaw, 1000);
        let mut b = channel(Law::Ulaw, 3000);
        let mut quiet = channel(Law::Ulaw, 0);
        m.begin();
        for ch in [&mut a, &mut b, &mut quiet] {
            m.add(ch);
        }
        let prompt = [2000i16; 160];
        // The talker a hears b + prompt, the listener hears a + b + prompt.
        let pa = ulaw_decode(m.payload_over(&mut a, &prompt)[0]);
        assert!((4800..=5200).contains(&pa), "{pa}");
        let pq = ulaw_decode(m.payload_over(&mut quiet, &prompt)[0]);
        assert!((5700..=6300).contains(&pq), "{pq}");
        // The others are unaffected.
        let pb = ulaw_decode(m.payload(&mut b)[0]);
        assert!((950..=1050).contains(&pb), "{pb}");
    }

    #[test]
    fn conceal_fades_once_then_silence() {
        let mut ch = channel(Law::Ulaw, 8000);
        ch.conceal();
        assert!(ch.input()[0].abs() > 7000);
        assert!(ch.input()[159].abs() < 200);
        ch.conceal();
        assert!(ch.input().iter().all(|&s| s == 0));
    }
}
