//! Rendering reports to Telegram HTML or plain text, in Russian or English. Every line is
//! self-contained (no tag spans two lines), so messages can be split at any line boundary.

use crate::i18n::{self, Lang};
use crate::text_keys;

use super::format::{self, MINUS};
use super::metrics::{Metric, Unit};
use super::model::{
    Change, CombinedReport, Failure, ListingFigure, ListingGroups, ListingLine, ListingsSection,
    MetricLine, Missing, NewReviews, Note, Part, ProfileReport, RatingDetail, Section, Value,
};
use super::period::Period;

text_keys!(pub enum ReportText in "report" {
    TitleDay => "title_day",
    TitleRange => "title_range",
    CombinedTitle => "combined_title",
    ComparedWith => "compared_with",
    NoComparison => "no_comparison",
    Total => "total",
    TotalPartial => "total_partial",
    SectionFailed => "section_failed",
    FailureCredentials => "failure_credentials",
    FailureUnavailable => "failure_unavailable",
    FailureOther => "failure_other",
    MetricViews => "metric_views",
    MetricContacts => "metric_contacts",
    MetricFavorites => "metric_favorites",
    MetricConversion => "metric_conversion",
    MetricCalls => "metric_calls",
    MetricSpending => "metric_spending",
    MetricCostPerContact => "metric_cost_per_contact",
    MetricBalance => "metric_balance",
    MetricCpaBalance => "metric_cpa_balance",
    MetricActiveItems => "metric_active_items",
    MetricRating => "metric_rating",
    MetricListings => "metric_listings",
    ListingsSilent => "listings_silent",
    ListingsCostly => "listings_costly",
    ListingsFallen => "listings_fallen",
    ListingsFlagged => "listings_flagged",
    ListingsFlaggedMore => "listings_flagged_more",
    ListingsViewsLine => "listings_views_line",
    ListingsCostLine => "listings_cost_line",
    ListingsFellLine => "listings_fell_line",
    ListingsBlocked => "listings_blocked",
    ListingsRejected => "listings_rejected",
    ListingsNone => "listings_none",
    ListingsLater => "listings_later",
    ListingsBeyond => "listings_beyond",
    ListingsFailed => "listings_failed",
    ListingsUnnamed => "listings_unnamed",
    RatingReviews => "rating_reviews",
    RatingCounted => "rating_counted",
    RatingNew => "rating_new",
    RatingNewAtLeast => "rating_new_at_least",
    RatingNewAverage => "rating_new_average",
    PartContactsPhoneOnly => "part_contacts_phone_only",
    PartContactsChatOnly => "part_contacts_chat_only",
    PartContactsPhoneAndChat => "part_contacts_phone_and_chat",
    PartContactsOther => "part_contacts_other",
    PartCallsAnswered => "part_calls_answered",
    PartCallsMissed => "part_calls_missed",
    PartSpendingPresence => "part_spending_presence",
    PartSpendingPromo => "part_spending_promo",
    PartSpendingCommission => "part_spending_commission",
    PartSpendingRest => "part_spending_rest",
    PartSpendingBonus => "part_spending_bonus",
    PartWalletBonus => "part_wallet_bonus",
    Na => "na",
    NaNotProvided => "na_not_provided",
    NaNoAccess => "na_no_access",
    NaNoBase => "na_no_base",
    NaImplausible => "na_implausible",
    NaRatingOff => "na_rating_off",
    NaNoRating => "na_no_rating",
    NaFailed => "na_failed",
    ChangeNew => "change_new",
    Points => "points",
    TopTitle => "top_title",
    TopLine => "top_line",
    TopPartial => "top_partial",
    ChartViewsAndContacts => "chart_views_and_contacts",
    ChartCurrentPeriod => "chart_current_period",
    ChartPreviousPeriod => "chart_previous_period",
    ChartSpending => "chart_spending",
    ChartCostPerContact => "chart_cost_per_contact",
    ChartOther => "chart_other",
    ChartProfiles => "chart_profiles",
    ChartViews => "chart_views",
    ChartContacts => "chart_contacts",
    ChartFavorites => "chart_favorites",
    ChartCalls => "chart_calls",
    ChartMore => "chart_more",
});

/// The output flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Markup {
    /// Telegram's HTML parse mode.
    Html,
    /// Plain text (terminal, cron mail).
    Text,
}

impl Markup {
    fn esc(self, s: &str) -> String {
        match self {
            Markup::Html => format::html_escape(s),
            Markup::Text => s.to_owned(),
        }
    }

    fn bold(self, s: &str) -> String {
        match self {
            Markup::Html => format!("<b>{}</b>", format::html_escape(s)),
            Markup::Text => s.to_owned(),
        }
    }

    fn italic(self, s: &str) -> String {
        match self {
            Markup::Html => format!("<i>{}</i>", format::html_escape(s)),
            Markup::Text => s.to_owned(),
        }
    }

    fn link(self, text: &str, url: Option<&str>) -> String {
        match (self, url) {
            (Markup::Html, Some(url))
                if url.starts_with("https://") || url.starts_with("http://") =>
            {
                format!(
                    "<a href=\"{}\">{}</a>",
                    format::html_escape(url),
                    format::html_escape(text)
                )
            }
            _ => self.esc(text),
        }
    }
}

fn metric_name(m: Metric) -> ReportText {
    match m {
        Metric::Views => ReportText::MetricViews,
        Metric::Contacts => ReportText::MetricContacts,
        Metric::Favorites => ReportText::MetricFavorites,
        Metric::Conversion => ReportText::MetricConversion,
        Metric::Calls => ReportText::MetricCalls,
        Metric::Spending => ReportText::MetricSpending,
        Metric::CostPerContact => ReportText::MetricCostPerContact,
        Metric::WalletBalance => ReportText::MetricBalance,
        Metric::CpaBalance => ReportText::MetricCpaBalance,
        Metric::ActiveItems => ReportText::MetricActiveItems,
        Metric::Rating => ReportText::MetricRating,
        Metric::Listings => ReportText::MetricListings,
    }
}

fn metric_icon(m: Metric) -> &'static str {
    match m {
        Metric::Views => "👁",
        Metric::Contacts => "💬",
        Metric::Favorites => "⭐",
        Metric::Conversion => "🎯",
        Metric::Calls => "📞",
        Metric::Spending => "💸",
        Metric::CostPerContact => "🏷",
        Metric::WalletBalance => "👛",
        Metric::CpaBalance => "💳",
        Metric::ActiveItems => "📦",
        // Favorites have ⭐ already.
        Metric::Rating => "🌟",
        Metric::Listings => "📋",
    }
}

fn part_name(p: Part) -> ReportText {
    match p {
        Part::ContactsPhoneOnly => ReportText::PartContactsPhoneOnly,
        Part::ContactsChatOnly => ReportText::PartContactsChatOnly,
        Part::ContactsPhoneAndChat => ReportText::PartContactsPhoneAndChat,
        Part::ContactsOther => ReportText::PartContactsOther,
        Part::CallsAnswered => ReportText::PartCallsAnswered,
        Part::CallsMissed => ReportText::PartCallsMissed,
        Part::SpendingPresence => ReportText::PartSpendingPresence,
        Part::SpendingPromo => ReportText::PartSpendingPromo,
        Part::SpendingCommission => ReportText::PartSpendingCommission,
        Part::SpendingRest => ReportText::PartSpendingRest,
        Part::SpendingBonus => ReportText::PartSpendingBonus,
        Part::WalletBonus => ReportText::PartWalletBonus,
    }
}

/// A part's name as the report writes it ("listing", "promotion", …).
pub(crate) fn part_label(p: Part, lang: Lang) -> &'static str {
    i18n::text(lang, part_name(p))
}

fn value_text(v: &Value, lang: Lang) -> String {
    match v {
        Value::Count(n) => format::integer(*n, lang),
        Value::Percent(p) => format::percent(*p, lang),
        Value::Money(k) => format::money(*k, lang),
        Value::Stars(s) => format::stars(*s, lang),
        Value::Missing(_) => i18n::text(lang, ReportText::Na).to_owned(),
    }
}

fn missing_reason(m: &Missing, lang: Lang) -> String {
    match m {
        Missing::NotProvided => i18n::text(lang, ReportText::NaNotProvided).to_owned(),
        Missing::NoAccess => i18n::text(lang, ReportText::NaNoAccess).to_owned(),
        Missing::NoBase => i18n::text(lang, ReportText::NaNoBase).to_owned(),
        Missing::Implausible => i18n::text(lang, ReportText::NaImplausible).to_owned(),
        Missing::RatingOff => i18n::text(lang, ReportText::NaRatingOff).to_owned(),
        Missing::NoRating => i18n::text(lang, ReportText::NaNoRating).to_owned(),
        Missing::Failed(f) => i18n::format(
            lang,
            ReportText::NaFailed,
            &[("error", &failure_text(f, lang))],
        ),
    }
}

fn change_text(c: Change, unit: Unit, lang: Lang) -> String {
    let amount = |x: f64| match unit {
        Unit::Stars => format::decimal(x, 1, lang),
        Unit::Percent => format!(
            "{}\u{a0}{}",
            format::decimal(x, 1, lang),
            i18n::text(lang, ReportText::Points)
        ),
        _ => format!("{}%", format::decimal(x, 0, lang)),
    };
    match c {
        Change::Up(x) => format!("▲ +{}", amount(x)),
        Change::Down(x) => format!("▼ {MINUS}{}", amount(x)),
        Change::Same => "—".to_owned(),
        Change::New => format!("▲ {}", i18n::text(lang, ReportText::ChangeNew)),
    }
}

fn period_text(p: Period, lang: Lang) -> String {
    if p.from == p.to {
        format::date(p.from, lang)
    } else {
        format!(
            "{} — {}",
            format::date(p.from, lang),
            format::date(p.to, lang)
        )
    }
}

/// One metric's line (and the lines under it) as a report shows it: for a command that
/// shows one figure, the `reviews` command's rating.
pub fn metric_text(line: &MetricLine, lang: Lang, m: Markup) -> String {
    let mut out = Vec::new();
    metric_lines(std::slice::from_ref(line), lang, m, &mut out);
    out.join("\n")
}

fn metric_lines(lines: &[MetricLine], lang: Lang, m: Markup, out: &mut Vec<String>) {
    for line in lines {
        let name = i18n::text(lang, metric_name(line.metric));
        let mut text = format!("{} {}: ", metric_icon(line.metric), m.esc(name));
        match &line.value {
            Value::Missing(reason) => {
                text.push_str(&m.esc(&value_text(&line.value, lang)));
                text.push(' ');
                text.push_str(&m.italic(&format!("({})", missing_reason(reason, lang))));
            }
            value => {
                text.push_str(&m.bold(&value_text(value, lang)));
                if let Some(counts) = line.rating.as_ref().and_then(|d| rating_counts(d, lang)) {
                    text.push_str(&m.esc(&format!(" ({counts})")));
                }
                if let Some(change) = line.change {
                    text.push_str("  ");
                    text.push_str(&m.esc(&change_text(change, line.metric.unit(), lang)));
                }
            }
        }
        out.push(text);
        if let Some(new) = line.rating.as_ref().and_then(|d| d.new_reviews.as_ref())
            && !line.value.missing()
        {
            out.push(format!("      {}", m.esc(&new_reviews_text(new, lang))));
        }
        if !line.parts.is_empty() && !line.value.missing() {
            let parts: Vec<String> = line
                .parts
                .iter()
                .map(|p| {
                    format!(
                        "{} {}",
                        i18n::text(lang, part_name(p.part)),
                        value_text(&p.value, lang)
                    )
                })
                .collect();
            out.push(format!("      {}", m.esc(&parts.join(" · "))));
        }
    }
}

/// "21 reviews, 12 counted", of the figures Avito gave.
fn rating_counts(detail: &RatingDetail, lang: Lang) -> Option<String> {
    let count = |key, n: Option<i64>| {
        n.map(|n| i18n::format(lang, key, &[("count", &format::integer(n, lang))]))
    };
    let counts: Vec<String> = [
        count(ReportText::RatingReviews, detail.reviews),
        count(ReportText::RatingCounted, detail.counted),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!counts.is_empty()).then(|| counts.join(", "))
}

/// "new reviews in the period: 3, average 3.7★" ("at least 3" when the listing was cut short).
fn new_reviews_text(new: &NewReviews, lang: Lang) -> String {
    let key = if new.at_least {
        ReportText::RatingNewAtLeast
    } else {
        ReportText::RatingNew
    };
    let mut text = i18n::format(lang, key, &[("count", &format::integer(new.count, lang))]);
    if let Some(average) = new.average {
        text.push_str(", ");
        text.push_str(&i18n::format(
            lang,
            ReportText::RatingNewAverage,
            &[("average", &format::stars(average, lang))],
        ));
    }
    text
}

fn profile_body(report: &ProfileReport, lang: Lang, m: Markup, out: &mut Vec<String>) {
    metric_lines(&report.lines, lang, m, out);
    if !report.top_items.is_empty() {
        out.push(String::new());
        out.push(m.bold(&format!("🏆 {}", i18n::text(lang, ReportText::TopTitle))));
        for (i, item) in report.top_items.iter().enumerate() {
            let counters = i18n::format(
                lang,
                ReportText::TopLine,
                &[
                    ("views", &format::integer(item.views, lang)),
                    ("contacts", &format::integer(item.contacts, lang)),
                ],
            );
            out.push(format!(
                "{}. {} — {}",
                i + 1,
                m.link(&item.title, item.url.as_deref()),
                m.esc(&counters)
            ));
        }
    }
    if let Some(section) = &report.listings {
        out.push(String::new());
        listings_lines(section, lang, m, out);
    }
    for note in &report.notes {
        if let Note::TopItemsPartial { ranked } = note {
            out.push(m.italic(&i18n::format(
                lang,
                ReportText::TopPartial,
                &[("count", &format::integer(*ranked as i64, lang))],
            )));
        }
    }
}

/// "Listings to look at": a heading, then each group with a listing in it (an empty group
/// is not shown), or why the section is not there.
fn listings_lines(section: &ListingsSection, lang: Lang, m: Markup, out: &mut Vec<String>) {
    let title = format!("📋 {}", i18n::text(lang, ReportText::MetricListings));
    let groups = match section {
        ListingsSection::Ready(groups) => groups,
        ListingsSection::Later => {
            out.push(m.italic(i18n::text(lang, ReportText::ListingsLater)));
            return;
        }
        ListingsSection::Beyond { pages } => {
            let (pages, max) = (
                pages.to_string(),
                crate::listings::lead::MAX_WINDOWS.to_string(),
            );
            let text = i18n::format(
                lang,
                ReportText::ListingsBeyond,
                &[("pages", &pages), ("max", &max)],
            );
            out.push(m.italic(&text));
            return;
        }
        ListingsSection::Failed { error } => {
            out.push(m.esc(&i18n::format(
                lang,
                ReportText::ListingsFailed,
                &[("error", &failure_text(error, lang))],
            )));
            return;
        }
    };
    out.push(m.bold(&title));
    if groups.is_empty() {
        out.push(m.esc(i18n::text(lang, ReportText::ListingsNone)));
        return;
    }
    for (heading, lines) in listing_groups(groups, lang) {
        if lines.is_empty() {
            continue;
        }
        out.push(m.italic(&heading));
        for line in lines {
            let name = match &line.title {
                Some(title) => title.clone(),
                None => i18n::format(
                    lang,
                    ReportText::ListingsUnnamed,
                    &[("id", &line.id.to_string())],
                ),
            };
            out.push(format!(
                "• {} — {}",
                m.link(&name, Some(&line.url)),
                m.esc(&listing_figure(&line.figure, lang))
            ));
        }
    }
    let more = groups.flagged_total.saturating_sub(groups.flagged.len());
    if more > 0 {
        out.push(m.esc(&i18n::format(
            lang,
            ReportText::ListingsFlaggedMore,
            &[("count", &format::integer(more as i64, lang))],
        )));
    }
}

/// Each group's heading (with the rule that made it) and its listings, in report order.
fn listing_groups(g: &ListingGroups, lang: Lang) -> [(String, &[ListingLine]); 4] {
    let n = |v: u64| format::integer(i64::try_from(v).unwrap_or(i64::MAX), lang);
    let cost = g
        .account_cost
        .map(|k| format::money(k, lang))
        .unwrap_or_else(|| i18n::text(lang, ReportText::Na).to_owned());
    [
        (
            i18n::format(
                lang,
                ReportText::ListingsSilent,
                &[("views", &n(g.many_views)), ("median", &n(g.median_views))],
            ),
            &g.silent,
        ),
        (
            i18n::format(lang, ReportText::ListingsCostly, &[("cost", &cost)]),
            &g.costly,
        ),
        (
            i18n::text(lang, ReportText::ListingsFallen).to_owned(),
            &g.fallen,
        ),
        (
            i18n::text(lang, ReportText::ListingsFlagged).to_owned(),
            &g.flagged,
        ),
    ]
}

fn listing_figure(f: &ListingFigure, lang: Lang) -> String {
    let n = |v: u64| format::integer(i64::try_from(v).unwrap_or(i64::MAX), lang);
    match f {
        ListingFigure::Views { views } => i18n::format(
            lang,
            ReportText::ListingsViewsLine,
            &[("views", &n(*views))],
        ),
        ListingFigure::Cost { cost } => i18n::format(
            lang,
            ReportText::ListingsCostLine,
            &[("cost", &format::money(*cost, lang))],
        ),
        ListingFigure::Fell { before, now } => i18n::format(
            lang,
            ReportText::ListingsFellLine,
            &[("before", &n(*before)), ("now", &n(*now))],
        ),
        ListingFigure::Blocked => i18n::text(lang, ReportText::ListingsBlocked).to_owned(),
        ListingFigure::Rejected => i18n::text(lang, ReportText::ListingsRejected).to_owned(),
    }
}

fn comparison_line(previous: Option<Period>, lang: Lang, m: Markup) -> String {
    match previous {
        Some(p) => m.italic(&i18n::format(
            lang,
            ReportText::ComparedWith,
            &[("period", &period_text(p, lang))],
        )),
        None => m.italic(i18n::text(lang, ReportText::NoComparison)),
    }
}

/// The report of one profile.
pub fn profile(report: &ProfileReport, lang: Lang, m: Markup) -> String {
    let title = if report.period.from == report.period.to {
        i18n::format(
            lang,
            ReportText::TitleDay,
            &[("date", &format::date(report.period.from, lang))],
        )
    } else {
        i18n::format(
            lang,
            ReportText::TitleRange,
            &[
                ("from", &format::date(report.period.from, lang)),
                ("to", &format::date(report.period.to, lang)),
            ],
        )
    };
    let mut out = vec![
        format!("📊 {}", m.bold(&report.profile)),
        m.esc(&title),
        comparison_line(report.previous, lang, m),
        String::new(),
    ];
    profile_body(report, lang, m, &mut out);
    out.join("\n")
}

fn failure_text(f: &Failure, lang: Lang) -> String {
    match f {
        Failure::Credentials => i18n::text(lang, ReportText::FailureCredentials).to_owned(),
        Failure::Unavailable(_) => i18n::text(lang, ReportText::FailureUnavailable).to_owned(),
        Failure::Other(e) => i18n::format(lang, ReportText::FailureOther, &[("error", e)]),
    }
}

/// A combined report: a section per profile and the total.
pub fn combined(report: &CombinedReport, lang: Lang, m: Markup) -> String {
    let mut out = vec![
        format!(
            "📊 {}",
            m.bold(&i18n::format(
                lang,
                ReportText::CombinedTitle,
                &[("period", &period_text(report.period, lang))]
            ))
        ),
        comparison_line(report.previous, lang, m),
    ];
    for section in &report.sections {
        out.push(String::new());
        match section {
            Section::Ok { report } => {
                out.push(m.bold(&format!("▪️ {}", report.profile)));
                profile_body(report, lang, m, &mut out);
            }
            Section::Failed { profile, error } => {
                out.push(m.bold(&format!("▪️ {profile}")));
                out.push(format!(
                    "⚠️ {}",
                    m.esc(&i18n::format(
                        lang,
                        ReportText::SectionFailed,
                        &[("error", &failure_text(error, lang))]
                    ))
                ));
            }
        }
    }
    if report.sections.len() > 1 {
        out.push(String::new());
        let total = if report.partial {
            ReportText::TotalPartial
        } else {
            ReportText::Total
        };
        out.push(m.bold(&format!("Σ {}", i18n::text(lang, total))));
        metric_lines(&report.total, lang, m, &mut out);
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_texts_exist_in_every_language_with_the_same_placeholders() {
        i18n::check_area("report", ReportText::ALL).expect("report texts complete");
    }

    fn listed(id: i64, title: Option<&str>, figure: ListingFigure) -> ListingLine {
        ListingLine {
            id,
            title: title.map(str::to_owned),
            url: format!("https://www.avito.ru/{id}"),
            figure,
        }
    }

    #[test]
    fn the_listings_section_links_each_listing_and_leaves_out_empty_groups() {
        let groups = ListingGroups {
            many_views: 278,
            median_views: 139,
            account_cost: Some(crate::avito::money::Kopecks(2_948)),
            silent: vec![listed(
                1,
                Some("Диван <угловой>"),
                ListingFigure::Views { views: 956 },
            )],
            costly: Vec::new(),
            fallen: vec![listed(
                2,
                None,
                ListingFigure::Fell {
                    before: 736,
                    now: 161,
                },
            )],
            flagged: vec![listed(3, Some("Кресло"), ListingFigure::Rejected)],
            flagged_total: 4,
        };
        let mut out = Vec::new();
        let section = ListingsSection::Ready(Box::new(groups));
        listings_lines(&section, Lang::En, Markup::Html, &mut out);
        let text = out.join("\n");
        assert!(
            text.contains("• <a href=\"https://www.avito.ru/1\">Диван &lt;угловой&gt;</a> — 956 views, no contacts"),
            "{text}"
        );
        assert!(text.contains(">Listing №2</a> — 736 → 161 views"), "{text}");
        assert!(text.contains(">Кресло</a> — rejected"), "{text}");
        assert!(text.contains("and 3 more blocked or rejected"), "{text}");
        assert!(
            !text.contains("Costliest"),
            "an empty group is not shown: {text}"
        );
        let mut later = Vec::new();
        listings_lines(&ListingsSection::Later, Lang::Ru, Markup::Text, &mut later);
        assert_eq!(later.len(), 1);
        assert!(
            later[0].contains("придут со следующим отчётом"),
            "{later:?}"
        );
        let mut beyond = Vec::new();
        let section = ListingsSection::Beyond { pages: 130 };
        listings_lines(&section, Lang::En, Markup::Text, &mut beyond);
        assert_eq!(beyond.len(), 1);
        assert!(
            beyond[0].contains("left out of this account's scheduled reports")
                && beyond[0].contains("130 requests")
                && beyond[0].contains("120 minutes")
                && !beyond[0].contains("next report"),
            "{beyond:?}"
        );
    }
}
