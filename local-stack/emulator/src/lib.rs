//! The Narratix local stack: the production template run on one machine without AWS or Docker.
//! moto emulates S3, SQS, DynamoDB and Step Functions; the cargo-lambda emulator runs the function
//! binaries; the gateway on the AWS endpoint port routes Lambda Invoke to the emulator and all else
//! to moto, and emulates what moto lacks (SQS event source mappings, EventBridge rules, the HTTP
//! and WebSocket APIs, an OpenAI-compatible AI of its own).
//!
//! What it offers: [`up`] a stack from a [`StackConfig`] and get a [`RunningStack`] whose
//! [`Manifest`] names its endpoints; [`Clients`] reach its AWS services; the control API's
//! shapes ([`AiFaults`], [`AiScript`], [`AiStatus`], [`FailNext`]); [`testing`] for test binaries.

mod error;
mod event_source;
mod eventbridge;
mod functions;
mod gateway;
mod identity;
mod layout;
mod mock_ai;
mod processes;
mod provision;
mod schedule;
mod stack;
mod template;
pub mod testing;

pub use error::LocalError;
pub use gateway::lambda::FailNext;
pub use mock_ai::{AiFaults, AiScript, AiStatus, ScriptedResponse};
pub use provision::Clients;
pub use stack::{up, AiMode, Manifest, PropertyOverride, RunningStack, StackConfig};
