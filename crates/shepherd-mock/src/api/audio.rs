//! `POST /v1/audio/transcriptions` (text derived from the upload) and `/v1/audio/speech` (WAV).

use bytes::Bytes;
use serde_json::{Value, json};

use super::Ctx;
use super::multipart::{self, Part};
use crate::respond::{Answer, ApiError};
use crate::synth::{self, estimate_tokens};

const SPEECH_RATE: u32 = 24_000;
/// Characters spoken per second at speed 1.0 (about 150 words a minute).
const CHARS_PER_SEC: f64 = 15.0;

/// Duration of an upload: exact for PCM WAV, else as if it were 128 kbit/s audio.
pub(crate) fn audio_seconds(data: &[u8]) -> f64 {
    if let Some(seconds) = wav_seconds(data) {
        return seconds;
    }
    data.len() as f64 / 16_000.0
}

fn wav_seconds(data: &[u8]) -> Option<f64> {
    if data.len() < 44 || &data[0..4] != b"RIFF" || &data[8..12] != b"WAVE" {
        return None;
    }
    let byte_rate = u32::from_le_bytes(data.get(28..32)?.try_into().ok()?);
    if byte_rate == 0 {
        return None;
    }
    // Walk the chunks to find `data`; its declared size may exceed a truncated file.
    let mut pos = 12;
    while pos + 8 <= data.len() {
        let size = u32::from_le_bytes(data[pos + 4..pos + 8].try_into().ok()?) as usize;
        if &data[pos..pos + 4] == b"data" {
            let available = data.len().saturating_sub(pos + 8).min(size);
            return Some(available as f64 / f64::from(byte_rate));
        }
        pos = pos.checked_add(8 + size + size % 2)?;
    }
    None
}

fn field<'a>(parts: &'a [Part], name: &str) -> Option<&'a Part> {
    parts.iter().find(|p| p.name == name)
}

pub(crate) fn transcribe(ctx: &Ctx<'_>) -> Result<Answer, ApiError> {
    let boundary = multipart::boundary(ctx.headers)
        .ok_or_else(|| ApiError::invalid("Expected a multipart/form-data body with a boundary."))?;
    let parts = multipart::parse(ctx.body, &boundary)
        .ok_or_else(|| ApiError::invalid("The multipart body could not be parsed."))?;
    let file = field(&parts, "file").ok_or_else(|| ApiError::missing("file"))?;
    field(&parts, "model")
        .and_then(Part::text)
        .ok_or_else(|| ApiError::missing("model"))?;
    let format = field(&parts, "response_format")
        .and_then(Part::text)
        .unwrap_or("json");
    let language = field(&parts, "language")
        .and_then(Part::text)
        .unwrap_or("en");
    if file.data.is_empty() {
        return Err(ApiError::invalid("The audio file is empty."));
    }
    let hash = synth::fnv1a(&file.data);
    let seconds = audio_seconds(&file.data);
    // About 2.5 spoken words a second, bounded so huge uploads stay cheap.
    let word_count = ((seconds * 2.5).round() as usize).clamp(1, 400);
    let text = format!(
        "transcript of {} bytes #{:08x}: {}",
        file.data.len(),
        hash >> 32,
        synth::words(hash, word_count)
    );
    let usage = json!({ "type": "duration", "seconds": seconds.ceil() as u64 });
    let segments = segments(&text, seconds);
    match format {
        "json" => Ok(Answer::json(&json!({ "text": text, "usage": usage }), 0)),
        "text" => Ok(Answer::bytes(
            "text/plain; charset=utf-8",
            format!("{text}\n"),
        )),
        "verbose_json" => {
            let body = json!({
                "task": "transcribe",
                "language": language_name(language),
                "duration": seconds,
                "text": text,
                "segments": segments.iter().enumerate().map(|(i, (start, end, t))| json!({
                    "id": i, "seek": 0, "start": start, "end": end, "text": t,
                    "tokens": [], "temperature": 0.0, "avg_logprob": -0.25,
                    "compression_ratio": 1.2, "no_speech_prob": 0.01,
                })).collect::<Vec<_>>(),
                "usage": usage,
            });
            Ok(Answer::json(&body, 0))
        }
        "srt" | "vtt" => {
            let mut out = if format == "vtt" {
                String::from("WEBVTT\n\n")
            } else {
                String::new()
            };
            for (i, (start, end, t)) in segments.iter().enumerate() {
                if format == "srt" {
                    out.push_str(&format!(
                        "{}\n{} --> {}\n{}\n\n",
                        i + 1,
                        stamp(*start, ','),
                        stamp(*end, ','),
                        t
                    ));
                } else {
                    out.push_str(&format!(
                        "{} --> {}\n{}\n\n",
                        stamp(*start, '.'),
                        stamp(*end, '.'),
                        t
                    ));
                }
            }
            Ok(Answer::bytes("text/plain; charset=utf-8", out))
        }
        other => Err(ApiError::invalid(format!(
            "Invalid 'response_format': {other:?}. Expected json, text, srt, verbose_json or vtt."
        ))),
    }
}

fn language_name(code: &str) -> &str {
    match code {
        "en" => "english",
        "de" => "german",
        "fr" => "french",
        "es" => "spanish",
        other => other,
    }
}

/// Ten words a segment, spread evenly over the duration.
fn segments(text: &str, seconds: f64) -> Vec<(f64, f64, String)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let chunks: Vec<String> = words.chunks(10).map(|c| c.join(" ")).collect();
    let per = seconds / chunks.len().max(1) as f64;
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, t)| (i as f64 * per, (i + 1) as f64 * per, t))
        .collect()
}

fn stamp(seconds: f64, separator: char) -> String {
    let ms = (seconds * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}{separator}{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

pub(crate) fn speech(ctx: &Ctx<'_>) -> Result<Answer, ApiError> {
    let request = ctx.json()?;
    let input = request
        .get("input")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("input"))?;
    request
        .get("model")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("model"))?;
    request
        .get("voice")
        .ok_or_else(|| ApiError::missing("voice"))?;
    if input.chars().count() > 4096 {
        return Err(ApiError::invalid(
            "Invalid 'input': string too long. Expected a string with maximum length 4096.",
        ));
    }
    let speed = request.get("speed").and_then(Value::as_f64).unwrap_or(1.0);
    if !(0.25..=4.0).contains(&speed) {
        return Err(ApiError::invalid(
            "Invalid 'speed': must be between 0.25 and 4.0.",
        ));
    }
    let seconds = (input.chars().count() as f64 / CHARS_PER_SEC).max(0.2) / speed;
    let samples = tone(synth::fnv1a(input.as_bytes()), seconds);
    let tokens = estimate_tokens(input);
    match request
        .get("response_format")
        .and_then(Value::as_str)
        .unwrap_or("mp3")
    {
        "pcm" => Ok(Answer::Whole {
            status: http::StatusCode::OK,
            content_type: "audio/pcm",
            body: Bytes::from(samples),
            tokens,
        }),
        _ => Ok(Answer::Whole {
            status: http::StatusCode::OK,
            content_type: "audio/wav",
            body: Bytes::from(wav(&samples)),
            tokens,
        }),
    }
}

/// 16-bit mono little-endian samples of a quiet sine whose pitch follows the hash.
fn tone(hash: u64, seconds: f64) -> Vec<u8> {
    let count = (seconds * f64::from(SPEECH_RATE)) as usize;
    let freq = 200.0 + (hash % 400) as f64;
    let mut out = Vec::with_capacity(count * 2);
    for i in 0..count {
        let t = i as f64 / f64::from(SPEECH_RATE);
        let sample = ((std::f64::consts::TAU * freq * t).sin() * 3000.0) as i16;
        out.extend_from_slice(&sample.to_le_bytes());
    }
    out
}

/// A canonical 44-byte-header PCM WAV around `samples`.
fn wav(samples: &[u8]) -> Vec<u8> {
    let data_len = u32::try_from(samples.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(44 + samples.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&SPEECH_RATE.to_le_bytes());
    out.extend_from_slice(&(SPEECH_RATE * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.extend_from_slice(samples);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_wav_reads_back_its_duration() {
        let w = wav(&tone(1, 2.0));
        let seconds = wav_seconds(&w).expect("a wav");
        assert!((seconds - 2.0).abs() < 1e-3, "{seconds}");
        assert_eq!(audio_seconds(&[0u8; 32_000]), 2.0);
    }

    #[test]
    fn timestamps() {
        assert_eq!(stamp(3725.5, ','), "01:02:05,500");
        assert_eq!(segments("a b c", 3.0).len(), 1);
    }
}
