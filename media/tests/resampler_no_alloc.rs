//! The resampler runs on the mixer thread for every leg and tick, so `process` must never
//! allocate, and once the filters are prepared neither may `new`, `clone` nor `reset`. A counting
//! global allocator checks it on this thread.

mod counting_alloc;

use media::resampler::Resampler;

use counting_alloc::allocations;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

#[test]
fn resampler_process_new_clone_and_reset_do_not_allocate() {
    let rates = [8000u32, 16000, 48000];
    let input = media::goertzel::tone(440.0, 48000.0, 0.5, 0, 960);
    let mut out = vec![0i16; 960 * 2];
    Resampler::prepare();
    let before = allocations();
    let mut frames = 0;
    for from in rates {
        for to in rates {
            let mut rs = Resampler::new(from, to).expect("supported");
            let (fi, fo) = (rs.frame_in(), rs.frame_out());
            for _ in 0..10 {
                rs.process(&input[..fi], &mut out[..fo]);
                frames += 1;
            }
            // Mismatched lengths take the same path.
            rs.process(&input[..fi / 2], &mut out[..fo * 2]);
            let mut copy = rs.clone();
            copy.reset();
            copy.process(&input[..fi], &mut out[..fo]);
        }
    }
    assert_eq!(allocations() - before, 0, "{frames} frames");
    // The counter does count (so the assertion above can fail).
    let v = std::hint::black_box(vec![1u8; 10]);
    assert!(allocations() > before, "{}", v.len());
}
