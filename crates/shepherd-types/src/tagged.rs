//! Deserialization of objects tagged by a field (`role`, `type`) that keeps unknown tags.
//!
//! serde's internally tagged enums reject a tag they do not know, and their
//! `#[serde(other)]` variant drops the object's data. The enums that need to
//! survive a new tag (message roles, content part types, content blocks)
//! deserialize into a map first, route known tags to their struct, and keep
//! everything else whole in an `Other` variant.

use serde::de::{DeserializeOwned, Error};
use serde_json::{Map, Value};

/// Removes the string tag `key` from `map` and returns it; `None` when absent
/// or not a string (the map is then left as it was).
pub(crate) fn take_tag(map: &mut Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key) {
        Some(Value::String(_)) => match map.remove(key) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

/// Deserializes the rest of a tagged object into its known variant's struct.
pub(crate) fn from_map<T: DeserializeOwned, E: Error>(map: Map<String, Value>) -> Result<T, E> {
    serde_json::from_value(Value::Object(map)).map_err(E::custom)
}
