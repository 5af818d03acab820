//! Server-sent events of a streamed Messages response (`"stream": true`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::content::ContentBlock;
use super::error::ApiError;
use super::response::{MessagesResponse, StopReason};
use crate::Extra;
use crate::tagged::{from_map, take_tag};

/// One event's `data` payload, tagged by `type`.
///
/// A stream runs `message_start`, then per content block
/// `content_block_start`, any number of `content_block_delta`s and
/// `content_block_stop`, then `message_delta` (stop reason, final usage) and
/// `message_stop`; `ping` and `error` may come at any point. Event types this
/// crate does not know deserialize into [`StreamEvent::Other`], whole.
///
/// # Examples
///
/// ```
/// use shepherd_types::anthropic::{BlockDelta, StreamEvent};
///
/// let event: StreamEvent = serde_json::from_str(
///     r#"{"type": "content_block_delta", "index": 1,
///         "delta": {"type": "input_json_delta", "partial_json": "{\"city\": \"Ber"}}"#,
/// ).unwrap();
/// let StreamEvent::ContentBlockDelta { index, delta: BlockDelta::InputJson(d), .. } = event else {
///     panic!("wrong event")
/// };
/// assert_eq!(index, 1);
/// assert_eq!(d.partial_json, r#"{"city": "Ber"#);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// `message_start`: the message's id, model and input usage; content empty.
    MessageStart {
        /// The message so far.
        message: MessagesResponse,
        /// Fields not modelled here.
        extra: Extra,
    },
    /// `content_block_start`: a new block at `index` (tool_use blocks carry id and name).
    ContentBlockStart {
        /// Position of the block in the message's `content`.
        index: u32,
        /// The block, with empty text / input to be filled by deltas.
        content_block: ContentBlock,
        /// Fields not modelled here.
        extra: Extra,
    },
    /// `content_block_delta`: more of the block at `index`.
    ContentBlockDelta {
        /// Position of the block in the message's `content`.
        index: u32,
        /// The increment.
        delta: BlockDelta,
        /// Fields not modelled here.
        extra: Extra,
    },
    /// `content_block_stop`: the block at `index` is complete.
    ContentBlockStop {
        /// Position of the block in the message's `content`.
        index: u32,
        /// Fields not modelled here.
        extra: Extra,
    },
    /// `message_delta`: top-level changes (stop reason) and cumulative usage.
    MessageDelta {
        /// The changed fields.
        delta: MessageDeltaBody,
        /// Cumulative token counts (at least `output_tokens`).
        usage: Option<DeltaUsage>,
        /// Fields not modelled here.
        extra: Extra,
    },
    /// `message_stop`: the stream is complete.
    MessageStop {
        /// Fields not modelled here.
        extra: Extra,
    },
    /// `ping`: keep-alive, carries nothing.
    Ping {
        /// Fields not modelled here.
        extra: Extra,
    },
    /// `error`: the stream failed (e.g. `overloaded_error`) after it started.
    Error {
        /// What went wrong.
        error: ApiError,
        /// Fields not modelled here.
        extra: Extra,
    },
    /// Any other event type, kept whole (its `type` field included).
    Other(Extra),
}

impl StreamEvent {
    /// The event's wire `type` (`""` for an unknown event without one).
    pub fn kind(&self) -> &str {
        match self {
            StreamEvent::MessageStart { .. } => "message_start",
            StreamEvent::ContentBlockStart { .. } => "content_block_start",
            StreamEvent::ContentBlockDelta { .. } => "content_block_delta",
            StreamEvent::ContentBlockStop { .. } => "content_block_stop",
            StreamEvent::MessageDelta { .. } => "message_delta",
            StreamEvent::MessageStop { .. } => "message_stop",
            StreamEvent::Ping { .. } => "ping",
            StreamEvent::Error { .. } => "error",
            StreamEvent::Other(map) => map.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }
}

/// The `delta` of a `message_delta` event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageDeltaBody {
    /// Why generation stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<StopReason>,
    /// The stop sequence that matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_sequence: Option<String>,
    /// Fields not modelled here, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The `usage` of a `message_delta` event. Counts are cumulative for the
/// whole message; servers send at least `output_tokens`, newer ones the
/// input counts too.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeltaUsage {
    /// Generated tokens so far.
    #[serde(default)]
    pub output_tokens: u32,
    /// Uncached input tokens, when the server repeats them here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u32>,
    /// Cache-write input tokens, when the server repeats them here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u32>,
    /// Cache-read input tokens, when the server repeats them here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u32>,
    /// Fields not modelled here, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The `delta` of a `content_block_delta` event, tagged by `type`.
#[derive(Debug, Clone, PartialEq)]
pub enum BlockDelta {
    /// `text_delta`: more text for a text block.
    Text(TextDelta),
    /// `input_json_delta`: a fragment of a tool_use block's input JSON.
    InputJson(InputJsonDelta),
    /// `thinking_delta`: more text for a thinking block.
    Thinking(ThinkingDelta),
    /// `signature_delta`: a thinking block's signature, sent before its stop.
    Signature(SignatureDelta),
    /// Any other delta type (`citations_delta`, ...), kept whole.
    Other(Extra),
}

/// A `text_delta`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextDelta {
    /// The text fragment.
    pub text: String,
    /// Fields not modelled here, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An `input_json_delta`. Fragments are not valid JSON on their own:
/// concatenate all of a block's fragments, then parse.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputJsonDelta {
    /// The JSON fragment.
    pub partial_json: String,
    /// Fields not modelled here, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A `thinking_delta`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThinkingDelta {
    /// The thinking fragment.
    pub thinking: String,
    /// Fields not modelled here, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A `signature_delta`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SignatureDelta {
    /// The thinking block's signature.
    pub signature: String,
    /// Fields not modelled here, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl BlockDelta {
    /// The delta's wire `type` (`""` for an unknown delta without one).
    pub fn kind(&self) -> &str {
        match self {
            BlockDelta::Text(_) => "text_delta",
            BlockDelta::InputJson(_) => "input_json_delta",
            BlockDelta::Thinking(_) => "thinking_delta",
            BlockDelta::Signature(_) => "signature_delta",
            BlockDelta::Other(map) => map.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }
}

// Serialization helpers: serde writes the tag, each variant borrows its fields.
#[derive(Serialize)]
#[serde(tag = "type")]
enum EventRef<'a> {
    #[serde(rename = "message_start")]
    MessageStart {
        message: &'a MessagesResponse,
        #[serde(flatten)]
        extra: &'a Extra,
    },
    #[serde(rename = "content_block_start")]
    ContentBlockStart {
        index: u32,
        content_block: &'a ContentBlock,
        #[serde(flatten)]
        extra: &'a Extra,
    },
    #[serde(rename = "content_block_delta")]
    ContentBlockDelta {
        index: u32,
        delta: &'a BlockDelta,
        #[serde(flatten)]
        extra: &'a Extra,
    },
    #[serde(rename = "content_block_stop")]
    ContentBlockStop {
        index: u32,
        #[serde(flatten)]
        extra: &'a Extra,
    },
    #[serde(rename = "message_delta")]
    MessageDelta {
        delta: &'a MessageDeltaBody,
        #[serde(skip_serializing_if = "Option::is_none")]
        usage: Option<&'a DeltaUsage>,
        #[serde(flatten)]
        extra: &'a Extra,
    },
    #[serde(rename = "message_stop")]
    MessageStop {
        #[serde(flatten)]
        extra: &'a Extra,
    },
    #[serde(rename = "ping")]
    Ping {
        #[serde(flatten)]
        extra: &'a Extra,
    },
    #[serde(rename = "error")]
    Error {
        error: &'a ApiError,
        #[serde(flatten)]
        extra: &'a Extra,
    },
}

impl Serialize for StreamEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let event = match self {
            StreamEvent::MessageStart { message, extra } => {
                EventRef::MessageStart { message, extra }
            }
            StreamEvent::ContentBlockStart {
                index,
                content_block,
                extra,
            } => EventRef::ContentBlockStart {
                index: *index,
                content_block,
                extra,
            },
            StreamEvent::ContentBlockDelta {
                index,
                delta,
                extra,
            } => EventRef::ContentBlockDelta {
                index: *index,
                delta,
                extra,
            },
            StreamEvent::ContentBlockStop { index, extra } => EventRef::ContentBlockStop {
                index: *index,
                extra,
            },
            StreamEvent::MessageDelta {
                delta,
                usage,
                extra,
            } => EventRef::MessageDelta {
                delta,
                usage: usage.as_ref(),
                extra,
            },
            StreamEvent::MessageStop { extra } => EventRef::MessageStop { extra },
            StreamEvent::Ping { extra } => EventRef::Ping { extra },
            StreamEvent::Error { error, extra } => EventRef::Error { error, extra },
            StreamEvent::Other(map) => return map.serialize(s),
        };
        event.serialize(s)
    }
}

/// Removes `key` from `map` and deserializes it; a missing key is an error.
fn take_field<T: serde::de::DeserializeOwned, E: serde::de::Error>(
    map: &mut Map<String, Value>,
    key: &'static str,
) -> Result<T, E> {
    let value = map.remove(key).ok_or_else(|| E::missing_field(key))?;
    serde_json::from_value(value).map_err(E::custom)
}

impl<'de> Deserialize<'de> for StreamEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut map = Map::<String, Value>::deserialize(d)?;
        let tag = take_tag(&mut map, "type");
        let event = match tag.as_deref() {
            Some("message_start") => StreamEvent::MessageStart {
                message: take_field::<_, D::Error>(&mut map, "message")?,
                extra: map,
            },
            Some("content_block_start") => StreamEvent::ContentBlockStart {
                index: take_field::<_, D::Error>(&mut map, "index")?,
                content_block: take_field::<_, D::Error>(&mut map, "content_block")?,
                extra: map,
            },
            Some("content_block_delta") => StreamEvent::ContentBlockDelta {
                index: take_field::<_, D::Error>(&mut map, "index")?,
                delta: take_field::<_, D::Error>(&mut map, "delta")?,
                extra: map,
            },
            Some("content_block_stop") => StreamEvent::ContentBlockStop {
                index: take_field::<_, D::Error>(&mut map, "index")?,
                extra: map,
            },
            Some("message_delta") => {
                let delta = match map.remove("delta") {
                    Some(v) => serde_json::from_value(v).map_err(serde::de::Error::custom)?,
                    None => MessageDeltaBody::default(),
                };
                let usage = match map.remove("usage") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(serde_json::from_value(v).map_err(serde::de::Error::custom)?),
                };
                StreamEvent::MessageDelta {
                    delta,
                    usage,
                    extra: map,
                }
            }
            Some("message_stop") => StreamEvent::MessageStop { extra: map },
            Some("ping") => StreamEvent::Ping { extra: map },
            Some("error") => StreamEvent::Error {
                error: take_field::<_, D::Error>(&mut map, "error")?,
                extra: map,
            },
            _ => {
                if let Some(tag) = tag {
                    map.insert("type".to_owned(), Value::String(tag));
                }
                StreamEvent::Other(map)
            }
        };
        Ok(event)
    }
}

#[derive(Serialize)]
#[serde(tag = "type")]
enum DeltaRef<'a> {
    #[serde(rename = "text_delta")]
    Text(&'a TextDelta),
    #[serde(rename = "input_json_delta")]
    InputJson(&'a InputJsonDelta),
    #[serde(rename = "thinking_delta")]
    Thinking(&'a ThinkingDelta),
    #[serde(rename = "signature_delta")]
    Signature(&'a SignatureDelta),
}

impl Serialize for BlockDelta {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            BlockDelta::Text(d) => DeltaRef::Text(d).serialize(s),
            BlockDelta::InputJson(d) => DeltaRef::InputJson(d).serialize(s),
            BlockDelta::Thinking(d) => DeltaRef::Thinking(d).serialize(s),
            BlockDelta::Signature(d) => DeltaRef::Signature(d).serialize(s),
            BlockDelta::Other(map) => map.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for BlockDelta {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut map = Map::<String, Value>::deserialize(d)?;
        let tag = take_tag(&mut map, "type");
        let delta = match tag.as_deref() {
            Some("text_delta") => BlockDelta::Text(from_map::<_, D::Error>(map)?),
            Some("input_json_delta") => BlockDelta::InputJson(from_map::<_, D::Error>(map)?),
            Some("thinking_delta") => BlockDelta::Thinking(from_map::<_, D::Error>(map)?),
            Some("signature_delta") => BlockDelta::Signature(from_map::<_, D::Error>(map)?),
            _ => {
                if let Some(tag) = tag {
                    map.insert("type".to_owned(), Value::String(tag));
                }
                BlockDelta::Other(map)
            }
        };
        Ok(delta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(v: serde_json::Value) -> StreamEvent {
        let e: StreamEvent = serde_json::from_value(v.clone()).expect("parse event");
        assert_eq!(serde_json::to_value(&e).expect("serialize event"), v);
        e
    }

    #[test]
    fn every_event_type_round_trips() {
        let e = round_trip(json!({"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "m",
            "usage": {"input_tokens": 25, "output_tokens": 1}}}));
        assert_eq!(e.kind(), "message_start");
        round_trip(json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "text", "text": ""}}));
        round_trip(json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": "Hi"}}));
        round_trip(json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "hm"}}));
        round_trip(json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "signature_delta", "signature": "EqQB"}}));
        round_trip(json!({"type": "content_block_stop", "index": 0}));
        round_trip(
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 15}}),
        );
        round_trip(json!({"type": "message_stop"}));
        round_trip(json!({"type": "ping"}));
        let e = round_trip(json!({"type": "error",
            "error": {"type": "overloaded_error", "message": "Overloaded"}}));
        assert!(matches!(e, StreamEvent::Error { ref error, .. } if error.kind.is_overloaded()));
    }

    #[test]
    fn unknown_event_and_delta_are_kept_whole() {
        let e = round_trip(json!({"type": "telemetry", "n": 1}));
        assert_eq!(e.kind(), "telemetry");
        let e = round_trip(json!({"type": "content_block_delta", "index": 2,
            "delta": {"type": "citations_delta", "citation": {"cited_text": "x"}}}));
        let StreamEvent::ContentBlockDelta { delta, .. } = e else {
            panic!("expected a delta event")
        };
        assert_eq!(delta.kind(), "citations_delta");
    }

    #[test]
    fn known_delta_keeps_new_fields() {
        let v = json!({"type": "text_delta", "text": "a", "annotation": 1});
        let d: BlockDelta = serde_json::from_value(v.clone()).expect("parse");
        assert!(matches!(d, BlockDelta::Text(ref t) if t.text == "a"));
        assert_eq!(serde_json::to_value(&d).expect("ser"), v);
    }

    #[test]
    fn missing_required_field_is_an_error_not_a_panic() {
        let r: Result<StreamEvent, _> =
            serde_json::from_value(json!({"type": "content_block_stop"}));
        assert!(r.is_err());
    }
}
