//! Alerts that watch each account and speak only when it matters: a low wallet or CPA
//! balance, a spending spike, a demand drop, unanswered chats, missed calls, a new review, a
//! rating below a bar.
//!
//! Each enabled rule of a profile is checked as a queued job per check window ([`plan`]),
//! keyed by (profile, rule, window) so processes sharing the queue run it once. A check asks
//! Avito through the shared client (its pacing and answer cache), decides
//! ([`check`]), and moves the rule's episode as [`episode::decide`] plans it: opened (the
//! alert fires once), reminded at most every `remind_minutes`, closed ("back to normal"), or
//! closed silently once the rule is switched off. Quiet hours hold notices until they end.
//! A check that cannot ask Avito changes nothing and tells the operator, de-duplicated.
//! New reviews are events, not episodes: [`reviews`] tells each once and follows answers
//! written in Telegram to moderation's verdict.

pub mod check;
pub mod episode;
pub mod job;
pub mod listings;
pub mod plan;
pub mod reviews;
pub mod texts;
pub mod watch;
