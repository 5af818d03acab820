//! The hand-written, field-by-field readers of the hot-path types keep the rules the
//! derived ones had: required fields, null tolerance, defaults, unknown fields kept.
#![allow(clippy::unwrap_used)]

use shepherd_types::chat::{ChatChunk, ChatResponse, FinishReason, Role};

#[test]
fn a_response_without_choices_is_an_error_naming_the_field() {
    let err = serde_json::from_str::<ChatResponse>(r#"{"id":"x","model":"m"}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing field `choices`"), "{err}");
    let err = serde_json::from_str::<ChatResponse>(r#"{"choices":[{"index":0}]}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing field `message`"), "{err}");
    let err = serde_json::from_str::<ChatResponse>(r#""text""#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("chat completion object"), "{err}");
}

#[test]
fn nulls_and_missing_fields_take_defaults() {
    let r: ChatResponse = serde_json::from_str(
        r#"{"id":null,"object":null,"created":null,"model":null,
            "choices":[{"index":null,"finish_reason":null,"message":{"role":null,"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}}]}"#,
    )
    .unwrap();
    assert_eq!((r.id.as_str(), r.created, r.model.as_str()), ("", 0, ""));
    assert_eq!(r.object, "chat.completion");
    assert_eq!(r.choices[0].index, 0);
    assert_eq!(r.choices[0].message.role, Role::Assistant);
    assert_eq!(r.text(), "ab");
    assert_eq!(r.finish_reason(), None);
}

#[test]
fn unknown_fields_are_kept_at_every_level_and_round_trip() {
    let text = r#"{"id":"c","object":"chat.completion","created":1,"model":"m","provider":"x",
        "choices":[{"index":0,"finish_reason":"stop","native_finish_reason":"end_turn",
                    "message":{"role":"assistant","content":"hi","annotations":[],"reasoning":"r"}}],
        "usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"cost":0.5}}"#;
    let r: ChatResponse = serde_json::from_str(text).unwrap();
    assert_eq!(r.extra["provider"], "x");
    assert_eq!(r.choices[0].extra["native_finish_reason"], "end_turn");
    assert_eq!(r.choices[0].message.extra["reasoning"], "r");
    assert_eq!(r.usage.as_ref().unwrap().extra["cost"], 0.5);
    assert_eq!(r.finish_reason(), Some(&FinishReason::Stop));
    let again: ChatResponse = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(again, r);
}

#[test]
fn chunks_tolerate_nulls_and_keep_unknown_fields() {
    let c: ChatChunk =
        serde_json::from_str(r#"{"id":null,"choices":null,"obfuscation":"abc"}"#).unwrap();
    assert!(c.choices.is_empty());
    assert_eq!(c.object, "chat.completion.chunk");
    assert_eq!(c.extra["obfuscation"], "abc");
    let c: ChatChunk = serde_json::from_str(
        r#"{"choices":[{"index":1,"delta":null,"x":1},{"delta":{"role":"assistant","content":"Hel","y":2}}]}"#,
    )
    .unwrap();
    assert_eq!(c.choices[0].index, 1);
    assert_eq!(c.choices[0].delta.content, None);
    assert_eq!(c.choices[0].extra["x"], 1);
    assert_eq!(c.choices[1].delta.role, Some(Role::Assistant));
    assert_eq!(c.choices[1].delta.extra["y"], 2);
    let again: ChatChunk = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
    assert_eq!(again, c);
}
