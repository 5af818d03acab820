//! Conversion of a chat completion request into a Messages request.

use std::fmt;

use serde_json::{Map, Value};

use super::content::{
    ContentBlock, ImageBlock, ImageSource, ToolResultBlock, ToolResultContent, ToolUseBlock,
};
use super::request::{
    InputMessage, MessageContent, MessagesRequest, Metadata, Role, SystemPrompt, Tool, ToolChoice,
    ToolChoiceKind,
};
use crate::Extra;
use crate::chat::{
    AssistantMessage, ChatRequest, Content, ContentPart, Message, ResponseFormat, Stop,
    ToolChoice as ChatToolChoice, ToolChoiceMode, ToolType,
};

/// `max_tokens` of a converted request whose chat request sets neither
/// `max_completion_tokens` nor `max_tokens` (the Messages API requires one).
///
/// 4096 fits every current Claude model's output limit while leaving room
/// for a full answer; set `max_completion_tokens` for anything longer.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

/// A chat request uses something the Messages API cannot express.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionError {
    what: String,
}

impl ConversionError {
    fn new(what: impl Into<String>) -> Self {
        ConversionError { what: what.into() }
    }

    /// What could not be converted.
    pub fn what(&self) -> &str {
        &self.what
    }
}

impl fmt::Display for ConversionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot express in an Anthropic Messages request: {}",
            self.what
        )
    }
}

impl std::error::Error for ConversionError {}

impl TryFrom<&ChatRequest> for MessagesRequest {
    type Error = ConversionError;

    /// See [`MessagesRequest::from_chat`].
    fn try_from(req: &ChatRequest) -> Result<Self, ConversionError> {
        MessagesRequest::from_chat(req)
    }
}

impl MessagesRequest {
    /// The Messages request that asks the same as a chat completion request.
    ///
    /// - `system` and `developer` messages, wherever they appear, become the
    ///   top-level `system` text blocks, in order;
    /// - `tool` messages become `tool_result` blocks in a user turn, and
    ///   consecutive turns of the same role are merged (the API wants
    ///   alternating turns, and all results of one assistant turn together);
    /// - assistant `tool_calls` become `tool_use` blocks (`arguments` parsed;
    ///   empty arguments are `{}`);
    /// - image parts become image blocks (`data:` URLs inline as base64),
    ///   `file` parts with inline `data:` PDF/text become document blocks;
    /// - function tools become tools with `input_schema` = `parameters`;
    ///   `tool_choice` `auto`/`required`/`none`/named map to
    ///   `auto`/`any`/`none`/`tool`; `parallel_tool_calls: false` sets
    ///   `disable_parallel_tool_use`;
    /// - `max_tokens` is `max_completion_tokens`, else `max_tokens`, else
    ///   [`DEFAULT_MAX_TOKENS`]; `stop` becomes `stop_sequences`; `user`
    ///   becomes `metadata.user_id`; `temperature`, `top_p` and `stream`
    ///   are copied as they are (Anthropic's temperature range is 0–1);
    /// - fields in the chat request's `extra` (e.g. `top_k` or `thinking`,
    ///   set with `ChatRequest::param`) are passed through.
    ///
    /// Dropped, because the API has no equivalent: `seed`, penalties,
    /// `logit_bias`, `store`, `metadata`, `service_tier`, `reasoning_effort`,
    /// `stream_options` (usage is always streamed).
    ///
    /// # Errors
    ///
    /// [`ConversionError`] for what would change the answer's shape: `n > 1`,
    /// `logprobs`, a `response_format` other than text, audio or file-id
    /// parts, non-function tools, roles or parts this crate does not know,
    /// and tool call arguments that are not JSON.
    ///
    /// # Examples
    ///
    /// ```
    /// use shepherd_types::anthropic::MessagesRequest;
    /// use shepherd_types::chat::ChatRequest;
    ///
    /// let chat = ChatRequest::new("claude-sonnet-4-5").system("Be brief.").user("Hi");
    /// let req = MessagesRequest::from_chat(&chat).unwrap();
    /// let body = serde_json::to_value(&req).unwrap();
    /// assert_eq!(body["system"][0]["text"], "Be brief.");
    /// assert_eq!(body["messages"][0]["role"], "user");
    /// assert_eq!(body["max_tokens"], 4096);
    /// ```
    pub fn from_chat(req: &ChatRequest) -> Result<Self, ConversionError> {
        if req.n.is_some_and(|n| n > 1) {
            return Err(ConversionError::new("n > 1 (one completion per request)"));
        }
        if req.logprobs == Some(true) {
            return Err(ConversionError::new("logprobs"));
        }
        match &req.response_format {
            None | Some(ResponseFormat::Text) => {}
            Some(_) => return Err(ConversionError::new("response_format other than text")),
        }

        let mut system = Vec::new();
        let mut turns: Vec<(Role, Vec<ContentBlock>)> = Vec::new();
        for message in &req.messages {
            match message {
                Message::System(m) | Message::Developer(m) => {
                    system.push(ContentBlock::text(text_only(&m.content, "system message")?));
                }
                Message::User(m) => push_turn(&mut turns, Role::User, content_blocks(&m.content)?),
                Message::Assistant(m) => {
                    push_turn(&mut turns, Role::Assistant, assistant_blocks(m)?);
                }
                Message::Tool(m) => {
                    let content = match &m.content {
                        Content::Text(s) => ToolResultContent::Text(s.clone()),
                        parts => ToolResultContent::Blocks(content_blocks(parts)?),
                    };
                    let result = ToolResultBlock {
                        tool_use_id: m.tool_call_id.clone(),
                        content: Some(content),
                        is_error: None,
                        extra: Extra::new(),
                    };
                    push_turn(&mut turns, Role::User, vec![result.into()]);
                }
                Message::Other(_) => {
                    return Err(ConversionError::new(format!("role `{}`", message.role())));
                }
            }
        }

        let mut out = MessagesRequest::new(
            req.model.clone(),
            req.max_completion_tokens
                .or(req.max_tokens)
                .unwrap_or(DEFAULT_MAX_TOKENS),
        );
        out.messages = turns
            .into_iter()
            .map(|(role, blocks)| to_message(role, blocks))
            .collect();
        out.system = (!system.is_empty()).then_some(SystemPrompt::Blocks(system));
        out.stop_sequences = req.stop.as_ref().map(|s| match s {
            Stop::One(s) => vec![s.clone()],
            Stop::Many(v) => v.clone(),
        });
        out.stream = req.stream;
        out.temperature = req.temperature;
        out.top_p = req.top_p;
        out.metadata = req.user.as_ref().map(|user| Metadata {
            user_id: Some(user.clone()),
            extra: Extra::new(),
        });
        if let Some(tools) = &req.tools {
            out.tools = Some(tools.iter().map(tool).collect::<Result<_, _>>()?);
        }
        out.tool_choice = req.tool_choice.as_ref().map(tool_choice).transpose()?;
        if req.parallel_tool_calls == Some(false) && req.tools.is_some() {
            let choice = out
                .tool_choice
                .get_or_insert_with(|| ToolChoice::new(ToolChoiceKind::Auto));
            if choice.kind != ToolChoiceKind::None {
                choice.disable_parallel_tool_use = Some(true);
            }
        }
        if !req.extra.is_empty() {
            out = pass_through(out, &req.extra)?;
        }
        Ok(out)
    }
}

/// Adds the chat request's unmodelled fields; a field the Messages request
/// models (`top_k`, `thinking`) lands in its typed slot by re-parsing.
fn pass_through(out: MessagesRequest, extra: &Extra) -> Result<MessagesRequest, ConversionError> {
    let invalid = |e: serde_json::Error| ConversionError::new(format!("extra field: {e}"));
    let Value::Object(mut body) = serde_json::to_value(&out).map_err(invalid)? else {
        return Err(ConversionError::new(
            "request did not serialize to an object",
        ));
    };
    for (key, value) in extra {
        body.entry(key.clone()).or_insert_with(|| value.clone());
    }
    serde_json::from_value(Value::Object(body)).map_err(invalid)
}

fn push_turn(turns: &mut Vec<(Role, Vec<ContentBlock>)>, role: Role, blocks: Vec<ContentBlock>) {
    match turns.last_mut() {
        Some((last, existing)) if *last == role => existing.extend(blocks),
        _ => turns.push((role, blocks)),
    }
}

/// A single plain text block is sent as a string, the API's shorthand.
fn to_message(role: Role, mut blocks: Vec<ContentBlock>) -> InputMessage {
    let content = match blocks.as_slice() {
        [ContentBlock::Text(t)] if t.extra.is_empty() => match blocks.pop() {
            Some(ContentBlock::Text(t)) => MessageContent::Text(t.text),
            _ => MessageContent::Blocks(blocks),
        },
        _ => MessageContent::Blocks(blocks),
    };
    InputMessage {
        role,
        content,
        extra: Extra::new(),
    }
}

fn text_only(content: &Content, what: &str) -> Result<String, ConversionError> {
    match content {
        Content::Text(s) => Ok(s.clone()),
        Content::Parts(parts) => {
            let mut text = String::new();
            for part in parts {
                match part {
                    ContentPart::Text(t) => text.push_str(&t.text),
                    other => {
                        return Err(ConversionError::new(format!(
                            "`{}` part in a {what}",
                            other.kind()
                        )));
                    }
                }
            }
            Ok(text)
        }
    }
}

fn content_blocks(content: &Content) -> Result<Vec<ContentBlock>, ConversionError> {
    match content {
        Content::Text(s) => Ok(vec![ContentBlock::text(s.clone())]),
        Content::Parts(parts) => parts.iter().map(part_block).collect(),
    }
}

fn part_block(part: &ContentPart) -> Result<ContentBlock, ConversionError> {
    match part {
        ContentPart::Text(t) => Ok(ContentBlock::text(t.text.clone())),
        ContentPart::Refusal(r) => Ok(ContentBlock::text(r.refusal.clone())),
        ContentPart::ImageUrl(image) => {
            let url = &image.image_url.url;
            let source = match parse_data_url(url) {
                Some((media_type, data)) => ImageSource::base64(media_type, data),
                None if url.starts_with("data:") => {
                    return Err(ConversionError::new("image data URL that is not base64"));
                }
                None => ImageSource::url(url.clone()),
            };
            Ok(ContentBlock::Image(ImageBlock {
                source,
                extra: Extra::new(),
            }))
        }
        ContentPart::File(file) => {
            let data_url = file.file.file_data.as_deref().and_then(parse_data_url);
            let Some((media_type, data)) = data_url else {
                return Err(ConversionError::new(
                    "file part without inline base64 `file_data` (OpenAI file ids are not portable)",
                ));
            };
            let mut source = Map::new();
            source.insert("type".into(), "base64".into());
            source.insert("media_type".into(), media_type.into());
            source.insert("data".into(), data.into());
            let mut doc = Map::new();
            doc.insert("type".into(), "document".into());
            doc.insert("source".into(), Value::Object(source));
            if let Some(name) = &file.file.filename {
                doc.insert("title".into(), name.clone().into());
            }
            Ok(ContentBlock::Other(doc))
        }
        other => Err(ConversionError::new(format!(
            "`{}` content part",
            other.kind()
        ))),
    }
}

/// `data:<media type>;base64,<data>` → (media type, data).
fn parse_data_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let media_type = meta.strip_suffix(";base64")?;
    (!media_type.is_empty()).then_some((media_type, data))
}

fn assistant_blocks(m: &AssistantMessage) -> Result<Vec<ContentBlock>, ConversionError> {
    let mut blocks = Vec::new();
    if let Some(content) = &m.content {
        blocks.extend(content_blocks(content)?);
    }
    if let Some(refusal) = &m.refusal {
        blocks.push(ContentBlock::text(refusal.clone()));
    }
    // The API rejects empty text blocks; an assistant turn that only
    // called tools often carries `content: ""`.
    blocks.retain(|b| b.as_text() != Some(""));
    for call in m.tool_calls.iter().flatten() {
        if call.kind != ToolType::Function {
            return Err(ConversionError::new(format!("`{}` tool call", call.kind)));
        }
        let args = call.function.arguments.trim();
        let input = if args.is_empty() {
            Value::Object(Map::new())
        } else {
            serde_json::from_str(args).map_err(|e| {
                ConversionError::new(format!(
                    "arguments of tool call `{}` are not JSON: {e}",
                    call.id
                ))
            })?
        };
        blocks.push(
            ToolUseBlock {
                id: call.id.clone(),
                name: call.function.name.clone(),
                input,
                extra: Extra::new(),
            }
            .into(),
        );
    }
    Ok(blocks)
}

fn tool(t: &crate::chat::Tool) -> Result<Tool, ConversionError> {
    if t.kind != ToolType::Function {
        return Err(ConversionError::new(format!("`{}` tool", t.kind)));
    }
    let schema = t.function.parameters.clone().unwrap_or_else(|| {
        // A function without parameters takes none; the API requires a schema.
        let mut schema = Map::new();
        schema.insert("type".into(), "object".into());
        schema.insert("properties".into(), Value::Object(Map::new()));
        Value::Object(schema)
    });
    Ok(Tool {
        name: t.function.name.clone(),
        description: t.function.description.clone(),
        input_schema: Some(schema),
        extra: Extra::new(),
    })
}

fn tool_choice(c: &ChatToolChoice) -> Result<ToolChoice, ConversionError> {
    match c {
        ChatToolChoice::Mode(ToolChoiceMode::Auto) => Ok(ToolChoice::new(ToolChoiceKind::Auto)),
        ChatToolChoice::Mode(ToolChoiceMode::Required) => Ok(ToolChoice::new(ToolChoiceKind::Any)),
        ChatToolChoice::Mode(ToolChoiceMode::None) => Ok(ToolChoice::new(ToolChoiceKind::None)),
        ChatToolChoice::Function(named) => Ok(ToolChoice::tool(named.function.name.clone())),
        ChatToolChoice::Mode(ToolChoiceMode::Other(s)) => {
            Err(ConversionError::new(format!("tool_choice `{s}`")))
        }
        ChatToolChoice::Other(_) => Err(ConversionError::new("tool_choice of an unknown shape")),
    }
}
