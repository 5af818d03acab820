//! `GET /v1/models` and `GET /v1/models/{id}`.

use serde_json::{Value, json};

use super::Ctx;
use crate::respond::{Answer, ApiError};

fn model(id: &str) -> Value {
    let owner = if id.starts_with("claude") {
        "anthropic"
    } else {
        "system"
    };
    json!({ "id": id, "object": "model", "created": 1_700_000_000, "owned_by": owner })
}

pub(crate) fn list(ctx: &Ctx<'_>) -> Result<Answer, ApiError> {
    let data: Vec<Value> = ctx.shared.config.models.iter().map(|m| model(m)).collect();
    Ok(Answer::json(&json!({ "object": "list", "data": data }), 0))
}

pub(crate) fn retrieve(ctx: &Ctx<'_>, id: &str) -> Result<Answer, ApiError> {
    if ctx.shared.config.models.iter().any(|m| m == id) {
        Ok(Answer::json(&model(id), 0))
    } else {
        Err(ApiError::not_found(format!(
            "The model '{id}' does not exist or you do not have access to it."
        ))
        .with_code("model_not_found"))
    }
}
