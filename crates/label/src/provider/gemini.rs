//! Google Gemini `models/{model}:generateContent`.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::http::JsonClient;
use super::{count, usage, Conversation, ModelClient, Reply, Role};
use crate::{ApiKey, LabelConfig, LabelError};

#[derive(Debug)]
pub(crate) struct Gemini {
    http: JsonClient,
    url: String,
    api_key: ApiKey,
    /// Gemini 2.5 Flash models think by default; thinking tokens buy nothing for this task.
    disable_thinking: bool,
}

impl Gemini {
    pub(crate) fn new(config: &LabelConfig) -> Result<Gemini, LabelError> {
        let api_key = config
            .api_key
            .clone()
            .ok_or(crate::Misconfigured::NoApiKey(config.provider))?;
        let model = config.model.trim().trim_start_matches("models/");
        Ok(Gemini {
            http: JsonClient::new(config)?,
            url: format!(
                "{}/models/{model}:generateContent",
                config.base_url.trim_end_matches('/')
            ),
            api_key,
            disable_thinking: model.starts_with("gemini-2.5-flash"),
        })
    }

    fn body(&self, conversation: &Conversation<'_>) -> Value {
        let contents: Vec<Value> = conversation
            .turns
            .iter()
            .map(|turn| {
                let role = match turn.role {
                    Role::User => "user",
                    Role::Assistant => "model",
                };
                json!({"role": role, "parts": [{"text": turn.text}]})
            })
            .collect();
        let mut generation_config = json!({
            "responseMimeType": "application/json",
            "responseSchema": conversation.task.shape().gemini_schema(),
            "temperature": 0,
        });
        if self.disable_thinking {
            generation_config["thinkingConfig"] = json!({"thinkingBudget": 0});
        }
        json!({
            "systemInstruction": {"parts": [{"text": conversation.instructions}]},
            "contents": contents,
            "generationConfig": generation_config,
        })
    }
}

#[async_trait]
impl ModelClient for Gemini {
    async fn complete(&self, conversation: &Conversation<'_>) -> Result<Reply, LabelError> {
        let response = self
            .http
            .post(
                &self.url,
                &[("x-goog-api-key", self.api_key.expose())],
                &self.body(conversation),
                conversation.timeout,
            )
            .await?;
        Ok(read_reply(&response))
    }
}

/// The first candidate's non-thought text parts (empty when blocked or absent) and the
/// usage; thinking tokens are billed as output, so they count as output.
fn read_reply(response: &Value) -> Reply {
    let text = response
        .pointer("/candidates/0/content/parts")
        .and_then(Value::as_array)
        .map(|parts| {
            parts
                .iter()
                .filter(|part| part.get("thought").and_then(Value::as_bool) != Some(true))
                .filter_map(|part| part.get("text").and_then(Value::as_str))
                .collect::<String>()
        })
        .unwrap_or_default();
    let tokens = response.get("usageMetadata");
    let field = |name: &str| count(tokens.and_then(|u| u.get(name)));
    Reply {
        text,
        usage: usage(
            field("promptTokenCount"),
            field("candidatesTokenCount").saturating_add(field("thoughtsTokenCount")),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_text_parts_and_counts_thoughts_as_output() {
        let body = json!({
            "candidates": [{"content": {"parts": [
                {"text": "thinking…", "thought": true},
                {"text": "{\"c\":"}, {"text": "[\"OTHER\"]}"}
            ]}}],
            "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 7, "thoughtsTokenCount": 3}
        });
        let reply = read_reply(&body);
        assert_eq!(reply.text, "{\"c\":[\"OTHER\"]}");
        assert_eq!(
            (reply.usage.input_tokens, reply.usage.output_tokens),
            (100, 10)
        );
    }

    #[test]
    fn blocked_prompt_reads_as_an_empty_reply() {
        let reply = read_reply(&json!({"promptFeedback": {"blockReason": "SAFETY"}}));
        assert_eq!(reply.text, "");
    }
}
