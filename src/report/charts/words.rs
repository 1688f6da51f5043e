//! The charts' own words, in the report's language.

use crate::i18n::Lang;

/// The chart's own words (in `locales/*/report.toml`, `chart_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Word {
    ViewsAndContacts,
    CurrentPeriod,
    PreviousPeriod,
    Spending,
    CostPerContact,
    Other,
    Profiles,
    Views,
    Contacts,
    Favorites,
    Calls,
}

pub(super) fn word(w: Word, lang: Lang) -> &'static str {
    use crate::report::render::ReportText as T;
    let key = match w {
        Word::ViewsAndContacts => T::ChartViewsAndContacts,
        Word::CurrentPeriod => T::ChartCurrentPeriod,
        Word::PreviousPeriod => T::ChartPreviousPeriod,
        Word::Spending => T::ChartSpending,
        Word::CostPerContact => T::ChartCostPerContact,
        Word::Other => T::ChartOther,
        Word::Profiles => T::ChartProfiles,
        Word::Views => T::ChartViews,
        Word::Contacts => T::ChartContacts,
        Word::Favorites => T::ChartFavorites,
        Word::Calls => T::ChartCalls,
    };
    crate::i18n::text(lang, key)
}

/// "and 3 more", for profiles that did not fit.
pub(super) fn more(hidden: usize, lang: Lang) -> String {
    crate::i18n::format(
        lang,
        crate::report::render::ReportText::ChartMore,
        &[("count", &hidden.to_string())],
    )
}

/// The title to draw: the caller's, or the chart's default.
pub(super) fn title_or(title: &str, default: Word, lang: Lang) -> String {
    let title = title.trim();
    if title.is_empty() {
        word(default, lang).to_owned()
    } else {
        title.to_owned()
    }
}
