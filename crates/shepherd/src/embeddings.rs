//! Embeddings, with inputs larger than the per-request limit split, sent concurrently and re-joined.

use futures_util::future::try_join_all;
use shepherd_transport::Transport;
use shepherd_types::embeddings::{EmbeddingInput, EmbeddingRequest, EmbeddingResponse};

use crate::response::Response;
use crate::{Client, Error, tokens};

const PATH: &str = "/embeddings";

impl<T: Transport> Client<T> {
    /// Embeds the request's input.
    ///
    /// An input of more strings (or token arrays) than the client's embedding batch size
    /// (default 2048, the API's limit) is split into requests of at most that many, sent
    /// concurrently, and re-joined in input order: `data[i].index == i` in the result, and
    /// `usage` is the sum. The metadata is that of the slowest part, with the attempts summed.
    ///
    /// # Errors
    ///
    /// The first part's error when any part fails (no partial result is returned).
    pub async fn embeddings(
        &self,
        request: EmbeddingRequest,
    ) -> Result<Response<EmbeddingResponse>, Error> {
        let max = self.inner.embedding_batch;
        if request.input.len() <= max {
            return self.embeddings_once(request).await;
        }
        let EmbeddingRequest {
            model,
            input,
            encoding_format,
            dimensions,
            user,
            extra,
        } = request;
        let parts: Vec<EmbeddingInput> = input.split(max);
        let requests = parts.into_iter().map(|input| EmbeddingRequest {
            model: model.clone(),
            input,
            encoding_format: encoding_format.clone(),
            dimensions,
            user: user.clone(),
            extra: extra.clone(),
        });
        let responses = try_join_all(requests.map(|r| self.embeddings_once(r))).await?;
        let mut joined: Option<Response<EmbeddingResponse>> = None;
        let mut offset = 0u32;
        for response in responses {
            let (mut part, meta) = response.into_parts();
            let count = part.data.len() as u32;
            part.data.sort_by_key(|e| e.index);
            for e in &mut part.data {
                e.index += offset;
            }
            offset += count;
            joined = Some(match joined {
                None => Response::new(part, meta),
                Some(acc) => {
                    let (mut all, mut all_meta) = acc.into_parts();
                    all.data.extend(part.data);
                    all.usage.prompt_tokens += part.usage.prompt_tokens;
                    all.usage.total_tokens += part.usage.total_tokens;
                    all_meta.attempts += meta.attempts;
                    if meta.latency > all_meta.latency {
                        all_meta.latency = meta.latency;
                    }
                    all_meta.cost_usd = match (all_meta.cost_usd, meta.cost_usd) {
                        (Some(a), Some(b)) => Some(a + b),
                        _ => None,
                    };
                    Response::new(all, all_meta)
                }
            });
        }
        joined.ok_or_else(|| Error::Config("embeddings input was empty".into()))
    }

    async fn embeddings_once(
        &self,
        request: EmbeddingRequest,
    ) -> Result<Response<EmbeddingResponse>, Error> {
        let estimate = if self.inner.estimate_tokens {
            tokens::embedding_tokens(&request.model, &request.input)
        } else {
            0
        };
        let mut response: Response<EmbeddingResponse> =
            self.json(PATH, "embeddings", &request, estimate).await?;
        let usage = shepherd_types::Usage {
            prompt_tokens: response.usage.prompt_tokens,
            total_tokens: response.usage.total_tokens,
            ..Default::default()
        };
        self.settle(response.meta_mut(), &request.model, estimate, &usage, None);
        Ok(response)
    }
}
