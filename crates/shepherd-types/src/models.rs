//! Models: `GET /v1/models`.

use serde::{Deserialize, Serialize};

use crate::Extra;

/// A model the server offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Model id, used as `model` in requests.
    pub id: String,
    /// Always `model`.
    #[serde(default = "model")]
    pub object: String,
    /// Unix seconds; 0 when a server leaves it out.
    #[serde(default)]
    pub created: i64,
    /// Owning organisation; empty when a server leaves it out.
    #[serde(default)]
    pub owned_by: String,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

fn model() -> String {
    "model".to_owned()
}

/// `GET /v1/models` response.
///
/// # Examples
///
/// ```
/// use shepherd_types::models::ModelList;
///
/// let list: ModelList = serde_json::from_str(
///     r#"{"object":"list","data":[{"id":"gpt-4.1","object":"model","created":1,"owned_by":"openai"}]}"#,
/// ).unwrap();
/// assert!(list.contains("gpt-4.1"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelList {
    /// Always `list`.
    #[serde(default = "list")]
    pub object: String,
    /// The models.
    pub data: Vec<Model>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

fn list() -> String {
    "list".to_owned()
}

impl ModelList {
    /// True when a model with this id is listed.
    pub fn contains(&self, id: &str) -> bool {
        self.data.iter().any(|m| m.id == id)
    }
}
