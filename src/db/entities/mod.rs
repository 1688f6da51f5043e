//! sea-orm entities, one per table created by the `migration` crate.

pub mod admin_alert;
pub mod alert_episode;
pub mod alert_rule;
pub mod avito_profile;
pub mod dialogue;
pub mod export;
pub mod listing_seen;
pub mod rating_snapshot;
pub mod report_run;
pub mod report_task;
pub mod review_answer;
pub mod review_seen;
pub mod review_watch;
pub mod user;
