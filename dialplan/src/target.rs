//! What the user part of a Request-URI asks for: a conference number, maybe with its access code.
//!
//! `721051` → conference 721051; `721051**1289` (or `***`) → conference 721051 with code 1289.
//! Visual separators that phones insert (`-`, `.`, spaces) are ignored. Anything else is not a
//! conference target (the gateway/GDS forms come with the dial-plan issue).

/// A conference reached through the URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialTarget {
    /// The conference number (digits only).
    pub number: String,
    /// The access code carried after `**`, if any (digits only).
    pub code: Option<String>,
}

/// Longest conference number or code we accept; longer input is not ours.
const MAX_DIGITS: usize = 32;

/// Read a Request-URI user part. `None` when it is not a conference number.
pub fn parse_user(user: &str) -> Option<DialTarget> {
    let cleaned: String = user
        .chars()
        .filter(|c| !matches!(c, '-' | '.' | ' '))
        .collect();
    let (number, code) = match cleaned.find("**") {
        Some(at) => {
            let code = cleaned[at..].trim_start_matches('*');
            (&cleaned[..at], Some(code))
        }
        None => (cleaned.as_str(), None),
    };
    if !is_digits(number) {
        return None;
    }
    let code = match code {
        Some(c) if is_digits(c) => Some(c.to_string()),
        Some(_) => return None,
        None => None,
    };
    Some(DialTarget {
        number: number.to_string(),
        code,
    })
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_DIGITS && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_number() {
        assert_eq!(
            parse_user("721051"),
            Some(DialTarget {
                number: "721051".into(),
                code: None
            })
        );
    }

    #[test]
    fn number_with_code() {
        let want = Some(DialTarget {
            number: "721051".into(),
            code: Some("1289".into()),
        });
        assert_eq!(parse_user("721051**1289"), want);
        assert_eq!(parse_user("721051***1289"), want);
        assert_eq!(parse_user("721-051**1289"), want);
    }

    #[test]
    fn not_a_conference() {
        for user in [
            "",
            "alice",
            "721051**",
            "721051**12a9",
            "**1289",
            "72105x",
            &"1".repeat(40),
        ] {
            assert_eq!(parse_user(user), None, "{user:?}");
        }
    }
}
