//! H.264 Annex B byte stream (ITU-T H.264 Annex B): NAL units separated by start codes
//! (`00 00 01`, or `00 00 00 01` where a zero_byte precedes it), as encoders write to files and
//! decoders read.

/// The 4-byte start code this module writes before every NAL unit.
pub const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// Appends one NAL unit to an Annex B buffer: a 4-byte start code, then the unit.
pub fn write_annexb_nal(out: &mut Vec<u8>, nal: &[u8]) {
    out.extend_from_slice(&START_CODE);
    out.extend_from_slice(nal);
}

/// The NAL units of an Annex B byte stream, in order (see [`split_annexb`]).
#[derive(Debug, Clone)]
pub struct AnnexBNals<'a> {
    rest: &'a [u8],
}

/// Splits an Annex B byte stream into its NAL units.
///
/// Both 3- and 4-byte start codes are accepted; bytes before the first start code are skipped,
/// trailing zero bytes of a unit (the next start code's zero_byte, trailing_zero_8bits) are not
/// part of it, and empty units (two start codes in a row) are skipped. A NAL unit never ends
/// in `00` (H.264 §7.4.1), so this gives back exactly the units that were written.
pub fn split_annexb(data: &[u8]) -> AnnexBNals<'_> {
    let rest = match find_start_code(data) {
        Some((_, after)) => &data[after..],
        None => &[],
    };
    AnnexBNals { rest }
}

/// Finds the first `00 00 01` in `data`: (index of its first byte, index just after it).
fn find_start_code(data: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i + 3 <= data.len() {
        // Skip quickly: a start code needs data[i + 2] == 1 and two zeros before it.
        match data[i + 2] {
            1 if data[i] == 0 && data[i + 1] == 0 => return Some((i, i + 3)),
            0 => i += 1,
            _ => i += 3,
        }
    }
    None
}

impl<'a> Iterator for AnnexBNals<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        while !self.rest.is_empty() {
            let (unit, rest) = match find_start_code(self.rest) {
                Some((at, after)) => (&self.rest[..at], &self.rest[after..]),
                None => (self.rest, &[][..]),
            };
            self.rest = rest;
            let end = unit.iter().rposition(|b| *b != 0).map_or(0, |p| p + 1);
            if end > 0 {
                return Some(&unit[..end]);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nals(data: &[u8]) -> Vec<Vec<u8>> {
        split_annexb(data).map(<[u8]>::to_vec).collect()
    }

    #[test]
    fn three_and_four_byte_start_codes() {
        let data = [
            0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 4, 5,
        ];
        assert_eq!(
            nals(&data),
            vec![vec![0x67, 1, 2], vec![0x68, 3], vec![0x65, 4, 5]]
        );
    }

    #[test]
    fn leading_garbage_trailing_zeros_and_empty_units() {
        let data = [
            9, 9, 0, 0, 1, 0x41, 7, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0x41, 8, 0, 0,
        ];
        assert_eq!(nals(&data), vec![vec![0x41, 7], vec![0x41, 8]]);
        assert!(nals(&[]).is_empty());
        assert!(nals(&[0x41, 1, 2]).is_empty(), "no start code, no unit");
        assert!(nals(&[0, 0, 1]).is_empty());
        assert!(nals(&[0, 0, 0, 1, 0, 0, 0]).is_empty());
    }

    #[test]
    fn zeros_inside_a_unit_are_kept() {
        // 00 00 03 is emulation prevention; 00 00 02 is not a start code either.
        let data = [0, 0, 1, 0x65, 0, 0, 3, 1, 0, 0, 2, 0, 9];
        assert_eq!(nals(&data), vec![vec![0x65, 0, 0, 3, 1, 0, 0, 2, 0, 9]]);
    }

    #[test]
    fn write_then_split() {
        let units: [&[u8]; 3] = [&[0x67, 0x42, 0, 0x1e], &[0x68, 0xce], &[0x65, 0, 0, 3, 1]];
        let mut out = Vec::new();
        for u in units {
            write_annexb_nal(&mut out, u);
        }
        assert_eq!(&out[..5], &[0, 0, 0, 1, 0x67]);
        let back: Vec<&[u8]> = split_annexb(&out).collect();
        assert_eq!(back, units);
    }
}
