//! The built-in offline labeler (no key, no network, deterministic). Placeholder until its
//! implementation lands.
