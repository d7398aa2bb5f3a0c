//! The `pont` command line: `pont serve` (the default), `pont conference add|list|remove` and
//! `pont admin add|token`.

mod admin;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::config::{self, Config, FileConfig};
use crate::store::{NewConference, Store};
use crate::unix_now;
use crate::Bridge;

/// Pont, a SIP conference bridge.
#[derive(Debug, Parser)]
#[command(name = "pont", version, about)]
pub struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Options every command reads (flags beat `PONT_*` variables, which beat the file).
#[derive(Debug, Args)]
struct Common {
    /// TOML configuration file.
    #[arg(long, env = "PONT_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Database URL (sqlite://FILE or postgres://…) [default: sqlite://pont.db].
    #[arg(long, env = "PONT_DB", global = true)]
    db: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the bridge (the default).
    Serve(ServeArgs),
    /// Manage conferences.
    #[command(subcommand)]
    Conference(ConferenceCmd),
    /// Manage the portal's admin accounts.
    #[command(subcommand)]
    Admin(admin::AdminCmd),
    /// Place calls to a bridge and measure it (load test, benchmark).
    Load(crate::load::LoadArgs),
    /// Benchmarks through a spawned bridge.
    #[command(subcommand)]
    Bench(BenchCmd),
}

#[derive(Debug, Subcommand)]
enum BenchCmd {
    /// Added video latency and cost: video callers in one conference, a probe changing colour.
    Video(crate::load::video::VideoBenchArgs),
}

#[derive(Debug, Args, Default)]
struct ServeArgs {
    /// SIP listen address, UDP and TCP [default: 0.0.0.0:5060].
    #[arg(long, env = "PONT_SIP")]
    sip: Option<String>,
    /// RTP port range [default: 40000-40999].
    #[arg(long, env = "PONT_RTP_PORTS")]
    rtp_ports: Option<String>,
    /// Web listen address (metrics, portal) [default: 127.0.0.1:8080].
    #[arg(long, env = "PONT_WEB")]
    web: Option<String>,
    /// Address to advertise in SDP and Contact (when behind NAT or listening on 0.0.0.0).
    #[arg(long, env = "PONT_PUBLIC_IP")]
    public_ip: Option<String>,
    /// Mixer threads [default: one per core].
    #[arg(long, env = "PONT_MIXER_THREADS")]
    mixer_threads: Option<usize>,
    /// Video threads (decode, compose, encode) [default: one per core].
    #[arg(long, env = "PONT_VIDEO_THREADS")]
    video_threads: Option<usize>,
    /// Opus encoder complexity, 0 (cheapest) to 10 (best) [default: 5].
    #[arg(long, env = "PONT_OPUS_COMPLEXITY", value_parser = clap::value_parser!(u8).range(0..=10))]
    opus_complexity: Option<u8>,
    /// A PSTN gateway number whose callers get the full IVR: NUMBER or NUMBER=LANG (repeatable;
    /// comma-separated in the variable).
    #[arg(
        long = "gateway-number",
        env = "PONT_GATEWAY_NUMBERS",
        value_delimiter = ','
    )]
    gateway_numbers: Vec<String>,
    /// Default prompt language: fr or en [default: fr].
    #[arg(long, env = "PONT_LANGUAGE")]
    language: Option<String>,
    /// Country code for national numbers [default: 33].
    #[arg(long, env = "PONT_COUNTRY_CODE")]
    country_code: Option<String>,
    /// Minutes before its start a conference can be joined [default: 10].
    #[arg(long, env = "PONT_EARLY_JOIN_MINUTES")]
    early_join_minutes: Option<i64>,
    /// Base URL of the portal in mails and sheets, e.g. https://visio.example.fr
    /// [default: http:// + the web address].
    #[arg(long, env = "PONT_PUBLIC_URL")]
    public_url: Option<String>,
    /// Host part of the SIP URIs on connection sheets, e.g. visio.example.fr
    /// [default: the public IP or the SIP address].
    #[arg(long, env = "PONT_SIP_DOMAIN")]
    sip_domain: Option<String>,
    /// SMTP relay for invitations, HOST:PORT (security and login from [smtp] in the file)
    /// [default: none; invitations wait in the outbox].
    #[arg(long, env = "PONT_SMTP", value_name = "HOST:PORT")]
    smtp: Option<String>,
    /// From: of invitations, e.g. "Visio <visio@example.fr>" [default: pont@ the portal's host].
    #[arg(long, env = "PONT_MAIL_FROM")]
    mail_from: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ConferenceCmd {
    /// Book a conference and print it.
    Add(AddArgs),
    /// List every conference.
    List,
    /// Remove the conference(s) with this number (or id).
    Remove {
        /// Conference number or id.
        #[arg(long)]
        number: String,
    },
}

#[derive(Debug, Args)]
struct AddArgs {
    /// The number callers dial (digits).
    #[arg(long)]
    number: String,
    /// The access code (digits).
    #[arg(long)]
    code: String,
    /// Title.
    #[arg(long, default_value = "Conference")]
    title: String,
    /// Start, RFC 3339 (`2026-11-23T14:00:00+01:00`) or `YYYY-MM-DDTHH:MM` in UTC [default: now].
    #[arg(long)]
    start: Option<String>,
    /// Duration in minutes.
    #[arg(long, default_value_t = 60)]
    duration: i64,
    /// Most participants at once.
    #[arg(long, default_value_t = 20)]
    capacity: i64,
    /// An audio+video conference (the bridge composes video for its participants).
    #[arg(long)]
    video: bool,
    /// Video layout: voice-switched, 1+n, 2x2 or 3x3 [default: 1+n]; implies --video.
    #[arg(long, value_name = "NAME")]
    layout: Option<String>,
}

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PONT_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pont: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pont: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let file = match &cli.common.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    let db = cli
        .common
        .db
        .clone()
        .or(file.db.clone())
        .unwrap_or_else(|| config::DEFAULT_DB.to_string());
    match cli.command {
        None => serve(ServeArgs::default(), file, db).await,
        Some(Command::Serve(args)) => serve(args, file, db).await,
        Some(Command::Conference(cmd)) => conference(cmd, &db).await,
        Some(Command::Admin(cmd)) => admin::run(cmd, &db, unix_now()).await,
        Some(Command::Load(args)) => Ok(crate::load::run(args).await?),
        Some(Command::Bench(BenchCmd::Video(args))) => Ok(crate::load::video::run(args).await?),
    }
}

/// Merge flags/env (already merged by clap) over the file over the defaults.
fn resolve(args: ServeArgs, file: FileConfig, db: String) -> Result<Config, config::ConfigError> {
    let pick = |flag: Option<String>, file: Option<String>, default: &str| {
        flag.or(file).unwrap_or_else(|| default.to_string())
    };
    let public_ip = match args.public_ip.or(file.public_ip) {
        Some(s) => Some(s.trim().parse().map_err(|_| config::ConfigError::Address {
            what: "public-ip",
            value: s.clone(),
        })?),
        None => None,
    };
    let language = config::parse_language(
        &args
            .language
            .or(file.language)
            .unwrap_or_else(|| "fr".into()),
    )?;
    let country_code = args
        .country_code
        .or(file.country_code)
        .unwrap_or_else(|| "33".into());
    let gateway_specs = if args.gateway_numbers.is_empty() {
        file.gateway_numbers.unwrap_or_default()
    } else {
        args.gateway_numbers
    };
    let gateways = gateway_specs
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| config::parse_gateway(s, &language, &country_code))
        .collect::<Result<Vec<_>, _>>()?;
    let mut lockout = dialplan::LockoutConfig::default();
    if let Some(n) = file.lockout_threshold {
        lockout.threshold = n;
    }
    if let Some(m) = file.lockout_minutes {
        lockout.window = std::time::Duration::from_secs(m * 60);
        lockout.lockout = lockout.window;
    }
    let sip = config::parse_addr("sip", &pick(args.sip, file.sip, config::DEFAULT_SIP))?;
    let web = config::parse_addr("web", &pick(args.web, file.web, config::DEFAULT_WEB))?;
    let portal = config::resolve_portal(
        file.portal,
        file.smtp,
        config::PortalOverrides {
            public_url: args.public_url,
            sip_domain: args.sip_domain,
            smtp: args.smtp,
            mail_from: args.mail_from,
        },
        config::Listening {
            sip,
            web,
            public_ip,
            gateways: &gateways,
        },
    )?;
    Ok(Config {
        portal,
        gateways,
        language,
        country_code,
        early_join_secs: args
            .early_join_minutes
            .or(file.early_join_minutes)
            .unwrap_or(10)
            * 60,
        ivr: dialplan::IvrConfig::default(),
        lockout,
        sip,
        rtp_ports: config::parse_port_range(&pick(
            args.rtp_ports,
            file.rtp_ports,
            config::DEFAULT_RTP_PORTS,
        ))?,
        web,
        db,
        public_ip,
        opus_complexity: args
            .opus_complexity
            .or(file.opus_complexity)
            .unwrap_or(media::opus::DEFAULT_COMPLEXITY)
            .min(10),
        video_threads: args
            .video_threads
            .or(file.video_threads)
            .unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
            }),
        mixer_threads: args
            .mixer_threads
            .or(file.mixer_threads)
            .unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
            }),
    })
}

async fn serve(args: ServeArgs, file: FileConfig, db: String) -> anyhow::Result<()> {
    let config = resolve(args, file, db)?;
    let (low, high) = config.rtp_ports;
    let db_shown = config.db.clone();
    let bridge = Bridge::start(config).await?;
    println!("pont {} listening:", env!("CARGO_PKG_VERSION"));
    println!("  SIP  udp+tcp  {}", bridge.sip_addr);
    println!("  RTP  udp      {low}-{high}");
    println!("  web  http://{}/  (metrics at /metrics)", bridge.web_addr);
    println!("  db   {db_shown}");
    tokio::signal::ctrl_c().await?;
    tracing::info!("shutting down: hanging up every call");
    bridge.shutdown().await;
    Ok(())
}

/// Parse `--start`: RFC 3339, or `YYYY-MM-DDTHH:MM` / `YYYY-MM-DD HH:MM` taken as UTC.
fn parse_start(text: &str) -> anyhow::Result<i64> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let t = PrimitiveDateTime::parse(&text.replacen(' ', "T", 1), &format).map_err(|_| {
        anyhow::anyhow!("--start {text:?}: expected RFC 3339 or YYYY-MM-DDTHH:MM (UTC)")
    })?;
    Ok(t.assume_utc().unix_timestamp())
}

fn format_time(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

async fn conference(cmd: ConferenceCmd, db: &str) -> anyhow::Result<()> {
    let store = Store::open(db).await?;
    match cmd {
        ConferenceCmd::Add(a) => {
            let starts_at = match &a.start {
                Some(s) => parse_start(s)?,
                None => unix_now(),
            };
            let c = store
                .add_conference(
                    &NewConference {
                        number: a.number,
                        title: a.title,
                        access_code: a.code,
                        starts_at,
                        duration_minutes: a.duration,
                        capacity: a.capacity,
                        kind: if a.video || a.layout.is_some() {
                            "video".into()
                        } else {
                            "audio".into()
                        },
                        // Aliases (`cp9`, `speaker`…) are stored by their canonical name; the
                        // store refuses what is not a layout.
                        layout: a
                            .layout
                            .as_deref()
                            .map(|l| {
                                media::video::Layout::from_name(l)
                                    .map_or(l.to_owned(), |x| x.name().to_owned())
                            })
                            .unwrap_or_default(),
                    },
                    unix_now(),
                )
                .await?;
            println!("conference {} \"{}\"", c.number, c.title);
            println!("  id          {}", c.id);
            println!("  access code {}", c.access_code);
            println!("  start       {}", format_time(c.starts_at));
            println!("  end         {}", format_time(c.ends_at));
            println!("  capacity    {}", c.capacity);
            if c.kind == "video" {
                let layout = if c.layout.is_empty() {
                    "1+n (default)"
                } else {
                    &c.layout
                };
                println!("  video       {layout}");
            }
        }
        ConferenceCmd::List => {
            let all = store.list_conferences().await?;
            if all.is_empty() {
                println!("no conferences");
            }
            for c in all {
                let video = if c.kind == "video" {
                    let layout = crate::booking::effective_layout(&c.layout);
                    format!("\tvideo {}", layout.name())
                } else {
                    String::new()
                };
                println!(
                    "{}\t{}\t{}\t{}\tcode {}\tcapacity {}{video}",
                    c.number,
                    format_time(c.starts_at),
                    format_time(c.ends_at),
                    c.title,
                    c.access_code,
                    c.capacity
                );
            }
        }
        ConferenceCmd::Remove { number } => {
            let n = store.remove_conference(&number).await?;
            if n == 0 {
                anyhow::bail!("no conference with number or id {number}");
            }
            println!("removed {n} conference(s)");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_formats() {
        assert_eq!(
            parse_start("2026-11-23T14:00:00+01:00").unwrap(),
            1_795_438_800
        );
        assert_eq!(parse_start("2026-11-23T13:00").unwrap(), 1_795_438_800);
        assert_eq!(parse_start("2026-11-23 13:00").unwrap(), 1_795_438_800);
        assert!(parse_start("tomorrow").is_err());
    }

    #[test]
    fn flags_beat_file_beats_defaults() {
        let file = FileConfig {
            sip: Some("127.0.0.1:5070".into()),
            web: Some("127.0.0.1:8081".into()),
            ..FileConfig::default()
        };
        let args = ServeArgs {
            sip: Some("127.0.0.1:5080".into()),
            ..ServeArgs::default()
        };
        let c = resolve(args, file, "sqlite://x.db".into()).unwrap();
        assert_eq!(c.sip.to_string(), "127.0.0.1:5080");
        assert_eq!(c.web.to_string(), "127.0.0.1:8081");
        assert_eq!(c.rtp_ports, (40000, 40999));
    }

    #[test]
    fn portal_flags_and_table() {
        let cli = Cli::try_parse_from([
            "pont",
            "serve",
            "--public-url",
            "https://visio.example.fr",
            "--sip-domain",
            "visio.example.fr",
            "--smtp",
            "127.0.0.1:2525",
            "--mail-from",
            "visio@example.fr",
        ])
        .unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("serve expected");
        };
        let file: FileConfig = toml::from_str(
            "[portal]\nsip_domain = \"file.example.fr\"\nh323_address = \"gk.example.fr\"\n\
             [smtp]\nhost = \"file-relay\"\ntls = \"none\"\n",
        )
        .unwrap();
        let c = resolve(args, file, "sqlite://x.db".into()).unwrap();
        assert_eq!(c.portal.public_url, "https://visio.example.fr");
        assert!(c.portal.secure_cookies);
        assert_eq!(c.portal.sip_domain, "visio.example.fr");
        assert_eq!(c.portal.h323_address.as_deref(), Some("gk.example.fr"));
        assert_eq!(c.portal.mail_from, "visio@example.fr");
        let smtp = c.portal.smtp.unwrap();
        assert_eq!((smtp.host.as_str(), smtp.port), ("127.0.0.1", 2525));
        assert_eq!(smtp.tls, config::SmtpTls::None);

        let bad: FileConfig = toml::from_str("[portal]\ntime_zone = \"Mars/Olympus\"\n").unwrap();
        let e = resolve(ServeArgs::default(), bad, "sqlite://x.db".into()).unwrap_err();
        assert!(e.to_string().contains("Mars/Olympus"), "{e}");
    }
}
