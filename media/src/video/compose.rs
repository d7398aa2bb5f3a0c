//! The compositor: draws one receiver's picture from the decoded senders' frames, a [`Layout`]
//! and the slot order the caller chose (usually [`super::ActiveSpeaker::recent`]).
//!
//! A video tile is the sender's frame scaled to fill its tile ([`scale_into`], centre crop);
//! an audio-only participant is a dark grey tile with the name centred in white (the bitmap
//! font of `font.rs`); an empty slot shows the background. Background and gaps are black. An
//! optional highlight outlines one slot in yellow, inside the tile so that the gaps stay
//! black. Nothing is allocated per picture.

use super::font;
use super::layout::MAX_TILES;
use super::{fill_rect, scale_into, Frame, Layout, Rect, Yuv};

/// What one tile shows.
#[derive(Debug, Clone, Copy)]
pub enum Tile<'a> {
    /// A participant's decoded picture.
    Video(&'a Frame),
    /// A participant without video (audio-only phone, video muted): its name on grey.
    AudioOnly {
        /// The display name (anything; unprintable characters show as '?').
        name: &'a str,
    },
    /// Nobody: the background.
    Empty,
}

/// Draws layouts; owns nothing per frame (no allocation per compose once warmed).
#[derive(Debug, Clone)]
pub struct Compositor {
    /// The current layout's tiles, recomputed per compose (cheap, and no allocation).
    rects: [Rect; MAX_TILES],
}

impl Default for Compositor {
    fn default() -> Self {
        Compositor::new()
    }
}

impl Compositor {
    /// Background and gaps.
    pub const BACKGROUND: Yuv = Yuv::BLACK;
    /// The background of an audio-only tile: dark grey (RGB 37, 37, 37).
    pub const AUDIO_ONLY: Yuv = Yuv {
        y: 48,
        u: 128,
        v: 128,
    };
    /// The name on an audio-only tile: white (RGB 255, 255, 255).
    pub const TEXT: Yuv = Yuv {
        y: 235,
        u: 128,
        v: 128,
    };
    /// The highlight outline: yellow (RGB 255, 210, 0).
    pub const HIGHLIGHT: Yuv = Yuv {
        y: 188,
        u: 29,
        v: 162,
    };

    /// A compositor.
    pub fn new() -> Self {
        Compositor {
            rects: [Rect::default(); MAX_TILES],
        }
    }

    /// Draw `tiles` (slot order: slot 0 = main/large tile) into `out` with `layout`'s geometry
    /// for `out`'s size; slots beyond the tiles given are background; tiles beyond capacity
    /// ignored. `highlight`: the slot to outline (the active speaker in a grid), if any; a
    /// slot the layout does not have is ignored.
    pub fn compose(
        &mut self,
        layout: Layout,
        tiles: &[Tile<'_>],
        highlight: Option<usize>,
        out: &mut Frame,
    ) {
        out.fill(Self::BACKGROUND);
        let n = layout.tiles_into(out.width(), out.height(), &mut self.rects);
        for (slot, &rect) in self.rects[..n].iter().enumerate() {
            match tiles.get(slot) {
                Some(Tile::Video(frame)) => scale_into(frame, out, rect),
                Some(Tile::AudioOnly { name }) => {
                    fill_rect(out, rect, Self::AUDIO_ONLY);
                    font::draw_text(out, rect, name.trim(), Self::TEXT);
                }
                Some(Tile::Empty) | None => {}
            }
        }
        if let Some(&rect) = highlight.and_then(|slot| self.rects[..n].get(slot)) {
            outline(out, rect, Self::HIGHLIGHT);
        }
    }
}

/// A frame drawn just inside `rect`: about 1/48 of its smaller side, even, at least 2 pixels.
fn outline(out: &mut Frame, rect: Rect, colour: Yuv) {
    let t = ((rect.width.min(rect.height) / 48) & !1).max(2);
    if rect.width < 2 * t || rect.height < 2 * t {
        fill_rect(out, rect, colour);
        return;
    }
    let Rect {
        x,
        y,
        width,
        height,
    } = rect;
    fill_rect(out, Rect::new(x, y, width, t), colour);
    fill_rect(out, Rect::new(x, y + height - t, width, t), colour);
    fill_rect(out, Rect::new(x, y + t, t, height - 2 * t), colour);
    fill_rect(
        out,
        Rect::new(x + width - t, y + t, t, height - 2 * t),
        colour,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Yuv, b: Yuv) -> bool {
        (i32::from(a.y) - i32::from(b.y)).abs() <= 2
            && (i32::from(a.u) - i32::from(b.u)).abs() <= 2
            && (i32::from(a.v) - i32::from(b.v)).abs() <= 2
    }

    /// Nine clearly different colours.
    fn colours() -> [Yuv; 9] {
        [
            (255, 0, 0),
            (0, 200, 0),
            (0, 0, 255),
            (255, 255, 0),
            (0, 255, 255),
            (255, 0, 255),
            (255, 128, 0),
            (128, 0, 255),
            (200, 200, 200),
        ]
        .map(|(r, g, b)| Yuv::from_rgb(r, g, b))
    }

    fn solid(w: usize, h: usize, c: Yuv) -> Frame {
        let mut f = Frame::new(w, h);
        f.fill(c);
        f
    }

    fn centre(r: Rect) -> (usize, usize) {
        (r.x + r.width / 2, r.y + r.height / 2)
    }

    /// Every pixel of `f` for which `select` holds equals `c` (luma and the chroma block).
    fn all_pixels(f: &Frame, c: Yuv, select: impl Fn(usize, usize) -> bool) -> usize {
        let mut n = 0;
        for y in 0..f.height() {
            for x in 0..f.width() {
                if select(x, y) {
                    assert_eq!(f.pixel(x, y), c, "({x},{y})");
                    n += 1;
                }
            }
        }
        n
    }

    #[test]
    fn colours_are_the_rgb_they_say() {
        assert_eq!(Compositor::AUDIO_ONLY, Yuv::from_rgb(37, 37, 37));
        assert_eq!(Compositor::TEXT, Yuv::from_rgb(255, 255, 255));
        assert_eq!(Compositor::HIGHLIGHT, Yuv::from_rgb(255, 210, 0));
    }

    #[test]
    fn grid_2x2_shows_each_tile_in_its_place_with_black_gaps() {
        let cs = colours();
        let sources: Vec<Frame> = cs[..4].iter().map(|&c| solid(640, 360, c)).collect();
        let tiles: Vec<Tile> = sources.iter().map(Tile::Video).collect();
        let mut out = Frame::new(1280, 720);
        out.fill(Yuv::from_rgb(9, 99, 199));
        Compositor::new().compose(Layout::Grid2x2, &tiles, None, &mut out);
        let rects = Layout::Grid2x2.tiles(1280, 720);
        for (slot, r) in rects.iter().enumerate() {
            let (x, y) = centre(*r);
            assert!(close(out.pixel(x, y), cs[slot]), "slot {slot}");
            assert!(close(out.pixel(r.x, r.y), cs[slot]), "slot {slot} corner");
            let (x1, y1) = (r.right() - 1, r.bottom() - 1);
            assert!(close(out.pixel(x1, y1), cs[slot]), "slot {slot} corner");
        }
        // Everything outside the tiles (the cross of gaps) is black.
        let gaps = all_pixels(&out, Yuv::BLACK, |x, y| {
            !rects.iter().any(|r| r.contains(x, y))
        });
        assert_eq!(gaps, 1280 * 720 - 4 * 636 * 356);
    }

    #[test]
    fn voice_switched_is_one_tile_filling_the_frame() {
        let c = colours()[6];
        let src = solid(352, 288, c);
        let other = solid(352, 288, colours()[0]);
        let mut out = Frame::new(1280, 720);
        // Tiles beyond the layout's one are ignored.
        let tiles = [Tile::Video(&src), Tile::Video(&other)];
        Compositor::new().compose(Layout::VoiceSwitched, &tiles, None, &mut out);
        assert_eq!(all_pixels(&out, c, |_, _| true), 1280 * 720);
    }

    #[test]
    fn grid_3x3_with_five_tiles_leaves_four_slots_background() {
        let cs = colours();
        let sources: Vec<Frame> = cs[..5].iter().map(|&c| solid(320, 180, c)).collect();
        let tiles: Vec<Tile> = sources.iter().map(Tile::Video).collect();
        let mut out = Frame::new(640, 360);
        Compositor::new().compose(Layout::Grid3x3, &tiles, None, &mut out);
        let rects = Layout::Grid3x3.tiles(640, 360);
        for (slot, r) in rects.iter().enumerate() {
            if slot < 5 {
                let (x, y) = centre(*r);
                assert!(close(out.pixel(x, y), cs[slot]), "slot {slot}");
            } else {
                all_pixels(&out, Compositor::BACKGROUND, |x, y| r.contains(x, y));
            }
        }
        // An explicit Empty is the same as no tile.
        let mut explicit = Frame::new(640, 360);
        let mut tiles = tiles.clone();
        tiles.extend([Tile::Empty; 4]);
        Compositor::new().compose(Layout::Grid3x3, &tiles, None, &mut explicit);
        assert_eq!(explicit, out);
    }

    #[test]
    fn audio_only_tile_has_its_name_in_white_inside_it() {
        let cs = colours();
        let a = solid(640, 360, cs[0]);
        let b = solid(640, 360, cs[2]);
        let tiles = [
            Tile::Video(&a),
            Tile::AudioOnly { name: "Zoë Ng" },
            Tile::Video(&b),
        ];
        let mut out = Frame::new(1280, 720);
        Compositor::new().compose(Layout::Grid2x2, &tiles, None, &mut out);
        let r = Layout::Grid2x2.tiles(1280, 720)[1];
        let (mut in_band, mut elsewhere) = (0, 0);
        for y in 0..720 {
            for x in 0..1280 {
                if out.pixel(x, y) == Compositor::TEXT {
                    assert!(r.contains(x, y), "white at ({x},{y}) outside the tile");
                    if y >= r.y + r.height / 3 && y < r.y + 2 * r.height / 3 {
                        in_band += 1;
                    } else {
                        elsewhere += 1;
                    }
                }
            }
        }
        assert!(in_band > 500, "{in_band} white pixels in the centre band");
        assert_eq!(elsewhere, 0);
        // The rest of the tile is the dark grey, corners included.
        for (x, y) in [
            (r.x, r.y),
            (r.right() - 1, r.bottom() - 1),
            (r.x + 4, centre(r).1),
        ] {
            assert_eq!(out.pixel(x, y), Compositor::AUDIO_ONLY);
        }
        // The other tiles are untouched by it.
        assert!(close(
            out.pixel(centre(Layout::Grid2x2.tiles(1280, 720)[2]).0, 540),
            cs[2]
        ));
    }

    #[test]
    fn highlight_outlines_only_the_chosen_slot() {
        let src = solid(640, 360, colours()[2]);
        let tiles = [Tile::Video(&src); 6];
        let mut out = Frame::new(1280, 720);
        let mut c = Compositor::new();
        for layout in [Layout::Grid2x2, Layout::Grid3x3, Layout::OnePlusN] {
            let rects = layout.tiles(1280, 720);
            for slot in [0, 2] {
                c.compose(layout, &tiles, Some(slot), &mut out);
                let r = rects[slot];
                let mut lit = 0;
                for y in 0..720 {
                    for x in 0..1280 {
                        if out.pixel(x, y) == Compositor::HIGHLIGHT {
                            assert!(r.contains(x, y), "{layout} slot {slot}: ({x},{y})");
                            lit += 1;
                        }
                    }
                }
                // All four sides, and not the middle.
                let (cx, cy) = centre(r);
                for (x, y) in [
                    (r.x, cy),
                    (r.right() - 1, cy),
                    (cx, r.y),
                    (cx, r.bottom() - 1),
                ] {
                    assert_eq!(out.pixel(x, y), Compositor::HIGHLIGHT, "{layout} {slot}");
                }
                assert_ne!(out.pixel(cx, cy), Compositor::HIGHLIGHT);
                assert!(lit < r.area() / 4, "{layout} slot {slot}: {lit}");
            }
            // None, or a slot the layout lacks: no outline anywhere.
            for highlight in [None, Some(9)] {
                c.compose(layout, &tiles, highlight, &mut out);
                let none = (0..720)
                    .flat_map(|y| (0..1280).map(move |x| (x, y)))
                    .all(|(x, y)| out.pixel(x, y) != Compositor::HIGHLIGHT);
                assert!(none, "{layout} {highlight:?}");
            }
        }
    }

    #[test]
    fn one_plus_n_puts_slot_0_in_the_large_tile() {
        let cs = colours();
        // A 4:3 main picture in a 16:9 tile, the others small.
        let main = solid(640, 480, cs[3]);
        let small = solid(320, 180, cs[4]);
        let tiles = [Tile::Video(&main), Tile::Video(&small)];
        let mut out = Frame::new(1280, 720);
        Compositor::new().compose(Layout::OnePlusN, &tiles, None, &mut out);
        let rects = Layout::OnePlusN.tiles(1280, 720);
        all_pixels(&out, cs[3], |x, y| rects[0].contains(x, y));
        all_pixels(&out, cs[4], |x, y| rects[1].contains(x, y));
        all_pixels(&out, Yuv::BLACK, |x, y| rects[5].contains(x, y));
    }
}
