//! Anthropic Messages, with the JSON produced as the input of a forced tool call.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::http::JsonClient;
use super::{count, usage, Conversation, ModelClient, Reply, Role};
use crate::{ApiKey, LabelConfig, LabelError};

const API_VERSION: &str = "2023-06-01";
/// Ample for ten pairs of spans (about 25 tokens each).
const MAX_OUTPUT_TOKENS: u32 = 1024;

#[derive(Debug)]
pub(crate) struct Anthropic {
    http: JsonClient,
    url: String,
    model: String,
    api_key: ApiKey,
}

impl Anthropic {
    pub(crate) fn new(config: &LabelConfig) -> Result<Anthropic, LabelError> {
        let api_key = config
            .api_key
            .clone()
            .ok_or(crate::Misconfigured::NoApiKey(config.provider))?;
        Ok(Anthropic {
            http: JsonClient::new(config)?,
            url: format!("{}/v1/messages", config.base_url.trim_end_matches('/')),
            model: config.model.clone(),
            api_key,
        })
    }

    fn body(&self, conversation: &Conversation<'_>) -> Value {
        let messages: Vec<Value> = conversation
            .turns
            .iter()
            .map(|turn| {
                let role = match turn.role {
                    Role::User => "user",
                    Role::Assistant => "assistant",
                };
                json!({"role": role, "content": turn.text})
            })
            .collect();
        let tool = conversation.task.schema_name();
        json!({
            "model": self.model,
            "max_tokens": MAX_OUTPUT_TOKENS,
            "temperature": 0,
            "system": conversation.instructions,
            "messages": messages,
            "tools": [{
                "name": tool,
                "description": "Record the result as JSON.",
                "input_schema": conversation.task.shape().json_schema(false),
            }],
            "tool_choice": {"type": "tool", "name": tool},
        })
    }
}

#[async_trait]
impl ModelClient for Anthropic {
    async fn complete(&self, conversation: &Conversation<'_>) -> Result<Reply, LabelError> {
        let response = self
            .http
            .post(
                &self.url,
                &[
                    ("x-api-key", self.api_key.expose()),
                    ("anthropic-version", API_VERSION),
                ],
                &self.body(conversation),
                conversation.timeout,
            )
            .await?;
        Ok(read_reply(&response))
    }
}

/// The forced tool call's input as JSON text; failing that, the text blocks (a model that
/// answered in prose); empty when there is neither.
fn read_reply(response: &Value) -> Reply {
    let blocks = response
        .get("content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let tool_input = blocks
        .iter()
        .find(|block| block.get("type").and_then(Value::as_str) == Some("tool_use"))
        .and_then(|block| block.get("input"))
        .map(Value::to_string);
    let text = tool_input.unwrap_or_else(|| {
        blocks
            .iter()
            .filter_map(|block| block.get("text").and_then(Value::as_str))
            .collect()
    });
    let tokens = response.get("usage");
    Reply {
        text,
        usage: usage(
            count(tokens.and_then(|u| u.get("input_tokens"))),
            count(tokens.and_then(|u| u.get("output_tokens"))),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_tool_input_or_the_text() {
        let body = json!({
            "content": [{"type": "text", "text": "Here"}, {"type": "tool_use", "name": "x", "input": {"c": ["OTHER"]}}],
            "usage": {"input_tokens": 50, "output_tokens": 9}
        });
        let reply = read_reply(&body);
        assert_eq!(reply.text, "{\"c\":[\"OTHER\"]}");
        assert_eq!(
            (reply.usage.input_tokens, reply.usage.output_tokens),
            (50, 9)
        );
        let prose = read_reply(&json!({"content": [{"type": "text", "text": "{\"c\":[]}"}]}));
        assert_eq!(prose.text, "{\"c\":[]}");
        assert_eq!(read_reply(&json!({"content": 5})).text, "");
    }
}
