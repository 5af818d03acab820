//! Request messages: the role-tagged [`Message`] and its [`Content`].

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::tag::{WithRole, WithType};
use super::tools::ToolCall;
use crate::Extra;
use crate::string_enum::{StringEnum, string_enum_serde};
use crate::tagged::{from_map, take_tag};

/// The author of a message (`role` on the wire).
///
/// Servers that invent roles (`"critic"`, `"ipython"`) parse as [`Role::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Role {
    /// `system`: instructions (older models; newer ones prefer `developer`).
    System,
    /// `developer`: instructions that the model follows over user messages.
    Developer,
    /// `user`: the end user's input.
    User,
    /// `assistant`: the model's output.
    Assistant,
    /// `tool`: the result of a tool call.
    Tool,
    /// `function`: the result of a deprecated function call.
    Function,
    /// A role this crate does not know.
    Other(String),
}

impl StringEnum for Role {
    fn as_str(&self) -> &str {
        match self {
            Role::System => "system",
            Role::Developer => "developer",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
            Role::Function => "function",
            Role::Other(s) => s,
        }
    }

    fn from_wire(s: &str) -> Self {
        match s {
            "system" => Role::System,
            "developer" => Role::Developer,
            "user" => Role::User,
            "assistant" => Role::Assistant,
            "tool" => Role::Tool,
            "function" => Role::Function,
            other => Role::Other(other.to_owned()),
        }
    }
}
string_enum_serde!(Role);

impl Role {
    /// The wire spelling, e.g. `"assistant"`.
    pub fn as_str(&self) -> &str {
        StringEnum::as_str(self)
    }
}

/// One message of a chat request, tagged by its `role`.
///
/// A message with a role this crate does not model (including the deprecated
/// `function` role) is kept whole, `role` included, in [`Message::Other`].
///
/// # Examples
///
/// ```
/// use shepherd_types::chat::{Message, ContentPart};
///
/// let m = Message::user(vec![
///     ContentPart::text("What is in this image?"),
///     ContentPart::image_url("https://example.com/cat.png"),
/// ]);
/// let json = serde_json::to_value(&m).unwrap();
/// assert_eq!(json["role"], "user");
/// assert_eq!(json["content"][1]["image_url"]["url"], "https://example.com/cat.png");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// `role: "system"`.
    System(ContentMessage),
    /// `role: "developer"`.
    Developer(ContentMessage),
    /// `role: "user"`.
    User(ContentMessage),
    /// `role: "assistant"`: an earlier model turn, possibly with tool calls.
    Assistant(AssistantMessage),
    /// `role: "tool"`: the result of one tool call.
    Tool(ToolMessage),
    /// Any other role; the map holds the whole object, `role` included.
    Other(Extra),
}

/// A system, developer or user message: content and an optional participant name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentMessage {
    /// The text, or content parts (text, images, audio, files).
    pub content: Content,
    /// An optional name to tell participants of the same role apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An assistant message sent back to the model as conversation history.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AssistantMessage {
    /// The text; `None` when the turn only made tool calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    /// The model's refusal, if it refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// An optional participant name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Tool calls the model made in this turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// Fields this crate does not know (`audio`, `function_call`), kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The result of one tool call, answering the assistant's call `tool_call_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolMessage {
    /// The id of the [`ToolCall`] this message answers.
    pub tool_call_id: String,
    /// The tool's output.
    pub content: Content,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ContentMessage {
    /// A message with `content` and nothing else.
    pub fn new(content: impl Into<Content>) -> Self {
        ContentMessage {
            content: content.into(),
            name: None,
            extra: Extra::new(),
        }
    }
}

impl Message {
    /// A `system` message.
    pub fn system(content: impl Into<Content>) -> Self {
        Message::System(ContentMessage::new(content))
    }

    /// A `developer` message.
    pub fn developer(content: impl Into<Content>) -> Self {
        Message::Developer(ContentMessage::new(content))
    }

    /// A `user` message: a string or content parts.
    pub fn user(content: impl Into<Content>) -> Self {
        Message::User(ContentMessage::new(content))
    }

    /// An `assistant` message with text content.
    pub fn assistant(content: impl Into<Content>) -> Self {
        Message::Assistant(AssistantMessage {
            content: Some(content.into()),
            ..AssistantMessage::default()
        })
    }

    /// A `tool` message answering the tool call `tool_call_id`.
    pub fn tool(tool_call_id: impl Into<String>, content: impl Into<Content>) -> Self {
        Message::Tool(ToolMessage {
            tool_call_id: tool_call_id.into(),
            content: content.into(),
            extra: Extra::new(),
        })
    }

    /// The wire role, e.g. `"user"`; for [`Message::Other`] the role it carried.
    pub fn role(&self) -> &str {
        match self {
            Message::System(_) => "system",
            Message::Developer(_) => "developer",
            Message::User(_) => "user",
            Message::Assistant(_) => "assistant",
            Message::Tool(_) => "tool",
            Message::Other(map) => map.get("role").and_then(Value::as_str).unwrap_or(""),
        }
    }

    /// The message's content, when it has modelled content.
    pub fn content(&self) -> Option<&Content> {
        match self {
            Message::System(m) | Message::Developer(m) | Message::User(m) => Some(&m.content),
            Message::Assistant(m) => m.content.as_ref(),
            Message::Tool(m) => Some(&m.content),
            Message::Other(_) => None,
        }
    }
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Message::System(body) => WithRole {
                role: "system",
                body,
            }
            .serialize(s),
            Message::Developer(body) => WithRole {
                role: "developer",
                body,
            }
            .serialize(s),
            Message::User(body) => WithRole { role: "user", body }.serialize(s),
            Message::Assistant(body) => WithRole {
                role: "assistant",
                body,
            }
            .serialize(s),
            Message::Tool(body) => WithRole { role: "tool", body }.serialize(s),
            Message::Other(map) => map.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut map = Extra::deserialize(d)?;
        let Some(role) = take_tag(&mut map, "role") else {
            return Err(D::Error::missing_field("role"));
        };
        Ok(match role.as_str() {
            "system" => Message::System(from_map(map)?),
            "developer" => Message::Developer(from_map(map)?),
            "user" => Message::User(from_map(map)?),
            "assistant" => Message::Assistant(from_map(map)?),
            "tool" => Message::Tool(from_map(map)?),
            _ => {
                map.insert("role".to_owned(), Value::String(role));
                Message::Other(map)
            }
        })
    }
}

/// Message content: a plain string, or a list of typed parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Content {
    /// A plain string.
    Text(String),
    /// Typed parts (text, image, audio, file, refusal).
    Parts(Vec<ContentPart>),
}

impl Content {
    /// The string, when this is [`Content::Text`].
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Content::Text(s) => Some(s),
            Content::Parts(_) => None,
        }
    }

    /// All text: the string, or the text parts concatenated (other parts skipped).
    pub fn to_text(&self) -> String {
        match self {
            Content::Text(s) => s.clone(),
            Content::Parts(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    ContentPart::Text(t) => Some(t.text.as_str()),
                    _ => None,
                })
                .collect(),
        }
    }
}

impl From<String> for Content {
    fn from(s: String) -> Self {
        Content::Text(s)
    }
}

impl From<&str> for Content {
    fn from(s: &str) -> Self {
        Content::Text(s.to_owned())
    }
}

impl From<Vec<ContentPart>> for Content {
    fn from(parts: Vec<ContentPart>) -> Self {
        Content::Parts(parts)
    }
}

/// One typed part of a message's content, tagged by `type`.
///
/// Unknown part types are kept whole, `type` included, in [`ContentPart::Other`].
#[derive(Debug, Clone, PartialEq)]
pub enum ContentPart {
    /// `type: "text"`.
    Text(TextPart),
    /// `type: "image_url"`: an image by URL or `data:` URL.
    ImageUrl(ImagePart),
    /// `type: "input_audio"`: base64 audio.
    InputAudio(AudioPart),
    /// `type: "file"`: a file by id or inline data.
    File(FilePart),
    /// `type: "refusal"` (assistant messages only).
    Refusal(RefusalPart),
    /// Any other part type; the map holds the whole object, `type` included.
    Other(Extra),
}

/// A text part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextPart {
    /// The text.
    pub text: String,
    /// Fields this crate does not know (`prompt_cache_breakpoint`), kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An image part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImagePart {
    /// Where the image is.
    pub image_url: ImageUrl,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The image of an [`ImagePart`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageUrl {
    /// An `https:` URL or a `data:image/...;base64,` URL.
    pub url: String,
    /// Resolution the model sees the image at (server default: `auto`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<ImageDetail>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Image resolution for vision input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ImageDetail {
    /// `auto`: the model decides.
    Auto,
    /// `low`: a 512px thumbnail, cheapest.
    Low,
    /// `high`: full detail.
    High,
    /// A value this crate does not know.
    Other(String),
}

impl StringEnum for ImageDetail {
    fn as_str(&self) -> &str {
        match self {
            ImageDetail::Auto => "auto",
            ImageDetail::Low => "low",
            ImageDetail::High => "high",
            ImageDetail::Other(s) => s,
        }
    }

    fn from_wire(s: &str) -> Self {
        match s {
            "auto" => ImageDetail::Auto,
            "low" => ImageDetail::Low,
            "high" => ImageDetail::High,
            other => ImageDetail::Other(other.to_owned()),
        }
    }
}
string_enum_serde!(ImageDetail);

/// An audio input part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudioPart {
    /// The audio.
    pub input_audio: InputAudio,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The audio of an [`AudioPart`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputAudio {
    /// Base64-encoded audio bytes.
    pub data: String,
    /// The encoding of `data`.
    pub format: InputAudioFormat,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The encoding of an [`InputAudio`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InputAudioFormat {
    /// `wav`.
    Wav,
    /// `mp3`.
    Mp3,
    /// A value this crate does not know.
    Other(String),
}

impl StringEnum for InputAudioFormat {
    fn as_str(&self) -> &str {
        match self {
            InputAudioFormat::Wav => "wav",
            InputAudioFormat::Mp3 => "mp3",
            InputAudioFormat::Other(s) => s,
        }
    }

    fn from_wire(s: &str) -> Self {
        match s {
            "wav" => InputAudioFormat::Wav,
            "mp3" => InputAudioFormat::Mp3,
            other => InputAudioFormat::Other(other.to_owned()),
        }
    }
}
string_enum_serde!(InputAudioFormat);

impl From<&str> for InputAudioFormat {
    fn from(s: &str) -> Self {
        InputAudioFormat::from_wire(s)
    }
}

/// A file part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilePart {
    /// The file.
    pub file: FileInput,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The file of a [`FilePart`]: an uploaded file's id, or inline base64 data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileInput {
    /// The id of an uploaded file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
    /// Base64 file data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_data: Option<String>,
    /// The file name, used with `file_data`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A refusal part of an assistant message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefusalPart {
    /// The refusal text.
    pub refusal: String,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ContentPart {
    /// A text part.
    pub fn text(text: impl Into<String>) -> Self {
        ContentPart::Text(TextPart {
            text: text.into(),
            extra: Extra::new(),
        })
    }

    /// An image part from an `https:` or `data:` URL, at the server's default detail.
    pub fn image_url(url: impl Into<String>) -> Self {
        ContentPart::ImageUrl(ImagePart {
            image_url: ImageUrl {
                url: url.into(),
                detail: None,
                extra: Extra::new(),
            },
            extra: Extra::new(),
        })
    }

    /// An audio part from base64 `data` in `format` (`"wav"` or `"mp3"`).
    pub fn input_audio(data: impl Into<String>, format: impl Into<InputAudioFormat>) -> Self {
        ContentPart::InputAudio(AudioPart {
            input_audio: InputAudio {
                data: data.into(),
                format: format.into(),
                extra: Extra::new(),
            },
            extra: Extra::new(),
        })
    }

    /// A file part referring to an uploaded file.
    pub fn file_id(file_id: impl Into<String>) -> Self {
        ContentPart::File(FilePart {
            file: FileInput {
                file_id: Some(file_id.into()),
                ..FileInput::default()
            },
            extra: Extra::new(),
        })
    }

    /// The wire `type`, e.g. `"image_url"`; for [`ContentPart::Other`] the type it carried.
    pub fn kind(&self) -> &str {
        match self {
            ContentPart::Text(_) => "text",
            ContentPart::ImageUrl(_) => "image_url",
            ContentPart::InputAudio(_) => "input_audio",
            ContentPart::File(_) => "file",
            ContentPart::Refusal(_) => "refusal",
            ContentPart::Other(map) => map.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }
}

impl Serialize for ContentPart {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ContentPart::Text(body) => WithType { kind: "text", body }.serialize(s),
            ContentPart::ImageUrl(body) => WithType {
                kind: "image_url",
                body,
            }
            .serialize(s),
            ContentPart::InputAudio(body) => WithType {
                kind: "input_audio",
                body,
            }
            .serialize(s),
            ContentPart::File(body) => WithType { kind: "file", body }.serialize(s),
            ContentPart::Refusal(body) => WithType {
                kind: "refusal",
                body,
            }
            .serialize(s),
            ContentPart::Other(map) => map.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ContentPart {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut map = Extra::deserialize(d)?;
        let Some(kind) = take_tag(&mut map, "type") else {
            return Err(D::Error::missing_field("type"));
        };
        Ok(match kind.as_str() {
            "text" => ContentPart::Text(from_map(map)?),
            "image_url" => ContentPart::ImageUrl(from_map(map)?),
            "input_audio" => ContentPart::InputAudio(from_map(map)?),
            "file" => ContentPart::File(from_map(map)?),
            "refusal" => ContentPart::Refusal(from_map(map)?),
            _ => {
                map.insert("type".to_owned(), Value::String(kind));
                ContentPart::Other(map)
            }
        })
    }
}
