//! The bitmap font of the audio-only tiles' name captions: printable ASCII (0x20–0x7E) in 5×9
//! glyphs drawn for Pont (capitals and digits 7 rows high, 2 rows of descender), scaled up by
//! an integer factor. Accented Latin letters fall back to their base letter (é → e, Ł → L),
//! anything else to '?'.
//!
//! The glyphs are the picture below, turned into bit rows at compile time: each block is a
//! caption line (ignored) and 9 rows of 8 glyphs, 5 columns each, `#` lit and `.` dark. A
//! malformed picture is a compile error.

use super::{Frame, Rect, Yuv};

/// Glyph width in pixels (at scale 1).
pub(crate) const GLYPH_W: usize = 5;
/// Glyph height in pixels, descenders included.
pub(crate) const GLYPH_H: usize = 9;
/// Horizontal advance: the glyph and one column of spacing.
pub(crate) const ADVANCE: usize = GLYPH_W + 1;
/// Glyphs per block of the picture.
const PER_BLOCK: usize = 8;
/// Printable ASCII, 0x20 to 0x7E.
const GLYPHS: usize = 95;

const ART: &str = r##"
        !     "     #     $     %     &     '
..... ..#.. .#.#. .#.#. ..#.. ##... .##.. ..#..
..... ..#.. .#.#. .#.#. .#### ##..# #..#. ..#..
..... ..#.. .#.#. ##### #.#.. ...#. #.#.. .#...
..... ..#.. ..... .#.#. .###. ..#.. .#... .....
..... ..#.. ..... ##### ..#.# .#... #.#.# .....
..... ..... ..... .#.#. ####. #..## #..#. .....
..... ..#.. ..... .#.#. ..#.. ...## .##.# .....
..... ..... ..... ..... ..... ..... ..... .....
..... ..... ..... ..... ..... ..... ..... .....

  (     )     *     +     ,     -     .     /
...#. .#... ..... ..... ..... ..... ..... .....
..#.. ..#.. ..#.. ..#.. ..... ..... ..... ....#
.#... ...#. #.#.# ..#.. ..... ..... ..... ...#.
.#... ...#. .###. ##### ..... ##### ..... ..#..
.#... ...#. #.#.# ..#.. ..... ..... ..... .#...
..#.. ..#.. ..#.. ..#.. .##.. ..... .##.. #....
...#. .#... ..... ..... ..#.. ..... .##.. .....
..... ..... ..... ..... .#... ..... ..... .....
..... ..... ..... ..... ..... ..... ..... .....

  0     1     2     3     4     5     6     7
.###. ..#.. .###. ##### ...#. ##### ..##. #####
#...# .##.. #...# ...#. ..##. #.... .#... ....#
#..## ..#.. ....# ..#.. .#.#. ####. #.... ...#.
#.#.# ..#.. ...#. ...#. #..#. ....# ####. ..#..
##..# ..#.. ..#.. ....# ##### ....# #...# .#...
#...# ..#.. .#... #...# ...#. #...# #...# .#...
.###. .###. ##### .###. ...#. .###. .###. .#...
..... ..... ..... ..... ..... ..... ..... .....
..... ..... ..... ..... ..... ..... ..... .....

  8     9     :     ;     <     =     >     ?
.###. .###. ..... ..... ...#. ..... .#... .###.
#...# #...# .##.. .##.. ..#.. ..... ..#.. #...#
#...# #...# .##.. .##.. .#... ##### ...#. ....#
.###. .#### ..... ..... #.... ..... ....# ...#.
#...# ....# .##.. .##.. .#... ##### ...#. ..#..
#...# ...#. .##.. .##.. ..#.. ..... ..#.. .....
.###. .##.. ..... ..#.. ...#. ..... .#... ..#..
..... ..... ..... .#... ..... ..... ..... .....
..... ..... ..... ..... ..... ..... ..... .....

  @     A     B     C     D     E     F     G
.###. .###. ####. .###. ###.. ##### ##### .###.
#...# #...# #...# #...# #..#. #.... #.... #...#
#.### #...# #...# #.... #...# #.... #.... #....
#.#.# ##### ####. #.... #...# ####. ####. #.###
#.### #...# #...# #.... #...# #.... #.... #...#
#.... #...# #...# #...# #..#. #.... #.... #...#
.###. #...# ####. .###. ###.. ##### #.... .####
..... ..... ..... ..... ..... ..... ..... .....
..... ..... ..... ..... ..... ..... ..... .....

  H     I     J     K     L     M     N     O
#...# .###. ..### #...# #.... #...# #...# .###.
#...# ..#.. ...#. #..#. #.... ##.## #...# #...#
#...# ..#.. ...#. #.#.. #.... #.#.# ##..# #...#
##### ..#.. ...#. ##... #.... #.#.# #.#.# #...#
#...# ..#.. ...#. #.#.. #.... #...# #..## #...#
#...# ..#.. #..#. #..#. #.... #...# #...# #...#
#...# .###. .##.. #...# ##### #...# #...# .###.
..... ..... ..... ..... ..... ..... ..... .....
..... ..... ..... ..... ..... ..... ..... .....

  P     Q     R     S     T     U     V     W
####. .###. ####. .#### ##### #...# #...# #...#
#...# #...# #...# #.... ..#.. #...# #...# #...#
#...# #...# #...# #.... ..#.. #...# #...# #...#
####. #...# ####. .###. ..#.. #...# #...# #.#.#
#.... #.#.# #.#.. ....# ..#.. #...# #...# #.#.#
#.... #..#. #..#. ....# ..#.. #...# .#.#. #.#.#
#.... .##.# #...# ####. ..#.. .###. ..#.. .#.#.
..... ..... ..... ..... ..... ..... ..... .....
..... ..... ..... ..... ..... ..... ..... .....

  X     Y     Z     [     \     ]     ^     _
#...# #...# ##### .###. ..... .###. ..#.. .....
#...# #...# ....# .#... #.... ...#. .#.#. .....
.#.#. .#.#. ...#. .#... .#... ...#. #...# .....
..#.. ..#.. ..#.. .#... ..#.. ...#. ..... .....
.#.#. ..#.. .#... .#... ...#. ...#. ..... .....
#...# ..#.. #.... .#... ....# ...#. ..... .....
#...# ..#.. ##### .###. ..... .###. ..... .....
..... ..... ..... ..... ..... ..... ..... #####
..... ..... ..... ..... ..... ..... ..... .....

  `     a     b     c     d     e     f     g
.#... ..... #.... ..... ....# ..... ..##. .....
..#.. ..... #.... ..... ....# ..... .#..# .....
...#. .###. #.##. .###. .##.# .###. .#... .####
..... ....# ##..# #.... #..## #...# ###.. #...#
..... .#### #...# #.... #...# ##### .#... #...#
..... #...# #...# #...# #...# #.... .#... #...#
..... .#### ####. .###. .#### .###. .#... .####
..... ..... ..... ..... ..... ..... ..... ....#
..... ..... ..... ..... ..... ..... ..... .###.

  h     i     j     k     l     m     n     o
#.... ..#.. ...#. #.... .##.. ..... ..... .....
#.... ..... ..... #.... ..#.. ..... ..... .....
#.##. .##.. ..##. #..#. ..#.. ##.#. #.##. .###.
##..# ..#.. ...#. #.#.. ..#.. #.#.# ##..# #...#
#...# ..#.. ...#. ##... ..#.. #.#.# #...# #...#
#...# ..#.. ...#. #.#.. ..#.. #.#.# #...# #...#
#...# .###. ...#. #..#. .###. #.#.# #...# .###.
..... ..... #..#. ..... ..... ..... ..... .....
..... ..... .##.. ..... ..... ..... ..... .....

  p     q     r     s     t     u     v     w
..... ..... ..... ..... .#... ..... ..... .....
..... ..... ..... ..... .#... ..... ..... .....
####. .#### #.##. .#### ###.. #...# #...# #...#
#...# #...# ##..# #.... .#... #...# #...# #...#
#...# #...# #.... .###. .#... #...# #...# #.#.#
#...# #...# #.... ....# .#..# #..## .#.#. #.#.#
####. .#### #.... ####. ..##. .##.# ..#.. .#.#.
#.... ....# ..... ..... ..... ..... ..... .....
#.... ....# ..... ..... ..... ..... ..... .....

  x     y     z     {     |     }     ~
..... ..... ..... ...#. ..#.. .#... .....
..... ..... ..... ..#.. ..#.. ..#.. .....
#...# #...# ##### ..#.. ..#.. ..#.. .#...
.#.#. #...# ...#. .#... ..#.. ...#. #.#.#
..#.. #...# ..#.. ..#.. ..#.. ..#.. ...#.
.#.#. #...# .#... ..#.. ..#.. ..#.. .....
#...# .#### ##### ...#. ..#.. .#... .....
..... ....# ..... ..... ..#.. ..... .....
..... .###. ..... ..... ..... ..... .....
"##;

/// Each glyph's rows, top first; bit 4 is the leftmost column.
static FONT: [[u8; GLYPH_H]; GLYPHS] = parse(ART.as_bytes());

/// The bit rows of [`ART`] (which starts with a newline).
const fn parse(art: &[u8]) -> [[u8; GLYPH_H]; GLYPHS] {
    let mut font = [[0u8; GLYPH_H]; GLYPHS];
    let mut block = 0;
    // 0: the caption line, 1..=9: glyph rows, 10: the blank line between blocks.
    let mut line = 0;
    let mut start = 1;
    while start < art.len() {
        let mut end = start;
        while end < art.len() && art[end] != b'\n' {
            end += 1;
        }
        if line >= 1 && line <= GLYPH_H {
            let row = line - 1;
            let mut k = 0;
            while k < PER_BLOCK && k * ADVANCE < end - start {
                let glyph = block * PER_BLOCK + k;
                assert!(glyph < GLYPHS, "more glyphs than printable ASCII");
                let mut col = 0;
                while col < GLYPH_W {
                    let c = art[start + k * ADVANCE + col];
                    assert!(c == b'#' || c == b'.', "glyph rows hold only '#' and '.'");
                    if c == b'#' {
                        font[glyph][row] |= 1 << (GLYPH_W - 1 - col);
                    }
                    col += 1;
                }
                k += 1;
            }
        } else if line == GLYPH_H + 1 {
            assert!(end == start, "a blank line separates blocks");
        }
        line += 1;
        if line == GLYPH_H + 2 {
            line = 0;
            block += 1;
        }
        start = end + 1;
    }
    if line > 0 {
        // The last block needs no blank line after it.
        block += 1;
    }
    assert!(
        block == GLYPHS.div_ceil(PER_BLOCK),
        "one block per 8 glyphs"
    );
    font
}

/// The glyph drawn for `c` (see [`fold`]): its rows, top first, bit 4 the leftmost column.
pub(crate) fn glyph(c: char) -> &'static [u8; GLYPH_H] {
    let i = (fold(c) as usize).wrapping_sub(0x20);
    &FONT[i.min(GLYPHS - 1)]
}

/// The printable ASCII character drawn for `c`: itself; the base letter of an accented Latin
/// letter (Latin-1 and Latin Extended-A); a space for other spaces; else '?'.
pub(crate) fn fold(c: char) -> char {
    match c {
        ' '..='~' => c,
        '\t' | '\u{a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{3000}' => ' ',
        'À'..='Æ' | 'Ā' | 'Ă' | 'Ą' => 'A',
        'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => 'C',
        'Ð' | 'Ď' | 'Đ' => 'D',
        'È'..='Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => 'E',
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => 'G',
        'Ĥ' | 'Ħ' => 'H',
        'Ì'..='Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => 'I',
        'Ĵ' => 'J',
        'Ķ' => 'K',
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => 'L',
        'Ñ' | 'Ń' | 'Ņ' | 'Ň' => 'N',
        'Ò'..='Ö' | 'Ø' | 'Ō' | 'Ŏ' | 'Ő' | 'Œ' => 'O',
        'Þ' => 'P',
        'Ŕ' | 'Ŗ' | 'Ř' => 'R',
        'Ś' | 'Ŝ' | 'Ş' | 'Š' => 'S',
        'Ţ' | 'Ť' | 'Ŧ' => 'T',
        'Ù'..='Ü' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => 'U',
        'Ŵ' => 'W',
        'Ý' | 'Ŷ' | 'Ÿ' => 'Y',
        'Ź' | 'Ż' | 'Ž' => 'Z',
        'à'..='æ' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
        'ð' | 'ď' | 'đ' => 'd',
        'è'..='ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'ĥ' | 'ħ' => 'h',
        'ì'..='ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => 'i',
        'ĵ' => 'j',
        'ķ' => 'k',
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
        'ò'..='ö' | 'ø' | 'ō' | 'ŏ' | 'ő' | 'œ' => 'o',
        'þ' => 'p',
        'ŕ' | 'ŗ' | 'ř' => 'r',
        'ś' | 'ŝ' | 'ş' | 'š' | 'ß' => 's',
        'ţ' | 'ť' | 'ŧ' => 't',
        'ù'..='ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'ŵ' => 'w',
        'ý' | 'ÿ' | 'ŷ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        _ => '?',
    }
}

/// How a caption fits its box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Caption {
    /// Pixels per glyph pixel.
    pub scale: usize,
    /// How many of the text's characters are drawn.
    pub shown: usize,
    /// Whether ".." follows them (the text was cut).
    pub cut: bool,
    /// Where the caption is drawn (even left and top).
    pub rect: Rect,
}

/// The caption of `text` centred in `area`: the largest integer scale at which the text fits
/// 7/8 of the width and a quarter of the height; when even scale 1 is too wide, as many
/// characters as fit followed by "..". `None` when nothing fits (or there is no text).
pub(crate) fn fit(text: &str, area: Rect) -> Option<Caption> {
    let n = text.chars().count();
    let avail = area.width * 7 / 8;
    if n == 0 || area.height < GLYPH_H {
        return None;
    }
    // At scale s, k glyphs are s·(k·ADVANCE − 1) wide (no spacing after the last).
    let span = |k: usize| k * ADVANCE - 1;
    let by_height = (area.height / (4 * GLYPH_H)).max(1);
    let by_width = avail / span(n);
    let (scale, shown, cut) = if by_width >= 1 {
        (by_width.min(by_height), n, false)
    } else {
        let fits = (avail + 1) / ADVANCE;
        if fits < 3 {
            return None;
        }
        (1, fits - 2, true)
    };
    let width = scale * span(shown + if cut { 2 } else { 0 });
    let height = scale * GLYPH_H;
    Some(Caption {
        scale,
        shown,
        cut,
        rect: Rect::new(
            area.x + (((area.width - width) / 2) & !1),
            area.y + (((area.height - height) / 2) & !1),
            width,
            height,
        ),
    })
}

/// Draw `text` centred in `area` of `dst` in `colour` (see [`fit`]); returns where, if
/// anywhere. Luma is drawn per pixel; chroma for each 2×2 block whose top-left pixel is lit
/// (exact at even scales).
pub(crate) fn draw_text(dst: &mut Frame, area: Rect, text: &str, colour: Yuv) -> Option<Rect> {
    let caption = fit(text, area)?;
    let s = caption.scale;
    let dots = if caption.cut { ".." } else { "" };
    let chars = text.chars().take(caption.shown).chain(dots.chars());
    for (i, c) in chars.enumerate() {
        let left = caption.rect.x + i * ADVANCE * s;
        for (r, bits) in glyph(c).iter().enumerate() {
            for col in 0..GLYPH_W {
                if bits & (1 << (GLYPH_W - 1 - col)) != 0 {
                    let block = Rect::new(left + col * s, caption.rect.y + r * s, s, s);
                    paint(dst, block, colour);
                }
            }
        }
    }
    Some(caption.rect)
}

/// Paint `block` (any alignment, clipped to the frame) with `colour`.
fn paint(dst: &mut Frame, block: Rect, colour: Yuv) {
    let (width, height) = (dst.width(), dst.height());
    let (x1, y1) = (block.right().min(width), block.bottom().min(height));
    if block.x >= x1 || block.y >= y1 {
        return;
    }
    let (luma, u, v) = dst.planes_mut();
    for y in block.y..y1 {
        luma[y * width + block.x..y * width + x1].fill(colour.y);
        if y % 2 == 0 {
            let row = (y / 2) * (width / 2);
            for x in (block.x..x1).filter(|x| x % 2 == 0) {
                u[row + x / 2] = colour.u;
                v[row + x / 2] = colour.v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A glyph as its picture rows, for assertions.
    fn rows(c: char) -> Vec<String> {
        glyph(c)
            .iter()
            .map(|bits| {
                (0..GLYPH_W)
                    .map(|col| {
                        if bits & (1 << (GLYPH_W - 1 - col)) != 0 {
                            '#'
                        } else {
                            '.'
                        }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_picture_parses_into_the_right_glyphs() {
        assert_eq!(
            rows('A'),
            [".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#", ".....", "....."]
        );
        assert_eq!(rows('g')[8], ".###.");
        assert_eq!(rows('~')[3], "#.#.#");
        assert!(glyph(' ').iter().all(|&r| r == 0));
        // Every printable glyph but the space lights something, and no two are the same.
        for a in '!'..='~' {
            assert!(glyph(a).iter().any(|&r| r != 0), "{a:?} blank");
            for b in (a..='~').skip(1) {
                assert_ne!(glyph(a), glyph(b), "{a:?} = {b:?}");
            }
        }
    }

    #[test]
    fn accents_fold_to_base_letters_and_the_rest_to_question_marks() {
        for (c, base) in [
            ('é', 'e'),
            ('Å', 'A'),
            ('ø', 'o'),
            ('Ł', 'L'),
            ('ß', 's'),
            ('ž', 'z'),
            ('Ñ', 'N'),
            ('\u{a0}', ' '),
        ] {
            assert_eq!(fold(c), base, "{c}");
            assert_eq!(glyph(c), glyph(base));
        }
        for c in ['×', '÷', '€', '日', '\u{7f}', '\n', '😀'] {
            assert_eq!(fold(c), '?', "{c:?}");
        }
    }

    #[test]
    fn captions_scale_to_fit_and_cut_long_names() {
        let tile = Rect::new(0, 0, 636, 356);
        // Short: limited by height (356 / 36 = 9).
        let c = fit("Ann", tile).unwrap();
        assert_eq!((c.scale, c.shown, c.cut), (9, 3, false));
        // Longer: limited by width (556 / (22·6 − 1) = 4).
        let c = fit("Bartholomew Fitzgerald", tile).unwrap();
        assert_eq!((c.scale, c.shown, c.cut), (4, 22, false));
        // Too long even at scale 1 for a small tile (70·7/8 = 61 px: 10 cells, 8 + "..").
        let small = Rect::new(100, 50, 70, 40);
        let c = fit("Maximiliane Ottoline", small).unwrap();
        assert_eq!((c.scale, c.shown, c.cut), (1, 8, true));
        for c in [fit("Ann", tile).unwrap(), c] {
            let area = if c.cut { small } else { tile };
            assert!(c.rect.x >= area.x && c.rect.right() <= area.right());
            assert!(c.rect.y >= area.y && c.rect.bottom() <= area.bottom());
            assert_eq!((c.rect.x % 2, c.rect.y % 2), (0, 0));
        }
        assert_eq!(fit("", tile), None);
        assert_eq!(fit("Ann", Rect::new(0, 0, 16, 40)), None);
        assert_eq!(fit("Ann", Rect::new(0, 0, 100, 8)), None);
    }

    #[test]
    fn drawn_text_stays_in_its_caption() {
        let mut f = Frame::new(320, 180);
        let white = Yuv::from_rgb(255, 255, 255);
        let rect = draw_text(&mut f, Rect::new(20, 20, 200, 100), "Héloïse Ñ?", white).unwrap();
        let mut lit = 0;
        for y in 0..180 {
            for x in 0..320 {
                if f.pixel(x, y).y == white.y {
                    assert!(rect.contains(x, y), "({x},{y}) outside {rect:?}");
                    lit += 1;
                }
            }
        }
        // 'H' alone lights 17 glyph pixels of 2×2.
        assert!(lit > 17 * 4, "{lit}");
    }
}
