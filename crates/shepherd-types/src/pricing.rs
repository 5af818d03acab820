//! Model prices as data, and the cost of a call computed from its usage.
//!
//! A [`PriceTable`] maps model names to [`ModelPrice`]s: USD per million
//! input, cached-input and output tokens, per minute of transcribed audio,
//! per million characters of synthesized speech, and a batch discount. The
//! table is plain serde data, loadable from JSON ([`PriceTable::from_json_str`])
//! or TOML ([`PriceTable::from_toml_str`], feature `toml`), and a default
//! table of public list prices ships with the crate ([`PriceTable::shipped`]).
//!
//! A model the table does not price is an error ([`NoPrice`]), never a zero
//! cost: a budget that silently counts an unknown model as free is no budget.
//!
//! ```
//! use shepherd_types::Usage;
//! use shepherd_types::pricing::PriceTable;
//!
//! let prices = PriceTable::shipped();
//! let cost = prices.cost(&Usage::new(1_000_000, 100_000), "gpt-4.1-2025-04-14").unwrap();
//! assert!((cost.total_usd() - 2.80).abs() < 1e-9); // $2 input + $0.80 output
//!
//! assert!(prices.cost(&Usage::new(10, 10), "my-local-llama").is_err());
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Add, AddAssign};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Extra, Usage};

/// The key in [`crate::usage::PromptTokensDetails::extra`] that carries
/// prompt tokens *written* to a provider's prompt cache.
///
/// OpenAI's usage has no such field; the Anthropic conversion records
/// `cache_creation_input_tokens` there so that [`PriceTable::cost`] can bill
/// those tokens at [`ModelPrice::cache_write`] instead of the input rate.
pub const CACHE_WRITE_TOKENS: &str = "cache_creation_tokens";

const SHIPPED_JSON: &str = include_str!("pricing/default_prices.json");

/// Prices per model, in one currency (USD for the shipped table).
///
/// # Model lookup
///
/// [`PriceTable::get`] tries, in order, and stops at the first hit:
/// 1. the name as given, against table keys and then each entry's `aliases`;
/// 2. the name without a trailing date snapshot, `-YYYY-MM-DD` or
///    `-YYYYMMDD` (`gpt-4.1-2025-04-14` → `gpt-4.1`,
///    `claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`, an alias);
/// 3. both of the above on the part after the last `/`, for routed names
///    such as `openai/gpt-4.1` or `models/gemini-2.5-flash`.
///
/// An exact name always wins, so a snapshot priced differently from its
/// alias gets its own entry (the shipped table has `gpt-4o-2024-05-13`).
/// There is no prefix matching: `gpt-4.1-mini` never falls back to
/// `gpt-4.1`'s price, and `gemini-2.5-flash-preview-05-20` (not a date
/// suffix) is not priced as `gemini-2.5-flash`.
///
/// # Examples
///
/// ```
/// use shepherd_types::pricing::PriceTable;
///
/// let mut table = PriceTable::default();
/// table.merge(PriceTable::from_json_str(r#"{
///     "models": {"my-llama": {"input": 0.1, "output": 0.2}}
/// }"#).unwrap());
/// assert!(table.get("my-llama").is_some());
/// assert!(table.get("gpt-4o-mini-2024-07-18").is_some());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceTable {
    /// ISO 4217 currency of every price in the table; `USD` when absent.
    #[serde(default = "usd")]
    pub currency: String,
    /// Prices by model name.
    #[serde(default)]
    pub models: BTreeMap<String, ModelPrice>,
    /// Fields not modelled here, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

fn usd() -> String {
    "USD".to_owned()
}

/// The prices of one model. Every price is optional: a speech model has no
/// token prices, an embedding model no output price.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelPrice {
    /// Per million uncached input (prompt) tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<f64>,
    /// Per million input tokens read from the prompt cache; `input` applies when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_input: Option<f64>,
    /// Per million input tokens written to the prompt cache (Anthropic);
    /// `input` applies when absent. See [`CACHE_WRITE_TOKENS`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<f64>,
    /// Per million output tokens, reasoning tokens included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<f64>,
    /// Per minute of transcribed or translated audio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_per_minute: Option<f64>,
    /// Per million characters of synthesized speech.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speech_per_million_chars: Option<f64>,
    /// Fraction taken off every price for batch jobs (`0.5` = half price);
    /// absent when the provider has no batch API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_discount: Option<f64>,
    /// Other names of this model (provider spellings, API aliases).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Where the prices come from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// When the prices were read from the source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// Fields not modelled here, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ModelPrice {
    /// A token-priced model: USD per million input and output tokens.
    pub fn tokens(input: f64, output: f64) -> Self {
        ModelPrice {
            input: Some(input),
            output: Some(output),
            ..ModelPrice::default()
        }
    }

    /// Every price set in this entry, with its field name.
    fn prices(&self) -> [(&'static str, Option<f64>); 7] {
        [
            ("input", self.input),
            ("cached_input", self.cached_input),
            ("cache_write", self.cache_write),
            ("output", self.output),
            ("audio_per_minute", self.audio_per_minute),
            ("speech_per_million_chars", self.speech_per_million_chars),
            ("batch_discount", self.batch_discount),
        ]
    }
}

/// Standard or batch pricing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Billing {
    /// Synchronous calls at list price.
    #[default]
    Standard,
    /// Batch API jobs, at list price less [`ModelPrice::batch_discount`].
    Batch,
}

/// The cost of one call or a running total, in the table's currency.
///
/// Amounts are `f64`: right for estimates and budgets, not for invoicing.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cost {
    /// Uncached input tokens.
    pub input: f64,
    /// Input tokens read from the prompt cache.
    pub cached_input: f64,
    /// Input tokens written to the prompt cache.
    pub cache_write: f64,
    /// Output tokens.
    pub output: f64,
}

impl Cost {
    /// The sum of all parts.
    pub fn total_usd(&self) -> f64 {
        self.input + self.cached_input + self.cache_write + self.output
    }
}

impl Add for Cost {
    type Output = Cost;
    fn add(mut self, rhs: Cost) -> Cost {
        self += rhs;
        self
    }
}

impl std::iter::Sum for Cost {
    fn sum<I: Iterator<Item = Cost>>(iter: I) -> Cost {
        iter.fold(Cost::default(), Add::add)
    }
}

impl AddAssign for Cost {
    fn add_assign(&mut self, rhs: Cost) {
        self.input += rhs.input;
        self.cached_input += rhs.cached_input;
        self.cache_write += rhs.cache_write;
        self.output += rhs.output;
    }
}

/// The price a cost needs and the table does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Missing {
    /// The model is not in the table at all.
    Model,
    /// No input price, and the usage has prompt tokens.
    InputTokens,
    /// No output price, and the usage has completion tokens.
    OutputTokens,
    /// No per-minute audio price.
    Audio,
    /// No per-character speech price.
    Speech,
    /// No batch discount: the model has no batch pricing.
    Batch,
}

/// A cost could not be computed because a price is missing.
///
/// Deliberately an error and not a zero: callers decide whether an unpriced
/// call is acceptable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NoPrice {
    model: String,
    missing: Missing,
}

impl NoPrice {
    fn new(model: &str, missing: Missing) -> Self {
        NoPrice {
            model: model.to_owned(),
            missing,
        }
    }

    /// The model name as the caller gave it.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Which price is missing.
    pub fn missing(&self) -> Missing {
        self.missing
    }

    /// `true` when the model is not in the table at all (rather than lacking one price).
    pub fn is_unknown_model(&self) -> bool {
        self.missing == Missing::Model
    }
}

impl fmt::Display for NoPrice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.missing {
            Missing::Model => return write!(f, "no price for model `{}`", self.model),
            Missing::InputTokens => "input tokens",
            Missing::OutputTokens => "output tokens",
            Missing::Audio => "audio minutes",
            Missing::Speech => "speech characters",
            Missing::Batch => "batch jobs",
        };
        write!(f, "model `{}` has no price for {what}", self.model)
    }
}

impl std::error::Error for NoPrice {}

/// A price table that did not load.
#[derive(Debug)]
pub enum PriceTableError {
    /// The text is not valid JSON / TOML of the table's shape.
    Parse(Box<dyn std::error::Error + Send + Sync>),
    /// A price is negative or not finite, or a batch discount is outside 0..=1.
    Invalid {
        /// The model whose entry is wrong.
        model: String,
        /// The offending field.
        field: &'static str,
    },
}

impl PriceTableError {
    /// `true` when the text did not parse.
    pub fn is_parse(&self) -> bool {
        matches!(self, PriceTableError::Parse(_))
    }

    /// `true` when the text parsed but a value is out of range.
    pub fn is_invalid(&self) -> bool {
        matches!(self, PriceTableError::Invalid { .. })
    }
}

impl fmt::Display for PriceTableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PriceTableError::Parse(e) => write!(f, "price table does not parse: {e}"),
            PriceTableError::Invalid { model, field } => {
                write!(f, "price table entry `{model}`: `{field}` is out of range")
            }
        }
    }
}

impl std::error::Error for PriceTableError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PriceTableError::Parse(e) => Some(&**e),
            PriceTableError::Invalid { .. } => None,
        }
    }
}

impl Default for PriceTable {
    /// A copy of [`PriceTable::shipped`].
    fn default() -> Self {
        PriceTable::shipped().clone()
    }
}

impl PriceTable {
    /// An empty table: every model is unpriced.
    pub fn empty() -> Self {
        PriceTable {
            currency: usd(),
            models: BTreeMap::new(),
            extra: Extra::new(),
        }
    }

    /// The table shipped with the crate: public list prices in USD, as of
    /// 2025, for OpenAI (gpt-4.1, gpt-4o and gpt-5 families, o4-mini,
    /// text-embedding-3-small/-large, text-embedding-ada-002, whisper-1,
    /// gpt-4o(-mini)-transcribe, tts-1, tts-1-hd), Anthropic
    /// (claude-sonnet-4.5, claude-sonnet-4, claude-haiku-4.5,
    /// claude-opus-4.1), Google (gemini-2.5-flash, -flash-lite, -pro) and
    /// DeepSeek (deepseek-v3.2, also as `deepseek-chat`/`deepseek-reasoner`).
    ///
    /// Each entry names its `source` and `as_of` date. Providers change
    /// prices and resellers charge differently: load your own table for
    /// anything that bills real money. Not modelled: long-context surcharges
    /// (Claude and Gemini above 200K prompt tokens), Gemini audio input rates,
    /// cache storage fees, priority and flex tiers.
    pub fn shipped() -> &'static PriceTable {
        static SHIPPED: OnceLock<PriceTable> = OnceLock::new();
        SHIPPED.get_or_init(|| {
            // The file is part of this crate and a unit test parses it; a
            // failure here is a build defect, not bad input.
            PriceTable::from_json_str(SHIPPED_JSON).expect("shipped price table is valid")
        })
    }

    /// Loads a table from JSON: `{"currency": "USD", "models": {"name": {"input": 2.0, ...}}}`.
    ///
    /// # Errors
    ///
    /// [`PriceTableError::Parse`] for malformed text, [`PriceTableError::Invalid`]
    /// for a negative or non-finite price or a batch discount outside `0..=1`.
    pub fn from_json_str(json: &str) -> Result<Self, PriceTableError> {
        let table: PriceTable =
            serde_json::from_str(json).map_err(|e| PriceTableError::Parse(Box::new(e)))?;
        table.validate()?;
        Ok(table)
    }

    /// Loads a table from TOML, the same shape as JSON:
    ///
    /// ```toml
    /// currency = "USD"
    /// [models."gpt-4.1"]
    /// input = 2.0
    /// cached_input = 0.5
    /// output = 8.0
    /// ```
    ///
    /// # Errors
    ///
    /// As [`PriceTable::from_json_str`].
    #[cfg(feature = "toml")]
    pub fn from_toml_str(text: &str) -> Result<Self, PriceTableError> {
        let table: PriceTable =
            toml::from_str(text).map_err(|e| PriceTableError::Parse(Box::new(e)))?;
        table.validate()?;
        Ok(table)
    }

    fn validate(&self) -> Result<(), PriceTableError> {
        for (model, price) in &self.models {
            for (field, value) in price.prices() {
                let Some(v) = value else { continue };
                let ok = v.is_finite() && v >= 0.0 && (field != "batch_discount" || v <= 1.0);
                if !ok {
                    return Err(PriceTableError::Invalid {
                        model: model.clone(),
                        field,
                    });
                }
            }
        }
        Ok(())
    }

    /// Adds or replaces one model's prices.
    pub fn insert(&mut self, model: impl Into<String>, price: ModelPrice) -> &mut Self {
        self.models.insert(model.into(), price);
        self
    }

    /// Adds every entry of `other`, replacing entries of the same name
    /// (for overriding the shipped prices with your own).
    pub fn merge(&mut self, other: PriceTable) -> &mut Self {
        self.models.extend(other.models);
        self
    }

    /// The prices of `model`, found as described under [model lookup](PriceTable#model-lookup).
    pub fn get(&self, model: &str) -> Option<&ModelPrice> {
        self.lookup(model).map(|(_, price)| price)
    }

    /// Like [`PriceTable::get`], also returning the table key that matched.
    pub fn lookup(&self, model: &str) -> Option<(&str, &ModelPrice)> {
        let base = model.rsplit('/').next().unwrap_or(model);
        let candidates = [
            Some(model),
            strip_date_suffix(model),
            Some(base),
            strip_date_suffix(base),
        ];
        candidates
            .into_iter()
            .flatten()
            .find_map(|name| self.exact(name))
    }

    fn exact(&self, name: &str) -> Option<(&str, &ModelPrice)> {
        if let Some((key, price)) = self.models.get_key_value(name) {
            return Some((key.as_str(), price));
        }
        self.models
            .iter()
            .find(|(_, price)| price.aliases.iter().any(|a| a == name))
            .map(|(key, price)| (key.as_str(), price))
    }

    fn price_of(&self, model: &str) -> Result<&ModelPrice, NoPrice> {
        self.get(model)
            .ok_or_else(|| NoPrice::new(model, Missing::Model))
    }

    /// The cost of a chat completion's (or embedding's) usage at standard prices.
    ///
    /// Cached prompt tokens are billed at `cached_input` (or `input` when the
    /// model has no cached rate), prompt tokens written to the cache (see
    /// [`CACHE_WRITE_TOKENS`]) at `cache_write`, the rest at `input`;
    /// completion tokens, reasoning included, at `output`.
    ///
    /// # Errors
    ///
    /// [`NoPrice`] when the model is unknown, or lacks the input (output)
    /// price while the usage has prompt (completion) tokens.
    pub fn cost(&self, usage: &Usage, model: &str) -> Result<Cost, NoPrice> {
        self.cost_with(usage, model, Billing::Standard)
    }

    /// The cost of a usage under the given [`Billing`].
    ///
    /// # Errors
    ///
    /// As [`PriceTable::cost`]; for [`Billing::Batch`] also when the model
    /// has no `batch_discount`.
    pub fn cost_with(&self, usage: &Usage, model: &str, billing: Billing) -> Result<Cost, NoPrice> {
        let price = self.price_of(model)?;
        let factor = self.factor(price, model, billing)?;
        let prompt = u64::from(usage.prompt_tokens);
        let cached = u64::from(usage.cached_tokens()).min(prompt);
        let written = cache_write_tokens(usage).min(prompt - cached);
        let plain = prompt - cached - written;

        let input = match price.input {
            Some(rate) => rate,
            None if prompt == 0 && price.output.is_some() => 0.0,
            None => return Err(NoPrice::new(model, Missing::InputTokens)),
        };
        let completion = u64::from(usage.completion_tokens);
        let output = match price.output {
            Some(rate) => rate,
            None if completion == 0 => 0.0,
            None => return Err(NoPrice::new(model, Missing::OutputTokens)),
        };
        let per_token = |tokens: u64, rate: f64| tokens as f64 * rate * factor / 1_000_000.0;
        Ok(Cost {
            input: per_token(plain, input),
            cached_input: per_token(cached, price.cached_input.unwrap_or(input)),
            cache_write: per_token(written, price.cache_write.unwrap_or(input)),
            output: per_token(completion, output),
        })
    }

    /// The cost of transcribing (or translating) `seconds` of audio.
    /// Negative or NaN durations count as zero.
    ///
    /// # Errors
    ///
    /// [`NoPrice`] when the model is unknown or has no `audio_per_minute`.
    pub fn audio_cost(&self, seconds: f64, model: &str) -> Result<f64, NoPrice> {
        self.audio_cost_with(seconds, model, Billing::Standard)
    }

    /// [`PriceTable::audio_cost`] under the given [`Billing`].
    ///
    /// # Errors
    ///
    /// As [`PriceTable::audio_cost`], and for [`Billing::Batch`] when the
    /// model has no `batch_discount`.
    pub fn audio_cost_with(
        &self,
        seconds: f64,
        model: &str,
        billing: Billing,
    ) -> Result<f64, NoPrice> {
        let price = self.price_of(model)?;
        let rate = price
            .audio_per_minute
            .ok_or_else(|| NoPrice::new(model, Missing::Audio))?;
        let factor = self.factor(price, model, billing)?;
        Ok(seconds.max(0.0) / 60.0 * rate * factor)
    }

    /// The cost of synthesizing `chars` characters of speech.
    ///
    /// # Errors
    ///
    /// [`NoPrice`] when the model is unknown or has no `speech_per_million_chars`.
    pub fn speech_cost(&self, chars: u64, model: &str) -> Result<f64, NoPrice> {
        self.speech_cost_with(chars, model, Billing::Standard)
    }

    /// [`PriceTable::speech_cost`] under the given [`Billing`].
    ///
    /// # Errors
    ///
    /// As [`PriceTable::speech_cost`], and for [`Billing::Batch`] when the
    /// model has no `batch_discount`.
    pub fn speech_cost_with(
        &self,
        chars: u64,
        model: &str,
        billing: Billing,
    ) -> Result<f64, NoPrice> {
        let price = self.price_of(model)?;
        let rate = price
            .speech_per_million_chars
            .ok_or_else(|| NoPrice::new(model, Missing::Speech))?;
        let factor = self.factor(price, model, billing)?;
        Ok(chars as f64 / 1_000_000.0 * rate * factor)
    }

    fn factor(&self, price: &ModelPrice, model: &str, billing: Billing) -> Result<f64, NoPrice> {
        match billing {
            Billing::Standard => Ok(1.0),
            Billing::Batch => price
                .batch_discount
                .map(|d| 1.0 - d)
                .ok_or_else(|| NoPrice::new(model, Missing::Batch)),
        }
    }
}

/// Prompt tokens written to the cache, from [`CACHE_WRITE_TOKENS`].
fn cache_write_tokens(usage: &Usage) -> u64 {
    usage
        .prompt_tokens_details
        .as_ref()
        .and_then(|d| d.extra.get(CACHE_WRITE_TOKENS))
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

/// `name` without a trailing `-YYYY-MM-DD` or `-YYYYMMDD`, if it has one.
fn strip_date_suffix(name: &str) -> Option<&str> {
    let b = name.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    // Every byte checked is ASCII, so the cut is on a char boundary.
    if b.len() > 11 {
        let t = &b[b.len() - 11..];
        if t[0] == b'-'
            && t[5] == b'-'
            && t[8] == b'-'
            && digits(&t[1..5])
            && digits(&t[6..8])
            && digits(&t[9..])
        {
            return name.get(..b.len() - 11);
        }
    }
    if b.len() > 9 {
        let t = &b[b.len() - 9..];
        if t[0] == b'-' && digits(&t[1..]) {
            return name.get(..b.len() - 9);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::PromptTokensDetails;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn shipped_table_parses_and_covers_the_seed_models() {
        let t = PriceTable::shipped();
        assert_eq!(t.currency, "USD");
        for m in [
            "gpt-4.1",
            "gpt-4.1-mini",
            "gpt-4o",
            "gpt-4o-mini",
            "claude-sonnet-4.5",
            "gemini-2.5-flash",
            "deepseek-v3.2",
            "whisper-1",
            "tts-1",
            "text-embedding-3-small",
            "text-embedding-3-large",
        ] {
            let p = t.get(m).unwrap_or_else(|| panic!("{m} is priced"));
            assert!(
                p.source.is_some() && p.as_of.is_some(),
                "{m} names its source"
            );
        }
    }

    #[test]
    fn date_suffixes_are_stripped() {
        assert_eq!(strip_date_suffix("gpt-4.1-2025-04-14"), Some("gpt-4.1"));
        assert_eq!(
            strip_date_suffix("claude-sonnet-4-5-20250929"),
            Some("claude-sonnet-4-5")
        );
        assert_eq!(strip_date_suffix("gpt-4.1"), None);
        assert_eq!(strip_date_suffix("gemini-2.5-flash-preview-05-20"), None);
        assert_eq!(strip_date_suffix("-2025-04-14"), None);
        assert_eq!(strip_date_suffix("x-2025-4-14"), None);
        assert_eq!(strip_date_suffix("é-2025-04-14"), Some("é"));
        assert_eq!(strip_date_suffix("ü2025-04-14"), None);
    }

    #[test]
    fn cache_write_tokens_are_billed_at_the_write_rate() {
        let mut usage = Usage::new(1_000_000, 0);
        let mut details = PromptTokensDetails {
            cached_tokens: Some(200_000),
            ..Default::default()
        };
        details
            .extra
            .insert(CACHE_WRITE_TOKENS.into(), 300_000.into());
        usage.prompt_tokens_details = Some(details);
        let c = PriceTable::shipped()
            .cost(&usage, "claude-sonnet-4-5-20250929")
            .expect("sonnet priced");
        assert!(close(c.input, 0.5 * 3.0));
        assert!(close(c.cached_input, 0.2 * 0.3));
        assert!(close(c.cache_write, 0.3 * 3.75));
    }
}
