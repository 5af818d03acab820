//! Every example payload the OpenAI specification gives for shepherd's
//! endpoints parses into our types and serializes back to equal JSON.
//!
//! The examples come from `tests/data/spec_examples.json`, extracted from the
//! spec by `tests/data/extract.py` (which lists the endpoints; nothing is
//! hand-picked). Equality is by JSON value, with `null` equal to absent and
//! numbers equal by value. When the spec itself is present (`$SHEPHERD_OPENAPI`,
//! or `../../../shared/openapi/openai.json` from this crate), the extract is
//! checked to be current.

use std::path::PathBuf;
use std::process::Command;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use shepherd_types::{audio, batch, chat, embeddings, files, models};

const EXAMPLES: &str = include_str!("data/spec_examples.json");

/// Parses a payload into a type and serializes it back.
type RoundTrip = fn(&str) -> Result<Value, String>;

fn via<T: DeserializeOwned + Serialize>(text: &str) -> Result<Value, String> {
    let parsed: T = serde_json::from_str(text).map_err(|e| format!("does not parse: {e}"))?;
    serde_json::to_value(&parsed).map_err(|e| format!("does not serialize: {e}"))
}

/// The type each spec schema is modelled by.
fn type_for(schema: &str) -> Option<RoundTrip> {
    Some(match schema {
        "CreateChatCompletionRequest" => via::<chat::ChatRequest>,
        "CreateChatCompletionResponse" => via::<chat::ChatResponse>,
        "CreateChatCompletionStreamResponse" => via::<chat::ChatChunk>,
        "CreateEmbeddingRequest" => via::<embeddings::EmbeddingRequest>,
        "CreateEmbeddingResponse" => via::<embeddings::EmbeddingResponse>,
        "Embedding" => via::<embeddings::Embedding>,
        "CreateTranscriptionResponseJson"
        | "CreateTranscriptionResponseVerboseJson"
        | "CreateTranscriptionResponseDiarizedJson" => via::<audio::Transcription>,
        "CreateSpeechRequest" => via::<audio::SpeechRequest>,
        "OpenAIFile" => via::<files::FileObject>,
        "ListFilesResponse" => via::<files::FileList>,
        "DeleteFileResponse" => via::<files::DeletedFile>,
        "CreateBatchRequest" => via::<batch::CreateBatchRequest>,
        "Batch" => via::<batch::Batch>,
        "ListBatchesResponse" => via::<batch::BatchList>,
        "Model" => via::<models::Model>,
        "ListModelsResponse" => via::<models::ModelList>,
        _ => return None,
    })
}

/// Schemas of these endpoints that shepherd deliberately does not model.
const NOT_MODELLED: &[(&str, &str)] = &[
    (
        "ChatCompletionList",
        "stored completions (`store: true`) listing: not in shepherd's API",
    ),
    (
        "ChatCompletionDeleted",
        "stored completions deletion: not in shepherd's API",
    ),
    (
        "inline request of POST /chat/completions/{completion_id}",
        "stored completions metadata update: not in shepherd's API",
    ),
    (
        "DeleteModelResponse",
        "fine-tuned model deletion: not in shepherd's API",
    ),
    (
        "CreateTranscriptionResponseStreamEvent",
        "streamed transcription events: shepherd transcribes without streaming",
    ),
    ("TranscriptTextSegmentEvent", "streamed transcription event"),
    ("TranscriptTextDeltaEvent", "streamed transcription event"),
    ("TranscriptTextDoneEvent", "streamed transcription event"),
    (
        "SpeechAudioDeltaEvent",
        "streamed speech event: shepherd receives speech as bytes",
    ),
    (
        "SpeechAudioDoneEvent",
        "streamed speech event: shepherd receives speech as bytes",
    ),
];

/// Differences between `a` and `b`, treating `null` as absent and numbers by value.
fn diff(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{path}.{k}");
                match (
                    x.get(k).filter(|v| !v.is_null()),
                    y.get(k).filter(|v| !v.is_null()),
                ) {
                    (Some(u), Some(v)) => diff(&p, u, v, out),
                    (None, None) => {}
                    (u, v) => out.push(format!("{p}: {u:?} != {v:?}")),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                diff(&format!("{path}[{i}]"), u, v, out);
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let same = x == y
                || match (x.as_f64(), y.as_f64()) {
                    // Integers written as floats, and fields the API defines as f32.
                    (Some(u), Some(v)) => u == v || (u as f32) == (v as f32),
                    _ => false,
                };
            if !same {
                out.push(format!("{path}: {x} != {y}"));
            }
        }
        _ if a == b => {}
        _ => out.push(format!("{path}: {a} != {b}")),
    }
}

#[test]
fn loose_equality_treats_null_as_absent_and_numbers_by_value() {
    let mut out = Vec::new();
    let a = serde_json::json!({"a": null, "b": 1, "c": [1.0, {"d": null}]});
    let b = serde_json::json!({"b": 1.0, "c": [1, {}]});
    diff("$", &a, &b, &mut out);
    assert!(out.is_empty(), "{out:?}");
    diff(
        "$",
        &serde_json::json!({"a": 1}),
        &serde_json::json!({"a": 2}),
        &mut out,
    );
    diff(
        "$",
        &serde_json::json!([1]),
        &serde_json::json!([1, 2]),
        &mut out,
    );
    diff(
        "$",
        &serde_json::json!({"a": "x"}),
        &serde_json::json!({}),
        &mut out,
    );
    assert_eq!(out.len(), 3, "{out:?}");
}

#[test]
fn every_spec_example_round_trips() {
    let file: Value = serde_json::from_str(EXAMPLES).expect("spec_examples.json is JSON");
    let examples = file["examples"].as_array().expect("an examples array");
    assert!(
        examples.len() >= 40,
        "suspiciously few examples: {}",
        examples.len()
    );

    let mut failures = Vec::new();
    let mut unmapped = Vec::new();
    let mut covered: Vec<&str> = Vec::new();
    let mut payloads = 0;
    for example in examples {
        let source = example["source"].as_str().expect("source");
        let schemas: Vec<&str> = example["schemas"]
            .as_array()
            .expect("schemas")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let Some((schema, round_trip)) = schemas.iter().find_map(|s| type_for(s).map(|f| (*s, f)))
        else {
            if !schemas
                .iter()
                .all(|s| NOT_MODELLED.iter().any(|(n, _)| n == s))
                || schemas.is_empty()
            {
                unmapped.push(format!("{source}: {schemas:?}"));
            }
            continue;
        };
        covered.push(schema);
        for (i, payload) in example["payloads"]
            .as_array()
            .expect("payloads")
            .iter()
            .enumerate()
        {
            let text = payload.as_str().expect("payload text");
            let original: Value = serde_json::from_str(text).expect("extracted payloads are JSON");
            payloads += 1;
            match round_trip(text) {
                Ok(back) => {
                    let mut out = Vec::new();
                    diff("$", &original, &back, &mut out);
                    if !out.is_empty() {
                        failures.push(format!("{source} #{i} as {schema}: {}", out.join("; ")));
                    }
                }
                Err(e) => failures.push(format!("{source} #{i} as {schema}: {e}")),
            }
        }
    }
    assert!(
        unmapped.is_empty(),
        "examples whose schema has no type and is not in NOT_MODELLED:\n{}",
        unmapped.join("\n")
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "{payloads} payloads of {} examples round-trip",
        covered.len()
    );

    // The chat schemas, this crate's core, must all be exercised.
    for schema in [
        "CreateChatCompletionRequest",
        "CreateChatCompletionResponse",
        "CreateChatCompletionStreamResponse",
    ] {
        assert!(covered.contains(&schema), "no example exercised {schema}");
    }
}

#[test]
fn not_modelled_list_has_no_stale_entries() {
    let file: Value = serde_json::from_str(EXAMPLES).expect("spec_examples.json is JSON");
    let all: Vec<&str> = file["examples"]
        .as_array()
        .expect("examples")
        .iter()
        .flat_map(|e| {
            e["schemas"]
                .as_array()
                .expect("schemas")
                .iter()
                .filter_map(Value::as_str)
        })
        .collect();
    for (schema, why) in NOT_MODELLED {
        assert!(
            type_for(schema).is_none(),
            "{schema} is modelled now; drop it from NOT_MODELLED"
        );
        assert!(
            all.contains(schema),
            "{schema} ({why}) no longer appears in the spec examples"
        );
    }
}

/// Where the spec is, if this machine has it.
fn spec_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SHEPHERD_OPENAPI") {
        let p = PathBuf::from(p);
        assert!(
            p.exists(),
            "SHEPHERD_OPENAPI={} does not exist",
            p.display()
        );
        return Some(p);
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/openapi/openai.json");
    p.exists().then_some(p)
}

#[test]
fn extract_is_current_with_the_spec() {
    let Some(spec) = spec_path() else {
        eprintln!("spec not found (set SHEPHERD_OPENAPI to check the extract against it); skipped");
        return;
    };
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/extract.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg("--check")
        .arg("--spec")
        .arg(&spec)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "the spec is at {} but python3 could not run {}: {e}",
                spec.display(),
                script.display()
            )
        });
    assert!(
        output.status.success(),
        "tests/data is stale against {}: {}{}",
        spec.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
