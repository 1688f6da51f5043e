//! The hub's screens for one profile: the card, report settings and each setting's chooser.
//! Pure rendering: the hub loads the rows and decides which screen to show.

use crate::domain::ProfileStatus;
use chrono_tz::Tz;

use super::words;
use crate::bot::access::Owned;
use crate::bot::texts::{T, t, tf};
use crate::bot::ui::{Screen, button};
use crate::db::entities::{alert_rule, report_run};
use crate::db::reviews::Reputation;
use crate::db::tasks::{Frequency, Weekdays};
use crate::domain::alerts::{AlertRule, DaySpan};
use crate::i18n::Lang;
use crate::report::{Metric, MetricSet, PeriodKind, html_escape};
use crate::telegram::callback::{Callback, ProfileAction};

/// Times offered as buttons; any other is typed.
pub const COMMON_TIMES: [&str; 8] = [
    "07:00", "08:00", "09:00", "10:00", "12:00", "18:00", "20:00", "21:00",
];
/// Russia's zones west to east, then neighbours; any other IANA name is typed.
pub const COMMON_ZONES: [Tz; 14] = [
    chrono_tz::Europe::Kaliningrad,
    chrono_tz::Europe::Moscow,
    chrono_tz::Europe::Samara,
    chrono_tz::Asia::Yekaterinburg,
    chrono_tz::Asia::Omsk,
    chrono_tz::Asia::Novosibirsk,
    chrono_tz::Asia::Krasnoyarsk,
    chrono_tz::Asia::Irkutsk,
    chrono_tz::Asia::Yakutsk,
    chrono_tz::Asia::Vladivostok,
    chrono_tz::Asia::Kamchatka,
    chrono_tz::Europe::Minsk,
    chrono_tz::Asia::Almaty,
    chrono_tz::Asia::Tashkent,
];
pub const COMMON_INTERVALS: [i32; 5] = [2, 3, 7, 14, 30];
pub const COMMON_MONTH_DAYS: [i32; 8] = [1, 5, 10, 15, 20, 25, 28, 31];

fn checked(on: bool, label: &str) -> String {
    if on {
        format!("✅ {label}")
    } else {
        label.to_owned()
    }
}

fn back(lang: Lang, to: Callback) -> Vec<teloxide::types::InlineKeyboardButton> {
    vec![button(t(lang, T::BtnBack), to)]
}

fn name(o: &Owned) -> String {
    html_escape(&o.profile.name)
}

pub fn card(
    lang: Lang,
    o: &Owned,
    last_run: Option<&report_run::Model>,
    open_alerts: &[AlertRule],
    reputation: Option<&Reputation>,
) -> Screen {
    let p = &o.profile;
    let status = match p.status {
        ProfileStatus::Ok => t(lang, T::StatusOk),
        ProfileStatus::AuthFailed => t(lang, T::StatusAuthFailed),
    };
    let account = words::account(lang, p.avito_account_name.as_deref(), p.avito_user_id);
    let text = tf(
        lang,
        T::Card,
        &[
            ("name", &name(o)),
            ("account", &account),
            ("status", &status),
            ("chat", &words::chat(lang, &o.task, p.owner_id)),
            ("schedule", &words::schedule_with_tz(lang, &o.task)),
            ("next", &words::next_report(lang, &o.task)),
            (
                "last",
                &words::last_report(lang, last_run, words::shown_tz(&o.task)),
            ),
            ("alerts", &open_alerts_line(lang, open_alerts)),
        ],
    );
    let text = match reputation {
        Some(r) => format!("{text}\n{}", reputation_line(lang, r)),
        None => text,
    };
    Screen::new(text, card_buttons(lang, o))
}

/// "🌟 Rating 4.7 · reviews: 12 · unanswered: 3".
fn reputation_line(lang: Lang, r: &Reputation) -> String {
    let score = r.score.map(|s| crate::report::format::decimal(s, 1, lang));
    crate::reviews::notice::card_line(lang, score, r.total, r.unanswered)
}

fn card_buttons(lang: Lang, o: &Owned) -> Vec<Vec<teloxide::types::InlineKeyboardButton>> {
    let (id, owner) = (o.profile.id, o.profile.owner_id);
    vec![
        vec![
            button(t(lang, T::BtnReportSettings), ProfileAction::Report.on(id)),
            button(t(lang, T::BtnAlerts), ProfileAction::Alerts.on(id)),
        ],
        vec![button(
            t(lang, T::BtnListings),
            ProfileAction::Listings(crate::domain::ListingsPage::FIRST).on(id),
        )],
        vec![
            button(t(lang, T::BtnReportNow), ProfileAction::ReportNow.on(id)),
            button(t(lang, T::BtnHistorical), ProfileAction::Historical.on(id)),
        ],
        vec![
            button(t(lang, T::BtnExport), ProfileAction::ExportChats.on(id)),
            button(
                t(lang, T::BtnExportRecent),
                ProfileAction::ExportRecentChats.on(id),
            ),
        ],
        vec![
            button(
                t(lang, T::BtnStatsExport),
                ProfileAction::ExportStats.on(id),
            ),
            button(t(lang, T::BtnKeys), ProfileAction::Keys.on(id)),
        ],
        vec![
            button(t(lang, T::BtnRename), ProfileAction::Rename.on(id)),
            button(t(lang, T::BtnDelete), ProfileAction::Delete.on(id)),
        ],
        back(lang, Callback::ProfilesPage { owner, page: 0 }),
    ]
}

pub fn settings(lang: Lang, o: &Owned) -> Screen {
    let task = &o.task;
    let id = o.profile.id;
    let text = tf(
        lang,
        T::Settings,
        &[
            ("name", &name(o)),
            ("chat", &words::chat(lang, task, o.profile.owner_id)),
            ("schedule", &words::schedule(lang, task)),
            ("time", &words::setting(lang, &task.time_of_day)),
            ("tz", &words::setting(lang, &task.time_zone)),
            ("period", &words::task_period(lang, task)),
            ("metrics", &words::task_metrics(lang, task)),
            (
                "active",
                &t(
                    lang,
                    if task.is_active {
                        T::ActiveOn
                    } else {
                        T::ActiveOff
                    },
                ),
            ),
        ],
    );
    Screen::new(
        text,
        vec![
            vec![
                button(t(lang, T::BtnChat), ProfileAction::SetChat.on(id)),
                button(t(lang, T::BtnTime), ProfileAction::SetTime.on(id)),
            ],
            vec![
                button(t(lang, T::BtnTz), ProfileAction::SetTimeZone.on(id)),
                button(t(lang, T::BtnFrequency), ProfileAction::SetFrequency.on(id)),
            ],
            vec![
                button(t(lang, T::BtnPeriod), ProfileAction::SetPeriod.on(id)),
                button(t(lang, T::BtnMetrics), ProfileAction::Metrics.on(id)),
            ],
            vec![button(
                t(
                    lang,
                    if task.is_active {
                        T::BtnTurnOff
                    } else {
                        T::BtnTurnOn
                    },
                ),
                ProfileAction::ToggleActive.on(id),
            )],
            vec![button(
                t(
                    lang,
                    if task.charts {
                        T::BtnChartsOn
                    } else {
                        T::BtnChartsOff
                    },
                ),
                ProfileAction::ToggleCharts.on(id),
            )],
            back(lang, ProfileAction::View.on(id)),
        ],
    )
}

pub fn chat(lang: Lang, o: &Owned) -> Screen {
    let id = o.profile.id;
    let text = tf(
        lang,
        T::ChatScreen,
        &[
            ("name", &name(o)),
            ("chat", &words::chat(lang, &o.task, o.profile.owner_id)),
        ],
    );
    let mut rows = vec![
        vec![button(
            t(lang, T::BtnChatHere),
            ProfileAction::ChatHere.on(id),
        )],
        vec![button(
            t(lang, T::BtnChatForward),
            ProfileAction::ChatForward.on(id),
        )],
    ];
    if o.task.chat_id.is_some() {
        rows.push(vec![button(
            t(lang, T::BtnChatClear),
            ProfileAction::ChatClear.on(id),
        )]);
    }
    rows.push(back(lang, ProfileAction::Report.on(id)));
    Screen::new(text, rows)
}

/// A prompt for typed input, with a way back.
pub fn prompt(lang: Lang, text: String, back_to: Callback) -> Screen {
    Screen::new(text, vec![back(lang, back_to)])
}

pub fn time(lang: Lang, o: &Owned) -> Screen {
    let id = o.profile.id;
    let text = tf(
        lang,
        T::TimeScreen,
        &[
            ("name", &name(o)),
            ("time", &words::setting(lang, &o.task.time_of_day)),
            ("tz", &words::setting(lang, &o.task.time_zone)),
        ],
    );
    let mut rows: Vec<Vec<_>> = COMMON_TIMES
        .chunks(4)
        .map(|chunk| {
            chunk
                .iter()
                .filter_map(|hhmm| {
                    let at = chrono::NaiveTime::parse_from_str(hhmm, "%H:%M").ok()?;
                    Some(button(
                        checked(
                            o.task.time_of_day.value().map(|t| t.time()) == Some(at),
                            hhmm,
                        ),
                        ProfileAction::TimeSet(at).on(id),
                    ))
                })
                .collect()
        })
        .collect();
    rows.push(back(lang, ProfileAction::Report.on(id)));
    Screen::new(text, rows)
}

pub fn time_zone(lang: Lang, o: &Owned) -> Screen {
    let id = o.profile.id;
    let text = tf(
        lang,
        T::TzScreen,
        &[
            ("name", &name(o)),
            ("tz", &words::setting(lang, &o.task.time_zone)),
        ],
    );
    let mut rows: Vec<Vec<_>> = COMMON_ZONES
        .chunks(2)
        .map(|chunk| {
            chunk
                .iter()
                .map(|tz| {
                    button(
                        checked(
                            o.task.time_zone.value().map(|z| z.tz()) == Some(*tz),
                            tz.name(),
                        ),
                        ProfileAction::TimeZoneSet(*tz).on(id),
                    )
                })
                .collect()
        })
        .collect();
    rows.push(back(lang, ProfileAction::Report.on(id)));
    Screen::new(text, rows)
}

pub fn frequency(lang: Lang, o: &Owned) -> Screen {
    let id = o.profile.id;
    // A damaged frequency marks none as chosen; choosing one sets it again.
    let current = o.task.frequency.value();
    let mut text = tf(
        lang,
        T::FreqScreen,
        &[
            ("name", &name(o)),
            ("schedule", &words::schedule_with_tz(lang, &o.task)),
        ],
    );
    let label = |f: Frequency| {
        t(
            lang,
            match f {
                Frequency::Daily => T::BtnFreqDaily,
                Frequency::Interval => T::BtnFreqInterval,
                Frequency::Weekly => T::BtnFreqWeekly,
                Frequency::Monthly => T::BtnFreqMonthly,
            },
        )
    };
    let mut rows: Vec<Vec<_>> = Frequency::ALL
        .chunks(2)
        .map(|chunk| {
            chunk
                .iter()
                .map(|f| {
                    button(
                        checked(Some(*f) == current, &label(*f)),
                        ProfileAction::FrequencySet(*f).on(id),
                    )
                })
                .collect()
        })
        .collect();
    if current == Some(Frequency::Weekly) {
        text.push_str("\n\n");
        text.push_str(&t(lang, T::FreqWeeklyHint));
        let days = Weekdays(o.task.weekdays);
        rows.push(
            (0..7u8)
                .map(|d| {
                    button(
                        checked(days.contains(d), &words::weekday(lang, d)),
                        ProfileAction::DayToggle(d).on(id),
                    )
                })
                .collect(),
        );
    }
    rows.push(back(lang, ProfileAction::Report.on(id)));
    Screen::new(text, rows)
}

pub fn interval_prompt(lang: Lang, o: &Owned) -> Screen {
    let id = o.profile.id;
    let text = tf(lang, T::IntervalPrompt, &[("name", &name(o))]);
    let options = COMMON_INTERVALS
        .iter()
        .map(|n| {
            button(
                tf(lang, T::IntervalOption, &[("n", &n.to_string())]),
                ProfileAction::IntervalSet(*n).on(id),
            )
        })
        .collect();
    Screen::new(
        text,
        vec![options, back(lang, ProfileAction::SetFrequency.on(id))],
    )
}

pub fn month_day_prompt(lang: Lang, o: &Owned) -> Screen {
    let id = o.profile.id;
    let text = tf(lang, T::MonthDayPrompt, &[("name", &name(o))]);
    let options = COMMON_MONTH_DAYS
        .chunks(4)
        .map(|chunk| {
            chunk
                .iter()
                .map(|d| button(d.to_string(), ProfileAction::MonthDaySet(*d).on(id)))
                .collect()
        })
        .collect::<Vec<_>>();
    let mut rows = options;
    rows.push(back(lang, ProfileAction::SetFrequency.on(id)));
    Screen::new(text, rows)
}

pub fn period(lang: Lang, o: &Owned) -> Screen {
    let id = o.profile.id;
    let current = o.task.period.value();
    let text = tf(
        lang,
        T::PeriodScreen,
        &[
            ("name", &name(o)),
            ("period", &words::task_period(lang, &o.task)),
        ],
    );
    let mut rows: Vec<Vec<_>> = PeriodKind::ALL
        .iter()
        .map(|k| {
            vec![button(
                checked(Some(*k) == current, &words::period(lang, *k)),
                ProfileAction::PeriodSet(*k).on(id),
            )]
        })
        .collect();
    rows.push(back(lang, ProfileAction::Report.on(id)));
    Screen::new(text, rows)
}

pub fn metrics(lang: Lang, o: &Owned) -> Screen {
    let id = o.profile.id;
    let set = o
        .task
        .metrics
        .get()
        .cloned()
        .unwrap_or_else(|_| MetricSet::none());
    let text = tf(lang, T::MetricsScreen, &[("name", &name(o))]);
    let mut rows: Vec<Vec<_>> = Metric::ALL
        .chunks(2)
        .map(|chunk| {
            chunk
                .iter()
                .map(|m| {
                    let mark = if set.contains(*m) { "✅" } else { "▫️" };
                    button(
                        format!("{mark} {}", words::metric(lang, *m)),
                        ProfileAction::ToggleMetric(*m).on(id),
                    )
                })
                .collect()
        })
        .collect();
    rows.push(vec![button(
        t(lang, T::BtnMetricsAll),
        ProfileAction::MetricsAll.on(id),
    )]);
    rows.push(back(lang, ProfileAction::Report.on(id)));
    Screen::new(text, rows)
}

pub fn delete_confirm(lang: Lang, o: &Owned) -> Screen {
    let id = o.profile.id;
    Screen::new(
        tf(lang, T::DeleteConfirm, &[("name", &name(o))]),
        vec![vec![
            button(
                t(lang, T::BtnDeleteYes),
                ProfileAction::DeleteConfirm.on(id),
            ),
            button(t(lang, T::BtnDeleteNo), ProfileAction::View.on(id)),
        ]],
    )
}

/// "\n🔔 Open alerts: wallet balance, demand" (nothing when none is open).
fn open_alerts_line(lang: Lang, open: &[AlertRule]) -> String {
    if open.is_empty() {
        return String::new();
    }
    let list = open
        .iter()
        .map(|r| crate::alerts::texts::rule_name(lang, *r))
        .collect::<Vec<_>>()
        .join(", ");
    tf(lang, T::AlertsOnCard, &[("list", &list)])
}

/// A rule's parameter in words.
fn alert_value(lang: Lang, rule: AlertRule, param: i64) -> String {
    use crate::report::format::{decimal, money};
    match rule {
        AlertRule::WalletLow | AlertRule::CpaLow => {
            money(crate::avito::money::Kopecks(param), lang)
        }
        AlertRule::SpendSpike => decimal(param as f64 / 100.0, 1, lang),
        AlertRule::DemandDrop | AlertRule::Unanswered => param.to_string(),
        AlertRule::MissedCalls if param == crate::domain::alerts::MISSED_HOURLY => {
            t(lang, T::MissedHourly)
        }
        AlertRule::MissedCalls => t(lang, T::MissedEach),
        AlertRule::NewReviews if param == crate::domain::alerts::REVIEWS_LOW => {
            t(lang, T::ReviewsLow)
        }
        AlertRule::NewReviews => t(lang, T::ReviewsEvery),
        AlertRule::RatingLow => decimal(param as f64 / 10.0, 1, lang),
        AlertRule::ListingBlocked => t(lang, T::ListingsEach),
    }
}

fn alert_label(lang: Lang, rule: AlertRule, param: i64) -> String {
    let key = match rule {
        AlertRule::WalletLow => T::AlertWalletLow,
        AlertRule::CpaLow => T::AlertCpaLow,
        AlertRule::SpendSpike => T::AlertSpendSpike,
        AlertRule::DemandDrop => T::AlertDemandDrop,
        AlertRule::Unanswered => T::AlertUnanswered,
        AlertRule::MissedCalls => T::AlertMissedCalls,
        AlertRule::NewReviews => T::AlertNewReviews,
        AlertRule::RatingLow => T::AlertRatingLow,
        AlertRule::ListingBlocked => T::AlertListingBlocked,
    };
    tf(lang, key, &[("value", &alert_value(lang, rule, param))])
}

/// "24 h".
pub fn hours(lang: Lang, minutes: i32) -> String {
    tf(lang, T::Hours, &[("n", &(minutes / 60).to_string())])
}

/// The alerts screen: each rule with its switch and parameter, reminders, quiet hours, and
/// what is open now.
pub fn alerts(lang: Lang, o: &Owned, rules: &[alert_rule::Model], open: &[AlertRule]) -> Screen {
    let id = o.profile.id;
    let mark = |on: bool| t(lang, if on { T::AlertOn } else { T::AlertOff });
    let lines = rules
        .iter()
        .map(|r| format!("{} {}", mark(r.enabled), alert_label(lang, r.rule, r.param)))
        .collect::<Vec<_>>()
        .join("\n");
    let remind = rules.first().map(|r| r.remind_minutes).unwrap_or(24 * 60);
    let quiet = DaySpan::quiet_from_columns(o.profile.alert_quiet_from, o.profile.alert_quiet_to)
        .map(|q| q.label())
        .unwrap_or_else(|| t(lang, T::QuietNone));
    let open_text = if open.is_empty() {
        String::new()
    } else {
        let list = open
            .iter()
            .map(|r| crate::alerts::texts::rule_name(lang, *r))
            .collect::<Vec<_>>()
            .join(", ");
        tf(lang, T::AlertsOpen, &[("list", &list)])
    };
    let text = tf(
        lang,
        T::AlertsScreen,
        &[
            ("name", &name(o)),
            // With no report chat, alerts go to the owner's private chat (alerts::job).
            (
                "chat",
                &match o.task.chat_id {
                    None => t(lang, T::ChatPrivate),
                    Some(_) => words::chat(lang, &o.task, o.profile.owner_id),
                },
            ),
            ("rules", &lines),
            ("remind", &hours(lang, remind)),
            ("quiet", &quiet),
            ("tz", words::shown_tz(&o.task).name()),
            ("open", &open_text),
        ],
    );
    let mut rows: Vec<Vec<_>> = rules
        .iter()
        .map(|r| {
            vec![
                button(
                    format!(
                        "{} {}",
                        mark(r.enabled),
                        crate::alerts::texts::rule_name(lang, r.rule)
                    ),
                    ProfileAction::AlertToggle(r.rule).on(id),
                ),
                button(
                    format!("{} ▸", alert_value(lang, r.rule, r.param)),
                    ProfileAction::AlertParam(r.rule).on(id),
                ),
            ]
        })
        .collect();
    rows.push(vec![
        button(
            tf(lang, T::BtnAlertRemind, &[("value", &hours(lang, remind))]),
            ProfileAction::AlertRemind.on(id),
        ),
        button(
            tf(lang, T::BtnAlertQuiet, &[("value", &quiet)]),
            ProfileAction::AlertQuiet.on(id),
        ),
    ]);
    rows.push(back(lang, ProfileAction::View.on(id)));
    Screen::new(text, rows)
}
