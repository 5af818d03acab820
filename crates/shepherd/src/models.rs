//! Models: the list of models a server offers.

use shepherd_transport::Transport;
use shepherd_types::models::ModelList;

use crate::response::Response;
use crate::{Client, Error};

impl<T: Transport> Client<T> {
    /// `GET /models`.
    ///
    /// # Errors
    ///
    /// Any [`Error`]; a server without this endpoint answers 404.
    pub async fn models(&self) -> Result<Response<ModelList>, Error> {
        self.get_json("/models", "model list").await
    }
}
