//! Composing allocates nothing in steady state: once a [`Compositor`] has drawn, every layout at
//! two output sizes, with video, audio-only and empty tiles and a moving highlight, plus direct
//! [`scale_into`] / [`fill_rect`] calls, allocates nothing on this thread (a counting global
//! allocator checks it).

mod counting_alloc;

use media::video::{fill_rect, scale_into, Compositor, Frame, Layout, Rect, Tile, Yuv};

use counting_alloc::allocations;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

/// A picture with some structure (a diagonal gradient), so the scaler works on real samples.
fn picture(width: usize, height: usize, seed: u8) -> Frame {
    let mut f = Frame::new(width, height);
    let (y, u, v) = f.planes_mut();
    for (i, s) in y.iter_mut().enumerate() {
        *s = 16 + ((i % width + i / width + usize::from(seed)) % 220) as u8;
    }
    u.fill(seed);
    v.fill(255 - seed);
    f
}

#[test]
fn compose_and_scale_allocate_nothing_once_warmed() {
    let sources: Vec<Frame> = (0..8)
        .map(|i| picture(640 - 64 * (i % 3), 360, 40 + 20 * i as u8))
        .collect();
    let mut tiles: Vec<Tile> = sources.iter().map(Tile::Video).collect();
    tiles.insert(2, Tile::AudioOnly { name: "Zoë Ng" });
    tiles.insert(5, Tile::Empty);
    tiles.insert(
        6,
        Tile::AudioOnly {
            name: "A very long name that will not fit",
        },
    );
    let mut outs = [Frame::new(1280, 720), Frame::new(640, 360)];
    let mut compositor = Compositor::new();
    for out in &mut outs {
        for layout in Layout::ALL {
            compositor.compose(layout, &tiles, Some(0), out);
        }
    }

    let before = allocations();
    for round in 0..5 {
        for out in &mut outs {
            for layout in Layout::ALL {
                let highlight = (round % 3 != 0).then_some(round % 10);
                compositor.compose(layout, &tiles[..round + 5], highlight, out);
            }
            scale_into(&sources[round], out, Rect::new(100, 60, 320, 180));
            fill_rect(out, Rect::new(0, 0, 64, 64), Yuv::from_rgb(1, 2, 3));
        }
    }
    assert_eq!(allocations() - before, 0, "allocations while composing");

    // The counter does count on this thread: the convenience `Layout::tiles` allocates.
    let before = allocations();
    let rects = Layout::Grid3x3.tiles(1280, 720);
    assert_eq!(rects.len(), 9);
    assert!(allocations() > before);
}
