//! A report task's settings as types: frequency, time of day, time zone, period and metrics.
//! Each is read once, when its row is loaded, into [`Stored`]: the value, or — for a row
//! written by hand or by an older version — the text that could not be read. A damaged
//! setting is never replaced by a default: readers get an error naming the column, and the
//! owner is asked to set it again.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveTime;
use chrono_tz::Tz;

use super::metric::{Metric, MetricSet};
use super::period::PeriodKind;
use super::status::{UnknownSlug, slug_enum};

slug_enum!(
    /// How often a task reports (`report_tasks.frequency`).
    Frequency, "frequency" {
        Daily => "daily",
        /// Every `interval_days` days.
        Interval => "interval",
        /// On the weekdays of the `weekdays` mask.
        Weekly => "weekly",
        /// On `month_day` (clamped to the month's last day by the scheduler).
        Monthly => "monthly",
    }
);

/// The local time a task reports at, `HH:MM` (`report_tasks.time_of_day`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScheduleTime(NaiveTime);

impl ScheduleTime {
    pub fn new(time: NaiveTime) -> Self {
        Self(time)
    }

    pub fn time(self) -> NaiveTime {
        self.0
    }
}

impl FromStr for ScheduleTime {
    type Err = String;

    /// `HH:MM` (or `H:MM`), 00:00–23:59.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NaiveTime::parse_from_str(s.trim(), "%H:%M")
            .map(Self)
            .map_err(|_| format!("'{s}' is not a time of day HH:MM"))
    }
}

impl fmt::Display for ScheduleTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%H:%M"))
    }
}

/// An IANA time zone (`report_tasks.time_zone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Zone(Tz);

impl Zone {
    pub fn new(tz: Tz) -> Self {
        Self(tz)
    }

    pub fn tz(self) -> Tz {
        self.0
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl FromStr for Zone {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse::<Tz>()
            .map(Self)
            .map_err(|_| format!("'{s}' is not an IANA time zone"))
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

impl FromStr for PeriodKind {
    type Err = UnknownSlug;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PeriodKind::from_slug(s).ok_or_else(|| UnknownSlug {
            what: "report period",
            value: s.to_owned(),
        })
    }
}

impl fmt::Display for PeriodKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// The stored form of a metric set: a JSON array of slugs, every one known.
impl FromStr for MetricSet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let slugs: Vec<String> =
            serde_json::from_str(s).map_err(|_| format!("'{s}' is not a JSON list of metrics"))?;
        slugs
            .iter()
            .map(|slug| Metric::from_slug(slug).ok_or_else(|| format!("unknown metric '{slug}'")))
            .collect::<Result<MetricSet, _>>()
    }
}

impl fmt::Display for MetricSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

/// Which column a setting is stored in, for the error that names it.
pub trait SettingColumn {
    const COLUMN: &'static str;
}

impl SettingColumn for Frequency {
    const COLUMN: &'static str = "frequency";
}
impl SettingColumn for ScheduleTime {
    const COLUMN: &'static str = "time_of_day";
}
impl SettingColumn for Zone {
    const COLUMN: &'static str = "time_zone";
}
impl SettingColumn for PeriodKind {
    const COLUMN: &'static str = "period";
}
impl SettingColumn for MetricSet {
    const COLUMN: &'static str = "metrics";
}

/// A setting as read from its row: the value, or the stored text that is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored<T> {
    Value(T),
    Damaged(String),
}

/// A setting that could not be read: which column, what it held, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the stored {column} '{value}' cannot be read ({reason}); set it again")]
pub struct DamagedSetting {
    pub column: &'static str,
    pub value: String,
    pub reason: String,
}

impl<T: SettingColumn + FromStr> Stored<T>
where
    T::Err: fmt::Display,
{
    /// The value, or the error naming the column.
    pub fn get(&self) -> Result<&T, DamagedSetting> {
        match self {
            Stored::Value(v) => Ok(v),
            Stored::Damaged(raw) => Err(DamagedSetting {
                column: T::COLUMN,
                value: raw.clone(),
                reason: T::from_str(raw)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default(),
            }),
        }
    }

    /// Reads the stored text.
    pub fn parse(text: &str) -> Self {
        text.parse()
            .map_or_else(|_| Stored::Damaged(text.to_owned()), Stored::Value)
    }
}

impl<T: Copy> Stored<T> {
    /// The value, when it could be read.
    pub fn value(&self) -> Option<T> {
        match self {
            Stored::Value(v) => Some(*v),
            Stored::Damaged(_) => None,
        }
    }
}

impl<T> From<T> for Stored<T> {
    fn from(value: T) -> Self {
        Stored::Value(value)
    }
}

impl<T: fmt::Display> fmt::Display for Stored<T> {
    /// The value as stored (a damaged one as it was found).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stored::Value(v) => v.fmt(f),
            Stored::Damaged(raw) => f.write_str(raw),
        }
    }
}

// The database side: a text column read into `Stored` without ever failing the row, so one
// damaged row cannot stop a query over many tasks.
impl<T: fmt::Display> From<Stored<T>> for sea_orm::Value {
    fn from(stored: Stored<T>) -> Self {
        stored.to_string().into()
    }
}

impl<T: SettingColumn + FromStr> sea_orm::TryGetable for Stored<T>
where
    T::Err: fmt::Display,
{
    fn try_get_by<I: sea_orm::ColIdx>(
        res: &sea_orm::QueryResult,
        idx: I,
    ) -> Result<Self, sea_orm::TryGetError> {
        let text = String::try_get_by(res, idx)?;
        Ok(Self::parse(&text))
    }
}

impl<T: SettingColumn + FromStr> sea_orm::sea_query::ValueType for Stored<T>
where
    T::Err: fmt::Display,
{
    fn try_from(v: sea_orm::Value) -> Result<Self, sea_orm::sea_query::ValueTypeErr> {
        let text = <String as sea_orm::sea_query::ValueType>::try_from(v)?;
        Ok(Self::parse(&text))
    }

    fn type_name() -> String {
        format!("Stored<{}>", T::COLUMN)
    }

    fn array_type() -> sea_orm::sea_query::ArrayType {
        sea_orm::sea_query::ArrayType::String
    }

    fn column_type() -> sea_orm::sea_query::ColumnType {
        sea_orm::sea_query::ColumnType::String(sea_orm::sea_query::StringLen::None)
    }
}

impl<T> sea_orm::sea_query::Nullable for Stored<T> {
    fn null() -> sea_orm::Value {
        sea_orm::Value::String(None)
    }
}

impl<T> sea_orm::IntoActiveValue<Stored<T>> for Stored<T>
where
    Stored<T>: Into<sea_orm::Value>,
{
    fn into_active_value(self) -> sea_orm::ActiveValue<Stored<T>> {
        sea_orm::ActiveValue::Set(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_from_their_stored_text() {
        assert_eq!(
            Stored::<ScheduleTime>::parse("9:05")
                .value()
                .map(|t| t.to_string()),
            Some("09:05".to_owned())
        );
        assert_eq!(
            Stored::<Zone>::parse("Europe/Berlin").value(),
            Some(Zone::new(chrono_tz::Europe::Berlin))
        );
        assert_eq!(
            Stored::<Frequency>::parse("weekly").value(),
            Some(Frequency::Weekly)
        );
        assert_eq!(
            Stored::<PeriodKind>::parse("last_7_days").value(),
            Some(PeriodKind::Last7Days)
        );
        let set: Stored<MetricSet> = Stored::parse(r#"["views","calls"]"#);
        assert_eq!(set.get().map(|s| s.iter().count()), Ok(2));
    }

    #[test]
    fn a_damaged_setting_names_its_column_and_is_never_a_default() {
        for (err, column) in [
            (
                Stored::<ScheduleTime>::parse("25:00").get().err(),
                "time_of_day",
            ),
            (
                Stored::<Zone>::parse("Mars/Olympus").get().err(),
                "time_zone",
            ),
            (
                Stored::<Frequency>::parse("hourly").get().err(),
                "frequency",
            ),
            (Stored::<PeriodKind>::parse("forever").get().err(), "period"),
            (Stored::<MetricSet>::parse("all").get().err(), "metrics"),
            (
                Stored::<MetricSet>::parse(r#"["views","likes"]"#)
                    .get()
                    .err(),
                "metrics",
            ),
        ] {
            let err = err.expect("damaged");
            assert_eq!(err.column, column);
            assert!(err.to_string().contains("set it again"), "{err}");
        }
        assert_eq!(
            Stored::<Zone>::parse("Mars/Olympus").to_string(),
            "Mars/Olympus"
        );
    }
}
