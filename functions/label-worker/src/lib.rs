//! The `label-worker` function's library: the SQS handler ([`Worker`]) over the labeling use
//! case (`narratix_app::labeling`) and the labeler adapter ([`ConfiguredLabeler`]). The binary
//! only wires them together.

mod labeler;
mod worker;

pub use labeler::{Config, ConfiguredLabeler, GovernorConfig};
pub use worker::{Disposition, Pacing, Worker};
