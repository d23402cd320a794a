//! The Narratix application layer: what the pipeline does, over the storage ports of
//! `narratix-store` and knowing nothing of Lambda. The functions are thin adapters over it.
//!
//! - [`jobs`]: create, start, read and list a user's jobs (the HTTP API);
//! - [`labeling`]: label one file once, however often its message is delivered;
//! - [`lifecycle`]: a job's end — its final status, or failure when its execution died;
//! - [`names`]: file names as they may be shown;
//! - [`notice`]: delivering messages to the owner's connections, the final notice once;
//! - [`session`]: a connection whose token expired gets `sessionExpired` and is closed;
//! - [`subscribe`]: following a job on a WebSocket with a catch-up;
//! - [`views`]: stored items as the API and the WebSocket show them.

pub mod governor;
pub mod jobs;
pub mod labeling;
pub mod lifecycle;
pub mod names;
pub mod notice;
pub mod session;
pub mod subscribe;
pub mod views;
