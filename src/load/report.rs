//! The result of a load run: one struct, printed for people or as one line of JSON.

use std::fmt::Write;

use serde::Serialize;

/// Everything a run measured. Rates and deltas are over the measurement window.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Codec offered.
    pub codec: String,
    /// Calls placed.
    pub calls: usize,
    /// Participants per conference.
    pub size: usize,
    /// Talkers per conference.
    pub talkers: usize,
    /// Conferences used.
    pub conferences: usize,
    /// Length of the measurement window (s).
    pub window_seconds: f64,
    /// Calls answered (200 OK) and joined, per the bridge's `calls_joined_total`.
    pub set_up: usize,
    /// Calls answered with 200 OK.
    pub answered: usize,
    /// Calls refused, unanswered or with an unusable answer.
    pub failed: usize,
    /// A few reasons of failures.
    pub failures: Vec<String>,
    /// Answered calls the bridge hung up before the end.
    pub dropped_by_bridge: usize,
    /// BYEs sent at the end, and 200s received for them.
    pub byes_sent: usize,
    /// 200 OKs to our BYEs.
    pub bye_ok: usize,
    /// RTP packets the legs received in the window.
    pub packets_received: u64,
    /// Packets lost (sequence gaps) over all legs.
    pub packets_lost: u64,
    /// `packets_lost / expected`, percent.
    pub loss_percent: f64,
    /// The most packets one leg lost.
    pub worst_leg_lost: u64,
    /// Answered legs that received nothing in the window.
    pub legs_without_media: usize,
    /// Mean of the legs' interarrival jitter (ms).
    pub jitter_ms_mean: f64,
    /// The largest leg jitter (ms).
    pub jitter_ms_worst: f64,
    /// Markers sent in the window.
    pub markers_sent: u64,
    /// Markers the probes heard and timed.
    pub markers_detected: usize,
    /// Marker-like onsets with no marker to match.
    pub markers_unmatched: u64,
    /// How long after its send the marker sounds in the talker's own packet (ms): the codec's
    /// delay and the detector's block, subtracted from every latency below.
    pub marker_onset_ms: f64,
    /// Added latency, median (ms): when the probe hears the marker less when it would have heard
    /// the talker's packet played on arrival.
    pub latency_ms_p50: Option<f64>,
    /// Added latency, 99th percentile (ms).
    pub latency_ms_p99: Option<f64>,
    /// Added latency, worst (ms).
    pub latency_ms_max: Option<f64>,
    /// Bridge CPU, percent of one core.
    pub bridge_cpu_percent: f64,
    /// `set_up / (bridge CPU seconds per second)`.
    pub participants_per_core: Option<f64>,
    /// Bridge resident memory before the first call (KiB).
    pub bridge_rss_kb_before: u64,
    /// Bridge resident memory at the end of the window (KiB).
    pub bridge_rss_kb_steady: u64,
    /// Growth of resident memory per participant (KiB).
    pub rss_kb_per_participant: Option<f64>,
    /// Mixer ticks in the window (all mixer threads).
    pub mixer_ticks: u64,
    /// Mixer ticks that overran their 20 ms.
    pub mixer_tick_overruns: u64,
    /// Mixer busy time as a percent of one core.
    pub mixer_busy_percent: f64,
    /// Packets the bridge dropped before its mixer (queue full, unknown leg).
    pub bridge_rtp_dropped: u64,
    /// Packets the bridge's jitter buffers counted lost.
    pub bridge_jitter_lost: u64,
    /// Frames the bridge concealed.
    pub bridge_frames_concealed: u64,
    /// The generator's own CPU, percent of one core.
    pub generator_cpu_percent: f64,
    /// Generator ticks that started more than a tick late.
    pub generator_late_ticks: u64,
    /// Packets the generator could not send.
    pub generator_send_errors: u64,
    /// Clock ticks per second used to read `/proc`.
    pub clk_tck: u64,
}

fn opt(v: Option<f64>, unit: &str) -> String {
    v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.1}{unit}"))
}

impl Report {
    /// The report for people.
    pub fn human(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "pont load: {} calls, {} conferences of {} ({} talking), {}, {:.1} s measured",
            self.calls, self.conferences, self.size, self.talkers, self.codec, self.window_seconds
        );
        let _ = writeln!(
            s,
            "  calls      set up {} / {} (answered {}), failed {}, dropped by the bridge {}, BYE 200 {} / {}",
            self.set_up,
            self.calls,
            self.answered,
            self.failed,
            self.dropped_by_bridge,
            self.bye_ok,
            self.byes_sent
        );
        for f in &self.failures {
            let _ = writeln!(s, "             {f}");
        }
        let _ = writeln!(
            s,
            "  received   {} packets, lost {} ({:.3} %), worst leg {}, legs without media {}",
            self.packets_received,
            self.packets_lost,
            self.loss_percent,
            self.worst_leg_lost,
            self.legs_without_media
        );
        let _ = writeln!(
            s,
            "  jitter     mean {:.2} ms, worst leg {:.2} ms",
            self.jitter_ms_mean, self.jitter_ms_worst
        );
        let _ = writeln!(
            s,
            "  latency    p50 {}, p99 {}, max {} ({} of {} markers, {} unmatched)",
            opt(self.latency_ms_p50, " ms"),
            opt(self.latency_ms_p99, " ms"),
            opt(self.latency_ms_max, " ms"),
            self.markers_detected,
            self.markers_sent,
            self.markers_unmatched
        );
        let _ = writeln!(
            s,
            "             added by the bridge: from {:.1} ms after the send, when the sent packet \
             itself sounds the marker",
            self.marker_onset_ms
        );
        let _ = writeln!(
            s,
            "  bridge     CPU {:.1} % of a core → {} participants per core",
            self.bridge_cpu_percent,
            opt(self.participants_per_core, "")
        );
        let _ = writeln!(
            s,
            "             RSS {} KiB → {} KiB ({} KiB per participant)",
            self.bridge_rss_kb_before,
            self.bridge_rss_kb_steady,
            opt(self.rss_kb_per_participant, "")
        );
        let _ = writeln!(
            s,
            "             mixer ticks {}, overruns {}, busy {:.1} % of a core",
            self.mixer_ticks, self.mixer_tick_overruns, self.mixer_busy_percent
        );
        let _ = writeln!(
            s,
            "             dropped before the mixer {}, jitter-buffer lost {}, concealed {}",
            self.bridge_rtp_dropped, self.bridge_jitter_lost, self.bridge_frames_concealed
        );
        let _ = writeln!(
            s,
            "  generator  CPU {:.1} % of a core, late ticks {}, send errors {} (shares the machine)",
            self.generator_cpu_percent, self.generator_late_ticks, self.generator_send_errors
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_one_line_and_human_names_the_figures() {
        let r = Report {
            codec: "pcmu".into(),
            calls: 20,
            set_up: 20,
            answered: 20,
            latency_ms_p50: Some(42.0),
            ..Report::default()
        };
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["set_up"], 20);
        assert_eq!(v["latency_ms_p50"], 42.0);
        assert!(v["latency_ms_p99"].is_null());
        let text = r.human();
        assert!(text.contains("set up 20 / 20 (answered 20)"), "{text}");
        assert!(text.contains("p50 42.0 ms, p99 n/a"), "{text}");
    }
}
