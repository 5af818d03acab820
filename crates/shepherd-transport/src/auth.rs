//! API keys that never print themselves, and the default headers sent with every request.

use std::fmt;
use std::str::FromStr;

use http::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};

use crate::error::Error;

/// A secret API key.
///
/// `Debug` and `Display` show only a hint (`sk-...abcd`), never the key. A key given with a
/// `Bearer ` prefix (a common copy-paste mistake that leads to `401`s) is accepted and
/// normalised, as is surrounding whitespace.
///
/// # Examples
///
/// ```
/// use shepherd_transport::ApiKey;
///
/// let key = ApiKey::new("Bearer sk-proj-0123456789abcdefwxyz")?;
/// assert_eq!(key.expose(), "sk-proj-0123456789abcdefwxyz");
/// assert_eq!(key.to_string(), "sk-...wxyz");
/// assert_eq!(format!("{key:?}"), "ApiKey(sk-...wxyz)");
/// assert_eq!(key.bearer_header().to_str().ok(), Some("Bearer sk-proj-0123456789abcdefwxyz"));
/// # Ok::<(), shepherd_transport::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    key: String,
    bearer: HeaderValue,
    raw: HeaderValue,
}

impl ApiKey {
    /// Validates and normalises a key: trims whitespace and one `Bearer ` prefix.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if the key is empty or contains characters a header cannot carry.
    /// The message never contains the key.
    pub fn new(key: impl Into<String>) -> Result<Self, Error> {
        let key = key.into();
        let trimmed = key.trim();
        let trimmed = match (trimmed.get(..6), trimmed.get(6..)) {
            (Some(prefix), Some(rest))
                if prefix.eq_ignore_ascii_case("bearer")
                    && (rest.is_empty() || rest.starts_with(char::is_whitespace)) =>
            {
                rest.trim_start()
            }
            _ => trimmed,
        };
        if trimmed.is_empty() {
            return Err(Error::config("the API key is empty"));
        }
        if !trimmed.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::config(
                "the API key contains whitespace or non-ASCII characters",
            ));
        }
        let mut bearer = HeaderValue::from_str(&format!("Bearer {trimmed}"))
            .map_err(|_| Error::config("the API key is not a valid header value"))?;
        bearer.set_sensitive(true);
        let mut raw = HeaderValue::from_str(trimmed)
            .map_err(|_| Error::config("the API key is not a valid header value"))?;
        raw.set_sensitive(true);
        Ok(ApiKey {
            key: trimmed.to_owned(),
            bearer,
            raw,
        })
    }

    /// Reads a key from the environment variable `var`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the variable if it is unset, not Unicode or not a valid key.
    pub fn from_env(var: &str) -> Result<Self, Error> {
        let value = std::env::var(var)
            .map_err(|_| Error::config(format!("environment variable {var} is not set")))?;
        ApiKey::new(value)
            .map_err(|_| Error::config(format!("{var} does not hold a valid API key")))
    }

    /// The key itself. Only for code that must send it somewhere; never log it.
    pub fn expose(&self) -> &str {
        &self.key
    }

    /// `Bearer <key>`, marked sensitive so that `http`'s `Debug` hides it.
    pub fn bearer_header(&self) -> HeaderValue {
        self.bearer.clone()
    }

    /// The bare key as a header value (for APIs that use `api-key:` or `x-api-key:`),
    /// marked sensitive.
    pub fn raw_header(&self) -> HeaderValue {
        self.raw.clone()
    }

    /// The printable hint: `sk-...` plus the last four characters for long keys.
    fn hint(&self) -> String {
        let prefix = if self.key.starts_with("sk-") {
            "sk-"
        } else {
            ""
        };
        // Short keys would reveal too large a share of themselves.
        let tail = if self.key.len() >= 20 {
            &self.key[self.key.len() - 4..]
        } else {
            ""
        };
        format!("{prefix}...{tail}")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({})", self.hint())
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hint())
    }
}

impl FromStr for ApiKey {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        ApiKey::new(s)
    }
}

/// Headers added to every request that does not set them itself: authentication,
/// `OpenAI-Organization`, `OpenAI-Project` and any custom ones.
///
/// # Examples
///
/// ```
/// use shepherd_transport::{ApiKey, DefaultHeaders};
///
/// let defaults = DefaultHeaders::new()
///     .api_key(ApiKey::new("sk-test-key-0000000000001234")?)
///     .organization("org-42")?
///     .header("x-team", "search")?;
///
/// let mut request = http::Request::new(());
/// defaults.apply(request.headers_mut());
/// assert_eq!(request.headers()["openai-organization"], "org-42");
/// assert!(request.headers()["authorization"].is_sensitive());
/// # Ok::<(), shepherd_transport::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct DefaultHeaders {
    headers: HeaderMap,
}

impl DefaultHeaders {
    /// No default headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Authenticates with `Authorization: Bearer <key>`.
    pub fn api_key(mut self, key: ApiKey) -> Self {
        self.headers.insert(AUTHORIZATION, key.bearer_header());
        self
    }

    /// Authenticates with the bare key in header `name` (Azure's `api-key`, Anthropic's
    /// `x-api-key`).
    pub fn api_key_in(mut self, name: HeaderName, key: ApiKey) -> Self {
        self.headers.insert(name, key.raw_header());
        self
    }

    /// Sets `OpenAI-Organization`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if the value cannot be a header value.
    pub fn organization(self, organization: &str) -> Result<Self, Error> {
        self.header("openai-organization", organization)
    }

    /// Sets `OpenAI-Project`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if the value cannot be a header value.
    pub fn project(self, project: &str) -> Result<Self, Error> {
        self.header("openai-project", project)
    }

    /// Sets any header, replacing an earlier default with the same name.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if the name or value is not valid in a header.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, Error> {
        let name = HeaderName::from_str(name)
            .map_err(|_| Error::config(format!("invalid header name {name:?}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| Error::config(format!("invalid value for header {name}")))?;
        self.headers.insert(name, value);
        Ok(self)
    }

    /// Adds every default header that `headers` does not already have.
    pub fn apply(&self, headers: &mut HeaderMap) {
        for (name, value) in &self.headers {
            if !headers.contains_key(name) {
                headers.insert(name.clone(), value.clone());
            }
        }
    }

    /// The default headers (sensitive values stay hidden in their `Debug` output).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
}

impl fmt::Debug for DefaultHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.headers.keys()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys_show_no_tail() {
        let key = ApiKey::new("sk-short").expect("valid");
        assert_eq!(key.to_string(), "sk-...");
        let key = ApiKey::new("  bearer   abcdefghijklmnopqrstuvwxyz ").expect("valid");
        assert_eq!(key.expose(), "abcdefghijklmnopqrstuvwxyz");
        assert_eq!(key.to_string(), "...wxyz");
    }

    #[test]
    fn invalid_keys_do_not_leak_in_errors() {
        let err = ApiKey::new("sk-secret\nvalue").expect_err("newline");
        assert!(!err.to_string().contains("secret"));
        assert!(ApiKey::new("Bearer ").is_err());
    }
}
