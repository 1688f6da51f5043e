//! The callback-data contract: every inline button's `callback_data`, parsed and encoded by
//! one typed codec.
//!
//! The Python bot's values (`profile_view:{id}`, `report_toggle:{id}:{metric}`, …) keep their
//! meaning, so buttons in messages users already have keep working; new values follow the
//! same `name:arg:arg` style. Everything fits Telegram's 64-byte limit (checked in tests with
//! the largest ids).
//!
//! An action on one profile is `{name}:{profile id}` with at most one argument after it. The
//! actions are declared once, in the `profile_actions!` table below: each line names the
//! variant, its argument and its wire name, and both the encoder and the parser are made from
//! that line, so they cannot drift apart. Adding an action is one line there (and an `Arg`
//! impl when its argument is of a new type).

use chrono::NaiveTime;
use chrono_tz::Tz;

use crate::db::tasks::{INTERVAL_DAYS, MONTH_DAYS};
use crate::domain::alerts::AlertRule;
use crate::domain::{
    AnswerDraftId, Frequency, ListingsPage, Metric, PeriodKind, ProfileId, ReviewId, UserId,
};

/// Telegram's limit on `callback_data`.
pub const MAX_LEN: usize = 64;

/// How far back the hub's "recent chats" export reaches.
pub const RECENT_EXPORT_DAYS: u64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callback {
    /// A page of the profile list of `owner` (the owner is in the data so that, in a group,
    /// nobody else can page someone's hub).
    ProfilesPage { owner: UserId, page: u32 },
    /// Start the add-profile dialogue.
    ProfileAdd,
    /// Add-profile: try the Avito check again with what was entered.
    AddRetry,
    /// Leave the current dialogue.
    DialogueCancel,
    /// An action on one profile (its ownership is checked before anything changes).
    Profile(ProfileId, ProfileAction),
}

/// Why callback data was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unrecognised callback data {0:?}")]
pub struct BadCallback(pub String);

/// An argument of a profile action: its text in callback data, and back.
trait Arg: Sized {
    fn text(&self) -> String;
    fn read(text: &str) -> Option<Self>;
}

/// Declares [`ProfileAction`] and its codec from one table. A line is
/// `Variant = "wire_name";` or `Variant(ArgType) = "wire_name";`, optionally
/// `Variant(ArgType, in RANGE)` when only the values in `RANGE` are valid.
macro_rules! profile_actions {
    ($($(#[$doc:meta])* $action:ident $(($arg:ty $(, in $range:expr)?))? = $wire:literal;)+) => {
        /// Every button on one profile's screens.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ProfileAction {
            $($(#[$doc])* $action $(($arg))?,)+
        }

        impl ProfileAction {
            /// Every action's wire name, in the table's order.
            #[cfg(test)]
            pub(crate) const WIRE_NAMES: &'static [&'static str] = &[$($wire),+];

            fn encode(self, id: ProfileId) -> String {
                match self {
                    $(profile_actions!(@pattern $action $(, value, $arg)?) => {
                        let data = format!(concat!($wire, ":{}"), id);
                        $(let data = format!("{data}:{}", <$arg as Arg>::text(&value));)?
                        data
                    })+
                }
            }

            /// The action named `name` with the arguments after the profile id.
            fn decode(name: &str, args: &[&str]) -> Option<Self> {
                match name {
                    $($wire => profile_actions!(@decode $action, args $(, $arg $(, $range)?)?),)+
                    _ => None,
                }
            }
        }
    };
    (@pattern $action:ident) => { ProfileAction::$action };
    (@pattern $action:ident, $value:ident, $arg:ty) => { ProfileAction::$action($value) };
    (@decode $action:ident, $args:ident) => { $args.is_empty().then_some(ProfileAction::$action) };
    (@decode $action:ident, $args:ident, $arg:ty $(, $range:expr)?) => {
        match $args {
            [one] => <$arg as Arg>::read(one)
                $(.filter(|value| ($range).contains(value)))?
                .map(ProfileAction::$action),
            _ => None,
        }
    };
}

profile_actions! {
    /// The profile's card.
    View = "profile_view";
    /// The report settings screen.
    Report = "profile_report";
    ReportNow = "report_now";
    /// A report over a typed period (starts a dialogue).
    Historical = "report_historical";
    /// The metrics screen.
    Metrics = "report_characteristics";
    ToggleMetric(Metric) = "report_toggle";
    MetricsAll = "report_metrics_all";
    /// The destination screen.
    SetChat = "report_set_chat";
    ChatHere = "report_chat_here";
    ChatForward = "report_chat_forward";
    ChatClear = "report_chat_clear";
    /// The time screen (common times as buttons, any HH:MM typed).
    SetTime = "report_set_time";
    TimeSet(NaiveTime) = "time_set";
    /// The time zone screen.
    SetTimeZone = "report_timezone";
    TimeZoneSet(Tz) = "tz_set";
    /// The frequency screen.
    SetFrequency = "report_frequency";
    FrequencySet(Frequency) = "freq_set";
    /// Every N days.
    IntervalSet(i32, in INTERVAL_DAYS) = "freq_interval";
    /// Monthly on this day.
    MonthDaySet(i32, in MONTH_DAYS) = "freq_month_day";
    /// Switches one weekday of a weekly schedule; 0 = Monday.
    DayToggle(u8, in 0..7) = "report_day_toggle";
    /// The period screen.
    SetPeriod = "report_period";
    PeriodSet(PeriodKind) = "period_set";
    /// Switches the scheduled report on or off.
    ToggleActive = "report_active";
    /// Switches the report's charts on or off.
    ToggleCharts = "report_charts";
    /// Messenger chats to Excel.
    ExportChats = "export_messenger";
    /// The export of chats updated in the last [`RECENT_EXPORT_DAYS`] days.
    ExportRecentChats = "export_recent";
    /// Statistics to Excel: asks for the period, then exports.
    ExportStats = "stats_export";
    /// The profile's alerts screen.
    Alerts = "alerts";
    /// A page of the listings screen, in one order.
    Listings(ListingsPage) = "listings";
    /// Switches one rule on or off.
    AlertToggle(AlertRule) = "alert_toggle";
    /// Moves one rule's parameter to its next offered value.
    AlertParam(AlertRule) = "alert_param";
    /// Moves how often open alerts remind to the next offered value.
    AlertRemind = "alert_remind";
    /// Moves the quiet hours to the next offered span.
    AlertQuiet = "alert_quiet";
    Rename = "profile_rename";
    /// Enter new keys (client id and secret) for the profile.
    Keys = "profile_keys";
    /// Asks to confirm the deletion.
    Delete = "profile_delete";
    DeleteConfirm = "profile_delete_confirm";
    /// "✍️ Answer" under a new review's notice: asks for the answer's text.
    ReviewAnswer(ReviewId) = "review_answer";
    /// Under an answer shown back: send it to Avito (once).
    AnswerSend(AnswerDraftId) = "answer_send";
    /// Under an answer shown back: write it again.
    AnswerEdit(AnswerDraftId) = "answer_edit";
    /// Under an answer shown back: drop it.
    AnswerCancel(AnswerDraftId) = "answer_cancel";
}

impl ProfileAction {
    /// This action on profile `id`.
    pub fn on(self, id: ProfileId) -> Callback {
        Callback::Profile(id, self)
    }
}

impl Callback {
    pub fn encode(&self) -> String {
        match *self {
            Callback::ProfilesPage { owner, page } => format!("profiles_page:{owner}:{page}"),
            Callback::ProfileAdd => "profile_add".to_owned(),
            Callback::AddRetry => "add_retry".to_owned(),
            Callback::DialogueCancel => "dialogue_cancel".to_owned(),
            Callback::Profile(id, action) => action.encode(id),
        }
    }

    pub fn parse(data: &str) -> Result<Callback, BadCallback> {
        Self::try_parse(data).ok_or_else(|| BadCallback(data.chars().take(MAX_LEN).collect()))
    }

    fn try_parse(data: &str) -> Option<Callback> {
        if data.len() > MAX_LEN {
            return None;
        }
        let mut parts = data.split(':');
        let name = parts.next()?;
        let args: Vec<&str> = parts.collect();
        // Exactly the arguments expected: trailing garbage is garbled data, not a match.
        match (name, args.as_slice()) {
            ("profile_add", []) => Some(Callback::ProfileAdd),
            ("add_retry", []) => Some(Callback::AddRetry),
            ("dialogue_cancel", []) => Some(Callback::DialogueCancel),
            ("profiles_page", [owner, page]) => Some(Callback::ProfilesPage {
                owner: UserId(positive(owner)?),
                page: page.parse().ok()?,
            }),
            (name, [id, rest @ ..]) => {
                let action = ProfileAction::decode(name, rest)?;
                Some(Callback::Profile(ProfileId(positive(id)?), action))
            }
            _ => None,
        }
    }
}

/// An id in callback data: a positive number.
fn positive(text: &str) -> Option<i64> {
    text.parse().ok().filter(|v| *v > 0)
}

/// Metrics by slug; the names the Python bot used are read too.
impl Arg for Metric {
    fn text(&self) -> String {
        self.slug().to_owned()
    }
    fn read(text: &str) -> Option<Self> {
        Metric::from_slug(text)
    }
}

impl Arg for AlertRule {
    fn text(&self) -> String {
        self.slug().to_owned()
    }
    fn read(text: &str) -> Option<Self> {
        AlertRule::from_slug(text)
    }
}

impl Arg for Frequency {
    fn text(&self) -> String {
        self.slug().to_owned()
    }
    fn read(text: &str) -> Option<Self> {
        Frequency::from_slug(text)
    }
}

impl Arg for PeriodKind {
    fn text(&self) -> String {
        self.slug().to_owned()
    }
    fn read(text: &str) -> Option<Self> {
        PeriodKind::from_slug(text)
    }
}

/// `HHMM`: four digits, no separator (':' separates the arguments).
impl Arg for NaiveTime {
    fn text(&self) -> String {
        self.format("%H%M").to_string()
    }
    fn read(text: &str) -> Option<Self> {
        if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        NaiveTime::from_hms_opt(text[..2].parse().ok()?, text[2..].parse().ok()?, 0)
    }
}

/// The IANA name; names contain no ':', so anything else is garbled.
impl Arg for Tz {
    fn text(&self) -> String {
        self.name().to_owned()
    }
    fn read(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

impl Arg for i32 {
    fn text(&self) -> String {
        self.to_string()
    }
    fn read(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

impl Arg for ReviewId {
    fn text(&self) -> String {
        self.0.to_string()
    }
    fn read(text: &str) -> Option<Self> {
        positive(text).map(ReviewId)
    }
}

impl Arg for AnswerDraftId {
    fn text(&self) -> String {
        self.0.to_string()
    }
    fn read(text: &str) -> Option<Self> {
        positive(text).map(AnswerDraftId)
    }
}

/// `v0`, `c12`, `k3`: see [`ListingsPage::text`].
impl Arg for ListingsPage {
    fn text(&self) -> String {
        ListingsPage::text(*self)
    }
    fn read(text: &str) -> Option<Self> {
        ListingsPage::read(text)
    }
}

impl Arg for u8 {
    fn text(&self) -> String {
        self.to_string()
    }
    fn read(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProfileAction::*;

    fn every_variant(id: ProfileId, owner: UserId) -> Vec<Callback> {
        let mut actions: Vec<ProfileAction> = AlertRule::ALL
            .iter()
            .flat_map(|r| [AlertToggle(*r), AlertParam(*r)])
            .collect();
        actions.extend([
            Alerts,
            Listings(ListingsPage::FIRST),
            Listings(ListingsPage {
                sort: crate::domain::ListingSort::CostPerContact,
                page: u16::MAX,
            }),
            AlertRemind,
            AlertQuiet,
            View,
            Report,
            ReportNow,
            Historical,
            Keys,
            Metrics,
            MetricsAll,
            SetChat,
            ChatHere,
            ChatForward,
            ChatClear,
            SetTime,
            TimeSet(NaiveTime::from_hms_opt(23, 59, 0).expect("time")),
            SetTimeZone,
            SetFrequency,
            IntervalSet(365),
            MonthDaySet(31),
            SetPeriod,
            ToggleActive,
            ToggleCharts,
            ExportChats,
            ExportRecentChats,
            ExportStats,
            Rename,
            Delete,
            DeleteConfirm,
            ReviewAnswer(ReviewId(i64::MAX)),
            AnswerSend(AnswerDraftId(i64::MAX)),
            AnswerEdit(AnswerDraftId(i64::MAX)),
            AnswerCancel(AnswerDraftId(i64::MAX)),
        ]);
        actions.extend(Metric::ALL.map(ToggleMetric));
        actions.extend(Frequency::ALL.iter().map(|f| FrequencySet(*f)));
        actions.extend((0..7).map(DayToggle));
        actions.extend(PeriodKind::ALL.map(PeriodSet));
        // The longest IANA names there are.
        actions.extend(chrono_tz::TZ_VARIANTS.iter().map(|tz| TimeZoneSet(*tz)));
        let mut all: Vec<Callback> = actions
            .into_iter()
            .map(|a| Callback::Profile(id, a))
            .collect();
        all.extend([
            Callback::ProfilesPage {
                owner,
                page: u32::MAX,
            },
            Callback::ProfileAdd,
            Callback::AddRetry,
            Callback::DialogueCancel,
        ]);
        all
    }

    #[test]
    fn every_callback_round_trips_within_64_bytes() {
        for cb in every_variant(ProfileId(i64::MAX), UserId(i64::MAX)) {
            let data = cb.encode();
            assert!(data.len() <= MAX_LEN, "{data} is {} bytes", data.len());
            assert_eq!(Callback::parse(&data), Ok(cb), "{data}");
        }
    }

    /// The round trip above covers every action of the table.
    #[test]
    fn every_profile_action_is_covered_by_the_round_trip() {
        let covered: std::collections::BTreeSet<String> = every_variant(ProfileId(7), UserId(7))
            .iter()
            .filter(|cb| matches!(cb, Callback::Profile(..)))
            .filter_map(|cb| cb.encode().split(':').next().map(str::to_owned))
            .collect();
        let table: std::collections::BTreeSet<String> = ProfileAction::WIRE_NAMES
            .iter()
            .map(|name| (*name).to_owned())
            .collect();
        assert_eq!(covered, table);
        assert_eq!(
            table.len(),
            ProfileAction::WIRE_NAMES.len(),
            "a wire name is used twice"
        );
    }

    /// Every value the Python bot sent (its project map, "Ключевые callback endpoints"), with
    /// the metric names it used, means the same action.
    #[test]
    fn the_python_bots_values_keep_their_meaning() {
        let mut sent = vec![
            ("profile_view", View),
            ("profile_report", Report),
            ("report_now", ReportNow),
            ("report_historical", Historical),
            ("report_characteristics", Metrics),
            ("report_metrics_all", MetricsAll),
            ("report_set_chat", SetChat),
            ("report_chat_here", ChatHere),
            ("report_chat_forward", ChatForward),
            ("report_set_time", SetTime),
            ("report_frequency", SetFrequency),
            ("export_messenger", ExportChats),
        ]
        .into_iter()
        .map(|(name, action)| (name.to_owned(), action))
        .collect::<Vec<_>>();
        for (name, metric) in [
            ("views", Metric::Views),
            ("contacts", Metric::Contacts),
            ("favorites", Metric::Favorites),
            ("calls", Metric::Calls),
            ("spending", Metric::Spending),
            ("expenses", Metric::Spending),
            ("spendings", Metric::Spending),
            ("balance", Metric::WalletBalance),
            ("wallet", Metric::WalletBalance),
            ("wallet_balance", Metric::WalletBalance),
            ("items", Metric::ActiveItems),
        ] {
            sent.push((format!("report_toggle:{{id}}:{name}"), ToggleMetric(metric)));
        }
        for (name, frequency) in [
            ("daily", Frequency::Daily),
            ("interval", Frequency::Interval),
            ("weekly", Frequency::Weekly),
            ("monthly", Frequency::Monthly),
        ] {
            sent.push((format!("freq_set:{{id}}:{name}"), FrequencySet(frequency)));
        }
        for day in 0..=6u8 {
            sent.push((format!("report_day_toggle:{{id}}:{day}"), DayToggle(day)));
        }
        for id in [1, 7, 123_456, i64::MAX] {
            for (form, action) in &sent {
                let data = if form.contains("{id}") {
                    form.replace("{id}", &id.to_string())
                } else {
                    format!("{form}:{id}")
                };
                assert_eq!(
                    Callback::parse(&data),
                    Ok(Callback::Profile(ProfileId(id), *action)),
                    "{data}"
                );
            }
        }
    }

    /// The wire form of every action, as buttons already sent carry it.
    #[test]
    fn the_encoded_strings_are_unchanged() {
        let id = ProfileId(7);
        let at = NaiveTime::from_hms_opt(9, 5, 0).expect("time");
        for (cb, data) in [
            (
                Callback::ProfilesPage {
                    owner: UserId(42),
                    page: 3,
                },
                "profiles_page:42:3",
            ),
            (Callback::ProfileAdd, "profile_add"),
            (Callback::AddRetry, "add_retry"),
            (Callback::DialogueCancel, "dialogue_cancel"),
        ] {
            assert_eq!(cb.encode(), data);
        }
        for (action, data) in [
            (View, "profile_view:7"),
            (Report, "profile_report:7"),
            (ReportNow, "report_now:7"),
            (Historical, "report_historical:7"),
            (Metrics, "report_characteristics:7"),
            (
                ToggleMetric(Metric::CostPerContact),
                "report_toggle:7:cost_per_contact",
            ),
            (MetricsAll, "report_metrics_all:7"),
            (SetChat, "report_set_chat:7"),
            (ChatHere, "report_chat_here:7"),
            (ChatForward, "report_chat_forward:7"),
            (ChatClear, "report_chat_clear:7"),
            (SetTime, "report_set_time:7"),
            (TimeSet(at), "time_set:7:0905"),
            (SetTimeZone, "report_timezone:7"),
            (
                TimeZoneSet(chrono_tz::Europe::Moscow),
                "tz_set:7:Europe/Moscow",
            ),
            (SetFrequency, "report_frequency:7"),
            (FrequencySet(Frequency::Weekly), "freq_set:7:weekly"),
            (IntervalSet(3), "freq_interval:7:3"),
            (MonthDaySet(15), "freq_month_day:7:15"),
            (DayToggle(6), "report_day_toggle:7:6"),
            (SetPeriod, "report_period:7"),
            (PeriodSet(PeriodKind::Last7Days), "period_set:7:last_7_days"),
            (ToggleActive, "report_active:7"),
            (ToggleCharts, "report_charts:7"),
            (ExportChats, "export_messenger:7"),
            (ExportRecentChats, "export_recent:7"),
            (ExportStats, "stats_export:7"),
            (Alerts, "alerts:7"),
            (Listings(ListingsPage::FIRST), "listings:7:v0"),
            (
                AlertToggle(AlertRule::WalletLow),
                "alert_toggle:7:wallet_low",
            ),
            (AlertParam(AlertRule::WalletLow), "alert_param:7:wallet_low"),
            (AlertRemind, "alert_remind:7"),
            (AlertQuiet, "alert_quiet:7"),
            (Rename, "profile_rename:7"),
            (Keys, "profile_keys:7"),
            (Delete, "profile_delete:7"),
            (DeleteConfirm, "profile_delete_confirm:7"),
        ] {
            assert_eq!(Callback::Profile(id, action).encode(), data);
            assert_eq!(Callback::parse(data), Ok(Callback::Profile(id, action)));
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
