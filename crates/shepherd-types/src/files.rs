//! Files: the File object and the list and delete responses of `/v1/files`.

use serde::{Deserialize, Serialize};

use crate::Extra;
use crate::string_enum::{StringEnum, string_enum_serde};

/// What a file is for (`purpose`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FilePurpose {
    /// Input of the Batch API.
    Batch,
    /// Output or error file written by the Batch API.
    BatchOutput,
    /// Fine-tuning data.
    FineTune,
    /// Fine-tuning results.
    FineTuneResults,
    /// Assistants input.
    Assistants,
    /// Assistants output.
    AssistantsOutput,
    /// Images for vision.
    Vision,
    /// General user data.
    UserData,
    /// A value this crate does not know.
    Other(String),
}

impl StringEnum for FilePurpose {
    fn as_str(&self) -> &str {
        match self {
            FilePurpose::Batch => "batch",
            FilePurpose::BatchOutput => "batch_output",
            FilePurpose::FineTune => "fine-tune",
            FilePurpose::FineTuneResults => "fine-tune-results",
            FilePurpose::Assistants => "assistants",
            FilePurpose::AssistantsOutput => "assistants_output",
            FilePurpose::Vision => "vision",
            FilePurpose::UserData => "user_data",
            FilePurpose::Other(s) => s,
        }
    }
    fn from_wire(s: &str) -> Self {
        match s {
            "batch" => FilePurpose::Batch,
            "batch_output" => FilePurpose::BatchOutput,
            "fine-tune" => FilePurpose::FineTune,
            "fine-tune-results" => FilePurpose::FineTuneResults,
            "assistants" => FilePurpose::Assistants,
            "assistants_output" => FilePurpose::AssistantsOutput,
            "vision" => FilePurpose::Vision,
            "user_data" => FilePurpose::UserData,
            other => FilePurpose::Other(other.to_owned()),
        }
    }
}
string_enum_serde!(FilePurpose);

/// An uploaded file (`OpenAIFile` in the spec).
///
/// # Examples
///
/// ```
/// use shepherd_types::files::{FileObject, FilePurpose};
///
/// let f: FileObject = serde_json::from_str(
///     r#"{"id":"file-abc","object":"file","bytes":120,"created_at":1677610602,
///         "filename":"requests.jsonl","purpose":"batch","status":"processed"}"#,
/// ).unwrap();
/// assert_eq!(f.purpose, FilePurpose::Batch);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileObject {
    /// File id, e.g. `file-abc123`.
    pub id: String,
    /// Always `file`.
    #[serde(default = "file")]
    pub object: String,
    /// Size in bytes.
    #[serde(default)]
    pub bytes: u64,
    /// Unix seconds.
    #[serde(default)]
    pub created_at: i64,
    /// Unix seconds after which the file is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Name given at upload.
    #[serde(default)]
    pub filename: String,
    /// What the file is for.
    pub purpose: FilePurpose,
    /// Deprecated processing status (`uploaded`, `processed`, `error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Deprecated details for `status: error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_details: Option<String>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

fn file() -> String {
    "file".to_owned()
}

/// `GET /v1/files` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileList {
    /// Always `list`.
    #[serde(default)]
    pub object: String,
    /// The files.
    pub data: Vec<FileObject>,
    /// Id of the first file in `data`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_id: Option<String>,
    /// Id of the last file in `data` (the cursor for the next page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_id: Option<String>,
    /// True when more files follow.
    #[serde(default)]
    pub has_more: bool,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `DELETE /v1/files/{id}` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeletedFile {
    /// The deleted file's id.
    pub id: String,
    /// Always `file`.
    #[serde(default = "file")]
    pub object: String,
    /// True when the file is gone.
    pub deleted: bool,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}
