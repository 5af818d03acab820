//! The chat completion request and its parameter types.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::message::{Content, Message};
use super::response::ServiceTier;
use super::tag::WithType;
use super::tools::{Tool, ToolChoice};
use crate::Extra;
use crate::string_enum::{StringEnum, string_enum_serde};
use crate::tagged::take_tag;

/// A chat completion request (`POST /chat/completions`).
///
/// Every parameter except `model` and `messages` is optional and omitted
/// from the body when unset, so the server's default applies. Parameters this
/// type does not model go in [`extra`](Self::extra) (see [`param`](Self::param)).
///
/// # Examples
///
/// ```
/// use shepherd_types::chat::ChatRequest;
///
/// let req = ChatRequest::new("gpt-4.1")
///     .developer("Answer in one word.")
///     .user("Capital of France?")
///     .temperature(0.0)
///     .max_completion_tokens(5)
///     .stream(true)
///     .include_usage(true);
/// let body = serde_json::to_value(&req).unwrap();
/// assert_eq!(body["messages"][1]["content"], "Capital of France?");
/// assert_eq!(body["stream_options"]["include_usage"], true);
/// assert!(body.get("top_p").is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The model id, e.g. `gpt-4.1`.
    pub model: String,
    /// The conversation so far.
    pub messages: Vec<Message>,
    /// Sampling temperature, 0 to 2 (server default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling mass, 0 to 1 (server default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// How many choices to generate (server default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// Stream the response as chunks (server default `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Streaming options; only valid with `stream: true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    /// Up to 4 sequences that end generation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    /// Deprecated output-token cap (older models and most compatible servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Output-token cap including reasoning tokens (newer models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    /// -2 to 2: penalises tokens that already appeared (server default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    /// -2 to 2: penalises tokens by their frequency so far (server default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    /// Token id (as a string) to bias, -100 to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logit_bias: Option<BTreeMap<String, i32>>,
    /// Return log probabilities of the output tokens (server default `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<bool>,
    /// How many most likely tokens to return per position, 0 to 20 (needs `logprobs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_logprobs: Option<u8>,
    /// Seed for best-effort deterministic sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// The format the output must follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    /// Tools the model may call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    /// How the model chooses among `tools` (server default `auto` when tools are given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Allow several tool calls in one turn (server default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// Effort reasoning models spend thinking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<ReasoningEffort>,
    /// The processing tier to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
    /// Store the completion for distillation and evals (server default `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<bool>,
    /// Up to 16 string key-value pairs attached to the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    /// An id for the end user, for abuse monitoring (deprecated upstream in
    /// favour of `safety_identifier`, still honoured by compatible servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Parameters this crate does not model (`audio`, `modalities`,
    /// `prediction`, vendor extensions such as `top_k`), sent as they are.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ChatRequest {
    /// A request for `model` with no messages and every parameter unset.
    pub fn new(model: impl Into<String>) -> Self {
        ChatRequest {
            model: model.into(),
            ..ChatRequest::default()
        }
    }

    /// Appends a message.
    pub fn message(mut self, message: impl Into<Message>) -> Self {
        self.messages.push(message.into());
        self
    }

    /// Appends several messages.
    pub fn messages(mut self, messages: impl IntoIterator<Item = Message>) -> Self {
        self.messages.extend(messages);
        self
    }

    /// Appends a `system` message.
    pub fn system(self, content: impl Into<Content>) -> Self {
        self.message(Message::system(content))
    }

    /// Appends a `developer` message.
    pub fn developer(self, content: impl Into<Content>) -> Self {
        self.message(Message::developer(content))
    }

    /// Appends a `user` message.
    pub fn user(self, content: impl Into<Content>) -> Self {
        self.message(Message::user(content))
    }

    /// Appends an `assistant` message (an earlier reply, or a few-shot example).
    pub fn assistant(self, content: impl Into<Content>) -> Self {
        self.message(Message::assistant(content))
    }

    /// Appends a `tool` message answering the call `tool_call_id`.
    pub fn tool_result(self, tool_call_id: impl Into<String>, content: impl Into<Content>) -> Self {
        self.message(Message::tool(tool_call_id, content))
    }

    /// Sets `temperature`.
    pub fn temperature(mut self, temperature: f64) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// Sets `top_p`.
    pub fn top_p(mut self, top_p: f64) -> Self {
        self.top_p = Some(top_p);
        self
    }

    /// Sets `n`, the number of choices.
    pub fn n(mut self, n: u32) -> Self {
        self.n = Some(n);
        self
    }

    /// Sets `stream`. Turning streaming off also clears `stream_options`,
    /// which servers reject without `stream: true`.
    pub fn stream(mut self, stream: bool) -> Self {
        self.stream = Some(stream);
        if !stream {
            self.stream_options = None;
        }
        self
    }

    /// Sets `stream_options.include_usage`: the stream then ends with a
    /// usage-only chunk (`choices: []`).
    pub fn include_usage(mut self, include_usage: bool) -> Self {
        self.stream_options
            .get_or_insert_with(StreamOptions::default)
            .include_usage = Some(include_usage);
        self
    }

    /// Sets `stop`: one sequence or up to four.
    pub fn stop(mut self, stop: impl Into<Stop>) -> Self {
        self.stop = Some(stop.into());
        self
    }

    /// Sets the deprecated `max_tokens`.
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// Sets `max_completion_tokens`.
    pub fn max_completion_tokens(mut self, max: u32) -> Self {
        self.max_completion_tokens = Some(max);
        self
    }

    /// Sets `presence_penalty`.
    pub fn presence_penalty(mut self, penalty: f64) -> Self {
        self.presence_penalty = Some(penalty);
        self
    }

    /// Sets `frequency_penalty`.
    pub fn frequency_penalty(mut self, penalty: f64) -> Self {
        self.frequency_penalty = Some(penalty);
        self
    }

    /// Adds a `logit_bias` entry for a token id.
    pub fn logit_bias(mut self, token_id: u32, bias: i32) -> Self {
        self.logit_bias
            .get_or_insert_with(BTreeMap::new)
            .insert(token_id.to_string(), bias);
        self
    }

    /// Sets `logprobs`.
    pub fn logprobs(mut self, logprobs: bool) -> Self {
        self.logprobs = Some(logprobs);
        self
    }

    /// Sets `top_logprobs`; also sets `logprobs: true`, which it requires.
    pub fn top_logprobs(mut self, top: u8) -> Self {
        self.top_logprobs = Some(top);
        self.logprobs = Some(true);
        self
    }

    /// Sets `seed`.
    pub fn seed(mut self, seed: i64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Sets `response_format`.
    pub fn response_format(mut self, format: ResponseFormat) -> Self {
        self.response_format = Some(format);
        self
    }

    /// Adds a tool.
    pub fn tool(mut self, tool: Tool) -> Self {
        self.tools.get_or_insert_with(Vec::new).push(tool);
        self
    }

    /// Adds several tools.
    pub fn tools(mut self, tools: impl IntoIterator<Item = Tool>) -> Self {
        self.tools.get_or_insert_with(Vec::new).extend(tools);
        self
    }

    /// Sets `tool_choice`.
    pub fn tool_choice(mut self, choice: ToolChoice) -> Self {
        self.tool_choice = Some(choice);
        self
    }

    /// Sets `parallel_tool_calls`.
    pub fn parallel_tool_calls(mut self, parallel: bool) -> Self {
        self.parallel_tool_calls = Some(parallel);
        self
    }

    /// Sets `reasoning_effort`.
    pub fn reasoning_effort(mut self, effort: ReasoningEffort) -> Self {
        self.reasoning_effort = Some(effort);
        self
    }

    /// Sets `service_tier`.
    pub fn service_tier(mut self, tier: ServiceTier) -> Self {
        self.service_tier = Some(tier);
        self
    }

    /// Sets `store`.
    pub fn store(mut self, store: bool) -> Self {
        self.store = Some(store);
        self
    }

    /// Adds a `metadata` entry.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }

    /// Sets `user`, the end-user id (named so to not clash with [`user`](Self::user)).
    pub fn user_id(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Sets a parameter this type does not model, e.g. `top_k` for a
    /// vendor that supports it. It is serialized as given.
    pub fn param(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }

    /// True when the request asks for a streamed response.
    pub fn is_stream(&self) -> bool {
        self.stream == Some(true)
    }
}

/// Streaming options (`stream_options`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamOptions {
    /// End the stream with a usage-only chunk (`choices: []`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
    /// Pad chunks with random `obfuscation` fields against side channels (server default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_obfuscation: Option<bool>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Stop sequences: one string or a list of up to four.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    /// One sequence.
    One(String),
    /// Several sequences.
    Many(Vec<String>),
}

impl From<&str> for Stop {
    fn from(s: &str) -> Self {
        Stop::One(s.to_owned())
    }
}

impl From<String> for Stop {
    fn from(s: String) -> Self {
        Stop::One(s)
    }
}

impl From<Vec<String>> for Stop {
    fn from(v: Vec<String>) -> Self {
        Stop::Many(v)
    }
}

impl<const N: usize> From<[&str; N]> for Stop {
    fn from(v: [&str; N]) -> Self {
        Stop::Many(v.iter().map(|s| (*s).to_owned()).collect())
    }
}

/// Effort a reasoning model spends thinking (`reasoning_effort`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReasoningEffort {
    /// `none`.
    None,
    /// `minimal`.
    Minimal,
    /// `low`.
    Low,
    /// `medium` (the usual server default).
    Medium,
    /// `high`.
    High,
    /// `xhigh`.
    XHigh,
    /// A value this crate does not know.
    Other(String),
}

impl StringEnum for ReasoningEffort {
    fn as_str(&self) -> &str {
        match self {
            ReasoningEffort::None => "none",
            ReasoningEffort::Minimal => "minimal",
            ReasoningEffort::Low => "low",
            ReasoningEffort::Medium => "medium",
            ReasoningEffort::High => "high",
            ReasoningEffort::XHigh => "xhigh",
            ReasoningEffort::Other(s) => s,
        }
    }

    fn from_wire(s: &str) -> Self {
        match s {
            "none" => ReasoningEffort::None,
            "minimal" => ReasoningEffort::Minimal,
            "low" => ReasoningEffort::Low,
            "medium" => ReasoningEffort::Medium,
            "high" => ReasoningEffort::High,
            "xhigh" => ReasoningEffort::XHigh,
            other => ReasoningEffort::Other(other.to_owned()),
        }
    }
}
string_enum_serde!(ReasoningEffort);

/// The format the model's output must follow (`response_format`).
///
/// An object with a `type` this crate does not know, or with fields beyond
/// the modelled ones, is kept whole in [`ResponseFormat::Other`].
///
/// # Examples
///
/// ```
/// use shepherd_types::chat::ResponseFormat;
///
/// let f = ResponseFormat::json_schema("answer", serde_json::json!({
///     "type": "object",
///     "properties": {"city": {"type": "string"}},
///     "required": ["city"],
///     "additionalProperties": false
/// }));
/// let json = serde_json::to_value(&f).unwrap();
/// assert_eq!(json["type"], "json_schema");
/// assert_eq!(json["json_schema"]["strict"], true);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseFormat {
    /// `{"type": "text"}`: free text (the default).
    Text,
    /// `{"type": "json_object"}`: any valid JSON object (older JSON mode).
    JsonObject,
    /// `{"type": "json_schema", "json_schema": {...}}`: structured output.
    JsonSchema(JsonSchemaFormat),
    /// Any other object, kept whole, `type` included.
    Other(Extra),
}

/// The schema of [`ResponseFormat::JsonSchema`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JsonSchemaFormat {
    /// A name for the format (`a-z`, `A-Z`, `0-9`, `_`, `-`; at most 64 characters).
    pub name: String,
    /// What the format is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The JSON Schema the output must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Value>,
    /// Enforce the schema exactly (server default `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ResponseFormat {
    /// A strict JSON Schema format named `name`.
    pub fn json_schema(name: impl Into<String>, schema: Value) -> Self {
        ResponseFormat::JsonSchema(JsonSchemaFormat {
            name: name.into(),
            schema: Some(schema),
            strict: Some(true),
            ..JsonSchemaFormat::default()
        })
    }
}

/// The body of `{"type": "json_schema", "json_schema": ...}` without the tag.
#[derive(Serialize)]
struct JsonSchemaBody<'a> {
    json_schema: &'a JsonSchemaFormat,
}

/// A tag-only body, for the unit variants.
#[derive(Serialize)]
struct Empty {}

impl Serialize for ResponseFormat {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ResponseFormat::Text => WithType {
                kind: "text",
                body: &Empty {},
            }
            .serialize(s),
            ResponseFormat::JsonObject => WithType {
                kind: "json_object",
                body: &Empty {},
            }
            .serialize(s),
            ResponseFormat::JsonSchema(json_schema) => WithType {
                kind: "json_schema",
                body: &JsonSchemaBody { json_schema },
            }
            .serialize(s),
            ResponseFormat::Other(map) => map.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ResponseFormat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut map = Extra::deserialize(d)?;
        let Some(kind) = take_tag(&mut map, "type") else {
            return Err(D::Error::missing_field("type"));
        };
        // Anything beyond the modelled shape goes to `Other`, so it round-trips.
        let known = match kind.as_str() {
            "text" if map.is_empty() => Some(ResponseFormat::Text),
            "json_object" if map.is_empty() => Some(ResponseFormat::JsonObject),
            "json_schema" if map.len() == 1 => map
                .get("json_schema")
                .and_then(|v| JsonSchemaFormat::deserialize(v).ok())
                .map(ResponseFormat::JsonSchema),
            _ => None,
        };
        Ok(known.unwrap_or_else(|| {
            map.insert("type".to_owned(), Value::String(kind));
            ResponseFormat::Other(map)
        }))
    }
}
