//! `POST /v1/messages`: the Anthropic Messages shape, as JSON or its SSE event sequence.

use serde_json::{Value, json};

use super::Ctx;
use super::text::{self, content_text};
use crate::respond::{Answer, ApiError, Event};
use crate::synth::{self, estimate_tokens};

/// Input tokens: the system prompt and every message's text.
pub(crate) fn input_tokens(request: &Value) -> u64 {
    let mut text = request.get("system").map(content_text).unwrap_or_default();
    if let Some(messages) = request.get("messages").and_then(Value::as_array) {
        for m in messages {
            if let Some(c) = m.get("content") {
                text.push('\n');
                text.push_str(&content_text(c));
            }
        }
    }
    estimate_tokens(&text).max(1)
}

pub(crate) fn token_cost(request: &Value) -> u64 {
    input_tokens(request)
        + request
            .get("max_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0)
}

fn is_tool_result(message: &Value) -> bool {
    message
        .get("content")
        .and_then(Value::as_array)
        .is_some_and(|parts| {
            parts
                .iter()
                .any(|p| p.get("type").and_then(Value::as_str) == Some("tool_result"))
        })
}

pub(crate) fn handle(ctx: &Ctx<'_>) -> Result<Answer, ApiError> {
    let request = ctx.json()?;
    let model = request
        .get("model")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid("model: Field required"))?;
    let max_tokens = request
        .get("max_tokens")
        .and_then(Value::as_u64)
        .ok_or_else(|| ApiError::invalid("max_tokens: Field required"))?;
    let messages = request
        .get("messages")
        .and_then(Value::as_array)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| ApiError::invalid("messages: at least one message is required"))?;
    let stream = request
        .get("stream")
        .and_then(Value::as_bool)
        .unwrap_or(false)
        && !ctx.force_json;
    let question = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user") && !is_tool_result(m))
        .and_then(|m| m.get("content"))
        .map(content_text)
        .unwrap_or_default();
    let hash = synth::fnv1a(format!("{model}\n{}", Value::Array(messages.clone())).as_bytes());
    let id = format!("msg_{}", synth::id_from(hash));
    let input = input_tokens(request);

    let tool = request
        .get("tools")
        .and_then(Value::as_array)
        .filter(|t| !t.is_empty())
        .filter(|_| request.pointer("/tool_choice/type").and_then(Value::as_str) != Some("none"))
        .filter(|_| !messages.last().is_some_and(is_tool_result))
        .and_then(|tools| {
            let wanted = request.pointer("/tool_choice/name").and_then(Value::as_str);
            tools
                .iter()
                .find(|t| wanted.is_none() || t.get("name").and_then(Value::as_str) == wanted)
                .or_else(|| tools.first())
        });
    let (block, output, stop_reason) = match tool {
        Some(tool) => {
            let name = tool.get("name").and_then(Value::as_str).unwrap_or("tool");
            let args = text::tool_arguments(tool.get("input_schema"), &question, hash);
            let tokens = estimate_tokens(name) + estimate_tokens(&args.to_string());
            let block = json!({
                "type": "tool_use",
                "id": format!("toolu_{}", synth::id_from(hash)),
                "name": name,
                "input": args,
            });
            (block, tokens, "tool_use")
        }
        None => {
            let (reply, cut) = text::limit(text::reply(&question, hash, 0), Some(max_tokens));
            let tokens = estimate_tokens(&reply);
            let block = json!({ "type": "text", "text": reply });
            (block, tokens, if cut { "max_tokens" } else { "end_turn" })
        }
    };
    let usage = json!({
        "input_tokens": input,
        "output_tokens": output,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    });
    if !stream {
        let body = json!({
            "id": id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [block],
            "stop_reason": stop_reason,
            "stop_sequence": null,
            "usage": usage,
        });
        return Ok(Answer::json(&body, output));
    }

    let mut events = vec![Event::named(
        "message_start",
        &json!({
            "type": "message_start",
            "message": {
                "id": id, "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": { "input_tokens": input, "output_tokens": 1,
                           "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0 },
            },
        }),
        0,
    )];
    let mut start_block = block.clone();
    match block["type"].as_str() {
        Some("tool_use") => start_block["input"] = json!({}),
        _ => start_block["text"] = json!(""),
    }
    events.push(Event::named(
        "content_block_start",
        &json!({ "type": "content_block_start", "index": 0, "content_block": start_block }),
        0,
    ));
    events.push(Event::named("ping", &json!({ "type": "ping" }), 0));
    if block["type"] == "tool_use" {
        for fragment in text::fragments(&block["input"].to_string(), 8) {
            let tokens = estimate_tokens(&fragment);
            events.push(Event::named(
                "content_block_delta",
                &json!({ "type": "content_block_delta", "index": 0,
                         "delta": { "type": "input_json_delta", "partial_json": fragment } }),
                tokens,
            ));
        }
    } else {
        for piece in synth::stream_pieces(block["text"].as_str().unwrap_or("")) {
            let tokens = estimate_tokens(&piece);
            events.push(Event::named(
                "content_block_delta",
                &json!({ "type": "content_block_delta", "index": 0,
                         "delta": { "type": "text_delta", "text": piece } }),
                tokens,
            ));
        }
    }
    events.push(Event::named(
        "content_block_stop",
        &json!({ "type": "content_block_stop", "index": 0 }),
        0,
    ));
    events.push(Event::named(
        "message_delta",
        &json!({ "type": "message_delta",
                 "delta": { "stop_reason": stop_reason, "stop_sequence": null },
                 "usage": { "output_tokens": output } }),
        0,
    ));
    events.push(Event::named(
        "message_stop",
        &json!({ "type": "message_stop" }),
        0,
    ));
    Ok(Answer::Stream { events, tail: 3 })
}
