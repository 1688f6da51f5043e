//! The /profiles hub: one message edited in place, driven by inline buttons.
//!
//! Every press is checked before anything changes: data that does not parse, a profile that
//! is gone, or a profile of someone else gets a short alert and no change. Every press is
//! answered exactly once.

use crate::domain::clock;

pub mod list;
pub mod screens;
pub mod words;

use crate::bot::TgBot;
use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{Chat, Me, MessageId};

use super::access::{self, Owned, Refusal};
use super::callback::{Callback, ProfileAction, RECENT_EXPORT_DAYS};
use super::delivery;
use super::dialogue::historical::Purpose;
use super::dialogue::{BotDialogue, State, Storage, add_profile};
use super::texts::{T, t, tf};
use super::ui::{self, Answer, Screen};
use super::{AppState, lang_of_user};
use crate::db::alerts;
use crate::db::tasks::{self, RunKind, ScheduleChange, Weekdays};
use crate::domain::{ProfileId, UserId};
use crate::i18n::Lang;
use crate::report::{MetricSet, Period, html_escape};

/// `/profiles`: the list as a new hub message.
pub async fn open(
    bot: &TgBot,
    state: &AppState,
    chat: ChatId,
    lang: Lang,
    owner: UserId,
) -> anyhow::Result<()> {
    let screen = list::screen(state, lang, owner, 0).await?;
    ui::send_screen(bot, chat, screen).await?;
    Ok(())
}

/// A button press and what it needs.
pub struct Press<'a> {
    pub bot: &'a TgBot,
    pub state: &'a AppState,
    pub lang: Lang,
    pub user_id: UserId,
    pub user_name: String,
    pub chat: &'a Chat,
    pub message_id: MessageId,
    pub me: &'a Me,
    pub dialogue: BotDialogue,
    pub query: &'a CallbackQuery,
}

#[tracing::instrument(name = "callback", skip_all, fields(update_id = update.id.0, chat_id = q.message.as_ref().map(|m| m.chat().id.0), user_id = q.from.id.0, data = q.data.as_deref().unwrap_or("")))]
pub async fn on_callback(
    bot: TgBot,
    q: CallbackQuery,
    state: AppState,
    storage: Arc<Storage>,
    me: Me,
    update: Update,
) -> anyhow::Result<()> {
    let lang = lang_of_user(&q.from);
    let user_id = UserId::from(q.from.id);
    if !access::is_allowed(&state, user_id) {
        ui::answer(
            &bot,
            &q.id,
            Answer::Alert(crate::i18n::text(lang, crate::i18n::Msg::NotAllowed).to_owned()),
        )
        .await?;
        return Ok(());
    }
    let parsed = q.data.as_deref().map(Callback::parse);
    let (Some(Ok(cb)), Some(message)) = (parsed, q.regular_message()) else {
        tracing::info!("garbled or message-less callback");
        ui::answer(&bot, &q.id, Answer::Alert(t(lang, T::AlertGarbled))).await?;
        return Ok(());
    };
    let press = Press {
        bot: &bot,
        state: &state,
        lang,
        user_id,
        user_name: q.from.first_name.clone(),
        chat: &message.chat,
        message_id: message.id,
        me: &me,
        dialogue: BotDialogue::new(storage, message.chat.id),
        query: &q,
    };
    let outcome = route(&press, cb).await;
    let answer = match outcome {
        Ok(answer) => answer,
        Err(e) => {
            // Still answer, so the button does not spin forever; then let the error be logged.
            // Telegram failing past the retries is said as such: pressing again later works.
            let busy = e
                .chain()
                .any(|cause| cause.downcast_ref::<teloxide::RequestError>().is_some());
            let text = t(
                lang,
                if busy {
                    T::TelegramBusy
                } else {
                    T::ErrorGeneric
                },
            );
            let _ = ui::answer(&bot, &q.id, Answer::Alert(text)).await;
            return Err(e);
        }
    };
    ui::answer(&bot, &q.id, answer).await?;
    Ok(())
}

impl Press<'_> {
    async fn show(&self, screen: Screen) -> anyhow::Result<()> {
        ui::edit_screen(self.bot, self.chat.id, self.message_id, screen).await?;
        Ok(())
    }

    /// Reloads the profile after a change (the screen must show what is stored).
    async fn reload(&self, id: ProfileId) -> anyhow::Result<Result<Owned, Refusal>> {
        access::owned(self.state, id, self.user_id).await
    }

    fn private(&self) -> bool {
        self.chat.is_private()
    }

    /// Pressed in the presser's own private chat.
    fn own_chat(&self) -> bool {
        crate::domain::ChatId::from(self.chat.id) == self.user_id.private_chat()
    }

    /// A valid press elsewhere in the hub leaves a half-done dialogue: the user moved on.
    /// (Buttons that start a dialogue set their own step afterwards.)
    async fn leave_dialogue(&self) -> anyhow::Result<()> {
        if self.dialogue.get().await?.is_some_and(|s| s != State::Idle) {
            self.dialogue.exit().await?;
        }
        Ok(())
    }
}

/// A profile that is gone and one that is someone else's get the same answer: which ids
/// exist is nobody else's business (the log tells them apart).
fn refusal(lang: Lang, r: Refusal) -> Answer {
    match r {
        Refusal::Stale | Refusal::NotOwner => Answer::Alert(t(lang, T::AlertStale)),
    }
}

async fn route(p: &Press<'_>, cb: Callback) -> anyhow::Result<Answer> {
    let lang = p.lang;
    match cb {
        Callback::ProfilesPage { owner, page } => {
            if owner != p.user_id {
                return Ok(Answer::Alert(t(lang, T::AlertNotOwner)));
            }
            p.leave_dialogue().await?;
            p.show(list::screen(p.state, lang, owner, page).await?)
                .await?;
            Ok(Answer::Silent)
        }
        // Dialogue buttons act on the chat's own dialogue: only its user may press them
        // (a press from anyone else is a forgery and changes nothing).
        Callback::ProfileAdd | Callback::AddRetry | Callback::DialogueCancel if !p.own_chat() => {
            Ok(Answer::Alert(t(
                lang,
                if p.private() {
                    T::AlertNotOwner
                } else {
                    T::PrivateOnly
                },
            )))
        }
        Callback::ProfileAdd => {
            p.dialogue.update(State::AddName).await?;
            p.show(screens::prompt(
                lang,
                add_profile::ask_name(lang),
                Callback::ProfilesPage {
                    owner: p.user_id,
                    page: 0,
                },
            ))
            .await?;
            Ok(Answer::Silent)
        }
        Callback::AddRetry => add_profile::retry(p).await,
        Callback::DialogueCancel => {
            p.dialogue.exit().await?;
            p.show(Screen::new(t(lang, T::Cancelled), vec![])).await?;
            Ok(Answer::Silent)
        }
        Callback::Profile(id, action) => {
            let o = match p.reload(id).await? {
                Ok(o) => o,
                Err(r) => return Ok(refusal(lang, r)),
            };
            p.leave_dialogue().await?;
            profile_action(p, action, o).await
        }
    }
}

/// Buttons of one owned profile.
async fn profile_action(p: &Press<'_>, action: ProfileAction, o: Owned) -> anyhow::Result<Answer> {
    let lang = p.lang;
    let db = &p.state.db;
    let id = o.profile.id;
    match action {
        ProfileAction::View => {
            let last = tasks::latest_run(db, o.task.id).await?;
            let open = open_alerts(db, id).await?;
            p.show(screens::card(lang, &o, last.as_ref(), &open))
                .await?;
        }
        ProfileAction::Alerts => return alerts_screen(p, &o, None).await,
        ProfileAction::AlertToggle(rule) => {
            let on = alerts::rule(db, id, rule).await?.is_some_and(|r| r.enabled);
            let change = alerts::RuleChange::Enabled(!on);
            return alerts_screen(p, &o, Some((rule, change))).await;
        }
        ProfileAction::AlertParam(rule) => {
            let current = alerts::rule(db, id, rule)
                .await?
                .map_or(rule.default_param(), |r| r.param);
            let change = alerts::RuleChange::Param(rule.next_choice(current));
            return alerts_screen(p, &o, Some((rule, change))).await;
        }
        ProfileAction::AlertRemind => {
            let rules = alerts::rules_of(db, id).await?;
            let current = rules.first().map_or(24 * 60, |r| r.remind_minutes);
            let next = REMIND_CHOICES
                .iter()
                .position(|m| *m == current)
                .map_or(REMIND_CHOICES[0], |i| {
                    REMIND_CHOICES[(i + 1) % REMIND_CHOICES.len()]
                });
            for rule in crate::domain::alerts::AlertRule::ALL {
                alerts::change_rule(db, id, *rule, alerts::RuleChange::RemindMinutes(next)).await?;
            }
            return alerts_screen(p, &o, None).await;
        }
        ProfileAction::AlertQuiet => {
            use crate::domain::alerts::DaySpan;
            let current =
                DaySpan::quiet_from_columns(o.profile.alert_quiet_from, o.profile.alert_quiet_to);
            let choices = quiet_choices();
            let next = choices
                .iter()
                .position(|q| *q == current)
                .map_or(choices[0], |i| choices[(i + 1) % choices.len()]);
            alerts::set_quiet_hours(db, id, next).await?;
            return alerts_screen(p, &o, None).await;
        }
        ProfileAction::Report => p.show(screens::settings(lang, &o)).await?,
        ProfileAction::ReportNow => return report_now(p, o).await,
        ProfileAction::Historical => {
            if !p.private() {
                return Ok(Answer::Alert(t(lang, T::PrivateOnly)));
            }
            p.dialogue
                .update(State::HistoricalStart { profile_id: id })
                .await?;
            let text = super::dialogue::historical::ask_start(lang, &o, Purpose::Report);
            p.show(screens::prompt(lang, text, ProfileAction::View.on(id)))
                .await?;
        }
        ProfileAction::ExportStats => {
            // The period is typed: dialogues run in private chats only.
            if !p.private() {
                return Ok(Answer::Alert(t(lang, T::PrivateOnly)));
            }
            p.dialogue
                .update(State::StatsStart { profile_id: id })
                .await?;
            let text = super::dialogue::historical::ask_start(lang, &o, Purpose::StatsExport);
            p.show(screens::prompt(lang, text, ProfileAction::View.on(id)))
                .await?;
        }
        ProfileAction::Metrics => p.show(screens::metrics(lang, &o)).await?,
        ProfileAction::ToggleMetric(metric) => {
            // A damaged set is set again from scratch by the first toggle.
            let mut set = o
                .task
                .metrics
                .get()
                .cloned()
                .unwrap_or_else(|_| MetricSet::none());
            set.toggle(metric);
            if set.is_empty() {
                return Ok(Answer::Alert(t(lang, T::AlertMetricLast)));
            }
            tasks::set_metrics(db, o.task.id, &set).await?;
            return refreshed(p, id, screens::metrics).await;
        }
        ProfileAction::MetricsAll => {
            tasks::set_metrics(db, o.task.id, &MetricSet::all()).await?;
            return refreshed(p, id, screens::metrics).await;
        }
        ProfileAction::SetChat => p.show(screens::chat(lang, &o)).await?,
        ProfileAction::ChatHere => return chat_here(p, o).await,
        ProfileAction::ChatForward => {
            if !p.private() {
                return Ok(Answer::Alert(t(lang, T::PrivateOnly)));
            }
            p.dialogue
                .update(State::ForwardChat { profile_id: id })
                .await?;
            let text = tf(
                lang,
                T::ChatForwardPrompt,
                &[("name", &html_escape(&o.profile.name))],
            );
            p.show(screens::prompt(lang, text, ProfileAction::SetChat.on(id)))
                .await?;
        }
        ProfileAction::ChatClear => {
            tasks::change_schedule(db, &o.task, ScheduleChange::NoChat).await?;
            refreshed(p, id, screens::settings).await?;
            return Ok(Answer::Toast(t(lang, T::ChatCleared)));
        }
        ProfileAction::SetTime => {
            if p.private() {
                p.dialogue.update(State::Time { profile_id: id }).await?;
            }
            p.show(screens::time(lang, &o)).await?;
        }
        ProfileAction::TimeSet(at) => {
            let at = crate::domain::ScheduleTime::new(at);
            let hhmm = at.to_string();
            tasks::change_schedule(db, &o.task, ScheduleChange::TimeOfDay(at)).await?;
            refreshed(p, id, screens::settings).await?;
            return Ok(Answer::Toast(tf(lang, T::TimeSaved, &[("time", &hhmm)])));
        }
        ProfileAction::SetTimeZone => {
            if p.private() {
                p.dialogue
                    .update(State::TimeZone { profile_id: id })
                    .await?;
            }
            p.show(screens::time_zone(lang, &o)).await?;
        }
        ProfileAction::TimeZoneSet(tz) => {
            let zone = crate::domain::Zone::new(tz);
            tasks::change_schedule(db, &o.task, ScheduleChange::TimeZone(zone)).await?;
            refreshed(p, id, screens::settings).await?;
            return Ok(Answer::Toast(tf(lang, T::TzSaved, &[("tz", tz.name())])));
        }
        ProfileAction::SetFrequency => p.show(screens::frequency(lang, &o)).await?,
        ProfileAction::FrequencySet(f) => {
            use crate::db::tasks::Frequency;
            match f {
                Frequency::Daily | Frequency::Weekly => {
                    tasks::change_schedule(db, &o.task, ScheduleChange::Frequency(f)).await?;
                    return refreshed(p, id, screens::frequency).await;
                }
                Frequency::Interval => {
                    if p.private() {
                        p.dialogue
                            .update(State::Interval { profile_id: id })
                            .await?;
                    }
                    p.show(screens::interval_prompt(lang, &o)).await?;
                }
                Frequency::Monthly => {
                    if p.private() {
                        p.dialogue
                            .update(State::MonthDay { profile_id: id })
                            .await?;
                    }
                    p.show(screens::month_day_prompt(lang, &o)).await?;
                }
            }
        }
        ProfileAction::IntervalSet(n) => {
            tasks::change_schedule(db, &o.task, ScheduleChange::Interval(n)).await?;
            return refreshed(p, id, screens::frequency).await;
        }
        ProfileAction::MonthDaySet(d) => {
            tasks::change_schedule(db, &o.task, ScheduleChange::MonthDay(d)).await?;
            return refreshed(p, id, screens::frequency).await;
        }
        ProfileAction::DayToggle(day) => {
            let days = Weekdays(o.task.weekdays).toggled(day);
            tasks::change_schedule(db, &o.task, ScheduleChange::Weekdays(days)).await?;
            return refreshed(p, id, screens::frequency).await;
        }
        ProfileAction::SetPeriod => p.show(screens::period(lang, &o)).await?,
        ProfileAction::PeriodSet(kind) => {
            tasks::set_period(db, o.task.id, kind).await?;
            return refreshed(p, id, screens::period).await;
        }
        ProfileAction::ToggleActive => {
            if o.task.chat_id.is_none() {
                return Ok(Answer::Alert(t(lang, T::AlertNeedChat)));
            }
            tasks::change_schedule(db, &o.task, ScheduleChange::Active(!o.task.is_active)).await?;
            return refreshed(p, id, screens::settings).await;
        }
        ProfileAction::ToggleCharts => {
            tasks::set_charts(db, o.task.id, !o.task.charts).await?;
            return refreshed(p, id, screens::settings).await;
        }
        ProfileAction::ExportChats | ProfileAction::ExportRecentChats => {
            use crate::export::job::{self, Pressed};
            let since = match (
                action == ProfileAction::ExportRecentChats,
                words::task_tz(&o.task),
            ) {
                (false, _) => None,
                (true, Ok(tz)) => {
                    let today = clock::now().with_timezone(&tz).date_naive();
                    Some(today - chrono::Days::new(RECENT_EXPORT_DAYS))
                }
                // "The last 30 days" are days in the profile's zone: it must be set first.
                (true, Err(d)) => return Ok(Answer::Alert(words::damaged(lang, &d))),
            };
            let pressed =
                job::request_from_hub(p.state, p.bot, lang, &o.profile, p.chat.id, since).await?;
            return Ok(match pressed {
                Pressed::AlreadyRunning(text) => Answer::Alert(text),
                Pressed::Queued { export_id, toast } => {
                    if let Err(e) = p.state.jobs.enqueue_export(export_id).await {
                        crate::db::exports::abandon(&p.state.db, export_id, &e.to_string()).await?;
                        return Err(e.into());
                    }
                    Answer::Toast(toast)
                }
            });
        }
        ProfileAction::Rename => {
            if !p.private() {
                return Ok(Answer::Alert(t(lang, T::PrivateOnly)));
            }
            p.dialogue.update(State::Rename { profile_id: id }).await?;
            let text = tf(
                lang,
                T::RenamePrompt,
                &[
                    ("name", &html_escape(&o.profile.name)),
                    ("max", &super::dialogue::inputs::MAX_NAME_CHARS.to_string()),
                ],
            );
            p.show(screens::prompt(lang, text, ProfileAction::View.on(id)))
                .await?;
        }
        ProfileAction::Keys => {
            // Keys are typed, and a secret is never asked for in a group.
            if !p.private() {
                return Ok(Answer::Alert(t(lang, T::PrivateOnly)));
            }
            p.dialogue
                .update(State::KeysClientId { profile_id: id })
                .await?;
            let text = super::dialogue::keys::ask_client_id(lang, &o.profile.name);
            p.show(screens::prompt(lang, text, ProfileAction::View.on(id)))
                .await?;
        }
        ProfileAction::Delete => p.show(screens::delete_confirm(lang, &o)).await?,
        ProfileAction::DeleteConfirm => {
            crate::db::profiles::delete(db, id).await?;
            tracing::info!(profile_id = id.0, "profile deleted");
            let notice = tf(lang, T::Deleted, &[("name", &html_escape(&o.profile.name))]);
            let screen = list::screen(p.state, lang, p.user_id, 0).await?;
            p.show(screen.with_notice(&notice)).await?;
        }
    }
    Ok(Answer::Silent)
}

/// Shows `render` of the profile as stored after a change.
/// How often an open alert may remind, in minutes (a press moves to the next).
const REMIND_CHOICES: [i32; 5] = [60, 180, 360, 720, 1440];

/// The quiet hours offered: the default, a shorter night, none.
fn quiet_choices() -> [Option<crate::domain::alerts::DaySpan>; 3] {
    use crate::domain::alerts::DaySpan;
    [
        Some(DaySpan::QUIET_DEFAULT),
        Some(DaySpan {
            from: 23 * 60,
            to: 7 * 60,
        }),
        None,
    ]
}

/// The rules of a profile with an alert open now.
pub(crate) async fn open_alerts(
    db: &sea_orm::DatabaseConnection,
    profile_id: ProfileId,
) -> anyhow::Result<Vec<crate::domain::alerts::AlertRule>> {
    Ok(alerts::open_episodes(db, profile_id)
        .await?
        .into_iter()
        .filter(|e| e.last_sent_at.is_some())
        .map(|e| e.rule)
        .collect())
}

/// Applies `change` (if any) and shows the alerts screen as it now is.
async fn alerts_screen(
    p: &Press<'_>,
    o: &Owned,
    change: Option<(crate::domain::alerts::AlertRule, alerts::RuleChange)>,
) -> anyhow::Result<Answer> {
    let db = &p.state.db;
    let id = o.profile.id;
    if let Some((rule, change)) = change {
        alerts::change_rule(db, id, rule, change).await?;
    }
    let o = match p.reload(id).await? {
        Ok(o) => o,
        Err(r) => return Ok(refusal(p.lang, r)),
    };
    let rules = alerts::rules_of(db, id).await?;
    let open = open_alerts(db, id).await?;
    p.show(screens::alerts(p.lang, &o, &rules, &open)).await?;
    Ok(if change.is_some() {
        Answer::Toast(t(p.lang, T::Saved))
    } else {
        Answer::Silent
    })
}

async fn refreshed(
    p: &Press<'_>,
    id: ProfileId,
    render: fn(Lang, &Owned) -> Screen,
) -> anyhow::Result<Answer> {
    match p.reload(id).await? {
        Ok(o) => {
            p.show(render(p.lang, &o)).await?;
            Ok(Answer::Toast(t(p.lang, T::Saved)))
        }
        Err(r) => Ok(refusal(p.lang, r)),
    }
}

/// Binds the chat the button was pressed in, after checking the bot can post there.
async fn chat_here(p: &Press<'_>, o: Owned) -> anyhow::Result<Answer> {
    let lang = p.lang;
    let chat = p.chat;
    let title = if chat.is_private() {
        p.user_name.clone()
    } else {
        chat.title().unwrap_or_default().to_owned()
    };
    if !chat.is_private()
        && let Err(why) =
            super::chat_check::can_post(p.bot, p.me.id, chat.id, chat.is_channel()).await
    {
        return Ok(Answer::Alert(strip_html(&tf(
            lang,
            T::ChatCannotPost,
            &[("title", &title), ("reason", &why.reason(lang))],
        ))));
    }
    tasks::change_schedule(
        &p.state.db,
        &o.task,
        ScheduleChange::Chat {
            id: chat.id.into(),
            title: title.clone(),
        },
    )
    .await?;
    refreshed(p, o.profile.id, screens::settings).await?;
    Ok(Answer::Toast(tf(
        lang,
        T::ChatSetDone,
        &[("name", &o.profile.name), ("title", &title)],
    )))
}

/// Alerts are plain text: drop the few tags a shared text may carry.
fn strip_html(text: &str) -> String {
    text.replace("<b>", "").replace("</b>", "")
}

/// "Report now": to the destination chat, or here when none is set.
async fn report_now(p: &Press<'_>, o: Owned) -> anyhow::Result<Answer> {
    let lang = p.lang;
    // Answer first: building a report can outlast the callback's answer window.
    ui::answer(
        p.bot,
        &p.query.id,
        Answer::Toast(t(lang, T::ReportPreparing)),
    )
    .await?;
    let setting = o
        .task
        .period
        .get()
        .and_then(|kind| Ok((*kind, words::task_tz(&o.task)?)));
    let period = match setting {
        Ok((kind, tz)) => Period::resolve(kind, tz, clock::now()),
        Err(damaged) => {
            // The press is answered already: say it in the chat.
            ui::send_html(p.bot, p.chat.id, words::damaged(lang, &damaged)).await?;
            return Ok(Answer::Done);
        }
    };
    delivery::report_and_tell(p.bot, p.state, lang, &o, period, RunKind::Now, p.chat.id).await?;
    Ok(Answer::Done)
}
