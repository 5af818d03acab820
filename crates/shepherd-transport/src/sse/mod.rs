//! Server-sent events: a sans-IO decoder and a stream adaptor over response bodies.
//!
//! [`Decoder`] is the parser (bytes in, [`Event`]s out) and can be driven by anything;
//! [`EventStream`] wraps a byte stream such as a [`ResponseBody`](crate::ResponseBody).

mod decoder;
mod event;
mod stream;

pub use decoder::Decoder;
pub use event::Event;
pub use stream::EventStream;
