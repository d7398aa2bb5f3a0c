//! Pont, a SIP conference bridge: the I/O side. The protocol cores live in the sans-IO crates
//! (`sip`, `media`, `dialplan`); this crate owns sockets, threads, the tokio runtime, the store
//! (sqlx), the web server (axum) and the clock.
//!
//! - [`config`]: `pont.toml` + `PONT_*` + flags.
//! - [`store`]: conferences in SQLite or PostgreSQL.
//! - [`sip_driver`]: the async shell around `sip::Endpoint`.
//! - [`call`]: one task per call leg.
//! - [`mixer`]: the mixer thread pool (20 ms ticks).
//! - [`ports`]: RTP port pairs.
//! - [`booking`]: booking rules, occurrences, connection sheet, calendar, invitations.
//! - [`auth`]: password hashes, tokens, login rate limiting.
//! - [`mail`]: the outbox worker (SMTP).
//! - [`web`], [`metrics`]: the booking portal, the JSON API, `/metrics`.
//! - [`cli`]: the `pont` command line.
//! - [`load`]: `pont load`, the load generator and benchmark.

#![warn(missing_docs)]

pub mod auth;
pub mod booking;
pub mod call;
pub mod cli;
pub mod config;
pub mod load;
pub mod mail;
pub mod metrics;
pub mod mixer;
pub mod ports;
pub mod prompts;
pub mod sip_driver;
pub mod store;
pub mod video;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, UdpSocket};

use config::Config;
use metrics::Metrics;
use mixer::MixerPool;
use ports::PortAllocator;
use sip_driver::SipHandle;
use store::Store;

/// What every call task shares.
#[derive(Debug)]
pub struct App {
    /// Settings.
    pub config: Config,
    /// The store.
    pub store: Store,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The mixer threads.
    pub mixers: Arc<MixerPool>,
    /// The video threads.
    pub video: Arc<video::VideoPool>,
    /// RTP ports.
    pub ports: Arc<PortAllocator>,
    /// The IVR's prompts, decoded.
    pub prompts: prompts::Prompts,
    /// Wrong-code counts and locked-out sources.
    pub lockout: std::sync::Mutex<dialplan::Lockout>,
    /// Failed portal/API logins per address and account.
    pub login_limiter: std::sync::Mutex<auth::LoginLimiter>,
    /// argon2 checks running at once (one per core): each takes ~19 MiB and tens of ms of CPU,
    /// so a burst of logins queues here instead of exhausting memory and the blocking pool.
    pub password_checks: tokio::sync::Semaphore,
    /// Poked when a booking change queued mail, so the mail worker sends it now.
    pub mail_wakeup: tokio::sync::Notify,
    /// HTTP responses by status code, for `/metrics` (`pont_http_requests_total{status=…}`).
    pub http_requests: std::sync::Mutex<std::collections::BTreeMap<u16, u64>>,
}

impl App {
    /// Whether calls from `source` are refused now (too many wrong codes).
    pub fn lockout_refuses(&self, source: std::net::IpAddr) -> bool {
        let lockout = self.lockout.lock().unwrap_or_else(|p| p.into_inner());
        lockout.is_locked(std::time::Instant::now(), source)
    }
}

/// Why the bridge could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A listen address could not be bound.
    #[error("cannot listen for {what} on {addr}: {source}")]
    Bind {
        /// SIP UDP, SIP TCP or web.
        what: &'static str,
        /// The address.
        addr: SocketAddr,
        /// Why (address in use, permission denied…).
        source: std::io::Error,
    },
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The prompts could not be decoded.
    #[error(transparent)]
    Prompts(#[from] prompts::PromptLoadError),
    /// A thread could not be started.
    #[error("cannot start mixer threads: {0}")]
    Threads(std::io::Error),
}

/// A running bridge.
#[derive(Debug)]
pub struct Bridge {
    /// The shared state.
    pub app: Arc<App>,
    /// Where SIP listens (UDP and TCP).
    pub sip_addr: SocketAddr,
    /// Where the web server listens.
    pub web_addr: SocketAddr,
    sip: SipHandle,
    sip_task: tokio::task::JoinHandle<()>,
}

impl Bridge {
    /// Open the store, bind every socket and start serving. Must run inside a tokio runtime.
    pub async fn start(config: Config) -> Result<Bridge, StartError> {
        let bind = |what, addr| move |source| StartError::Bind { what, addr, source };
        // With port 0, TCP takes the port UDP got, so both transports share one address. That
        // port may be free for UDP but taken for TCP (another program's connection): then try
        // another one, a few times.
        let mut attempts = 0;
        let (udp, sip_addr, tcp) = loop {
            let udp = UdpSocket::bind(config.sip)
                .await
                .map_err(bind("SIP (UDP)", config.sip))?;
            let sip_addr = udp.local_addr().map_err(bind("SIP (UDP)", config.sip))?;
            match TcpListener::bind(sip_addr).await {
                Ok(tcp) => break (udp, sip_addr, tcp),
                Err(e)
                    if config.sip.port() == 0
                        && e.kind() == std::io::ErrorKind::AddrInUse
                        && attempts < 10 =>
                {
                    attempts += 1;
                }
                Err(e) => return Err(bind("SIP (TCP)", sip_addr)(e)),
            }
        };
        let web = TcpListener::bind(config.web)
            .await
            .map_err(bind("web", config.web))?;
        let web_addr = web.local_addr().map_err(bind("web", config.web))?;

        let store = Store::open(&config.db).await?;
        let prompts = prompts::Prompts::load(8000)?;
        let lockout = std::sync::Mutex::new(dialplan::Lockout::new(config.lockout.clone()));
        let metrics = Arc::new(Metrics::default());
        let mixers = MixerPool::start(
            config.mixer_threads,
            config.opus_complexity,
            Arc::clone(&metrics),
        )
        .map_err(StartError::Threads)?;
        let video = video::VideoPool::start(config.video_threads, Arc::clone(&metrics))
            .map_err(StartError::Threads)?;
        let ports = PortAllocator::new(sip_addr.ip(), config.rtp_ports, Arc::clone(&metrics));
        let mut config = config;
        // Port 0 (tests, ad-hoc runs) means "any": a sheet naming the bridge by its address must
        // show the port really bound. A configured host name is left as it was given.
        let names_an_ip = |host: &str| {
            let host = host.rsplit("://").next().unwrap_or(host);
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok()
        };
        if config.sip.port() == 0 && names_an_ip(&config.portal.sip_domain) {
            config.portal.sip_domain = with_port(&config.portal.sip_domain, sip_addr.port());
        }
        if config.web.port() == 0 && names_an_ip(&config.portal.public_url) {
            config.portal.public_url = with_port(&config.portal.public_url, web_addr.port());
        }
        config.sip = sip_addr;
        let app = Arc::new(App {
            config,
            store,
            metrics: Arc::clone(&metrics),
            mixers,
            video,
            ports,
            prompts,
            lockout,
            login_limiter: std::sync::Mutex::new(auth::LoginLimiter::new(
                5,
                std::time::Duration::from_secs(15 * 60),
            )),
            password_checks: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
            mail_wakeup: tokio::sync::Notify::new(),
            http_requests: std::sync::Mutex::new(std::collections::BTreeMap::new()),
        });
        mail::start(Arc::clone(&app));

        let contact_ip = match app.config.public_ip {
            Some(ip) => ip,
            None if sip_addr.ip().is_unspecified() => primary_ip().unwrap_or(sip_addr.ip()),
            None => sip_addr.ip(),
        };
        let mut ep_config = sip::EndpointConfig::new(SocketAddr::new(contact_ip, sip_addr.port()));
        ep_config.user_agent = format!("Pont/{}", env!("CARGO_PKG_VERSION"));
        ep_config.seed = rand::random();
        let endpoint = sip::Endpoint::new(ep_config);
        let call_app = Arc::clone(&app);
        let (sip, sip_task) =
            sip_driver::start(endpoint, udp, tcp, metrics, move |incoming, control| {
                tokio::spawn(call::run(Arc::clone(&call_app), incoming, control));
            });

        // With the peer address, so that login rate limiting can count per source address.
        let router =
            web::router(Arc::clone(&app)).into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move {
            if let Err(e) = axum::serve(web, router).await {
                tracing::error!(error = %e, "web server stopped");
            }
        });
        Ok(Bridge {
            app,
            sip_addr,
            web_addr,
            sip,
            sip_task,
        })
    }

    /// Hang up every call (BYE), wait briefly for the answers, and stop SIP.
    pub async fn shutdown(self) {
        self.sip.shutdown();
        let _ = self.sip_task.await;
    }
}

/// The wall clock in Unix seconds: the one place `src/` turns the clock into the store's time.
pub fn unix_now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// `host` or `scheme://host` with `:port` added when it names no port yet (an IPv6 literal
/// is bracketed already when it has no port: `[::1]`).
fn with_port(base: &str, port: u16) -> String {
    let host = base.rsplit("://").next().unwrap_or(base);
    // A bare IPv6 literal (several colons, no brackets) cannot take a port: leave it.
    let has_port = match host.rfind(']') {
        Some(end) => host[end..].contains(':'),
        None => host.contains(':'),
    };
    if has_port {
        base.to_string()
    } else {
        format!("{base}:{port}")
    }
}

/// The address of the interface that carries the default route (no packet is sent: connecting a
/// UDP socket only picks the route). Used for SIP Contact/SDP when listening on 0.0.0.0.
pub(crate) fn primary_ip() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    s.local_addr().ok().map(|a| a.ip())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ports_added_only_where_missing() {
        use super::with_port;
        assert_eq!(with_port("127.0.0.1", 5070), "127.0.0.1:5070");
        assert_eq!(with_port("127.0.0.1:5080", 5070), "127.0.0.1:5080");
        assert_eq!(with_port("http://127.0.0.1", 8081), "http://127.0.0.1:8081");
        assert_eq!(with_port("http://10.0.0.1:80", 8081), "http://10.0.0.1:80");
        assert_eq!(with_port("[::1]", 5070), "[::1]:5070");
        assert_eq!(with_port("http://[::1]:8080", 1), "http://[::1]:8080");
    }
}
