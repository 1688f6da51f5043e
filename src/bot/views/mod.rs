//! What the bot shows, rendered from loaded rows without I/O: the hub's screens, settings in
//! words, and the profile list. The hub's handlers and the dialogues use these; they import
//! neither.

pub mod list;
pub mod listings;
pub mod screens;
pub mod words;
