//! `POST /v1/chat/completions`: deterministic replies, tool calls, `n`, JSON and SSE.

use serde_json::{Value, json};
use shepherd_types::Usage;
use shepherd_types::chat::{ChatResponse, FinishReason, FunctionCall, ResponseMessage, ToolCall};
use shepherd_types::usage::{CompletionTokensDetails, PromptTokensDetails};

use super::Ctx;
use super::text::{self, content_text};
use crate::respond::{Answer, ApiError, Event};
use crate::synth::{self, estimate_tokens};

/// Prompt tokens: a quarter of the characters of every message's text.
pub(crate) fn prompt_tokens(request: &Value) -> u64 {
    let text: String = request
        .get("messages")
        .and_then(Value::as_array)
        .map(|messages| {
            messages
                .iter()
                .filter_map(|m| m.get("content"))
                .map(content_text)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    estimate_tokens(&text).max(1)
}

fn max_tokens(request: &Value) -> Option<u64> {
    request
        .get("max_completion_tokens")
        .and_then(Value::as_u64)
        .or_else(|| request.get("max_tokens").and_then(Value::as_u64))
}

fn choice_count(request: &Value) -> u64 {
    request.get("n").and_then(Value::as_u64).unwrap_or(1).max(1)
}

/// Prompt plus the most the request may generate, as OpenAI estimates for rate limits.
pub(crate) fn token_cost(request: &Value) -> u64 {
    prompt_tokens(request) + max_tokens(request).unwrap_or(0) * choice_count(request)
}

/// One generated choice.
struct Choice {
    content: Option<String>,
    tool_call: Option<(String, String, String)>,
    finish_reason: &'static str,
    tokens: u64,
}

pub(crate) fn handle(ctx: &Ctx<'_>) -> Result<Answer, ApiError> {
    let request = ctx.json()?;
    let model = request
        .get("model")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("model"))?;
    let messages = request
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::missing("messages"))?;
    if messages.is_empty() {
        return Err(ApiError::invalid(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
        ));
    }
    let n = choice_count(request);
    if n > 128 {
        return Err(ApiError::invalid(
            "Invalid 'n': integer above maximum value. Expected a value <= 128.",
        ));
    }
    let stream = request
        .get("stream")
        .and_then(Value::as_bool)
        .unwrap_or(false)
        && !ctx.force_json;
    let include_usage = request
        .pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let question = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .and_then(|m| m.get("content"))
        .map(content_text)
        .unwrap_or_default();
    // The answer depends on what is asked, not on how it is delivered.
    let hash = synth::fnv1a(format!("{model}\n{}", Value::Array(messages.clone())).as_bytes());
    let tool = chosen_tool(request, messages);
    let choices: Vec<Choice> = (0..n)
        .map(|i| match &tool {
            Some((name, schema)) => {
                let args = text::tool_arguments(schema.as_ref(), &question, hash ^ i).to_string();
                let id = format!("call_{}", synth::id_from(hash ^ i));
                let tokens = estimate_tokens(name) + estimate_tokens(&args);
                Choice {
                    content: None,
                    tool_call: Some((id, name.clone(), args)),
                    finish_reason: "tool_calls",
                    tokens,
                }
            }
            None => {
                let reply = text::pad(
                    text::reply(&question, hash, i),
                    ctx.shared.config.reply_tokens,
                );
                let (content, cut) = text::limit(reply, max_tokens(request));
                Choice {
                    tokens: estimate_tokens(&content),
                    content: Some(content),
                    tool_call: None,
                    finish_reason: if cut { "length" } else { "stop" },
                }
            }
        })
        .collect();
    let prompt = prompt_tokens(request);
    let completion: u64 = choices.iter().map(|c| c.tokens).sum();
    let typed_usage = usage(prompt, completion);
    let id = format!("chatcmpl-{}", synth::id_from(hash));
    let created = text::created(hash);
    if !stream {
        let body = ChatResponse {
            id,
            object: "chat.completion".into(),
            created,
            model: model.to_owned(),
            choices: choices
                .iter()
                .enumerate()
                .map(|(i, c)| shepherd_types::chat::Choice {
                    index: u32::try_from(i).unwrap_or(u32::MAX),
                    message: message(c),
                    finish_reason: Some(finish_reason(c.finish_reason)),
                    logprobs: None,
                    extra: Default::default(),
                })
                .collect(),
            usage: Some(typed_usage),
            service_tier: Some(shepherd_types::chat::ServiceTier::Default),
            system_fingerprint: Some("fp_mock".into()),
            extra: Default::default(),
        };
        return Ok(Answer::typed(&body, completion));
    }
    let usage = serde_json::to_value(&typed_usage).unwrap_or(Value::Null);

    let chunk = |choices: Value, usage_field: Option<&Value>| {
        let mut c = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": "fp_mock",
            "choices": choices,
        });
        if include_usage {
            c["usage"] = usage_field.cloned().unwrap_or(Value::Null);
        }
        c
    };
    let delta = |i: usize, delta: Value, finish: Option<&str>| json!([{ "index": i, "delta": delta, "logprobs": null, "finish_reason": finish }]);
    let mut events = Vec::new();
    for (i, c) in choices.iter().enumerate() {
        match (&c.content, &c.tool_call) {
            (_, Some((call_id, name, args))) => {
                let head = json!({"role": "assistant", "content": null, "refusal": null, "tool_calls": [{
                    "index": 0, "id": call_id, "type": "function",
                    "function": { "name": name, "arguments": "" },
                }]});
                events.push(Event::data(
                    &chunk(delta(i, head, None), None),
                    estimate_tokens(name),
                ));
                for fragment in text::fragments(args, 8) {
                    let d =
                        json!({"tool_calls": [{"index": 0, "function": {"arguments": fragment}}]});
                    events.push(Event::data(
                        &chunk(delta(i, d, None), None),
                        estimate_tokens(&fragment),
                    ));
                }
            }
            (content, None) => {
                let head = json!({"role": "assistant", "content": "", "refusal": null});
                events.push(Event::data(&chunk(delta(i, head, None), None), 0));
                for piece in synth::stream_pieces(content.as_deref().unwrap_or("")) {
                    let tokens = estimate_tokens(&piece);
                    events.push(Event::data(
                        &chunk(delta(i, json!({"content": piece}), None), None),
                        tokens,
                    ));
                }
            }
        }
    }
    let mut tail = 0;
    for (i, c) in choices.iter().enumerate() {
        events.push(Event::data(
            &chunk(delta(i, json!({}), Some(c.finish_reason)), None),
            0,
        ));
        tail += 1;
    }
    if include_usage {
        events.push(Event::data(&chunk(json!([]), Some(&usage)), 0));
        tail += 1;
    }
    events.push(Event::done());
    tail += 1;
    Ok(Answer::Stream { events, tail })
}

fn message(c: &Choice) -> ResponseMessage {
    ResponseMessage {
        content: c.content.clone(),
        tool_calls: c.tool_call.as_ref().map(|(id, name, args)| {
            vec![ToolCall {
                id: id.clone(),
                function: FunctionCall {
                    name: name.clone(),
                    arguments: args.clone(),
                    ..Default::default()
                },
                ..Default::default()
            }]
        }),
        ..Default::default()
    }
}

fn finish_reason(reason: &str) -> FinishReason {
    match reason {
        "length" => FinishReason::Length,
        "tool_calls" => FinishReason::ToolCalls,
        _ => FinishReason::Stop,
    }
}

fn usage(prompt: u64, completion: u64) -> Usage {
    let count = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    Usage {
        prompt_tokens: count(prompt),
        completion_tokens: count(completion),
        total_tokens: count(prompt + completion),
        prompt_tokens_details: Some(PromptTokensDetails {
            cached_tokens: Some(0),
            audio_tokens: Some(0),
            ..Default::default()
        }),
        completion_tokens_details: Some(CompletionTokensDetails {
            reasoning_tokens: Some(0),
            audio_tokens: Some(0),
            accepted_prediction_tokens: Some(0),
            rejected_prediction_tokens: Some(0),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The function to call, if the request offers tools and has not just received a tool result.
fn chosen_tool(request: &Value, messages: &[Value]) -> Option<(String, Option<Value>)> {
    let tools = request.get("tools").and_then(Value::as_array)?;
    let last_role = messages
        .last()
        .and_then(|m| m.get("role"))
        .and_then(Value::as_str);
    if tools.is_empty() || last_role == Some("tool") {
        return None;
    }
    let choice = request.get("tool_choice");
    if choice.and_then(Value::as_str) == Some("none") {
        return None;
    }
    let wanted = choice
        .and_then(|c| c.pointer("/function/name"))
        .and_then(Value::as_str);
    let tool = tools
        .iter()
        .find(|t| wanted.is_none() || t.pointer("/function/name").and_then(Value::as_str) == wanted)
        .or_else(|| tools.first())?;
    let name = tool.pointer("/function/name").and_then(Value::as_str)?;
    Some((
        name.to_owned(),
        tool.pointer("/function/parameters").cloned(),
    ))
}
