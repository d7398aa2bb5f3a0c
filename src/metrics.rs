//! Process-wide counters and gauges, rendered as Prometheus text at `/metrics`.
//!
//! Plain atomics: the mixer threads bump them without locks, and a scrape reads them relaxed
//! (a scrape is a snapshot; exact cross-counter consistency is not needed).

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Declares the metrics struct, its instance and the Prometheus rendering in one place, so a
/// metric cannot be added without its help text.
macro_rules! metrics {
    ($( $kind:ident $name:ident : $help:literal ),* $(,)?) => {
        /// Every metric the bridge exports.
        #[derive(Debug, Default)]
        pub struct Metrics {
            $( #[doc = $help] pub $name: metrics!(@ty $kind), )*
        }

        impl Metrics {
            /// Prometheus text exposition format 0.0.4.
            pub fn render(&self) -> String {
                let mut out = String::with_capacity(4096);
                $(
                    let _ = writeln!(out, "# HELP pont_{} {}", stringify!($name), $help);
                    let _ = writeln!(out, "# TYPE pont_{} {}", stringify!($name), metrics!(@kind $kind));
                    let _ = writeln!(out, "pont_{} {}", stringify!($name), self.$name.load(Ordering::Relaxed));
                )*
                out
            }
        }
    };
    (@ty counter) => { AtomicU64 };
    (@ty gauge) => { AtomicI64 };
    (@kind counter) => { "counter" };
    (@kind gauge) => { "gauge" };
}

metrics! {
    counter sip_messages_received_total: "SIP messages received (UDP datagrams and TCP frames).",
    counter sip_messages_dropped_total: "SIP messages dropped unanswered (unparsable, or no usable Via).",
    counter sip_bad_requests_total: "SIP requests answered 400/505 because they were malformed.",
    counter sip_retransmissions_total: "SIP messages retransmitted by the transaction layer (UDP).",
    counter sip_transaction_timeouts_total: "SIP transactions that timed out (timers B/F/H).",
    counter sip_tcp_framing_errors_total: "TCP connections closed because their byte stream could not be framed.",
    counter calls_total: "Calls offered (new INVITEs).",
    counter calls_rejected_total: "Calls answered with a final error status.",
    gauge calls_active: "Calls in progress.",
    counter calls_joined_total: "Callers who reached a conference.",
    counter dtmf_digits_total: "Key presses received (RFC 4733, SIP INFO and in-band merged).",
    counter ivr_wrong_codes_total: "Wrong access codes entered.",
    counter ivr_lockouts_total: "Sources locked out after too many wrong codes.",
    counter ivr_lockout_refusals_total: "Calls refused because their source is locked out.",
    gauge conferences_active: "Conferences with at least one participant.",
    gauge participants_active: "Participants in conferences.",
    counter rtp_packets_received_total: "RTP and RTCP packets received.",
    counter rtp_packets_sent_total: "RTP and RTCP packets sent.",
    counter rtp_packets_dropped_total: "Received packets dropped before the mixer (always 0 since the mixer threads read the sockets themselves; kept for dashboards).",
    counter rtp_send_errors_total: "Packets that could not be sent (socket buffer full, unreachable).",
    counter rtp_packets_malformed_total: "RTP/RTCP packets the media engines dropped as malformed or of an unknown payload type.",
    counter jitter_late_total: "RTP packets that arrived after their playout time.",
    counter jitter_lost_total: "RTP packets never received (sequence gaps).",
    counter jitter_duplicate_total: "Duplicate RTP packets discarded.",
    counter frames_concealed_total: "20 ms frames concealed because no packet was there in time: lost, late, or a pause of the sender (DTX, silence suppression), and jitter-buffer stretches.",
    counter audio_silent_packets_skipped_total: "Opus packets taken as silence without decoding (flagged inactive by the sender's encoder while the caller was not talking).",
    counter audio_frames_forwarded_total: "Audio frames sent as the one voice heard, received unchanged, instead of an encoded mix.",
    counter mixer_ticks_total: "Mixer ticks run (one per 20 ms per mixer thread).",
    counter mixer_tick_overruns_total: "Mixer ticks that ended after their deadline.",
    counter mixer_tick_busy_micros_total: "Microseconds the mixer threads spent working (not sleeping).",
    gauge rtp_ports_in_use: "RTP port pairs allocated.",
    counter bookings_created_total: "Bookings made (portal, API, instant).",
    counter bookings_updated_total: "Bookings changed.",
    counter bookings_cancelled_total: "Bookings cancelled.",
    gauge bookings_upcoming: "Bookings not cancelled with an occurrence not yet ended (as of the last scrape).",
    gauge outbox_backlog: "Invitation mails not yet accepted by the SMTP server.",
    counter mails_sent_total: "Invitation mails accepted by the SMTP server.",
    counter mail_failures_total: "Failed tries to hand a mail to the SMTP server (each retried later).",
    counter logins_failed_total: "Failed logins (portal and API).",
    counter logins_refused_total: "Logins refused by rate limiting.",
    gauge video_conferences_active: "Conferences whose video is composed now.",
    gauge video_legs_active: "Participants sending or receiving video.",
    counter video_frames_decoded_total: "Pictures decoded from video senders.",
    counter video_decode_errors_total: "Access units the H.264 decoder refused (the sender is asked for a key frame).",
    counter video_frames_encoded_total: "Composed pictures encoded (one per output per frame).",
    counter video_keyframes_encoded_total: "IDR pictures encoded (periodic, for new receivers, for PLI/FIR).",
    counter video_rtp_packets_dropped_total: "Video RTP packets dropped (malformed, unknown payload type, refused by the depacketizer).",
    counter video_keyframe_requests_in_total: "RTCP PLI/FIR received from video receivers.",
    counter video_keyframe_requests_out_total: "RTCP PLI/FIR sent to video senders.",
    counter video_rtcp_reports_sent_total: "Periodic RTCP reports (SR or RR with SDES) sent on video streams.",
    counter video_frame_overruns_total: "Video frame periods missed because the previous frame's work ran past them.",
    counter video_busy_micros_total: "Microseconds the video threads spent composing, encoding and sending.",
}

/// Add one to a counter.
pub fn inc(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Add `n` to a counter.
pub fn count(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

/// Move a gauge by `delta`.
pub fn add(gauge: &AtomicI64, delta: i64) {
    gauge.fetch_add(delta, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        inc(&m.calls_total);
        add(&m.calls_active, 2);
        add(&m.calls_active, -1);
        let text = m.render();
        assert!(
            text.contains("# TYPE pont_calls_total counter\npont_calls_total 1\n"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE pont_calls_active gauge\npont_calls_active 1\n"),
            "{text}"
        );
        assert!(text.contains("# HELP pont_mixer_tick_overruns_total "));
    }
}
