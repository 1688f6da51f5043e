//! What each dialogue step asks, in the user's language: the questions the hub shows when
//! a button starts a dialogue, and those the steps ask next. Pure.

use chrono::{Duration, NaiveDate};

use super::inputs::MAX_NAME_CHARS;
use crate::bot::steps::Purpose;
use crate::bot::texts::{T, t, tf};
use crate::bot::ui::{Screen, button};
use crate::domain::period::earliest_day;
use crate::i18n::Lang;
use crate::report::html_escape;
use crate::telegram::callback::Callback;

/// A day as the period dialogue reads and writes it.
pub fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Adding a profile: its name.
pub fn ask_name(lang: Lang) -> String {
    tf(lang, T::AddAskName, &[("max", &MAX_NAME_CHARS.to_string())])
}

/// New keys for the profile `name`: the client id first.
pub fn ask_client_id(lang: Lang, name: &str) -> String {
    tf(lang, T::KeysAskClientId, &[("name", &html_escape(name))])
}

/// The first day of a period for the profile `name`, `today` being in its time zone.
pub fn ask_start(lang: Lang, name: &str, purpose: Purpose, today: NaiveDate) -> String {
    tf(
        lang,
        match purpose {
            Purpose::Report => T::HistAskStart,
            Purpose::StatsExport => T::StatsAskStart,
        },
        &[
            ("name", &html_escape(name)),
            ("example", &iso(today - Duration::days(7))),
            ("earliest", &iso(earliest_day(today))),
        ],
    )
}

/// A new name for the profile `name`.
pub fn ask_rename(lang: Lang, name: &str) -> String {
    tf(
        lang,
        T::RenamePrompt,
        &[
            ("name", &html_escape(name)),
            ("max", &MAX_NAME_CHARS.to_string()),
        ],
    )
}

/// A message forwarded from the chat that should receive the reports of `name`.
pub fn ask_forward(lang: Lang, name: &str) -> String {
    tf(lang, T::ChatForwardPrompt, &[("name", &html_escape(name))])
}

/// Avito did not answer: "try again" with what was typed, or cancel.
pub fn unavailable(lang: Lang) -> Screen {
    Screen::new(
        t(lang, T::AddAvitoUnavailable),
        vec![vec![
            button(t(lang, T::BtnTryAgain), Callback::AddRetry),
            button(t(lang, T::BtnCancel), Callback::DialogueCancel),
        ]],
    )
}
