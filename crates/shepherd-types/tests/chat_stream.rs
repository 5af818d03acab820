//! Stream accumulation: chunk sequences fold into the non-streaming response.

use serde_json::{Value, json};
use shepherd_types::chat::{ChatChunk, ChatResponse, FinishReason, Role, StreamAccumulator};

/// A chunk of completion `chatcmpl-1` with the given choices.
fn chunk(choices: Value) -> ChatChunk {
    serde_json::from_value(json!({
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "gpt-4.1-2025-04-14",
        "system_fingerprint": "fp_1",
        "choices": choices,
        "obfuscation": "pad"
    }))
    .expect("test chunk is valid")
}

fn usage_chunk(prompt: u32, completion: u32) -> ChatChunk {
    serde_json::from_value(json!({
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "gpt-4.1-2025-04-14",
        "choices": [],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0}
        }
    }))
    .expect("usage chunk is valid")
}

fn fold(chunks: &[ChatChunk]) -> ChatResponse {
    let mut acc = StreamAccumulator::new();
    for c in chunks {
        acc.push(c);
    }
    assert_eq!(acc.chunks(), chunks.len());
    acc.finish()
}

fn expected(choices: Value, usage: Value) -> Value {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4.1-2025-04-14",
        "system_fingerprint": "fp_1",
        "choices": choices,
        "usage": usage
    })
}

#[test]
fn interleaved_parallel_tool_calls_assemble_by_index() {
    let chunks = [
        chunk(
            json!([{"index": 0, "delta": {"role": "assistant", "content": null}, "finish_reason": null}]),
        ),
        chunk(json!([{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
        ]}}])),
        chunk(json!([{"index": 0, "delta": {"tool_calls": [
            {"index": 1, "id": "call_b", "type": "function", "function": {"name": "get_time", "arguments": ""}}
        ]}}])),
        chunk(
            json!([{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{\"ci"}}]}}]),
        ),
        chunk(
            json!([{"index": 0, "delta": {"tool_calls": [{"index": 1, "function": {"arguments": "{\"tz\":"}}]}}]),
        ),
        // Both calls in one delta, the later index first.
        chunk(json!([{"index": 0, "delta": {"tool_calls": [
            {"index": 1, "function": {"arguments": "\"CET\"}"}},
            {"index": 0, "function": {"arguments": "ty\":\"Berlin\"}"}}
        ]}}])),
        chunk(json!([{"index": 0, "delta": {}, "finish_reason": "tool_calls"}])),
        usage_chunk(80, 40),
    ];
    let response = fold(&chunks);

    let calls = response.tool_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].id, "call_a");
    assert_eq!(calls[0].function.name, "get_weather");
    assert_eq!(calls[0].function.arguments, r#"{"city":"Berlin"}"#);
    assert_eq!(calls[1].id, "call_b");
    assert_eq!(calls[1].function.arguments, r#"{"tz":"CET"}"#);
    let args: Value = calls[1]
        .function
        .parse_arguments()
        .expect("arguments are JSON");
    assert_eq!(args["tz"], "CET");
    assert_eq!(response.finish_reason(), Some(&FinishReason::ToolCalls));

    let want = expected(
        json!([{
            "index": 0,
            "message": {
                "role": "assistant",
                "tool_calls": [
                    {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Berlin\"}"}},
                    {"id": "call_b", "type": "function", "function": {"name": "get_time", "arguments": "{\"tz\":\"CET\"}"}}
                ]
            },
            "finish_reason": "tool_calls"
        }]),
        json!({"prompt_tokens": 80, "completion_tokens": 40, "total_tokens": 120, "prompt_tokens_details": {"cached_tokens": 0}}),
    );
    assert_eq!(serde_json::to_value(&response).expect("serializes"), want);
}

#[test]
fn n_two_choices_are_kept_apart_and_sorted() {
    let chunks = [
        chunk(json!([{"index": 1, "delta": {"role": "assistant", "content": ""}}])),
        chunk(json!([{"index": 0, "delta": {"role": "assistant", "content": ""}}])),
        chunk(
            json!([{"index": 0, "delta": {"content": "Red"}}, {"index": 1, "delta": {"content": "Blue"}}]),
        ),
        chunk(json!([{"index": 1, "delta": {"content": " sky"}, "finish_reason": "length"}])),
        chunk(json!([{"index": 0, "delta": {"content": " rose"}}])),
        chunk(json!([{"index": 0, "delta": {}, "finish_reason": "stop"}])),
        usage_chunk(10, 4),
    ];
    let response = fold(&chunks);
    let want = expected(
        json!([
            {"index": 0, "message": {"role": "assistant", "content": "Red rose"}, "finish_reason": "stop"},
            {"index": 1, "message": {"role": "assistant", "content": "Blue sky"}, "finish_reason": "length"}
        ]),
        json!({"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14, "prompt_tokens_details": {"cached_tokens": 0}}),
    );
    assert_eq!(serde_json::to_value(&response).expect("serializes"), want);
    assert_eq!(response.text(), "Red rose");
}

#[test]
fn refusal_is_concatenated_and_empty_content_dropped() {
    let chunks = [
        chunk(
            json!([{"index": 0, "delta": {"role": "assistant", "content": "", "refusal": null}}]),
        ),
        chunk(json!([{"index": 0, "delta": {"refusal": "I can't "}}])),
        chunk(json!([{"index": 0, "delta": {"refusal": "help with that."}}])),
        chunk(json!([{"index": 0, "delta": {}, "finish_reason": "stop"}])),
        usage_chunk(12, 6),
    ];
    let response = fold(&chunks);
    let message = response.message().expect("one choice");
    assert_eq!(message.refusal.as_deref(), Some("I can't help with that."));
    assert_eq!(message.content, None);
    assert_eq!(response.text(), "");
    assert_eq!(message.role, Role::Assistant);
}

#[test]
fn usage_only_final_chunk_sets_usage_and_keeps_choices() {
    let chunks = [
        chunk(
            json!([{"index": 0, "delta": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}]),
        ),
        usage_chunk(7, 1),
    ];
    assert!(chunks[1].is_usage_only());
    assert!(!chunks[0].is_usage_only());
    let mut acc = StreamAccumulator::new();
    acc.push(&chunks[0]);
    assert!(acc.usage().is_none());
    assert_eq!(acc.snapshot().text(), "Hi");
    acc.push(&chunks[1]);
    assert_eq!(acc.usage().map(|u| u.total_tokens), Some(8));
    let response = acc.finish();
    assert_eq!(response.choices.len(), 1);
    let usage = response.usage.expect("usage from the final chunk");
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ),
        (7, 1, 8)
    );
    // The per-chunk padding is not part of a response.
    assert!(!response.extra.contains_key("obfuscation"));
}

#[test]
fn logprobs_are_appended_across_chunks() {
    let token = |t: &str, lp: f64| json!({"token": t, "logprob": lp, "bytes": t.as_bytes(), "top_logprobs": []});
    let chunks = [
        chunk(
            json!([{"index": 0, "delta": {"content": "Hi"}, "logprobs": {"content": [token("Hi", -0.5)], "refusal": null}}]),
        ),
        chunk(
            json!([{"index": 0, "delta": {"content": "!"}, "logprobs": {"content": [token("!", -0.25)], "refusal": null}}]),
        ),
        chunk(json!([{"index": 0, "delta": {}, "logprobs": null, "finish_reason": "stop"}])),
    ];
    let response = fold(&chunks);
    let lp = response.choices[0]
        .logprobs
        .as_ref()
        .expect("logprobs kept");
    let tokens = lp.content.as_ref().expect("content logprobs");
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[1].token, "!");
    assert_eq!(tokens[1].logprob, -0.25);
    assert_eq!(tokens[1].bytes.as_deref(), Some(&b"!"[..]));
    assert!(lp.refusal.is_none());
}

#[test]
fn unknown_delta_strings_concatenate() {
    // DeepSeek-style reasoning streamed beside the content.
    let chunks = [
        chunk(
            json!([{"index": 0, "delta": {"role": "assistant", "reasoning_content": "Think", "content": null}}]),
        ),
        chunk(json!([{"index": 0, "delta": {"reasoning_content": "ing.", "content": null}}])),
        chunk(
            json!([{"index": 0, "delta": {"reasoning_content": null, "content": "Done"}, "finish_reason": "stop"}]),
        ),
    ];
    let response = fold(&chunks);
    let message = response.message().expect("one choice");
    assert_eq!(
        message.extra.get("reasoning_content"),
        Some(&json!("Thinking."))
    );
    assert_eq!(message.content.as_deref(), Some("Done"));
}

#[test]
fn reused_index_with_new_id_starts_a_new_call() {
    // Some compatible servers send every call at index 0, told apart by id.
    let chunks = [
        chunk(
            json!([{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": "{}"}}]}}]),
        ),
        chunk(
            json!([{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "b", "function": {"name": "g", "arguments": "{\"x\""}}]}}]),
        ),
        chunk(
            json!([{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"name": "g", "arguments": ":1}"}}]}}]),
        ),
        chunk(json!([{"index": 0, "delta": {}, "finish_reason": "tool_calls"}])),
    ];
    let response = fold(&chunks);
    let calls = response.tool_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        (
            calls[0].id.as_str(),
            calls[0].function.name.as_str(),
            calls[0].function.arguments.as_str()
        ),
        ("a", "f", "{}")
    );
    // The repeated name is not appended.
    assert_eq!(
        (
            calls[1].id.as_str(),
            calls[1].function.name.as_str(),
            calls[1].function.arguments.as_str()
        ),
        ("b", "g", "{\"x\":1}")
    );
}

#[test]
fn spec_stream_example_folds_into_text() {
    let events = [
        r#"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}"#,
        r#"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]}"#,
        r#"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}"#,
    ];
    let mut acc = StreamAccumulator::new();
    acc.extend(
        events
            .iter()
            .map(|e| serde_json::from_str::<ChatChunk>(e).expect("spec chunk parses"))
            .collect::<Vec<_>>()
            .iter(),
    );
    let response = acc.finish();
    assert_eq!(response.id, "chatcmpl-123");
    assert_eq!(response.text(), "Hello");
    assert_eq!(
        response.system_fingerprint.as_deref(),
        Some("fp_44709d6fcb")
    );
    assert!(response.usage.is_none());
}

#[test]
fn empty_stream_finishes_as_empty_response() {
    let response = StreamAccumulator::new().finish();
    assert!(response.choices.is_empty());
    assert_eq!(response.text(), "");
    assert_eq!(response.object, "chat.completion");
}

/// A small deterministic generator (xorshift64), so the test needs no RNG crate.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    /// Splits `s` into 1..=6 pieces at char boundaries.
    fn split(&mut self, s: &str) -> Vec<String> {
        let chars: Vec<char> = s.chars().collect();
        let mut cuts: Vec<usize> = (0..self.below(6))
            .map(|_| self.below(chars.len() + 1))
            .collect();
        cuts.extend([0, chars.len()]);
        cuts.sort_unstable();
        cuts.windows(2)
            .map(|w| chars[w[0]..w[1]].iter().collect())
            .collect()
    }
}

#[test]
fn any_fragmentation_and_interleaving_folds_to_the_same_response() {
    let text = "Zwei Städte: Köln und Berlin.";
    let calls = [
        ("call_a", "weather", r#"{"city":"Köln","unit":"c"}"#),
        ("call_b", "weather", r#"{"city":"Berlin"}"#),
    ];
    let mut want = None;
    for seed in 1..=300u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        // Per tool call: the header piece, then argument fragments, in order.
        let mut queues: Vec<Vec<Value>> = calls
            .iter()
            .enumerate()
            .map(|(i, (id, name, args))| {
                let mut q = vec![json!({"index": i, "id": id, "type": "function", "function": {"name": name, "arguments": ""}})];
                q.extend(rng.split(args).into_iter().map(|a| json!({"index": i, "function": {"arguments": a}})));
                q
            })
            .collect();
        let mut texts: Vec<String> = rng.split(text);
        texts.reverse();
        for q in &mut queues {
            q.reverse();
        }
        let mut chunks = vec![chunk(
            json!([{"index": 0, "delta": {"role": "assistant", "content": ""}}]),
        )];
        // Interleave: each chunk takes some text and/or pieces of random calls.
        while !texts.is_empty() || queues.iter().any(|q| !q.is_empty()) {
            let mut delta = serde_json::Map::new();
            if rng.below(2) == 0
                && let Some(t) = texts.pop()
            {
                delta.insert("content".into(), json!(t));
            }
            let mut pieces = Vec::new();
            for q in &mut queues {
                if rng.below(2) == 0
                    && let Some(p) = q.pop()
                {
                    pieces.push(p);
                }
            }
            if !pieces.is_empty() {
                delta.insert("tool_calls".into(), Value::Array(pieces));
            }
            chunks.push(chunk(json!([{"index": 0, "delta": delta}])));
        }
        chunks.push(chunk(
            json!([{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]),
        ));
        chunks.push(usage_chunk(5, 5));

        let got = serde_json::to_value(fold(&chunks)).expect("serializes");
        match &want {
            None => {
                assert_eq!(got["choices"][0]["message"]["content"], text);
                assert_eq!(
                    got["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"],
                    calls[0].2
                );
                assert_eq!(
                    got["choices"][0]["message"]["tool_calls"][1]["function"]["arguments"],
                    calls[1].2
                );
                want = Some(got);
            }
            Some(w) => assert_eq!(&got, w, "seed {seed}"),
        }
    }
}
