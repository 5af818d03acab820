//! Serialization of objects whose variant is named by a `role` or `type` field.
//!
//! The deserializing half lives in `crate::tagged`; this is the writing half:
//! the tag goes first, then the variant's own fields, without building an
//! intermediate `serde_json::Value`.

use serde::Serialize;

/// An object written as `{"role": <role>, ...body's fields}`.
#[derive(Serialize)]
pub(crate) struct WithRole<'a, T> {
    pub(crate) role: &'a str,
    #[serde(flatten)]
    pub(crate) body: &'a T,
}

/// An object written as `{"type": <kind>, ...body's fields}`.
#[derive(Serialize)]
pub(crate) struct WithType<'a, T> {
    #[serde(rename = "type")]
    pub(crate) kind: &'a str,
    #[serde(flatten)]
    pub(crate) body: &'a T,
}
