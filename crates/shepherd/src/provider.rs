//! Provider presets: base URL, how the key is sent, and which wire dialect the chat endpoint speaks.

/// How a target sends its API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthStyle {
    /// `Authorization: Bearer <key>` (OpenAI and every compatible server).
    Bearer,
    /// The raw key in a named header, e.g. Anthropic's `x-api-key`.
    Header(String),
}

/// The wire dialect of the chat endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `POST {base}/chat/completions`.
    OpenAi,
    /// `POST {base}/messages` (Anthropic Messages), converted to and from the chat types.
    Anthropic,
}

/// A provider preset.
///
/// Any OpenAI-compatible base URL works with [`Provider::Compatible`]; the
/// named presets only save typing the URL and the auth style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provider {
    /// `https://api.openai.com/v1`, bearer auth.
    OpenAi,
    /// `https://api.anthropic.com/v1`, `x-api-key` and `anthropic-version: 2023-06-01`, Messages dialect.
    Anthropic,
    /// `https://api.deepseek.com/v1`, bearer auth.
    DeepSeek,
    /// The OpenAI-compatible gateway the project's seed articles use
    /// (`https://api.holysheep.ai/v1`), bearer auth. Never a default.
    HolySheep,
    /// Any OpenAI-compatible server at this base URL, bearer auth.
    Compatible(String),
}

impl Provider {
    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        match self {
            Provider::OpenAi => "https://api.openai.com/v1",
            Provider::Anthropic => "https://api.anthropic.com/v1",
            Provider::DeepSeek => "https://api.deepseek.com/v1",
            Provider::HolySheep => "https://api.holysheep.ai/v1",
            Provider::Compatible(url) => url.trim_end_matches('/'),
        }
    }

    /// How the key is sent.
    pub fn auth_style(&self) -> AuthStyle {
        match self {
            Provider::Anthropic => AuthStyle::Header("x-api-key".to_owned()),
            _ => AuthStyle::Bearer,
        }
    }

    /// The chat dialect.
    pub fn dialect(&self) -> Dialect {
        match self {
            Provider::Anthropic => Dialect::Anthropic,
            _ => Dialect::OpenAi,
        }
    }

    /// Headers the provider requires besides the key.
    pub fn extra_headers(&self) -> &'static [(&'static str, &'static str)] {
        match self {
            Provider::Anthropic => &[("anthropic-version", "2023-06-01")],
            _ => &[],
        }
    }
}
