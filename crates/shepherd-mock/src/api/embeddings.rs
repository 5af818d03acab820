//! `POST /v1/embeddings`: unit vectors seeded by the input text, as floats or base64.

use serde_json::Value;
use shepherd_types::embeddings::{Embedding, EmbeddingResponse, EmbeddingUsage, EmbeddingVector};

use super::Ctx;
use crate::respond::{Answer, ApiError};
use crate::synth::{self, SplitMix, estimate_tokens};

/// The inputs as texts; token arrays become their numbers joined by spaces.
fn inputs(request: &Value) -> Option<Vec<String>> {
    let token_text = |tokens: &[Value]| {
        tokens
            .iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    match request.get("input")? {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) if items.iter().all(Value::is_number) && !items.is_empty() => {
            Some(vec![token_text(items)])
        }
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Some(s.clone()),
                Value::Array(tokens) => Some(token_text(tokens)),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

pub(crate) fn token_cost(request: &Value) -> u64 {
    inputs(request)
        .map(|texts| texts.iter().map(|t| estimate_tokens(t)).sum())
        .unwrap_or(0)
}

fn default_dimensions(model: &str) -> usize {
    if model.contains("3-large") {
        3072
    } else {
        1536
    }
}

/// The embedding of `text`: `dimensions` values drawn from a generator seeded by the
/// text, scaled to unit length. A shorter `dimensions` gives a prefix of the same draws,
/// renormalised, as `text-embedding-3` models do.
pub(crate) fn vector(text: &str, dimensions: usize) -> Vec<f32> {
    let mut rng = SplitMix::new(synth::fnv1a(text.as_bytes()));
    let mut v: Vec<f64> = (0..dimensions)
        .map(|_| rng.next_f64() * 2.0 - 1.0)
        .collect();
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v.into_iter().map(|x| x as f32).collect()
}

pub(crate) fn handle(ctx: &Ctx<'_>) -> Result<Answer, ApiError> {
    let request = ctx.json()?;
    let model = request
        .get("model")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("model"))?;
    let texts = inputs(request).ok_or_else(|| ApiError::missing("input"))?;
    if texts.is_empty() || texts.iter().any(String::is_empty) {
        return Err(ApiError::invalid(
            "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
        ));
    }
    if texts.len() > 2048 {
        return Err(ApiError::invalid(
            "Invalid 'input': array too long. Expected an array with maximum length 2048.",
        ));
    }
    let dimensions = match request.get("dimensions") {
        None | Some(Value::Null) => default_dimensions(model),
        Some(d) => d
            .as_u64()
            .and_then(|d| usize::try_from(d).ok())
            .filter(|d| (1..=default_dimensions(model)).contains(d))
            .ok_or_else(|| {
                ApiError::invalid("Invalid 'dimensions': must be between 1 and the model's size.")
            })?,
    };
    let base64 = match request.get("encoding_format").and_then(Value::as_str) {
        None | Some("float") => false,
        Some("base64") => true,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "Invalid 'encoding_format': {other:?}. Expected 'float' or 'base64'."
            )));
        }
    };
    let data: Vec<Embedding> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let v = vector(text, dimensions);
            Embedding {
                index: u32::try_from(i).unwrap_or(u32::MAX),
                object: "embedding".into(),
                embedding: if base64 {
                    EmbeddingVector::new_base64(v)
                } else {
                    EmbeddingVector::new(v)
                },
                extra: Default::default(),
            }
        })
        .collect();
    let tokens: u64 = texts.iter().map(|t| estimate_tokens(t)).sum();
    let tokens = u32::try_from(tokens).unwrap_or(u32::MAX);
    let body = EmbeddingResponse {
        object: "list".into(),
        data,
        model: model.to_owned(),
        usage: EmbeddingUsage {
            prompt_tokens: tokens,
            total_tokens: tokens,
            extra: Default::default(),
        },
        extra: Default::default(),
    };
    Ok(Answer::typed(&body, 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vectors_are_unit_length_and_deterministic() {
        let a = vector("hello", 64);
        let norm: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
        assert_eq!(a, vector("hello", 64));
        assert_ne!(a, vector("hello!", 64));
    }

    #[test]
    fn every_input_shape_is_read() {
        assert_eq!(inputs(&json!({"input": "a"})), Some(vec!["a".to_owned()]));
        assert_eq!(
            inputs(&json!({"input": ["a", "b"]})).map(|v| v.len()),
            Some(2)
        );
        assert_eq!(
            inputs(&json!({"input": [1, 2]})),
            Some(vec!["1 2".to_owned()])
        );
        assert_eq!(
            inputs(&json!({"input": [[1], [2, 3]]})).map(|v| v.len()),
            Some(2)
        );
        assert_eq!(inputs(&json!({"input": 5})), None);
    }
}
