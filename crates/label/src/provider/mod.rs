//! The AI providers behind one small interface: a conversation in, the reply's text and the
//! tokens it cost out. Prompts, validation and repair live in the labeler, not here.

mod anthropic;
mod gemini;
mod http;
mod openai;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use narratix_domain::TokenUsage;

use crate::protocol::Task;
use crate::{LabelConfig, LabelError, ProviderKind};

pub(crate) use anthropic::Anthropic;
pub(crate) use gemini::Gemini;
pub(crate) use openai::OpenAi;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Turn {
    pub role: Role,
    pub text: String,
}

/// What is sent: the instructions, the turns so far (the document; on a repair also the
/// rejected reply and what was wrong with it) and the task, whose shape the provider
/// enforces with its own structured-output feature.
#[derive(Debug, Clone)]
pub(crate) struct Conversation<'a> {
    pub instructions: &'a str,
    pub turns: &'a [Turn],
    pub task: Task,
    /// The most this call may take: the configured timeout, or less when the labeling's
    /// deadline is nearer.
    pub timeout: Duration,
}

/// The model's reply text (empty when it gave none) and the tokens of this one call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Reply {
    pub text: String,
    pub usage: TokenUsage,
}

#[async_trait]
pub(crate) trait ModelClient: Send + Sync + fmt::Debug {
    async fn complete(&self, conversation: &Conversation<'_>) -> Result<Reply, LabelError>;
}

/// The client for an HTTP provider; `None` for the offline labeler.
pub(crate) fn client_for(config: &LabelConfig) -> Result<Option<Box<dyn ModelClient>>, LabelError> {
    let client: Box<dyn ModelClient> = match config.provider {
        ProviderKind::Offline => return Ok(None),
        ProviderKind::OpenAi => Box::new(OpenAi::new(config)?),
        ProviderKind::Gemini => Box::new(Gemini::new(config)?),
        ProviderKind::Anthropic => Box::new(Anthropic::new(config)?),
    };
    Ok(Some(client))
}

/// Most tokens one call is believed to report; larger counts are capped, so that summing the
/// calls of a document (and of a job) cannot overflow.
const MAX_REPORTED_TOKENS: u64 = u32::MAX as u64;

/// Counts from a usage object: absent, negative or fractional numbers count 0, oversized ones
/// are capped.
pub(crate) fn count(value: Option<&serde_json::Value>) -> u64 {
    value
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0)
        .min(MAX_REPORTED_TOKENS)
}

pub(crate) fn usage(input_tokens: u64, output_tokens: u64) -> TokenUsage {
    TokenUsage {
        input_tokens,
        output_tokens,
        calls: 1,
    }
}
