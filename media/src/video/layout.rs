//! Conference layouts: which rectangles of the output picture show whom.
//!
//! Four layouts, as MCUs have offered since the Codian days:
//!
//! - **voice-switched**: one tile, the whole picture (the speaker; the speaker sees the previous
//!   one);
//! - **1+N** ("1+5"): the picture is a 3×3 grid of equal cells; the main tile covers the 2×2
//!   cells at the top left, five small tiles take the rest: slots 1 and 2 down the right column
//!   (top, middle), slots 3, 4, 5 along the bottom row from left to right (slot 5 is the bottom
//!   right corner). Every tile has the output's aspect ratio, so a 16:9 output gets 16:9 tiles
//!   and sources are cropped only when they are not 16:9 themselves;
//! - **2×2** and **3×3** continuous presence: equal cells in reading order.
//!
//! Tiles are even-sized, inside the frame, and separated by a black gap of about 1/160 of the
//! width (8 pixels at 1280, at least 2); the grid is centred, so the few pixels rounding leaves
//! over are a margin. Slot 0 is always the main (or first) tile. Pictures too small for the
//! gaps get empty tiles rather than overlapping ones.

use super::Rect;

/// The most tiles any layout has (3×3).
pub const MAX_TILES: usize = 9;

/// A conference layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// One tile filling the picture: the active speaker.
    VoiceSwitched,
    /// One main tile (2×2 cells of a 3×3 grid) and five small ones along the right and bottom.
    OnePlusN,
    /// Four equal tiles.
    Grid2x2,
    /// Nine equal tiles.
    Grid3x3,
}

impl Layout {
    /// Every layout, in the order [`Layout::next`] cycles through them.
    pub const ALL: [Layout; 4] = [
        Layout::VoiceSwitched,
        Layout::OnePlusN,
        Layout::Grid2x2,
        Layout::Grid3x3,
    ];

    /// The canonical name: "voice-switched", "1+n", "2x2", "3x3".
    pub fn name(self) -> &'static str {
        match self {
            Layout::VoiceSwitched => "voice-switched",
            Layout::OnePlusN => "1+n",
            Layout::Grid2x2 => "2x2",
            Layout::Grid3x3 => "3x3",
        }
    }

    /// The layout a name (case-insensitive) stands for: the canonical names and the usual
    /// aliases ("speaker", "vs", "1+5", "cp4", "cp9", "2×2", "3×3", …).
    pub fn from_name(s: &str) -> Option<Layout> {
        const NAMES: [(&str, Layout); 17] = [
            ("voice-switched", Layout::VoiceSwitched),
            ("voice switched", Layout::VoiceSwitched),
            ("voiceswitched", Layout::VoiceSwitched),
            ("speaker", Layout::VoiceSwitched),
            ("vs", Layout::VoiceSwitched),
            ("1+n", Layout::OnePlusN),
            ("1+5", Layout::OnePlusN),
            ("oneplusn", Layout::OnePlusN),
            ("2x2", Layout::Grid2x2),
            ("2×2", Layout::Grid2x2),
            ("cp4", Layout::Grid2x2),
            ("grid2x2", Layout::Grid2x2),
            ("3x3", Layout::Grid3x3),
            ("3×3", Layout::Grid3x3),
            ("cp9", Layout::Grid3x3),
            ("grid3x3", Layout::Grid3x3),
            ("grid", Layout::Grid3x3),
        ];
        let s = s.trim();
        NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|&(_, layout)| layout)
    }

    /// The layout after this one, for the DTMF key that cycles them: voice-switched → 1+N →
    /// 2×2 → 3×3 → voice-switched.
    pub fn next(self) -> Layout {
        match self {
            Layout::VoiceSwitched => Layout::OnePlusN,
            Layout::OnePlusN => Layout::Grid2x2,
            Layout::Grid2x2 => Layout::Grid3x3,
            Layout::Grid3x3 => Layout::VoiceSwitched,
        }
    }

    /// How many tiles it shows: 1, 6 (1 main + 5), 4, 9.
    pub fn capacity(self) -> usize {
        match self {
            Layout::VoiceSwitched => 1,
            Layout::OnePlusN => 6,
            Layout::Grid2x2 => 4,
            Layout::Grid3x3 => 9,
        }
    }

    /// The tiles of a `width` × `height` picture, slot 0 first (the main/large tile); all
    /// even, inside the picture and apart from one another (see the module doc for the
    /// geometry).
    pub fn tiles(self, width: usize, height: usize) -> Vec<Rect> {
        let mut out = [Rect::default(); MAX_TILES];
        let n = self.tiles_into(width, height, &mut out);
        out[..n].to_vec()
    }

    /// [`Layout::tiles`] without allocating: writes the first [`Layout::capacity`] entries of
    /// `out` and returns that count.
    pub fn tiles_into(self, width: usize, height: usize, out: &mut [Rect; MAX_TILES]) -> usize {
        let (width, height) = (width & !1, height & !1);
        match self {
            Layout::VoiceSwitched => out[0] = Rect::new(0, 0, width, height),
            Layout::Grid2x2 | Layout::Grid3x3 => {
                let n = if self == Layout::Grid2x2 { 2 } else { 3 };
                let grid = Grid::new(n, width, height);
                for (i, slot) in out.iter_mut().take(n * n).enumerate() {
                    *slot = grid.cells(i % n, i / n, 1);
                }
            }
            Layout::OnePlusN => {
                let grid = Grid::new(3, width, height);
                out[0] = grid.cells(0, 0, 2);
                // Right column top and middle, then the bottom row left to right.
                for (slot, (col, row)) in [(2, 0), (2, 1), (0, 2), (1, 2), (2, 2)]
                    .into_iter()
                    .enumerate()
                {
                    out[slot + 1] = grid.cells(col, row, 1);
                }
            }
        }
        self.capacity()
    }
}

impl std::fmt::Display for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An n×n grid of equal even cells with even gaps, centred in the picture.
struct Grid {
    left: usize,
    top: usize,
    cell_w: usize,
    cell_h: usize,
    gap: usize,
}

impl Grid {
    fn new(n: usize, width: usize, height: usize) -> Grid {
        // About 1/160 of the width, even, at least 2: 8 px at 1280, 4 at 640, 2 at 320.
        let gap = ((width / 160) & !1).max(2);
        let cell = |len: usize| (len.saturating_sub((n - 1) * gap) / n) & !1;
        let (cell_w, cell_h) = (cell(width), cell(height));
        let margin =
            |len: usize, cell: usize| (len.saturating_sub(n * cell + (n - 1) * gap) / 2) & !1;
        Grid {
            left: margin(width, cell_w),
            top: margin(height, cell_h),
            cell_w,
            cell_h,
            gap,
        }
    }

    /// The tile covering `span` × `span` cells from (`col`, `row`), gaps between them included.
    /// Empty when the cells are (a picture too small for its gaps).
    fn cells(&self, col: usize, row: usize, span: usize) -> Rect {
        if self.cell_w == 0 || self.cell_h == 0 {
            return Rect::new(self.left, self.top, 0, 0);
        }
        Rect::new(
            self.left + col * (self.cell_w + self.gap),
            self.top + row * (self.cell_h + self.gap),
            span * self.cell_w + (span - 1) * self.gap,
            span * self.cell_h + (span - 1) * self.gap,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_are_even_inside_apart_and_slot_0_is_largest() {
        for layout in Layout::ALL {
            for (w, h) in [
                (1280, 720),
                (640, 360),
                (320, 180),
                (1920, 1080),
                (352, 288),
            ] {
                let tiles = layout.tiles(w, h);
                assert_eq!(tiles.len(), layout.capacity(), "{layout} {w}x{h}");
                for (i, t) in tiles.iter().enumerate() {
                    assert!(!t.is_empty(), "{layout} {w}x{h} slot {i}");
                    assert!(t.right() <= w && t.bottom() <= h, "{layout} {w}x{h} {t:?}");
                    for v in [t.x, t.y, t.width, t.height] {
                        assert_eq!(v % 2, 0, "{layout} {w}x{h} {t:?}");
                    }
                    assert!(tiles[0].area() >= t.area(), "{layout} {w}x{h}");
                    for (j, u) in tiles.iter().enumerate().skip(i + 1) {
                        assert!(!t.overlaps(u), "{layout} {w}x{h} slots {i} {j}");
                        // Not touching either: a gap separates every pair.
                        let apart = t.right() < u.x
                            || u.right() < t.x
                            || t.bottom() < u.y
                            || u.bottom() < t.y;
                        assert!(apart, "{layout} {w}x{h} slots {i} {j} touch");
                    }
                }
            }
        }
    }

    #[test]
    fn geometry_at_720p() {
        assert_eq!(
            Layout::VoiceSwitched.tiles(1280, 720),
            [Rect::new(0, 0, 1280, 720)]
        );
        // 2×2: cells (1280 − 8) / 2 = 636 by (720 − 8) / 2 = 356.
        assert_eq!(
            Layout::Grid2x2.tiles(1280, 720),
            [
                Rect::new(0, 0, 636, 356),
                Rect::new(644, 0, 636, 356),
                Rect::new(0, 364, 636, 356),
                Rect::new(644, 364, 636, 356),
            ]
        );
        // 1+N: the main tile is two cells and a gap each way, 16:9 like the small ones.
        let t = Layout::OnePlusN.tiles(1280, 720);
        // Cells 420 × 234; rounding leaves a 2-pixel margin left and right, none at the top.
        assert_eq!(t[0], Rect::new(2, 0, 848, 476));
        assert_eq!(t[1], Rect::new(858, 0, 420, 234));
        assert_eq!(t[5], Rect::new(858, 484, 420, 234));
        assert_eq!(t[3], Rect::new(2, 484, 420, 234));
        // 3×3 shares the 1+N grid.
        assert_eq!(
            Layout::Grid3x3.tiles(1280, 720)[4],
            Rect::new(430, 242, 420, 234)
        );
    }

    #[test]
    fn tiny_pictures_give_empty_tiles_not_overlaps() {
        for layout in Layout::ALL {
            let tiles = layout.tiles(6, 4);
            assert_eq!(tiles.len(), layout.capacity());
            for (i, t) in tiles.iter().enumerate() {
                assert!(t.right() <= 6 && t.bottom() <= 4);
                for u in &tiles[i + 1..] {
                    assert!(!t.overlaps(u));
                }
            }
        }
    }

    #[test]
    fn names_round_trip_and_aliases() {
        for layout in Layout::ALL {
            assert_eq!(Layout::from_name(layout.name()), Some(layout));
            assert_eq!(
                Layout::from_name(&layout.name().to_uppercase()),
                Some(layout)
            );
        }
        for (alias, layout) in [
            ("Speaker", Layout::VoiceSwitched),
            ("1+5", Layout::OnePlusN),
            ("1+N", Layout::OnePlusN),
            ("CP4", Layout::Grid2x2),
            ("cp9", Layout::Grid3x3),
            ("2×2", Layout::Grid2x2),
            ("3×3", Layout::Grid3x3),
            (" 3X3 ", Layout::Grid3x3),
        ] {
            assert_eq!(Layout::from_name(alias), Some(layout), "{alias}");
        }
        for bad in ["", "4x4", "2x", "voice", "1+"] {
            assert_eq!(Layout::from_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn next_cycles_through_all_four() {
        let mut seen = vec![Layout::VoiceSwitched];
        let mut l = Layout::VoiceSwitched.next();
        while l != Layout::VoiceSwitched {
            seen.push(l);
            l = l.next();
            assert!(seen.len() <= 4, "no cycle back");
        }
        assert_eq!(seen, Layout::ALL);
    }
}
