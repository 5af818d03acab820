//! The one-request subcommands: `chat`, `embed`, `transcribe`, `speak`, `models`.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use clap::Args;
use futures_util::StreamExt;
use shepherd::types::audio::{SpeechRequest, TranscriptionRequest};
use shepherd::types::chat::ChatRequest;
use shepherd::types::embeddings::EmbeddingRequest;

use crate::{Connection, Fatal};

/// Flags of `shepherd chat`.
#[derive(Debug, Args)]
pub(crate) struct ChatArgs {
    /// The message; read from stdin when absent.
    prompt: Option<String>,
    /// Model to ask.
    #[arg(long, short, default_value = "gpt-4.1-mini")]
    model: String,
    /// A system message.
    #[arg(long)]
    system: Option<String>,
    #[command(flatten)]
    connection: Connection,
}

/// Flags of `shepherd embed`.
#[derive(Debug, Args)]
pub(crate) struct EmbedArgs {
    /// Texts to embed; one per stdin line when absent.
    texts: Vec<String>,
    /// Embedding model.
    #[arg(long, short, default_value = "text-embedding-3-small")]
    model: String,
    #[command(flatten)]
    connection: Connection,
}

/// Flags of `shepherd transcribe`.
#[derive(Debug, Args)]
pub(crate) struct TranscribeArgs {
    /// Audio file (mp3, wav, m4a, ogg, flac, webm).
    file: PathBuf,
    /// Transcription model.
    #[arg(long, short, default_value = "whisper-1")]
    model: String,
    /// Language of the audio (ISO-639-1, e.g. `de`), when known.
    #[arg(long)]
    language: Option<String>,
    #[command(flatten)]
    connection: Connection,
}

/// Flags of `shepherd speak`.
#[derive(Debug, Args)]
pub(crate) struct SpeakArgs {
    /// Text to speak.
    text: String,
    /// Audio file to write (format from the server's default, mp3).
    #[arg(long, short)]
    output: PathBuf,
    /// Speech model.
    #[arg(long, short, default_value = "gpt-4o-mini-tts")]
    model: String,
    /// Voice.
    #[arg(long, default_value = "alloy")]
    voice: String,
    #[command(flatten)]
    connection: Connection,
}

fn read_stdin() -> Result<String, Fatal> {
    if std::io::stdin().is_terminal() {
        eprintln!("(reading from stdin; end with Ctrl-D)");
    }
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    Ok(text)
}

/// Streams a chat answer to stdout as tokens arrive.
pub(crate) async fn chat(args: ChatArgs) -> Result<(), Fatal> {
    let prompt = match args.prompt {
        Some(p) => p,
        None => read_stdin()?,
    };
    if prompt.trim().is_empty() {
        return Err(Fatal(
            "nothing to send: give a prompt argument or pipe one into stdin".into(),
        ));
    }
    let client = args.connection.client().await?;
    let mut request = ChatRequest::new(args.model);
    if let Some(system) = args.system {
        request = request.system(system);
    }
    let mut stream = client.chat_stream(request.user(prompt)).await?;
    let mut out = std::io::stdout().lock();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        out.write_all(chunk.text().as_bytes())?;
        out.flush()?;
    }
    writeln!(out)?;
    Ok(())
}

/// Prints one JSON line per text: `{"text", "dimensions", "embedding"}`.
pub(crate) async fn embed(args: EmbedArgs) -> Result<(), Fatal> {
    let texts = if args.texts.is_empty() {
        read_stdin()?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect()
    } else {
        args.texts
    };
    if texts.is_empty() {
        return Err(Fatal(
            "nothing to embed: give texts as arguments or one per stdin line".into(),
        ));
    }
    let client = args.connection.client().await?;
    let response = client
        .embeddings(EmbeddingRequest::new(args.model, texts.clone()))
        .await?;
    let mut out = std::io::stdout().lock();
    for item in &response.data {
        let vector = serde_json::to_value(&item.embedding)?;
        let dimensions = vector.as_array().map_or(0, Vec::len);
        let text = texts.get(item.index as usize).map_or("", String::as_str);
        let line =
            serde_json::json!({ "text": text, "dimensions": dimensions, "embedding": vector });
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Prints the transcript.
pub(crate) async fn transcribe(args: TranscribeArgs) -> Result<(), Fatal> {
    if !args.file.is_file() {
        return Err(Fatal(format!(
            "{}: no such audio file",
            args.file.display()
        )));
    }
    let client = args.connection.client().await?;
    let mut request = TranscriptionRequest::new(args.model);
    if let Some(language) = args.language {
        request = request.language(language);
    }
    let transcript = client.transcribe_file(&args.file, request).await?;
    println!("{}", transcript.text);
    Ok(())
}

/// Writes synthesized speech to a file.
pub(crate) async fn speak(args: SpeakArgs) -> Result<(), Fatal> {
    let client = args.connection.client().await?;
    let request = SpeechRequest::new(args.model, args.text, args.voice.as_str());
    let written = client.speech_to_file(request, &args.output).await?;
    eprintln!("wrote {} bytes to {}", *written, args.output.display());
    Ok(())
}

/// Lists model ids, one per line.
pub(crate) async fn models(connection: Connection) -> Result<(), Fatal> {
    let client = connection.client().await?;
    let list = client.models().await?;
    let mut ids: Vec<&str> = list.data.iter().map(|m| m.id.as_str()).collect();
    ids.sort_unstable();
    let mut out = std::io::stdout().lock();
    for id in ids {
        writeln!(out, "{id}")?;
    }
    Ok(())
}
