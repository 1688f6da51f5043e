//! What a press in the hub does, decided without I/O. [`press`] takes what was loaded (the
//! profile pressed on, its alert rules, the chat's dialogue step), what the press itself tells
//! (who, where) and the time, and returns a [`HubPlan`]: what to change, which dialogue step to
//! enter, what to show and how to answer — or which longer effect to start. `execute` carries
//! it out.

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::bot::access::{Owned, Refusal};
use crate::bot::answer::AnswerPress;
use crate::bot::chat_check::CannotPost;
use crate::bot::dialogue::historical;
use crate::bot::ports::Change;
use crate::bot::steps::{Kept, Purpose, State};
use crate::db::entities::alert_rule;
use crate::db::tasks::{Frequency, ScheduleChange, Weekdays};
use crate::domain::alerts::{AlertRule, DaySpan};
use crate::domain::{ChatId, DamagedSetting, ListingsPage, ScheduleTime, UserId, Zone};
use crate::report::{MetricSet, Period};
use crate::schedule::task_tz;
use crate::telegram::callback::{Callback, ProfileAction, RECENT_EXPORT_DAYS};

/// How often an open alert may remind, in minutes (a press moves to the next).
pub const REMIND_CHOICES: [i32; 5] = [60, 180, 360, 720, 1440];

/// The quiet hours offered: the default, a shorter night, none.
pub const QUIET_CHOICES: [Option<DaySpan>; 3] = [
    Some(DaySpan::QUIET_DEFAULT),
    Some(DaySpan {
        from: 23 * 60,
        to: 7 * 60,
    }),
    None,
];

/// What is known of a press without asking anyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PressFacts {
    pub user: UserId,
    /// The chat the button was pressed in.
    pub chat: ChatId,
    /// A private chat: dialogues run there only.
    pub private: bool,
    pub channel: bool,
    /// The chat's name as a report destination: the presser's first name in a private chat,
    /// the title elsewhere.
    pub title: String,
}

impl PressFacts {
    /// Pressed in the presser's own private chat.
    pub fn own_chat(&self) -> bool {
        self.chat == self.user.private_chat()
    }
}

/// What was loaded for a press.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The profile pressed on, or why it cannot be acted on (`None`: not loaded).
    pub profile: Option<Result<Owned, Refusal>>,
    /// Its alert rules, for the buttons of [`needs_rules`].
    pub rules: Vec<alert_rule::Model>,
    /// The chat's dialogue step, for the button of [`needs_dialogue`].
    pub dialogue: State,
}

/// The buttons whose plan reads the profile's alert rules.
pub fn needs_rules(action: ProfileAction) -> bool {
    matches!(
        action,
        ProfileAction::AlertToggle(_) | ProfileAction::AlertParam(_) | ProfileAction::AlertRemind
    )
}

/// The buttons whose plan reads the chat's dialogue step.
pub fn needs_dialogue(cb: Callback) -> bool {
    cb == Callback::AddRetry
}

/// What a press does.
#[derive(Debug, Clone, PartialEq)]
pub enum HubPlan {
    /// Nothing changes: the press gets an alert.
    Refuse(Say),
    /// A screen in place of the hub message, after a dialogue step or a change.
    Show(Shown),
    /// "Report now" over the task's period, to its chat or here; a damaged period or zone is
    /// said in the chat instead.
    ReportNow(Result<Period, DamagedSetting>),
    /// The export of the profile's chats (those updated since the day, when given).
    ExportChats { since: Option<NaiveDate> },
    /// Bind the chat pressed in once Telegram confirms that the bot may post there (see
    /// [`rights_checked`]).
    CheckRights { channel: bool },
    /// "Try again": Avito is asked again about the kept keys.
    Retry(Kept),
    /// A review's "Answer", or an answer's "Send", "Edit" or "Cancel".
    Answer(AnswerPress),
    /// A page of the listings screen: read from Avito (a new order may wait for the
    /// once-a-minute budget), so the press is answered first.
    Listings(ListingsPage),
}

/// A screen to show, and what comes before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub step: Step,
    /// A change of the profile's settings; the screen then shows the profile as stored.
    pub change: Option<Change>,
    pub view: View,
    pub reply: Reply,
}

/// What happens to the chat's dialogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Stay,
    Enter(State),
    /// Leave a half-done dialogue, if there is one.
    Leave,
    Exit,
}

/// The screens of the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// A page of the presser's profile list.
    List(u32),
    /// The list's first page, saying that the profile named so was deleted.
    Deleted(String),
    /// "Cancelled", with no buttons.
    Cancelled,
    /// The first question of adding a profile.
    AskName,
    /// A screen of the profile pressed on.
    Profile(Of),
}

/// The screens of one profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Of {
    Card,
    Settings,
    Metrics,
    Chat,
    Time,
    TimeZone,
    Frequency,
    IntervalChoice,
    MonthDayChoice,
    Period,
    Alerts,
    DeleteConfirm,
    /// The first question of a dialogue about the profile.
    Ask(Ask),
}

/// The first question of a dialogue about a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// The first day of a period, `today` in the profile's zone.
    PeriodStart {
        purpose: Purpose,
        today: NaiveDate,
    },
    Forward,
    Rename,
    KeysClientId,
}

/// How the press is answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Silent,
    /// "Saved". Like [`Reply::Silent`], it becomes the stale alert when the profile is gone by
    /// the time it is shown again.
    Saved,
    /// A notice of its own, whatever is shown.
    Toast(Say),
}

/// What an alert or a toast says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Say {
    NotOwner,
    PrivateOnly,
    /// The profile is gone, or someone else's.
    Stale,
    MetricLast,
    NeedChat,
    NoDialogue,
    Damaged(DamagedSetting),
    CannotPost {
        title: String,
        why: CannotPost,
    },
    ChatCleared,
    TimeSaved(ScheduleTime),
    TzSaved(Tz),
    ChatSet {
        name: String,
        title: String,
    },
}

impl From<Of> for View {
    fn from(of: Of) -> View {
        View::Profile(of)
    }
}

fn show(view: impl Into<View>) -> HubPlan {
    HubPlan::Show(Shown {
        step: Step::Stay,
        change: None,
        view: view.into(),
        reply: Reply::Silent,
    })
}

fn change(change: Change, view: impl Into<View>, reply: Reply) -> HubPlan {
    HubPlan::Show(Shown {
        step: Step::Stay,
        change: Some(change),
        view: view.into(),
        reply,
    })
}

fn enter(state: State, view: impl Into<View>) -> HubPlan {
    HubPlan::Show(Shown {
        step: Step::Enter(state),
        change: None,
        view: view.into(),
        reply: Reply::Silent,
    })
}

/// A button that asks for typed text: in a private chat only (the bot sees no plain text in
/// groups).
fn private_only(press: &PressFacts, plan: HubPlan) -> HubPlan {
    if press.private {
        plan
    } else {
        HubPlan::Refuse(Say::PrivateOnly)
    }
}

/// A button that starts a dialogue about the profile: its first question, in a private chat
/// only.
fn ask(press: &PressFacts, state: State, question: Ask) -> HubPlan {
    private_only(press, enter(state, Of::Ask(question)))
}

/// A chooser screen that also takes typed input: the step is entered where typing is seen.
fn choose(press: &PressFacts, state: State, view: Of) -> HubPlan {
    if press.private {
        enter(state, view)
    } else {
        show(view)
    }
}

/// The plan of a press of `cb`.
pub fn press(cb: Callback, loaded: &Loaded, facts: &PressFacts, now: DateTime<Utc>) -> HubPlan {
    match cb {
        Callback::ProfilesPage { owner, .. } if owner != facts.user => {
            HubPlan::Refuse(Say::NotOwner)
        }
        Callback::ProfilesPage { page, .. } => HubPlan::Show(Shown {
            step: Step::Leave,
            change: None,
            view: View::List(page),
            reply: Reply::Silent,
        }),
        // Dialogue buttons act on the chat's own dialogue: only its user may press them (a
        // press from anyone else is a forgery and changes nothing).
        Callback::ProfileAdd | Callback::AddRetry | Callback::DialogueCancel
            if !facts.own_chat() =>
        {
            HubPlan::Refuse(if facts.private {
                Say::NotOwner
            } else {
                Say::PrivateOnly
            })
        }
        Callback::ProfileAdd => enter(State::AddName, View::AskName),
        Callback::AddRetry => match loaded.dialogue.kept() {
            Some(kept) => HubPlan::Retry(kept),
            None => HubPlan::Refuse(Say::NoDialogue),
        },
        Callback::DialogueCancel => HubPlan::Show(Shown {
            step: Step::Exit,
            change: None,
            view: View::Cancelled,
            reply: Reply::Silent,
        }),
        // A profile that is gone and one that is someone else's get the same answer: which
        // ids exist is nobody else's business (the log tells them apart).
        Callback::Profile(_, action) => match &loaded.profile {
            Some(Ok(o)) => profile(action, o, &loaded.rules, facts, now),
            Some(Err(Refusal::Stale | Refusal::NotOwner)) | None => HubPlan::Refuse(Say::Stale),
        },
    }
}

/// The plan of a button of the owned profile `o`.
pub fn profile(
    action: ProfileAction,
    o: &Owned,
    rules: &[alert_rule::Model],
    facts: &PressFacts,
    now: DateTime<Utc>,
) -> HubPlan {
    use ProfileAction as A;
    let profile_id = o.profile.id;
    match action {
        A::View => show(Of::Card),
        A::Report => show(Of::Settings),
        A::Metrics => show(Of::Metrics),
        A::SetChat => show(Of::Chat),
        A::SetFrequency => show(Of::Frequency),
        A::SetPeriod => show(Of::Period),
        A::Delete => show(Of::DeleteConfirm),
        A::Alerts => show(Of::Alerts),
        A::Listings(page) => HubPlan::Listings(page),
        A::AlertToggle(_) | A::AlertParam(_) | A::AlertRemind | A::AlertQuiet => {
            alerts(action, o, rules)
        }
        A::ToggleMetric(_)
        | A::MetricsAll
        | A::PeriodSet(_)
        | A::ToggleActive
        | A::ToggleCharts => report(action, o),
        A::ChatHere | A::ChatForward | A::ChatClear => chat(action, o, facts),
        A::SetTime | A::TimeSet(_) | A::SetTimeZone | A::TimeZoneSet(_) => time(action, o, facts),
        A::FrequencySet(_) | A::IntervalSet(_) | A::MonthDaySet(_) | A::DayToggle(_) => {
            frequency(action, o, facts)
        }
        A::ReportNow | A::Historical | A::ExportStats | A::ExportChats | A::ExportRecentChats => {
            effects(action, o, facts, now)
        }
        A::Rename => ask(facts, State::Rename { profile_id }, Ask::Rename),
        // Keys are typed, and a secret is never asked for in a group.
        A::Keys => ask(facts, State::KeysClientId { profile_id }, Ask::KeysClientId),
        A::ReviewAnswer(_) | A::AnswerSend(_) | A::AnswerEdit(_) | A::AnswerCancel(_) => {
            AnswerPress::of(action).map_or(HubPlan::Refuse(Say::Stale), HubPlan::Answer)
        }
        A::DeleteConfirm => change(
            Change::Delete,
            View::Deleted(o.profile.name.clone()),
            Reply::Silent,
        ),
    }
}

/// The alert buttons: a switch, a parameter, reminders and quiet hours, each moving to the
/// next offered value.
fn alerts(action: ProfileAction, o: &Owned, rules: &[alert_rule::Model]) -> HubPlan {
    let rule_of = |rule: AlertRule| rules.iter().find(|r| r.rule == rule);
    let (made, reply) = match action {
        ProfileAction::AlertToggle(rule) => {
            let on = rule_of(rule).is_some_and(|r| r.enabled);
            (Change::RuleOn(rule, !on), Reply::Saved)
        }
        ProfileAction::AlertParam(rule) => {
            let current = rule_of(rule).map_or(rule.default_param(), |r| r.param);
            (
                Change::RuleParam(rule, rule.next_choice(current)),
                Reply::Saved,
            )
        }
        ProfileAction::AlertRemind => {
            let current = rules.first().map_or(24 * 60, |r| r.remind_minutes);
            (
                Change::RemindEvery(next_of(&REMIND_CHOICES, &current)),
                Reply::Silent,
            )
        }
        _ => {
            let p = &o.profile;
            let current = DaySpan::quiet_from_columns(p.alert_quiet_from, p.alert_quiet_to);
            (
                Change::Quiet(next_of(&QUIET_CHOICES, &current)),
                Reply::Silent,
            )
        }
    };
    change(made, Of::Alerts, reply)
}

/// The choice after `current` (the first when `current` is not among them).
fn next_of<T: PartialEq + Copy>(choices: &[T], current: &T) -> T {
    let at = choices.iter().position(|c| c == current);
    choices[at.map_or(0, |i| (i + 1) % choices.len())]
}

/// What the report contains, and whether it is sent.
fn report(action: ProfileAction, o: &Owned) -> HubPlan {
    let task = &o.task;
    match action {
        ProfileAction::ToggleMetric(metric) => {
            // A damaged set is set again from scratch by the first toggle.
            let mut set = task
                .metrics
                .get()
                .cloned()
                .unwrap_or_else(|_| MetricSet::none());
            set.toggle(metric);
            if set.is_empty() {
                return HubPlan::Refuse(Say::MetricLast);
            }
            change(Change::Metrics(set), Of::Metrics, Reply::Saved)
        }
        ProfileAction::MetricsAll => {
            change(Change::Metrics(MetricSet::all()), Of::Metrics, Reply::Saved)
        }
        ProfileAction::PeriodSet(kind) => change(Change::Period(kind), Of::Period, Reply::Saved),
        ProfileAction::ToggleActive if task.chat_id.is_none() => HubPlan::Refuse(Say::NeedChat),
        ProfileAction::ToggleActive => change(
            Change::Schedule(ScheduleChange::Active(!task.is_active)),
            Of::Settings,
            Reply::Saved,
        ),
        _ => change(Change::Charts(!task.charts), Of::Settings, Reply::Saved),
    }
}

/// Where the reports go.
fn chat(action: ProfileAction, o: &Owned, facts: &PressFacts) -> HubPlan {
    match action {
        // A group or channel must let the bot post first.
        ProfileAction::ChatHere if !facts.private => HubPlan::CheckRights {
            channel: facts.channel,
        },
        ProfileAction::ChatHere => HubPlan::Show(bind_here(o, facts)),
        ProfileAction::ChatForward => ask(
            facts,
            State::ForwardChat {
                profile_id: o.profile.id,
            },
            Ask::Forward,
        ),
        _ => change(
            Change::Schedule(ScheduleChange::NoChat),
            Of::Settings,
            Reply::Toast(Say::ChatCleared),
        ),
    }
}

/// The chat pressed in as the report destination, once Telegram said whether the bot may post
/// there (the refusal names the chat and the reason).
pub fn rights_checked(
    o: &Owned,
    facts: &PressFacts,
    rights: Result<(), CannotPost>,
) -> Result<Shown, Say> {
    match rights {
        Ok(()) => Ok(bind_here(o, facts)),
        Err(why) => Err(Say::CannotPost {
            title: facts.title.clone(),
            why,
        }),
    }
}

fn bind_here(o: &Owned, facts: &PressFacts) -> Shown {
    Shown {
        step: Step::Stay,
        change: Some(Change::Schedule(ScheduleChange::Chat {
            id: facts.chat,
            title: facts.title.clone(),
        })),
        view: View::Profile(Of::Settings),
        reply: Reply::Toast(Say::ChatSet {
            name: o.profile.name.clone(),
            title: facts.title.clone(),
        }),
    }
}

/// When the reports go: common times and zones as buttons, any other typed.
fn time(action: ProfileAction, o: &Owned, facts: &PressFacts) -> HubPlan {
    let profile_id = o.profile.id;
    let saved = |made, say| change(Change::Schedule(made), Of::Settings, Reply::Toast(say));
    match action {
        ProfileAction::TimeSet(at) => {
            let at = ScheduleTime::new(at);
            saved(ScheduleChange::TimeOfDay(at), Say::TimeSaved(at))
        }
        ProfileAction::TimeZoneSet(tz) => {
            saved(ScheduleChange::TimeZone(Zone::new(tz)), Say::TzSaved(tz))
        }
        ProfileAction::SetTimeZone => choose(facts, State::TimeZone { profile_id }, Of::TimeZone),
        _ => choose(facts, State::Time { profile_id }, Of::Time),
    }
}

/// How often the reports go.
fn frequency(action: ProfileAction, o: &Owned, facts: &PressFacts) -> HubPlan {
    let profile_id = o.profile.id;
    let made = match action {
        ProfileAction::FrequencySet(Frequency::Interval) => {
            return choose(facts, State::Interval { profile_id }, Of::IntervalChoice);
        }
        ProfileAction::FrequencySet(Frequency::Monthly) => {
            return choose(facts, State::MonthDay { profile_id }, Of::MonthDayChoice);
        }
        ProfileAction::FrequencySet(f) => ScheduleChange::Frequency(f),
        ProfileAction::IntervalSet(n) => ScheduleChange::Interval(n),
        ProfileAction::MonthDaySet(d) => ScheduleChange::MonthDay(d),
        ProfileAction::DayToggle(day) => {
            ScheduleChange::Weekdays(Weekdays(o.task.weekdays).toggled(day))
        }
        _ => return show(Of::Frequency),
    };
    change(Change::Schedule(made), Of::Frequency, Reply::Saved)
}

/// The buttons that start something longer: a report, a period dialogue, an export.
fn effects(action: ProfileAction, o: &Owned, facts: &PressFacts, now: DateTime<Utc>) -> HubPlan {
    let profile_id = o.profile.id;
    let ask_period = |purpose: Purpose| {
        let today = historical::today(o, now);
        let question = Ask::PeriodStart { purpose, today };
        ask(facts, purpose.start_step(profile_id), question)
    };
    match action {
        ProfileAction::ReportNow => HubPlan::ReportNow(
            o.task
                .period
                .get()
                .and_then(|kind| Ok((*kind, task_tz(&o.task)?)))
                .map(|(kind, tz)| Period::resolve(kind, tz, now)),
        ),
        ProfileAction::Historical => ask_period(Purpose::Report),
        // The period is typed: dialogues run in private chats only.
        ProfileAction::ExportStats => ask_period(Purpose::StatsExport),
        // "The last 30 days" are days in the profile's zone: it must be set first.
        ProfileAction::ExportRecentChats => match task_tz(&o.task) {
            Ok(tz) => HubPlan::ExportChats {
                since: Some(now.with_timezone(&tz).date_naive() - Days::new(RECENT_EXPORT_DAYS)),
            },
            Err(damaged) => HubPlan::Refuse(Say::Damaged(damaged)),
        },
        _ => HubPlan::ExportChats { since: None },
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::{NaiveTime, TimeZone};
    use chrono_tz::{Asia, Europe};

    use super::*;
    use crate::db::entities::{avito_profile, report_task};
    use crate::domain::{AccountId, AlertRuleId, Metric, PeriodKind, ProfileId, ProfileStatus};
    use crate::domain::{AnswerDraftId, ReviewId, Stored, TaskId};
    use crate::telegram::callback::ProfileAction as A;

    const PROFILE: ProfileId = ProfileId(7);
    const OWNER: UserId = UserId(100);

    /// 19:00 on 15 March in Novosibirsk, the profile's zone.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 15, 12, 0, 0)
            .single()
            .expect("time")
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    /// A weekly report on Mondays at 09:00 in Novosibirsk of yesterday's views and calls, sent
    /// to a group, with charts.
    fn owned() -> Owned {
        let at = now();
        Owned {
            profile: avito_profile::Model {
                id: PROFILE,
                owner_id: OWNER,
                name: "Shop".into(),
                client_id: "client".into(),
                client_secret_enc: "v1.x".into(),
                avito_user_id: Some(AccountId(42)),
                avito_account_name: None,
                access_token_enc: None,
                token_expires_at: None,
                status: ProfileStatus::Ok,
                last_error: None,
                created_at: at,
                updated_at: at,
                alert_quiet_from: None,
                alert_quiet_to: None,
                listing_pages: None,
            },
            task: report_task::Model {
                id: TaskId(3),
                profile_id: PROFILE,
                chat_id: Some(ChatId(-500)),
                chat_title: Some("Team".into()),
                frequency: Stored::parse("weekly"),
                interval_days: 3,
                weekdays: 0b1,
                month_day: 15,
                time_of_day: Stored::parse("09:00"),
                time_zone: Stored::parse("Asia/Novosibirsk"),
                period: Stored::parse("yesterday"),
                metrics: Stored::parse(r#"["views","calls"]"#),
                is_active: true,
                charts: true,
                schedule_version: 0,
                next_run_at: None,
                last_run_at: None,
                created_at: at,
                updated_at: at,
            },
        }
    }

    fn rule(rule: AlertRule, enabled: bool, param: i64, remind: i32) -> alert_rule::Model {
        alert_rule::Model {
            id: AlertRuleId(1),
            profile_id: PROFILE,
            rule,
            enabled,
            param,
            remind_minutes: remind,
            work_from: 9 * 60,
            work_to: 21 * 60,
            seen_day: None,
            seen_count: 0,
            watching_since: 0,
        }
    }

    /// Pressed by the owner in their private chat.
    fn private() -> PressFacts {
        PressFacts {
            user: OWNER,
            chat: OWNER.private_chat(),
            private: true,
            channel: false,
            title: "Ann".into(),
        }
    }

    /// Pressed by the owner in a group.
    fn group() -> PressFacts {
        PressFacts {
            user: OWNER,
            chat: ChatId(-500),
            private: false,
            channel: false,
            title: "Team".into(),
        }
    }

    fn plan_of(
        action: ProfileAction,
        o: Owned,
        rules: &[alert_rule::Model],
        facts: &PressFacts,
    ) -> HubPlan {
        let loaded = Loaded {
            profile: Some(Ok(o)),
            rules: rules.to_vec(),
            dialogue: State::Idle,
        };
        press(Callback::Profile(PROFILE, action), &loaded, facts, now())
    }

    fn screen(of: Of) -> HubPlan {
        HubPlan::Show(Shown {
            step: Step::Stay,
            change: None,
            view: View::Profile(of),
            reply: Reply::Silent,
        })
    }

    fn changed(change: Change, of: Of, reply: Reply) -> HubPlan {
        HubPlan::Show(Shown {
            step: Step::Stay,
            change: Some(change),
            view: View::Profile(of),
            reply,
        })
    }

    fn schedule(change: ScheduleChange, of: Of, reply: Reply) -> HubPlan {
        changed(Change::Schedule(change), of, reply)
    }

    fn entered(state: State, of: Of) -> HubPlan {
        HubPlan::Show(Shown {
            step: Step::Enter(state),
            change: None,
            view: View::Profile(of),
            reply: Reply::Silent,
        })
    }

    fn refused(say: Say) -> HubPlan {
        HubPlan::Refuse(say)
    }

    fn wire(action: ProfileAction) -> String {
        let data = action.on(PROFILE).encode();
        data.split(':').next().unwrap_or_default().to_owned()
    }

    /// Every button of a profile, pressed in a private chat and in a group, with the profile
    /// of [`owned`] and no alert rules yet.
    #[test]
    fn every_profile_button_has_its_plan() {
        let (p, g) = (private(), group());
        let ten = NaiveTime::from_hms_opt(10, 0, 0).expect("time");
        let id = PROFILE;
        let ask_period = |purpose, state| {
            let ask = Ask::PeriodStart {
                purpose,
                today: day(2026, 3, 15),
            };
            entered(state, Of::Ask(ask))
        };
        let calls_only: MetricSet = [Metric::Calls].into_iter().collect();
        let rows: Vec<(ProfileAction, &PressFacts, HubPlan)> = vec![
            (A::View, &g, screen(Of::Card)),
            (A::Report, &g, screen(Of::Settings)),
            (A::Metrics, &g, screen(Of::Metrics)),
            (A::SetChat, &g, screen(Of::Chat)),
            (A::SetFrequency, &g, screen(Of::Frequency)),
            (A::SetPeriod, &g, screen(Of::Period)),
            (A::Delete, &g, screen(Of::DeleteConfirm)),
            (A::Alerts, &g, screen(Of::Alerts)),
            (
                A::ToggleMetric(Metric::Views),
                &g,
                changed(Change::Metrics(calls_only), Of::Metrics, Reply::Saved),
            ),
            (
                A::MetricsAll,
                &g,
                changed(Change::Metrics(MetricSet::all()), Of::Metrics, Reply::Saved),
            ),
            (
                A::PeriodSet(PeriodKind::Last7Days),
                &g,
                changed(
                    Change::Period(PeriodKind::Last7Days),
                    Of::Period,
                    Reply::Saved,
                ),
            ),
            (
                A::ToggleActive,
                &g,
                schedule(ScheduleChange::Active(false), Of::Settings, Reply::Saved),
            ),
            (
                A::ToggleCharts,
                &g,
                changed(Change::Charts(false), Of::Settings, Reply::Saved),
            ),
            (
                A::ChatClear,
                &g,
                schedule(
                    ScheduleChange::NoChat,
                    Of::Settings,
                    Reply::Toast(Say::ChatCleared),
                ),
            ),
            (
                A::TimeSet(ten),
                &g,
                schedule(
                    ScheduleChange::TimeOfDay(ScheduleTime::new(ten)),
                    Of::Settings,
                    Reply::Toast(Say::TimeSaved(ScheduleTime::new(ten))),
                ),
            ),
            (
                A::TimeZoneSet(Europe::Moscow),
                &g,
                schedule(
                    ScheduleChange::TimeZone(Zone::new(Europe::Moscow)),
                    Of::Settings,
                    Reply::Toast(Say::TzSaved(Europe::Moscow)),
                ),
            ),
            (
                A::FrequencySet(Frequency::Daily),
                &g,
                schedule(
                    ScheduleChange::Frequency(Frequency::Daily),
                    Of::Frequency,
                    Reply::Saved,
                ),
            ),
            (
                A::IntervalSet(14),
                &g,
                schedule(ScheduleChange::Interval(14), Of::Frequency, Reply::Saved),
            ),
            (
                A::MonthDaySet(28),
                &g,
                schedule(ScheduleChange::MonthDay(28), Of::Frequency, Reply::Saved),
            ),
            (
                A::DayToggle(2),
                &g,
                schedule(
                    ScheduleChange::Weekdays(Weekdays(0b101)),
                    Of::Frequency,
                    Reply::Saved,
                ),
            ),
            (
                A::DayToggle(0),
                &g,
                schedule(
                    ScheduleChange::Weekdays(Weekdays(0)),
                    Of::Frequency,
                    Reply::Saved,
                ),
            ),
            (
                A::DeleteConfirm,
                &g,
                HubPlan::Show(Shown {
                    step: Step::Stay,
                    change: Some(Change::Delete),
                    view: View::Deleted("Shop".into()),
                    reply: Reply::Silent,
                }),
            ),
            // Choosers that also take typed input enter the step where typing is seen.
            (
                A::SetTime,
                &p,
                entered(State::Time { profile_id: id }, Of::Time),
            ),
            (A::SetTime, &g, screen(Of::Time)),
            (
                A::SetTimeZone,
                &p,
                entered(State::TimeZone { profile_id: id }, Of::TimeZone),
            ),
            (A::SetTimeZone, &g, screen(Of::TimeZone)),
            (
                A::FrequencySet(Frequency::Interval),
                &p,
                entered(State::Interval { profile_id: id }, Of::IntervalChoice),
            ),
            (
                A::FrequencySet(Frequency::Interval),
                &g,
                screen(Of::IntervalChoice),
            ),
            (
                A::FrequencySet(Frequency::Monthly),
                &p,
                entered(State::MonthDay { profile_id: id }, Of::MonthDayChoice),
            ),
            (
                A::FrequencySet(Frequency::Monthly),
                &g,
                screen(Of::MonthDayChoice),
            ),
            // Buttons that only ask for typed text: private chats only.
            (
                A::Historical,
                &p,
                ask_period(Purpose::Report, State::HistoricalStart { profile_id: id }),
            ),
            (A::Historical, &g, refused(Say::PrivateOnly)),
            (
                A::ExportStats,
                &p,
                ask_period(Purpose::StatsExport, State::StatsStart { profile_id: id }),
            ),
            (A::ExportStats, &g, refused(Say::PrivateOnly)),
            (
                A::ChatForward,
                &p,
                entered(State::ForwardChat { profile_id: id }, Of::Ask(Ask::Forward)),
            ),
            (A::ChatForward, &g, refused(Say::PrivateOnly)),
            (
                A::Rename,
                &p,
                entered(State::Rename { profile_id: id }, Of::Ask(Ask::Rename)),
            ),
            (A::Rename, &g, refused(Say::PrivateOnly)),
            (
                A::Keys,
                &p,
                entered(
                    State::KeysClientId { profile_id: id },
                    Of::Ask(Ask::KeysClientId),
                ),
            ),
            (A::Keys, &g, refused(Say::PrivateOnly)),
            // Binding the chat pressed in: a private chat at once, elsewhere once Telegram
            // says the bot may post there.
            (
                A::ChatHere,
                &p,
                schedule(
                    ScheduleChange::Chat {
                        id: OWNER.private_chat(),
                        title: "Ann".into(),
                    },
                    Of::Settings,
                    Reply::Toast(Say::ChatSet {
                        name: "Shop".into(),
                        title: "Ann".into(),
                    }),
                ),
            ),
            (A::ChatHere, &g, HubPlan::CheckRights { channel: false }),
            // Longer effects.
            (A::ExportChats, &g, HubPlan::ExportChats { since: None }),
            (
                A::Listings(ListingsPage::FIRST),
                &g,
                HubPlan::Listings(ListingsPage::FIRST),
            ),
            (
                A::ExportRecentChats,
                &g,
                HubPlan::ExportChats {
                    since: Some(day(2026, 2, 13)),
                },
            ),
            (
                A::ReportNow,
                &g,
                HubPlan::ReportNow(Ok(Period {
                    from: day(2026, 3, 14),
                    to: day(2026, 3, 14),
                })),
            ),
            // With no rules stored yet: the defaults (off, 24 h, the default parameter).
            (
                A::AlertToggle(AlertRule::WalletLow),
                &g,
                changed(
                    Change::RuleOn(AlertRule::WalletLow, true),
                    Of::Alerts,
                    Reply::Saved,
                ),
            ),
            (
                A::AlertParam(AlertRule::Unanswered),
                &g,
                changed(
                    Change::RuleParam(AlertRule::Unanswered, 60),
                    Of::Alerts,
                    Reply::Saved,
                ),
            ),
            (
                A::AlertRemind,
                &g,
                changed(Change::RemindEvery(60), Of::Alerts, Reply::Silent),
            ),
            (
                A::AlertQuiet,
                &g,
                changed(
                    Change::Quiet(Some(DaySpan {
                        from: 23 * 60,
                        to: 7 * 60,
                    })),
                    Of::Alerts,
                    Reply::Silent,
                ),
            ),
            // A review's buttons: carried out by `bot::answer`, in a group too (the text is
            // asked for in the owner's private chat).
            (
                A::ReviewAnswer(ReviewId(7)),
                &g,
                HubPlan::Answer(AnswerPress::Start(ReviewId(7))),
            ),
            (
                A::AnswerSend(AnswerDraftId(3)),
                &p,
                HubPlan::Answer(AnswerPress::Send(AnswerDraftId(3))),
            ),
            (
                A::AnswerEdit(AnswerDraftId(3)),
                &p,
                HubPlan::Answer(AnswerPress::Edit(AnswerDraftId(3))),
            ),
            (
                A::AnswerCancel(AnswerDraftId(3)),
                &p,
                HubPlan::Answer(AnswerPress::Cancel(AnswerDraftId(3))),
            ),
        ];
        let mut covered = BTreeSet::new();
        for (action, facts, expected) in rows {
            let private = if facts.private { "private" } else { "group" };
            assert_eq!(
                plan_of(action, owned(), &[], facts),
                expected,
                "{action:?} in a {private} chat"
            );
            covered.insert(wire(action));
        }
        let all: BTreeSet<String> = ProfileAction::WIRE_NAMES
            .iter()
            .map(|name| (*name).to_owned())
            .collect();
        assert_eq!(covered, all, "every button of a profile is planned above");
    }

    #[test]
    fn alert_buttons_move_to_the_next_offered_value() {
        let wallet = AlertRule::WalletLow;
        let rows = [
            (
                A::AlertToggle(wallet),
                rule(wallet, true, 100_000, 60),
                Change::RuleOn(wallet, false),
            ),
            (
                A::AlertToggle(wallet),
                rule(wallet, false, 100_000, 60),
                Change::RuleOn(wallet, true),
            ),
            (
                A::AlertParam(wallet),
                rule(wallet, true, 100_000, 60),
                Change::RuleParam(wallet, 300_000),
            ),
            // The last offered value wraps to the first.
            (
                A::AlertParam(wallet),
                rule(wallet, true, 3_000_000, 60),
                Change::RuleParam(wallet, 50_000),
            ),
            // Reminders follow the first rule: 1 h → 3 h, 24 h → 1 h, one not offered → 1 h.
            (
                A::AlertRemind,
                rule(wallet, true, 100_000, 60),
                Change::RemindEvery(180),
            ),
            (
                A::AlertRemind,
                rule(wallet, true, 100_000, 1440),
                Change::RemindEvery(60),
            ),
            (
                A::AlertRemind,
                rule(wallet, true, 100_000, 90),
                Change::RemindEvery(60),
            ),
        ];
        for (action, stored, expected) in rows {
            let reply = if action == A::AlertRemind {
                Reply::Silent
            } else {
                Reply::Saved
            };
            assert_eq!(
                plan_of(action, owned(), std::slice::from_ref(&stored), &group()),
                changed(expected, Of::Alerts, reply),
                "{action:?} with {stored:?}"
            );
        }
        // Another rule's row says nothing of this one.
        let other = rule(AlertRule::CpaLow, true, 50_000, 60);
        assert_eq!(
            plan_of(A::AlertToggle(wallet), owned(), &[other], &group()),
            changed(Change::RuleOn(wallet, true), Of::Alerts, Reply::Saved)
        );
    }

    #[test]
    fn quiet_hours_cycle_through_default_shorter_and_none() {
        let short = DaySpan {
            from: 23 * 60,
            to: 7 * 60,
        };
        let rows = [
            // Unset columns are the default 22:00–08:00.
            ((None, None), Some(short)),
            ((Some(22 * 60), Some(8 * 60)), Some(short)),
            ((Some(23 * 60), Some(7 * 60)), None),
            // Equal ends are "none"; the next is the default again.
            ((Some(0), Some(0)), Some(DaySpan::QUIET_DEFAULT)),
            // A span not offered starts the cycle over.
            ((Some(21 * 60), Some(9 * 60)), Some(DaySpan::QUIET_DEFAULT)),
        ];
        for ((from, to), next) in rows {
            let mut o = owned();
            o.profile.alert_quiet_from = from;
            o.profile.alert_quiet_to = to;
            assert_eq!(
                plan_of(A::AlertQuiet, o, &[], &group()),
                changed(Change::Quiet(next), Of::Alerts, Reply::Silent),
                "{from:?}–{to:?}"
            );
        }
    }

    #[test]
    fn refusals_change_nothing() {
        let only_views = |o: &mut Owned| o.task.metrics = Stored::parse(r#"["views"]"#);
        let no_chat = |o: &mut Owned| o.task.chat_id = None;
        let zone = |o: &mut Owned| o.task.time_zone = Stored::parse("Mars/Olympus");
        type Damage = fn(&mut Owned);
        let rows: [(ProfileAction, Damage, Say); 3] = [
            (A::ToggleMetric(Metric::Views), only_views, Say::MetricLast),
            (A::ToggleActive, no_chat, Say::NeedChat),
            (
                A::ExportRecentChats,
                zone,
                Say::Damaged(DamagedSetting {
                    column: "time_zone",
                    value: "Mars/Olympus".into(),
                    reason: "'Mars/Olympus' is not a known time zone".into(),
                }),
            ),
        ];
        for (action, damage, say) in rows {
            let mut o = owned();
            damage(&mut o);
            match (plan_of(action, o, &[], &group()), say) {
                (HubPlan::Refuse(Say::Damaged(got)), Say::Damaged(want)) => {
                    assert_eq!((got.column, got.value), (want.column, want.value))
                }
                (got, want) => assert_eq!(got, HubPlan::Refuse(want), "{action:?}"),
            }
        }
    }

    #[test]
    fn damaged_settings_are_set_again_or_said() {
        // A damaged metric set is set again from scratch by the first toggle.
        let mut o = owned();
        o.task.metrics = Stored::parse("views,calls");
        let only: MetricSet = [Metric::Calls].into_iter().collect();
        assert_eq!(
            plan_of(A::ToggleMetric(Metric::Calls), o, &[], &group()),
            changed(Change::Metrics(only), Of::Metrics, Reply::Saved)
        );
        // "Report now" of a damaged period says which setting to set again.
        for (column, damage) in [
            (
                "period",
                (|o: &mut Owned| o.task.period = Stored::parse("fortnight")) as fn(&mut Owned),
            ),
            ("time_zone", |o: &mut Owned| {
                o.task.time_zone = Stored::parse("Nowhere")
            }),
        ] {
            let mut o = owned();
            damage(&mut o);
            match plan_of(A::ReportNow, o, &[], &group()) {
                HubPlan::ReportNow(Err(damaged)) => assert_eq!(damaged.column, column),
                other => panic!("{column}: {other:?}"),
            }
        }
        // The period prompt counts days in UTC while the zone is damaged: 12:00 UTC is still
        // the 15th there.
        let mut o = owned();
        o.task.time_zone = Stored::parse("Nowhere");
        let ask = Ask::PeriodStart {
            purpose: Purpose::Report,
            today: day(2026, 3, 15),
        };
        assert_eq!(
            plan_of(A::Historical, o, &[], &private()),
            entered(
                State::HistoricalStart {
                    profile_id: PROFILE
                },
                Of::Ask(ask)
            )
        );
    }

    #[test]
    fn report_now_and_recent_chats_count_days_in_the_profiles_zone() {
        // 20:30 UTC on the 14th is already the 15th in Novosibirsk (UTC+7), not in Moscow
        // (UTC+3).
        let late = Utc
            .with_ymd_and_hms(2026, 3, 14, 20, 30, 0)
            .single()
            .expect("time");
        for (zone, today) in [
            (Asia::Novosibirsk, day(2026, 3, 15)),
            (Europe::Moscow, day(2026, 3, 14)),
        ] {
            let mut o = owned();
            o.task.time_zone = Stored::Value(Zone::new(zone));
            let loaded = Loaded {
                profile: Some(Ok(o)),
                ..Loaded::default()
            };
            let report = press(A::ReportNow.on(PROFILE), &loaded, &group(), late);
            let yesterday = today - Days::new(1);
            assert_eq!(
                report,
                HubPlan::ReportNow(Ok(Period {
                    from: yesterday,
                    to: yesterday
                })),
                "{zone}"
            );
            let export = press(A::ExportRecentChats.on(PROFILE), &loaded, &group(), late);
            assert_eq!(
                export,
                HubPlan::ExportChats {
                    since: Some(today - Days::new(30))
                },
                "{zone}"
            );
        }
    }

    #[test]
    fn a_profile_gone_or_someone_elses_gets_one_answer() {
        for refusal in [
            Some(Err(Refusal::Stale)),
            Some(Err(Refusal::NotOwner)),
            None,
        ] {
            let loaded = Loaded {
                profile: refusal.clone(),
                ..Loaded::default()
            };
            for action in [A::View, A::DeleteConfirm, A::ReportNow] {
                assert_eq!(
                    press(action.on(PROFILE), &loaded, &private(), now()),
                    refused(Say::Stale),
                    "{action:?} with {refusal:?}"
                );
            }
        }
    }

    #[test]
    fn binding_a_group_waits_for_the_bots_rights() {
        let o = owned();
        let facts = group();
        assert_eq!(
            rights_checked(&o, &facts, Err(CannotPost::NoRights)),
            Err(Say::CannotPost {
                title: "Team".into(),
                why: CannotPost::NoRights
            })
        );
        let bound = rights_checked(&o, &facts, Ok(())).map(HubPlan::Show);
        let expected = schedule(
            ScheduleChange::Chat {
                id: ChatId(-500),
                title: "Team".into(),
            },
            Of::Settings,
            Reply::Toast(Say::ChatSet {
                name: "Shop".into(),
                title: "Team".into(),
            }),
        );
        assert_eq!(bound, Ok(expected));
        let channel = PressFacts {
            channel: true,
            ..group()
        };
        assert_eq!(
            plan_of(A::ChatHere, owned(), &[], &channel),
            HubPlan::CheckRights { channel: true }
        );
    }

    #[test]
    fn buttons_that_name_no_profile() {
        let someone = UserId(200);
        let idle = Loaded::default();
        let mine = private();
        // In someone else's private chat (a forged press) and in a group.
        let theirs = PressFacts {
            chat: someone.private_chat(),
            ..private()
        };
        let g = group();
        let page = |owner| Callback::ProfilesPage { owner, page: 2 };
        let rows = [
            (page(someone), &mine, refused(Say::NotOwner)),
            (
                page(OWNER),
                &g,
                HubPlan::Show(Shown {
                    step: Step::Leave,
                    change: None,
                    view: View::List(2),
                    reply: Reply::Silent,
                }),
            ),
            (
                Callback::ProfileAdd,
                &mine,
                HubPlan::Show(Shown {
                    step: Step::Enter(State::AddName),
                    change: None,
                    view: View::AskName,
                    reply: Reply::Silent,
                }),
            ),
            (
                Callback::DialogueCancel,
                &mine,
                HubPlan::Show(Shown {
                    step: Step::Exit,
                    change: None,
                    view: View::Cancelled,
                    reply: Reply::Silent,
                }),
            ),
            (Callback::AddRetry, &mine, refused(Say::NoDialogue)),
        ];
        for (cb, facts, expected) in rows {
            assert_eq!(press(cb, &idle, facts, now()), expected, "{cb:?}");
        }
        for cb in [
            Callback::ProfileAdd,
            Callback::AddRetry,
            Callback::DialogueCancel,
        ] {
            assert_eq!(
                press(cb, &idle, &theirs, now()),
                refused(Say::NotOwner),
                "{cb:?}"
            );
            assert_eq!(
                press(cb, &idle, &g, now()),
                refused(Say::PrivateOnly),
                "{cb:?}"
            );
        }
    }

    #[test]
    fn try_again_takes_the_kept_keys() {
        let keys = State::KeysRetry {
            profile_id: PROFILE,
            client_id: "abc".into(),
            secret_enc: "v1.x".into(),
        };
        let adding = State::AddRetry {
            name: "Shop".into(),
            client_id: "abc".into(),
            secret_enc: "v1.x".into(),
        };
        for kept in [keys, adding] {
            let loaded = Loaded {
                dialogue: kept.clone(),
                ..Loaded::default()
            };
            let expected = kept.kept().map(HubPlan::Retry);
            assert!(expected.is_some());
            assert_eq!(
                Some(press(Callback::AddRetry, &loaded, &private(), now())),
                expected
            );
        }
        let elsewhere = Loaded {
            dialogue: State::Rename {
                profile_id: PROFILE,
            },
            ..Loaded::default()
        };
        assert_eq!(
            press(Callback::AddRetry, &elsewhere, &private(), now()),
            refused(Say::NoDialogue)
        );
        assert!(needs_dialogue(Callback::AddRetry));
        assert!(!needs_dialogue(Callback::ProfileAdd));
    }
}
