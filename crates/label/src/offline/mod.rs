//! The built-in offline labeler: no key, no network, deterministic.
//!
//! [`split`] finds the questions of a cover letter by the marks Korean forms use (numbering,
//! character limits, closing instructions, topic titles) and gives each question the lines up
//! to the next one as its answer; [`categorize`] files a question under one of the twelve
//! categories with a linear model trained at build time on the committed question set. Both
//! are pure functions of their input.

mod categorize;
mod cues;
mod features;
mod run_in;
mod split;
mod topics;

pub use categorize::{categorize, decide, Decision, TRAINED_ON};
pub use run_in::separate_run_in_questions;
pub use split::{explain, split, Split, SplitPair};
pub use topics::TOPIC_PHRASES;
