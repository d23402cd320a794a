use narratix_domain::{LabeledPair, TokenUsage};

use crate::lines::{normalized_lines, truncate_to_chars};
use crate::{LabelConfig, LabelError};

/// The pairs of one document and what the provider charged for them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Labeled {
    pub pairs: Vec<LabeledPair>,
    /// Tokens and calls spent, the repair call included; zero for the offline labeler.
    pub usage: TokenUsage,
    /// The text was longer than `max_input_chars` and its tail was not labeled.
    pub truncated: bool,
}

/// Labels documents with one configuration. Build it once (per Lambda container) and share it.
#[derive(Debug)]
pub struct Labeler {
    config: LabelConfig,
}

impl Labeler {
    pub fn new(config: LabelConfig) -> Result<Labeler, LabelError> {
        config.validate()?;
        Ok(Labeler { config })
    }

    pub fn config(&self) -> &LabelConfig {
        &self.config
    }

    /// Splits `text` into question/answer pairs and categorises each question.
    pub async fn label(&self, text: &str) -> Result<Labeled, LabelError> {
        let mut lines = normalized_lines(text);
        if lines.is_empty() {
            return Err(LabelError::Empty);
        }
        let truncated = truncate_to_chars(&mut lines, self.config.max_input_chars);
        if lines.is_empty() {
            return Err(LabelError::Empty);
        }
        let _ = truncated;
        Err(LabelError::Config(format!(
            "the {} provider is not wired in yet",
            self.config.provider
        )))
    }
}
