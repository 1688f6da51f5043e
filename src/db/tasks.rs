//! Queries about report tasks (a profile's report settings) and their runs.
//!
//! Schedule fields change only through [`change_schedule`], which bumps `schedule_version` in
//! the same statement: the scheduler plans from that version, so a job planned under an older
//! schedule can tell it is stale.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};

use super::DbError;
use super::entities::{report_run, report_task};
use crate::domain::clock;
use crate::domain::{
    ChatId, MetricSet, PeriodKind, ProfileId, RunId, RunStatus, ScheduleTime, Stored, TaskId, Zone,
};

pub use crate::domain::{Frequency, RunKind};

/// Bounds the UI enforces on the schedule numbers.
pub const INTERVAL_DAYS: std::ops::RangeInclusive<i32> = 1..=365;
pub const MONTH_DAYS: std::ops::RangeInclusive<i32> = 1..=31;

/// A weekday mask, bit 0 = Monday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weekdays(pub i32);

impl Weekdays {
    pub const MONDAY: Weekdays = Weekdays(1);

    pub fn contains(self, day: u8) -> bool {
        day < 7 && self.0 & (1 << day) != 0
    }

    pub fn toggled(self, day: u8) -> Weekdays {
        if day < 7 {
            Weekdays(self.0 ^ (1 << day))
        } else {
            self
        }
    }

    pub fn is_empty(self) -> bool {
        self.0 & 0x7f == 0
    }

    /// The days set, Monday (0) first.
    pub fn days(self) -> impl Iterator<Item = u8> {
        (0..7u8).filter(move |d| self.contains(*d))
    }
}

/// The settings a new profile's task starts with.
#[derive(Debug, Clone)]
pub struct TaskDefaults {
    pub time_of_day: ScheduleTime,
    pub time_zone: Zone,
    pub period: PeriodKind,
    pub metrics: MetricSet,
}

impl Default for TaskDefaults {
    fn default() -> Self {
        Self {
            time_of_day: ScheduleTime::new(
                chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
            ),
            time_zone: Zone::new(chrono_tz::Europe::Moscow),
            period: PeriodKind::SinceLastSlot,
            metrics: MetricSet::all(),
        }
    }
}

impl TaskDefaults {
    /// Daily, inactive until a destination chat is set.
    pub(super) fn active_model(
        &self,
        profile_id: ProfileId,
        now: DateTime<Utc>,
    ) -> report_task::ActiveModel {
        report_task::ActiveModel {
            profile_id: Set(profile_id),
            chat_id: Set(None),
            chat_title: Set(None),
            frequency: Set(Frequency::Daily.into()),
            interval_days: Set(1),
            weekdays: Set(0),
            month_day: Set(1),
            time_of_day: Set(self.time_of_day.into()),
            time_zone: Set(self.time_zone.into()),
            period: Set(self.period.into()),
            metrics: Set(self.metrics.clone().into()),
            is_active: Set(false),
            charts: Set(true),
            schedule_version: Set(0),
            next_run_at: Set(None),
            last_run_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
    }
}

/// One change of a schedule field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleChange {
    Frequency(Frequency),
    /// Every N days (sets the frequency too).
    Interval(i32),
    /// Monthly on day D (sets the frequency too).
    MonthDay(i32),
    /// Weekly on these days (sets the frequency too).
    Weekdays(Weekdays),
    TimeOfDay(ScheduleTime),
    TimeZone(Zone),
    Active(bool),
    /// A destination chat; a task that never had one becomes active with it.
    Chat {
        id: ChatId,
        title: String,
    },
    /// No destination: the task stops.
    NoChat,
}

/// Applies `change` to the task and bumps its schedule version, atomically.
pub async fn change_schedule(
    db: &DatabaseConnection,
    task: &report_task::Model,
    change: ScheduleChange,
) -> Result<(), DbError> {
    use report_task::Column as C;
    let mut sets: Vec<(C, SimpleExpr)> = Vec::new();
    match change {
        ScheduleChange::Frequency(f) => {
            sets.push((C::Frequency, Expr::value(f.slug())));
            // A weekly schedule with no days would never fire: start from Monday.
            if f == Frequency::Weekly && Weekdays(task.weekdays).is_empty() {
                sets.push((C::Weekdays, Expr::value(Weekdays::MONDAY.0)));
            }
        }
        ScheduleChange::Interval(n) => {
            sets.push((C::Frequency, Expr::value(Frequency::Interval.slug())));
            sets.push((C::IntervalDays, Expr::value(n)));
        }
        ScheduleChange::MonthDay(d) => {
            sets.push((C::Frequency, Expr::value(Frequency::Monthly.slug())));
            sets.push((C::MonthDay, Expr::value(d)));
        }
        ScheduleChange::Weekdays(w) => {
            sets.push((C::Frequency, Expr::value(Frequency::Weekly.slug())));
            sets.push((C::Weekdays, Expr::value(w.0)));
        }
        ScheduleChange::TimeOfDay(t) => sets.push((C::TimeOfDay, Expr::value(t.to_string()))),
        ScheduleChange::TimeZone(tz) => sets.push((C::TimeZone, Expr::value(tz.to_string()))),
        ScheduleChange::Active(on) => sets.push((C::IsActive, Expr::value(on))),
        ScheduleChange::Chat { id, title } => {
            if task.chat_id.is_none() {
                sets.push((C::IsActive, Expr::value(true)));
            }
            sets.push((C::ChatId, Expr::value(id)));
            sets.push((C::ChatTitle, Expr::value(title)));
        }
        ScheduleChange::NoChat => {
            sets.push((C::ChatId, Expr::value(Option::<ChatId>::None)));
            sets.push((C::ChatTitle, Expr::value(Option::<String>::None)));
            sets.push((C::IsActive, Expr::value(false)));
        }
    }
    // A new version is planned afresh by the scheduler; the job of the old one finds its
    // version stale and does nothing.
    let mut update = report_task::Entity::update_many()
        .col_expr(C::ScheduleVersion, Expr::col(C::ScheduleVersion).add(1))
        .col_expr(C::NextRunAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(C::UpdatedAt, Expr::value(clock::now()));
    for (col, value) in sets {
        update = update.col_expr(col, value);
    }
    update.filter(C::Id.eq(task.id)).exec(db).await?;
    Ok(())
}

/// Sets what the reports contain (not part of the schedule: no version bump).
pub async fn set_metrics(
    db: &DatabaseConnection,
    task_id: TaskId,
    metrics: &MetricSet,
) -> Result<(), DbError> {
    report_task::Entity::update(report_task::ActiveModel {
        id: Set(task_id),
        metrics: Set(Stored::Value(metrics.clone())),
        updated_at: Set(clock::now()),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

pub async fn set_period(
    db: &DatabaseConnection,
    task_id: TaskId,
    period: PeriodKind,
) -> Result<(), DbError> {
    report_task::Entity::update(report_task::ActiveModel {
        id: Set(task_id),
        period: Set(period.into()),
        updated_at: Set(clock::now()),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

/// Turns the task's report charts on or off (no schedule change: nothing to re-plan).
pub async fn set_charts(db: &DatabaseConnection, task_id: TaskId, on: bool) -> Result<(), DbError> {
    report_task::Entity::update(report_task::ActiveModel {
        id: Set(task_id),
        charts: Set(on),
        updated_at: Set(clock::now()),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

pub async fn by_id(
    db: &DatabaseConnection,
    task_id: TaskId,
) -> Result<Option<report_task::Model>, DbError> {
    Ok(report_task::Entity::find_by_id(task_id).one(db).await?)
}

pub async fn of_profile(
    db: &DatabaseConnection,
    profile_id: ProfileId,
) -> Result<Option<report_task::Model>, DbError> {
    Ok(report_task::Entity::find()
        .filter(report_task::Column::ProfileId.eq(profile_id))
        .one(db)
        .await?)
}

/// The profile's task, created with the defaults if the profile has none (profiles are
/// created with one; this covers rows written by other tools).
pub async fn ensure(
    db: &DatabaseConnection,
    profile_id: ProfileId,
) -> Result<report_task::Model, DbError> {
    if let Some(task) = of_profile(db, profile_id).await? {
        return Ok(task);
    }
    let row = TaskDefaults::default().active_model(profile_id, clock::now());
    Ok(report_task::Entity::insert(row)
        .exec_with_returning(db)
        .await?)
}

/// Tasks whose reports go to `chat_id`, oldest first (what /stats in a group reports on).
pub async fn for_chat(
    db: &DatabaseConnection,
    chat_id: ChatId,
) -> Result<Vec<report_task::Model>, DbError> {
    Ok(report_task::Entity::find()
        .filter(report_task::Column::ChatId.eq(chat_id))
        .order_by_asc(report_task::Column::Id)
        .all(db)
        .await?)
}

/// An on-demand delivery about to start.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub task_id: Option<TaskId>,
    pub profile_id: Option<ProfileId>,
    pub kind: RunKind,
    pub chat_id: ChatId,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
}

/// Records an on-demand run as pending; [`finish_run`] records its outcome.
pub async fn start_run(db: &DatabaseConnection, run: NewRun) -> Result<RunId, DbError> {
    let now = clock::now();
    let row = report_run::Entity::insert(report_run::ActiveModel {
        task_id: Set(run.task_id),
        profile_id: Set(run.profile_id),
        kind: Set(run.kind),
        slot: Set(None),
        chat_id: Set(run.chat_id),
        period_start: Set(Some(run.period_start)),
        period_end: Set(Some(run.period_end)),
        status: Set(RunStatus::Pending),
        attempts: Set(1),
        error: Set(None),
        started_at: Set(Some(now)),
        finished_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    Ok(row.id)
}

/// `error: None` means sent.
pub async fn finish_run(
    db: &DatabaseConnection,
    run_id: RunId,
    error: Option<String>,
) -> Result<(), DbError> {
    let status = if error.is_some() {
        RunStatus::Failed
    } else {
        RunStatus::Sent
    };
    report_run::Entity::update(report_run::ActiveModel {
        id: Set(run_id),
        status: Set(status),
        error: Set(error),
        finished_at: Set(Some(clock::now())),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

/// The latest delivery of a task (scheduled or on demand).
pub async fn latest_run(
    db: &DatabaseConnection,
    task_id: TaskId,
) -> Result<Option<report_run::Model>, DbError> {
    Ok(report_run::Entity::find()
        .filter(report_run::Column::TaskId.eq(task_id))
        .order_by_desc(report_run::Column::CreatedAt)
        .order_by_desc(report_run::Column::Id)
        .one(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekday_masks_toggle_and_list_days() {
        let w = Weekdays(0).toggled(0).toggled(2).toggled(6);
        assert_eq!(w.days().collect::<Vec<_>>(), vec![0, 2, 6]);
        assert!(!w.toggled(2).contains(2));
        assert_eq!(w.toggled(9), w);
        assert!(Weekdays(0).is_empty());
    }

    #[test]
    fn frequency_slugs_round_trip() {
        for f in Frequency::ALL {
            assert_eq!(Frequency::from_slug(f.slug()), Some(*f));
        }
        assert_eq!(Frequency::from_slug("hourly"), None);
    }
}
