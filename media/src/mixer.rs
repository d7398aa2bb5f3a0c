//! The N−1 audio mixer, structured like Asterisk's bridge_softmix: each tick every leg's frame is
//! decoded once; a leg that talks (see below) is summed in i32 at the mixing rate; each talker
//! gets the sum minus its own voice, encoded with its own encoder, and every other leg shares the
//! full sum, converted to its codec's rate and encoded **once per encoded stream** (codec and, for
//! Opus, the receiver's parameters: an [`EncoderKey`]). All buffers are allocated when a leg joins
//! or the mixing rate changes, never per tick.
//!
//! # Rates
//! The mixing rate follows the widest codec present: 8 kHz with only G.711, 16 kHz with G.722,
//! 48 kHz with Opus ([`SampleRate::widest`]). A leg whose codec runs slower is converted up (only
//! while it talks: a silent leg is not in the sum) and its mix converted back down with the
//! polyphase [`Resampler`]s it owns; the shared mixes have one down-converter per stream.
//!
//! # Who is in the mix
//! A leg is summed when its frame is above [`TALK_ENERGY`] (about −50 dBFS: a noise gate that
//! keeps phones' background hiss out of everyone's ears) **or** its [`TalkDetector`] says it is
//! talking (so the quiet ends of words and the pauses inside a talkspurt are not chopped).
//!
//! # Forwarding a lone voice
//! When what a leg hears is exactly one other leg's voice — the listeners while one person
//! talks, or each of two talkers hearing the other — and that leg's frame this tick was one whole
//! 20 ms packet of the same codec that decoded cleanly, the leg is sent that packet's payload as
//! it came (under its own SSRC, sequence numbers and timestamps) instead of a re-encoding of the
//! decoded frame. Nothing else is in such a mix (silent legs are not summed, and the sum has no
//! gain), so the listener hears the same voice, minus one generation of coding; and the encode,
//! which is most of an Opus conference's cost, is not done. A conference of ten with two talkers
//! then encodes one Opus frame per tick (the listeners' shared mix of both voices) instead of
//! three, and with one talker none. Not forwarded: a payload over the receiver's Opus
//! `maxaveragebitrate`, a receiver asking for `cbr=1`, a concealed or FEC-recovered frame, a
//! packet that is not exactly 20 ms, a leg hearing a prompt.
//!
//! # Silent Opus packets
//! An Opus packet whose SILK voice-activity flags are all 0 (its sender's encoder heard no
//! voice; [`crate::opus::voice_activity`]) is taken as silence without decoding while its leg is
//! out of the mix and its talk detector idle: nobody would hear it, and a silent caller whose
//! client does not use DTX sends 50 of them a second. The next packet decoded starts a fresh
//! decoder state. The flag means "no voice", not "quiet": an encoder gets used to a steady tone
//! or hum and flags it inactive, so one such packet in ten is decoded anyway, and a loud one
//! brings the leg back into the mix through the level gate.
//!
//! # Stream switches
//! A leg that starts or stops talking changes from the shared stream to its own (or back), and a
//! listener changes between a forwarded voice and the encoded mix as the number of talkers
//! changes. An encoder that did not run in the previous tick is reset before it runs again, so
//! it never starts from seconds-old audio (its look-ahead, its prediction, its FEC copy). For
//! G.711 the bytes are stateless; for G.722 and Opus the receiver's decoder sees a stream from
//! another encoder state for a moment — the same trade ConfBridge makes, since a per-listener encoder for every silent
//! listener is the cost the shared mix exists to avoid.

use crate::codec::{AudioCodec, Decoder, Encoder, EncoderKey};
use crate::resampler::Resampler;
use crate::talk::{mean_square, TalkDetector};

/// A rate the mixer runs at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SampleRate {
    /// Narrowband: only G.711 legs.
    Hz8000,
    /// Wideband: G.722 is present.
    Hz16000,
    /// Fullband: Opus is present.
    Hz48000,
}

impl SampleRate {
    /// Samples per second.
    pub fn hz(self) -> u32 {
        match self {
            SampleRate::Hz8000 => 8000,
            SampleRate::Hz16000 => 16_000,
            SampleRate::Hz48000 => 48_000,
        }
    }

    /// Samples in one 20 ms frame.
    pub fn frame_samples(self) -> usize {
        self.hz() as usize / 50
    }

    /// The rate a codec's PCM runs at.
    pub fn of(codec: AudioCodec) -> SampleRate {
        match codec.sample_rate() {
            8000 => SampleRate::Hz8000,
            16_000 => SampleRate::Hz16000,
            _ => SampleRate::Hz48000,
        }
    }

    /// The mixing rate for these codecs: the widest (8 kHz when there are none).
    pub fn widest(codecs: impl IntoIterator<Item = AudioCodec>) -> SampleRate {
        codecs
            .into_iter()
            .map(SampleRate::of)
            .max()
            .unwrap_or(SampleRate::Hz8000)
    }
}

/// Mean square energy (per sample) above which a frame is mixed even before the talk detector
/// has decided: an RMS of 100, about −50 dBFS, above the noise floor of quiet phones and below
/// any speech.
pub const TALK_ENERGY: u64 = 100 * 100;

/// A leg whose packets are flagged silent still has one in this many decoded (every 200 ms),
/// so that loud sound its sender's encoder does not call voice (a steady tone, hum) reaches the
/// level gate.
const PROBE_EVERY: u32 = 10;

/// Frames of codec concealment (Opus PLC) before a starved leg is simply silent: libopus has
/// faded out by then, and running it on for a leg that stopped sending would only cost CPU.
const PLC_FRAMES: u32 = 5;

/// A resampler between two rates, or `None` when they are equal.
fn converter(from: u32, to: u32) -> Option<Resampler> {
    if from == to {
        return None;
    }
    // Every pair of 8/16/48 kHz is supported; should one ever not be, fall back to no
    // conversion (`convert` then zero-fills) rather than failing a call.
    Resampler::new(from, to).ok()
}

/// Converts one frame with `conv`, or copies it when the rates are equal (`out` is the target
/// frame; a length mismatch without converter zero-fills the rest).
fn convert(conv: &mut Option<Resampler>, input: &[i16], out: &mut [i16]) {
    match conv {
        Some(r) => r.process(input, out),
        None => {
            let n = input.len().min(out.len());
            out[..n].copy_from_slice(&input[..n]);
            out[n..].fill(0);
        }
    }
}

/// One leg's codec and mixing buffers, owned by the leg so they move with it between engines.
#[derive(Debug)]
pub struct MixChannel {
    key: EncoderKey,
    pub(crate) decoder: Decoder,
    encoder: Encoder,
    /// Index of the leg's shared stream in its mixer (set by [`AudioMixer::register`]).
    shared: usize,
    /// The mixing rate the converters and buffers below are set up for.
    mix_rate: Option<SampleRate>,
    /// The Opus complexity the own encoder was set to.
    complexity: Option<u8>,
    /// Decoded samples not yet played (the rest of an Opus packet longer than 20 ms).
    pub(crate) fifo: Vec<i16>,
    /// This tick's frame at the codec's rate. When a frame is missing it still holds the
    /// previous one, which is what concealment repeats.
    native: Vec<i16>,
    /// This tick's frame at the mixing rate (computed only when the leg is in the sum).
    at_mix_rate: Vec<i16>,
    up: Option<Resampler>,
    down: Option<Resampler>,
    /// Prompts are 8 kHz clips: converted to the codec's rate.
    prompt_up: Option<Resampler>,
    overlay: Vec<i16>,
    /// In-band DTMF runs at 8 kHz: the frame converted down, while detection is on.
    to_narrow: Option<Resampler>,
    narrow: Vec<i16>,
    /// The leg's own mix at the mixing rate and at the codec's rate.
    own_mix: Vec<i16>,
    own_native: Vec<i16>,
    /// The leg's own N−1 mix, encoded, when it is a talker or hears a prompt.
    own: Vec<u8>,
    /// Consecutive missing frames.
    missing: u32,
    /// This tick's mean square.
    level: u64,
    /// Whether this tick's frame is in the sum, and whether the previous one was.
    talker: bool,
    was_talker: bool,
    detector: TalkDetector,
    decode_errors: u64,
    /// This tick's received payload, when it was one whole 20 ms frame that decoded cleanly
    /// (`pass_ok`): what a leg of the same codec can be sent as is.
    pass: Vec<u8>,
    pass_ok: bool,
    /// The mixer's talker slot holding this tick's frame (the first two talkers have one).
    slot: Option<usize>,
    /// Packets this leg was sent as another leg's payload, unchanged.
    forwarded: u64,
    /// Opus packets not decoded because they were flagged silent while the leg was not
    /// talking; and whether the decoder must forget its past before the next decode.
    skipped: u64,
    stale: bool,
    /// Packets flagged silent skipped in a row (every [`PROBE_EVERY`]th is decoded anyway).
    skip_run: u32,
    /// The mixer tick the own encoder last ran in.
    own_tick: u64,
}

impl MixChannel {
    /// Buffers for a leg sending and receiving `codec` (with the peer's `fmtp`) in a mixer at
    /// `rate`.
    pub fn new(codec: AudioCodec, fmtp: Option<&str>, rate: SampleRate) -> Self {
        let key = EncoderKey::new(codec, fmtp);
        let n = codec.frame_samples();
        let mut ch = Self {
            decoder: Decoder::new(codec),
            encoder: Encoder::new(&key),
            key,
            shared: usize::MAX,
            mix_rate: None,
            complexity: None,
            // Up to 120 ms of Opus plus one frame.
            fifo: Vec::with_capacity(if codec.byte_framed() { 0 } else { 5760 + n }),
            native: vec![0; n],
            at_mix_rate: Vec::new(),
            up: None,
            down: None,
            prompt_up: converter(8000, codec.sample_rate()),
            overlay: vec![0; n],
            to_narrow: None,
            narrow: Vec::new(),
            own_mix: Vec::new(),
            own_native: vec![0; n],
            own: Vec::with_capacity(1500),
            missing: 0,
            level: 0,
            talker: false,
            was_talker: false,
            detector: TalkDetector::new(),
            decode_errors: 0,
            pass: Vec::with_capacity(crate::leg::MAX_PAYLOAD),
            pass_ok: false,
            slot: None,
            forwarded: 0,
            skipped: 0,
            stale: false,
            skip_run: 0,
            own_tick: 0,
        };
        ch.set_mix_rate(rate);
        ch
    }

    /// Follows a change of the mixing rate (allocates when it changes; a leg moving between
    /// engines at the same rate keeps everything).
    pub(crate) fn set_mix_rate(&mut self, rate: SampleRate) {
        if self.mix_rate == Some(rate) {
            return;
        }
        self.mix_rate = Some(rate);
        let own = self.codec().sample_rate();
        self.up = converter(own, rate.hz());
        self.down = converter(rate.hz(), own);
        self.at_mix_rate = vec![0; rate.frame_samples()];
        self.own_mix = vec![0; rate.frame_samples()];
    }

    /// The leg's codec.
    pub fn codec(&self) -> AudioCodec {
        self.key.codec
    }

    /// Which encoded stream the leg can share.
    pub fn key(&self) -> &EncoderKey {
        &self.key
    }

    /// Whether this tick's frame is in the mix.
    pub fn is_talker(&self) -> bool {
        self.talker
    }

    /// Whether the talk detector says the leg is talking.
    pub fn is_talking(&self) -> bool {
        self.detector.is_talking()
    }

    /// Consecutive ticks without a received frame (0 when this tick's frame was received).
    pub fn missing(&self) -> u32 {
        self.missing
    }

    /// Payloads the decoder refused (concealed instead).
    pub fn decode_errors(&self) -> u64 {
        self.decode_errors
    }

    /// Packets this leg was sent as another leg's payload, unchanged (see "Forwarding a lone
    /// voice").
    pub fn forwarded(&self) -> u64 {
        self.forwarded
    }

    /// Opus packets not decoded because their sender's encoder flagged them silent while the leg
    /// was not talking (see "Silent Opus packets").
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Takes an Opus packet as silence without decoding it, when the leg is out of the mix and
    /// its talk detector idle (so nobody would hear it) and the sender's encoder flagged every
    /// SILK frame of it inactive ([`crate::opus::voice_activity`]). A silent caller whose
    /// client does not use DTX still sends 50 packets a second; decoding them was most of an
    /// Opus conference's decoding. The flag is trustworthy: a frame flagged inactive is also
    /// coded as one (RFC 6716 §4.2.7.3: its frame type can only be the inactive signal type, no
    /// voicing, no pitch), so an encoder that flagged speech so would garble it. The next packet decoded starts a fresh decoder state (the
    /// skipped ones are its missing past). Returns whether the packet was taken.
    pub(crate) fn skip_silent_packet(&mut self, packet: &[u8]) -> bool {
        if self.talker || self.detector.is_talking() || !self.decoder.has_plc() {
            return false;
        }
        if crate::opus::voice_activity(packet) != Some(false) {
            return false;
        }
        if self.skip_run >= PROBE_EVERY {
            // Decoded anyway now and then: the flag says "no voice", not "quiet" (an encoder
            // gets used to a steady tone or hum), and the level gate must see loud sound.
            return false;
        }
        let Ok(samples) = crate::opus::packet_samples(packet) else {
            return false;
        };
        self.skip_run += 1;
        let n = self.fifo.len() + samples;
        self.fifo.resize(n, 0);
        self.pass_ok = false;
        self.stale = true;
        self.skipped += 1;
        true
    }

    /// Takes over the counters of the channel this one replaces (a re-INVITE changing the
    /// codec), so that the leg's totals never go down.
    pub(crate) fn keep_counters_of(&mut self, old: &MixChannel) {
        self.decode_errors += old.decode_errors;
        self.forwarded += old.forwarded;
        self.skipped += old.skipped;
    }

    /// Starts a tick's frame: nothing received yet, so nothing to forward.
    pub(crate) fn begin_frame(&mut self) {
        self.pass_ok = false;
    }

    /// Keeps this tick's payload for forwarding.
    fn keep_payload(&mut self, payload: &[u8]) {
        self.pass.clear();
        self.pass.extend_from_slice(payload);
        self.pass_ok = true;
    }

    /// This tick's decoded frame at the codec's rate.
    pub fn input(&self) -> &[i16] {
        &self.native
    }

    /// This tick's frame at 8 kHz, for the in-band DTMF detector; call it every tick while
    /// detection is on (the converter keeps its history).
    pub(crate) fn narrow_input(&mut self) -> &[i16] {
        if self.codec().sample_rate() == 8000 {
            return &self.native;
        }
        if self.to_narrow.is_none() {
            self.to_narrow = converter(self.codec().sample_rate(), 8000);
            self.narrow = vec![0; 160];
        }
        convert(&mut self.to_narrow, &self.native, &mut self.narrow);
        &self.narrow
    }

    /// Loads this tick's payload of a byte-framed codec (G.711, G.722): `payload` holds one
    /// frame's worth of bytes or fewer (the rest of the frame is silence).
    pub fn load(&mut self, payload: &[u8]) {
        let n = self.native.len();
        self.native.clear();
        if self.decoder.decode(payload, &mut self.native).is_err() {
            self.decode_errors += 1;
            self.pass_ok = false;
        } else if payload.len() == self.codec().frame_units() as usize {
            // One byte per timestamp unit: a whole 20 ms frame.
            self.keep_payload(payload);
        } else {
            self.pass_ok = false;
        }
        self.native.resize(n, 0);
        self.missing = 0;
    }

    /// Decodes a whole packet (Opus) into the FIFO; a packet the decoder refuses becomes one
    /// frame of concealment.
    pub(crate) fn decode_packet(&mut self, packet: &[u8]) {
        self.forget_if_stale();
        self.skip_run = 0;
        let fresh = self.fifo.is_empty();
        if self.decoder.decode(packet, &mut self.fifo).is_err() {
            self.decode_errors += 1;
            self.pass_ok = false;
            if self.decoder.conceal(&mut self.fifo).is_err() {
                let n = self.fifo.len() + self.native.len();
                self.fifo.resize(n, 0);
            }
        } else if fresh && self.fifo.len() == self.native.len() {
            // Exactly this tick's frame, from this packet alone.
            self.keep_payload(packet);
        } else {
            self.pass_ok = false;
        }
    }

    /// A packet was lost: recovers it from `next`'s in-band FEC when given, else conceals.
    pub(crate) fn recover_packet(&mut self, next: Option<&[u8]>) {
        self.pass_ok = false;
        // After skipped packets the decoder's past is old speech: concealment would replay it.
        self.forget_if_stale();
        let ok = match next {
            Some(next) => self.decoder.decode_fec(next, &mut self.fifo).is_ok(),
            None => self.decoder.conceal(&mut self.fifo).is_ok(),
        };
        if !ok {
            let n = self.fifo.len() + self.native.len();
            self.fifo.resize(n, 0);
        }
    }

    /// Resets the decoder when packets were skipped since it last ran (see
    /// [`MixChannel::skip_silent_packet`]).
    fn forget_if_stale(&mut self) {
        if self.stale {
            self.decoder.reset();
            self.stale = false;
        }
    }

    /// Whether the FIFO holds a whole frame.
    pub(crate) fn fifo_ready(&self) -> bool {
        self.fifo.len() >= self.native.len()
    }

    /// Takes this tick's frame from the FIFO (after [`MixChannel::fifo_ready`]).
    pub(crate) fn load_from_fifo(&mut self) {
        let n = self.native.len();
        self.native.copy_from_slice(&self.fifo[..n]);
        self.fifo.drain(..n);
        self.missing = 0;
    }

    /// No frame this tick: the codec's concealment for a few frames if it has one (Opus PLC),
    /// else the last frame repeated once fading out to zero; then silence. A leg that was not in
    /// the mix (silent: a caller in DTX sends nothing while it is quiet) is simply silent — its
    /// concealment would not be heard, and skipping it is what makes DTX callers cheap.
    pub fn conceal(&mut self) {
        self.pass_ok = false;
        self.missing = self.missing.saturating_add(1);
        if self.decoder.has_plc() {
            if self.missing <= PLC_FRAMES && self.talker {
                let n = self.native.len();
                self.native.clear();
                if self.decoder.conceal(&mut self.native).is_err() {
                    self.native.clear();
                }
                self.native.resize(n, 0);
            } else {
                self.native.fill(0);
            }
        } else if self.missing == 1 {
            let n = self.native.len().max(1) as i32;
            for (i, s) in self.native.iter_mut().enumerate() {
                *s = (i32::from(*s) * (n - i as i32) / n) as i16;
            }
        } else {
            self.native.fill(0);
        }
    }

    /// No frame this tick and none expected (the peer sent comfort noise): silence, no
    /// concealment.
    pub(crate) fn silence(&mut self) {
        self.pass_ok = false;
        self.missing = self.missing.saturating_add(1);
        self.fifo.clear();
        self.native.fill(0);
    }
}

/// One shared encoded stream: the full mix converted to a codec's rate and encoded once per tick
/// for every listener with that [`EncoderKey`].
#[derive(Debug)]
struct Shared {
    key: EncoderKey,
    down: Option<Resampler>,
    pcm: Vec<i16>,
    encoder: Encoder,
    bytes: Vec<u8>,
    /// Whether `bytes` is this tick's.
    ready: bool,
    /// Whether `bytes` holds a payload (the encoder may fail).
    ok: bool,
    /// The mixer tick it last encoded in.
    last_tick: u64,
}

impl Shared {
    fn new(key: &EncoderKey, rate: SampleRate, complexity: u8) -> Self {
        let own = key.codec.sample_rate();
        let mut encoder = Encoder::new(key);
        encoder.set_complexity(complexity);
        Self {
            key: key.clone(),
            down: converter(rate.hz(), own),
            pcm: vec![0; key.codec.frame_samples()],
            encoder,
            bytes: Vec::with_capacity(1500),
            ready: false,
            ok: false,
            last_tick: 0,
        }
    }
}

/// One of the first two talkers' frame this tick, as received, when it can be forwarded (its
/// buffer is swapped with the talker's `pass`).
#[derive(Debug)]
struct Solo {
    codec: AudioCodec,
    bytes: Vec<u8>,
    ok: bool,
}

impl Solo {
    fn new() -> Self {
        Self {
            codec: AudioCodec::Pcmu,
            bytes: Vec::with_capacity(crate::leg::MAX_PAYLOAD),
            ok: false,
        }
    }
}

/// Whether a leg with `key` may be sent an unchanged payload of `len` bytes of its codec: Opus
/// receivers that ask for constant bit rate or a lower average bit rate may not (one 20 ms
/// packet's rate is its bytes × 8 × 50).
fn accepts(key: &EncoderKey, len: usize) -> bool {
    match &key.opus {
        Some(p) => {
            !p.cbr
                && p.max_average_bitrate
                    .is_none_or(|max| len * 400 <= max as usize)
        }
        None => true,
    }
}

/// The per-engine mixing state: the i32 sum and the shared encoded mixes.
#[derive(Debug)]
pub struct AudioMixer {
    rate: SampleRate,
    sum: Vec<i32>,
    /// The full mix at the mixing rate, saturated (the input of the shared streams), and whether
    /// it is this tick's (made once, however many shared streams use it).
    full: Vec<i16>,
    full_ready: bool,
    shared: Vec<Shared>,
    talkers: usize,
    /// The first two talkers' frames this tick (see "Forwarding a lone voice").
    solo: [Solo; 2],
    encodes: u64,
    forwarded: u64,
    opus_complexity: u8,
    /// Ticks begun: an encoder that did not run in the previous one is reset before it runs.
    ticks: u64,
}

impl AudioMixer {
    /// A mixer at `rate`.
    pub fn new(rate: SampleRate) -> Self {
        let n = rate.frame_samples();
        Self {
            rate,
            sum: vec![0; n],
            full: vec![0; n],
            full_ready: false,
            shared: Vec::new(),
            talkers: 0,
            solo: [Solo::new(), Solo::new()],
            encodes: 0,
            forwarded: 0,
            ticks: 0,
            opus_complexity: crate::opus::DEFAULT_COMPLEXITY,
        }
    }

    /// The mixing rate.
    pub fn rate(&self) -> SampleRate {
        self.rate
    }

    /// Changes the mixing rate (allocates; only on joins and leaves). The channels must follow
    /// with [`AudioMixer::register`] calls (which set each channel's mixing rate).
    pub fn set_rate(&mut self, rate: SampleRate) {
        if rate == self.rate {
            return;
        }
        self.rate = rate;
        self.sum = vec![0; rate.frame_samples()];
        self.full = vec![0; rate.frame_samples()];
        let complexity = self.opus_complexity;
        for s in &mut self.shared {
            *s = Shared::new(&s.key.clone(), rate, complexity);
        }
    }

    /// Sets the Opus encoders' complexity (0–10) for the streams made from now on and the
    /// shared ones already here; a channel's own encoder follows at its next
    /// [`AudioMixer::register`].
    pub fn set_opus_complexity(&mut self, complexity: u8) {
        self.opus_complexity = complexity.min(10);
        for s in &mut self.shared {
            s.encoder.set_complexity(self.opus_complexity);
        }
    }

    /// Prepares a channel for this mixer: its converters for the mixing rate and its shared
    /// stream (created on first use of its key; allocates). Call when a leg comes in and after
    /// [`AudioMixer::set_rate`].
    pub fn register(&mut self, ch: &mut MixChannel) {
        ch.set_mix_rate(self.rate);
        if ch.complexity != Some(self.opus_complexity) {
            ch.encoder.set_complexity(self.opus_complexity);
            ch.complexity = Some(self.opus_complexity);
        }
        ch.shared = match self.shared.iter().position(|s| s.key == ch.key) {
            Some(i) => i,
            None => {
                self.shared
                    .push(Shared::new(&ch.key, self.rate, self.opus_complexity));
                self.shared.len() - 1
            }
        };
    }

    /// Talkers in the current tick.
    pub fn talkers(&self) -> usize {
        self.talkers
    }

    /// Frames encoded so far (own and shared): what the shared mix saves shows here.
    pub fn encodes(&self) -> u64 {
        self.encodes
    }

    /// Payloads sent as received from another leg, instead of encoded (see "Forwarding a lone
    /// voice").
    pub fn forwarded(&self) -> u64 {
        self.forwarded
    }

    /// Starts a tick.
    pub fn begin(&mut self) {
        self.ticks += 1;
        self.sum.fill(0);
        self.full_ready = false;
        for s in &mut self.shared {
            s.ready = false;
        }
        for s in &mut self.solo {
            s.ok = false;
        }
        self.talkers = 0;
    }

    /// Adds a leg's loaded (or concealed) frame: measures it, runs its talk detector, and sums
    /// it if it is in the mix. Returns the detector's change, if any.
    pub fn add(&mut self, ch: &mut MixChannel) -> Option<bool> {
        ch.level = mean_square(&ch.native);
        let change = ch.detector.push(ch.level);
        ch.was_talker = ch.talker;
        ch.talker = ch.level > TALK_ENERGY || ch.detector.is_talking();
        if ch.talker {
            if !ch.was_talker {
                // Coming out of silence: the converter's history is that silence.
                if let Some(up) = &mut ch.up {
                    up.reset();
                }
                if let Some(down) = &mut ch.down {
                    down.reset();
                }
            }
            convert(&mut ch.up, &ch.native, &mut ch.at_mix_rate);
            ch.slot = None;
            if let Some(solo) = self.solo.get_mut(self.talkers) {
                solo.ok = ch.pass_ok;
                if ch.pass_ok {
                    // The buffers trade places (both hold a whole payload): no copy.
                    solo.codec = ch.codec();
                    std::mem::swap(&mut solo.bytes, &mut ch.pass);
                    ch.pass_ok = false;
                }
                ch.slot = Some(self.talkers);
            }
            self.talkers += 1;
            for (acc, &s) in self.sum.iter_mut().zip(&ch.at_mix_rate) {
                *acc += i32::from(s);
            }
        }
        change
    }

    /// The encoded payload the leg hears this tick: its own N−1 mix if it talks, else the shared
    /// stream of its key (converted and encoded on first use this tick). `None` when the encoder
    /// produced nothing (then nothing is sent).
    pub fn payload<'a>(&'a mut self, ch: &'a mut MixChannel) -> Option<&'a [u8]> {
        if let Some(i) = self.lone_voice(ch) {
            ch.forwarded += 1;
            self.forwarded += 1;
            return Some(&self.solo[i].bytes);
        }
        if ch.talker {
            return self.own_payload(ch, None);
        }
        if ch.shared >= self.shared.len() {
            // Not registered (cannot happen through the engine): its own stream, then.
            return self.own_payload(ch, None);
        }
        let s = &mut self.shared[ch.shared];
        if !s.ready {
            if !self.full_ready {
                for (f, &acc) in self.full.iter_mut().zip(&self.sum) {
                    *f = saturate(acc);
                }
                self.full_ready = true;
            }
            if s.last_tick + 1 != self.ticks {
                // Idle while a lone voice was forwarded (or never run): its state is old audio.
                s.encoder.reset();
                if let Some(down) = &mut s.down {
                    down.reset();
                }
            }
            s.last_tick = self.ticks;
            convert(&mut s.down, &self.full, &mut s.pcm);
            s.ok = s.encoder.encode(&s.pcm, &mut s.bytes);
            s.ready = true;
            self.encodes += 1;
        }
        s.ok.then_some(&s.bytes[..])
    }

    /// The talker slot whose frame is all `ch` hears this tick, when it can be sent to `ch` as
    /// it came: a talker hearing the one other talker, or a listener while one leg talks.
    fn lone_voice(&self, ch: &MixChannel) -> Option<usize> {
        let i = match (ch.talker, self.talkers, ch.slot) {
            (true, 2, Some(me)) => 1 - me,
            (false, 1, _) => 0,
            _ => return None,
        };
        let s = &self.solo[i];
        (s.ok && s.codec == ch.codec() && accepts(&ch.key, s.bytes.len())).then_some(i)
    }

    /// The encoded payload of a leg hearing a prompt: what [`AudioMixer::payload`] would give it
    /// plus `overlay` (the prompt's 8 kHz frame, converted to the codec's rate), summed before
    /// encoding. Always the leg's own stream, since no other leg hears this prompt.
    pub fn payload_over<'a>(
        &'a mut self,
        ch: &'a mut MixChannel,
        overlay: &[i16],
    ) -> Option<&'a [u8]> {
        self.own_payload(ch, Some(overlay))
    }

    fn own_payload<'a>(
        &mut self,
        ch: &'a mut MixChannel,
        overlay: Option<&[i16]>,
    ) -> Option<&'a [u8]> {
        if ch.talker {
            for ((o, &acc), &own) in ch.own_mix.iter_mut().zip(&self.sum).zip(&ch.at_mix_rate) {
                *o = saturate(acc - i32::from(own));
            }
        } else {
            for (o, &acc) in ch.own_mix.iter_mut().zip(&self.sum) {
                *o = saturate(acc);
            }
        }
        if ch.own_tick + 1 != self.ticks {
            // Its last frame is from another moment (a talker again, or heard forwarded meanwhile).
            ch.encoder.reset();
        }
        ch.own_tick = self.ticks;
        convert(&mut ch.down, &ch.own_mix, &mut ch.own_native);
        if let Some(overlay) = overlay {
            convert(&mut ch.prompt_up, overlay, &mut ch.overlay);
            for (o, &p) in ch.own_native.iter_mut().zip(&ch.overlay) {
                *o = o.saturating_add(p);
            }
        }
        self.encodes += 1;
        ch.encoder
            .encode(&ch.own_native, &mut ch.own)
            .then_some(&ch.own[..])
    }
}

fn saturate(v: i32) -> i16 {
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::g711::{alaw_decode, ulaw_decode, ulaw_encode, Law};
    use crate::g722::G722Encoder;

    fn channel(codec: AudioCodec, level: i16) -> MixChannel {
        let mut ch = MixChannel::new(codec, None, SampleRate::Hz8000);
        let law = codec.law().unwrap();
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

    fn mixer_with(chans: &mut [&mut MixChannel]) -> AudioMixer {
        let mut m = AudioMixer::new(SampleRate::Hz8000);
        for ch in chans.iter_mut() {
            m.register(ch);
        }
        m.begin();
        for ch in chans.iter_mut() {
            m.add(ch);
        }
        m
    }

    #[test]
    fn talkers_get_n_minus_1_and_listeners_the_sum() {
        let mut a = channel(AudioCodec::Pcmu, 1000);
        let mut b = channel(AudioCodec::Pcmu, 3000);
        let mut quiet = channel(AudioCodec::Pcma, 0);
        let mut m = mixer_with(&mut [&mut a, &mut b, &mut quiet]);
        assert_eq!(m.talkers(), 2);
        assert!(!quiet.is_talker());
        // a hears only b, b hears only a, the listener hears both.
        let pa = ulaw_decode(m.payload(&mut a).unwrap()[0]);
        assert!((2900..=3100).contains(&pa), "{pa}");
        let pb = ulaw_decode(m.payload(&mut b).unwrap()[0]);
        assert!((950..=1050).contains(&pb), "{pb}");
        let pq = alaw_decode(m.payload(&mut quiet).unwrap()[0]);
        assert!((3800..=4200).contains(&pq), "{pq}");
    }

    #[test]
    fn listeners_of_one_codec_share_one_encode() {
        let mut a = channel(AudioCodec::Pcmu, 1000);
        let mut b = channel(AudioCodec::Pcmu, 2000);
        let mut q1 = channel(AudioCodec::Pcmu, 0);
        let mut q2 = channel(AudioCodec::Pcmu, 0);
        let mut q3 = channel(AudioCodec::Pcma, 0);
        let mut m = mixer_with(&mut [&mut a, &mut b, &mut q1, &mut q2, &mut q3]);
        let before = m.encodes();
        for ch in [&mut a, &mut b, &mut q1, &mut q2, &mut q3] {
            assert!(m.payload(ch).is_some());
        }
        // The two talkers hear each other as sent (no encode); the listeners hear both: one
        // shared µ-law encode and one shared A-law encode.
        assert_eq!(m.encodes() - before, 2);
        assert_eq!(m.forwarded(), 2);
    }

    /// A µ-law frame whose every byte differs from its neighbours, so that "the same bytes"
    /// cannot happen by chance.
    fn varied_frame(seed: u8) -> Vec<u8> {
        (0..160u32)
            .map(|i| (i as u8).wrapping_mul(37).wrapping_add(seed) | 0x80)
            .collect()
    }

    fn loaded(codec: AudioCodec, frame: &[u8]) -> MixChannel {
        let mut ch = MixChannel::new(codec, None, SampleRate::Hz8000);
        ch.begin_frame();
        ch.load(frame);
        ch
    }

    #[test]
    fn a_lone_voice_is_forwarded_unchanged_to_listeners_of_its_codec() {
        let voice = varied_frame(3);
        let mut a = loaded(AudioCodec::Pcmu, &voice);
        let mut q1 = channel(AudioCodec::Pcmu, 0);
        let mut q2 = channel(AudioCodec::Pcmu, 0);
        let mut qa = channel(AudioCodec::Pcma, 0);
        let mut m = mixer_with(&mut [&mut a, &mut q1, &mut q2, &mut qa]);
        assert!(a.is_talker());
        let before = m.encodes();
        assert_eq!(m.payload(&mut q1).unwrap(), &voice[..]);
        assert_eq!(m.payload(&mut q2).unwrap(), &voice[..]);
        // Another codec is transcoded: an A-law listener gets the shared A-law encode.
        let pa = m.payload(&mut qa).unwrap().to_vec();
        assert_ne!(pa, voice);
        for (&x, &u) in pa.iter().zip(&voice) {
            let (x, u) = (i32::from(alaw_decode(x)), i32::from(ulaw_decode(u)));
            assert!(
                (x - u).abs() <= u.abs() / 16 + 16,
                "A-law {x} for µ-law {u}"
            );
        }
        assert_eq!(m.encodes() - before, 1);
        assert_eq!((q1.forwarded(), q2.forwarded(), qa.forwarded()), (1, 1, 0));
        assert_eq!(m.forwarded(), 2);
    }

    #[test]
    fn two_talkers_hear_each_other_unchanged_three_are_mixed() {
        let (va, vb, vc) = (varied_frame(1), varied_frame(2), varied_frame(5));
        let mut a = loaded(AudioCodec::Pcmu, &va);
        let mut b = loaded(AudioCodec::Pcmu, &vb);
        let mut m = mixer_with(&mut [&mut a, &mut b]);
        assert_eq!(m.payload(&mut a).unwrap(), &vb[..]);
        assert_eq!(m.payload(&mut b).unwrap(), &va[..]);
        // (A µ-law re-encode of one decoded voice gives the same bytes: the counter shows
        // that no encode happened.)
        assert_eq!((m.forwarded(), m.encodes()), (2, 0));

        let mut a = loaded(AudioCodec::Pcmu, &va);
        let mut b = loaded(AudioCodec::Pcmu, &vb);
        let mut c = loaded(AudioCodec::Pcmu, &vc);
        let mut m = mixer_with(&mut [&mut a, &mut b, &mut c]);
        assert_eq!(m.talkers(), 3);
        for ch in [&mut a, &mut b, &mut c] {
            let heard = m.payload(ch).unwrap();
            assert!(heard != &va[..] && heard != &vb[..] && heard != &vc[..]);
        }
        assert_eq!(m.forwarded(), 0);
        assert_eq!(m.encodes(), 3);
    }

    #[test]
    fn partial_or_concealed_frames_are_encoded_not_forwarded() {
        let voice = varied_frame(7);
        // 10 ms of a 20 ms frame (the rest is silence).
        let mut a = loaded(AudioCodec::Pcmu, &voice[..80]);
        let mut q = channel(AudioCodec::Pcmu, 0);
        let mut m = mixer_with(&mut [&mut a, &mut q]);
        assert!(a.is_talker());
        assert!(m.payload(&mut q).is_some());
        assert_eq!(m.forwarded(), 0);
        // A whole frame, then a concealed one: the concealment is not the received bytes.
        let mut a = loaded(AudioCodec::Pcmu, &voice);
        a.begin_frame();
        a.conceal();
        let mut m = mixer_with(&mut [&mut a, &mut q]);
        assert!(a.is_talker());
        assert_ne!(m.payload(&mut q).unwrap(), &voice[..]);
        assert_eq!(m.forwarded(), 0);
    }

    /// 20 ms frame `k` of a tone of peak `peak` at 48 kHz.
    fn opus_tone(freq: f64, peak: i16, k: usize) -> Vec<i16> {
        crate::goertzel::tone(freq, 48_000.0, f64::from(peak) / 32767.0, k * 960, 960)
    }

    #[test]
    fn opus_forwarding_follows_the_receivers_fmtp() {
        // One real 20 ms Opus packet of a 440 Hz tone.
        let key = EncoderKey::new(AudioCodec::Opus, None);
        let mut encoder = Encoder::new(&key);
        let pcm = opus_tone(440.0, 8000, 0);
        let mut packet = Vec::new();
        assert!(encoder.encode(&pcm, &mut packet));
        let opus =
            |fmtp: Option<&str>| MixChannel::new(AudioCodec::Opus, fmtp, SampleRate::Hz48000);
        let mut a = opus(None);
        a.begin_frame();
        a.decode_packet(&packet);
        assert!(a.fifo_ready());
        a.load_from_fifo();
        let mut plain = opus(Some("useinbandfec=1"));
        let mut cbr = opus(Some("cbr=1"));
        // A rate below this packet's (bytes × 8 × 50).
        let low = format!("maxaveragebitrate={}", packet.len() * 400 - 8);
        let mut narrow = opus(Some(&low));
        let mut m = AudioMixer::new(SampleRate::Hz48000);
        for ch in [&mut a, &mut plain, &mut cbr, &mut narrow] {
            m.register(ch);
        }
        m.begin();
        for ch in [&mut a, &mut plain, &mut cbr, &mut narrow] {
            m.add(ch);
        }
        assert!(a.is_talker());
        assert_eq!(m.payload(&mut plain).unwrap(), &packet[..]);
        assert_ne!(m.payload(&mut cbr).unwrap(), &packet[..]);
        assert_ne!(m.payload(&mut narrow).unwrap(), &packet[..]);
        assert_eq!(m.forwarded(), 1);
        // A frame recovered from FEC is not what was received: encoded.
        a.begin_frame();
        a.recover_packet(Some(&packet));
        a.load_from_fifo();
        m.begin();
        for ch in [&mut a, &mut plain] {
            m.add(ch);
        }
        assert_ne!(m.payload(&mut plain).unwrap(), &packet[..]);
        assert_eq!(m.forwarded(), 1);
    }

    #[test]
    fn sum_saturates() {
        let mut chans: Vec<_> = (0..4).map(|_| channel(AudioCodec::Pcmu, 30000)).collect();
        let mut listener = channel(AudioCodec::Pcmu, 0);
        let mut m = AudioMixer::new(SampleRate::Hz8000);
        chans.iter_mut().for_each(|c| m.register(c));
        m.register(&mut listener);
        m.begin();
        chans.iter_mut().for_each(|c| {
            m.add(c);
        });
        m.add(&mut listener);
        assert_eq!(m.payload(&mut listener).unwrap()[0], ulaw_encode(i16::MAX));
        assert_eq!(m.payload(&mut chans[0]).unwrap()[1], ulaw_encode(i16::MIN));
    }

    #[test]
    fn overlay_is_added_to_what_the_leg_hears() {
        let mut a = channel(AudioCodec::Pcmu, 1000);
        let mut b = channel(AudioCodec::Pcmu, 3000);
        let mut quiet = channel(AudioCodec::Pcmu, 0);
        let mut m = mixer_with(&mut [&mut a, &mut b, &mut quiet]);
        let prompt = [2000i16; 160];
        // The talker a hears b + prompt, the listener hears a + b + prompt.
        let pa = ulaw_decode(m.payload_over(&mut a, &prompt).unwrap()[0]);
        assert!((4800..=5200).contains(&pa), "{pa}");
        let pq = ulaw_decode(m.payload_over(&mut quiet, &prompt).unwrap()[0]);
        assert!((5700..=6300).contains(&pq), "{pq}");
        // The others are unaffected.
        let pb = ulaw_decode(m.payload(&mut b).unwrap()[0]);
        assert!((950..=1050).contains(&pb), "{pb}");
    }

    #[test]
    fn conceal_fades_once_then_silence() {
        let mut ch = channel(AudioCodec::Pcmu, 8000);
        ch.conceal();
        assert!(ch.input()[0].abs() > 7000);
        assert!(ch.input()[159].abs() < 200);
        ch.conceal();
        assert!(ch.input().iter().all(|&s| s == 0));
    }

    #[test]
    fn concealment_after_skipped_silence_does_not_replay_old_speech() {
        let key = EncoderKey::new(AudioCodec::Opus, None);
        let mut encoder = Encoder::new(&key);
        let mut packet = Vec::new();
        let mut ch = MixChannel::new(AudioCodec::Opus, None, SampleRate::Hz48000);
        // Loud speech-like tone decoded (the leg's detector never ran: it is not talking).
        for k in 0..20 {
            let pcm = opus_tone(300.0, 12_000, k);
            assert!(encoder.encode(&pcm, &mut packet));
            ch.begin_frame();
            ch.decode_packet(&packet);
            ch.load_from_fifo();
        }
        assert!(mean_square(ch.input()) > 1_000_000);
        // Then silence, flagged inactive: skipped.
        let mut skipped = 0;
        for _ in 0..10 {
            assert!(encoder.encode(&[0; 960], &mut packet));
            ch.begin_frame();
            if ch.skip_silent_packet(&packet) {
                skipped += 1;
            } else {
                ch.decode_packet(&packet);
            }
            ch.load_from_fifo();
        }
        assert!(skipped >= 5, "{skipped}");
        // A loss now: concealment starts from a fresh decoder, not from the tone.
        ch.begin_frame();
        ch.recover_packet(None);
        ch.load_from_fifo();
        assert!(
            mean_square(ch.input()) < TALK_ENERGY,
            "{}",
            mean_square(ch.input())
        );
    }

    #[test]
    fn loud_sound_flagged_inactive_is_still_heard() {
        // libopus gets used to a steady tone and flags it inactive after about a second.
        let key = EncoderKey::new(AudioCodec::Opus, None);
        let mut encoder = Encoder::new(&key);
        let mut packets = Vec::new();
        for k in 0..150 {
            let pcm = opus_tone(1000.0, 5_000, k);
            let mut p = Vec::new();
            assert!(encoder.encode(&pcm, &mut p));
            packets.push(p);
        }
        let inactive: Vec<&Vec<u8>> = packets
            .iter()
            .filter(|p| crate::opus::voice_activity(p) == Some(false))
            .collect();
        assert!(inactive.len() >= 20, "{} flagged inactive", inactive.len());
        // A leg that is not talking gets only such packets: within a probe period one is
        // decoded, found loud, and the leg is in the mix from then on.
        let mut ch = MixChannel::new(AudioCodec::Opus, None, SampleRate::Hz48000);
        let mut m = AudioMixer::new(SampleRate::Hz48000);
        m.register(&mut ch);
        let mut mixed_at = None;
        for (tick, p) in inactive.iter().enumerate().take(20) {
            ch.begin_frame();
            if !ch.skip_silent_packet(p) {
                ch.decode_packet(p);
            }
            ch.load_from_fifo();
            m.begin();
            m.add(&mut ch);
            if ch.is_talker() {
                mixed_at.get_or_insert(tick);
            }
        }
        let at = mixed_at.expect("the tone reaches the mix");
        assert!(at <= PROBE_EVERY as usize, "mixed at tick {at}");
        assert!(ch.skipped() >= 1);
    }

    #[test]
    fn an_encoder_idle_while_a_voice_was_forwarded_starts_afresh() {
        // G.722 (deterministic, stateful): the listeners' shared encode after a stretch of
        // forwarding gives what a new encoder gives for the same audio.
        let g722 = |seed: i16| -> Vec<u8> {
            let pcm: Vec<i16> = (0..320)
                .map(|i| (i as i16 * 37 + seed * 101) % 4000 - 2000)
                .collect();
            let mut e = G722Encoder::default();
            let mut out = Vec::new();
            e.encode(&pcm, &mut out);
            out
        };
        let chan = |bytes: &[u8]| {
            let mut ch = MixChannel::new(AudioCodec::G722, None, SampleRate::Hz16000);
            ch.begin_frame();
            ch.load(bytes);
            ch
        };
        let mut m = AudioMixer::new(SampleRate::Hz16000);
        let run = |m: &mut AudioMixer, chans: &mut [&mut MixChannel]| {
            m.begin();
            for ch in chans.iter_mut() {
                m.add(ch);
            }
        };
        // Two talkers: the listener gets the shared encode (its encoder runs).
        // A silent leg: nothing loaded, its frame is zeros.
        let quiet = || MixChannel::new(AudioCodec::G722, None, SampleRate::Hz16000);
        let (mut a, mut b, mut q) = (chan(&g722(1)), chan(&g722(2)), quiet());
        for ch in [&mut a, &mut b, &mut q] {
            m.register(ch);
        }
        run(&mut m, &mut [&mut a, &mut b, &mut q]);
        assert!(m.payload(&mut q).is_some());
        // A alone for a few ticks: forwarded, the shared encoder idle.
        for k in 0..5 {
            let (mut a2, mut b2) = (chan(&g722(10 + k)), quiet());
            run(&mut m, &mut [&mut a2, &mut b2, &mut q]);
            assert_eq!(m.payload(&mut q).unwrap(), &g722(10 + k)[..]);
        }
        // Both again: the shared encode is a fresh encoder's encode of the mix.
        let (mut a3, mut b3) = (chan(&g722(3)), chan(&g722(4)));
        let mix: Vec<i16> = a3
            .input()
            .iter()
            .zip(b3.input())
            .map(|(x, y)| x.saturating_add(*y))
            .collect();
        run(&mut m, &mut [&mut a3, &mut b3, &mut q]);
        assert!(!q.is_talker());
        let heard = m.payload(&mut q).unwrap().to_vec();
        let mut fresh = G722Encoder::default();
        let mut want = Vec::new();
        fresh.encode(&mix, &mut want);
        assert_eq!(heard, want);
    }

    #[test]
    fn widest_rate() {
        use AudioCodec::*;
        assert_eq!(SampleRate::widest([Pcmu, Pcma]), SampleRate::Hz8000);
        assert_eq!(SampleRate::widest([Pcmu, G722]), SampleRate::Hz16000);
        assert_eq!(SampleRate::widest([G722, Opus, Pcma]), SampleRate::Hz48000);
        assert_eq!(SampleRate::widest([]), SampleRate::Hz8000);
    }
}
