//! Content blocks: the typed pieces of an Anthropic message (text, image, tool use, tool result, thinking).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::Extra;
use crate::string_enum::{StringEnum, string_enum_serde};
use crate::tagged::{from_map, take_tag};

/// One block of a message's `content` array, tagged by `type`.
///
/// Block types this crate does not model (`document`, `server_tool_use`,
/// `web_search_tool_result`, ...) deserialize into [`ContentBlock::Other`]
/// with the whole object, `type` included, so they round-trip unchanged.
///
/// # Examples
///
/// ```
/// use shepherd_types::anthropic::ContentBlock;
///
/// let block: ContentBlock = serde_json::from_str(
///     r#"{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Berlin"}}"#,
/// ).unwrap();
/// let ContentBlock::ToolUse(call) = &block else { panic!("not a tool_use block") };
/// assert_eq!(call.input["city"], "Berlin");
///
/// let odd: ContentBlock = serde_json::from_str(r#"{"type": "hologram", "depth": 3}"#).unwrap();
/// assert_eq!(odd.kind(), "hologram");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum ContentBlock {
    /// `{"type": "text"}`: text written by the user or the model.
    Text(TextBlock),
    /// `{"type": "image"}`: an image given to the model.
    Image(ImageBlock),
    /// `{"type": "tool_use"}`: the model calls a tool.
    ToolUse(ToolUseBlock),
    /// `{"type": "tool_result"}`: the caller answers a tool call.
    ToolResult(ToolResultBlock),
    /// `{"type": "thinking"}`: the model's extended thinking.
    Thinking(ThinkingBlock),
    /// `{"type": "redacted_thinking"}`: thinking the provider encrypted.
    RedactedThinking(RedactedThinkingBlock),
    /// Any other block type, kept whole (its `type` field included).
    Other(Extra),
}

impl ContentBlock {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        ContentBlock::Text(TextBlock::new(text))
    }

    /// The block's wire `type` (`""` for an unknown block without one).
    pub fn kind(&self) -> &str {
        match self {
            ContentBlock::Text(_) => "text",
            ContentBlock::Image(_) => "image",
            ContentBlock::ToolUse(_) => "tool_use",
            ContentBlock::ToolResult(_) => "tool_result",
            ContentBlock::Thinking(_) => "thinking",
            ContentBlock::RedactedThinking(_) => "redacted_thinking",
            ContentBlock::Other(map) => map.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }

    /// The text of a text block, `None` for every other block.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            ContentBlock::Text(t) => Some(&t.text),
            _ => None,
        }
    }
}

impl From<TextBlock> for ContentBlock {
    fn from(b: TextBlock) -> Self {
        ContentBlock::Text(b)
    }
}

impl From<ToolUseBlock> for ContentBlock {
    fn from(b: ToolUseBlock) -> Self {
        ContentBlock::ToolUse(b)
    }
}

impl From<ToolResultBlock> for ContentBlock {
    fn from(b: ToolResultBlock) -> Self {
        ContentBlock::ToolResult(b)
    }
}

// Serialization borrows each variant's struct and lets serde write the tag
// first; `Other` already carries its own `type`.
#[derive(Serialize)]
#[serde(tag = "type")]
enum TaggedRef<'a> {
    #[serde(rename = "text")]
    Text(&'a TextBlock),
    #[serde(rename = "image")]
    Image(&'a ImageBlock),
    #[serde(rename = "tool_use")]
    ToolUse(&'a ToolUseBlock),
    #[serde(rename = "tool_result")]
    ToolResult(&'a ToolResultBlock),
    #[serde(rename = "thinking")]
    Thinking(&'a ThinkingBlock),
    #[serde(rename = "redacted_thinking")]
    RedactedThinking(&'a RedactedThinkingBlock),
}

impl Serialize for ContentBlock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ContentBlock::Text(b) => TaggedRef::Text(b).serialize(s),
            ContentBlock::Image(b) => TaggedRef::Image(b).serialize(s),
            ContentBlock::ToolUse(b) => TaggedRef::ToolUse(b).serialize(s),
            ContentBlock::ToolResult(b) => TaggedRef::ToolResult(b).serialize(s),
            ContentBlock::Thinking(b) => TaggedRef::Thinking(b).serialize(s),
            ContentBlock::RedactedThinking(b) => TaggedRef::RedactedThinking(b).serialize(s),
            ContentBlock::Other(map) => map.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ContentBlock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut map = Map::<String, Value>::deserialize(d)?;
        let tag = take_tag(&mut map, "type");
        Ok(match tag.as_deref() {
            Some("text") => ContentBlock::Text(from_map(map)?),
            Some("image") => ContentBlock::Image(from_map(map)?),
            Some("tool_use") => ContentBlock::ToolUse(from_map(map)?),
            Some("tool_result") => ContentBlock::ToolResult(from_map(map)?),
            Some("thinking") => ContentBlock::Thinking(from_map(map)?),
            Some("redacted_thinking") => ContentBlock::RedactedThinking(from_map(map)?),
            _ => {
                if let Some(tag) = tag {
                    map.insert("type".to_owned(), Value::String(tag));
                }
                ContentBlock::Other(map)
            }
        })
    }
}

/// A text block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextBlock {
    /// The text.
    pub text: String,
    /// Fields not modelled here (`citations`, `cache_control`), kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl TextBlock {
    /// A text block with no citations or cache control.
    pub fn new(text: impl Into<String>) -> Self {
        TextBlock {
            text: text.into(),
            extra: Extra::new(),
        }
    }
}

/// An image block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageBlock {
    /// Where the image's bytes come from.
    pub source: ImageSource,
    /// Fields not modelled here (`cache_control`), kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Where an image comes from: inline base64 data, a URL, or an uploaded file.
///
/// One struct rather than an enum because the three shapes share their
/// fields' meaning, and a new source type must not fail the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageSource {
    /// `base64`, `url` or `file`.
    #[serde(rename = "type")]
    pub kind: ImageSourceKind,
    /// MIME type of base64 data (`image/png`, `image/jpeg`, `image/gif`, `image/webp`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Base64-encoded bytes, for `base64` sources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// The image's address, for `url` sources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Fields not modelled here (`file_id`), kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ImageSource {
    /// An inline image: `media_type` such as `image/png`, `data` base64-encoded.
    pub fn base64(media_type: impl Into<String>, data: impl Into<String>) -> Self {
        ImageSource {
            kind: ImageSourceKind::Base64,
            media_type: Some(media_type.into()),
            data: Some(data.into()),
            url: None,
            extra: Extra::new(),
        }
    }

    /// An image the provider fetches from `url`.
    pub fn url(url: impl Into<String>) -> Self {
        ImageSource {
            kind: ImageSourceKind::Url,
            media_type: None,
            data: None,
            url: Some(url.into()),
            extra: Extra::new(),
        }
    }
}

/// The `type` of an [`ImageSource`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ImageSourceKind {
    /// `base64`: bytes inline in `data`.
    Base64,
    /// `url`: fetched by the provider.
    Url,
    /// `file`: uploaded through the Files API.
    File,
    /// A source type this crate does not know.
    Other(String),
}

impl StringEnum for ImageSourceKind {
    fn as_str(&self) -> &str {
        match self {
            ImageSourceKind::Base64 => "base64",
            ImageSourceKind::Url => "url",
            ImageSourceKind::File => "file",
            ImageSourceKind::Other(s) => s,
        }
    }
    fn from_wire(s: &str) -> Self {
        match s {
            "base64" => ImageSourceKind::Base64,
            "url" => ImageSourceKind::Url,
            "file" => ImageSourceKind::File,
            other => ImageSourceKind::Other(other.to_owned()),
        }
    }
}
string_enum_serde!(ImageSourceKind);

/// The model calls a tool: `input` is the arguments object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolUseBlock {
    /// Call id (`toolu_...`), echoed back in the [`ToolResultBlock`].
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments, a JSON object (already parsed, unlike OpenAI's string).
    #[serde(default = "empty_object")]
    pub input: Value,
    /// Fields not modelled here (`cache_control`), kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// The caller's answer to a tool call, sent in a `user` message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolResultBlock {
    /// The [`ToolUseBlock::id`] this answers.
    pub tool_use_id: String,
    /// The result: a string or content blocks; absent for an empty result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<ToolResultContent>,
    /// `true` when the tool failed and `content` describes the error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_error: Option<bool>,
    /// Fields not modelled here (`cache_control`), kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ToolResultBlock {
    /// A successful result with text content.
    pub fn text(tool_use_id: impl Into<String>, text: impl Into<String>) -> Self {
        ToolResultBlock {
            tool_use_id: tool_use_id.into(),
            content: Some(ToolResultContent::Text(text.into())),
            is_error: None,
            extra: Extra::new(),
        }
    }
}

/// A tool result's `content`: a plain string or content blocks (text, images).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ToolResultContent {
    /// A plain string.
    Text(String),
    /// Content blocks.
    Blocks(Vec<ContentBlock>),
}

/// The model's extended thinking (when `thinking` is enabled in the request).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThinkingBlock {
    /// The reasoning text (possibly summarised by the provider).
    pub thinking: String,
    /// Opaque signature that must be sent back unchanged in multi-turn tool use.
    #[serde(default)]
    pub signature: String,
    /// Fields not modelled here, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Thinking the provider flagged and encrypted; must be sent back unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RedactedThinkingBlock {
    /// Encrypted thinking.
    pub data: String,
    /// Fields not modelled here, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_blocks_round_trip_with_tag_first() {
        let v = json!({"type": "text", "text": "hi", "citations": null});
        let b: ContentBlock = serde_json::from_value(v).expect("text block");
        assert_eq!(b.as_text(), Some("hi"));
        let out = serde_json::to_string(&b).expect("serialize");
        assert!(out.starts_with(r#"{"type":"text""#), "{out}");
    }

    #[test]
    fn unknown_block_keeps_its_type() {
        let v = json!({"type": "document", "source": {"type": "text", "data": "x"}});
        let b: ContentBlock = serde_json::from_value(v.clone()).expect("any object parses");
        assert_eq!(b.kind(), "document");
        assert_eq!(serde_json::to_value(&b).expect("serialize"), v);
    }

    #[test]
    fn tool_result_content_string_or_blocks() {
        let a: ToolResultBlock =
            serde_json::from_value(json!({"tool_use_id": "t", "content": "42"})).expect("string");
        assert_eq!(a.content, Some(ToolResultContent::Text("42".into())));
        let b: ToolResultBlock = serde_json::from_value(
            json!({"tool_use_id": "t", "content": [{"type": "text", "text": "42"}], "is_error": true}),
        )
        .expect("blocks");
        assert!(matches!(b.content, Some(ToolResultContent::Blocks(ref v)) if v.len() == 1));
        assert_eq!(b.is_error, Some(true));
    }

    #[test]
    fn image_source_unknown_kind_is_kept() {
        let s: ImageSource =
            serde_json::from_value(json!({"type": "s3", "bucket": "b"})).expect("source");
        assert_eq!(s.kind, ImageSourceKind::Other("s3".into()));
        assert_eq!(
            serde_json::to_value(&s).expect("ser"),
            json!({"type": "s3", "bucket": "b"})
        );
    }
}
