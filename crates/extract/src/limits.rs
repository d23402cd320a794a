//! Bounds on what one extraction may consume, configurable from the environment.

use std::time::Duration;

use crate::ExtractError;

/// Limits applied to every file. The defaults suit a Lambda with 1 GiB of memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted file, in bytes (`NARRATIX_MAX_BYTES`, default
    /// [`narratix_domain::MAX_UPLOAD_BYTES`], the size the API signs uploads for).
    pub max_bytes: usize,
    /// Most pages, counted in the real page tree (`NARRATIX_MAX_PAGES`, default 30).
    pub max_pages: usize,
    /// Characters kept; the rest is cut with `truncated: true` (`NARRATIX_MAX_CHARS`, default 20,000).
    pub max_chars: usize,
    /// Most bytes all decoded page content may inflate to (`NARRATIX_MAX_DECOMPRESSED_BYTES`,
    /// default 64 MiB). The parser also refuses any single stream over 256 MiB.
    pub max_decompressed_bytes: u64,
    /// Wall-clock budget per file (`NARRATIX_EXTRACT_TIMEOUT_MS`, default 8 s).
    pub time_budget: Duration,
    /// Address-space cap of the isolated extraction child (`NARRATIX_EXTRACT_MEMORY_MB`,
    /// default 512 MiB).
    pub memory_cap_bytes: u64,
}

const MIB: u64 = 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: usize::try_from(narratix_domain::MAX_UPLOAD_BYTES).unwrap_or(usize::MAX),
            max_pages: 30,
            max_chars: 20_000,
            max_decompressed_bytes: 64 * MIB,
            time_budget: Duration::from_secs(8),
            memory_cap_bytes: 512 * MIB,
        }
    }
}

/// Environment variables read by [`Limits::from_env`].
pub const ENV_MAX_BYTES: &str = "NARRATIX_MAX_BYTES";
pub const ENV_MAX_PAGES: &str = "NARRATIX_MAX_PAGES";
pub const ENV_MAX_CHARS: &str = "NARRATIX_MAX_CHARS";
pub const ENV_MAX_DECOMPRESSED_BYTES: &str = "NARRATIX_MAX_DECOMPRESSED_BYTES";
pub const ENV_TIMEOUT_MS: &str = "NARRATIX_EXTRACT_TIMEOUT_MS";
pub const ENV_MEMORY_MB: &str = "NARRATIX_EXTRACT_MEMORY_MB";

impl Limits {
    /// Most bytes of text one page may produce before the rest of it is dropped: bounds a
    /// hostile page's text, far above what a real page holds.
    pub(crate) fn page_text_bytes(&self) -> usize {
        self.max_chars.saturating_mul(8).max(64 * 1024)
    }

    /// The defaults, overridden by any of the `NARRATIX_*` variables that are set. A variable
    /// that is set but not a positive whole number is a configuration error.
    pub fn from_env() -> Result<Limits, ExtractError> {
        Limits::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Limits::from_env`], reading variables through `lookup` (testable without
    /// touching the process environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Limits, ExtractError> {
        let number = |name: &str| -> Result<Option<u64>, ExtractError> {
            match lookup(name) {
                None => Ok(None),
                Some(raw) => match raw.trim().replace('_', "").parse::<u64>() {
                    Ok(value) if value > 0 => Ok(Some(value)),
                    _ => Err(ExtractError::Config(format!(
                        "{name} must be a positive whole number, got {raw:?}"
                    ))),
                },
            }
        };
        let as_usize = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
        let mut limits = Limits::default();
        if let Some(v) = number(ENV_MAX_BYTES)? {
            limits.max_bytes = as_usize(v);
        }
        if let Some(v) = number(ENV_MAX_PAGES)? {
            limits.max_pages = as_usize(v);
        }
        if let Some(v) = number(ENV_MAX_CHARS)? {
            limits.max_chars = as_usize(v);
        }
        if let Some(v) = number(ENV_MAX_DECOMPRESSED_BYTES)? {
            limits.max_decompressed_bytes = v;
        }
        if let Some(v) = number(ENV_TIMEOUT_MS)? {
            limits.time_budget = Duration::from_millis(v);
        }
        if let Some(v) = number(ENV_MEMORY_MB)? {
            limits.memory_cap_bytes = v.saturating_mul(MIB);
        }
        Ok(limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(vars: &[(&str, &str)]) -> Result<Limits, ExtractError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Limits::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_match_the_issue() {
        let limits = from(&[]).expect("defaults");
        assert_eq!(limits, Limits::default());
        assert_eq!(limits.max_bytes as u64, narratix_domain::MAX_UPLOAD_BYTES);
        assert_eq!(limits.max_pages, 30);
        assert_eq!(limits.max_chars, 20_000);
    }

    #[test]
    fn variables_override_defaults() {
        let limits = from(&[
            (ENV_MAX_BYTES, "1_000"),
            (ENV_MAX_PAGES, "3"),
            (ENV_MAX_CHARS, "50"),
            (ENV_MAX_DECOMPRESSED_BYTES, "4096"),
            (ENV_TIMEOUT_MS, "250"),
            (ENV_MEMORY_MB, "64"),
        ])
        .expect("valid");
        assert_eq!(limits.max_bytes, 1000);
        assert_eq!(limits.max_pages, 3);
        assert_eq!(limits.max_chars, 50);
        assert_eq!(limits.max_decompressed_bytes, 4096);
        assert_eq!(limits.time_budget, Duration::from_millis(250));
        assert_eq!(limits.memory_cap_bytes, 64 * MIB);
    }

    #[test]
    fn bad_values_are_rejected_with_the_variable_name() {
        for bad in ["", "0", "-1", "ten", "1.5"] {
            let err = from(&[(ENV_MAX_PAGES, bad)]).expect_err(bad);
            assert!(err.to_string().contains(ENV_MAX_PAGES), "{err}");
        }
    }
}
