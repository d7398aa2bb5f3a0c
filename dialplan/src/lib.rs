//! Sans-IO dial plan for the Pont bridge: what a dialled number means ([`route`], [`target`]),
//! the IVR state machine ([`ivr`]), digit merging ([`digits`]) and abuse lockout ([`lockout`]).
//! No I/O and no clock: every entry point takes `now`.

#![warn(missing_docs)]

pub mod digits;
pub mod ivr;
pub mod lockout;
pub mod route;
pub mod target;

pub use digits::{parse_info, DigitMerger, DigitSource, DEFAULT_MERGE_WINDOW};
pub use ivr::{Action, Entry, Ivr, IvrConfig, LookupResult, Prompt, PROMPT_GUARD};
pub use lockout::{FailureOutcome, Lockout, LockoutConfig};
pub use route::{classify, normalise, GatewayNumber, Route};
pub use target::{parse_user, DialTarget};
