//! Tools the model may call, how it must choose among them, and the calls it makes.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::tag::WithType;
use crate::Extra;
use crate::string_enum::{StringEnum, string_enum_serde};
use crate::tagged::{from_map, take_tag};

/// The kind of a tool or tool call (`type` on the wire).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum ToolType {
    /// `function`: a JSON-arguments function (the default).
    #[default]
    Function,
    /// `custom`: a free-form-input tool; its data is kept in `extra["custom"]`.
    Custom,
    /// A kind this crate does not know.
    Other(String),
}

impl StringEnum for ToolType {
    fn as_str(&self) -> &str {
        match self {
            ToolType::Function => "function",
            ToolType::Custom => "custom",
            ToolType::Other(s) => s,
        }
    }

    fn from_wire(s: &str) -> Self {
        match s {
            "function" => ToolType::Function,
            "custom" => ToolType::Custom,
            other => ToolType::Other(other.to_owned()),
        }
    }
}
string_enum_serde!(ToolType);

/// A tool the model may call (an entry of the request's `tools`).
///
/// Custom tools keep their `custom` object in `extra`, with an empty `function`
/// that is not serialized.
///
/// # Examples
///
/// ```
/// use shepherd_types::chat::{FunctionDef, Tool};
///
/// let tool = Tool::function(
///     FunctionDef::new("get_weather")
///         .description("Current weather for a city")
///         .parameters(serde_json::json!({
///             "type": "object",
///             "properties": {"city": {"type": "string"}},
///             "required": ["city"]
///         })),
/// );
/// let json = serde_json::to_value(&tool).unwrap();
/// assert_eq!(json["type"], "function");
/// assert_eq!(json["function"]["name"], "get_weather");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// The tool's kind.
    #[serde(rename = "type", default)]
    pub kind: ToolType,
    /// The function definition (empty for non-function tools).
    #[serde(default, skip_serializing_if = "FunctionDef::is_empty")]
    pub function: FunctionDef,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Tool {
    /// A `function` tool.
    pub fn function(function: FunctionDef) -> Self {
        Tool {
            kind: ToolType::Function,
            function,
            extra: Extra::new(),
        }
    }
}

/// A function the model may call: its name, what it does and its JSON Schema parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionDef {
    /// The function name (`a-z`, `A-Z`, `0-9`, `_`, `-`; at most 64 characters).
    #[serde(default)]
    pub name: String,
    /// What the function does, for the model to decide when to call it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The parameters as a JSON Schema object; omitted means no parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// Whether the model must follow the schema exactly (server default: `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl FunctionDef {
    /// A function named `name` with no description and no parameters.
    pub fn new(name: impl Into<String>) -> Self {
        FunctionDef {
            name: name.into(),
            ..FunctionDef::default()
        }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the parameters' JSON Schema.
    pub fn parameters(mut self, schema: Value) -> Self {
        self.parameters = Some(schema);
        self
    }

    /// Sets strict schema adherence.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = Some(strict);
        self
    }

    /// True when nothing is set (the placeholder of a non-function tool).
    pub fn is_empty(&self) -> bool {
        self.name.is_empty()
            && self.description.is_none()
            && self.parameters.is_none()
            && self.strict.is_none()
            && self.extra.is_empty()
    }
}

/// How the model chooses tools (`tool_choice`): a mode string or a named function.
///
/// Object forms this crate does not model (`allowed_tools`, `custom`) are kept
/// whole in [`ToolChoice::Other`].
#[derive(Debug, Clone, PartialEq)]
pub enum ToolChoice {
    /// `"none"`, `"auto"` or `"required"`.
    Mode(ToolChoiceMode),
    /// `{"type": "function", "function": {"name": ...}}`: call this function.
    Function(NamedToolChoice),
    /// Any other object; the map holds it whole, `type` included.
    Other(Extra),
}

/// The string forms of [`ToolChoice`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ToolChoiceMode {
    /// `none`: do not call tools.
    None,
    /// `auto`: the model decides (the server default when tools are given).
    Auto,
    /// `required`: call at least one tool.
    Required,
    /// A value this crate does not know.
    Other(String),
}

impl StringEnum for ToolChoiceMode {
    fn as_str(&self) -> &str {
        match self {
            ToolChoiceMode::None => "none",
            ToolChoiceMode::Auto => "auto",
            ToolChoiceMode::Required => "required",
            ToolChoiceMode::Other(s) => s,
        }
    }

    fn from_wire(s: &str) -> Self {
        match s {
            "none" => ToolChoiceMode::None,
            "auto" => ToolChoiceMode::Auto,
            "required" => ToolChoiceMode::Required,
            other => ToolChoiceMode::Other(other.to_owned()),
        }
    }
}
string_enum_serde!(ToolChoiceMode);

/// A [`ToolChoice`] forcing one function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedToolChoice {
    /// The function to call.
    pub function: FunctionName,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A function referred to by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionName {
    /// The function name.
    pub name: String,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ToolChoice {
    /// `"none"`.
    pub fn none() -> Self {
        ToolChoice::Mode(ToolChoiceMode::None)
    }

    /// `"auto"`.
    pub fn auto() -> Self {
        ToolChoice::Mode(ToolChoiceMode::Auto)
    }

    /// `"required"`.
    pub fn required() -> Self {
        ToolChoice::Mode(ToolChoiceMode::Required)
    }

    /// Forces a call of the function `name`.
    pub fn function(name: impl Into<String>) -> Self {
        ToolChoice::Function(NamedToolChoice {
            function: FunctionName {
                name: name.into(),
                extra: Extra::new(),
            },
            extra: Extra::new(),
        })
    }
}

impl Serialize for ToolChoice {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ToolChoice::Mode(mode) => mode.serialize(s),
            ToolChoice::Function(body) => WithType {
                kind: "function",
                body,
            }
            .serialize(s),
            ToolChoice::Other(map) => map.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ToolChoice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(ToolChoice::Mode(ToolChoiceMode::from_wire(&s))),
            Value::Object(mut map) => match take_tag(&mut map, "type") {
                Some(kind) if kind == "function" => Ok(ToolChoice::Function(from_map(map)?)),
                Some(kind) => {
                    map.insert("type".to_owned(), Value::String(kind));
                    Ok(ToolChoice::Other(map))
                }
                None => Ok(ToolChoice::Other(map)),
            },
            _ => Err(D::Error::custom(
                "tool_choice: expected a string or an object",
            )),
        }
    }
}

/// A tool call the model made (an entry of a message's `tool_calls`).
///
/// Custom tool calls keep their `custom` object in `extra`, with an empty
/// `function` that is not serialized.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The call's id; a `tool` message answers it by this id.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub id: String,
    /// The kind of tool called.
    #[serde(rename = "type", default)]
    pub kind: ToolType,
    /// The function called and its arguments.
    #[serde(default, skip_serializing_if = "FunctionCall::is_empty")]
    pub function: FunctionCall,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ToolCall {
    /// A `function` tool call.
    pub fn function(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        ToolCall {
            id: id.into(),
            kind: ToolType::Function,
            function: FunctionCall {
                name: name.into(),
                arguments: arguments.into(),
                extra: Extra::new(),
            },
            extra: Extra::new(),
        }
    }
}

/// The function and arguments of a [`ToolCall`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// The function name.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub name: String,
    /// The arguments as a JSON string, exactly as the model wrote it (it may
    /// be invalid JSON: validate before use). Servers that send a JSON value
    /// instead of a string are accepted; the value is encoded.
    #[serde(default, deserialize_with = "super::lenient::arguments")]
    pub arguments: String,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl FunctionCall {
    /// Parses [`arguments`](Self::arguments) into `T`.
    ///
    /// # Errors
    ///
    /// When the model's arguments are not valid JSON for `T`.
    pub fn parse_arguments<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_str(&self.arguments)
    }

    /// True when nothing is set (the placeholder of a non-function call).
    pub fn is_empty(&self) -> bool {
        self.name.is_empty() && self.arguments.is_empty() && self.extra.is_empty()
    }
}
