//! The callback-data contract: every inline button's `callback_data`, parsed and encoded by
//! one typed codec.
//!
//! The Python bot's values (`profile_view:{id}`, `report_toggle:{id}:{metric}`, …) keep their
//! meaning, so buttons in messages users already have keep working; new values follow the
//! same `name:arg:arg` style. Everything fits Telegram's 64-byte limit (checked in tests with
//! the largest ids).

use chrono::NaiveTime;
use chrono_tz::Tz;

use crate::domain::Frequency;
use crate::domain::alerts::AlertRule;
use crate::domain::{Metric, PeriodKind, ProfileId, UserId};

/// Telegram's limit on `callback_data`.
pub const MAX_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// A page of the profile list of `owner` (the owner is in the data so that, in a group,
    /// nobody else can page someone's hub).
    ProfilesPage {
        owner: UserId,
        page: u32,
    },
    /// Start the add-profile dialogue.
    ProfileAdd,
    ProfileView(ProfileId),
    /// The report settings screen.
    ProfileReport(ProfileId),
    ReportNow(ProfileId),
    ReportHistorical(ProfileId),
    /// The metrics screen.
    ReportCharacteristics(ProfileId),
    ReportToggle(ProfileId, Metric),
    ReportMetricsAll(ProfileId),
    /// The destination screen.
    ReportSetChat(ProfileId),
    ReportChatHere(ProfileId),
    ReportChatForward(ProfileId),
    ReportChatClear(ProfileId),
    /// The time screen (common times as buttons, any HH:MM typed).
    ReportSetTime(ProfileId),
    TimeSet(ProfileId, NaiveTime),
    ReportTimezone(ProfileId),
    TzSet(ProfileId, Tz),
    ReportFrequency(ProfileId),
    FreqSet(ProfileId, Frequency),
    FreqInterval(ProfileId, i32),
    FreqMonthDay(ProfileId, i32),
    /// 0 = Monday.
    ReportDayToggle(ProfileId, u8),
    ReportPeriod(ProfileId),
    PeriodSet(ProfileId, PeriodKind),
    ReportActive(ProfileId),
    /// Switches the report's charts on or off.
    ReportCharts(ProfileId),
    ExportMessenger(ProfileId),
    /// The export of chats updated in the last [`RECENT_EXPORT_DAYS`] days.
    ExportRecent(ProfileId),
    /// Statistics to Excel: asks for the period, then exports.
    StatsExport(ProfileId),
    ProfileRename(ProfileId),
    /// Enter new keys (client id and secret) for the profile.
    ProfileKeys(ProfileId),
    ProfileDelete(ProfileId),
    ProfileDeleteConfirm(ProfileId),
    /// The profile's alerts screen.
    Alerts(ProfileId),
    /// Switches one rule on or off.
    AlertToggle(ProfileId, AlertRule),
    /// Moves one rule's parameter to its next offered value.
    AlertParam(ProfileId, AlertRule),
    /// Moves how often open alerts remind to the next offered value.
    AlertRemind(ProfileId),
    /// Moves the quiet hours to the next offered span.
    AlertQuiet(ProfileId),
    /// Add-profile: try the Avito check again with what was entered.
    AddRetry,
    /// Leave the current dialogue.
    DialogueCancel,
}

/// How far back the hub's "recent chats" export reaches.
pub const RECENT_EXPORT_DAYS: u64 = 30;

/// Why callback data was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unrecognised callback data {0:?}")]
pub struct BadCallback(pub String);

impl Callback {
    /// The profile the button acts on, if any: ownership is checked against it.
    pub fn profile_id(&self) -> Option<ProfileId> {
        use Callback::*;
        match self {
            ProfilesPage { .. } | ProfileAdd | AddRetry | DialogueCancel => None,
            ProfileView(id)
            | ProfileReport(id)
            | ReportNow(id)
            | ReportHistorical(id)
            | ReportCharacteristics(id)
            | ReportToggle(id, _)
            | ReportMetricsAll(id)
            | ReportSetChat(id)
            | ReportChatHere(id)
            | ReportChatForward(id)
            | ReportChatClear(id)
            | ReportSetTime(id)
            | TimeSet(id, _)
            | Alerts(id)
            | AlertToggle(id, _)
            | AlertParam(id, _)
            | AlertRemind(id)
            | AlertQuiet(id)
            | ReportTimezone(id)
            | TzSet(id, _)
            | ReportFrequency(id)
            | FreqSet(id, _)
            | FreqInterval(id, _)
            | FreqMonthDay(id, _)
            | ReportDayToggle(id, _)
            | ReportPeriod(id)
            | PeriodSet(id, _)
            | ReportActive(id)
            | ReportCharts(id)
            | ExportMessenger(id)
            | ExportRecent(id)
            | StatsExport(id)
            | ProfileRename(id)
            | ProfileKeys(id)
            | ProfileDelete(id)
            | ProfileDeleteConfirm(id) => Some(*id),
        }
    }

    pub fn encode(&self) -> String {
        use Callback::*;
        match self {
            ProfilesPage { owner, page } => format!("profiles_page:{owner}:{page}"),
            ProfileAdd => "profile_add".to_owned(),
            ProfileView(id) => format!("profile_view:{id}"),
            ProfileReport(id) => format!("profile_report:{id}"),
            ReportNow(id) => format!("report_now:{id}"),
            ReportHistorical(id) => format!("report_historical:{id}"),
            ReportCharacteristics(id) => format!("report_characteristics:{id}"),
            ReportToggle(id, m) => format!("report_toggle:{id}:{}", m.slug()),
            ReportMetricsAll(id) => format!("report_metrics_all:{id}"),
            ReportSetChat(id) => format!("report_set_chat:{id}"),
            ReportChatHere(id) => format!("report_chat_here:{id}"),
            ReportChatForward(id) => format!("report_chat_forward:{id}"),
            ReportChatClear(id) => format!("report_chat_clear:{id}"),
            ReportSetTime(id) => format!("report_set_time:{id}"),
            TimeSet(id, t) => format!("time_set:{id}:{}", t.format("%H%M")),
            ReportTimezone(id) => format!("report_timezone:{id}"),
            TzSet(id, tz) => format!("tz_set:{id}:{}", tz.name()),
            ReportFrequency(id) => format!("report_frequency:{id}"),
            FreqSet(id, f) => format!("freq_set:{id}:{}", f.slug()),
            FreqInterval(id, n) => format!("freq_interval:{id}:{n}"),
            FreqMonthDay(id, d) => format!("freq_month_day:{id}:{d}"),
            ReportDayToggle(id, d) => format!("report_day_toggle:{id}:{d}"),
            ReportPeriod(id) => format!("report_period:{id}"),
            PeriodSet(id, p) => format!("period_set:{id}:{}", p.slug()),
            ReportActive(id) => format!("report_active:{id}"),
            ReportCharts(id) => format!("report_charts:{id}"),
            ExportMessenger(id) => format!("export_messenger:{id}"),
            ExportRecent(id) => format!("export_recent:{id}"),
            StatsExport(id) => format!("stats_export:{id}"),
            ProfileRename(id) => format!("profile_rename:{id}"),
            ProfileKeys(id) => format!("profile_keys:{id}"),
            ProfileDelete(id) => format!("profile_delete:{id}"),
            ProfileDeleteConfirm(id) => format!("profile_delete_confirm:{id}"),
            Alerts(id) => format!("alerts:{id}"),
            AlertToggle(id, r) => format!("alert_toggle:{id}:{}", r.slug()),
            AlertParam(id, r) => format!("alert_param:{id}:{}", r.slug()),
            AlertRemind(id) => format!("alert_remind:{id}"),
            AlertQuiet(id) => format!("alert_quiet:{id}"),
            AddRetry => "add_retry".to_owned(),
            DialogueCancel => "dialogue_cancel".to_owned(),
        }
    }

    pub fn parse(data: &str) -> Result<Callback, BadCallback> {
        Self::try_parse(data).ok_or_else(|| BadCallback(data.chars().take(MAX_LEN).collect()))
    }

    fn try_parse(data: &str) -> Option<Callback> {
        use Callback::*;
        if data.len() > MAX_LEN {
            return None;
        }
        let mut parts = data.split(':');
        let name = parts.next()?;
        let args: Vec<&str> = parts.collect();
        let id = |i: usize| -> Option<i64> { args.get(i)?.parse().ok().filter(|v| *v > 0) };
        let profile = |i: usize| id(i).map(ProfileId);
        // Exactly `n` arguments: trailing garbage is garbled data, not a match.
        let arity = |n: usize| (args.len() == n).then_some(());
        let one = |make: fn(ProfileId) -> Callback| -> Option<Callback> {
            arity(1)?;
            Some(make(profile(0)?))
        };
        match name {
            "profiles_page" => {
                arity(2)?;
                Some(ProfilesPage {
                    owner: UserId(id(0)?),
                    page: args[1].parse().ok()?,
                })
            }
            "profile_add" => arity(0).map(|_| ProfileAdd),
            "add_retry" => arity(0).map(|_| AddRetry),
            "dialogue_cancel" => arity(0).map(|_| DialogueCancel),
            "profile_view" => one(ProfileView),
            "profile_report" => one(ProfileReport),
            "report_now" => one(ReportNow),
            "report_historical" => one(ReportHistorical),
            "report_characteristics" => one(ReportCharacteristics),
            "report_metrics_all" => one(ReportMetricsAll),
            "report_set_chat" => one(ReportSetChat),
            "report_chat_here" => one(ReportChatHere),
            "report_chat_forward" => one(ReportChatForward),
            "report_chat_clear" => one(ReportChatClear),
            "report_set_time" => one(ReportSetTime),
            "report_timezone" => one(ReportTimezone),
            "report_frequency" => one(ReportFrequency),
            "report_period" => one(ReportPeriod),
            "report_active" => one(ReportActive),
            "report_charts" => one(ReportCharts),
            "export_messenger" => one(ExportMessenger),
            "export_recent" => one(ExportRecent),
            "stats_export" => one(StatsExport),
            "profile_rename" => one(ProfileRename),
            "profile_keys" => one(ProfileKeys),
            "profile_delete" => one(ProfileDelete),
            "profile_delete_confirm" => one(ProfileDeleteConfirm),
            "alerts" => one(Alerts),
            "alert_remind" => one(AlertRemind),
            "alert_quiet" => one(AlertQuiet),
            "alert_toggle" => {
                arity(2)?;
                Some(AlertToggle(profile(0)?, AlertRule::from_slug(args[1])?))
            }
            "alert_param" => {
                arity(2)?;
                Some(AlertParam(profile(0)?, AlertRule::from_slug(args[1])?))
            }
            "report_toggle" => {
                arity(2)?;
                Some(ReportToggle(profile(0)?, Metric::from_slug(args[1])?))
            }
            "time_set" => {
                arity(2)?;
                let hhmm = args[1];
                if hhmm.len() != 4 || !hhmm.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let t =
                    NaiveTime::from_hms_opt(hhmm[..2].parse().ok()?, hhmm[2..].parse().ok()?, 0)?;
                Some(TimeSet(profile(0)?, t))
            }
            "tz_set" => {
                // IANA names contain no ':'; anything else is garbled.
                arity(2)?;
                Some(TzSet(profile(0)?, args[1].parse().ok()?))
            }
            "freq_set" => {
                arity(2)?;
                Some(FreqSet(profile(0)?, Frequency::from_slug(args[1])?))
            }
            "freq_interval" => {
                arity(2)?;
                let n: i32 = args[1].parse().ok()?;
                crate::db::tasks::INTERVAL_DAYS.contains(&n).then_some(())?;
                Some(FreqInterval(profile(0)?, n))
            }
            "freq_month_day" => {
                arity(2)?;
                let d: i32 = args[1].parse().ok()?;
                crate::db::tasks::MONTH_DAYS.contains(&d).then_some(())?;
                Some(FreqMonthDay(profile(0)?, d))
            }
            "report_day_toggle" => {
                arity(2)?;
                let d: u8 = args[1].parse().ok()?;
                (d < 7).then_some(())?;
                Some(ReportDayToggle(profile(0)?, d))
            }
            "period_set" => {
                arity(2)?;
                Some(PeriodSet(profile(0)?, PeriodKind::from_slug(args[1])?))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_variant(id: ProfileId) -> Vec<Callback> {
        use Callback::*;
        let mut all: Vec<Callback> = AlertRule::ALL
            .iter()
            .flat_map(|r| [AlertToggle(id, *r), AlertParam(id, *r)])
            .collect();
        all.extend([
            ProfilesPage {
                owner: UserId(id.0),
                page: u32::MAX,
            },
            ProfileAdd,
            AddRetry,
            DialogueCancel,
            Alerts(id),
            AlertRemind(id),
            AlertQuiet(id),
            ProfileView(id),
            ProfileReport(id),
            ReportNow(id),
            ReportHistorical(id),
            ProfileKeys(id),
            ReportCharacteristics(id),
            ReportMetricsAll(id),
            ReportSetChat(id),
            ReportChatHere(id),
            ReportChatForward(id),
            ReportChatClear(id),
            ReportSetTime(id),
            TimeSet(id, NaiveTime::from_hms_opt(23, 59, 0).expect("time")),
            ReportTimezone(id),
            ReportFrequency(id),
            FreqInterval(id, 365),
            FreqMonthDay(id, 31),
            ReportPeriod(id),
            ReportActive(id),
            ReportCharts(id),
            ExportMessenger(id),
            ExportRecent(id),
            StatsExport(id),
            ProfileRename(id),
            ProfileDelete(id),
            ProfileDeleteConfirm(id),
        ]);
        all.extend(Metric::ALL.map(|m| ReportToggle(id, m)));
        all.extend(Frequency::ALL.iter().map(|f| FreqSet(id, *f)));
        all.extend((0..7).map(|d| ReportDayToggle(id, d)));
        all.extend(PeriodKind::ALL.map(|p| PeriodSet(id, p)));
        // The longest IANA names there are.
        all.extend(chrono_tz::TZ_VARIANTS.iter().map(|tz| TzSet(id, *tz)));
        all
    }

    #[test]
    fn every_callback_round_trips_within_64_bytes() {
        for cb in every_variant(ProfileId(i64::MAX)) {
            let data = cb.encode();
            assert!(data.len() <= MAX_LEN, "{data} is {} bytes", data.len());
            assert_eq!(Callback::parse(&data), Ok(cb), "{data}");
        }
    }

    #[test]
    fn the_python_bots_values_keep_their_meaning() {
        use Callback::*;
        for (data, expect) in [
            ("profile_view:7", ProfileView(ProfileId(7))),
            ("profile_report:7", ProfileReport(ProfileId(7))),
            ("report_now:7", ReportNow(ProfileId(7))),
            ("report_historical:7", ReportHistorical(ProfileId(7))),
            (
                "report_characteristics:7",
                ReportCharacteristics(ProfileId(7)),
            ),
            (
                "report_toggle:7:views",
                ReportToggle(ProfileId(7), Metric::Views),
            ),
            // A legacy metric name the Python bot stored.
            (
                "report_toggle:7:expenses",
                ReportToggle(ProfileId(7), Metric::Spending),
            ),
            ("report_metrics_all:7", ReportMetricsAll(ProfileId(7))),
            ("report_set_chat:7", ReportSetChat(ProfileId(7))),
            ("report_chat_here:7", ReportChatHere(ProfileId(7))),
            ("report_chat_forward:7", ReportChatForward(ProfileId(7))),
            ("report_set_time:7", ReportSetTime(ProfileId(7))),
            ("report_frequency:7", ReportFrequency(ProfileId(7))),
            ("freq_set:7:daily", FreqSet(ProfileId(7), Frequency::Daily)),
            (
                "freq_set:7:interval",
                FreqSet(ProfileId(7), Frequency::Interval),
            ),
            (
                "freq_set:7:weekly",
                FreqSet(ProfileId(7), Frequency::Weekly),
            ),
            (
                "freq_set:7:monthly",
                FreqSet(ProfileId(7), Frequency::Monthly),
            ),
            ("report_day_toggle:7:0", ReportDayToggle(ProfileId(7), 0)),
            ("report_day_toggle:7:6", ReportDayToggle(ProfileId(7), 6)),
            ("export_messenger:7", ExportMessenger(ProfileId(7))),
        ] {
            assert_eq!(Callback::parse(data), Ok(expect), "{data}");
        }
    }

    #[test]
    fn garbled_data_is_refused() {
        for data in [
            "",
            "profile_view",
            "profile_view:",
            "profile_view:abc",
            "profile_view:-3",
            "profile_view:0",
            "profile_view:7:8",
            "report_toggle:7:clicks",
            "report_day_toggle:7:7",
            "freq_set:7:hourly",
            "freq_interval:7:0",
            "freq_interval:7:366",
            "freq_month_day:7:32",
            "time_set:7:2460",
            "time_set:7:930",
            "tz_set:7:Mars/Olympus",
            "period_set:7:fortnight",
            "profiles_page:7",
            "no_such_thing:7",
            "profile_view:99999999999999999999",
        ] {
            assert!(Callback::parse(data).is_err(), "{data} should be refused");
        }
        assert!(Callback::parse(&"x".repeat(65)).is_err());
    }
}
