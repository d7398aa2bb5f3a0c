//! Sans-IO dial plan for the Pont bridge: what a dialled number means.
//!
//! Issue 2 needs only the room-system form (`sip:721051@bridge`); the gateway, GDS and IVR parts
//! come with the dial-plan issue.

#![warn(missing_docs)]

pub mod target;

pub use target::{parse_user, DialTarget};
