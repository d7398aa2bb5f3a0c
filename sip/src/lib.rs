//! Sans-IO SIP (RFC 3261) for the Pont bridge.
//!
//! Nothing here opens a socket, spawns a task or reads a clock: every entry point takes the current
//! `Instant` as an argument, and every output is drained with a `poll_*` method, in the style of
//! quinn-proto. The async driver in the `pont` crate owns the sockets and the timers.
//!
//! - [`message`]: parsing untrusted bytes into `rsip` messages, plus our own checks of the mandatory
//!   headers (rsip alone is lenient), and the typed [`message::ParseError`].
//! - [`framing`]: splitting a TCP byte stream into messages by Content-Length.
//! - [`transaction`]: RFC 3261 §17 client and server transactions, timers A–K.
//! - [`dialog`]: dialogs (RFC 3261 §12), 2xx retransmission, BYE, CANCEL, re-INVITE, INFO.
//! - [`endpoint`]: the facade the driver talks to (a user agent built of the two layers above).
//! - [`sdp`]: the SDP model, a nom parser and printer, and RFC 3264 offer/answer.

#![warn(missing_docs)]

pub mod dialog;
pub mod endpoint;
pub mod framing;
pub mod message;
pub mod sdp;
pub mod timer;
pub mod transaction;

pub use endpoint::{CallHandle, Endpoint, EndpointConfig, Event};
pub use endpoint::{EndReason, EndpointStats};
pub use transaction::TransactionLayer;

use std::net::SocketAddr;

/// The transport a message arrived on or must leave by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// A UDP datagram (one message per datagram).
    Udp,
    /// A TCP stream (messages framed by Content-Length).
    Tcp,
}

impl Transport {
    /// The token used in a Via header (`SIP/2.0/UDP`).
    pub fn via_token(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        }
    }
}

/// Bytes the driver must send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Transport to use. For TCP the driver sends on the open connection to `destination`
    /// (opening one if none is open).
    pub transport: Transport,
    /// Where to send.
    pub destination: SocketAddr,
    /// One whole serialized SIP message.
    pub payload: Vec<u8>,
}
