//! The one reader of configuration variables. Every function reads its typed configuration
//! through [`Env`] once, at start; a bad value is an error naming the variable (never quoting
//! its value, which may be a secret).

use std::fmt;
use std::str::FromStr;

/// A variable that is set but unusable, or required and missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable} {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: Problem,
}

/// What is wrong with a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Missing,
    NotAFlag,
    NotANumber,
    NotPositive,
    /// Not one of the values the variable takes; the text lists them.
    NotOneOf(&'static str),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing => f.write_str("is not set"),
            Problem::NotAFlag => f.write_str("must be true or false"),
            Problem::NotANumber => f.write_str("must be a non-negative whole number"),
            Problem::NotPositive => f.write_str("must be a positive whole number"),
            Problem::NotOneOf(values) => write!(f, "must be one of {values}"),
        }
    }
}

impl From<ConfigError> for crate::WireError {
    fn from(error: ConfigError) -> crate::WireError {
        crate::ErrorKind::InputInvalid.with_cause(format!("configuration: {error}"))
    }
}

/// How [`Env`] finds a variable's value.
type Lookup<'a> = Box<dyn Fn(&str) -> Option<String> + Send + Sync + 'a>;

/// Configuration variables: the process environment, or any lookup (tests).
pub struct Env<'a> {
    lookup: Lookup<'a>,
}

impl Env<'static> {
    /// The process environment.
    pub fn process() -> Env<'static> {
        Env::from_fn(|name| std::env::var(name).ok())
    }
}

impl<'a> Env<'a> {
    pub fn from_fn(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'a) -> Env<'a> {
        Env {
            lookup: Box::new(lookup),
        }
    }

    /// Variables from pairs (tests).
    pub fn from_pairs(pairs: &'a [(&'a str, &'a str)]) -> Env<'a> {
        Env::from_fn(move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    /// The trimmed value; unset and blank are both `None`.
    pub fn text(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }

    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.text(name).ok_or(ConfigError {
            variable: name,
            problem: Problem::Missing,
        })
    }

    /// `true`/`1`/`yes`/`on` or `false`/`0`/`no`/`off` (any case); unset is `default`.
    pub fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        let Some(value) = self.text(name) else {
            return Ok(default);
        };
        match value.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(ConfigError {
                variable: name,
                problem: Problem::NotAFlag,
            }),
        }
    }

    /// A whole number (`_` separators allowed); unset is `None`.
    pub fn number<T: FromStr>(&self, name: &'static str) -> Result<Option<T>, ConfigError> {
        match self.text(name) {
            None => Ok(None),
            Some(value) => value
                .replace('_', "")
                .parse()
                .map(Some)
                .map_err(|_| ConfigError {
                    variable: name,
                    problem: Problem::NotANumber,
                }),
        }
    }

    /// A whole number above zero; unset is `None`.
    pub fn positive(&self, name: &'static str) -> Result<Option<u64>, ConfigError> {
        match self.number::<u64>(name) {
            Ok(Some(0)) | Err(_) => Err(ConfigError {
                variable: name,
                problem: Problem::NotPositive,
            }),
            other => other,
        }
    }

    /// A value of a closed set (`values` lists them for the error); unset is `None`.
    pub fn choice<T: FromStr>(
        &self,
        name: &'static str,
        values: &'static str,
    ) -> Result<Option<T>, ConfigError> {
        match self.text(name) {
            None => Ok(None),
            Some(value) => value.parse().map(Some).map_err(|_| ConfigError {
                variable: name,
                problem: Problem::NotOneOf(values),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_text_flags_and_numbers_naming_the_variable_on_error() {
        let env = Env::from_pairs(&[
            ("A", " value "),
            ("BLANK", "  "),
            ("YES", "On"),
            ("NO", "0"),
            ("BAD_FLAG", "maybe-secret"),
            ("N", "1_500"),
            ("ZERO", "0"),
            ("BAD_N", "soon"),
        ]);
        assert_eq!(env.text("A").as_deref(), Some("value"));
        assert_eq!(env.text("BLANK"), None);
        assert_eq!(
            env.required("UNSET").expect_err("missing").to_string(),
            "UNSET is not set"
        );
        assert_eq!(env.flag("YES", false), Ok(true));
        assert_eq!(env.flag("NO", true), Ok(false));
        assert_eq!(env.flag("UNSET", true), Ok(true));
        let error = env.flag("BAD_FLAG", false).expect_err("not a flag");
        assert_eq!(error.to_string(), "BAD_FLAG must be true or false");
        assert_eq!(env.number::<u64>("N"), Ok(Some(1500)));
        assert_eq!(env.positive("N"), Ok(Some(1500)));
        assert!(env.positive("ZERO").is_err());
        assert!(env.number::<u32>("BAD_N").is_err());
        assert_eq!(env.number::<u32>("UNSET"), Ok(None));
    }
}
