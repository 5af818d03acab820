//! Text to speech, streamed chunk by chunk into a file (it appears under its name only
//! once complete), with the cost from the price table.
//!
//! ```text
//! OPENAI_API_KEY=sk-... cargo run -p examples --example speech [OUTPUT.wav]
//! ```
//!
//! Without `OPENAI_API_KEY` it starts `shepherd-mock` on loopback, which answers with a
//! WAV tone as long as the text would take to say. The default output is `speech.wav`
//! in the system's temporary directory.

use std::path::PathBuf;

use shepherd::Client;
use shepherd::types::audio::{SpeechFormat, SpeechRequest};
use shepherd_mock::MockServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _mock) = if std::env::var_os("OPENAI_API_KEY").is_some() {
        println!("using the provider from OPENAI_API_KEY / OPENAI_BASE_URL");
        (Client::from_env()?, None)
    } else {
        let mock = MockServer::builder().latency_ms(50).start().await?;
        println!(
            "OPENAI_API_KEY is not set: using shepherd-mock at {}",
            mock.base_url()
        );
        (
            Client::builder().base_url(mock.base_url()).build()?,
            Some(mock),
        )
    };
    let output = std::env::args_os()
        .nth(1)
        .map_or_else(|| std::env::temp_dir().join("speech.wav"), PathBuf::from);

    let text = "Guten Tag! Your order of product forty-two has shipped and will arrive on Friday.";
    let request = SpeechRequest::new("tts-1", text, "alloy").format(SpeechFormat::Wav);
    let (written, meta) = client.speech_to_file(request, &output).await?.into_parts();

    println!("wrote {written} bytes to {}", output.display());
    println!(
        "status {} in {:?}, {} attempt(s)",
        meta.status, meta.latency, meta.attempts
    );
    match meta.cost_usd {
        Some(usd) => println!("cost: ${usd:.6} for {} characters", text.chars().count()),
        None => println!("cost: unknown (the price table has no entry for this model)"),
    }

    // A quick look at what arrived: a WAV file starts with RIFF....WAVE.
    let head = std::fs::read(&output)?;
    let is_wav =
        head.get(0..4) == Some(b"RIFF".as_slice()) && head.get(8..12) == Some(b"WAVE".as_slice());
    println!("looks like a WAV file: {is_wav}");
    Ok(())
}
