//! Text shared by the chat and messages endpoints: extracting prompts, composing replies.

use serde_json::{Map, Value, json};

use crate::synth::{self, SplitMix};

/// The text of a message `content`: a string, or the `text` of its parts.
pub(crate) fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| {
                p.get("text")
                    .and_then(Value::as_str)
                    .or_else(|| p.as_str())
                    .map(str::to_owned)
                    .or_else(|| p.get("content").map(content_text))
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// A deterministic `created` timestamp within 2025, derived from the request hash.
pub(crate) fn created(hash: u64) -> u64 {
    1_735_689_600 + hash % 31_536_000
}

/// The reply text: `echo: <first 40 chars of the question> #<8 hex digits>`, where the
/// digits come from the request hash and the choice index.
pub(crate) fn reply(question: &str, hash: u64, index: u64) -> String {
    let h = hash ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let h = SplitMix::new(h).next_u64();
    let question = synth::prefix(question.trim(), 40).replace('\n', " ");
    format!("echo: {question} #{:08x}", h >> 32)
}

/// Pads a reply with ` tok` words (four characters: one token, one stream chunk each)
/// until it is at least `tokens` tokens long; `None` leaves it as it is.
pub(crate) fn pad(mut text: String, tokens: Option<u32>) -> String {
    let Some(tokens) = tokens else { return text };
    let want = u64::from(tokens);
    let have = synth::estimate_tokens(&text);
    if have < want {
        let words = usize::try_from(want - have).unwrap_or(0);
        text.reserve(words * 4);
        for _ in 0..words {
            text.push_str(" tok");
        }
    }
    text
}

/// Cuts a reply to `max_tokens` (at four characters a token); true if it was cut.
pub(crate) fn limit(text: String, max_tokens: Option<u64>) -> (String, bool) {
    match max_tokens {
        Some(max) if synth::estimate_tokens(&text) > max => {
            let cut = synth::prefix(&text, usize::try_from(max * 4).unwrap_or(usize::MAX));
            (cut.to_owned(), true)
        }
        _ => (text, false),
    }
}

/// Arguments for a tool call, built from the tool's JSON schema: every property gets a
/// value of its type derived from the question and the hash.
pub(crate) fn tool_arguments(schema: Option<&Value>, question: &str, hash: u64) -> Value {
    let mut rng = SplitMix::new(hash);
    let mut args = Map::new();
    let properties = schema
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object);
    if let Some(properties) = properties {
        for (name, prop) in properties {
            args.insert(name.clone(), value_for(prop, question, &mut rng));
        }
    }
    Value::Object(args)
}

fn value_for(schema: &Value, question: &str, rng: &mut SplitMix) -> Value {
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|v| v.first())
    {
        return first.clone();
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string"),
        _ => "string",
    };
    match kind {
        "integer" => json!(rng.next_u64() % 100),
        "number" => json!((rng.next_u64() % 10_000) as f64 / 100.0),
        "boolean" => json!(rng.next_u64().is_multiple_of(2)),
        "array" => json!([]),
        "object" => json!({}),
        _ => json!(synth::prefix(question.trim(), 40)),
    }
}

/// Splits a string into fragments of `size` characters, as streamed tool arguments arrive.
pub(crate) fn fragments(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(size.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pad_reaches_the_token_count_in_one_chunk_per_token() {
        let short = reply("hi", 1, 0);
        assert_eq!(pad(short.clone(), None), short);
        let long = pad(short.clone(), Some(500));
        assert_eq!(synth::estimate_tokens(&long), 500);
        assert!(synth::stream_pieces(&long).len() >= 490);
        assert_eq!(pad(long.clone(), Some(10)), long);
    }

    #[test]
    fn reply_names_its_question() {
        let r = reply(
            "What is the capital of France? Please answer briefly.",
            7,
            0,
        );
        assert!(r.starts_with("echo: What is the capital of France? Please an #"));
        assert_ne!(
            r,
            reply(
                "What is the capital of France? Please answer briefly.",
                7,
                1
            )
        );
    }

    #[test]
    fn arguments_follow_the_schema() {
        let schema = json!({"type":"object","properties":{
            "city":{"type":"string"}, "days":{"type":"integer"},
            "unit":{"type":"string","enum":["c","f"]}, "flag":{"type":["boolean","null"]}}});
        let args = tool_arguments(Some(&schema), "weather in Paris", 1);
        assert_eq!(args["city"], "weather in Paris");
        assert!(args["days"].is_u64());
        assert_eq!(args["unit"], "c");
        assert!(args["flag"].is_boolean());
        assert_eq!(fragments("abcdefg", 3), vec!["abc", "def", "g"]);
    }

    #[test]
    fn limit_cuts_long_replies() {
        let (text, cut) = limit("a".repeat(40), Some(2));
        assert_eq!((text.len(), cut), (8, true));
        let (text, cut) = limit("short".into(), None);
        assert_eq!((text.as_str(), cut), ("short", false));
    }
}
