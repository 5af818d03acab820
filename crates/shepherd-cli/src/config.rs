//! Building the client from flags and the environment: key, base URL, limits, targets file.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use shepherd::transport::ApiKey;
use shepherd::{Client, ClientBuilder, Target};

use crate::{Connection, Fatal};

/// The default base URL when neither `--base-url` nor `OPENAI_BASE_URL` is set.
pub(crate) const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

impl Connection {
    /// `--base-url`, else `OPENAI_BASE_URL`, else OpenAI's.
    pub(crate) fn resolved_base_url(&self) -> String {
        self.base_url
            .clone()
            .or_else(|| {
                std::env::var("OPENAI_BASE_URL")
                    .ok()
                    .filter(|u| !u.trim().is_empty())
            })
            .unwrap_or_else(|| OPENAI_BASE_URL.to_owned())
            .trim()
            .trim_end_matches('/')
            .to_owned()
    }

    /// The key from the environment variable `--api-key-env` names.
    pub(crate) fn key(&self) -> Result<ApiKey, Fatal> {
        key_from(&self.api_key_env)
    }

    /// A builder for the base URL and key.
    pub(crate) fn builder(&self) -> Result<ClientBuilder, Fatal> {
        Ok(Client::builder()
            .base_url(self.resolved_base_url())
            .api_key(self.key()?))
    }

    /// A client with default settings, after checking the server can be reached.
    pub(crate) async fn client(&self) -> Result<Client, Fatal> {
        let client = self.builder()?.build()?;
        reachable(&self.resolved_base_url()).await?;
        Ok(client)
    }
}

fn key_from(var: &str) -> Result<ApiKey, Fatal> {
    let value = std::env::var(var).unwrap_or_default();
    if value.trim().is_empty() {
        return Err(Fatal(format!(
            "no API key: set the environment variable {var} (or name another variable with --api-key-env)"
        )));
    }
    ApiKey::new(value.trim())
        .map_err(|_| Fatal(format!("the API key in {var} cannot be sent as a header")))
}

/// Fails with a one-line error when nothing listens at the base URL's host and port.
pub(crate) async fn reachable(base_url: &str) -> Result<(), Fatal> {
    let uri: http::Uri = base_url
        .parse()
        .map_err(|_| Fatal(format!("invalid base URL {base_url:?}")))?;
    let host = uri
        .host()
        .ok_or_else(|| Fatal(format!("the base URL {base_url:?} has no host")))?;
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("http") {
            80
        } else {
            443
        });
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::TcpStream::connect((host, port)),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(Fatal(format!(
            "cannot reach {base_url}: {e}; check --base-url or OPENAI_BASE_URL"
        ))),
        Err(_) => Err(Fatal(format!(
            "cannot reach {base_url}: no answer within 10 s; check --base-url or OPENAI_BASE_URL"
        ))),
    }
}

/// A `--targets` file: several endpoints, each with its key variable and limits.
///
/// ```toml
/// [[target]]
/// name = "primary"
/// base_url = "https://api.openai.com/v1"
/// key_env = "OPENAI_KEY_A"
/// rpm = 500
/// tpm = 200000
///
/// [[target]]
/// base_url = "https://backup.example/v1"
/// key_env = "BACKUP_KEY"
/// weight = 2
/// ```
///
/// JSON works too (`{"target": [...]}`), chosen by the `.json` extension. Keys are
/// never in the file, only the names of the variables that hold them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TargetsFile {
    target: Vec<TargetEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetEntry {
    base_url: String,
    key_env: Option<String>,
    name: Option<String>,
    rpm: Option<u64>,
    tpm: Option<u64>,
    weight: Option<u32>,
    max_in_flight: Option<usize>,
}

impl TargetsFile {
    pub(crate) fn read(path: &Path) -> Result<Self, Fatal> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Fatal(format!("{}: {e}", path.display())))?;
        let parsed: TargetsFile = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text).map_err(|e| Fatal(format!("{}: {e}", path.display())))?
        } else {
            toml::from_str(&text).map_err(|e| Fatal(format!("{}: {e}", path.display())))?
        };
        if parsed.target.is_empty() {
            return Err(Fatal(format!("{}: no [[target]] entries", path.display())));
        }
        Ok(parsed)
    }

    /// The targets, with keys read from their variables.
    pub(crate) fn targets(&self) -> Result<Vec<Target>, Fatal> {
        self.target
            .iter()
            .map(|t| {
                let mut target = Target::without_key(t.base_url.clone());
                if let Some(var) = &t.key_env {
                    target = target.key(key_from(var)?);
                }
                if let Some(name) = &t.name {
                    target = target.name(name.clone());
                }
                if let Some(rpm) = t.rpm {
                    target = target.rpm(rpm);
                }
                if let Some(tpm) = t.tpm {
                    target = target.tpm(tpm);
                }
                if let Some(weight) = t.weight {
                    target = target.weight(weight);
                }
                if let Some(max) = t.max_in_flight {
                    target = target.max_in_flight(max);
                }
                Ok(target)
            })
            .collect()
    }

    /// The first target's base URL (batch urls are resolved against it).
    pub(crate) fn first_base_url(&self) -> &str {
        self.target.first().map_or("", |t| t.base_url.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_targets_file_reads_and_names_its_key_variables() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("targets.toml");
        std::fs::write(
            &path,
            "[[target]]\nname = \"a\"\nbase_url = \"http://127.0.0.1:1/v1\"\nrpm = 10\n\n[[target]]\nbase_url = \"http://127.0.0.1:2/v1\"\nkey_env = \"SHEPHERD_TEST_UNSET_KEY_VAR\"\n",
        )
        .expect("write");
        let file = TargetsFile::read(&path).expect("parses");
        assert_eq!(file.first_base_url(), "http://127.0.0.1:1/v1");
        let error = file.targets().expect_err("the key variable is not set");
        assert!(
            error.0.contains("SHEPHERD_TEST_UNSET_KEY_VAR"),
            "{}",
            error.0
        );
    }
}
