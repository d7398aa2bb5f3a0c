//! What a dialled Request-URI user part means (issue #3): a gateway number (IVR from the start), a
//! GDS string (gateway number immediately followed by a conference number), a conference number
//! (room system), a conference number with its code (`721051**1289`, `721051***1289`).
//!
//! Phone numbers are compared after normalisation to E.164 digits with a default country code
//! (33): `+33 (0)4 26 68 73 07`, `+33426687307`, `0033426687307`, `0426687307` and the bare
//! `33426687307` that some gateways send are the same number; visual separators (space, `-`, `.`,
//! `/`, parentheses) and the `(0)` trunk prefix are ignored.
//!
//! A gateway matches only when *all* its digits are at the start of the normalised user part, so
//! a conference number that is a prefix of a gateway number (`33426`) is never read as one. What
//! follows a matched gateway must be digits (the GDS conference number), optionally after one `#`
//! or `*` separator and optionally ended by one `#` (`+33426687307#721051#`; a gateway number
//! ended by a lone `#` is the gateway itself); anything else there
//! means the user part is not a GDS string and it is read as a room-system URI instead.

use crate::target::parse_user;

/// E.164 numbers have at most 15 digits (ITU-T E.164 §6.1).
const E164_MAX_DIGITS: usize = 15;

/// Longest GDS conference number accepted (same bound as [`crate::target`]).
const GDS_MAX_DIGITS: usize = 32;

/// A gateway number the bridge answers, with the language its callers hear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayNumber {
    /// E.164 digits without `+` (e.g. `33426687307`). [`classify`] normalises it again, so a
    /// `+33…` or national form written here still matches.
    pub e164: String,
    /// Prompt language (`fr`, `en`).
    pub language: String,
}

impl GatewayNumber {
    /// A gateway number from any dialled form (`+33 (0)4 26 68 73 07`, `0426687307`…), with
    /// `country` as the default country code. `None` when `number` is not a phone number.
    pub fn parse(number: &str, language: &str, country: &str) -> Option<GatewayNumber> {
        Some(GatewayNumber {
            e164: normalise(number, country)?,
            language: language.to_string(),
        })
    }
}

/// Where a call goes first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// A gateway number: full IVR, in this language.
    Gateway {
        /// Prompt language.
        language: String,
    },
    /// A GDS string: gateway number + conference number; ask for the code.
    Gds {
        /// Prompt language.
        language: String,
        /// The conference number.
        number: String,
    },
    /// A conference number (room system URI); ask for the code.
    Conference {
        /// The conference number.
        number: String,
    },
    /// A conference number and its code in the URI.
    Direct {
        /// The conference number.
        number: String,
        /// The access code.
        code: String,
    },
    /// Nothing we know: the IVR says "not found" and asks for the number (auto-attendant).
    Unknown,
}

/// Normalise a dialled string to E.164 digits (no `+`), with `country` as the default country
/// code for national numbers (leading single 0). `None` when it is not a phone number.
///
/// Accepted forms: `+CC…`, `00CC…` (international prefix), `0…` (national, trunk prefix 0), and
/// bare digits, which are taken as E.164 already (gateways often drop the `+`). The result has
/// 1–15 digits and does not start with 0 (no country code does).
pub fn normalise(dialled: &str, country: &str) -> Option<String> {
    let digits = international_digits(&strip_separators(dialled), country)?;
    (digits.len() <= E164_MAX_DIGITS).then_some(digits)
}

/// Classify a Request-URI user part.
///
/// `gateways` are tried longest first, so of two gateways where one is a prefix of the other the
/// more specific wins. `;` parameters of a telephone-subscriber user part
/// (`+33426687307;phone-context=…`) are ignored.
///
/// Percent-escapes are decoded first: RFC 3261 §25.1 does not allow `#` unescaped in a SIP URI
/// user part, so a GDS string with a `#` separator arrives as `%23`.
pub fn classify(user: &str, gateways: &[GatewayNumber], country: &str) -> Route {
    let decoded = percent_decode(user);
    let user = decoded.split(';').next().unwrap_or_default();
    if let Some(route) = classify_gateway(user, gateways, country) {
        return route;
    }
    match parse_user(user) {
        Some(target) => match target.code {
            Some(code) => Route::Direct {
                number: target.number,
                code,
            },
            None => Route::Conference {
                number: target.number,
            },
        },
        None => Route::Unknown,
    }
}

/// A gateway number or a GDS string, when `user` starts with a whole gateway number.
fn classify_gateway(user: &str, gateways: &[GatewayNumber], country: &str) -> Option<Route> {
    let cleaned = strip_separators(user);
    // The phone-number part ends at the first GDS separator; the rest is the conference number.
    let split = cleaned.find(['#', '*']).unwrap_or(cleaned.len());
    let (head, tail) = cleaned.split_at(split);
    let head = international_digits(head, country)?;

    let mut candidates: Vec<(String, &GatewayNumber)> = gateways
        .iter()
        .filter_map(|g| Some((normalise(&g.e164, country)?, g)))
        .collect();
    candidates.sort_by_key(|(e164, _)| std::cmp::Reverse(e164.len()));

    for (e164, gateway) in candidates {
        let Some(rest) = head.strip_prefix(e164.as_str()) else {
            continue;
        };
        let language = gateway.language.clone();
        // A lone trailing `#` is the caller's "end of number" key, not a GDS separator.
        if rest.is_empty() && (tail.is_empty() || tail == "#") {
            return Some(Route::Gateway { language });
        }
        let number = gds_number(rest, tail)?;
        return Some(Route::Gds { language, number });
    }
    None
}

/// The conference number of a GDS string: `rest` (digits glued to the gateway number) or, after
/// one separator, `tail`; one trailing `#` allowed. `None` when the shape is anything else.
fn gds_number(rest: &str, tail: &str) -> Option<String> {
    let number = if rest.is_empty() {
        // `GATEWAY#NUMBER` or `GATEWAY*NUMBER`: exactly one separator.
        let after = tail.get(1..)?;
        after.strip_suffix('#').unwrap_or(after)
    } else {
        // `GATEWAYNUMBER` or `GATEWAYNUMBER#`.
        if !(tail.is_empty() || tail == "#") {
            return None;
        }
        rest
    };
    let ok = !number.is_empty()
        && number.len() <= GDS_MAX_DIGITS
        && number.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| number.to_string())
}

/// `user` with each `%HH` replaced by its byte; `user` itself when that is not UTF-8.
fn percent_decode(user: &str) -> String {
    let bytes = user.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| user.to_string())
}

/// Drop what phones and people write between digits. The `(0)` trunk prefix of
/// `+33 (0)4…` goes before the parentheses, so that its 0 does not stay behind.
fn strip_separators(dialled: &str) -> String {
    let spaced: String = dialled
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '-' | '.' | '/'))
        .collect();
    spaced
        .replace("(0)", "")
        .chars()
        .filter(|c| !matches!(c, '(' | ')'))
        .collect()
}

/// International digits (no `+`, no length cap) of a separator-free phone number.
fn international_digits(cleaned: &str, country: &str) -> Option<String> {
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let digits = if let Some(rest) = cleaned.strip_prefix('+') {
        rest.to_string()
    } else if let Some(rest) = cleaned.strip_prefix("00") {
        rest.to_string()
    } else if let Some(rest) = cleaned.strip_prefix('0') {
        let country = country.trim().trim_start_matches('+');
        if !all_digits(country) || !all_digits(rest) {
            return None;
        }
        format!("{country}{rest}")
    } else {
        cleaned.to_string()
    };
    (all_digits(&digits) && !digits.starts_with('0')).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateways() -> Vec<GatewayNumber> {
        vec![
            GatewayNumber {
                e164: "33426687307".into(),
                language: "fr".into(),
            },
            GatewayNumber {
                e164: "+44 20 7946 0000".into(),
                language: "en".into(),
            },
        ]
    }

    fn gateway_fr() -> Route {
        Route::Gateway {
            language: "fr".into(),
        }
    }

    fn gds_fr(number: &str) -> Route {
        Route::Gds {
            language: "fr".into(),
            number: number.into(),
        }
    }

    #[test]
    fn normalise_every_written_form_of_one_number() {
        for dialled in [
            "+33 (0)4 26 68 73 07",
            "+33426687307",
            "0033426687307",
            "0426687307",
            "04 26 68 73 07",
            "04-26-68-73-07",
            "04.26.68.73.07",
            "(04) 26 68 73 07",
            "33426687307",
        ] {
            assert_eq!(
                normalise(dialled, "33").as_deref(),
                Some("33426687307"),
                "{dialled:?}"
            );
        }
    }

    #[test]
    fn normalise_uses_the_given_country() {
        assert_eq!(
            normalise("020 7946 0000", "44").as_deref(),
            Some("442079460000")
        );
        assert_eq!(
            normalise("0426687307", "+33").as_deref(),
            Some("33426687307")
        );
    }

    #[test]
    fn normalise_rejects_what_is_not_a_phone_number() {
        for dialled in [
            "",
            "+",
            "0",
            "00",
            "alice",
            "+33abc",
            "721051**1289",
            "+0426687307",
            "1234567890123456",
            "33426687307#",
        ] {
            assert_eq!(normalise(dialled, "33"), None, "{dialled:?}");
        }
        // A national number cannot be completed without a usable country code.
        assert_eq!(normalise("0426687307", "FR"), None);
    }

    #[test]
    fn gateway_in_every_form() {
        for user in [
            "+33426687307",
            "0033426687307",
            "0426687307",
            "33426687307",
            "+33(0)426687307",
            "+33426687307;phone-context=example.net",
            "+33426687307#",
        ] {
            assert_eq!(classify(user, &gateways(), "33"), gateway_fr(), "{user:?}");
        }
        assert_eq!(
            classify("+442079460000", &gateways(), "33"),
            Route::Gateway {
                language: "en".into()
            }
        );
    }

    #[test]
    fn gds_strings() {
        for user in [
            "+33426687307721051",
            "0426687307721051",
            "0033426687307721051",
            "33426687307721051",
            "+33426687307#721051",
            "+33426687307*721051",
            "+33426687307#721051#",
            "+33426687307721051#",
        ] {
            assert_eq!(
                classify(user, &gateways(), "33"),
                gds_fr("721051"),
                "{user:?}"
            );
        }
    }

    #[test]
    fn escaped_uri_characters() {
        assert_eq!(
            classify("%2B33426687307%23721051", &gateways(), "33"),
            gds_fr("721051")
        );
        assert_eq!(
            classify("721051%2a%2a1289", &gateways(), "33"),
            Route::Direct {
                number: "721051".into(),
                code: "1289".into()
            }
        );
        // A lone or broken escape is just a character that is not a digit.
        assert_eq!(classify("7210%", &gateways(), "33"), Route::Unknown);
        assert_eq!(classify("%zz", &gateways(), "33"), Route::Unknown);
        assert_eq!(classify("%ff", &gateways(), "33"), Route::Unknown);
    }

    #[test]
    fn malformed_gds_is_not_a_gds() {
        for user in [
            "+33426687307##721051",
            "+33426687307#*",
            "+33426687307#72a051",
            "+33426687307721051**1289",
        ] {
            assert_eq!(
                classify(user, &gateways(), "33"),
                Route::Unknown,
                "{user:?}"
            );
        }
    }

    #[test]
    fn conference_numbers_that_look_like_a_gateway_prefix_are_conferences() {
        for user in ["33426", "3342668730", "426687307"] {
            assert_eq!(
                classify(user, &gateways(), "33"),
                Route::Conference {
                    number: user.into()
                },
                "{user:?}"
            );
        }
    }

    #[test]
    fn longest_gateway_wins() {
        let mut gws = gateways();
        gws.insert(
            0,
            GatewayNumber {
                e164: "3342668730".into(),
                language: "en".into(),
            },
        );
        assert_eq!(classify("+33426687307", &gws, "33"), gateway_fr());
        assert_eq!(
            classify("+33426687309", &gws, "33"),
            Route::Gds {
                language: "en".into(),
                number: "9".into()
            }
        );
    }

    #[test]
    fn room_system_forms() {
        let gws = gateways();
        assert_eq!(
            classify("721051", &gws, "33"),
            Route::Conference {
                number: "721051".into()
            }
        );
        for user in ["721051**1289", "721051***1289"] {
            assert_eq!(
                classify(user, &gws, "33"),
                Route::Direct {
                    number: "721051".into(),
                    code: "1289".into()
                },
                "{user:?}"
            );
        }
    }

    #[test]
    fn anything_else_is_unknown() {
        for user in ["", "alice", "+33123456789", "721051**", "**1289"] {
            assert_eq!(
                classify(user, &gateways(), "33"),
                Route::Unknown,
                "{user:?}"
            );
        }
    }

    #[test]
    fn gateway_number_parse() {
        assert_eq!(
            GatewayNumber::parse("+33 (0)4 26 68 73 07", "fr", "33"),
            Some(GatewayNumber {
                e164: "33426687307".into(),
                language: "fr".into()
            })
        );
        assert_eq!(GatewayNumber::parse("gateway", "fr", "33"), None);
    }
}
