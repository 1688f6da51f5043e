//! Failures a test injects into Bot API calls.

use std::time::Duration;

/// A failure injected into one call of a Bot API method
/// ([`TelegramEmulator::inject`](super::TelegramEmulator::inject)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer this HTTP status (5xx) without doing anything.
    Status(u16),
    /// Do the call, then answer this status: the message exists, the bot hears it failed.
    StoredThen(u16),
    /// Answer 429 with this `retry_after` (counted in `rate_limited_count`).
    RetryAfter(u64),
    /// Wait this long, then answer normally.
    Hang(Duration),
    /// Do the call, then wait this long before answering: the message exists while the bot
    /// still waits to hear (a process killed now never learns it was accepted).
    StoredThenHang(Duration),
}
