//! The first hub screen: the user's profiles, paged.

use crate::bot::callback::{Callback, ProfileAction};
use crate::bot::texts::{T, t, tf};
use crate::bot::ui::{Screen, button};
use crate::db::profiles;
use crate::domain::UserId;
use crate::i18n::Lang;

use super::super::AppState;

/// Profiles per page: with the navigation rows the keyboard stays readable on a phone.
pub const PER_PAGE: u64 = 8;

pub async fn screen(
    state: &AppState,
    lang: Lang,
    owner: UserId,
    page: u32,
) -> anyhow::Result<Screen> {
    let (mut rows, mut total) = profiles::page_of(&state.db, owner, page.into(), PER_PAGE).await?;
    let pages = total.div_ceil(PER_PAGE).max(1);
    let mut page = u64::from(page);
    // A page that emptied (profiles deleted meanwhile) shows the last one instead.
    if rows.is_empty() && page > 0 {
        page = pages - 1;
        (rows, total) = profiles::page_of(&state.db, owner, page, PER_PAGE).await?;
    }
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
    Ok(Screen::new(text, keyboard))
}
