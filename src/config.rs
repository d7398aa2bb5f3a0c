//! Configuration: `pont.toml` (optional), then `PONT_*` environment variables, then command-line
//! flags, in that order of strength (clap merges the last two; the file fills what neither gave).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Default SIP listen address (UDP and TCP).
pub const DEFAULT_SIP: &str = "0.0.0.0:5060";
/// Default RTP port range.
pub const DEFAULT_RTP_PORTS: &str = "40000-40999";
/// Default web listen address.
pub const DEFAULT_WEB: &str = "127.0.0.1:8080";
/// Default store.
pub const DEFAULT_DB: &str = "sqlite://pont.db";

/// A configuration value that does not make sense.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for our keys.
    #[error("config file {path}: {message}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The TOML error, as text (it names the line).
        message: String,
    },
    /// An address is not `IP:PORT`.
    #[error("{what}: {value:?} is not an address of the form IP:PORT")]
    Address {
        /// Which setting.
        what: &'static str,
        /// The value given.
        value: String,
    },
    /// A gateway number is not a phone number.
    #[error(
        "gateway-number: {0:?} is not a phone number (NUMBER or NUMBER=LANG, e.g. +33426687307=fr)"
    )]
    Gateway(String),
    /// No prompts exist in this language.
    #[error("language: {0:?} is not one of fr, en")]
    Language(String),
    /// The RTP range is not `LOW-HIGH` with 1024 ≤ LOW < HIGH ≤ 65535 and room for a pair.
    #[error(
        "rtp-ports: {0:?} is not a range LOW-HIGH of at least two ports between 1024 and 65535"
    )]
    RtpPorts(String),
}

/// The keys `pont.toml` may hold (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// SIP listen address.
    pub sip: Option<String>,
    /// RTP port range `LOW-HIGH`.
    pub rtp_ports: Option<String>,
    /// Web listen address.
    pub web: Option<String>,
    /// Database URL.
    pub db: Option<String>,
    /// Address put in SDP `c=` and SIP Contact when listening on 0.0.0.0.
    pub public_ip: Option<String>,
    /// Mixer threads (default: one per core).
    pub mixer_threads: Option<usize>,
    /// Gateway numbers, `NUMBER` or `NUMBER=LANG` (e.g. `+33426687307=fr`).
    pub gateway_numbers: Option<Vec<String>>,
    /// Default prompt language (`fr` or `en`).
    pub language: Option<String>,
    /// Country code for national numbers (`33`).
    pub country_code: Option<String>,
    /// Minutes before its start a conference can be joined.
    pub early_join_minutes: Option<i64>,
    /// Wrong codes from one source that lock it out (within `lockout_minutes`).
    pub lockout_threshold: Option<u32>,
    /// Minutes over which wrong codes are counted, and for which a source stays locked.
    pub lockout_minutes: Option<u64>,
}

impl FileConfig {
    /// Read a TOML file.
    pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Toml {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }
}

/// The bridge's settings once every source is merged and checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// SIP listen address (UDP and TCP).
    pub sip: SocketAddr,
    /// RTP ports: even ports for RTP, the next odd one for RTCP.
    pub rtp_ports: (u16, u16),
    /// Web (metrics, portal) listen address.
    pub web: SocketAddr,
    /// Database URL.
    pub db: String,
    /// Address advertised in SDP and Contact; `None` = derived from the SIP address or the
    /// interface that reaches the caller.
    pub public_ip: Option<std::net::IpAddr>,
    /// Number of mixer threads.
    pub mixer_threads: usize,
    /// Gateway numbers (callers get the full IVR), with their prompt language.
    pub gateways: Vec<dialplan::GatewayNumber>,
    /// Prompt language when the route does not say.
    pub language: String,
    /// Country code used to normalise national numbers.
    pub country_code: String,
    /// Seconds before its start a conference opens.
    pub early_join_secs: i64,
    /// IVR timings.
    pub ivr: dialplan::IvrConfig,
    /// Wrong-code lockout.
    pub lockout: dialplan::LockoutConfig,
    /// The booking portal: public names on the connection sheet, mail.
    pub portal: PortalConfig,
}

/// What the booking portal needs to know about the bridge's public face (issue #4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalConfig {
    /// Host part of the SIP URIs on the connection sheet (`sip:721051@HOST`), e.g.
    /// `visio.example.fr`. Default: the public IP, or the SIP listen address.
    pub sip_domain: String,
    /// H.323 gatekeeper/gateway address; the sheet shows an H.323 alias only when set.
    pub h323_address: Option<String>,
    /// Phone numbers of the PSTN gateway as printed on the sheet (e.g. `+33 4 26 68 73 07`).
    /// Default: the configured gateway numbers.
    pub phone_numbers: Vec<String>,
    /// Base URL of the portal for links in mails (`https://visio.example.fr`), no trailing slash.
    /// Default: `http://` + the web listen address.
    pub public_url: String,
    /// Digits of an allocated conference number (default 6).
    pub number_digits: u32,
    /// Time zone preselected on the form (IANA name, default `Europe/Paris`).
    pub time_zone: String,
    /// Outgoing mail; `None` = invitations wait in the outbox until SMTP is configured.
    pub smtp: Option<SmtpConfig>,
    /// `From:` of invitations, also the calendar ORGANIZER.
    pub mail_from: String,
    /// Whether the session cookie carries `Secure` (set when `public_url` is https).
    pub secure_cookies: bool,
}

/// How invitations leave: an SMTP relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// Relay host name or IP.
    pub host: String,
    /// Relay port (25, 587 or 465).
    pub port: u16,
    /// Transport security.
    pub tls: SmtpTls,
    /// Login, when the relay wants one.
    pub username: Option<String>,
    /// Password for `username`.
    pub password: Option<String>,
}

/// Transport security towards the SMTP relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain SMTP (a relay on the local network, tests).
    None,
    /// STARTTLS required (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl PortalConfig {
    /// Defaults derived from the listen addresses and gateways (no SMTP).
    pub fn defaults(sip: SocketAddr, web: SocketAddr, gateways: &[dialplan::GatewayNumber]) -> Self {
        PortalConfig {
            sip_domain: sip.ip().to_string(),
            h323_address: None,
            phone_numbers: gateways.iter().map(|g| g.e164.clone()).collect(),
            public_url: format!("http://{web}"),
            number_digits: 6,
            time_zone: "Europe/Paris".into(),
            smtp: None,
            mail_from: "pont@localhost".into(),
            secure_cookies: false,
        }
    }
}

/// Languages the prompts exist in.
pub const LANGUAGES: &[&str] = &["fr", "en"];

/// Parse a gateway number, `NUMBER` or `NUMBER=LANG`.
pub fn parse_gateway(
    spec: &str,
    default_language: &str,
    country: &str,
) -> Result<dialplan::GatewayNumber, ConfigError> {
    let (number, language) = match spec.split_once('=') {
        Some((n, l)) => (n, l.trim()),
        None => (spec, default_language),
    };
    let e164 = dialplan::route::normalise(number.trim(), country)
        .ok_or_else(|| ConfigError::Gateway(spec.to_string()))?;
    Ok(dialplan::GatewayNumber {
        e164,
        language: parse_language(language)?,
    })
}

/// Check a prompt language.
pub fn parse_language(language: &str) -> Result<String, ConfigError> {
    let l = language.trim().to_ascii_lowercase();
    if LANGUAGES.contains(&l.as_str()) {
        Ok(l)
    } else {
        Err(ConfigError::Language(language.to_string()))
    }
}

/// Parse `IP:PORT`.
pub fn parse_addr(what: &'static str, value: &str) -> Result<SocketAddr, ConfigError> {
    value.trim().parse().map_err(|_| ConfigError::Address {
        what,
        value: value.to_string(),
    })
}

/// Parse `LOW-HIGH`.
pub fn parse_port_range(value: &str) -> Result<(u16, u16), ConfigError> {
    let bad = || ConfigError::RtpPorts(value.to_string());
    let (low, high) = value.trim().split_once('-').ok_or_else(bad)?;
    let low: u16 = low.trim().parse().map_err(|_| bad())?;
    let high: u16 = high.trim().parse().map_err(|_| bad())?;
    // A call needs an even RTP port and the odd RTCP port above it.
    let first_even = low + (low % 2);
    if low < 1024 || high <= low || first_even.checked_add(1).is_none_or(|odd| odd > high) {
        return Err(bad());
    }
    Ok((low, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_ranges() {
        assert_eq!(parse_port_range("40000-40999").unwrap(), (40000, 40999));
        assert_eq!(parse_port_range(" 2000 - 2001 ").unwrap(), (2000, 2001));
        for bad in [
            "",
            "40000",
            "40999-40000",
            "80-90",
            "2001-2002",
            "a-b",
            "40000-70000",
        ] {
            assert!(parse_port_range(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn addresses() {
        assert!(parse_addr("sip", "127.0.0.1:5060").is_ok());
        assert!(parse_addr("sip", "[::1]:5060").is_ok());
        let e = parse_addr("sip", "localhost").unwrap_err().to_string();
        assert!(e.contains("IP:PORT"), "{e}");
    }

    #[test]
    fn file_rejects_unknown_keys() {
        let dir = std::env::temp_dir().join(format!("pont-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("pont.toml");
        std::fs::write(&path, "sip = \"127.0.0.1:5070\"\nweb = \"127.0.0.1:9\"\n").unwrap();
        let cfg = FileConfig::load(&path).unwrap();
        assert_eq!(cfg.sip.as_deref(), Some("127.0.0.1:5070"));
        std::fs::write(&path, "sipp = 1\n").unwrap();
        assert!(FileConfig::load(&path).is_err());
    }
}
