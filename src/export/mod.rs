//! Excel export of a profile's Avito Messenger chats (being built on the `export` branch).

pub mod job;
