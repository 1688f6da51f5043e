//! The statistics workbook: a **Summary** sheet (the period's totals and native Excel charts
//! of the per-day figures and of the listings with the most spending), a **Per day** sheet
//! (the totals of each day), a **Listings** sheet (each listing over the period, with the
//! listings worth a look marked by native conditional formatting rules, see
//! [`super::per_listing`]), an **Items** sheet (each item on each day) and a **Reviews**
//! sheet (the reviews written in the period, newest first, with the seller's answers and
//! where they stand). Table sheets have a bold frozen header, a filter, number formats
//! (thousands, ₽, per cent, dates) and fitted widths. A figure Avito did not give is an empty
//! cell, never a zero.
//!
//! Synchronous (rust_xlsxwriter is): run it on a blocking thread. The Items and Listings
//! sheets, the ones that can be large, stream in constant-memory mode.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_xlsxwriter::{
    Chart, ChartType, ConditionalFormatFormula, Format, Formula, Workbook, Worksheet, XlsxError,
};

use super::model::{DayTotals, ListingFigures, MAX_ITEM_ROWS, STATS_TZ, StatsData, StatsOptions};
use super::per_listing::{self, Marks, Thresholds};
use crate::avito::model::ItemStatus;
use crate::avito::money::Kopecks;
use crate::avito::ratings::Review;
use crate::export::texts::{X, x, xf};
use crate::reviews::view;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write the workbook: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("cannot write the workbook: {0}")]
    Io(#[from] std::io::Error),
}

/// Widest column, in characters.
const MAX_WIDTH: usize = 80;
/// Width of a date column ("2026-03-31").
const DATE_WIDTH: usize = 10;
/// Excel's day 0 (its serial dates count from here; 1900's phantom leap day is before
/// anything Avito reports).
const EXCEL_EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1899, 12, 30) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

const DAY_COLS: [X; 5] = [
    X::StatsColDate,
    X::StatsColViews,
    X::StatsColContacts,
    X::StatsColFavorites,
    X::StatsColSpending,
];
const REVIEW_COLS: [X; 8] = [
    X::StatsColWritten,
    X::StatsColStars,
    X::StatsColStage,
    X::ColItemTitle,
    X::StatsColSender,
    X::StatsColReview,
    X::StatsColAnswer,
    X::StatsColAnswerStatus,
];
/// Width of a date and time column ("2026-03-31 14:05").
const DATETIME_WIDTH: usize = 16;
const ITEM_COLS: [X; 6] = [
    X::ColItemId,
    X::ColItemTitle,
    X::StatsColDate,
    X::StatsColViews,
    X::StatsColContacts,
    X::StatsColFavorites,
];

const LISTING_COLS: [X; 12] = [
    X::ColItemId,
    X::ColItemTitle,
    X::StatsColStatus,
    X::StatsColImpressions,
    X::StatsColViews,
    X::StatsColContacts,
    X::StatsColCtr,
    X::StatsColConversion,
    X::StatsColSpending,
    X::StatsColCostPerContact,
    X::StatsColLook,
    X::StatsColViewsBefore,
];
/// The Listings sheet's columns by what they hold (indexes into [`LISTING_COLS`]).
mod lc {
    pub const TITLE: u16 = 1;
    pub const STATUS: u16 = 2;
    pub const VIEWS: u16 = 4;
    pub const CONTACTS: u16 = 5;
    pub const SPENDING: u16 = 8;
    pub const COST: u16 = 9;
    pub const LOOK: u16 = 10;
    /// Views in the period before (last: the columns before it keep their letters).
    pub const BEFORE: u16 = 11;
    /// The legend, one empty column right of the table: a swatch of each rule's fill, then
    /// its text.
    pub const LEGEND: u16 = 13;
}
/// Characters a string literal in an Excel formula holds at most.
const MAX_FORMULA_TEXT: usize = 255;

struct Formats {
    title: Format,
    header: Format,
    date: Format,
    datetime: Format,
    wrap: Format,
    count: Format,
    money: Format,
    id: Format,
    plain: Format,
    note: Format,
    percent: Format,
    link: Format,
    mark_no_contacts: Format,
    mark_costly: Format,
    mark_blocked: Format,
    mark_fell: Format,
}

impl Formats {
    fn new() -> Self {
        Self {
            title: Format::new().set_bold().set_font_size(14),
            header: Format::new().set_bold(),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
            wrap: Format::new().set_text_wrap(),
            count: Format::new().set_num_format("#,##0"),
            money: Format::new().set_num_format("#,##0.00 \"₽\""),
            id: Format::new().set_num_format("0"),
            plain: Format::new(),
            note: Format::new().set_italic(),
            percent: Format::new().set_num_format("0.0%"),
            link: Format::new()
                .set_font_color("0563C1")
                .set_underline(rust_xlsxwriter::FormatUnderline::Single),
            // Excel's own "neutral", "bad" and orange cell styles: the fills the rules apply
            // and the legend shows.
            mark_no_contacts: Format::new()
                .set_font_color("9C5700")
                .set_background_color("FFEB9C"),
            mark_costly: Format::new()
                .set_font_color("974706")
                .set_background_color("FCD5B4"),
            mark_blocked: Format::new()
                .set_font_color("9C0006")
                .set_background_color("FFC7CE"),
            mark_fell: Format::new()
                .set_font_color("1F4E79")
                .set_background_color("DDEBF7"),
        }
    }
}

/// The Excel serial of `date`.
fn serial(date: NaiveDate) -> f64 {
    (date - EXCEL_EPOCH).num_days() as f64
}

/// Characters a count takes with thousands separators.
fn count_width(n: i64) -> usize {
    let digits = n.unsigned_abs().max(1).ilog10() as usize + 1;
    digits + (digits - 1) / 3 + usize::from(n < 0)
}

/// Column widths that grow with what is written.
struct Widths(Vec<usize>);

impl Widths {
    fn headers(lang: crate::i18n::Lang, cols: &[X]) -> Self {
        // Room for the filter's drop-down arrow.
        Self(
            cols.iter()
                .map(|k| x(lang, *k).chars().count() + 3)
                .collect(),
        )
    }

    fn fit(&mut self, col: usize, chars: usize) {
        if let Some(w) = self.0.get_mut(col) {
            *w = (*w).max(chars);
        }
    }

    fn apply(&self, sheet: &mut Worksheet) -> Result<(), XlsxError> {
        for (c, w) in self.0.iter().enumerate() {
            sheet.set_column_width(c as u16, (*w).clamp(6, MAX_WIDTH) as f64 + 1.0)?;
        }
        Ok(())
    }
}

fn header(
    sheet: &mut Worksheet,
    lang: crate::i18n::Lang,
    cols: &[X],
    f: &Formats,
) -> Result<(), XlsxError> {
    for (c, key) in cols.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, x(lang, *key), &f.header)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// Writes `n` as a count, or leaves the cell empty.
fn write_count(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    n: Option<i64>,
    f: &Formats,
    widths: &mut Widths,
) -> Result<(), XlsxError> {
    if let Some(n) = n {
        sheet.write_number_with_format(row, col, n as f64, &f.count)?;
        widths.fit(usize::from(col), count_width(n));
    }
    Ok(())
}

/// Writes the workbook to `out` and returns its size. Nothing is left at `out` on error.
pub fn write(data: &StatsData, opts: &StatsOptions, out: &Path) -> Result<u64, WriteError> {
    let partial = partial_name(out);
    let written = write_to(data, opts, &partial).and_then(|()| {
        std::fs::rename(&partial, out)?;
        Ok(std::fs::metadata(out)?.len())
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

fn partial_name(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "stats.xlsx".to_owned());
    out.with_file_name(format!(".{name}.partial.xlsx"))
}

fn write_to(data: &StatsData, opts: &StatsOptions, path: &Path) -> Result<(), WriteError> {
    let lang = opts.lang;
    let f = Formats::new();
    let mut wb = Workbook::new();
    let summary_name = x(lang, X::StatsSheetSummary);
    let days_name = x(lang, X::StatsSheetDays);
    let items_name = x(lang, X::StatsSheetItems);
    // Summary first (the sheet Excel opens on); it is filled in once the days are written.
    wb.add_worksheet().set_name(summary_name)?;

    // Per day.
    let days = wb.add_worksheet();
    days.set_name(days_name)?;
    header(days, lang, &DAY_COLS, &f)?;
    let mut widths = Widths::headers(lang, &DAY_COLS);
    widths.fit(0, DATE_WIDTH);
    for (i, day) in data.days.iter().enumerate() {
        let r = i as u32 + 1;
        days.write_number_with_format(r, 0, serial(day.date), &f.date)?;
        write_count(days, r, 1, day.views, &f, &mut widths)?;
        write_count(days, r, 2, day.contacts, &f, &mut widths)?;
        write_count(days, r, 3, day.favorites, &f, &mut widths)?;
        if let Some(money) = day.spending {
            days.write_number_with_format(r, 4, money.0, &f.money)?;
            widths.fit(4, count_width(money.0 as i64) + 5);
        }
    }
    let last_day = data.days.len() as u32;
    days.autofilter(0, 0, last_day, (DAY_COLS.len() - 1) as u16)?;
    widths.apply(days)?;

    let listings_name = x(lang, X::StatsSheetListings);
    let (top, marked) = write_listings(wb.add_worksheet_with_constant_memory()?, data, lang, &f)?;

    // Items: streamed, rows in order.
    let items = wb.add_worksheet_with_constant_memory()?;
    items.set_name(items_name)?;
    header(items, lang, &ITEM_COLS, &f)?;
    let mut widths = Widths::headers(lang, &ITEM_COLS);
    widths.fit(2, DATE_WIDTH);
    for (i, row) in data.item_days.iter().enumerate() {
        let r = i as u32 + 1;
        items.write_number_with_format(r, 0, row.item_id as f64, &f.id)?;
        widths.fit(0, row.item_id.to_string().len());
        if let Some(title) = data.titles.get(&row.item_id) {
            items.write_string(r, 1, title)?;
            widths.fit(1, title.chars().count());
        }
        items.write_number_with_format(r, 2, serial(row.date), &f.date)?;
        write_count(items, r, 3, row.views, &f, &mut widths)?;
        write_count(items, r, 4, row.contacts, &f, &mut widths)?;
        write_count(items, r, 5, row.favorites, &f, &mut widths)?;
    }
    items.autofilter(
        0,
        0,
        data.item_days.len() as u32,
        (ITEM_COLS.len() - 1) as u16,
    )?;
    widths.apply(items)?;

    write_reviews(wb.add_worksheet(), data, lang, &f)?;

    // Summary.
    let summary = wb.worksheet_from_index(0)?;
    write_summary(summary, data, opts, &f)?;
    summary.write_string_with_format(LOOK_ROW, 0, x(lang, X::StatsLookCount), &f.header)?;
    summary.write_number_with_format(LOOK_ROW, 1, marked as f64, &f.count)?;
    let mut next_chart = CHARTS_ROW;
    if last_day > 0 {
        next_chart = insert_charts(summary, data, lang, days_name, last_day)?;
    }
    if top > 0 {
        insert_top_spending(summary, lang, listings_name, top, next_chart)?;
    }
    wb.save(path)?;
    Ok(())
}

/// The Excel serial of a Unix time, in the statistics' time zone.
fn serial_time(unix: i64) -> Option<f64> {
    use chrono::{TimeZone, Timelike};
    let local = chrono::Utc
        .timestamp_opt(unix, 0)
        .single()?
        .with_timezone(&STATS_TZ)
        .naive_local();
    Some(serial(local.date()) + f64::from(local.num_seconds_from_midnight()) / 86_400.0)
}

/// The Reviews sheet: a row per review of the period, or one line saying there are none or
/// why they could not be read.
fn write_reviews(
    sheet: &mut Worksheet,
    data: &StatsData,
    lang: crate::i18n::Lang,
    f: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(x(lang, X::StatsSheetReviews))?;
    header(sheet, lang, &REVIEW_COLS, f)?;
    let mut widths = Widths::headers(lang, &REVIEW_COLS);
    widths.fit(0, DATETIME_WIDTH);
    let reviews = match &data.reviews {
        Ok(reviews) if reviews.is_empty() => {
            sheet.write_string_with_format(1, 0, x(lang, X::StatsReviewsNone), &f.note)?;
            return widths.apply(sheet);
        }
        Ok(reviews) => reviews,
        Err(reason) => {
            let said = xf(lang, X::StatsReviewsFailed, &[("reason", reason)]);
            sheet.write_string_with_format(1, 0, &said, &f.note)?;
            return widths.apply(sheet);
        }
    };
    for (i, review) in reviews.iter().enumerate() {
        write_review(sheet, i as u32 + 1, review, lang, f, &mut widths)?;
    }
    sheet.autofilter(0, 0, reviews.len() as u32, (REVIEW_COLS.len() - 1) as u16)?;
    widths.apply(sheet)
}

/// Longest text a review column is widened for; longer texts wrap.
const TEXT_WIDTH: usize = 60;

fn write_review(
    sheet: &mut Worksheet,
    r: u32,
    review: &Review,
    lang: crate::i18n::Lang,
    f: &Formats,
    widths: &mut Widths,
) -> Result<(), XlsxError> {
    if let Some(t) = review.created_at.and_then(serial_time) {
        sheet.write_number_with_format(r, 0, t, &f.datetime)?;
    }
    if let Some(stars) = review.checked_score().plausible() {
        sheet.write_number(r, 1, stars as f64)?;
    }
    let mut text = |col: u16, value: &str, format: &Format| -> Result<(), XlsxError> {
        if !value.is_empty() {
            sheet.write_string_with_format(r, col, value, format)?;
            widths.fit(usize::from(col), value.chars().count().min(TEXT_WIDTH));
        }
        Ok(())
    };
    text(2, view::stage(lang, &review.stage), &f.plain)?;
    let title = review.item.as_ref().and_then(|i| i.title.as_deref());
    text(3, title.unwrap_or_default(), &f.plain)?;
    text(
        4,
        review.sender_name.as_deref().unwrap_or_default(),
        &f.plain,
    )?;
    text(5, &review.text, &f.wrap)?;
    if let Some(answer) = &review.answer {
        text(6, &answer.text, &f.wrap)?;
        let mut status = view::answer_status(lang, &answer.status).to_owned();
        let reasons = view::refused_for(&answer.status, &answer.reject_reasons);
        if !reasons.is_empty() {
            status = format!("{status}: {}", reasons.join("; "));
        }
        text(7, &status, &f.plain)?;
    }
    Ok(())
}

/// Rows of the Summary sheet above its charts.
const CHARTS_ROW: u32 = 9;
/// The Summary's row of the number of listings marked on the Listings sheet.
const LOOK_ROW: u32 = 8;

fn write_summary(
    sheet: &mut Worksheet,
    data: &StatsData,
    opts: &StatsOptions,
    f: &Formats,
) -> Result<(), XlsxError> {
    let lang = opts.lang;
    sheet.write_string_with_format(
        0,
        0,
        xf(lang, X::StatsTitle, &[("name", &opts.name)]),
        &f.title,
    )?;
    sheet.write_string_with_format(1, 0, x(lang, X::StatsPeriod), &f.header)?;
    sheet.write_number_with_format(1, 1, serial(data.period.from), &f.date)?;
    sheet.write_number_with_format(1, 2, serial(data.period.to), &f.date)?;
    for (c, key) in DAY_COLS.iter().enumerate().skip(1) {
        sheet.write_string_with_format(3, c as u16, x(lang, *key), &f.header)?;
    }
    sheet.write_string_with_format(4, 0, x(lang, X::StatsTotal), &f.header)?;
    // A total only of figures Avito gave: none at all leaves it empty, not zero.
    let sum = |pick: fn(&DayTotals) -> Option<i64>| -> Option<i64> {
        data.days
            .iter()
            .filter_map(pick)
            .reduce(|a, b| a.saturating_add(b))
    };
    let mut widths = Widths(vec![0; 5]);
    write_count(sheet, 4, 1, sum(|d| d.views), f, &mut widths)?;
    write_count(sheet, 4, 2, sum(|d| d.contacts), f, &mut widths)?;
    write_count(sheet, 4, 3, sum(|d| d.favorites), f, &mut widths)?;
    let money = data
        .days
        .iter()
        .filter_map(|d| d.spending)
        .map(|r| r.to_kopecks())
        .reduce(|a, b| a + b);
    if let Some(k) = money {
        sheet.write_number_with_format(4, 4, k.to_roubles().0, &f.money)?;
    }
    sheet.write_string_with_format(5, 0, x(lang, X::StatsItemsCount), &f.header)?;
    sheet.write_number_with_format(5, 1, data.items_with_stats as f64, &f.count)?;
    sheet.write_string_with_format(6, 0, x(lang, X::StatsNote), &f.note)?;
    if data.truncated {
        sheet.write_string_with_format(
            7,
            0,
            xf(
                lang,
                X::StatsNoteRows,
                &[("limit", &MAX_ITEM_ROWS.to_string())],
            ),
            &f.note,
        )?;
    }
    let first = [
        x(lang, X::StatsTotal),
        x(lang, X::StatsPeriod),
        x(lang, X::StatsItemsCount),
        x(lang, X::StatsLookCount),
    ]
    .iter()
    .map(|s| s.chars().count())
    .max()
    .unwrap_or(10);
    sheet.set_column_width(0, first.clamp(10, 40) as f64 + 1.0)?;
    for ((c, key), written) in DAY_COLS.iter().enumerate().zip(&widths.0).skip(1) {
        let header = x(lang, *key).chars().count();
        sheet.set_column_width(c as u16, header.max(*written).max(DATE_WIDTH) as f64 + 2.0)?;
    }
    Ok(())
}

/// Rows a chart of the Summary sheet takes, with a gap.
const CHART_ROWS: u32 = 19;

/// A line chart of views, contacts and favorites per day and, where Avito gave spending, a
/// column chart of it: native charts over the Per day sheet's cells. Returns the row below
/// them.
fn insert_charts(
    sheet: &mut Worksheet,
    data: &StatsData,
    lang: crate::i18n::Lang,
    days: &str,
    last: u32,
) -> Result<u32, XlsxError> {
    let mut demand = Chart::new(ChartType::Line);
    demand.title().set_name(x(lang, X::StatsChartDemand));
    for col in 1..=3u16 {
        demand
            .add_series()
            .set_name((days, 0, col))
            .set_categories((days, 1, 0, last, 0))
            .set_values((days, 1, col, last, col));
    }
    demand.x_axis().set_num_format("dd.mm");
    demand.y_axis().set_num_format("#,##0");
    demand.set_width(720).set_height(360);
    sheet.insert_chart(CHARTS_ROW, 0, &demand)?;
    if data.days.iter().any(|d| d.spending.is_some()) {
        let mut spending = Chart::new(ChartType::Column);
        spending.title().set_name(x(lang, X::StatsChartSpending));
        spending
            .add_series()
            .set_name((days, 0, 4))
            .set_categories((days, 1, 0, last, 0))
            .set_values((days, 1, 4, last, 4));
        spending.x_axis().set_num_format("dd.mm");
        spending.y_axis().set_num_format("#,##0");
        spending.legend().set_hidden();
        spending.set_width(720).set_height(360);
        sheet.insert_chart(CHARTS_ROW + CHART_ROWS, 0, &spending)?;
        return Ok(CHARTS_ROW + 2 * CHART_ROWS);
    }
    Ok(CHARTS_ROW + CHART_ROWS)
}

/// A bar chart of the `top` listings with the most spending, the most on top: a native chart
/// over the Listings sheet's first rows (the sheet is in spending order).
fn insert_top_spending(
    sheet: &mut Worksheet,
    lang: crate::i18n::Lang,
    listings: &str,
    top: usize,
    row: u32,
) -> Result<(), XlsxError> {
    let last = top as u32;
    let mut chart = Chart::new(ChartType::Bar);
    chart.title().set_name(x(lang, X::StatsChartTopSpending));
    chart
        .add_series()
        .set_name((listings, 0, lc::SPENDING))
        .set_categories((listings, 1, lc::TITLE, last, lc::TITLE))
        .set_values((listings, 1, lc::SPENDING, last, lc::SPENDING));
    // A bar chart's categories run up the vertical axis: reversed, the first row is on top.
    chart.y_axis().set_reverse();
    chart.x_axis().set_num_format("#,##0");
    chart.legend().set_hidden();
    chart.set_width(720).set_height(120 + 24 * top as u32);
    sheet.insert_chart(row, 0, &chart)?;
    Ok(())
}

fn status_text(lang: crate::i18n::Lang, status: ItemStatus) -> &'static str {
    x(
        lang,
        match status {
            ItemStatus::Active => X::StatsStatusActive,
            ItemStatus::Removed => X::StatsStatusRemoved,
            ItemStatus::Old => X::StatsStatusOld,
            ItemStatus::Blocked => X::StatsStatusBlocked,
            ItemStatus::Rejected => X::StatsStatusRejected,
            ItemStatus::NotFound | ItemStatus::AnotherUser | ItemStatus::Other => {
                X::StatsStatusOther
            }
        },
    )
}

/// Why a listing is marked, in words (the "To look at" column, for the filter).
fn marks_text(lang: crate::i18n::Lang, m: Marks) -> String {
    [
        (m.blocked, X::StatsLookBlocked),
        (m.no_contacts, X::StatsLookNoContacts),
        (m.costly, X::StatsLookCostly),
        (m.fell, X::StatsLookFell),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, k)| x(lang, *k))
    .collect::<Vec<_>>()
    .join("; ")
}

/// A string literal inside an Excel formula.
fn formula_text(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A rouble amount as Excel formulas and the legend write it (two decimals, a dot).
fn roubles(k: Kopecks) -> String {
    format!("{:.2}", k.to_roubles().0)
}

/// A line of the legend: its text, the text's format, and the fill of the rule it explains
/// (a swatch left of the text).
type LegendLine = (String, Format, Option<Format>);

/// The legend's lines (right of the table): what is marked and from which figure, and what
/// the sheet cannot say.
fn legend(
    lang: crate::i18n::Lang,
    t: &Thresholds,
    analytics: &Result<(), String>,
    f: &Formats,
) -> Vec<LegendLine> {
    let median = t
        .median_views
        .map_or_else(|| "—".to_owned(), |m| format!("{m}"));
    let mut lines = vec![(
        x(lang, X::StatsLegendTitle).to_owned(),
        f.header.clone(),
        None,
    )];
    lines.push((
        x(lang, X::StatsLegendBlocked).to_owned(),
        f.plain.clone(),
        Some(f.mark_blocked.clone()),
    ));
    lines.push((
        xf(
            lang,
            X::StatsLegendNoContacts,
            &[("min", &t.min_views.to_string()), ("median", &median)],
        ),
        f.plain.clone(),
        Some(f.mark_no_contacts.clone()),
    ));
    lines.push(match t.costly_from.zip(t.account_cost) {
        Some((from, account)) => (
            xf(
                lang,
                X::StatsLegendCostly,
                &[("from", &roubles(from)), ("account", &roubles(account))],
            ),
            f.plain.clone(),
            Some(f.mark_costly.clone()),
        ),
        None => (
            x(lang, X::StatsLegendCostlyNone).to_owned(),
            f.note.clone(),
            None,
        ),
    });
    let note = |key| (x(lang, key).to_owned(), f.note.clone(), None);
    lines.push(match t.fell_from {
        Some(from) => (
            xf(lang, X::StatsLegendFell, &[("from", &from.to_string())]),
            f.plain.clone(),
            Some(f.mark_fell.clone()),
        ),
        None => note(X::StatsLegendFellNone),
    });
    lines.push(note(X::StatsLegendRatios));
    if let Err(reason) = analytics {
        lines.push((
            xf(lang, X::StatsListingsFailed, &[("reason", reason)]),
            f.note.clone(),
            None,
        ));
    }
    lines
}

/// The rules that mark the listings of [`per_listing::marks`]: native formula rules over the
/// cells that made the mark, so the seller's Excel colours them, a sort or filter keeps them,
/// and the figures stay plain.
fn add_rules(
    sheet: &mut Worksheet,
    lang: crate::i18n::Lang,
    t: &Thresholds,
    last: u32,
    f: &Formats,
) -> Result<(), XlsxError> {
    let status = rust_xlsxwriter::column_number_to_name(lc::STATUS);
    let blocked = format!(
        "=OR(${status}2={},${status}2={})",
        formula_text(status_text(lang, ItemStatus::Blocked)),
        formula_text(status_text(lang, ItemStatus::Rejected)),
    );
    let rule = ConditionalFormatFormula::new()
        .set_rule(blocked.as_str())
        .set_format(&f.mark_blocked);
    sheet.add_conditional_format(1, lc::TITLE, last, lc::STATUS, &rule)?;

    let (views, contacts) = (
        rust_xlsxwriter::column_number_to_name(lc::VIEWS),
        rust_xlsxwriter::column_number_to_name(lc::CONTACTS),
    );
    // An empty cell is not a zero: only a known 0 contacts marks.
    let quiet = format!(
        "=AND(ISNUMBER(${views}2),${views}2>={},ISNUMBER(${contacts}2),${contacts}2=0)",
        t.min_views
    );
    let rule = ConditionalFormatFormula::new()
        .set_rule(quiet.as_str())
        .set_format(&f.mark_no_contacts);
    sheet.add_conditional_format(1, lc::VIEWS, last, lc::CONTACTS, &rule)?;

    if let Some(from) = t.costly_from {
        let cost = rust_xlsxwriter::column_number_to_name(lc::COST);
        let costly = format!("=AND(ISNUMBER(${cost}2),${cost}2>={})", roubles(from));
        let rule = ConditionalFormatFormula::new()
            .set_rule(costly.as_str())
            .set_format(&f.mark_costly);
        sheet.add_conditional_format(1, lc::COST, last, lc::COST, &rule)?;
    }

    if let Some(from) = t.fell_from {
        let before = rust_xlsxwriter::column_number_to_name(lc::BEFORE);
        let fell = format!(
            "=AND(ISNUMBER(${before}2),${before}2>={from},ISNUMBER(${views}2),${views}2*100<=${before}2*{})",
            per_listing::FELL_TO_PERCENT
        );
        // One rule over both columns (views now and before), each cell coloured.
        let end = last + 1;
        let rule = ConditionalFormatFormula::new()
            .set_rule(fell.as_str())
            .set_format(&f.mark_fell)
            .set_multi_range(format!("{views}2:{views}{end} {before}2:{before}{end}"));
        sheet.add_conditional_format(1, lc::VIEWS, last, lc::VIEWS, &rule)?;
    }
    Ok(())
}

/// The title, linked to the listing where Avito gave a link: a `HYPERLINK` formula with the
/// title as its result. Native hyperlinks are kept in memory until the sheet is saved (about
/// 1.5 KiB each, 30 MB for 20,000 listings); a formula streams with its row.
fn write_title(
    sheet: &mut Worksheet,
    r: u32,
    title: &str,
    url: Option<&str>,
    f: &Formats,
) -> Result<(), XlsxError> {
    let linkable = url.filter(|u| {
        // A string in an Excel formula holds 255 characters at most.
        u.chars().count() <= MAX_FORMULA_TEXT
            && title.chars().count() <= MAX_FORMULA_TEXT
            && (u.starts_with("https://") || u.starts_with("http://"))
    });
    match linkable {
        Some(url) => {
            let shown = if title.is_empty() { url } else { title };
            let link = Formula::new(format!(
                "=HYPERLINK({},{})",
                formula_text(url),
                formula_text(shown)
            ))
            .set_result(shown);
            sheet.write_formula_with_format(r, lc::TITLE, link, &f.link)?;
        }
        None if !title.is_empty() => {
            sheet.write_string(r, lc::TITLE, title)?;
        }
        None => {}
    }
    Ok(())
}

fn write_listing(
    sheet: &mut Worksheet,
    r: u32,
    row: &ListingFigures,
    title: &str,
    (lang, t, f): (crate::i18n::Lang, &Thresholds, &Formats),
    widths: &mut Widths,
) -> Result<bool, XlsxError> {
    sheet.write_number_with_format(r, 0, row.item_id as f64, &f.id)?;
    widths.fit(0, row.item_id.to_string().len());
    write_title(sheet, r, title, row.url.as_deref(), f)?;
    widths.fit(
        usize::from(lc::TITLE),
        title.chars().count().min(TEXT_WIDTH),
    );
    if let Some(status) = row.status {
        let text = status_text(lang, status);
        sheet.write_string(r, lc::STATUS, text)?;
        widths.fit(usize::from(lc::STATUS), text.chars().count());
    }
    write_count(sheet, r, 3, row.impressions, f, widths)?;
    write_count(sheet, r, lc::VIEWS, row.views, f, widths)?;
    write_count(sheet, r, lc::CONTACTS, row.contacts, f, widths)?;
    let ratios = [
        per_listing::ctr(row.views, row.impressions),
        per_listing::conversion(row.contacts, row.views),
    ];
    for (col, ratio) in [(6u16, ratios[0]), (7, ratios[1])] {
        if let Some(v) = ratio {
            sheet.write_number_with_format(r, col, v, &f.percent)?;
        }
    }
    let money = [
        row.spending,
        per_listing::cost_per_contact(row.spending, row.contacts),
    ];
    for (col, k) in [(lc::SPENDING, money[0]), (lc::COST, money[1])] {
        if let Some(k) = k {
            sheet.write_number_with_format(r, col, k.to_roubles().0, &f.money)?;
            widths.fit(usize::from(col), count_width(k.0 / 100) + 5);
        }
    }
    write_count(sheet, r, lc::BEFORE, row.previous_views, f, widths)?;
    let marks = per_listing::marks(row, t);
    let look = marks_text(lang, marks);
    if !look.is_empty() {
        sheet.write_string(r, lc::LOOK, &look)?;
        widths.fit(usize::from(lc::LOOK), look.chars().count());
    }
    Ok(marks.any())
}

/// The Listings sheet: a row per listing over the period, in spending order, the listings
/// worth a look marked by rules, and the legend beside the table. Returns how many leading
/// rows the spending chart shows and how many listings are marked.
fn write_listings(
    sheet: &mut Worksheet,
    data: &StatsData,
    lang: crate::i18n::Lang,
    f: &Formats,
) -> Result<(usize, usize), XlsxError> {
    sheet.set_name(x(lang, X::StatsSheetListings))?;
    header(sheet, lang, &LISTING_COLS, f)?;
    let rows = &data.listings.rows[..data.listings.rows.len().min(MAX_ITEM_ROWS)];
    let t = Thresholds::of(rows);
    let mut widths = Widths::headers(lang, &LISTING_COLS);
    let mut legend = legend(lang, &t, &data.listings.analytics, f).into_iter();
    // Constant memory: a row is final once a later one is written, so each legend line goes
    // out with the table row it sits beside.
    let (mut r, mut marked) = (0u32, 0usize);
    for row in rows {
        r += 1;
        let title = data.titles.get(&row.item_id).map_or("", String::as_str);
        if write_listing(sheet, r, row, title, (lang, &t, f), &mut widths)? {
            marked += 1;
        }
        if let Some(line) = legend.next() {
            write_legend_line(sheet, r, &line)?;
        }
    }
    for line in legend {
        r += 1;
        write_legend_line(sheet, r, &line)?;
    }
    let last = rows.len() as u32;
    sheet.autofilter(0, 0, last, (LISTING_COLS.len() - 1) as u16)?;
    if last > 0 {
        add_rules(sheet, lang, &t, last, f)?;
    }
    widths.apply(sheet)?;
    sheet.set_column_width(lc::LEGEND, SWATCH_WIDTH)?;
    Ok((per_listing::top_by_spending(rows), marked))
}

/// Width of the legend's swatch column.
const SWATCH_WIDTH: f64 = 3.0;

fn write_legend_line(
    sheet: &mut Worksheet,
    r: u32,
    (text, format, swatch): &LegendLine,
) -> Result<(), XlsxError> {
    if let Some(swatch) = swatch {
        sheet.write_blank(r, lc::LEGEND, swatch)?;
    }
    sheet.write_string_with_format(r, lc::LEGEND + 1, text, format)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::domain::Period;
    use crate::export::stats::model::ListingsData;
    use crate::i18n::Lang;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, day).expect("date")
    }

    fn listing(id: i64, status: ItemStatus, figures: [i64; 4]) -> ListingFigures {
        let [impressions, views, contacts, kopecks] = figures;
        ListingFigures {
            item_id: id,
            status: Some(status),
            url: Some(format!("https://www.avito.ru/item_{id}").into()),
            impressions: Some(impressions),
            views: Some(views),
            contacts: Some(contacts),
            spending: Some(Kopecks(kopecks)),
            previous_views: None,
        }
    }

    fn data(listings: Vec<ListingFigures>, analytics: Result<(), String>) -> StatsData {
        StatsData {
            period: Period::new(d(1), d(2)),
            days: vec![],
            titles: listings
                .iter()
                .map(|l| (l.item_id, format!("Sofa \"{}\"", l.item_id)))
                .collect(),
            item_days: vec![],
            items_with_stats: 0,
            truncated: false,
            listings: ListingsData {
                rows: listings,
                analytics,
            },
            reviews: Ok(vec![]),
        }
    }

    /// The parts of the written workbook whose names start with `prefix`, as text.
    fn parts(data: &StatsData, lang: Lang, prefix: &str) -> Vec<(String, String)> {
        let dir = tempfile::tempdir().expect("dir");
        let out = dir.path().join("s.xlsx");
        let opts = StatsOptions {
            period: data.period,
            lang,
            name: "Shop".into(),
        };
        write(data, &opts, &out).expect("written");
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).expect("open")).expect("zip");
        let names: Vec<String> = zip
            .file_names()
            .map(|n| n.expect("an entry name").into_owned())
            .filter(|n| n.starts_with(prefix))
            .collect();
        let mut found: Vec<(String, String)> = names
            .into_iter()
            .map(|n| {
                let mut text = String::new();
                zip.by_name(&n)
                    .expect("part")
                    .read_to_string(&mut text)
                    .expect("utf-8");
                (n, text)
            })
            .collect();
        found.sort();
        found
    }

    #[test]
    fn the_listings_sheet_carries_native_rules_and_the_spending_chart() {
        let rows = vec![
            listing(1, ItemStatus::Active, [1_000, 40, 10, 50_000]),
            listing(2, ItemStatus::Blocked, [900, 30, 30, 150_000]),
            listing(3, ItemStatus::Active, [2_000, 90, 0, 0]),
        ];
        let data = data(rows, Ok(()));
        let sheets = parts(&data, Lang::En, "xl/worksheets/sheet");
        let listings = &sheets
            .iter()
            .find(|(n, _)| n == "xl/worksheets/sheet3.xml")
            .expect("the Listings sheet")
            .1;
        assert_eq!(
            listings.matches("<conditionalFormatting").count(),
            3,
            "{listings}"
        );
        assert!(listings.contains(r#"<cfRule type="expression""#));
        // Median views 40: the threshold is 80; the account's contact costs 50 ₽.
        assert!(listings.contains("$E2&gt;=80"), "{listings}");
        assert!(listings.contains("$J2&gt;=100.00"), "{listings}");
        assert!(listings.contains(r#"$C2="blocked""#), "{listings}");
        assert!(
            listings.contains(
                r#"<f>HYPERLINK("https://www.avito.ru/item_1","Sofa ""1""")</f><v>Sofa "1"</v>"#
            ),
            "titles link the listings: {listings}"
        );
        let charts = parts(&data, Lang::En, "xl/charts/chart");
        assert_eq!(charts.len(), 1, "no days: only the spending bar chart");
        assert!(charts[0].1.contains(r#"<c:barDir val="bar"/>"#));
        assert!(charts[0].1.contains("$B$2:$B$3"), "two listings spent");
        let charts = parts(&data, Lang::Ru, "xl/charts/chart");
        assert!(
            charts[0].1.contains("'По объявлениям'!$I$2:$I$3"),
            "a sheet name with a space is quoted: {}",
            charts[0].1
        );
    }

    #[test]
    fn without_the_analytics_the_listings_sheet_says_why_and_has_no_chart() {
        let mut row = listing(1, ItemStatus::Rejected, [0, 500, 0, 0]);
        (row.impressions, row.spending) = (None, None);
        let data = data(vec![row], Err("Avito answered 500".into()));
        // A constant-memory sheet writes its strings inline.
        let sheets = parts(&data, Lang::Ru, "xl/worksheets/sheet3.xml");
        let text = &sheets[0].1;
        assert!(text.contains("Avito answered 500"), "{text}");
        assert!(
            text.contains("<t>заблокировано или отклонено</t>"),
            "{text}"
        );
        assert_eq!(
            text.matches("<conditionalFormatting").count(),
            2,
            "no spending: no costly rule"
        );
        assert!(parts(&data, Lang::Ru, "xl/charts/").is_empty());
    }

    #[test]
    fn dates_are_excel_serials_and_counts_have_room_for_separators() {
        assert_eq!(
            serial(NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")),
            46_082.0
        );
        assert_eq!(count_width(999), 3);
        assert_eq!(count_width(1_000), 5);
        assert_eq!(count_width(1_234_567), 9);
        // 2026-03-01 00:00 UTC is 03:00 in Moscow: an eighth of the day.
        assert_eq!(serial_time(1_772_323_200), Some(46_082.125));
    }

    /// Peak resident memory of this process, in KiB (Linux).
    fn peak_kib() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// A seller with 20,000 listings: the sheet is written whole. The time and peak memory
    /// it prints are for reading by hand (`cargo test --lib twenty_thousand -- --nocapture`,
    /// alone), never asserted.
    #[test]
    fn twenty_thousand_listings_are_written() {
        let statuses = [ItemStatus::Active, ItemStatus::Old, ItemStatus::Blocked];
        let mut rows: Vec<ListingFigures> = (0..20_000i64)
            .map(|i| {
                let views = (i * 7919) % 400;
                listing(
                    100_000 + i,
                    statuses[(i % 3) as usize],
                    [views * 30, views, (i * 31) % 9, (i * 104_729) % 90_000],
                )
            })
            .collect();
        per_listing::sheet_order(&mut rows);
        let data = data(rows, Ok(()));
        let before = peak_kib();
        let started = std::time::Instant::now();
        let sheets = parts(&data, Lang::Ru, "xl/charts/chart");
        println!(
            "20,000 listings: written in {:?}; peak RSS {before:?} KiB before, {:?} KiB after",
            started.elapsed(),
            peak_kib()
        );
        assert_eq!(sheets.len(), 1);
    }
}
