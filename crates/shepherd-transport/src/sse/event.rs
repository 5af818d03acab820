//! One dispatched server-sent event.

use std::time::Duration;

/// One server-sent event, as dispatched by the [`Decoder`](super::Decoder) on a blank line.
///
/// # Examples
///
/// ```
/// use shepherd_transport::sse::Event;
///
/// let event = Event::new("[DONE]");
/// assert_eq!(event.event(), "message");
/// assert!(event.is_done());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Event {
    pub(crate) event: Option<String>,
    pub(crate) data: String,
    pub(crate) id: Option<String>,
    pub(crate) retry: Option<Duration>,
}

impl Event {
    /// An event of type `message` with the given data.
    pub fn new(data: impl Into<String>) -> Self {
        Event {
            data: data.into(),
            ..Event::default()
        }
    }

    /// Sets the event type (an empty type means `message`).
    pub fn with_event(mut self, event: impl Into<String>) -> Self {
        let event = event.into();
        self.event = if event.is_empty() { None } else { Some(event) };
        self
    }

    /// Sets the last event ID.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        let id = id.into();
        self.id = if id.is_empty() { None } else { Some(id) };
        self
    }

    /// Sets the reconnection time.
    pub fn with_retry(mut self, retry: Duration) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The event type; `message` when the server sent no `event:` field.
    pub fn event(&self) -> &str {
        self.event.as_deref().unwrap_or("message")
    }

    /// The event data: the `data:` lines of the event joined with `\n`.
    pub fn data(&self) -> &str {
        &self.data
    }

    /// Takes the data out of the event without copying it.
    pub fn into_data(self) -> String {
        self.data
    }

    /// The last event ID at the time this event was dispatched, if one was set and not empty.
    /// Like in browsers, an ID persists across events until the server sends another one.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The reconnection time, if a valid `retry:` field appeared in this event's block.
    pub fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// True if the data is OpenAI's end-of-stream sentinel `[DONE]`.
    ///
    /// The decoder treats `[DONE]` as ordinary data; stopping on it is the caller's choice.
    pub fn is_done(&self) -> bool {
        self.data.trim_ascii() == "[DONE]"
    }
}
