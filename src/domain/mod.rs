//! Domain types shared by every layer: what a report measures, the periods it covers, and
//! Avito's calendar. They know nothing of the database, Telegram or HTTP.

pub mod alerts;
pub mod clock;
pub mod dates;
pub mod ids;
pub mod listings;
pub mod metric;
pub mod period;
pub mod settings;
pub mod status;

pub use ids::{
    AccountId, AlertRuleId, AnswerDraftId, ChatId, EpisodeId, ExportId, ProfileId, ReviewId, RunId,
    TaskId, UserId,
};
pub use listings::{ListingSort, ListingsPage};
pub use metric::{Metric, MetricSet, Unit};
pub use period::{Period, PeriodError, PeriodKind};
pub use settings::{DamagedSetting, Frequency, ScheduleTime, Stored, Zone};
pub use status::{
    AnswerState, ExportKind, ExportStatus, ListingFlag, ProfileStatus, RunKind, RunStatus,
};
