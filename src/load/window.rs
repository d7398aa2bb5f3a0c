//! The measurement window of a load run: waiting for every call to be set up and joined, the
//! warm-up, the samples of CPU time and metrics at both ends, and turning what the legs and the
//! samples say into the [`Report`]'s figures.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{bridge, io, recv, rx, LoadArgs, LoadError, Report, Shared, Target};

/// Sleep `d` in steps, returning false early when `stop` is set.
pub(super) fn nap(d: Duration, stop: &AtomicBool) -> bool {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        std::thread::sleep((end - Instant::now()).min(Duration::from_millis(50)));
    }
    !stop.load(Ordering::Relaxed)
}

/// A snapshot of the figures that are read as deltas over the window.
struct Sample {
    at: Instant,
    bridge_ticks: u64,
    own_ticks: u64,
    metrics: String,
}

fn sample(target: &Target) -> Result<Sample, LoadError> {
    Ok(Sample {
        at: Instant::now(),
        bridge_ticks: bridge::cpu_ticks(&target.pid).map_err(io("reading the bridge's /proc"))?,
        own_ticks: bridge::cpu_ticks("self").map_err(io("reading /proc/self"))?,
        metrics: bridge::fetch_metrics(target.metrics.0, &target.metrics.1)?,
    })
}

/// What the window measured.
pub(super) struct Window {
    /// The bridge's `calls_joined_total` once the calls were set up.
    pub(super) joined: f64,
    start: Sample,
    end: Sample,
    rss_steady: u64,
}

/// Wait for the calls, warm up, measure the window.
pub(super) fn measure(
    args: &LoadArgs,
    target: &Target,
    shared: &Shared,
    stop: &AtomicBool,
    joined_before: f64,
) -> Result<Window, LoadError> {
    let calls = args.calls;
    let mut last_print = Instant::now();
    loop {
        let done = shared.answered.load(Ordering::Relaxed) + shared.failed.load(Ordering::Relaxed);
        if done >= calls {
            break;
        }
        if !nap(Duration::from_millis(100), stop) {
            return Err(LoadError::Interrupted);
        }
        if last_print.elapsed() >= Duration::from_secs(1) {
            last_print = Instant::now();
            eprintln!(
                "set up {}/{calls} ({} failed)",
                shared.answered.load(Ordering::Relaxed),
                shared.failed.load(Ordering::Relaxed)
            );
        }
    }
    // The bridge joins a direct-dial caller ~300 ms after the ACK: wait for its count.
    let answered = shared.answered.load(Ordering::Relaxed) as f64;
    let base = joined_before;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut joined;
    loop {
        let text = bridge::fetch_metrics(target.metrics.0, &target.metrics.1)?;
        joined = bridge::metric(&text, "pont_calls_joined_total");
        if joined - base >= answered || Instant::now() > deadline {
            break;
        }
        if !nap(Duration::from_millis(100), stop) {
            return Err(LoadError::Interrupted);
        }
    }
    eprintln!(
        "set up {}/{calls}, joined {}; warming up 2 s, then measuring {} s",
        answered,
        joined - base,
        args.seconds
    );
    // Nothing to measure when no call got through: a zero-length window, reported as such.
    let (warm_up, window) = if answered > 0.0 {
        (Duration::from_secs(2), Duration::from_secs(args.seconds))
    } else {
        (Duration::ZERO, Duration::ZERO)
    };
    if !nap(warm_up, stop) {
        return Err(LoadError::Interrupted);
    }
    shared
        .window_start
        .store(shared.since_base(Instant::now()), Ordering::Relaxed);
    shared.epoch.fetch_add(1, Ordering::Relaxed);
    shared.measuring.store(true, Ordering::Relaxed);
    let start = sample(target)?;
    let finished = nap(window, stop);
    let end = sample(target);
    shared.measuring.store(false, Ordering::Relaxed);
    let end = end?;
    let rss_steady = bridge::rss_kb(&target.pid).map_err(io("reading the bridge's /proc"))?;
    if !finished {
        return Err(LoadError::Interrupted);
    }
    Ok(Window {
        joined,
        start,
        end,
        rss_steady,
    })
}

pub(super) fn fill_reception(r: &mut Report, legs: &[recv::LegResult], rate: u32) {
    let mut latencies = Vec::new();
    let mut jitter_sum = 0.0;
    let mut with_media = 0usize;
    let mut expected = 0u64;
    for l in legs {
        r.packets_received += l.stats.received;
        r.packets_lost += l.stats.lost();
        expected += l.stats.expected();
        r.worst_leg_lost = r.worst_leg_lost.max(l.stats.lost());
        r.markers_unmatched += l.unmatched;
        latencies.extend_from_slice(&l.latencies_ms);
        if l.stats.received > 0 {
            with_media += 1;
            let j = l.stats.jitter_ms(rate);
            jitter_sum += j;
            r.jitter_ms_worst = r.jitter_ms_worst.max(j);
        }
    }
    r.legs_without_media = r.answered.saturating_sub(with_media);
    if with_media > 0 {
        r.jitter_ms_mean = jitter_sum / with_media as f64;
    }
    if expected > 0 {
        r.loss_percent = 100.0 * r.packets_lost as f64 / expected as f64;
    }
    latencies.sort_by(f64::total_cmp);
    r.markers_detected = latencies.len();
    r.latency_ms_p50 = rx::quantile(&latencies, 0.5);
    r.latency_ms_p99 = rx::quantile(&latencies, 0.99);
    r.latency_ms_max = latencies.last().copied();
}

pub(super) fn fill_window(r: &mut Report, w: &Window, clk_tck: u64) {
    let wall = w.end.at.duration_since(w.start.at).as_secs_f64();
    r.window_seconds = wall;
    // A window of (almost) nothing, when no call got through, measures nothing.
    let per_core = |ticks: u64| {
        if wall < 0.5 {
            0.0
        } else {
            ticks as f64 / clk_tck as f64 / wall
        }
    };
    let bridge_cores = per_core(w.end.bridge_ticks.saturating_sub(w.start.bridge_ticks));
    r.bridge_cpu_percent = 100.0 * bridge_cores;
    r.participants_per_core = (bridge_cores > 0.0).then(|| r.set_up as f64 / bridge_cores);
    r.generator_cpu_percent = 100.0 * per_core(w.end.own_ticks.saturating_sub(w.start.own_ticks));
    r.bridge_rss_kb_steady = w.rss_steady;
    r.rss_kb_per_participant = (r.set_up > 0)
        .then(|| (w.rss_steady as f64 - r.bridge_rss_kb_before as f64) / r.set_up as f64);
    let delta = |name: &str| {
        (bridge::metric(&w.end.metrics, name) - bridge::metric(&w.start.metrics, name)).max(0.0)
    };
    r.mixer_ticks = delta("pont_mixer_ticks_total") as u64;
    r.mixer_tick_overruns = delta("pont_mixer_tick_overruns_total") as u64;
    r.mixer_busy_percent = if wall < 0.5 {
        0.0
    } else {
        delta("pont_mixer_tick_busy_micros_total") / 1e6 / wall * 100.0
    };
    r.bridge_rtp_dropped = delta("pont_rtp_packets_dropped_total") as u64;
    r.bridge_jitter_lost = delta("pont_jitter_lost_total") as u64;
    r.bridge_frames_concealed = delta("pont_frames_concealed_total") as u64;
}
