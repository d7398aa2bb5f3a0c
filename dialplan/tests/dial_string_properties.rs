//! Properties of the dial-string readers: `normalise` is idempotent and blind to separators,
//! every written form of a gateway followed by a conference number is that GDS string, and no
//! input (URI user part or SIP INFO body) can panic `classify` or `parse_info`.

use dialplan::{classify, normalise, parse_info, GatewayNumber, Route};
use proptest::prelude::*;

fn gateways() -> Vec<GatewayNumber> {
    vec![GatewayNumber {
        e164: "33426687307".into(),
        language: "fr".into(),
    }]
}

/// The national digits of the gateway, in one of the ways people write them.
fn gateway_form() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("+33426687307".to_string()),
        Just("+33 (0)4 26 68 73 07".to_string()),
        Just("0033426687307".to_string()),
        Just("0426687307".to_string()),
        Just("04-26-68-73-07".to_string()),
        Just("33426687307".to_string()),
    ]
}

proptest! {
    #[test]
    fn normalise_is_idempotent(s in "[+0-9 ().-]{0,20}") {
        if let Some(n) = normalise(&s, "33") {
            prop_assert_eq!(normalise(&n, "33"), Some(n.clone()));
            prop_assert!(n.len() <= 15 && !n.starts_with('0'));
        }
    }

    #[test]
    fn separators_do_not_matter(digits in "[1-9][0-9]{5,12}", cuts in prop::collection::vec((0usize..14, prop::sample::select(vec![" ", "-", "."])), 0..4)) {
        let mut written = digits.clone();
        for (at, sep) in cuts {
            let at = at.min(written.len());
            if written.is_char_boundary(at) {
                written.insert_str(at, sep);
            }
        }
        prop_assert_eq!(normalise(&format!("+{written}"), "33"), Some(digits));
    }

    #[test]
    fn any_gateway_form_then_a_number_is_gds(
        gateway in gateway_form(),
        sep in prop::sample::select(vec!["", "#", "*", "%23"]),
        number in "[0-9]{1,10}",
        end in prop::sample::select(vec!["", "#"]),
    ) {
        let user = format!("{gateway}{sep}{number}{end}");
        prop_assert_eq!(
            classify(&user, &gateways(), "33"),
            Route::Gds { language: "fr".into(), number }
        );
    }

    #[test]
    fn classify_never_panics(user in "\\PC{0,40}") {
        let _ = classify(&user, &gateways(), "33");
    }

    #[test]
    fn classify_never_panics_on_dial_characters(user in "[0-9+*#%;() a-fA-F.-]{0,40}") {
        let _ = classify(&user, &gateways(), "33");
    }

    #[test]
    fn parse_info_never_panics(
        content_type in prop::sample::select(vec!["application/dtmf-relay", "application/dtmf", "x/y"]),
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        if let Some(key) = parse_info(content_type, &body) {
            prop_assert!("0123456789*#ABCD".contains(key));
        }
    }

    #[test]
    fn dtmf_relay_round_trip(key in prop::sample::select("0123456789*#ABCD".chars().collect::<Vec<_>>()), duration in 0u32..5000) {
        let body = format!("Signal={key}\r\nDuration={duration}\r\n");
        prop_assert_eq!(parse_info("application/dtmf-relay", body.as_bytes()), Some(key));
    }
}
