//! The built-in offline labeler: no key, no network, deterministic.
//!
//! [`split`] finds the questions of a cover letter by the marks Korean forms use (numbering,
//! character limits, closing instructions, topic titles) and gives each question the lines up
//! to the next one as its answer; [`categorize`] files a question under one of the twelve
//! categories with a weighted phrase model. Both are pure functions of their input.

mod categorize;
mod cues;
mod split;

pub use categorize::categorize;
pub use split::{split, Split, SplitPair};
