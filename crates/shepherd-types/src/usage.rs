//! Token usage reported by chat completions, and its arithmetic.

use serde::de::MapAccess;
use serde::{Deserialize, Deserializer, Serialize};

use crate::Extra;
use crate::fields::{ReadFields, deserialize_fields, or_default};

/// Token counts for one chat completion (`usage` in the response, or in the
/// final chunk of a stream requested with `stream_options.include_usage`).
///
/// Counts default to zero when a server leaves them out, so a partial `usage`
/// object from a deviating server still parses.
///
/// # Examples
///
/// ```
/// use shepherd_types::Usage;
///
/// let usage: Usage = serde_json::from_str(
///     r#"{"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120,
///         "prompt_tokens_details": {"cached_tokens": 64}}"#,
/// ).unwrap();
/// assert_eq!(usage.cached_tokens(), 64);
/// assert_eq!(usage.uncached_prompt_tokens(), 36);
/// ```
///
/// `Deserialize` reads field by field (the crate's `fields` module) rather than through
/// `#[serde(flatten)]`, for speed; unknown fields still land in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Usage {
    /// Tokens in the prompt, cached ones included.
    pub prompt_tokens: u32,
    /// Tokens generated, reasoning tokens included.
    pub completion_tokens: u32,
    /// `prompt_tokens + completion_tokens`.
    pub total_tokens: u32,
    /// Breakdown of the prompt tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
    /// Breakdown of the completion tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion_tokens_details: Option<CompletionTokensDetails>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Breakdown of [`Usage::prompt_tokens`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PromptTokensDetails {
    /// Prompt tokens served from the provider's prompt cache (billed cheaper).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u32>,
    /// Audio input tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_tokens: Option<u32>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Breakdown of [`Usage::completion_tokens`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CompletionTokensDetails {
    /// Tokens the model spent reasoning (billed as output, not shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u32>,
    /// Audio output tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_tokens: Option<u32>,
    /// Predicted-output tokens that appeared in the completion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted_prediction_tokens: Option<u32>,
    /// Predicted-output tokens that did not appear (still billed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected_prediction_tokens: Option<u32>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ReadFields for Usage {
    const EXPECTING: &'static str = "a usage object";

    fn extra(&mut self) -> &mut Extra {
        &mut self.extra
    }

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        name: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        match name {
            "prompt_tokens" => self.prompt_tokens = or_default(map)?,
            "completion_tokens" => self.completion_tokens = or_default(map)?,
            "total_tokens" => self.total_tokens = or_default(map)?,
            "prompt_tokens_details" => self.prompt_tokens_details = map.next_value()?,
            "completion_tokens_details" => self.completion_tokens_details = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'de> Deserialize<'de> for Usage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_fields(deserializer)
    }
}

impl ReadFields for PromptTokensDetails {
    const EXPECTING: &'static str = "prompt token details";

    fn extra(&mut self) -> &mut Extra {
        &mut self.extra
    }

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        name: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        match name {
            "cached_tokens" => self.cached_tokens = map.next_value()?,
            "audio_tokens" => self.audio_tokens = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'de> Deserialize<'de> for PromptTokensDetails {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_fields(deserializer)
    }
}

impl ReadFields for CompletionTokensDetails {
    const EXPECTING: &'static str = "completion token details";

    fn extra(&mut self) -> &mut Extra {
        &mut self.extra
    }

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        name: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        match name {
            "reasoning_tokens" => self.reasoning_tokens = map.next_value()?,
            "audio_tokens" => self.audio_tokens = map.next_value()?,
            "accepted_prediction_tokens" => self.accepted_prediction_tokens = map.next_value()?,
            "rejected_prediction_tokens" => self.rejected_prediction_tokens = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'de> Deserialize<'de> for CompletionTokensDetails {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_fields(deserializer)
    }
}

impl Usage {
    /// A usage with the three main counts set and `total_tokens` computed.
    pub fn new(prompt_tokens: u32, completion_tokens: u32) -> Self {
        Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens.saturating_add(completion_tokens),
            ..Usage::default()
        }
    }

    /// Prompt tokens served from the cache (0 when not reported).
    pub fn cached_tokens(&self) -> u32 {
        self.prompt_tokens_details
            .as_ref()
            .and_then(|d| d.cached_tokens)
            .unwrap_or(0)
    }

    /// Prompt tokens billed at the full input price.
    pub fn uncached_prompt_tokens(&self) -> u32 {
        self.prompt_tokens.saturating_sub(self.cached_tokens())
    }

    /// Reasoning tokens (0 when not reported).
    pub fn reasoning_tokens(&self) -> u32 {
        self.completion_tokens_details
            .as_ref()
            .and_then(|d| d.reasoning_tokens)
            .unwrap_or(0)
    }

    /// Adds another usage's counts to this one (for running totals).
    ///
    /// Detail counts are summed where either side reports them; unknown
    /// fields are not merged.
    pub fn add(&mut self, other: &Usage) {
        self.prompt_tokens = self.prompt_tokens.saturating_add(other.prompt_tokens);
        self.completion_tokens = self
            .completion_tokens
            .saturating_add(other.completion_tokens);
        self.total_tokens = self.total_tokens.saturating_add(other.total_tokens);
        if let Some(o) = &other.prompt_tokens_details {
            let d = self
                .prompt_tokens_details
                .get_or_insert_with(Default::default);
            add_opt(&mut d.cached_tokens, o.cached_tokens);
            add_opt(&mut d.audio_tokens, o.audio_tokens);
        }
        if let Some(o) = &other.completion_tokens_details {
            let d = self
                .completion_tokens_details
                .get_or_insert_with(Default::default);
            add_opt(&mut d.reasoning_tokens, o.reasoning_tokens);
            add_opt(&mut d.audio_tokens, o.audio_tokens);
            add_opt(
                &mut d.accepted_prediction_tokens,
                o.accepted_prediction_tokens,
            );
            add_opt(
                &mut d.rejected_prediction_tokens,
                o.rejected_prediction_tokens,
            );
        }
    }
}

fn add_opt(into: &mut Option<u32>, other: Option<u32>) {
    if let Some(o) = other {
        *into = Some(into.unwrap_or(0).saturating_add(o));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_sums_counts_and_details() {
        let mut a = Usage::new(10, 5);
        let mut b = Usage::new(20, 1);
        b.prompt_tokens_details = Some(PromptTokensDetails {
            cached_tokens: Some(8),
            ..Default::default()
        });
        a.add(&b);
        assert_eq!(
            (a.prompt_tokens, a.completion_tokens, a.total_tokens),
            (30, 6, 36)
        );
        assert_eq!(a.cached_tokens(), 8);
        assert_eq!(a.uncached_prompt_tokens(), 22);
    }

    #[test]
    fn unknown_fields_are_kept_and_round_trip() {
        let text = r#"{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5,"prompt_tokens_details":{"cached_tokens":1,"new_kind":4},"completion_tokens_details":{"reasoning_tokens":1,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0,"other":[1]},"cost":{"usd":0.1},"escaped\"key":true}"#;
        let u: Usage = serde_json::from_str(text).unwrap();
        assert_eq!(u.extra["cost"]["usd"], 0.1);
        assert_eq!(u.extra["escaped\"key"], true);
        assert_eq!(
            u.prompt_tokens_details.as_ref().unwrap().extra["new_kind"],
            4
        );
        assert_eq!(
            u.completion_tokens_details.as_ref().unwrap().extra["other"][0],
            1
        );
        assert_eq!(u.reasoning_tokens(), 1);
        let again: Usage = serde_json::from_str(&serde_json::to_string(&u).unwrap()).unwrap();
        assert_eq!(again, u);
    }

    #[test]
    fn null_counts_and_details_read_as_absent() {
        let u: Usage = serde_json::from_str(
            r#"{"prompt_tokens":null,"completion_tokens":2,"prompt_tokens_details":null,"completion_tokens_details":{"reasoning_tokens":null}}"#,
        )
        .unwrap();
        assert_eq!((u.prompt_tokens, u.completion_tokens), (0, 2));
        assert_eq!(u.prompt_tokens_details, None);
        assert_eq!(u.reasoning_tokens(), 0);
    }

    #[test]
    fn a_wrong_type_is_an_error_naming_what_was_expected() {
        let err = serde_json::from_str::<Usage>("[1, 2]")
            .unwrap_err()
            .to_string();
        assert!(err.contains("a usage object"), "{err}");
        assert!(serde_json::from_str::<Usage>(r#"{"prompt_tokens":"many"}"#).is_err());
    }

    #[test]
    fn missing_counts_default_to_zero() {
        let u: Usage = serde_json::from_str(r#"{"prompt_tokens": 3}"#).unwrap();
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            (3, 0, 0)
        );
    }
}
