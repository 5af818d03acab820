//! Field deserializers that accept the shapes deviating servers send.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde_json::Value;

/// Message text: a string or `null` as the spec says, or a list of content
/// parts as some servers send (Mistral's reasoning models, some vLLM
/// builds). Text parts are concatenated and other parts dropped, so the
/// response still parses and `text()` still works.
pub(crate) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_option(TextVisitor)
}

/// A value read by [`text`], for field-by-field readers (`crate::fields`).
pub(crate) struct Text(pub(crate) Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        text(d).map(Text)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, null or a list of content parts")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = String::new();
        while let Some(part) = seq.next_element::<Value>()? {
            let is_text = matches!(
                part.get("type").and_then(Value::as_str),
                None | Some("text")
            );
            if let (true, Some(t)) = (is_text, part.get("text").and_then(Value::as_str)) {
                out.push_str(t);
            }
        }
        Ok(Some(out))
    }
}

/// Tool call arguments: a JSON string as the spec says, or a JSON value some
/// servers send unencoded, which is encoded here.
pub(crate) fn arguments<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// [`arguments`] for an optional field.
pub(crate) fn opt_arguments<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

/// A field a server may send as `null` instead of leaving it out: `null`
/// reads as the default, like absence does (the rule is [`OrDefault`]'s, for
/// `deserialize_with`).
///
/// [`OrDefault`]: crate::fields::OrDefault
pub(crate) fn or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    crate::fields::OrDefault::deserialize(d).map(|v| v.0)
}
