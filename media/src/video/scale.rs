//! Bilinear scaling of a whole picture into a rectangle of another, and plain rectangle fills:
//! the two drawing primitives of the compositor.
//!
//! Scaling keeps the source's aspect ratio by cropping its centre to the rectangle's shape
//! ("fill", as room systems show continuous presence: no letterbox bars, the edges of a 4:3
//! camera are lost in a 16:9 tile). Sampling is bilinear at pixel centres in 16.16 fixed point
//! with 8-bit weights, so a solid colour stays exactly solid and a monotone ramp stays monotone.
//! The work is separable: per output row the two source rows are blended into a row buffer,
//! then each output sample comes from two of its entries. Nothing here allocates: the buffers
//! (one row, one column table) live on the stack.
//!
//! A rectangle nearly the source's size (no larger, and at least [`NEAR_SIZE`] of it in each
//! axis: the 636×356 cells of a 2×2 grid at 720p showing 640×360 cameras) is not scaled: the
//! centred rect-sized window of the source is copied. A 0.99× bilinear pass would blur every
//! pixel for a loss of a few edge pixels, and cost a scaling pass; the window starts at even
//! offsets so the chroma samples stay aligned with their luma.
//!
//! Rectangles are meant to be even (4:2:0 chroma covers 2×2 pixels). An odd one is shrunk to the
//! even pixels inside it (left/top edge rounded up, right/bottom edge down), so a drawing never
//! touches a pixel outside the rectangle it was given; the part outside the frame is clipped,
//! the visible part showing what it would show were the frame larger.

use super::{Frame, Yuv};

/// A rectangle of a frame, in pixels; x, y, width, height all even.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rect {
    /// Left edge (first column inside).
    pub x: usize,
    /// Top edge (first row inside).
    pub y: usize,
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
}

impl Rect {
    /// A rectangle from its left, top, width and height.
    pub const fn new(x: usize, y: usize, width: usize, height: usize) -> Rect {
        Rect {
            x,
            y,
            width,
            height,
        }
    }

    /// The first column to the right of the rectangle.
    pub const fn right(&self) -> usize {
        self.x + self.width
    }

    /// The first row below the rectangle.
    pub const fn bottom(&self) -> usize {
        self.y + self.height
    }

    /// Width × height.
    pub const fn area(&self) -> usize {
        self.width * self.height
    }

    /// No pixel inside.
    pub const fn is_empty(&self) -> bool {
        self.width == 0 || self.height == 0
    }

    /// Whether pixel (`x`, `y`) is inside.
    pub const fn contains(&self, x: usize, y: usize) -> bool {
        x >= self.x && x < self.right() && y >= self.y && y < self.bottom()
    }

    /// Whether the two rectangles share a pixel.
    pub const fn overlaps(&self, other: &Rect) -> bool {
        !self.is_empty()
            && !other.is_empty()
            && self.x < other.right()
            && other.x < self.right()
            && self.y < other.bottom()
            && other.y < self.bottom()
    }
}

/// Where a drawing lands, as half-open pixel bounds: `full` is the even rectangle as given
/// (possibly past the frame's edges), `clip` the part of it inside the frame.
#[derive(Debug, Clone, Copy)]
struct Area {
    full: [usize; 4],
    clip: [usize; 4],
}

impl Area {
    /// The even pixels of `rect` and their part inside a `width` × `height` frame; `None` when
    /// nothing would be drawn.
    fn of(rect: Rect, width: usize, height: usize) -> Option<Area> {
        let x0 = rect.x.saturating_add(1) & !1;
        let y0 = rect.y.saturating_add(1) & !1;
        let x1 = rect.x.saturating_add(rect.width) & !1;
        let y1 = rect.y.saturating_add(rect.height) & !1;
        if x1 <= x0 || y1 <= y0 {
            return None;
        }
        let (cx1, cy1) = (x1.min(width), y1.min(height));
        if cx1 <= x0 || cy1 <= y0 {
            return None;
        }
        Some(Area {
            full: [x0, y0, x1, y1],
            clip: [x0, y0, cx1, cy1],
        })
    }

    /// The same area in the half-size chroma planes.
    fn halved(self) -> Area {
        Area {
            full: self.full.map(|v| v / 2),
            clip: self.clip.map(|v| v / 2),
        }
    }
}

/// Paint a rect one colour.
///
/// Clipped to the frame like [`scale_into`]; an empty rect does nothing.
pub fn fill_rect(dst: &mut Frame, rect: Rect, colour: Yuv) {
    let Some(area) = Area::of(rect, dst.width(), dst.height()) else {
        return;
    };
    let width = dst.width();
    let (y, u, v) = dst.planes_mut();
    fill_plane(y, width, area.clip, colour.y);
    let half = area.halved().clip;
    fill_plane(u, width / 2, half, colour.u);
    fill_plane(v, width / 2, half, colour.v);
}

/// Set the samples inside the half-open bounds `[x0, y0, x1, y1]` of a plane.
fn fill_plane(plane: &mut [u8], stride: usize, [x0, y0, x1, y1]: [usize; 4], value: u8) {
    for row in plane.chunks_exact_mut(stride).take(y1).skip(y0) {
        row[x0..x1].fill(value);
    }
}

/// One in 16.16 fixed point.
const ONE: i64 = 1 << 16;

/// Bilinear scaling of all of `src` into `rect` of `dst` (luma and both chroma planes), keeping
/// the aspect ratio by cropping the source's centre ("fill", as room systems do); no allocation.
/// A rect partly outside `dst` is clipped; an empty one does nothing.
pub fn scale_into(src: &Frame, dst: &mut Frame, rect: Rect) {
    let Some(area) = Area::of(rect, dst.width(), dst.height()) else {
        return;
    };
    let [x0, y0, x1, y1] = area.full;
    let (sw, sh, rw, rh) = (src.width(), src.height(), x1 - x0, y1 - y0);
    let crop = near_size_window(sw, sh, rw, rh).unwrap_or_else(|| centre_crop(sw, sh, rw, rh));
    let width = dst.width();
    let (y, u, v) = dst.planes_mut();
    let luma = Plane {
        samples: src.y(),
        width: src.width(),
        height: src.height(),
    };
    scale_plane(&luma, crop, y, width, area);
    let crop = crop.map(|c| c / 2);
    let half = area.halved();
    for (samples, out) in [(src.u(), u), (src.v(), v)] {
        let chroma = Plane {
            samples,
            width: src.width() / 2,
            height: src.height() / 2,
        };
        scale_plane(&chroma, crop, out, width / 2, half);
    }
}

/// How near a rect must be to the source's size, per axis, to be cropped rather than scaled:
/// 31/32 (as numerator, denominator), which takes a 640×360 camera into a 636×356 cell.
const NEAR_SIZE: (usize, usize) = (31, 32);

/// The centred `rw` × `rh` window of a `sw` × `sh` source, 16.16 like [`centre_crop`], when the
/// rect is no larger than the source and at least [`NEAR_SIZE`] of it in each axis; its offsets
/// are even, so the halved window of the chroma planes is whole samples too. Mapped onto the
/// rect it is one source pixel per output pixel: [`scale_plane`] copies it.
fn near_size_window(sw: usize, sh: usize, rw: usize, rh: usize) -> Option<[i64; 4]> {
    let (num, den) = NEAR_SIZE;
    let near = |s: usize, r: usize| r <= s && r * den >= s * num;
    if !(near(sw, rw) && near(sh, rh)) {
        return None;
    }
    // Rect sizes are even (see [`Area::of`]) and so are frame sizes, so the window ends inside
    // the source in both luma and chroma.
    let x = ((sw - rw) / 2) & !1;
    let y = ((sh - rh) / 2) & !1;
    Some([x, y, rw, rh].map(|v| v as i64 * ONE))
}

/// The part of a `sw` × `sh` source shown in a `rw` × `rh` rect, 16.16 `[x, y, width,
/// height]` in source pixels: the full height and a centred slice of the width when the source
/// is wider than the rect, else the full width and a centred slice of the height.
fn centre_crop(sw: usize, sh: usize, rw: usize, rh: usize) -> [i64; 4] {
    let (sw, sh, rw, rh) = (sw as i64, sh as i64, rw as i64, rh as i64);
    if sw * rh > rw * sh {
        let cw = (sh * rw * ONE) / rh;
        [(sw * ONE - cw) / 2, 0, cw, sh * ONE]
    } else {
        let ch = (sw * rh * ONE) / rw;
        [0, (sh * ONE - ch) / 2, sw * ONE, ch]
    }
}

/// A source plane: tightly packed samples of `width` × `height`.
struct Plane<'a> {
    samples: &'a [u8],
    width: usize,
    height: usize,
}

/// The widest source or output row the separable path takes (its two row buffers live on the
/// stack, 24 KiB); wider pictures go the direct way.
const MAX_SPAN: usize = 4096;

/// Where output samples fall in a source plane, 16.16 fixed point.
struct Mapping {
    /// Source position of output column / row 0 of the full rect.
    origin: [i64; 2],
    /// Source distance between output samples.
    step: [i64; 2],
    /// The last sample's position (positions are clamped to the plane).
    max: [i64; 2],
}

impl Mapping {
    /// The mapping of the `crop` part (16.16 `[x, y, width, height]`) of `src` onto `area`.
    fn new(src: &Plane<'_>, crop: [i64; 4], area: &Area) -> Mapping {
        let [fx0, fy0, fx1, fy1] = area.full;
        let step = [crop[2] / (fx1 - fx0) as i64, crop[3] / (fy1 - fy0) as i64];
        // Output sample centre d + ½ maps to source position crop + (d + ½)·step, whose own
        // sample-centre convention subtracts ½ again.
        Mapping {
            origin: [
                crop[0] + step[0] / 2 - ONE / 2,
                crop[1] + step[1] / 2 - ONE / 2,
            ],
            step,
            max: [(src.width as i64 - 1) * ONE, (src.height as i64 - 1) * ONE],
        }
    }

    /// The source position of output column (`axis` 0) or row (1) `d` of the full rect.
    fn at(&self, axis: usize, d: usize) -> i64 {
        (self.origin[axis] + d as i64 * self.step[axis]).clamp(0, self.max[axis])
    }

    /// The source columns `lo..=hi` that the clipped part of `area` reads (the last one's
    /// right neighbour included, within a plane `width` wide).
    fn source_columns(&self, area: &Area, width: usize) -> (usize, usize) {
        let (fx0, [cx0, _, cx1, _]) = (area.full[0], area.clip);
        let lo = (self.at(0, cx0 - fx0) / ONE) as usize;
        let hi = ((self.at(0, cx1 - 1 - fx0) / ONE) as usize + 1).min(width - 1);
        (lo, hi)
    }

    /// Whole source pixels, one per output pixel: a copy.
    fn is_copy(&self) -> bool {
        self.step == [ONE, ONE] && self.origin[0] % ONE == 0 && self.origin[1] % ONE == 0
    }
}

/// The 8-bit weight of the next sample at 16.16 position `p`.
fn weight(p: i64) -> u32 {
    ((p >> 8) & 0xff) as u32
}

/// Scale the `crop` part (16.16 `[x, y, width, height]` of the plane) of `src` into `area` of
/// `out` (stride `stride`), writing only `area.clip`.
fn scale_plane(src: &Plane<'_>, crop: [i64; 4], out: &mut [u8], stride: usize, area: Area) {
    let m = Mapping::new(src, crop, &area);
    if m.is_copy() {
        // Same size and whole-pixel placement (a voice-switched picture of the sender's own
        // resolution, the common case), or a near-size window of the source.
        let [fx0, fy0, _, _] = area.full;
        let [cx0, cy0, cx1, cy1] = area.clip;
        let sx = (m.origin[0] / ONE) as usize + (cx0 - fx0);
        for oy in cy0..cy1 {
            let sy = (m.origin[1] / ONE) as usize + (oy - fy0);
            let from = &src.samples[sy * src.width + sx..][..cx1 - cx0];
            out[oy * stride + cx0..oy * stride + cx1].copy_from_slice(from);
        }
    } else if src.width <= MAX_SPAN && area.clip[2] - area.clip[0] <= MAX_SPAN {
        // Growing pictures reuse each source row for several output rows: scale the rows
        // once, then blend. Shrinking ones seldom do: blend the two rows each output row
        // needs, then scale.
        if m.step[1] < ONE {
            scale_horizontal_first(src, &m, out, stride, &area);
        } else {
            scale_vertical_first(src, &m, out, stride, &area);
        }
    } else {
        scale_direct(src, &m, out, stride, &area);
    }
}

/// Bilinear in two passes per output row, for downscaling: the two source rows blended
/// vertically into a buffer, then each output sample from two buffer entries, with the columns
/// and weights worked out once per call. Gives exactly the samples of [`scale_direct`] (the
/// same products, one rounding), about twice as fast. Cheaper than
/// [`scale_horizontal_first`] when output rows seldom share source rows.
fn scale_vertical_first(src: &Plane<'_>, m: &Mapping, out: &mut [u8], stride: usize, area: &Area) {
    let [fx0, fy0, _, _] = area.full;
    let [cx0, cy0, cx1, cy1] = area.clip;
    let n = cx1 - cx0;
    let (lo, hi) = m.source_columns(area, src.width);
    let span = hi - lo + 1;
    // Per output column: its left source column (from `lo`) << 8 | the right one's weight.
    let mut cols = [0u32; MAX_SPAN];
    for (i, c) in cols[..n].iter_mut().enumerate() {
        let x = m.at(0, cx0 - fx0 + i);
        *c = ((((x / ONE) as usize - lo) as u32) << 8) | weight(x);
    }
    // One vertically blended source row (×256), plus a copy of its last sample so that the
    // right neighbour of the last column exists (its weight is then 0).
    let mut mid = [0u16; MAX_SPAN + 1];
    for oy in cy0..cy1 {
        let y = m.at(1, oy - fy0);
        let r0 = (y / ONE) as usize;
        let r1 = (r0 + 1).min(src.height - 1);
        let wy = weight(y) as u16;
        let top = &src.samples[r0 * src.width + lo..][..span];
        let bottom = &src.samples[r1 * src.width + lo..][..span];
        for ((v, &t), &b) in mid[..span].iter_mut().zip(top).zip(bottom) {
            *v = u16::from(t) * (256 - wy) + u16::from(b) * wy;
        }
        mid[span] = mid[span - 1];
        let row = &mut out[oy * stride + cx0..][..n];
        for (o, &c) in row.iter_mut().zip(&cols[..n]) {
            let i = (c >> 8) as usize;
            let wx = c & 0xff;
            let v = u32::from(mid[i]) * (256 - wx) + u32::from(mid[i + 1]) * wx;
            *o = ((v + (1 << 15)) >> 16) as u8;
        }
    }
}

/// Bilinear in two passes, for upscaling (vertically): each source row the output needs is
/// scaled horizontally once into a row cache (two rows: consecutive output rows share their source rows), then each output row
/// blends its two cached rows vertically, a plain loop over the row that the compiler
/// vectorises. The columns and weights are worked out once per call. Gives exactly the samples
/// of [`scale_direct`] (the same products, one rounding): horizontal first or vertical first,
/// `(t0·(256−wx) + t1·wx)·(256−wy) + (b0·(256−wx) + b1·wx)·wy` is the same sum.
// Not inlined: its 40 KiB of stack buffers in `scale_plane`'s frame made the other paths
// ≈ 10 % slower (measured with `cargo bench -p media --bench compose`).
#[inline(never)]
fn scale_horizontal_first(
    src: &Plane<'_>,
    m: &Mapping,
    out: &mut [u8],
    stride: usize,
    area: &Area,
) {
    let [fx0, fy0, _, _] = area.full;
    let [cx0, cy0, cx1, cy1] = area.clip;
    let n = cx1 - cx0;
    let (lo, hi) = m.source_columns(area, src.width);
    let last = hi - lo;
    // Per output column: its left and right source columns (from `lo`; the right one is the
    // left one at the picture's edge, where its weight is 0) and the right one's weight.
    let mut left = [0u16; MAX_SPAN];
    let mut right = [0u16; MAX_SPAN];
    let mut wx = [0u16; MAX_SPAN];
    for i in 0..n {
        let x = m.at(0, cx0 - fx0 + i);
        let c = (x / ONE) as usize - lo;
        left[i] = c as u16;
        right[i] = (c + 1).min(last) as u16;
        wx[i] = weight(x) as u16;
    }
    let (left, right, wx) = (&left[..n], &right[..n], &wx[..n]);
    // Two horizontally scaled source rows (×256), and which source row each holds.
    let mut cache = [[0u16; MAX_SPAN]; 2];
    let mut held = [usize::MAX; 2];
    let fill = |slot: usize, r: usize, cache: &mut [[u16; MAX_SPAN]; 2]| {
        let row = &src.samples[r * src.width + lo..][..=last];
        for (((h, &a), &b), &w) in cache[slot][..n].iter_mut().zip(left).zip(right).zip(wx) {
            *h = u16::from(row[usize::from(a)]) * (256 - w) + u16::from(row[usize::from(b)]) * w;
        }
    };
    for oy in cy0..cy1 {
        let y = m.at(1, oy - fy0);
        let r0 = (y / ONE) as usize;
        let r1 = (r0 + 1).min(src.height - 1);
        let wy = weight(y);
        // Slot of each needed row, filling a slot that holds neither.
        let mut slot_of = |r: usize, keep: usize| -> usize {
            if let Some(s) = held.iter().position(|&h| h == r) {
                return s;
            }
            let s = usize::from(held[0] == keep);
            fill(s, r, &mut cache);
            held[s] = r;
            s
        };
        let s0 = slot_of(r0, r1);
        let s1 = if wy == 0 { s0 } else { slot_of(r1, r0) };
        let row = &mut out[oy * stride + cx0..][..n];
        let (top, bottom) = (&cache[s0][..n], &cache[s1][..n]);
        for ((o, &t), &b) in row.iter_mut().zip(top).zip(bottom) {
            let v = u32::from(t) * (256 - wy) + u32::from(b) * wy;
            *o = ((v + (1 << 15)) >> 16) as u8;
        }
    }
}

/// Bilinear sample by sample from the four neighbours, for pictures wider than the separable
/// path's buffers.
fn scale_direct(src: &Plane<'_>, m: &Mapping, out: &mut [u8], stride: usize, area: &Area) {
    let [fx0, fy0, _, _] = area.full;
    let [cx0, cy0, cx1, cy1] = area.clip;
    let last_col = src.width - 1;
    for oy in cy0..cy1 {
        let y = m.at(1, oy - fy0);
        let r0 = (y / ONE) as usize;
        let r1 = (r0 + 1).min(src.height - 1);
        let wy = weight(y);
        let top = &src.samples[r0 * src.width..][..src.width];
        let bottom = &src.samples[r1 * src.width..][..src.width];
        let row = &mut out[oy * stride + cx0..oy * stride + cx1];
        for (i, o) in row.iter_mut().enumerate() {
            let x = m.at(0, cx0 - fx0 + i);
            let c0 = (x / ONE) as usize;
            let c1 = (c0 + 1).min(last_col);
            let wx = weight(x);
            let t = u32::from(top[c0]) * (256 - wx) + u32::from(top[c1]) * wx;
            let b = u32::from(bottom[c0]) * (256 - wx) + u32::from(bottom[c1]) * wx;
            *o = ((t * (256 - wy) + b * wy + (1 << 15)) >> 16) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn red() -> Yuv {
        Yuv::from_rgb(255, 0, 0)
    }
    fn blue() -> Yuv {
        Yuv::from_rgb(0, 0, 255)
    }
    fn green() -> Yuv {
        Yuv::from_rgb(0, 255, 0)
    }

    fn close(a: Yuv, b: Yuv, tol: i32) -> bool {
        (i32::from(a.y) - i32::from(b.y)).abs() <= tol
            && (i32::from(a.u) - i32::from(b.u)).abs() <= tol
            && (i32::from(a.v) - i32::from(b.v)).abs() <= tol
    }

    /// A picture whose left half is `left` and right half `right`.
    fn split(width: usize, height: usize, left: Yuv, right: Yuv) -> Frame {
        let mut f = Frame::new(width, height);
        f.fill(right);
        fill_rect(&mut f, Rect::new(0, 0, width / 2, height), left);
        f
    }

    /// splitmix64, for deterministic random rectangles.
    fn splitmix(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Every sample of `f` outside `inside` (all three planes, chroma by its 2×2 block) equals
    /// `sentinel`.
    fn untouched_outside(f: &Frame, inside: Rect, sentinel: Yuv) {
        for y in 0..f.height() {
            for x in 0..f.width() {
                if !inside.contains(x, y) {
                    assert_eq!(f.y()[y * f.width() + x], sentinel.y, "luma ({x},{y})");
                }
            }
        }
        let cw = f.width() / 2;
        for cy in 0..f.height() / 2 {
            for cx in 0..cw {
                // A chroma sample is written only if its whole 2×2 block is inside.
                let block_inside =
                    inside.contains(2 * cx, 2 * cy) && inside.contains(2 * cx + 1, 2 * cy + 1);
                if !block_inside {
                    assert_eq!(f.u()[cy * cw + cx], sentinel.u, "u ({cx},{cy})");
                    assert_eq!(f.v()[cy * cw + cx], sentinel.v, "v ({cx},{cy})");
                }
            }
        }
    }

    #[test]
    fn solid_colour_scales_to_solid_colour() {
        let colour = Yuv::from_rgb(200, 120, 40);
        for (sw, sh) in [(640, 360), (176, 144), (1280, 720), (2, 2), (30, 62)] {
            let mut src = Frame::new(sw, sh);
            src.fill(colour);
            for (w, h) in [(1280, 720), (320, 180), (96, 96), (2, 2)] {
                let mut dst = Frame::new(w, h);
                scale_into(&src, &mut dst, Rect::new(0, 0, w, h));
                assert!(
                    dst.y().iter().all(|&s| s == colour.y)
                        && dst.u().iter().all(|&s| s == colour.u)
                        && dst.v().iter().all(|&s| s == colour.v),
                    "{sw}x{sh} → {w}x{h}"
                );
            }
        }
    }

    #[test]
    fn split_halves_stay_in_place_up_and_down() {
        let src = split(64, 36, red(), blue());
        for (w, h) in [(1280, 720), (32, 18), (100, 56)] {
            let mut dst = Frame::new(w, h);
            scale_into(&src, &mut dst, Rect::new(0, 0, w, h));
            for y in [0, h / 2, h - 1] {
                // Away from the seam each half is its pure colour …
                assert!(close(dst.pixel(w / 4, y), red(), 2), "{w}x{h} left");
                assert!(close(dst.pixel(3 * w / 4, y), blue(), 2), "{w}x{h} right");
                assert!(close(dst.pixel(0, y), red(), 2));
                assert!(close(dst.pixel(w - 1, y), blue(), 2));
                // … and the seam is in the middle: two pixels (plus one source pixel's
                // worth of blend) either side of it are already pure.
                let blend = w / 64 + 2;
                assert_eq!(dst.pixel(w / 2 - blend, y).y, red().y, "{w}x{h}");
                assert_eq!(dst.pixel(w / 2 + blend, y).y, blue().y, "{w}x{h}");
            }
        }
    }

    #[test]
    fn scaling_never_writes_outside_the_rect() {
        let sentinel = Yuv {
            y: 77,
            u: 99,
            v: 201,
        };
        let src = split(64, 48, red(), blue());
        let mut dst = Frame::new(160, 90);
        let mut rng = 0x5ca1e;
        for _ in 0..300 {
            let rect = Rect::new(
                (splitmix(&mut rng) % 200) as usize,
                (splitmix(&mut rng) % 120) as usize,
                (splitmix(&mut rng) % 180) as usize,
                (splitmix(&mut rng) % 110) as usize,
            );
            dst.fill(sentinel);
            scale_into(&src, &mut dst, rect);
            untouched_outside(&dst, rect, sentinel);
            // Something was drawn exactly when the rect holds an even pixel pair in the frame.
            let drawn = dst.y().iter().any(|&s| s != sentinel.y);
            assert_eq!(drawn, Area::of(rect, 160, 90).is_some(), "{rect:?}");
            dst.fill(sentinel);
            fill_rect(&mut dst, rect, green());
            untouched_outside(&dst, rect, sentinel);
        }
    }

    #[test]
    fn wider_aspect_rect_crops_top_and_bottom() {
        // 4:3 source: red band on top, blue at the bottom, green between; the 16:9 slice of
        // its centre (rows 60..420 of 480) is all green.
        let mut src = Frame::new(640, 480);
        src.fill(green());
        fill_rect(&mut src, Rect::new(0, 0, 640, 60), red());
        fill_rect(&mut src, Rect::new(0, 420, 640, 60), blue());
        let mut dst = Frame::new(400, 300);
        scale_into(&src, &mut dst, Rect::new(40, 60, 320, 180));
        for y in 60..240 {
            for x in 40..360 {
                assert!(close(dst.pixel(x, y), green(), 1), "({x},{y})");
            }
        }
        // The same source into a 4:3 rect keeps the bands.
        scale_into(&src, &mut dst, Rect::new(0, 0, 400, 300));
        assert!(close(dst.pixel(200, 10), red(), 1));
        assert!(close(dst.pixel(200, 290), blue(), 1));
        // And a 16:9 source into a 4:3 rect loses its sides: a split whose outer eighths are
        // blue shows none of them.
        let mut wide = Frame::new(640, 360);
        wide.fill(green());
        fill_rect(&mut wide, Rect::new(0, 0, 80, 360), blue());
        fill_rect(&mut wide, Rect::new(560, 0, 80, 360), blue());
        scale_into(&wide, &mut dst, Rect::new(0, 0, 400, 300));
        assert!(close(dst.pixel(0, 150), green(), 1));
        assert!(close(dst.pixel(399, 150), green(), 1));
    }

    #[test]
    fn horizontal_ramp_stays_monotone() {
        let mut src = Frame::new(220, 4);
        {
            let (y, _, _) = src.planes_mut();
            for (i, s) in y.iter_mut().enumerate() {
                *s = 16 + (i % 220) as u8;
            }
        }
        for w in [700, 220, 98, 10] {
            let mut dst = Frame::new(w, 4);
            // Wider rects crop the source's height, narrower ones its width (to the centre).
            scale_into(&src, &mut dst, Rect::new(0, 0, w, 4));
            for row in dst.y().chunks_exact(w) {
                assert!(row.windows(2).all(|p| p[0] <= p[1]), "w {w}: {row:?}");
                assert!(row[0] < row[w - 1], "w {w}");
            }
        }
    }

    #[test]
    fn bilinear_interpolates_between_sample_centres() {
        // 2×2 → 4×4: output centres fall at −¼, ¼, ¾, 1¼ of the source's sample grid, so a
        // step 16 → 216 becomes 16, 66, 166, 216 (the outer ones clamped).
        let mut across = Frame::new(2, 2);
        across.planes_mut().0.copy_from_slice(&[16, 216, 16, 216]);
        let mut down = Frame::new(2, 2);
        down.planes_mut().0.copy_from_slice(&[16, 16, 216, 216]);
        let mut dst = Frame::new(4, 4);
        scale_into(&across, &mut dst, Rect::new(0, 0, 4, 4));
        for row in dst.y().chunks_exact(4) {
            assert_eq!(row, [16, 66, 166, 216]);
        }
        scale_into(&down, &mut dst, Rect::new(0, 0, 4, 4));
        for (r, row) in dst.y().chunks_exact(4).enumerate() {
            assert_eq!(row, [[16; 4], [66; 4], [166; 4], [216; 4]][r]);
        }
    }

    #[test]
    fn odd_edges_and_frame_edges_are_clipped() {
        let sentinel = Yuv {
            y: 50,
            u: 60,
            v: 70,
        };
        let src = split(64, 36, red(), blue());
        let mut dst = Frame::new(64, 36);
        dst.fill(sentinel);
        // Odd rect 3..14 × 5..12: drawn on the even pixels 4..14 × 6..12 only.
        scale_into(&src, &mut dst, Rect::new(3, 5, 11, 7));
        untouched_outside(&dst, Rect::new(4, 6, 10, 6), sentinel);
        assert_ne!(dst.pixel(4, 6), sentinel);
        assert_ne!(dst.pixel(13, 11), sentinel);
        // A 1-pixel-wide rect holds no even pixel pair: nothing drawn.
        dst.fill(sentinel);
        scale_into(&src, &mut dst, Rect::new(5, 5, 1, 9));
        fill_rect(&mut dst, Rect::new(5, 5, 9, 1), red());
        scale_into(&src, &mut dst, Rect::new(0, 0, 0, 10));
        assert!(dst.y().iter().all(|&s| s == sentinel.y));
        // Twice the frame's width from the left edge: the visible part is the left half of
        // the picture, red (but for the last two columns, bilinear blends with the blue half).
        scale_into(&src, &mut dst, Rect::new(0, 0, 128, 36));
        for x in 0..62 {
            assert!(close(dst.pixel(x, 18), red(), 2), "x {x}");
        }
        // Starting past the frame: nothing.
        dst.fill(sentinel);
        scale_into(&src, &mut dst, Rect::new(64, 0, 10, 10));
        assert!(dst.y().iter().all(|&s| s == sentinel.y));
    }

    #[test]
    fn same_size_is_an_exact_copy() {
        let mut src = Frame::new(32, 18);
        let mut rng = 7;
        {
            let (y, u, v) = src.planes_mut();
            for s in y.iter_mut().chain(u.iter_mut()).chain(v.iter_mut()) {
                *s = splitmix(&mut rng) as u8;
            }
        }
        let mut dst = Frame::new(32, 18);
        scale_into(&src, &mut dst, Rect::new(0, 0, 32, 18));
        assert_eq!(dst, src);
        // Placed at an offset in a larger frame it is the same samples shifted.
        let mut big = Frame::new(64, 40);
        scale_into(&src, &mut big, Rect::new(10, 4, 32, 18));
        assert_eq!(big.pixel(10, 4), src.pixel(0, 0));
        assert_eq!(big.pixel(41, 21), src.pixel(31, 17));
    }

    /// A picture of seeded random samples in all three planes.
    fn noise(width: usize, height: usize, seed: u64) -> Frame {
        let mut f = Frame::new(width, height);
        let mut rng = seed;
        let (y, u, v) = f.planes_mut();
        for s in y.iter_mut().chain(u.iter_mut()).chain(v.iter_mut()) {
            *s = splitmix(&mut rng) as u8;
        }
        f
    }

    #[test]
    fn near_size_rect_copies_the_sources_centre() {
        // A 640×360 camera into a 2×2 cell at 720p (636×356), placed at an even offset in a
        // larger frame: the centre window starting at (2, 2), chroma at (1, 1), sample for
        // sample.
        let src = noise(640, 360, 0xc0ffee);
        let mut dst = Frame::new(1280, 720);
        let rect = Rect::new(644, 364, 636, 356);
        scale_into(&src, &mut dst, rect);
        for y in 0..356 {
            let out = &dst.y()[(364 + y) * 1280 + 644..][..636];
            assert_eq!(out, &src.y()[(2 + y) * 640 + 2..][..636], "luma row {y}");
        }
        for y in 0..178 {
            for (plane_out, plane_in) in [(dst.u(), src.u()), (dst.v(), src.v())] {
                let out = &plane_out[(182 + y) * 640 + 322..][..318];
                assert_eq!(out, &plane_in[(1 + y) * 320 + 1..][..318], "chroma row {y}");
            }
        }
        // Offsets are even even when the margin is not a multiple of 4: 640 → 634 takes the
        // window from column 2 (not 3), so chroma column 1 is the first.
        let mut small = Frame::new(634, 356);
        scale_into(&src, &mut small, Rect::new(0, 0, 634, 356));
        assert_eq!(&small.y()[..634], &src.y()[2 * 640 + 2..][..634]);
        assert_eq!(&small.u()[..317], &src.u()[320 + 1..][..317]);
    }

    #[test]
    fn a_rect_under_31_32_of_the_source_is_still_scaled() {
        // 600×338 is 30/32 of 640×360 across: bilinear, so it differs from every whole-pixel
        // window of the source.
        let src = noise(640, 360, 0xbeef);
        let mut dst = Frame::new(600, 338);
        scale_into(&src, &mut dst, Rect::new(0, 0, 600, 338));
        let row = &dst.y()[169 * 600..][..600];
        for y in 0..=22 {
            for x in 0..=40 {
                assert_ne!(
                    row,
                    &src.y()[(y + 169) * 640 + x..][..600],
                    "window at ({x},{y})"
                );
            }
        }
        // Just over the edge (31/32 exactly across, 620×350 — 350 > 31/32 of 360): cropped.
        let mut dst = Frame::new(620, 350);
        scale_into(&src, &mut dst, Rect::new(0, 0, 620, 350));
        assert_eq!(&dst.y()[..620], &src.y()[4 * 640 + 10..][..620]);
        // A rect larger than the source in one axis is scaled, not cropped.
        let mut dst = Frame::new(636, 362);
        scale_into(&src, &mut dst, Rect::new(0, 0, 636, 362));
        assert_ne!(&dst.y()[..636], &src.y()[2..][..636]);
    }

    #[test]
    fn both_separable_paths_and_the_direct_one_give_the_same_samples() {
        let mut rng = 0xb11;
        for case in 0..200 {
            let (sw, sh) = (
                2 + (splitmix(&mut rng) % 90) as usize,
                2 + (splitmix(&mut rng) % 90) as usize,
            );
            let samples: Vec<u8> = (0..sw * sh).map(|_| splitmix(&mut rng) as u8).collect();
            let src = Plane {
                samples: &samples,
                width: sw,
                height: sh,
            };
            let (dw, dh) = ((2 + (splitmix(&mut rng) % 150) as usize) & !1, 40);
            let rect = Rect::new(
                (splitmix(&mut rng) % 60) as usize,
                (splitmix(&mut rng) % 30) as usize,
                (splitmix(&mut rng) % 200) as usize,
                (splitmix(&mut rng) % 50) as usize,
            );
            let Some(area) = Area::of(rect, dw, dh) else {
                continue;
            };
            let [x0, y0, x1, y1] = area.full;
            let m = Mapping::new(&src, centre_crop(sw, sh, x1 - x0, y1 - y0), &area);
            let (mut a, mut b) = (vec![0u8; dw * dh], vec![1u8; dw * dh]);
            let mut c = vec![2u8; dw * dh];
            scale_vertical_first(&src, &m, &mut a, dw, &area);
            scale_horizontal_first(&src, &m, &mut c, dw, &area);
            scale_direct(&src, &m, &mut b, dw, &area);
            for y in 0..dh {
                for x in 0..dw {
                    let inside = x >= area.clip[0] && x < area.clip[2];
                    if inside && y >= area.clip[1] && y < area.clip[3] {
                        let i = y * dw + x;
                        assert_eq!(a[i], b[i], "vertical first, case {case} ({x},{y})");
                        assert_eq!(c[i], b[i], "horizontal first, case {case} ({x},{y})");
                    }
                }
            }
        }
    }

    #[test]
    fn pictures_wider_than_the_buffers_scale_too() {
        let src = split(MAX_SPAN + 200, 4, red(), blue());
        let mut dst = Frame::new(MAX_SPAN + 400, 6);
        scale_into(&src, &mut dst, Rect::new(0, 0, MAX_SPAN + 400, 6));
        assert!(close(dst.pixel(100, 3), red(), 2));
        assert!(close(dst.pixel(MAX_SPAN + 300, 3), blue(), 2));
    }

    #[test]
    fn rect_helpers() {
        let a = Rect::new(0, 0, 10, 10);
        assert!(a.overlaps(&Rect::new(9, 9, 2, 2)));
        assert!(!a.overlaps(&Rect::new(10, 0, 2, 2)));
        assert!(!a.overlaps(&Rect::new(2, 2, 0, 5)));
        assert!(a.contains(9, 0) && !a.contains(10, 0));
        assert_eq!((a.right(), a.bottom(), a.area()), (10, 10, 100));
    }
}
