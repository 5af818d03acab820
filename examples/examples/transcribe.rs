//! Speech to text: a file is streamed to the server (never read whole) and its transcript
//! comes back with its duration-based cost.
//!
//! ```text
//! OPENAI_API_KEY=sk-... cargo run -p examples --example transcribe [AUDIO_FILE]
//! ```
//!
//! Without a file argument it first synthesizes a short WAV with the speech endpoint, so
//! it runs anywhere. Without `OPENAI_API_KEY` it starts `shepherd-mock` on loopback, whose
//! transcript names the byte count and a hash of the audio it received.

use std::path::PathBuf;

use shepherd::Client;
use shepherd::types::audio::{SpeechFormat, SpeechRequest, TranscriptionRequest};
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

    let audio = match std::env::args_os().nth(1) {
        Some(path) => PathBuf::from(path),
        None => {
            let path = std::env::temp_dir().join("shepherd-transcribe-input.wav");
            let text = "The delivery arrived two days early and the tent is excellent.";
            let request = SpeechRequest::new("tts-1", text, "alloy").format(SpeechFormat::Wav);
            let bytes = client.speech_to_file(request, &path).await?.into_inner();
            println!(
                "synthesized {bytes} bytes of speech into {}",
                path.display()
            );
            path
        }
    };

    let request = TranscriptionRequest::new("whisper-1").language("en");
    let transcript = client.transcribe_file(&audio, request).await?;

    println!("transcript: {}", transcript.text);
    let meta = transcript.meta();
    println!(
        "status {} in {:?}, {} attempt(s)",
        meta.status, meta.latency, meta.attempts
    );
    if let Some(seconds) = transcript.usage.as_ref().and_then(|u| u.seconds) {
        println!("audio length billed: {seconds} s");
    }
    match meta.cost_usd {
        Some(usd) => println!("cost: ${usd:.6}"),
        None => println!("cost: unknown (no duration reported, or no price for the model)"),
    }
    Ok(())
}
