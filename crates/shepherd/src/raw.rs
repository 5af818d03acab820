//! Pass-through requests: a JSON body sent as given, the answer returned as bytes.
//!
//! The batch runner uses this for Batch API lines: their bodies are forwarded
//! untouched (no re-serialization that could reorder or drop fields), while the
//! call still goes through retries, routing, limits, breakers and cost.

use bytes::Bytes;
use http::Method;
use shepherd_transport::Transport;
use shepherd_types::Usage;

use crate::client::{Call, Payload};
use crate::response::Response;
use crate::{Client, Error};

impl<T: Transport> Client<T> {
    /// POSTs `body` (JSON) to `path` under the base URL (e.g. `/chat/completions`) and returns
    /// the success body's bytes.
    ///
    /// `tokens` is the estimate charged to the token limiter; `model`, when given, prices
    /// the `usage` of the answer into the cost tracker and [`ResponseMeta::cost_usd`](crate::ResponseMeta).
    ///
    /// # Errors
    ///
    /// Any call error; the body is not parsed, except for its `usage`.
    pub async fn post_raw(
        &self,
        path: &str,
        body: Bytes,
        tokens: u64,
        model: Option<&str>,
    ) -> Result<Response<Bytes>, Error> {
        let call = Call {
            method: Method::POST,
            path,
            payload: Payload::Json(body),
            tokens,
            accept: None,
        };
        let max = self.inner.max_body;
        let mut response = self
            .execute(&call, |resp, _| async move {
                Ok(resp.into_body().collect_limited(max).await?)
            })
            .await?;
        if let Some(model) = model {
            #[derive(serde::Deserialize)]
            struct WithUsage {
                usage: Option<Usage>,
            }
            let usage = serde_json::from_slice::<WithUsage>(&response)
                .ok()
                .and_then(|w| w.usage)
                .unwrap_or_default();
            self.settle(response.meta_mut(), model, tokens, &usage, None);
        }
        Ok(response)
    }
}
