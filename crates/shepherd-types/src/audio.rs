//! Audio: speech-to-text (`/v1/audio/transcriptions`) and text-to-speech (`/v1/audio/speech`).
//!
//! A transcription request is multipart/form-data, not JSON: the transport
//! layer streams the file part, and [`TranscriptionRequest::form_fields`]
//! gives the text fields in the spec's spelling.

use serde::{Deserialize, Serialize};

use crate::Extra;
use crate::string_enum::{StringEnum, string_enum_serde};

/// Output format of a transcription.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum AudioResponseFormat {
    /// `{"text": ...}` (the default).
    #[default]
    Json,
    /// Plain text body.
    Text,
    /// SubRip subtitles.
    Srt,
    /// JSON with language, duration, segments and words.
    VerboseJson,
    /// WebVTT subtitles.
    Vtt,
    /// JSON with speaker segments.
    DiarizedJson,
    /// A value this crate does not know.
    Other(String),
}

impl AudioResponseFormat {
    /// True when the response body is JSON (and parses as [`Transcription`]).
    pub fn is_json(&self) -> bool {
        matches!(
            self,
            AudioResponseFormat::Json
                | AudioResponseFormat::VerboseJson
                | AudioResponseFormat::DiarizedJson
        )
    }
}

impl StringEnum for AudioResponseFormat {
    fn as_str(&self) -> &str {
        match self {
            AudioResponseFormat::Json => "json",
            AudioResponseFormat::Text => "text",
            AudioResponseFormat::Srt => "srt",
            AudioResponseFormat::VerboseJson => "verbose_json",
            AudioResponseFormat::Vtt => "vtt",
            AudioResponseFormat::DiarizedJson => "diarized_json",
            AudioResponseFormat::Other(s) => s,
        }
    }
    fn from_wire(s: &str) -> Self {
        match s {
            "json" => AudioResponseFormat::Json,
            "text" => AudioResponseFormat::Text,
            "srt" => AudioResponseFormat::Srt,
            "verbose_json" => AudioResponseFormat::VerboseJson,
            "vtt" => AudioResponseFormat::Vtt,
            "diarized_json" => AudioResponseFormat::DiarizedJson,
            other => AudioResponseFormat::Other(other.to_owned()),
        }
    }
}
string_enum_serde!(AudioResponseFormat);

/// The non-file fields of a transcription request.
///
/// # Examples
///
/// ```
/// use shepherd_types::audio::{AudioResponseFormat, TranscriptionRequest};
///
/// let req = TranscriptionRequest::new("whisper-1")
///     .language("de")
///     .response_format(AudioResponseFormat::VerboseJson);
/// let fields = req.form_fields();
/// assert!(fields.contains(&("language".to_string(), "de".to_string())));
/// assert!(fields.contains(&("response_format".to_string(), "verbose_json".to_string())));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TranscriptionRequest {
    /// Model id, e.g. `whisper-1`, `gpt-4o-transcribe`.
    pub model: String,
    /// ISO-639-1 language of the audio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Text to guide style or continue a previous segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Output format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<AudioResponseFormat>,
    /// Sampling temperature, 0 to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// `word` and/or `segment` (needs `verbose_json`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timestamp_granularities: Vec<String>,
    /// Extra outputs, e.g. `logprobs`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Other text fields, sent as given.
    #[serde(flatten)]
    pub extra: Extra,
}

impl TranscriptionRequest {
    /// A request for `model` with every option unset.
    pub fn new(model: impl Into<String>) -> Self {
        TranscriptionRequest {
            model: model.into(),
            ..TranscriptionRequest::default()
        }
    }

    /// Sets `language`.
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// Sets `prompt`.
    pub fn prompt(mut self, prompt: impl Into<String>) -> Self {
        self.prompt = Some(prompt.into());
        self
    }

    /// Sets `response_format`.
    pub fn response_format(mut self, format: AudioResponseFormat) -> Self {
        self.response_format = Some(format);
        self
    }

    /// The multipart text fields, in the spec's spelling (arrays as `name[]`).
    pub fn form_fields(&self) -> Vec<(String, String)> {
        let mut fields = vec![("model".to_owned(), self.model.clone())];
        let mut push = |name: &str, value: Option<String>| {
            if let Some(v) = value {
                fields.push((name.to_owned(), v));
            }
        };
        push("language", self.language.clone());
        push("prompt", self.prompt.clone());
        push(
            "response_format",
            self.response_format.as_ref().map(|f| f.as_str().to_owned()),
        );
        push("temperature", self.temperature.map(|t| t.to_string()));
        for g in &self.timestamp_granularities {
            fields.push(("timestamp_granularities[]".to_owned(), g.clone()));
        }
        for i in &self.include {
            fields.push(("include[]".to_owned(), i.clone()));
        }
        for (k, v) in &self.extra {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            fields.push((k.clone(), text));
        }
        fields
    }
}

/// A transcription in the `json` or `verbose_json` format.
///
/// The fields only `verbose_json` has are optional, so one type reads both.
///
/// # Examples
///
/// ```
/// use shepherd_types::audio::Transcription;
///
/// let t: Transcription = serde_json::from_str(r#"{"text": "Hallo Welt"}"#).unwrap();
/// assert_eq!(t.text, "Hallo Welt");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transcription {
    /// The transcribed text.
    pub text: String,
    /// Detected language (`verbose_json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Audio duration in seconds (`verbose_json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    /// Word timestamps (`verbose_json` with `word` granularity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words: Option<Vec<TranscriptionWord>>,
    /// Segments (`verbose_json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<Vec<TranscriptionSegment>>,
    /// Billing usage, by tokens or by duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<TranscriptionUsage>,
    /// Fields this crate does not know (logprobs, languages), kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A word with its time span.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TranscriptionWord {
    /// The word.
    pub word: String,
    /// Start, seconds.
    pub start: f64,
    /// End, seconds.
    pub end: f64,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A segment of a verbose transcription.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TranscriptionSegment {
    /// Segment id: a number in `verbose_json`, a string (`seg_001`) in `diarized_json`.
    #[serde(default)]
    pub id: SegmentId,
    /// Start, seconds.
    #[serde(default)]
    pub start: f64,
    /// End, seconds.
    #[serde(default)]
    pub end: f64,
    /// The segment's text.
    #[serde(default)]
    pub text: String,
    /// Fields this crate does not know (seek, tokens, logprob statistics), kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A transcription segment's id, numeric or textual depending on the format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SegmentId {
    /// `verbose_json`: 0, 1, 2, ...
    Number(u64),
    /// `diarized_json`: `seg_001`, ...
    Text(String),
}

impl Default for SegmentId {
    fn default() -> Self {
        SegmentId::Number(0)
    }
}

/// Billing usage of a transcription: `{"type": "tokens", ...}` or `{"type": "duration", "seconds"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TranscriptionUsage {
    /// `tokens` or `duration`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Billed audio seconds (`duration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// Input tokens (`tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u32>,
    /// Output tokens (`tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u32>,
    /// Total tokens (`tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_tokens: Option<u32>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Audio container of synthesized speech.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum SpeechFormat {
    /// MP3 (the default).
    #[default]
    Mp3,
    /// Opus in Ogg.
    Opus,
    /// AAC.
    Aac,
    /// FLAC.
    Flac,
    /// WAV (PCM in RIFF).
    Wav,
    /// Raw 24 kHz 16-bit little-endian mono PCM.
    Pcm,
    /// A value this crate does not know.
    Other(String),
}

impl SpeechFormat {
    /// The MIME type a server answers with for this format.
    pub fn content_type(&self) -> &str {
        match self {
            SpeechFormat::Mp3 => "audio/mpeg",
            SpeechFormat::Opus => "audio/ogg",
            SpeechFormat::Aac => "audio/aac",
            SpeechFormat::Flac => "audio/flac",
            SpeechFormat::Wav => "audio/wav",
            SpeechFormat::Pcm => "audio/pcm",
            SpeechFormat::Other(_) => "application/octet-stream",
        }
    }
}

impl StringEnum for SpeechFormat {
    fn as_str(&self) -> &str {
        match self {
            SpeechFormat::Mp3 => "mp3",
            SpeechFormat::Opus => "opus",
            SpeechFormat::Aac => "aac",
            SpeechFormat::Flac => "flac",
            SpeechFormat::Wav => "wav",
            SpeechFormat::Pcm => "pcm",
            SpeechFormat::Other(s) => s,
        }
    }
    fn from_wire(s: &str) -> Self {
        match s {
            "mp3" => SpeechFormat::Mp3,
            "opus" => SpeechFormat::Opus,
            "aac" => SpeechFormat::Aac,
            "flac" => SpeechFormat::Flac,
            "wav" => SpeechFormat::Wav,
            "pcm" => SpeechFormat::Pcm,
            other => SpeechFormat::Other(other.to_owned()),
        }
    }
}
string_enum_serde!(SpeechFormat);

/// A voice: a built-in name (`alloy`, `coral`, ...) or a custom voice id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Voice {
    /// A built-in voice by name.
    Named(String),
    /// A custom voice reference `{"id": "voice_..."}`.
    Custom {
        /// The custom voice's id.
        id: String,
    },
}

impl From<&str> for Voice {
    fn from(name: &str) -> Self {
        Voice::Named(name.to_owned())
    }
}

/// `POST /v1/audio/speech` request body.
///
/// # Examples
///
/// ```
/// use shepherd_types::audio::{SpeechFormat, SpeechRequest};
///
/// let req = SpeechRequest::new("tts-1", "Guten Tag", "alloy").format(SpeechFormat::Wav);
/// let json = serde_json::to_value(&req).unwrap();
/// assert_eq!(json["voice"], "alloy");
/// assert_eq!(json["response_format"], "wav");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeechRequest {
    /// Model id, e.g. `tts-1`, `gpt-4o-mini-tts`.
    pub model: String,
    /// Text to speak (at most 4096 characters).
    pub input: String,
    /// The voice.
    pub voice: Voice,
    /// Speaking instructions (not for `tts-1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Audio container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<SpeechFormat>,
    /// Speed, 0.25 to 4.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<f32>,
    /// `audio` (raw bytes, the default) or `sse`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_format: Option<String>,
    /// Fields this crate does not know, sent as given.
    #[serde(flatten)]
    pub extra: Extra,
}

impl SpeechRequest {
    /// A request to speak `input` with `voice` using `model`.
    pub fn new(
        model: impl Into<String>,
        input: impl Into<String>,
        voice: impl Into<Voice>,
    ) -> Self {
        SpeechRequest {
            model: model.into(),
            input: input.into(),
            voice: voice.into(),
            instructions: None,
            response_format: None,
            speed: None,
            stream_format: None,
            extra: Extra::new(),
        }
    }

    /// Sets `response_format`.
    pub fn format(mut self, format: SpeechFormat) -> Self {
        self.response_format = Some(format);
        self
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn verbose_json_reads() {
        let t: Transcription = serde_json::from_str(
            r#"{"task":"transcribe","language":"english","duration":8.47,"text":"The beach.",
                "words":[{"word":"The","start":0.0,"end":0.24}],
                "segments":[{"id":0,"seek":0,"start":0.0,"end":3.3,"text":" The beach.","tokens":[50364],
                             "temperature":0.0,"avg_logprob":-0.28,"compression_ratio":1.2,"no_speech_prob":0.0}],
                "usage":{"type":"duration","seconds":9}}"#,
        )
        .unwrap();
        assert_eq!(t.duration, Some(8.47));
        assert_eq!(t.words.as_ref().unwrap()[0].word, "The");
        assert_eq!(t.usage.as_ref().unwrap().seconds, Some(9.0));
        assert_eq!(t.extra["task"], "transcribe");
    }

    #[test]
    fn custom_voice() {
        let v: Voice = serde_json::from_str(r#"{"id":"voice_1"}"#).unwrap();
        assert_eq!(
            v,
            Voice::Custom {
                id: "voice_1".into()
            }
        );
        let v: Voice = serde_json::from_str(r#""marin""#).unwrap();
        assert_eq!(v, Voice::Named("marin".into()));
    }

    #[test]
    fn form_fields_arrays() {
        let mut req = TranscriptionRequest::new("whisper-1");
        req.timestamp_granularities = vec!["word".into(), "segment".into()];
        let fields = req.form_fields();
        assert_eq!(
            fields
                .iter()
                .filter(|(k, _)| k == "timestamp_granularities[]")
                .count(),
            2
        );
    }
}
