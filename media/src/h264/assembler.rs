//! The in-order half of the H.264 depacketizer (RFC 6184 §5.6–5.8): writes the NAL units of
//! single NAL unit, STAP-A and FU-A payloads into the current access unit's Annex B buffer,
//! reassembles FU-A fragments in place, ends access units, and keeps the key-frame state.

use std::collections::VecDeque;

use super::depacketizer::{AccessUnit, DepacketizerConfig, DepacketizerStats, KeyframeReason};
use super::reorder::Kind;
use super::{NalHeader, FU_A, NAL_IDR, NAL_PPS, NAL_SPS, STAP_A, START_CODE};

/// First capacity of an access unit buffer when none can be reused.
const INITIAL_AU_CAPACITY: usize = 64 * 1024;

/// The access unit being assembled.
#[derive(Debug)]
struct OpenAu {
    timestamp: u32,
    data: Vec<u8>,
    nals: usize,
    has_idr: bool,
    damaged: bool,
}

/// A FU-A being reassembled into the open access unit.
#[derive(Debug, Clone, Copy)]
struct Fu {
    /// Where its start code begins in the access unit buffer (to cut it off if it breaks).
    start: usize,
    nal_type: u8,
}

/// Packets in sequence order in, access units out.
#[derive(Debug)]
pub(super) struct Assembler {
    config: DepacketizerConfig,
    open: Option<OpenAu>,
    fu: Option<Fu>,
    /// Dropping FU-A fragments of a NAL unit whose start or middle was lost, until its end.
    skipping_fu: bool,
    /// The next access unit to open lost its head (a gap between two access units).
    next_damaged: bool,
    ready: VecDeque<AccessUnit>,
    spare: Vec<Vec<u8>>,
    sps_seen: bool,
    pps_seen: bool,
    needs_keyframe: bool,
    /// A request the caller has not polled yet.
    request: Option<KeyframeReason>,
    /// A request was raised since the last key frame (so "cannot start yet" asks only once).
    asked: bool,
    pub(super) stats: DepacketizerStats,
}

impl Assembler {
    pub(super) fn new(config: DepacketizerConfig) -> Self {
        Self {
            config,
            open: None,
            fu: None,
            skipping_fu: false,
            next_damaged: false,
            ready: VecDeque::with_capacity(config.max_ready),
            spare: Vec::with_capacity(config.max_ready + 1),
            sps_seen: false,
            pps_seen: false,
            needs_keyframe: true,
            request: None,
            asked: false,
            stats: DepacketizerStats::default(),
        }
    }

    pub(super) fn needs_keyframe(&self) -> bool {
        self.needs_keyframe
    }

    pub(super) fn poll_keyframe_request(&mut self) -> Option<KeyframeReason> {
        self.request.take()
    }

    pub(super) fn poll_frame(&mut self) -> Option<AccessUnit> {
        self.ready.pop_front()
    }

    pub(super) fn recycle(&mut self, mut data: Vec<u8>) {
        if self.spare.len() < self.config.max_ready + 1 && data.capacity() > 0 {
            data.clear();
            self.spare.push(data);
        }
    }

    /// One packet, in sequence order; `lost` packets are missing just before it.
    pub(super) fn process(
        &mut self,
        lost: u32,
        timestamp: u32,
        marker: bool,
        kind: Kind,
        payload: &[u8],
    ) {
        if lost > 0 {
            self.on_loss(lost, timestamp);
        }
        if self
            .open
            .as_ref()
            .is_some_and(|au| au.timestamp != timestamp)
        {
            // A new timestamp ends the access unit even without a marker bit.
            self.finish_au();
        }
        if self.open.is_none() {
            let data = self
                .spare
                .pop()
                .unwrap_or_else(|| Vec::with_capacity(INITIAL_AU_CAPACITY));
            self.open = Some(OpenAu {
                timestamp,
                data,
                nals: 0,
                has_idr: false,
                damaged: std::mem::take(&mut self.next_damaged),
            });
        }
        match kind {
            Kind::Ignored => {}
            Kind::Refused => {
                self.break_fu();
                self.skipping_fu = true;
                self.damage(KeyframeReason::RefusedPacket);
            }
            Kind::Media => self.media(payload),
        }
        if marker {
            self.finish_au();
        }
    }

    /// Ends whatever is open (the stream stalled, or the caller resets it).
    pub(super) fn flush(&mut self) {
        self.finish_au();
    }

    fn on_loss(&mut self, lost: u32, timestamp: u32) {
        self.stats.gaps += 1;
        self.stats.lost_packets += u64::from(lost);
        self.break_fu();
        self.skipping_fu = true;
        match &mut self.open {
            Some(au) if au.timestamp == timestamp => au.damaged = true,
            Some(au) => {
                // The open access unit may have lost its tail, the next one its head.
                au.damaged = true;
                self.finish_au();
                self.next_damaged = true;
            }
            None => self.next_damaged = true,
        }
        self.raise(KeyframeReason::PacketLoss);
    }

    fn media(&mut self, payload: &[u8]) {
        let Some(&first) = payload.first() else {
            return;
        };
        let header = NalHeader(first);
        match header.nal_type() {
            STAP_A => {
                self.end_fu_missing_end();
                let mut rest = &payload[1..];
                while let [hi, lo, tail @ ..] = rest {
                    let size = usize::from(u16::from_be_bytes([*hi, *lo]));
                    let Some(nal) = tail.get(..size) else {
                        break;
                    };
                    self.whole_nal(nal);
                    rest = &tail[size..];
                }
            }
            FU_A => self.fragment(header, payload),
            _ => {
                self.end_fu_missing_end();
                self.whole_nal(payload);
            }
        }
    }

    /// A complete NAL unit (single NAL packet or one unit of a STAP-A).
    fn whole_nal(&mut self, nal: &[u8]) {
        self.skipping_fu = false;
        let Some(au) = &mut self.open else { return };
        if au.nals >= self.config.max_nals
            || au.data.len() + START_CODE.len() + nal.len() > self.config.max_au_bytes
        {
            self.stats.dropped_nals += 1;
            self.damage(KeyframeReason::TooLarge);
            return;
        }
        au.data.extend_from_slice(&START_CODE);
        au.data.extend_from_slice(nal);
        self.nal_done(nal.first().map_or(0, |b| NalHeader(*b).nal_type()));
    }

    /// One FU-A fragment: indicator, FU header (S, E, R, type), fragment bytes.
    fn fragment(&mut self, indicator: NalHeader, payload: &[u8]) {
        let (Some(&fu_header), Some(bytes)) = (payload.get(1), payload.get(2..)) else {
            return;
        };
        let start = fu_header & 0x80 != 0;
        let end = fu_header & 0x40 != 0;
        let nal_type = fu_header & 0x1F;
        self.stats.fragments += 1;
        if start {
            // A start while another FU-A is open: that one lost its end.
            self.end_fu_missing_end();
            self.skipping_fu = false;
            let Some(au) = &mut self.open else { return };
            if au.nals >= self.config.max_nals
                || au.data.len() + START_CODE.len() + 1 + bytes.len() > self.config.max_au_bytes
            {
                self.stats.dropped_nals += 1;
                self.skipping_fu = !end;
                self.damage(KeyframeReason::TooLarge);
                return;
            }
            let fu = Fu {
                start: au.data.len(),
                nal_type,
            };
            au.data.extend_from_slice(&START_CODE);
            au.data.push((indicator.0 & 0xE0) | nal_type);
            au.data.extend_from_slice(bytes);
            self.fu = Some(fu);
        } else {
            match self.fu {
                Some(fu) if fu.nal_type == nal_type => {
                    let Some(au) = &mut self.open else { return };
                    if au.data.len() + bytes.len() > self.config.max_au_bytes {
                        self.break_fu(); // counts the dropped unit
                        self.skipping_fu = !end;
                        self.damage(KeyframeReason::TooLarge);
                        return;
                    }
                    au.data.extend_from_slice(bytes);
                }
                Some(_) => {
                    // Fragments of another NAL unit: both are broken.
                    self.end_fu_missing_end();
                    self.skipping_fu = !end;
                    self.stats.dropped_fragments += 1;
                    return;
                }
                None => {
                    self.stats.dropped_fragments += 1;
                    if !self.skipping_fu {
                        // No start seen and no loss reported: the start is missing.
                        self.stats.broken_fu += 1;
                        self.damage(KeyframeReason::BrokenFragment);
                    }
                    self.skipping_fu = !end;
                    return;
                }
            }
        }
        if end {
            self.fu = None;
            self.nal_done(nal_type);
        }
    }

    /// A NAL unit was written whole into the access unit.
    fn nal_done(&mut self, nal_type: u8) {
        self.stats.nals += 1;
        let Some(au) = &mut self.open else { return };
        au.nals += 1;
        match nal_type {
            NAL_IDR => au.has_idr = true,
            NAL_SPS => self.sps_seen = true,
            NAL_PPS => self.pps_seen = true,
            _ => {}
        }
    }

    /// An open FU-A whose end never came (a non-fragment packet, a new start or the end of the
    /// access unit came first): cut it off and ask for a key frame.
    fn end_fu_missing_end(&mut self) {
        if self.fu.is_some() {
            self.break_fu();
            self.damage(KeyframeReason::BrokenFragment);
        }
    }

    /// Cuts off a FU-A being reassembled.
    fn break_fu(&mut self) {
        if let Some(fu) = self.fu.take() {
            self.stats.broken_fu += 1;
            self.stats.dropped_nals += 1;
            if let Some(au) = &mut self.open {
                au.data.truncate(fu.start);
            }
        }
    }

    /// Marks the open access unit incomplete and asks for a key frame.
    fn damage(&mut self, reason: KeyframeReason) {
        if let Some(au) = &mut self.open {
            au.damaged = true;
        }
        self.raise(reason);
    }

    fn raise(&mut self, reason: KeyframeReason) {
        self.needs_keyframe = true;
        self.asked = true;
        if self.request.is_none() {
            self.stats.keyframe_requests += 1;
            self.request = Some(reason);
        }
    }

    fn finish_au(&mut self) {
        self.end_fu_missing_end();
        self.skipping_fu = false;
        let Some(au) = self.open.take() else { return };
        if au.nals == 0 {
            // Nothing usable (all of it lost or refused): nothing to decode.
            if au.damaged {
                self.stats.dropped_aus += 1;
            }
            self.recycle(au.data);
            return;
        }
        let keyframe = au.has_idr && self.sps_seen && self.pps_seen;
        let complete = !au.damaged;
        if keyframe && complete {
            self.needs_keyframe = false;
            self.request = None;
            self.asked = false;
        } else if self.needs_keyframe && !self.asked {
            self.raise(KeyframeReason::NoKeyframeYet);
        }
        if !complete {
            self.stats.incomplete_aus += 1;
        }
        self.stats.access_units += 1;
        if self.ready.len() >= self.config.max_ready {
            // The caller is not polling: drop the oldest rather than grow.
            if let Some(old) = self.ready.pop_front() {
                self.stats.dropped_aus += 1;
                self.recycle(old.data);
            }
        }
        self.ready.push_back(AccessUnit {
            timestamp: au.timestamp,
            data: au.data,
            nal_count: au.nals,
            is_keyframe: keyframe,
            complete,
        });
    }
}
