//! Token and cost estimates of a raw request body, charged to the limiter and budget before sending.
//!
//! Bodies are read as loose JSON rather than typed requests, so an unusual but valid body
//! (a field this crate does not model) still gets an estimate instead of an error.

use serde_json::Value;
use shepherd_types::pricing::PriceTable;

use super::input::Endpoint;
use crate::tokens;

/// What a line is expected to cost before it is sent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Estimate {
    /// The body's `model`, when it names one.
    pub(crate) model: Option<String>,
    /// Prompt tokens plus the most the request may generate: the token limiter's charge.
    pub(crate) tokens: u64,
    /// Estimated USD, for the budget (0 when the model has no price).
    pub(crate) usd: f64,
}

/// Estimates a body for `endpoint`. Never fails: what cannot be read counts as zero.
///
/// With `count` false only the model is read (fallback needs it) and tokens and cost are
/// zero: without a token limit or a budget nothing would use them, and the tokenizer
/// costs tens of microseconds per prompt and ~90 MB of tables once loaded.
pub(crate) fn estimate(
    endpoint: Endpoint,
    body: &[u8],
    prices: &PriceTable,
    count: bool,
) -> Estimate {
    if !count {
        // Only the model: read without building a tree of the whole body.
        #[derive(serde::Deserialize)]
        struct ModelOnly {
            model: Option<String>,
        }
        let model = serde_json::from_slice::<ModelOnly>(body)
            .ok()
            .and_then(|b| b.model);
        return Estimate {
            model,
            tokens: 0,
            usd: 0.0,
        };
    }
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
        return Estimate {
            model: None,
            tokens: 1,
            usd: 0.0,
        };
    };
    let model = body.get("model").and_then(Value::as_str).map(str::to_owned);
    let name = model.as_deref().unwrap_or("");
    let (prompt, output) = match endpoint {
        Endpoint::Chat => {
            let mut prompt = 3u64;
            for message in body
                .get("messages")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                prompt += 3 + text_tokens(name, message.get("content"));
            }
            if let Some(tools) = body.get("tools") {
                prompt += tokens::count(name, &tools.to_string()) as u64;
            }
            let per_choice = ["max_completion_tokens", "max_tokens"]
                .iter()
                .find_map(|k| body.get(*k).and_then(Value::as_u64))
                .unwrap_or(0);
            let n = body.get("n").and_then(Value::as_u64).unwrap_or(1).max(1);
            (prompt, per_choice.saturating_mul(n))
        }
        Endpoint::Embeddings => (input_tokens(name, body.get("input")), 0),
    };
    let usd = prices
        .lookup(name)
        .map(|(_, p)| {
            (prompt as f64 * p.input.unwrap_or(0.0) + output as f64 * p.output.unwrap_or(0.0)) / 1e6
        })
        .unwrap_or(0.0);
    Estimate {
        model,
        tokens: (prompt + output).max(1),
        usd,
    }
}

/// Tokens of a message's `content`: a string, or parts of which the text ones count.
fn text_tokens(model: &str, content: Option<&Value>) -> u64 {
    match content {
        Some(Value::String(text)) => tokens::count(model, text) as u64,
        Some(Value::Array(parts)) => parts
            .iter()
            .map(|part| match part.get("text").and_then(Value::as_str) {
                Some(text) => tokens::count(model, text) as u64,
                // An image or audio part; 85 is an image's low-detail cost.
                None => 85,
            })
            .sum(),
        _ => 0,
    }
}

/// Tokens of an embeddings `input`: a string, strings, or pre-tokenized arrays.
fn input_tokens(model: &str, input: Option<&Value>) -> u64 {
    match input {
        Some(Value::String(text)) => tokens::count(model, text) as u64,
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => tokens::count(model, text) as u64,
                Value::Array(ids) => ids.len() as u64,
                // One pre-tokenized input: each number is a token.
                _ => 1,
            })
            .sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_counts_prompt_and_output_room() {
        let body = br#"{"model":"gpt-4.1","messages":[{"role":"user","content":"Hello, world!"}],"max_tokens":10,"n":2}"#;
        let e = estimate(Endpoint::Chat, body, PriceTable::shipped(), true);
        // 3 to prime + 3 per message + 4 content tokens, then 2 x 10 output.
        assert_eq!(e.tokens, 3 + 3 + 4 + 20);
        assert_eq!(e.model.as_deref(), Some("gpt-4.1"));
        assert!(e.usd > 0.0);
    }

    #[test]
    fn embeddings_count_every_input() {
        let body = br#"{"model":"text-embedding-3-small","input":["Hello, world!",[1,2,3]]}"#;
        let e = estimate(Endpoint::Embeddings, body, PriceTable::shipped(), true);
        assert_eq!(e.tokens, 4 + 3);
    }

    #[test]
    fn without_counting_only_the_model_is_read() {
        let body = br#"{"model":"gpt-4.1","messages":[{"role":"user","content":"Hello, world!"}],"max_tokens":10}"#;
        let e = estimate(Endpoint::Chat, body, PriceTable::shipped(), false);
        assert_eq!(
            e,
            Estimate {
                model: Some("gpt-4.1".into()),
                tokens: 0,
                usd: 0.0
            }
        );
        for odd in [&br#"{"model":5}"#[..], b"{", b"[]"] {
            assert_eq!(
                estimate(Endpoint::Chat, odd, PriceTable::shipped(), false).model,
                None
            );
        }
    }

    #[test]
    fn unreadable_bodies_cost_one_token() {
        let e = estimate(Endpoint::Chat, b"{", PriceTable::shipped(), true);
        assert_eq!((e.tokens, e.model), (1, None));
    }
}
