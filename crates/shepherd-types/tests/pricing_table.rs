//! Price table: shipped defaults, loading, model lookup and cost arithmetic.

use shepherd_types::Usage;
use shepherd_types::pricing::{Billing, Cost, Missing, ModelPrice, PriceTable};
use shepherd_types::usage::PromptTokensDetails;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn usage(prompt: u32, cached: u32, completion: u32) -> Usage {
    let mut u = Usage::new(prompt, completion);
    if cached > 0 {
        u.prompt_tokens_details = Some(PromptTokensDetails {
            cached_tokens: Some(cached),
            ..Default::default()
        });
    }
    u
}

#[test]
fn cached_tokens_are_billed_at_the_cached_rate() {
    let t = PriceTable::shipped();
    // gpt-4.1: $2 input, $0.50 cached, $8 output per 1M.
    let c = t
        .cost(&usage(1_000_000, 400_000, 500_000), "gpt-4.1")
        .expect("priced");
    assert!(close(c.input, 0.6 * 2.0), "{c:?}");
    assert!(close(c.cached_input, 0.4 * 0.5), "{c:?}");
    assert!(close(c.output, 0.5 * 8.0), "{c:?}");
    assert!(close(c.total_usd(), 1.2 + 0.2 + 4.0));
}

#[test]
fn cached_count_larger_than_prompt_is_clamped() {
    let c = PriceTable::shipped()
        .cost(&usage(100, 1_000, 0), "gpt-4o")
        .expect("priced");
    assert!(close(c.input, 0.0));
    assert!(close(c.cached_input, 100.0 * 1.25 / 1e6));
}

#[test]
fn unknown_model_is_a_typed_error_not_zero() {
    let err = PriceTable::shipped()
        .cost(&usage(10, 0, 10), "llama-3-70b")
        .expect_err("unknown model");
    assert!(err.is_unknown_model());
    assert_eq!(err.model(), "llama-3-70b");
    assert_eq!(err.to_string(), "no price for model `llama-3-70b`");
}

#[test]
fn lookup_matches_snapshots_aliases_and_routed_names() {
    let t = PriceTable::shipped();
    let key = |m: &str| t.lookup(m).map(|(k, _)| k.to_owned());
    assert_eq!(key("gpt-4.1-2025-04-14").as_deref(), Some("gpt-4.1"));
    assert_eq!(
        key("gpt-4o-mini-2024-07-18").as_deref(),
        Some("gpt-4o-mini")
    );
    assert_eq!(
        key("claude-sonnet-4-5-20250929").as_deref(),
        Some("claude-sonnet-4.5")
    );
    assert_eq!(
        key("claude-sonnet-4-20250514").as_deref(),
        Some("claude-sonnet-4")
    );
    assert_eq!(
        key("claude-haiku-4-5-20251001").as_deref(),
        Some("claude-haiku-4.5")
    );
    assert_eq!(key("gpt-5-2025-08-07").as_deref(), Some("gpt-5"));
    assert_eq!(key("gpt-4o-2024-08-06").as_deref(), Some("gpt-4o"));
    assert_eq!(
        key("gpt-4o-2024-05-13").as_deref(),
        Some("gpt-4o-2024-05-13"),
        "exact wins"
    );
    assert_eq!(key("deepseek-chat").as_deref(), Some("deepseek-v3.2"));
    assert_eq!(key("openai/gpt-4.1").as_deref(), Some("gpt-4.1"));
    assert_eq!(
        key("models/gemini-2.5-flash").as_deref(),
        Some("gemini-2.5-flash")
    );
    // No prefix matching: a different model is never priced as its sibling.
    assert_eq!(key("gpt-4.1-turbo"), None);
    assert_eq!(key("gemini-2.5-flash-preview-05-20"), None);
    assert_eq!(key("gpt-4"), None);
}

#[test]
fn batch_billing_applies_the_discount_or_says_there_is_none() {
    let t = PriceTable::shipped();
    let u = usage(2_000_000, 0, 1_000_000);
    let standard = t.cost(&u, "gpt-4.1").expect("priced").total_usd();
    let batch = t
        .cost_with(&u, "gpt-4.1", Billing::Batch)
        .expect("batch priced")
        .total_usd();
    assert!(close(standard, 12.0));
    assert!(close(batch, 6.0));
    let err = t
        .cost_with(&u, "deepseek-v3.2", Billing::Batch)
        .expect_err("deepseek has no batch API");
    assert_eq!(err.missing(), Missing::Batch);
}

#[test]
fn audio_and_speech_costs() {
    let t = PriceTable::shipped();
    assert!(close(
        t.audio_cost(90.0, "whisper-1").expect("priced"),
        0.009
    ));
    assert!(close(t.audio_cost(-3.0, "whisper-1").expect("priced"), 0.0));
    assert!(close(
        t.audio_cost(f64::NAN, "whisper-1").expect("priced"),
        0.0
    ));
    assert!(close(t.speech_cost(2_000, "tts-1").expect("priced"), 0.03));
    assert_eq!(
        t.audio_cost(60.0, "gpt-4.1")
            .expect_err("not an audio model")
            .missing(),
        Missing::Audio
    );
    assert_eq!(
        t.speech_cost(10, "whisper-1")
            .expect_err("not a speech model")
            .missing(),
        Missing::Speech
    );
    assert_eq!(
        t.cost(&usage(10, 0, 0), "tts-1")
            .expect_err("no token price")
            .missing(),
        Missing::InputTokens
    );
}

#[test]
fn embeddings_have_no_output_price_and_need_none() {
    let t = PriceTable::shipped();
    let c = t
        .cost(&usage(1_000_000, 0, 0), "text-embedding-3-small")
        .expect("priced");
    assert!(close(c.total_usd(), 0.02));
    let err = t
        .cost(&usage(10, 0, 5), "text-embedding-3-large")
        .expect_err("completion tokens on an embedding model");
    assert_eq!(err.missing(), Missing::OutputTokens);
}

#[test]
fn json_tables_load_merge_and_round_trip() {
    let json = r#"{"models": {"gpt-4.1": {"input": 1.0, "output": 4.0, "note": "reseller"},
                              "my-llama": {"input": 0.1, "output": 0.1, "aliases": ["llama"]}}}"#;
    let own = PriceTable::from_json_str(json).expect("valid table");
    assert_eq!(own.currency, "USD");
    let back: serde_json::Value = serde_json::to_value(&own).expect("serialize");
    assert_eq!(
        back["models"]["gpt-4.1"]["note"], "reseller",
        "unknown fields round-trip"
    );

    let mut t = PriceTable::default();
    t.merge(own);
    let c = t.cost(&usage(1_000_000, 0, 0), "gpt-4.1").expect("priced");
    assert!(
        close(c.total_usd(), 1.0),
        "merged entry overrides the shipped one"
    );
    assert!(t.get("llama").is_some());
    assert!(t.get("claude-sonnet-4.5").is_some(), "others stay");

    t.insert("tiny", ModelPrice::tokens(0.0, 0.0));
    assert!(close(
        t.cost(&usage(5, 0, 5), "tiny")
            .expect("free but priced")
            .total_usd(),
        0.0
    ));
}

#[test]
fn bad_tables_are_rejected() {
    let e = PriceTable::from_json_str("{\"models\": 3}").expect_err("wrong shape");
    assert!(e.is_parse());
    let e =
        PriceTable::from_json_str(r#"{"models": {"m": {"input": -1.0}}}"#).expect_err("negative");
    assert!(e.is_invalid());
    let e = PriceTable::from_json_str(r#"{"models": {"m": {"batch_discount": 1.5}}}"#)
        .expect_err("discount above 100%");
    assert!(e.is_invalid());
    assert!(e.to_string().contains("batch_discount"));
}

#[test]
fn costs_add_up() {
    let t = PriceTable::shipped();
    let calls = [usage(1_000_000, 0, 0), usage(0, 0, 1_000_000)];
    let total: Cost = calls
        .iter()
        .map(|u| t.cost(u, "gpt-4o-mini").expect("priced"))
        .sum();
    assert!(close(total.total_usd(), 0.15 + 0.6));
    let mut running = Cost::default();
    running += total;
    assert!(close((running + total).total_usd(), 1.5));
}

#[test]
fn empty_table_prices_nothing() {
    assert!(
        PriceTable::empty()
            .cost(&Usage::new(1, 1), "gpt-4.1")
            .is_err()
    );
}

#[cfg(feature = "toml")]
#[test]
fn toml_tables_load() {
    let t = PriceTable::from_toml_str(
        r#"
currency = "EUR"
[models."gpt-4.1"]
input = 1.8
cached_input = 0.45
output = 7.2
batch_discount = 0.5
aliases = ["gpt4"]
"#,
    )
    .expect("valid toml");
    assert_eq!(t.currency, "EUR");
    let c = t.cost(&usage(1_000_000, 0, 0), "gpt4").expect("alias");
    assert!(close(c.total_usd(), 1.8));
    assert!(
        PriceTable::from_toml_str("models = 1")
            .expect_err("bad shape")
            .is_parse()
    );
}
