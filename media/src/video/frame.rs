//! A picture in planar YUV 4:2:0 ("I420"): what the H.264 decoder gives, the compositor draws
//! into and the encoder takes.
//!
//! Width and height are even (4:2:0 halves both for the chroma planes) and at least 2. The planes
//! are tightly packed: the luma stride is the width, the chroma stride half of it. Samples are
//! "studio range" as H.264 streams carry them (luma 16–235, chroma 16–240, 128 = no colour).

/// A colour as one luma and two chroma samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Yuv {
    /// Luma.
    pub y: u8,
    /// Blue-difference chroma.
    pub u: u8,
    /// Red-difference chroma.
    pub v: u8,
}

impl Yuv {
    /// Black (studio range).
    pub const BLACK: Yuv = Yuv {
        y: 16,
        u: 128,
        v: 128,
    };

    /// The studio-range BT.601 colour of an 8-bit RGB triple (what SD/HD video conferencing
    /// encoders assume when the stream does not say otherwise).
    pub fn from_rgb(r: u8, g: u8, b: u8) -> Yuv {
        let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
        // BT.601 in 8-bit fixed point (coefficients × 256, rounded).
        let y = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
        let u = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
        let v = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
        Yuv {
            y: y.clamp(0, 255) as u8,
            u: u.clamp(0, 255) as u8,
            v: v.clamp(0, 255) as u8,
        }
    }

    /// The 8-bit RGB triple of this studio-range BT.601 colour (inverse of [`Yuv::from_rgb`] up
    /// to rounding).
    pub fn to_rgb(self) -> (u8, u8, u8) {
        let c = i32::from(self.y) - 16;
        let d = i32::from(self.u) - 128;
        let e = i32::from(self.v) - 128;
        let r = (298 * c + 409 * e + 128) >> 8;
        let g = (298 * c - 100 * d - 208 * e + 128) >> 8;
        let b = (298 * c + 516 * d + 128) >> 8;
        (
            r.clamp(0, 255) as u8,
            g.clamp(0, 255) as u8,
            b.clamp(0, 255) as u8,
        )
    }
}

/// A YUV 4:2:0 picture with tightly packed planes.
///
/// `clone_from` reuses the destination's buffers (a decoded picture is copied into a sender's
/// slot at every frame without allocating).
#[derive(Debug, PartialEq, Eq)]
pub struct Frame {
    width: usize,
    height: usize,
    y: Vec<u8>,
    u: Vec<u8>,
    v: Vec<u8>,
}

impl Clone for Frame {
    fn clone(&self) -> Frame {
        Frame {
            width: self.width,
            height: self.height,
            y: self.y.clone(),
            u: self.u.clone(),
            v: self.v.clone(),
        }
    }

    fn clone_from(&mut self, source: &Frame) {
        self.width = source.width;
        self.height = source.height;
        self.y.clone_from(&source.y);
        self.u.clone_from(&source.u);
        self.v.clone_from(&source.v);
    }
}

impl Frame {
    /// A black picture. Odd sizes are rounded down to even, sizes below 2 up to 2.
    pub fn new(width: usize, height: usize) -> Frame {
        let width = (width & !1).max(2);
        let height = (height & !1).max(2);
        let chroma = (width / 2) * (height / 2);
        Frame {
            width,
            height,
            y: vec![Yuv::BLACK.y; width * height],
            u: vec![Yuv::BLACK.u; chroma],
            v: vec![Yuv::BLACK.v; chroma],
        }
    }

    /// Width in pixels (even).
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels (even).
    pub fn height(&self) -> usize {
        self.height
    }

    /// Change the size, keeping the allocation when it is large enough; the content is then
    /// unspecified (callers draw the whole picture after a resize).
    pub fn resize(&mut self, width: usize, height: usize) {
        let width = (width & !1).max(2);
        let height = (height & !1).max(2);
        if width == self.width && height == self.height {
            return;
        }
        self.width = width;
        self.height = height;
        let chroma = (width / 2) * (height / 2);
        self.y.resize(width * height, Yuv::BLACK.y);
        self.u.resize(chroma, Yuv::BLACK.u);
        self.v.resize(chroma, Yuv::BLACK.v);
    }

    /// Paint the whole picture one colour.
    pub fn fill(&mut self, colour: Yuv) {
        self.y.fill(colour.y);
        self.u.fill(colour.u);
        self.v.fill(colour.v);
    }

    /// The luma plane (stride = [`Frame::width`]).
    pub fn y(&self) -> &[u8] {
        &self.y
    }

    /// The blue-difference plane (stride = width / 2).
    pub fn u(&self) -> &[u8] {
        &self.u
    }

    /// The red-difference plane (stride = width / 2).
    pub fn v(&self) -> &[u8] {
        &self.v
    }

    /// All three planes, mutable, for drawing.
    pub fn planes_mut(&mut self) -> (&mut [u8], &mut [u8], &mut [u8]) {
        (&mut self.y, &mut self.u, &mut self.v)
    }

    /// The colour at pixel (`x`, `y`) (chroma from its 2×2 block).
    pub fn pixel(&self, x: usize, y: usize) -> Yuv {
        let c = (y / 2) * (self.width / 2) + x / 2;
        Yuv {
            y: self.y[y * self.width + x],
            u: self.u[c],
            v: self.v[c],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_even_and_planes_sized() {
        let f = Frame::new(641, 361);
        assert_eq!((f.width(), f.height()), (640, 360));
        assert_eq!(f.y().len(), 640 * 360);
        assert_eq!(f.u().len(), 320 * 180);
        assert_eq!(f.v().len(), 320 * 180);
        assert_eq!(f.pixel(639, 359), Yuv::BLACK);
        let tiny = Frame::new(0, 1);
        assert_eq!((tiny.width(), tiny.height()), (2, 2));
    }

    #[test]
    fn rgb_round_trip_within_rounding() {
        for (r, g, b) in [
            (255, 0, 0),
            (0, 255, 0),
            (0, 0, 255),
            (255, 255, 255),
            (0, 0, 0),
            (128, 64, 200),
        ] {
            let (r2, g2, b2) = Yuv::from_rgb(r, g, b).to_rgb();
            for (a, z) in [(r, r2), (g, g2), (b, b2)] {
                assert!(
                    (i32::from(a) - i32::from(z)).abs() <= 3,
                    "{r},{g},{b} → {r2},{g2},{b2}"
                );
            }
        }
        assert_eq!(Yuv::from_rgb(0, 0, 0), Yuv::BLACK);
        assert_eq!(Yuv::from_rgb(255, 255, 255).y, 235);
    }

    #[test]
    fn fill_resize_and_pixel() {
        let mut f = Frame::new(4, 4);
        let red = Yuv::from_rgb(255, 0, 0);
        f.fill(red);
        assert_eq!(f.pixel(3, 3), red);
        f.resize(8, 6);
        assert_eq!(
            (f.width(), f.height(), f.y().len(), f.u().len()),
            (8, 6, 48, 12)
        );
    }
}
