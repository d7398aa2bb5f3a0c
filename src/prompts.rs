//! The IVR's spoken prompts, decoded once at start-up from the WAVs embedded in the `media` crate
//! and resampled to the mixing rate, then shared (`Arc`) by every call that plays them.

use std::collections::HashMap;
use std::sync::Arc;

use dialplan::Prompt;

use crate::config::LANGUAGES;

/// Every prompt in every language, as PCM at the mixing rate.
#[derive(Debug)]
pub struct Prompts {
    clips: HashMap<(String, String), Arc<[i16]>>,
}

/// A prompt could not be loaded (the build embeds them all, so this is a packaging bug).
#[derive(Debug, thiserror::Error)]
#[error("prompt {language}/{name}: {reason}")]
pub struct PromptLoadError {
    language: String,
    name: String,
    reason: String,
}

/// The file name of a prompt (`media/prompts/<lang>/<name>.wav`).
pub fn file_name(prompt: Prompt) -> String {
    match prompt {
        Prompt::Welcome => "welcome".into(),
        Prompt::EnterConferenceNumber => "enter_conference_number".into(),
        Prompt::EnterAccessCode => "enter_access_code".into(),
        Prompt::NotFound => "not_found".into(),
        Prompt::WrongCode => "wrong_code".into(),
        Prompt::TryAgain => "try_again".into(),
        Prompt::TooManyAttempts => "too_many_attempts".into(),
        Prompt::Goodbye => "goodbye".into(),
        Prompt::NotStarted => "not_started".into(),
        Prompt::Ended => "ended".into(),
        Prompt::Full => "full".into(),
        Prompt::FirstParticipant => "first_participant".into(),
        Prompt::ParticipantCount(n) if (1..=20).contains(&n) => format!("participants_{n}"),
        Prompt::ParticipantCount(_) => "participants_many".into(),
        Prompt::Joining => "joining".into(),
    }
}

impl Prompts {
    /// Decode every embedded prompt at `rate` Hz.
    pub fn load(rate: u32) -> Result<Prompts, PromptLoadError> {
        let mut clips = HashMap::new();
        for &language in LANGUAGES {
            for &name in media::prompts::names() {
                let err = |reason: String| PromptLoadError {
                    language: language.into(),
                    name: name.into(),
                    reason,
                };
                let wav = media::prompts::clip(language, name)
                    .ok_or_else(|| err("not embedded".into()))?;
                let pcm = media::prompts::decode_wav(wav, rate).map_err(|e| err(e.to_string()))?;
                clips.insert((language.to_string(), name.to_string()), Arc::from(pcm));
            }
        }
        Ok(Prompts { clips })
    }

    /// The clips for `prompts` in `language` (a missing one is skipped, never fatal to a call).
    pub fn clips(&self, language: &str, prompts: &[Prompt]) -> Vec<Arc<[i16]>> {
        prompts
            .iter()
            .filter_map(|&p| {
                let name = file_name(p);
                let clip = self.clips.get(&(language.to_string(), name.clone()));
                if clip.is_none() {
                    tracing::warn!(language, prompt = %name, "prompt missing");
                }
                clip.cloned()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prompt_of_the_ivr_exists_in_every_language() {
        let prompts = Prompts::load(8000).unwrap();
        let all = [
            Prompt::Welcome,
            Prompt::EnterConferenceNumber,
            Prompt::EnterAccessCode,
            Prompt::NotFound,
            Prompt::WrongCode,
            Prompt::TryAgain,
            Prompt::TooManyAttempts,
            Prompt::Goodbye,
            Prompt::NotStarted,
            Prompt::Ended,
            Prompt::Full,
            Prompt::FirstParticipant,
            Prompt::ParticipantCount(1),
            Prompt::ParticipantCount(7),
            Prompt::ParticipantCount(20),
            Prompt::ParticipantCount(21),
            Prompt::Joining,
        ];
        for lang in LANGUAGES {
            let clips = prompts.clips(lang, &all);
            assert_eq!(clips.len(), all.len(), "{lang}");
            // At 8 kHz every prompt lasts between 0.3 s and 8 s.
            for c in clips {
                assert!(
                    (2_400..64_000).contains(&c.len()),
                    "{lang}: {} samples",
                    c.len()
                );
            }
        }
    }
}
