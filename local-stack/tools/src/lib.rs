//! What people and tests use the local stack with: the typed client of its HTTP, WebSocket and
//! control APIs ([`client`]), the demo ([`demo`]), the orchestration benchmark ([`bench`]), the
//! burst against a rate-limited AI ([`load`]) and the execution history summary ([`history`]). The stack itself is
//! `narratix-local-emulator`; its entry points are re-exported here.

pub mod bench;
pub mod client;
pub mod demo;
pub mod history;
pub mod load;

pub use narratix_local_emulator::{
    up, AiMode, Clients, LocalError, Manifest, RunningStack, StackConfig,
};
