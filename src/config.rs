//! Configuration: `pont.toml` (optional), then `PONT_*` environment variables, then command-line
//! flags, in that order of strength (clap merges the last two; the file fills what neither gave).

use std::net::{IpAddr, SocketAddr};
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
    /// The SMTP relay is not `HOST:PORT`.
    #[error("smtp: {0:?} is not a relay of the form HOST:PORT (e.g. smtp.example.fr:587)")]
    Smtp(String),
    /// SMTP credentials need both halves.
    #[error("smtp: username and password go together (one of them is missing)")]
    SmtpCredentials,
    /// Not an IANA time zone name.
    #[error("portal.time_zone: {0:?} is not an IANA time zone name (e.g. Europe/Paris)")]
    TimeZone(String),
    /// The portal's base URL is not an http(s) URL.
    #[error("public-url: {0:?} is not an http:// or https:// URL (e.g. https://visio.example.fr)")]
    PublicUrl(String),
    /// A host name for the connection sheet is empty or holds characters no host has.
    #[error("{what}: {value:?} is not a host name or address (e.g. visio.example.fr)")]
    Host {
        /// Which setting.
        what: &'static str,
        /// The value given.
        value: String,
    },
    /// The sender address does not parse.
    #[error("mail-from: {0:?} is not an e-mail address (e.g. visio@example.fr or Pont <visio@example.fr>)")]
    MailFrom(String),
    /// Conference numbers of this length cannot be allocated sensibly.
    #[error("portal.number_digits: {0} is not between 4 and 10")]
    NumberDigits(u32),
    /// A printed phone number is empty.
    #[error("portal.phone_numbers: an entry is empty")]
    PhoneNumber,
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
    /// Opus encoder complexity, 0–10 (default 5).
    pub opus_complexity: Option<u8>,
    /// Video threads (default: one per core).
    pub video_threads: Option<usize>,
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
    /// `[portal]`: the bridge's public face on connection sheets and in mails.
    pub portal: Option<FilePortal>,
    /// `[smtp]`: the relay invitations leave through.
    pub smtp: Option<FileSmtp>,
}

/// The `[portal]` table of `pont.toml` (all optional).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilePortal {
    /// Host part of the sheet's SIP URIs (`visio.example.fr`).
    pub sip_domain: Option<String>,
    /// H.323 gatekeeper/gateway address; no H.323 alias on the sheet without it.
    pub h323_address: Option<String>,
    /// Gateway phone numbers as printed on the sheet.
    pub phone_numbers: Option<Vec<String>>,
    /// Base URL of the portal for links in mails.
    pub public_url: Option<String>,
    /// Digits of an allocated conference number.
    pub number_digits: Option<u32>,
    /// Time zone preselected on the form (IANA name).
    pub time_zone: Option<String>,
    /// `From:` of invitations.
    pub mail_from: Option<String>,
}

/// The `[smtp]` table of `pont.toml`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSmtp {
    /// Relay host name or IP (may be left to `--smtp`/`PONT_SMTP`).
    pub host: Option<String>,
    /// Relay port (default: by `tls`).
    pub port: Option<u16>,
    /// `none`, `starttls` or `tls` (default: by port).
    pub tls: Option<SmtpTls>,
    /// Login.
    pub username: Option<String>,
    /// Password for `username`.
    pub password: Option<String>,
    /// Seconds before the first retry of a failed mail (doubles per failure, at most 1 h).
    pub retry_secs: Option<u64>,
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
    /// Complexity of the Opus encoders, 0–10 (CPU against quality; see BENCHMARKS.md).
    pub opus_complexity: u8,
    /// Number of video threads (decode, compose, encode).
    pub video_threads: usize,
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
    /// Delay before the first retry of a failed mail; each further failure doubles it, up to
    /// [`crate::mail::MAX_BACKOFF`]. 30 s unless `retry_secs` says otherwise (tests shorten it).
    pub retry_base: std::time::Duration,
}

/// Transport security towards the SMTP relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP (a relay on the local network, tests).
    None,
    /// STARTTLS required (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl PortalConfig {
    /// Defaults derived from the listen addresses and gateways (no SMTP): the SIP domain is the
    /// SIP address (with its port unless 5060), the portal URL `http://` + the web address, an
    /// unspecified address (`0.0.0.0`) being replaced by the interface that carries the default
    /// route, as SIP Contact does.
    pub fn defaults(
        sip: SocketAddr,
        web: SocketAddr,
        gateways: &[dialplan::GatewayNumber],
    ) -> Self {
        Self::derived(sip, web, None, gateways)
    }

    /// [`PortalConfig::defaults`] when `public_ip` is advertised: it names the SIP side always
    /// (as in SIP Contact), the web side only when the web listens on an unspecified address.
    fn derived(
        sip: SocketAddr,
        web: SocketAddr,
        public_ip: Option<IpAddr>,
        gateways: &[dialplan::GatewayNumber],
    ) -> Self {
        let sip_ip = match public_ip {
            Some(ip) => ip,
            None => reachable(sip.ip(), None),
        };
        let public_url = format!(
            "http://{}",
            host_port(reachable(web.ip(), public_ip), web.port(), 80)
        );
        PortalConfig {
            sip_domain: host_port(sip_ip, sip.port(), 5060),
            h323_address: None,
            // Stored E.164 digits have no `+`; a printed international number wants one.
            phone_numbers: gateways.iter().map(|g| format!("+{}", g.e164)).collect(),
            mail_from: default_mail_from(&public_url),
            secure_cookies: false,
            public_url,
            number_digits: 6,
            time_zone: "Europe/Paris".into(),
            smtp: None,
        }
    }
}

/// The portal settings given as flags or `PONT_*` variables: each beats its key in the file.
#[derive(Debug, Default, Clone)]
pub struct PortalOverrides {
    /// `--public-url` / `PONT_PUBLIC_URL`.
    pub public_url: Option<String>,
    /// `--sip-domain` / `PONT_SIP_DOMAIN`.
    pub sip_domain: Option<String>,
    /// `--smtp HOST:PORT` / `PONT_SMTP`.
    pub smtp: Option<String>,
    /// `--mail-from` / `PONT_MAIL_FROM`.
    pub mail_from: Option<String>,
}

/// Where the bridge listens, which the portal's defaults are derived from.
#[derive(Debug, Clone, Copy)]
pub struct Listening<'a> {
    /// SIP listen address.
    pub sip: SocketAddr,
    /// Web listen address.
    pub web: SocketAddr,
    /// `--public-ip`, if given.
    pub public_ip: Option<IpAddr>,
    /// Gateway numbers (the default printed phone numbers).
    pub gateways: &'a [dialplan::GatewayNumber],
}

/// Merge flags/variables over `[portal]` and `[smtp]` over the defaults of `listening`, and
/// check every value.
pub fn resolve_portal(
    file_portal: Option<FilePortal>,
    file_smtp: Option<FileSmtp>,
    overrides: PortalOverrides,
    listening: Listening<'_>,
) -> Result<PortalConfig, ConfigError> {
    let file = file_portal.unwrap_or_default();
    let given = |flag: Option<String>, file: Option<String>| {
        flag.filter(|v| !v.trim().is_empty())
            .or(file)
            .map(|v| v.trim().to_string())
    };
    let mut portal = PortalConfig::derived(
        listening.sip,
        listening.web,
        listening.public_ip,
        listening.gateways,
    );
    if let Some(domain) = given(overrides.sip_domain, file.sip_domain) {
        portal.sip_domain = check_host("sip-domain", &domain)?;
    }
    if let Some(h323) = file.h323_address {
        // An empty value is how a file says "no H.323" explicitly.
        if !h323.trim().is_empty() {
            portal.h323_address = Some(check_host("portal.h323_address", &h323)?);
        }
    }
    if let Some(numbers) = file.phone_numbers {
        portal.phone_numbers = numbers
            .iter()
            .map(|n| match n.trim() {
                "" => Err(ConfigError::PhoneNumber),
                n => Ok(n.to_string()),
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(url) = given(overrides.public_url, file.public_url) {
        portal.public_url = parse_public_url(&url)?;
    }
    if let Some(digits) = file.number_digits {
        if !(4..=10).contains(&digits) {
            return Err(ConfigError::NumberDigits(digits));
        }
        portal.number_digits = digits;
    }
    if let Some(zone) = file.time_zone {
        let zone = zone.trim();
        if !crate::booking::tz::is_zone(zone) {
            return Err(ConfigError::TimeZone(zone.to_string()));
        }
        portal.time_zone = zone.to_string();
    }
    portal.mail_from = match given(overrides.mail_from, file.mail_from) {
        Some(from) => parse_mail_from(&from)?,
        // Derived from the URL given above, not from the listen address.
        None => default_mail_from(&portal.public_url),
    };
    portal.smtp = resolve_smtp(file_smtp, overrides.smtp)?;
    // A Secure cookie is only sent back over https: set it exactly when the portal is https.
    portal.secure_cookies = portal.public_url.starts_with("https://");
    Ok(portal)
}

/// `[smtp]` with `--smtp HOST:PORT` over its host and port. `None` when neither names a relay.
fn resolve_smtp(
    file: Option<FileSmtp>,
    flag: Option<String>,
) -> Result<Option<SmtpConfig>, ConfigError> {
    let table_given = file.is_some();
    let file = file.unwrap_or_default();
    let (host, port) = match flag.filter(|f| !f.trim().is_empty()) {
        Some(relay) => {
            let (host, port) = parse_relay(&relay)?;
            (Some(host), Some(port))
        }
        None => (file.host.filter(|h| !h.trim().is_empty()), file.port),
    };
    let Some(host) = host else {
        // Credentials or a port without a relay is a half-written table, not "no mail".
        return if table_given {
            Err(ConfigError::Smtp(String::new()))
        } else {
            Ok(None)
        };
    };
    let host = check_host("smtp", host.trim())?;
    let (username, password) = match (file.username, file.password) {
        (Some(u), Some(p)) => (Some(u), Some(p)),
        (None, None) => (None, None),
        _ => return Err(ConfigError::SmtpCredentials),
    };
    // The well-known submission ports say how they speak; elsewhere a login is never sent in
    // clear (STARTTLS required), and an unauthenticated relay (port 25, a local MTA) gets
    // plain SMTP.
    let tls = file.tls.unwrap_or(match port {
        Some(465) => SmtpTls::Tls,
        Some(587) => SmtpTls::StartTls,
        _ if username.is_some() => SmtpTls::StartTls,
        _ => SmtpTls::None,
    });
    let port = port.unwrap_or(match tls {
        SmtpTls::None => 25,
        SmtpTls::StartTls => 587,
        SmtpTls::Tls => 465,
    });
    Ok(Some(SmtpConfig {
        host,
        port,
        tls,
        username,
        password,
        // At least a second: a zero delay would retry a dead relay in a busy loop.
        retry_base: std::time::Duration::from_secs(file.retry_secs.unwrap_or(30).max(1)),
    }))
}

/// Parse `HOST:PORT` (`[v6]:PORT` for an IPv6 address).
fn parse_relay(value: &str) -> Result<(String, u16), ConfigError> {
    let bad = || ConfigError::Smtp(value.to_string());
    let (host, port) = value.trim().rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let (host, bracketed) = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(inner) => (inner, true),
        None => (host, false),
    };
    // An IPv6 address needs its brackets: `::1:25` could be an address without a port.
    let colon_ok = !host.contains(':') || bracketed && host.parse::<std::net::Ipv6Addr>().is_ok();
    if host.is_empty() || !colon_ok || port == 0 {
        return Err(bad());
    }
    Ok((host.to_string(), port))
}

/// A host name or address for the sheet or the relay: no spaces, no URI punctuation (a value
/// like `sip:visio.example.fr` or `user@host` would print broken URIs).
fn check_host(what: &'static str, value: &str) -> Result<String, ConfigError> {
    let v = value.trim();
    let bad_char = |c: char| c.is_whitespace() || "@/<>\"'?#;,".contains(c);
    if v.is_empty() || v.contains(bad_char) || v.to_ascii_lowercase().starts_with("sip:") {
        return Err(ConfigError::Host {
            what,
            value: value.to_string(),
        });
    }
    Ok(v.to_string())
}

/// An `http://` or `https://` base URL, trailing slashes removed (links append `/m/TOKEN`).
fn parse_public_url(value: &str) -> Result<String, ConfigError> {
    let v = value.trim().trim_end_matches('/');
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"))
        .ok_or_else(|| ConfigError::PublicUrl(value.to_string()))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || v.contains(char::is_whitespace) || v.contains(['?', '#']) {
        return Err(ConfigError::PublicUrl(value.to_string()));
    }
    Ok(v.to_string())
}

/// A `From:` mailbox (`visio@example.fr` or `Pont <visio@example.fr>`), checked the way the
/// mail worker will parse it, so a bad value fails at start-up instead of at every send.
fn parse_mail_from(value: &str) -> Result<String, ConfigError> {
    let v = value.trim();
    v.parse::<lettre::message::Mailbox>()
        .map_err(|_| ConfigError::MailFrom(value.to_string()))?;
    Ok(v.to_string())
}

/// `pont@HOST` when the portal has a host name, else `pont@localhost` (an IP literal is no
/// sender domain a relay accepts; the admin is expected to set `mail_from` then).
fn default_mail_from(public_url: &str) -> String {
    let host = public_url
        .split_once("://")
        .map_or("", |(_, rest)| rest.split(['/', ':']).next().unwrap_or(""));
    let named = host.contains('.')
        && host.parse::<IpAddr>().is_err()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if named {
        format!("pont@{host}")
    } else {
        "pont@localhost".into()
    }
}

/// The address others reach `ip` by: itself, or for an unspecified address the public IP or
/// the interface of the default route.
fn reachable(ip: IpAddr, public_ip: Option<IpAddr>) -> IpAddr {
    if ip.is_unspecified() {
        public_ip.or_else(crate::primary_ip).unwrap_or(ip)
    } else {
        ip
    }
}

/// `ip` or `ip:port` (`[v6]:port`), the port left out when it is the scheme's default or 0
/// (an ephemeral port is not known before binding).
fn host_port(ip: IpAddr, port: u16, default_port: u16) -> String {
    match (ip, port) {
        (_, p) if p == default_port || p == 0 => ip.to_string(),
        (IpAddr::V6(v6), p) => format!("[{v6}]:{p}"),
        (IpAddr::V4(v4), p) => format!("{v4}:{p}"),
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

    fn listening(sip: &str, web: &str) -> Listening<'static> {
        Listening {
            sip: sip.parse().unwrap(),
            web: web.parse().unwrap(),
            public_ip: None,
            gateways: &[],
        }
    }

    fn portal_toml(text: &str) -> FileConfig {
        toml::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn portal_defaults_follow_the_listen_addresses() {
        let gateways = [dialplan::GatewayNumber {
            e164: "33426687307".into(),
            language: "fr".into(),
        }];
        let p = resolve_portal(
            None,
            None,
            PortalOverrides::default(),
            Listening {
                gateways: &gateways,
                ..listening("192.0.2.10:5060", "192.0.2.10:8080")
            },
        )
        .unwrap();
        assert_eq!(p.sip_domain, "192.0.2.10");
        assert_eq!(p.public_url, "http://192.0.2.10:8080");
        assert_eq!(p.phone_numbers, vec!["+33426687307".to_string()]);
        assert_eq!(p.number_digits, 6);
        assert_eq!(p.time_zone, "Europe/Paris");
        assert_eq!(p.mail_from, "pont@localhost");
        assert!(p.smtp.is_none());
        assert!(!p.secure_cookies);

        // Another SIP port belongs in the URI; the public IP names the SIP side.
        let p = resolve_portal(
            None,
            None,
            PortalOverrides::default(),
            Listening {
                public_ip: Some("203.0.113.7".parse().unwrap()),
                ..listening("0.0.0.0:5070", "127.0.0.1:8080")
            },
        )
        .unwrap();
        assert_eq!(p.sip_domain, "203.0.113.7:5070");
        assert_eq!(p.public_url, "http://127.0.0.1:8080");

        // 0.0.0.0 is never printed: it is replaced by a reachable address.
        let p = PortalConfig::defaults(
            "0.0.0.0:5060".parse().unwrap(),
            "[::]:80".parse().unwrap(),
            &[],
        );
        assert_ne!(p.sip_domain, "0.0.0.0");
        assert!(!p.public_url.contains("[::]"), "{}", p.public_url);
    }

    #[test]
    fn portal_and_smtp_tables() {
        let file = portal_toml(
            r#"
            [portal]
            sip_domain = "visio.example.fr"
            h323_address = "gk.example.fr"
            phone_numbers = ["+33 4 26 68 73 07", "+33 1 23 45 67 89"]
            public_url = "https://visio.example.fr/"
            number_digits = 7
            time_zone = "America/New_York"
            mail_from = "Visio <visio@example.fr>"

            [smtp]
            host = "smtp.example.fr"
            username = "visio"
            password = "secret"
            "#,
        );
        let p = resolve_portal(
            file.portal,
            file.smtp,
            PortalOverrides::default(),
            listening("0.0.0.0:5060", "127.0.0.1:8080"),
        )
        .unwrap();
        assert_eq!(p.sip_domain, "visio.example.fr");
        assert_eq!(p.h323_address.as_deref(), Some("gk.example.fr"));
        assert_eq!(p.phone_numbers.len(), 2);
        assert_eq!(p.public_url, "https://visio.example.fr");
        assert!(p.secure_cookies);
        assert_eq!(p.number_digits, 7);
        assert_eq!(p.time_zone, "America/New_York");
        assert_eq!(p.mail_from, "Visio <visio@example.fr>");
        let smtp = p.smtp.unwrap();
        // A login is never sent in clear: STARTTLS on the submission port by default.
        assert_eq!(
            (smtp.host.as_str(), smtp.port, smtp.tls),
            ("smtp.example.fr", 587, SmtpTls::StartTls)
        );
        assert_eq!(smtp.username.as_deref(), Some("visio"));
        assert_eq!(smtp.password.as_deref(), Some("secret"));
        assert_eq!(smtp.retry_base, std::time::Duration::from_secs(30));

        let file = portal_toml("[smtp]\nhost = \"relay\"\nport = 465\nretry_secs = 2\n");
        let smtp = resolve_smtp(file.smtp, None).unwrap().unwrap();
        assert_eq!((smtp.port, smtp.tls), (465, SmtpTls::Tls));
        assert_eq!(smtp.retry_base, std::time::Duration::from_secs(2));
        let file = portal_toml("[smtp]\nhost = \"127.0.0.1\"\ntls = \"none\"\n");
        let smtp = resolve_smtp(file.smtp, None).unwrap().unwrap();
        assert_eq!((smtp.port, smtp.tls), (25, SmtpTls::None));
        // The host name of the portal makes a better sender than localhost.
        let file = portal_toml("[portal]\npublic_url = \"https://visio.example.fr:8443\"\n");
        let p = resolve_portal(
            file.portal,
            None,
            PortalOverrides::default(),
            listening("127.0.0.1:5060", "127.0.0.1:8080"),
        )
        .unwrap();
        assert_eq!(p.mail_from, "pont@visio.example.fr");
    }

    #[test]
    fn flags_beat_the_portal_table() {
        let file = portal_toml(
            r#"
            [portal]
            sip_domain = "file.example.fr"
            public_url = "http://file.example.fr"
            mail_from = "file@example.fr"
            [smtp]
            host = "file-relay"
            port = 587
            tls = "starttls"
            username = "u"
            password = "p"
            "#,
        );
        let p = resolve_portal(
            file.portal,
            file.smtp,
            PortalOverrides {
                public_url: Some("https://flag.example.fr".into()),
                sip_domain: Some("flag.example.fr".into()),
                smtp: Some("[::1]:2525".into()),
                mail_from: Some("flag@example.fr".into()),
            },
            listening("127.0.0.1:5060", "127.0.0.1:8080"),
        )
        .unwrap();
        assert_eq!(p.sip_domain, "flag.example.fr");
        assert_eq!(p.public_url, "https://flag.example.fr");
        assert_eq!(p.mail_from, "flag@example.fr");
        let smtp = p.smtp.unwrap();
        // The flag names the relay; security and login still come from the table.
        assert_eq!(
            (smtp.host.as_str(), smtp.port, smtp.tls),
            ("::1", 2525, SmtpTls::StartTls)
        );
        assert_eq!(smtp.username.as_deref(), Some("u"));
        // `--smtp` alone is enough for a plain local relay.
        let smtp = resolve_smtp(None, Some("127.0.0.1:1025".into()))
            .unwrap()
            .unwrap();
        assert_eq!(
            (smtp.host.as_str(), smtp.port, smtp.tls),
            ("127.0.0.1", 1025, SmtpTls::None)
        );
        assert!(resolve_smtp(None, None).unwrap().is_none());
    }

    #[test]
    fn bad_portal_values_are_named() {
        let err = |text: &str, overrides: PortalOverrides| {
            let file = portal_toml(text);
            resolve_portal(
                file.portal,
                file.smtp,
                overrides,
                listening("127.0.0.1:5060", "127.0.0.1:8080"),
            )
            .unwrap_err()
            .to_string()
        };
        let none = PortalOverrides::default;
        let e = err("[portal]\ntime_zone = \"Europe/Pariss\"", none());
        assert!(e.contains("Europe/Pariss") && e.contains("IANA"), "{e}");
        let e = err("[portal]\npublic_url = \"visio.example.fr\"", none());
        assert!(e.contains("public-url") && e.contains("https://"), "{e}");
        let e = err("[portal]\nsip_domain = \"sip:visio.example.fr\"", none());
        assert!(e.contains("sip-domain"), "{e}");
        let e = err("[portal]\nnumber_digits = 2", none());
        assert!(e.contains("number_digits"), "{e}");
        let e = err("[portal]\nphone_numbers = [\" \"]", none());
        assert!(e.contains("phone_numbers"), "{e}");
        let e = err("[portal]\nmail_from = \"not an address\"", none());
        assert!(e.contains("mail-from"), "{e}");
        let e = err("[smtp]\nhost = \"relay\"\nusername = \"u\"", none());
        assert!(e.contains("username and password"), "{e}");
        let e = err("[smtp]\nport = 25", none());
        assert!(e.contains("HOST:PORT"), "{e}");
        for relay in ["relay", "relay:", "relay:0", ":25", "relay:99999", "::1:25"] {
            let e = err(
                "",
                PortalOverrides {
                    smtp: Some(relay.into()),
                    ..none()
                },
            );
            assert!(e.contains("HOST:PORT"), "{relay}: {e}");
        }
        // Unknown keys and values are refused by the parser, naming them.
        for text in [
            "[portal]\nsip_domian = \"x\"",
            "[smtp]\nhost = \"x\"\ntls = \"ssl\"",
            "[smtp]\nhost = \"x\"\npasswd = \"x\"",
        ] {
            assert!(toml::from_str::<FileConfig>(text).is_err(), "{text}");
        }
    }
}
