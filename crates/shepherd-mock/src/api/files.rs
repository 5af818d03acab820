//! `/v1/files`: upload, list, retrieve, content and delete, kept in memory.

use std::collections::BTreeMap;
use std::sync::Mutex;

use bytes::Bytes;
use serde_json::{Value, json};

use super::multipart::{self, Part};
use super::{Ctx, query_param, unix_now};
use crate::respond::{Answer, ApiError};
use crate::synth;

#[derive(Debug, Clone)]
struct StoredFile {
    object: Value,
    content: Bytes,
}

/// Every file the server holds, uploaded or produced by a batch.
#[derive(Debug, Default)]
pub(crate) struct Store {
    files: Mutex<BTreeMap<String, StoredFile>>,
    next: Mutex<u64>,
}

impl Store {
    /// Stores `content` and returns its file object.
    pub(crate) fn insert(&self, filename: &str, purpose: &str, content: Bytes) -> Value {
        let n = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            *next += 1;
            *next
        };
        let id = format!(
            "file-{}",
            synth::id_from(n ^ synth::fnv1a(filename.as_bytes()))
        );
        let object = json!({
            "id": id,
            "object": "file",
            "bytes": content.len(),
            "created_at": unix_now(),
            "expires_at": null,
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
            "status_details": null,
        });
        self.files.lock().unwrap_or_else(|e| e.into_inner()).insert(
            id,
            StoredFile {
                object: object.clone(),
                content,
            },
        );
        object
    }

    pub(crate) fn content(&self, id: &str) -> Option<Bytes> {
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .map(|f| f.content.clone())
    }

    fn object(&self, id: &str) -> Option<Value> {
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .map(|f| f.object.clone())
    }
}

fn no_such_file(id: &str) -> ApiError {
    ApiError::not_found(format!("No such File object: {id}"))
}

pub(crate) fn upload(ctx: &Ctx<'_>) -> Result<Answer, ApiError> {
    let boundary = multipart::boundary(ctx.headers)
        .ok_or_else(|| ApiError::invalid("Expected a multipart/form-data body with a boundary."))?;
    let parts = multipart::parse(ctx.body, &boundary)
        .ok_or_else(|| ApiError::invalid("The multipart body could not be parsed."))?;
    let file = parts
        .iter()
        .find(|p| p.name == "file")
        .ok_or_else(|| ApiError::missing("file"))?;
    let purpose = parts
        .iter()
        .find(|p| p.name == "purpose")
        .and_then(Part::text)
        .ok_or_else(|| ApiError::missing("purpose"))?;
    if purpose == "batch" {
        validate_batch_input(&file.data)?;
    }
    let filename = file.filename.as_deref().unwrap_or("upload");
    let object = ctx
        .shared
        .files
        .insert(filename, purpose, file.data.clone());
    Ok(Answer::json(&object, 0))
}

/// Batch input must be JSON lines, each with `custom_id`, `method`, `url` and `body`.
fn validate_batch_input(data: &[u8]) -> Result<(), ApiError> {
    let text = std::str::from_utf8(data)
        .map_err(|_| ApiError::invalid("Batch input must be UTF-8 JSON lines."))?;
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let ok = serde_json::from_str::<Value>(line).ok().is_some_and(|v| {
            v.get("custom_id").is_some_and(Value::is_string)
                && v.get("url").is_some_and(Value::is_string)
                && v.get("body").is_some_and(Value::is_object)
        });
        if !ok {
            return Err(ApiError::invalid(format!(
                "Invalid batch input on line {}: expected a JSON object with custom_id, method, url and body.",
                i + 1
            )));
        }
    }
    Ok(())
}

pub(crate) fn list(ctx: &Ctx<'_>) -> Result<Answer, ApiError> {
    let purpose = query_param(ctx.query, "purpose");
    let files = ctx
        .shared
        .files
        .files
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let data: Vec<Value> = files
        .values()
        .filter(|f| purpose.is_none_or(|p| f.object["purpose"] == p))
        .map(|f| f.object.clone())
        .collect();
    Ok(Answer::json(
        &json!({ "object": "list", "data": data, "has_more": false }),
        0,
    ))
}

pub(crate) fn retrieve(ctx: &Ctx<'_>, id: &str) -> Result<Answer, ApiError> {
    let object = ctx
        .shared
        .files
        .object(id)
        .ok_or_else(|| no_such_file(id))?;
    Ok(Answer::json(&object, 0))
}

pub(crate) fn content(ctx: &Ctx<'_>, id: &str) -> Result<Answer, ApiError> {
    let content = ctx
        .shared
        .files
        .content(id)
        .ok_or_else(|| no_such_file(id))?;
    Ok(Answer::bytes("application/octet-stream", content))
}

pub(crate) fn delete(ctx: &Ctx<'_>, id: &str) -> Result<Answer, ApiError> {
    let removed = ctx
        .shared
        .files
        .files
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(id);
    removed.ok_or_else(|| no_such_file(id))?;
    Ok(Answer::json(
        &json!({ "id": id, "object": "file", "deleted": true }),
        0,
    ))
}
