use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use narratix_domain::config::Env;

use crate::{LabelError, Misconfigured};

/// Who labels: the built-in offline labeler or an AI provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ProviderKind {
    /// Built in: no key, no network, deterministic.
    #[default]
    Offline,
    /// OpenAI-compatible chat completions (OpenAI, Upstage, Ollama, vLLM, llama.cpp server …).
    OpenAi,
    /// Google Gemini `generateContent`.
    Gemini,
    /// Anthropic Messages.
    Anthropic,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 4] = [
        ProviderKind::Offline,
        ProviderKind::OpenAi,
        ProviderKind::Gemini,
        ProviderKind::Anthropic,
    ];

    /// The configuration name: `offline`, `openai`, `gemini`, `anthropic`.
    pub const fn name(self) -> &'static str {
        match self {
            ProviderKind::Offline => "offline",
            ProviderKind::OpenAi => "openai",
            ProviderKind::Gemini => "gemini",
            ProviderKind::Anthropic => "anthropic",
        }
    }

    /// The model used when none is configured.
    pub const fn default_model(self) -> &'static str {
        match self {
            ProviderKind::Offline => "offline",
            ProviderKind::OpenAi => "gpt-4o-mini",
            ProviderKind::Gemini => "gemini-2.5-flash",
            ProviderKind::Anthropic => "claude-haiku-4-5",
        }
    }

    /// The API base URL used when none is configured. Paths are appended as each provider's
    /// own SDK does: `{base}/chat/completions`, `{base}/models/{model}:generateContent`,
    /// `{base}/v1/messages`.
    pub const fn default_base_url(self) -> &'static str {
        match self {
            ProviderKind::Offline => "",
            ProviderKind::OpenAi => "https://api.openai.com/v1",
            ProviderKind::Gemini => "https://generativelanguage.googleapis.com/v1beta",
            ProviderKind::Anthropic => "https://api.anthropic.com",
        }
    }

    /// Whether the provider needs an API key. OpenAI-compatible servers run locally (Ollama,
    /// llama.cpp) usually don't, so only Gemini and Anthropic insist.
    pub const fn requires_api_key(self) -> bool {
        matches!(self, ProviderKind::Gemini | ProviderKind::Anthropic)
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ProviderKind {
    type Err = LabelError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let wanted = name.trim().to_ascii_lowercase();
        ProviderKind::ALL
            .into_iter()
            .find(|kind| kind.name() == wanted)
            .ok_or_else(|| {
                Misconfigured::Setting(
                    "unknown AI provider; expected offline, openai, gemini or anthropic",
                )
                .into()
            })
    }
}

/// How an OpenAI-compatible endpoint is asked for JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OpenAiJsonMode {
    /// `response_format: {"type": "json_schema", "strict": true, …}` (OpenAI, vLLM, recent
    /// llama.cpp and Ollama).
    #[default]
    JsonSchema,
    /// `response_format: {"type": "json_object"}` for servers without JSON-schema support;
    /// the schema is then only described in the prompt and enforced by validation.
    JsonObject,
}

impl FromStr for OpenAiJsonMode {
    type Err = LabelError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.trim().to_ascii_lowercase().as_str() {
            "json_schema" => Ok(OpenAiJsonMode::JsonSchema),
            "json_object" => Ok(OpenAiJsonMode::JsonObject),
            _ => Err(Misconfigured::Setting(
                "unknown JSON mode; expected json_schema or json_object",
            )
            .into()),
        }
    }
}

/// An API key. Its `Debug` and `Display` never show it; read it only to build a request.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into().trim().to_owned())
    }

    /// The key itself, for the request header. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Default cap on the number of pairs a document may have.
pub const DEFAULT_MAX_PAIRS: usize = 10;
/// Default cap on the characters sent to a provider (the text is cut at a line boundary).
pub const DEFAULT_MAX_INPUT_CHARS: usize = 30_000;
/// Default client-side timeout of one provider call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default longest line shown to the model; longer lines are shown by head and tail.
pub const DEFAULT_MAX_LINE_CHARS: usize = 40;

/// How to label. [`LabelConfig::default`] is the offline labeler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelConfig {
    pub provider: ProviderKind,
    pub model: String,
    pub base_url: String,
    pub api_key: Option<ApiKey>,
    /// Client-side timeout of one provider call (connect + response).
    pub timeout: Duration,
    /// A document with more pairs than this is invalid model output.
    pub max_pairs: usize,
    /// Characters of normalised text labeled at most; the rest is dropped at a line boundary
    /// and [`Labeled::truncated`](crate::Labeled::truncated) is set.
    pub max_input_chars: usize,
    /// Longest line shown to the model whole; longer lines (answer paragraphs) are shown as
    /// head … tail, which is all the model needs to find where questions and answers are.
    /// 0 shows every line whole.
    pub max_line_chars: usize,
    /// Where the offline splitter is confident, ask the model only to categorise the
    /// question lines.
    pub hybrid: bool,
    /// How an OpenAI-compatible endpoint is asked for JSON.
    pub openai_json_mode: OpenAiJsonMode,
}

impl Default for LabelConfig {
    fn default() -> Self {
        LabelConfig::for_provider(ProviderKind::Offline)
    }
}

impl LabelConfig {
    /// The defaults for `provider`: its default model and base URL, no key.
    pub fn for_provider(provider: ProviderKind) -> LabelConfig {
        LabelConfig {
            provider,
            model: provider.default_model().to_owned(),
            base_url: provider.default_base_url().to_owned(),
            api_key: None,
            timeout: DEFAULT_TIMEOUT,
            max_pairs: DEFAULT_MAX_PAIRS,
            max_input_chars: DEFAULT_MAX_INPUT_CHARS,
            max_line_chars: DEFAULT_MAX_LINE_CHARS,
            hybrid: true,
            openai_json_mode: OpenAiJsonMode::default(),
        }
    }

    /// Reads the configuration (unset or blank means the default):
    /// `NARRATIX_AI_PROVIDER` (offline|openai|gemini|anthropic), `NARRATIX_AI_MODEL`,
    /// `NARRATIX_AI_BASE_URL`, `NARRATIX_AI_API_KEY` (local runs; Lambda passes the key from
    /// Secrets Manager with [`with_api_key`](LabelConfig::with_api_key)),
    /// `NARRATIX_AI_TIMEOUT_MS`, `NARRATIX_MAX_PAIRS`, `NARRATIX_MAX_INPUT_CHARS`,
    /// `NARRATIX_AI_MAX_LINE_CHARS`, `NARRATIX_AI_HYBRID` (true|false),
    /// `NARRATIX_AI_JSON_MODE` (json_schema|json_object).
    pub fn from_env(env: &Env) -> Result<LabelConfig, LabelError> {
        let provider = env
            .choice(
                "NARRATIX_AI_PROVIDER",
                "offline, openai, gemini or anthropic",
            )?
            .unwrap_or(ProviderKind::Offline);
        let mut config = LabelConfig::for_provider(provider);
        if let Some(model) = env.text("NARRATIX_AI_MODEL") {
            config.model = model;
        }
        if let Some(base_url) = env.text("NARRATIX_AI_BASE_URL") {
            config.base_url = base_url;
        }
        config.api_key = env.text("NARRATIX_AI_API_KEY").map(ApiKey::new);
        if let Some(ms) = env.number("NARRATIX_AI_TIMEOUT_MS")? {
            config.timeout = Duration::from_millis(ms);
        }
        if let Some(n) = env.number("NARRATIX_MAX_PAIRS")? {
            config.max_pairs = n;
        }
        if let Some(n) = env.number("NARRATIX_MAX_INPUT_CHARS")? {
            config.max_input_chars = n;
        }
        if let Some(n) = env.number("NARRATIX_AI_MAX_LINE_CHARS")? {
            config.max_line_chars = n;
        }
        config.hybrid = env.flag("NARRATIX_AI_HYBRID", config.hybrid)?;
        if let Some(mode) = env.choice("NARRATIX_AI_JSON_MODE", "json_schema or json_object")? {
            config.openai_json_mode = mode;
        }
        Ok(config)
    }

    /// Sets the API key (in Lambda: fetched from Secrets Manager once per container).
    pub fn with_api_key(mut self, key: ApiKey) -> LabelConfig {
        self.api_key = Some(key);
        self
    }

    /// Checks what [`Labeler::new`](crate::Labeler::new) needs.
    pub fn validate(&self) -> Result<(), LabelError> {
        if self.max_pairs == 0 {
            return Err(Misconfigured::Setting("max pairs must be at least 1").into());
        }
        if self.max_input_chars == 0 {
            return Err(Misconfigured::Setting("max input chars must be at least 1").into());
        }
        if self.provider == ProviderKind::Offline {
            return Ok(());
        }
        if self.timeout.is_zero() {
            return Err(Misconfigured::Setting("timeout must be positive").into());
        }
        if self.model.trim().is_empty() {
            return Err(Misconfigured::Setting("no model configured").into());
        }
        if !(self.base_url.starts_with("https://") || self.base_url.starts_with("http://")) {
            return Err(
                Misconfigured::Setting("base URL must start with http:// or https://").into(),
            );
        }
        let has_key = self
            .api_key
            .as_ref()
            .is_some_and(|key| !key.expose().is_empty());
        if self.provider.requires_api_key() && !has_key {
            return Err(Misconfigured::NoApiKey(self.provider).into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<LabelConfig, LabelError> {
        LabelConfig::from_env(&Env::from_pairs(vars))
    }

    #[test]
    fn defaults_to_offline() {
        let config = from(&[]).expect("config");
        assert_eq!(config.provider, ProviderKind::Offline);
        assert_eq!(config.max_pairs, 10);
        assert!(config.api_key.is_none());
        config.validate().expect("offline needs nothing");
    }

    #[test]
    fn reads_every_variable() {
        let config = from(&[
            ("NARRATIX_AI_PROVIDER", "Gemini"),
            ("NARRATIX_AI_MODEL", "gemini-x"),
            ("NARRATIX_AI_BASE_URL", "http://127.0.0.1:9"),
            ("NARRATIX_AI_API_KEY", " secret-key "),
            ("NARRATIX_AI_TIMEOUT_MS", "1500"),
            ("NARRATIX_MAX_PAIRS", "4"),
            ("NARRATIX_MAX_INPUT_CHARS", "1000"),
            ("NARRATIX_AI_MAX_LINE_CHARS", "0"),
            ("NARRATIX_AI_HYBRID", "off"),
            ("NARRATIX_AI_JSON_MODE", "json_object"),
        ])
        .expect("config");
        assert_eq!(config.provider, ProviderKind::Gemini);
        assert_eq!(config.model, "gemini-x");
        assert_eq!(config.base_url, "http://127.0.0.1:9");
        assert_eq!(
            config.api_key.as_ref().map(ApiKey::expose),
            Some("secret-key")
        );
        assert_eq!(config.timeout, Duration::from_millis(1500));
        assert_eq!(config.max_pairs, 4);
        assert_eq!(config.max_input_chars, 1000);
        assert_eq!(config.max_line_chars, 0);
        assert!(!config.hybrid);
        assert_eq!(config.openai_json_mode, OpenAiJsonMode::JsonObject);
        config.validate().expect("valid");
    }

    #[test]
    fn rejects_bad_values_without_echoing_them() {
        for vars in [
            [("NARRATIX_AI_PROVIDER", "gpt-secret")],
            [("NARRATIX_AI_TIMEOUT_MS", "soon")],
            [("NARRATIX_MAX_PAIRS", "-1")],
            [("NARRATIX_AI_HYBRID", "maybe")],
        ] {
            let error = from(&vars).expect_err("invalid");
            assert!(matches!(error, LabelError::Config(_)));
            assert!(!error.to_string().contains(vars[0].1));
        }
    }

    #[test]
    fn key_is_never_shown() {
        let config = LabelConfig::for_provider(ProviderKind::OpenAi)
            .with_api_key(ApiKey::new("sk-very-secret"));
        let shown = format!("{config:?} {}", ApiKey::new("sk-very-secret"));
        assert!(!shown.contains("sk-very-secret"), "{shown}");
    }

    #[test]
    fn providers_that_need_a_key_require_one() {
        let error = LabelConfig::for_provider(ProviderKind::Anthropic)
            .validate()
            .expect_err("no key");
        assert!(matches!(error, LabelError::Config(_)));
        LabelConfig::for_provider(ProviderKind::OpenAi)
            .validate()
            .expect("local OpenAI-compatible servers need no key");
    }
}
