//! The emulator's settings.

/// Emulator settings. Flood limits apply only when `enforce_limits` is set.
#[derive(Debug, Clone)]
pub struct TelegramConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Sustained messages (sends and text edits) per second into one chat.
    pub per_chat_per_sec: u32,
    /// Messages one chat may take in a quick burst before the per-second rate applies.
    pub per_chat_burst: u32,
    /// Messages per second across all chats.
    pub global_per_sec: u32,
    /// Messages per minute into one group or channel.
    pub group_per_min: u32,
    pub enforce_limits: bool,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        Self {
            port: 0,
            per_chat_per_sec: 1,
            per_chat_burst: 3,
            global_per_sec: 30,
            group_per_min: 20,
            enforce_limits: true,
        }
    }
}

impl TelegramConfig {
    /// The defaults without flood control, for tests that send many messages quickly.
    pub fn without_limits() -> Self {
        Self {
            enforce_limits: false,
            ..Self::default()
        }
    }
}
