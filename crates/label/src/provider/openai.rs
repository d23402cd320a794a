//! OpenAI-compatible chat completions: OpenAI, Upstage, Ollama, vLLM, llama.cpp server …

use async_trait::async_trait;
use serde_json::{json, Value};

use super::http::JsonClient;
use super::{count, usage, Conversation, ModelClient, Reply, Role};
use crate::{ApiKey, LabelConfig, LabelError, OpenAiJsonMode};

#[derive(Debug)]
pub(crate) struct OpenAi {
    http: JsonClient,
    url: String,
    model: String,
    api_key: Option<ApiKey>,
    json_mode: OpenAiJsonMode,
}

impl OpenAi {
    pub(crate) fn new(config: &LabelConfig) -> Result<OpenAi, LabelError> {
        Ok(OpenAi {
            http: JsonClient::new(config)?,
            url: format!("{}/chat/completions", config.base_url.trim_end_matches('/')),
            model: config.model.clone(),
            api_key: config
                .api_key
                .clone()
                .filter(|key| !key.expose().is_empty()),
            json_mode: config.openai_json_mode,
        })
    }

    fn body(&self, conversation: &Conversation<'_>) -> Value {
        let mut messages = vec![json!({"role": "system", "content": conversation.instructions})];
        messages.extend(conversation.turns.iter().map(|turn| {
            let role = match turn.role {
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            json!({"role": role, "content": turn.text})
        }));
        let response_format = match self.json_mode {
            OpenAiJsonMode::JsonSchema => json!({
                "type": "json_schema",
                "json_schema": {
                    "name": conversation.task.schema_name(),
                    "strict": true,
                    "schema": conversation.task.shape().json_schema(true),
                },
            }),
            OpenAiJsonMode::JsonObject => json!({"type": "json_object"}),
        };
        json!({
            "model": self.model,
            "messages": messages,
            "response_format": response_format,
        })
    }
}

#[async_trait]
impl ModelClient for OpenAi {
    async fn complete(&self, conversation: &Conversation<'_>) -> Result<Reply, LabelError> {
        let authorization = self
            .api_key
            .as_ref()
            .map(|key| format!("Bearer {}", key.expose()));
        let headers: Vec<(&'static str, &str)> = authorization
            .as_deref()
            .map(|value| ("authorization", value))
            .into_iter()
            .collect();
        let response = self
            .http
            .post(
                &self.url,
                &headers,
                &self.body(conversation),
                conversation.timeout,
            )
            .await?;
        Ok(read_reply(&response))
    }
}

/// `choices[0].message.content` (empty when absent, e.g. a refusal) and the usage.
fn read_reply(response: &Value) -> Reply {
    let text = response
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let tokens = response.get("usage");
    Reply {
        text,
        usage: usage(
            count(tokens.and_then(|u| u.get("prompt_tokens"))),
            count(tokens.and_then(|u| u.get("completion_tokens"))),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_envelopes_read_as_empty_replies() {
        for body in [
            json!({}),
            json!({"choices": "x", "usage": {"prompt_tokens": "12"}}),
            json!({"choices": [{"message": {"content": null, "refusal": "no"}}]}),
            json!({"choices": [], "usage": {"prompt_tokens": -1, "completion_tokens": 1e300}}),
        ] {
            let reply = read_reply(&body);
            assert_eq!(reply.text, "");
            assert_eq!(
                (reply.usage.input_tokens, reply.usage.output_tokens),
                (0, 0)
            );
            assert_eq!(reply.usage.calls, 1);
        }
    }
}
