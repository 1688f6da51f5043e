//! The first hub screen: the user's profiles, paged.

use crate::bot::texts::{T, t, tf};
use crate::bot::ui::{Screen, button};
use crate::db::entities::avito_profile;
use crate::domain::UserId;
use crate::i18n::Lang;
use crate::telegram::callback::{Callback, ProfileAction};

/// Profiles per page: with the navigation rows the keyboard stays readable on a phone.
pub const PER_PAGE: u64 = 8;

/// One page of a user's profile list.
#[derive(Debug, Clone)]
pub struct Page {
    pub rows: Vec<avito_profile::Model>,
    pub total: u64,
    /// The page shown (the last one when the page asked for emptied meanwhile).
    pub page: u64,
}

pub fn screen(lang: Lang, owner: UserId, shown: &Page) -> Screen {
    let Page { rows, total, page } = shown;
    let (total, page) = (*total, *page);
    let pages = total.div_ceil(PER_PAGE).max(1);
    let mut keyboard: Vec<Vec<_>> = rows
        .iter()
        .map(|p| vec![button(p.name.clone(), ProfileAction::View.on(p.id))])
        .collect();
    if pages > 1 {
        let mut nav = Vec::new();
        let page32 = u32::try_from(page).unwrap_or(0);
        if page > 0 {
            nav.push(button(
                t(lang, T::BtnPrev),
                Callback::ProfilesPage {
                    owner,
                    page: page32 - 1,
                },
            ));
        }
        if page + 1 < pages {
            nav.push(button(
                t(lang, T::BtnNext),
                Callback::ProfilesPage {
                    owner,
                    page: page32 + 1,
                },
            ));
        }
        keyboard.push(nav);
    }
    keyboard.push(vec![button(
        t(lang, T::BtnAddProfile),
        Callback::ProfileAdd,
    )]);
    let text = if total == 0 {
        t(lang, T::ListEmpty)
    } else {
        let mut text = tf(lang, T::ListTitle, &[("count", &total.to_string())]);
        if pages > 1 {
            text.push_str("\n\n");
            text.push_str(&tf(
                lang,
                T::ListPage,
                &[
                    ("page", &(page + 1).to_string()),
                    ("pages", &pages.to_string()),
                ],
            ));
        }
        text
    };
    Screen::new(text, keyboard)
}
