//! Embeddings: `POST /v1/embeddings` request and response.
//!
//! Vectors arrive as JSON float arrays or, with `encoding_format: "base64"`,
//! as base64 of little-endian `f32`s (a quarter of the bytes on the wire).
//! Both decode into the same [`EmbeddingVector`], which remembers its wire
//! encoding so a response re-serializes as it came.

use std::fmt;
use std::ops::Deref;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::Extra;
use crate::string_enum::{StringEnum, string_enum_serde};

/// What to embed: one string, many strings, or pre-tokenized input.
///
/// # Examples
///
/// ```
/// use shepherd_types::embeddings::EmbeddingInput;
///
/// let one: EmbeddingInput = "hello".into();
/// let many: EmbeddingInput = vec!["a".to_string(), "b".to_string()].into();
/// assert_eq!(one.len(), 1);
/// assert_eq!(many.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EmbeddingInput {
    /// A single string.
    Text(String),
    /// Several strings, one embedding each.
    Texts(Vec<String>),
    /// One pre-tokenized input.
    Tokens(Vec<u32>),
    /// Several pre-tokenized inputs.
    TokenBatches(Vec<Vec<u32>>),
}

impl EmbeddingInput {
    /// Number of embeddings this input asks for.
    pub fn len(&self) -> usize {
        match self {
            EmbeddingInput::Text(_) | EmbeddingInput::Tokens(_) => 1,
            EmbeddingInput::Texts(v) => v.len(),
            EmbeddingInput::TokenBatches(v) => v.len(),
        }
    }

    /// True when the input asks for no embedding at all (an empty list).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Splits the input into pieces of at most `max` inputs each, in order.
    ///
    /// Used to send inputs larger than a server's per-request limit as
    /// several requests; results are re-joined by adding each piece's offset
    /// to the returned [`Embedding::index`]. `max == 0` is treated as 1.
    pub fn split(self, max: usize) -> Vec<EmbeddingInput> {
        let max = max.max(1);
        match self {
            EmbeddingInput::Texts(v) if v.len() > max => v
                .chunks(max)
                .map(|c| EmbeddingInput::Texts(c.to_vec()))
                .collect(),
            EmbeddingInput::TokenBatches(v) if v.len() > max => v
                .chunks(max)
                .map(|c| EmbeddingInput::TokenBatches(c.to_vec()))
                .collect(),
            other => vec![other],
        }
    }
}

impl From<&str> for EmbeddingInput {
    fn from(s: &str) -> Self {
        EmbeddingInput::Text(s.to_owned())
    }
}

impl From<String> for EmbeddingInput {
    fn from(s: String) -> Self {
        EmbeddingInput::Text(s)
    }
}

impl From<Vec<String>> for EmbeddingInput {
    fn from(v: Vec<String>) -> Self {
        EmbeddingInput::Texts(v)
    }
}

/// Wire encoding of embedding vectors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum EncodingFormat {
    /// JSON arrays of numbers (the API's default).
    #[default]
    Float,
    /// Base64 of little-endian `f32`s.
    Base64,
    /// A value this crate does not know.
    Other(String),
}

impl StringEnum for EncodingFormat {
    fn as_str(&self) -> &str {
        match self {
            EncodingFormat::Float => "float",
            EncodingFormat::Base64 => "base64",
            EncodingFormat::Other(s) => s,
        }
    }
    fn from_wire(s: &str) -> Self {
        match s {
            "float" => EncodingFormat::Float,
            "base64" => EncodingFormat::Base64,
            other => EncodingFormat::Other(other.to_owned()),
        }
    }
}
string_enum_serde!(EncodingFormat);

/// `POST /v1/embeddings` request body.
///
/// # Examples
///
/// ```
/// use shepherd_types::embeddings::{EmbeddingRequest, EncodingFormat};
///
/// let req = EmbeddingRequest::new("text-embedding-3-small", "hello")
///     .dimensions(256)
///     .encoding_format(EncodingFormat::Base64);
/// let json = serde_json::to_value(&req).unwrap();
/// assert_eq!(json["dimensions"], 256);
/// assert!(json.get("user").is_none()); // unset fields are omitted, not null
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingRequest {
    /// Model id, e.g. `text-embedding-3-small`.
    pub model: String,
    /// What to embed.
    pub input: EmbeddingInput,
    /// `float` (default) or `base64`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding_format: Option<EncodingFormat>,
    /// Output dimensions (text-embedding-3 and later).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
    /// End-user id for abuse monitoring.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Fields this crate does not know, sent as given.
    #[serde(flatten)]
    pub extra: Extra,
}

impl EmbeddingRequest {
    /// A request for `model` embedding `input`, every option unset.
    pub fn new(model: impl Into<String>, input: impl Into<EmbeddingInput>) -> Self {
        EmbeddingRequest {
            model: model.into(),
            input: input.into(),
            encoding_format: None,
            dimensions: None,
            user: None,
            extra: Extra::new(),
        }
    }

    /// Sets `dimensions`.
    pub fn dimensions(mut self, dimensions: u32) -> Self {
        self.dimensions = Some(dimensions);
        self
    }

    /// Sets `encoding_format`.
    pub fn encoding_format(mut self, format: EncodingFormat) -> Self {
        self.encoding_format = Some(format);
        self
    }
}

/// `POST /v1/embeddings` response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingResponse {
    /// Always `list`.
    #[serde(default = "list")]
    pub object: String,
    /// One embedding per input, each with its input's index.
    pub data: Vec<Embedding>,
    /// The model that produced the vectors.
    #[serde(default)]
    pub model: String,
    /// Tokens consumed.
    #[serde(default)]
    pub usage: EmbeddingUsage,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

fn list() -> String {
    "list".to_owned()
}

impl EmbeddingResponse {
    /// The vectors ordered by their `index` (servers may answer out of order).
    pub fn into_vectors(mut self) -> Vec<Vec<f32>> {
        self.data.sort_by_key(|e| e.index);
        self.data.into_iter().map(|e| e.embedding.values).collect()
    }
}

/// One embedding vector and the index of the input it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Embedding {
    /// Position of the input in the request.
    pub index: u32,
    /// Always `embedding`.
    #[serde(default = "embedding")]
    pub object: String,
    /// The vector.
    pub embedding: EmbeddingVector,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

fn embedding() -> String {
    "embedding".to_owned()
}

/// Token usage of an embeddings call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingUsage {
    /// Tokens in the input.
    #[serde(default)]
    pub prompt_tokens: u32,
    /// Same as `prompt_tokens` for embeddings.
    #[serde(default)]
    pub total_tokens: u32,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An embedding vector, decoded from floats or base64 transparently.
///
/// Dereferences to `[f32]`. Serializes in the encoding it was received in
/// (see [`EmbeddingVector::encoding`]).
///
/// # Examples
///
/// ```
/// use shepherd_types::embeddings::EmbeddingVector;
///
/// // 1.0f32 and -2.0f32, little-endian, base64.
/// let v: EmbeddingVector = serde_json::from_str(r#""AACAPwAAAMA=""#).unwrap();
/// assert_eq!(&v[..], &[1.0, -2.0]);
/// let w: EmbeddingVector = serde_json::from_str("[1.0, -2.0]").unwrap();
/// assert_eq!(v.as_slice(), w.as_slice());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmbeddingVector {
    values: Vec<f32>,
    base64: bool,
}

impl EmbeddingVector {
    /// A vector that serializes as a float array.
    pub fn new(values: Vec<f32>) -> Self {
        EmbeddingVector {
            values,
            base64: false,
        }
    }

    /// A vector that serializes as base64.
    pub fn new_base64(values: Vec<f32>) -> Self {
        EmbeddingVector {
            values,
            base64: true,
        }
    }

    /// The wire encoding this vector serializes in.
    pub fn encoding(&self) -> EncodingFormat {
        if self.base64 {
            EncodingFormat::Base64
        } else {
            EncodingFormat::Float
        }
    }

    /// The values.
    pub fn as_slice(&self) -> &[f32] {
        &self.values
    }

    /// The values, owned.
    pub fn into_vec(self) -> Vec<f32> {
        self.values
    }

    /// Decodes base64 of little-endian `f32`s.
    pub fn from_base64(text: &str) -> Result<Self, InvalidBase64Vector> {
        let bytes = crate::base64::decode(text).ok_or(InvalidBase64Vector { len: text.len() })?;
        if bytes.len() % 4 != 0 {
            return Err(InvalidBase64Vector { len: text.len() });
        }
        let values = bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok(EmbeddingVector::new_base64(values))
    }

    /// Encodes the values as base64 of little-endian `f32`s.
    pub fn to_base64(&self) -> String {
        let mut bytes = Vec::with_capacity(self.values.len() * 4);
        for v in &self.values {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        crate::base64::encode(&bytes)
    }
}

impl Deref for EmbeddingVector {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        &self.values
    }
}

/// A base64 embedding that is not valid base64 or not a whole number of `f32`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidBase64Vector {
    len: usize,
}

impl fmt::Display for InvalidBase64Vector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "embedding of {} base64 characters is not base64 of little-endian f32 values",
            self.len
        )
    }
}

impl std::error::Error for InvalidBase64Vector {}

impl Serialize for EmbeddingVector {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.base64 {
            s.serialize_str(&self.to_base64())
        } else {
            self.values.serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for EmbeddingVector {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EmbeddingVector;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of numbers or a base64 string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EmbeddingVector, E> {
                EmbeddingVector::from_base64(v).map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EmbeddingVector, A::Error> {
                let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(1536));
                while let Some(v) = seq.next_element::<f32>()? {
                    values.push(v);
                }
                Ok(EmbeddingVector::new(values))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn input_shapes() {
        let cases = [
            (r#""a""#, 1),
            (r#"["a","b","c"]"#, 3),
            ("[1,2,3]", 1),
            ("[[1,2],[3]]", 2),
        ];
        for (json, n) in cases {
            let input: EmbeddingInput = serde_json::from_str(json).unwrap();
            assert_eq!(input.len(), n, "{json}");
            assert_eq!(serde_json::to_string(&input).unwrap(), json);
        }
    }

    #[test]
    fn split_keeps_order() {
        let input = EmbeddingInput::Texts((0..5).map(|i| i.to_string()).collect());
        let parts = input.split(2);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2], EmbeddingInput::Texts(vec!["4".into()]));
    }

    #[test]
    fn base64_and_float_decode_alike() {
        let values = vec![0.25f32, -1.5, 3.0e-7];
        let b64 = EmbeddingVector::new_base64(values.clone());
        let json = serde_json::to_string(&b64).unwrap();
        assert!(json.starts_with('"'));
        let back: EmbeddingVector = serde_json::from_str(&json).unwrap();
        assert_eq!(back.as_slice(), &values[..]);
        assert_eq!(back.encoding(), EncodingFormat::Base64);
    }

    #[test]
    fn bad_base64_is_an_error() {
        let err = serde_json::from_str::<EmbeddingVector>(r#""AAA""#).unwrap_err();
        assert!(err.to_string().contains("base64"), "{err}");
    }

    #[test]
    fn response_vectors_sorted_by_index() {
        let resp: EmbeddingResponse = serde_json::from_str(
            r#"{"object":"list","model":"m","usage":{"prompt_tokens":2,"total_tokens":2},
               "data":[{"object":"embedding","index":1,"embedding":[2.0]},
                       {"object":"embedding","index":0,"embedding":[1.0]}]}"#,
        )
        .unwrap();
        assert_eq!(resp.into_vectors(), vec![vec![1.0], vec![2.0]]);
    }
}
