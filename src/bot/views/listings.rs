//! The "📋 Listings" screen of a profile: a page of its listings in one order, each with its
//! week's figures, and the groups of "Listings to look at" when a report read them lately.

use teloxide::types::InlineKeyboardButton;

use crate::avito::AvitoError;
use crate::bot::texts::{T, t, tf};
use crate::bot::ui::{Screen, button};
use crate::domain::{ListingFlag, ListingSort, ListingsPage, ProfileId};
use crate::i18n::Lang;
use crate::listings::Groups;
use crate::listings::link;
use crate::listings::screen::{GroupsLine, ListingsView, PER_PAGE, Row};
use crate::report::format::{integer, money, percent};
use crate::report::html_escape;
use crate::telegram::callback::ProfileAction;

/// Listings of each group named on the screen (the report has the full groups).
const GROUP_NAMES: usize = 3;

/// The screen of profile `id` named `name` from `read`, the answer for `page`.
pub fn screen(
    lang: Lang,
    id: ProfileId,
    name: &str,
    page: ListingsPage,
    read: &Result<ListingsView, AvitoError>,
) -> Screen {
    let name = html_escape(name);
    let view = match read {
        Ok(view) => view,
        Err(e) => {
            let key = match e {
                AvitoError::RateLimited { .. } | AvitoError::Unavailable { .. } => {
                    T::ListingsUnavailable
                }
                AvitoError::InvalidCredentials | AvitoError::Forbidden { .. } => T::ListingsKeys,
                _ => T::ListingsFailed,
            };
            let text = format!(
                "{}\n\n{}",
                tf(lang, T::ListingsHead, &[("name", &name)]),
                t(lang, key)
            );
            return Screen::new(
                text,
                vec![
                    vec![button(
                        t(lang, T::BtnTryAgain),
                        ProfileAction::Listings(page).on(id),
                    )],
                    vec![button(t(lang, T::BtnBack), ProfileAction::View.on(id))],
                ],
            );
        }
    };
    let mut text = tf(lang, T::ListingsHead, &[("name", &name)]);
    text.push('\n');
    text.push_str(&tf(
        lang,
        T::ListingsWhat,
        &[
            ("from", &view.period.from.format("%d.%m").to_string()),
            ("to", &view.period.to.format("%d.%m").to_string()),
            ("sort", &t(lang, sort_name(view.page.sort))),
            ("page", &(u32::from(view.page.page) + 1).to_string()),
        ],
    ));
    text.push_str("\n\n");
    text.push_str(&groups_line(lang, &view.groups));
    text.push_str("\n\n");
    if view.rows.is_empty() {
        text.push_str(&t(lang, T::ListingsNone));
    }
    let first = usize::from(view.page.page) * PER_PAGE;
    let lines: Vec<String> = view
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| line(lang, first + i + 1, row))
        .collect();
    text.push_str(&lines.join("\n"));
    Screen::new(text, buttons(lang, id, view))
}

fn sort_name(sort: ListingSort) -> T {
    match sort {
        ListingSort::Views => T::ListingsByViews,
        ListingSort::Contacts => T::ListingsByContacts,
        ListingSort::CostPerContact => T::ListingsByCost,
    }
}

/// A listing's name, linked: its title when known, else its number.
fn named(lang: Lang, id: i64, title: Option<&str>, url: &str) -> String {
    let label = title.map_or_else(
        || tf(lang, T::ListingNumber, &[("id", &id.to_string())]),
        html_escape,
    );
    format!("<a href=\"{}\">{label}</a>", html_escape(url))
}

fn line(lang: Lang, n: usize, row: &Row) -> String {
    let status = match row.flag {
        Some(ListingFlag::Blocked) => format!(" — {}", t(lang, T::ListingBlocked)),
        Some(ListingFlag::Rejected) => format!(" — {}", t(lang, T::ListingRejected)),
        None => String::new(),
    };
    let dash = || "—".to_owned();
    tf(
        lang,
        T::ListingsLine,
        &[
            ("n", &n.to_string()),
            ("name", &named(lang, row.id, row.title.as_deref(), &row.url)),
            ("status", &status),
            ("views", &count(lang, row.views)),
            ("contacts", &count(lang, row.contacts)),
            (
                "conversion",
                &row.conversion().map_or_else(dash, |c| percent(c, lang)),
            ),
            (
                "cost",
                &row.cost_per_contact().map_or_else(dash, |k| money(k, lang)),
            ),
            ("spending", &money(row.spending, lang)),
        ],
    )
}

fn count(lang: Lang, n: u64) -> String {
    integer(i64::try_from(n).unwrap_or(i64::MAX), lang)
}

/// The groups briefly: each non-empty one with its first listings, linked.
fn groups_line(lang: Lang, groups: &GroupsLine) -> String {
    let groups: &Groups = match groups {
        GroupsLine::Ready(groups) => groups,
        GroupsLine::Later => return t(lang, T::ListingsGroupsLater),
    };
    if groups.is_empty() {
        return t(lang, T::ListingsGroupsNone);
    }
    let names = |ids: Vec<i64>| -> String {
        ids.iter()
            .take(GROUP_NAMES)
            .map(|id| named(lang, *id, None, &link::page(*id, None)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    for (key, ids) in [
        (
            T::ListingsGroupSilent,
            groups.silent.iter().map(|s| s.id).collect::<Vec<_>>(),
        ),
        (
            T::ListingsGroupCostly,
            groups.costly.iter().map(|c| c.id).collect(),
        ),
        (
            T::ListingsGroupFallen,
            groups.fallen.iter().map(|f| f.id).collect(),
        ),
    ] {
        if !ids.is_empty() {
            parts.push(tf(lang, key, &[("list", &names(ids))]));
        }
    }
    if groups.flagged_total > 0 {
        let n = groups.flagged_total.to_string();
        parts.push(tf(lang, T::ListingsGroupFlagged, &[("n", &n)]));
    }
    format!("{}\n{}", t(lang, T::ListingsGroups), parts.join("\n"))
}

fn buttons(lang: Lang, id: ProfileId, view: &ListingsView) -> Vec<Vec<InlineKeyboardButton>> {
    let current = view.page;
    let sorts = ListingSort::ALL
        .into_iter()
        .map(|sort| {
            let label = t(lang, sort_button(sort));
            let label = if sort == current.sort {
                format!("✅ {label}")
            } else {
                label
            };
            button(
                label,
                ProfileAction::Listings(ListingsPage { sort, page: 0 }).on(id),
            )
        })
        .collect();
    let mut paging = Vec::new();
    if current.page > 0 {
        let previous = ListingsPage {
            page: current.page - 1,
            ..current
        };
        paging.push(button(
            t(lang, T::BtnPrev),
            ProfileAction::Listings(previous).on(id),
        ));
    }
    // The last page a button can carry is the last one offered.
    if view.has_next && current.page < u16::MAX {
        let next = ListingsPage {
            page: current.page + 1,
            ..current
        };
        paging.push(button(
            t(lang, T::BtnNext),
            ProfileAction::Listings(next).on(id),
        ));
    }
    let mut rows = vec![sorts];
    if !paging.is_empty() {
        rows.push(paging);
    }
    rows.push(vec![button(
        t(lang, T::BtnBack),
        ProfileAction::View.on(id),
    )]);
    rows
}

fn sort_button(sort: ListingSort) -> T {
    match sort {
        ListingSort::Views => T::BtnListingsViews,
        ListingSort::Contacts => T::BtnListingsContacts,
        ListingSort::CostPerContact => T::BtnListingsCost,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avito::Operation;
    use crate::avito::money::Kopecks;
    use crate::domain::Period;
    use crate::listings::Silent;
    use chrono::NaiveDate;

    const ID: ProfileId = ProfileId(7);

    fn row(id: i64, flag: Option<ListingFlag>) -> Row {
        Row {
            id,
            title: (id == 2).then(|| "Sofa <big>".to_owned()),
            url: link::page(id, None),
            views: 1200,
            contacts: if id == 1 { 0 } else { 30 },
            spending: Kopecks(90_000),
            flag,
        }
    }

    fn view(page: u16, has_next: bool, groups: GroupsLine) -> ListingsView {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).expect("date");
        ListingsView {
            period: Period::new(day(22), day(28)),
            page: ListingsPage {
                sort: ListingSort::Contacts,
                page,
            },
            rows: vec![row(1, None), row(2, Some(ListingFlag::Rejected))],
            has_next,
            groups,
        }
    }

    fn labels(screen: &Screen) -> Vec<String> {
        screen
            .keyboard
            .inline_keyboard
            .iter()
            .flatten()
            .map(|b| b.text.clone())
            .collect()
    }

    #[test]
    fn a_page_shows_each_listings_figures_and_its_buttons() {
        let v = view(1, true, GroupsLine::Later);
        let s = screen(Lang::En, ID, "Shop", v.page, &Ok(v.clone()));
        assert!(s.text.contains("by contacts, page 2"), "{}", s.text);
        assert!(s.text.contains("come with the weekly report"), "{}", s.text);
        // Numbered on from the previous pages; no contacts: no price of one.
        assert!(
            s.text
                .contains("11. <a href=\"https://www.avito.ru/1\">listing #1</a>"),
            "{}",
            s.text
        );
        assert!(
            s.text.contains("💬 0 · 0% · — per contact · spent 900"),
            "{}",
            s.text
        );
        assert!(
            s.text.contains("Sofa &lt;big&gt;</a> — 🚫 rejected"),
            "{}",
            s.text
        );
        assert!(s.text.contains("2.5% · 30"), "{}", s.text);
        let l = labels(&s);
        assert!(l.contains(&"✅ 💬 Contacts".to_owned()), "{l:?}");
        assert!(l.contains(&"👁 Views".to_owned()), "{l:?}");
        assert!(l.iter().any(|b| b.contains("Previous")), "{l:?}");
        assert!(l.iter().any(|b| b.contains("Next")), "{l:?}");
        let first = view(0, false, GroupsLine::Later);
        let l = labels(&screen(Lang::Ru, ID, "Shop", first.page, &Ok(first)));
        assert!(
            !l.iter().any(|b| b.contains('◀') && b != "◀️ Назад"),
            "{l:?}"
        );
        assert!(!l.iter().any(|b| b.contains('▶')), "{l:?}");
    }

    #[test]
    fn the_groups_are_named_when_read_lately() {
        let groups = Groups {
            listings: 2,
            many_views: 50,
            median_views: 10,
            account_cost: Some(3000.0),
            silent: vec![Silent { id: 1, views: 900 }],
            costly: vec![],
            fallen: vec![],
            flagged: vec![],
            flagged_total: 4,
        };
        let v = view(0, false, GroupsLine::Ready(Box::new(groups)));
        let s = screen(Lang::En, ID, "Shop", v.page, &Ok(v.clone()));
        assert!(s.text.contains("🔇 views, no contacts: <a"), "{}", s.text);
        assert!(s.text.contains("⛔ blocked or rejected: 4"), "{}", s.text);
        assert!(!s.text.contains("dear contacts"), "{}", s.text);
    }

    #[test]
    fn avito_failing_gets_a_try_again_button() {
        let page = ListingsPage::FIRST;
        let busy = AvitoError::RateLimited {
            operation: Operation::ItemAnalytics,
            retry_after: std::time::Duration::from_secs(60),
        };
        let s = screen(Lang::En, ID, "Shop", page, &Err(busy));
        assert!(s.text.contains("Avito is not answering"), "{}", s.text);
        let l = labels(&s);
        assert!(l.iter().any(|b| b.contains("Try again")), "{l:?}");
    }
}
