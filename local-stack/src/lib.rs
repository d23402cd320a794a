//! The Narratix local stack: the production template run on one machine without AWS or Docker.
//! moto emulates S3, SQS, DynamoDB and Step Functions; the cargo-lambda emulator runs the function
//! binaries; the gateway on the AWS endpoint port routes Lambda Invoke to the emulator and all else
//! to moto, and emulates what moto lacks (SQS event source mappings, EventBridge rules).

pub mod bench;
pub mod client;
pub mod demo;
pub mod error;
pub mod event_source;
pub mod eventbridge;
pub mod functions;
pub mod gateway;
pub mod history;
pub mod identity;
pub mod layout;
pub mod mock_ai;
pub mod processes;
pub mod provision;
pub mod stack;
pub mod template;

pub use error::LocalError;
pub use stack::{up, AiMode, Manifest, RunningStack, StackConfig};
