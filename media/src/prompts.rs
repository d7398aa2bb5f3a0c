//! The IVR prompts, embedded in the binary: RIFF/WAVE files (PCM 16-bit mono 16 kHz, made by
//! `media/prompts/make.sh` with espeak-ng and sox, which lists the exact texts) in French and
//! English, looked up by language and name, and decoded with hound then resampled (see
//! [`crate::resample`]) to a leg's rate.
//!
//! The driver decodes every clip it needs once at start-up ([`decode_wav`]) and hands the
//! engine `Arc<[i16]>`s, so nothing is decoded or allocated while a call plays them.

use std::io::Cursor;

use crate::resample::{self, ResampleError};

/// Why a WAV could not be turned into samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PromptError {
    /// Not a well-formed RIFF/WAVE file (hound's reason).
    #[error("malformed WAV: {0}")]
    Malformed(&'static str),
    /// The file ends in the middle of its header or data.
    #[error("truncated WAV")]
    Truncated,
    /// A WAVE encoding hound or this module does not decode (only integer PCM of 8–32 bits
    /// and 32-bit float are).
    #[error("unsupported WAV encoding")]
    Unsupported,
    /// The rate conversion was refused.
    #[error(transparent)]
    Resample(#[from] ResampleError),
}

impl From<hound::Error> for PromptError {
    fn from(e: hound::Error) -> Self {
        match e {
            hound::Error::FormatError(reason) => PromptError::Malformed(reason),
            // Reading from memory, the only I/O error is running out of bytes.
            hound::Error::IoError(_) | hound::Error::UnfinishedSample => PromptError::Truncated,
            _ => PromptError::Unsupported,
        }
    }
}

/// Declares the prompt names once and embeds `prompts/<lang>/<name>.wav` for each language.
macro_rules! prompt_table {
    ($($name:literal),* $(,)?) => {
        const NAMES: &[&str] = &[$($name),*];
        const FR: &[&[u8]] = &[$(include_bytes!(concat!("../prompts/fr/", $name, ".wav"))),*];
        const EN: &[&[u8]] = &[$(include_bytes!(concat!("../prompts/en/", $name, ".wav"))),*];
    };
}

prompt_table!(
    "welcome",
    "enter_conference_number",
    "enter_access_code",
    "not_found",
    "wrong_code",
    "try_again",
    "too_many_attempts",
    "goodbye",
    "not_started",
    "ended",
    "full",
    "first_participant",
    "joining",
    "participants_1",
    "participants_2",
    "participants_3",
    "participants_4",
    "participants_5",
    "participants_6",
    "participants_7",
    "participants_8",
    "participants_9",
    "participants_10",
    "participants_11",
    "participants_12",
    "participants_13",
    "participants_14",
    "participants_15",
    "participants_16",
    "participants_17",
    "participants_18",
    "participants_19",
    "participants_20",
    "participants_many",
);

/// Languages in the order of [`LANGUAGE_CLIPS`].
const LANGUAGES: &[&str] = &["fr", "en"];
/// The clips of each language, indexed like [`NAMES`].
const LANGUAGE_CLIPS: &[&[&[u8]]] = &[FR, EN];

/// Number of "there are N other participants" prompts; more than this uses `participants_many`.
pub const MAX_COUNTED_PARTICIPANTS: usize = 20;

/// The languages prompts exist in (`"fr"`, `"en"`).
pub fn languages() -> &'static [&'static str] {
    LANGUAGES
}

/// Every prompt name, each available in every language.
pub fn names() -> &'static [&'static str] {
    NAMES
}

/// The WAV bytes of prompt `name` in `lang`, if both exist.
pub fn clip(lang: &str, name: &str) -> Option<&'static [u8]> {
    let l = LANGUAGES.iter().position(|&x| x == lang)?;
    let n = NAMES.iter().position(|&x| x == name)?;
    Some(LANGUAGE_CLIPS[l][n])
}

/// The name of the prompt announcing `others` other participants (`first_participant` for 0,
/// `participants_many` beyond [`MAX_COUNTED_PARTICIPANTS`]).
pub fn participants_name(others: usize) -> std::borrow::Cow<'static, str> {
    match others {
        0 => "first_participant".into(),
        1..=MAX_COUNTED_PARTICIPANTS => format!("participants_{others}").into(),
        _ => "participants_many".into(),
    }
}

/// Decodes a RIFF/WAVE file (integer PCM of 8–32 bits or 32-bit float, any number of channels,
/// mixed down to mono) to 16-bit samples at `out_rate` Hz.
pub fn decode_wav(bytes: &[u8], out_rate: u32) -> Result<Vec<i16>, PromptError> {
    let mut reader = hound::WavReader::new(Cursor::new(bytes))?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let interleaved: Vec<f64> = match spec.sample_format {
        hound::SampleFormat::Int => {
            if !(8..=32).contains(&spec.bits_per_sample) {
                return Err(PromptError::Unsupported);
            }
            let scale = f64::from(1u32 << (spec.bits_per_sample - 1));
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| f64::from(v) / scale))
                .collect::<Result<_, _>>()?
        }
        hound::SampleFormat::Float => {
            if spec.bits_per_sample != 32 {
                return Err(PromptError::Unsupported);
            }
            reader
                .samples::<f32>()
                .map(|s| s.map(f64::from))
                .collect::<Result<_, _>>()?
        }
    };
    let mono: Vec<f64> = interleaved
        .chunks(channels)
        .map(|frame| frame.iter().sum::<f64>() / channels as f64)
        .collect();
    let resampled = resample::resample(&mono, spec.sample_rate, out_rate)?;
    Ok(resampled
        .iter()
        .map(|&v| (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAV written by hound itself, so the test does not depend on the embedded files.
    fn wav(spec: hound::WavSpec, samples: &[i32]) -> Vec<u8> {
        let mut cursor = Cursor::new(Vec::new());
        let mut w = hound::WavWriter::new(&mut cursor, spec).unwrap();
        for &s in samples {
            w.write_sample(s).unwrap();
        }
        w.finalize().unwrap();
        cursor.into_inner()
    }

    #[test]
    fn every_prompt_decodes_in_every_language() {
        assert_eq!(names().len(), 34);
        for &lang in languages() {
            for &name in names() {
                let bytes = clip(lang, name).unwrap_or_else(|| panic!("{lang}/{name}"));
                let pcm = decode_wav(bytes, 8000).unwrap_or_else(|e| panic!("{lang}/{name}: {e}"));
                let seconds = pcm.len() as f64 / 8000.0;
                assert!(
                    (0.3..6.0).contains(&seconds),
                    "{lang}/{name}: {seconds:.2} s"
                );
                let peak = pcm.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
                // Normalised to −3 dBFS by make.sh; resampling moves peaks a little.
                assert!(
                    (16000..=32767).contains(&peak),
                    "{lang}/{name}: peak {peak}"
                );
                // Trimmed: it starts and ends near its sound, not after long silence.
                let loud = |s: &&i16| s.unsigned_abs() > 300;
                let lead = pcm.iter().position(|s| loud(&s)).unwrap_or(0);
                let tail = pcm.iter().rev().position(|s| loud(&s)).unwrap_or(0);
                assert!(lead < 800 && tail < 1600, "{lang}/{name}: {lead}/{tail}");
            }
        }
    }

    #[test]
    fn lookup() {
        assert!(clip("fr", "welcome").is_some());
        assert!(clip("de", "welcome").is_none());
        assert!(clip("en", "hello").is_none());
        assert_eq!(participants_name(0), "first_participant");
        assert_eq!(participants_name(7), "participants_7");
        assert_eq!(participants_name(21), "participants_many");
        for n in 0..=21 {
            assert!(clip("en", &participants_name(n)).is_some(), "{n}");
        }
    }

    #[test]
    fn decodes_other_encodings() {
        let stereo = hound::WavSpec {
            channels: 2,
            sample_rate: 8000,
            bits_per_sample: 24,
            sample_format: hound::SampleFormat::Int,
        };
        // Left at +½ full scale, right at 0: the mono mix is ¼.
        let bytes = wav(stereo, &[1 << 22, 0, 1 << 22, 0]);
        assert_eq!(decode_wav(&bytes, 8000).unwrap(), vec![8192, 8192]);
        let mono16 = hound::WavSpec {
            channels: 1,
            sample_rate: 16000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let bytes = wav(mono16, &[1000; 320]);
        let pcm = decode_wav(&bytes, 8000).unwrap();
        assert_eq!(pcm.len(), 160);
        // A constant (0 Hz) passes the low-pass unchanged away from the edges.
        assert!(
            pcm[40..120].iter().all(|&s| (s - 1000).abs() <= 2),
            "{pcm:?}"
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(matches!(
            decode_wav(b"RIFX0000WAVE", 8000),
            Err(PromptError::Malformed(_))
        ));
        let bytes = clip("en", "goodbye").unwrap();
        assert!(decode_wav(&bytes[..30], 8000).is_err());
        assert!(matches!(
            decode_wav(bytes, 8001),
            Err(PromptError::Resample(ResampleError::Ratio { .. }))
        ));
    }
}
