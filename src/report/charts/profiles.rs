//! Profiles side by side: a row per profile, a column of horizontal bars per metric (views,
//! contacts, spending), each column on its own scale.

use super::canvas::{Align, Canvas, Rgb, Weight};
use super::layout::{self, AXIS, CAP, FAINT, INK, LABEL_SIZE, MARGIN, MUTED, TEXT, ZEBRA};
use super::model::{ChartError, ChartValue, HEIGHT, Png, ProfileBar, ProfilesChart, WIDTH};
use super::words::{Word, more, title_or, word};
use crate::i18n::Lang;

/// Rows drawn at most; the rest are counted in a last line.
pub(super) const MAX_ROWS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Column {
    Views,
    Contacts,
    Spending,
}

impl Column {
    fn color(self) -> Rgb {
        match self {
            Column::Views => Rgb::hex(0x2563EB),
            Column::Contacts => Rgb::hex(0x16A34A),
            Column::Spending => Rgb::hex(0xD97706),
        }
    }

    fn word(self) -> Word {
        match self {
            Column::Views => Word::Views,
            Column::Contacts => Word::Contacts,
            Column::Spending => Word::Spending,
        }
    }

    fn label(self, v: f64, lang: Lang) -> String {
        match self {
            Column::Views | Column::Contacts => layout::count_label(v, lang),
            Column::Spending => layout::money_value(v, lang),
        }
    }
}

/// The columns to draw with each profile's value (`None`: missing); a metric no profile has
/// is left out.
pub(super) fn columns(chart: &ProfilesChart) -> Vec<(Column, Vec<Option<f64>>)> {
    let all = [
        (
            Column::Views,
            chart
                .profiles
                .iter()
                .map(|p| p.views.map(ChartValue::plot))
                .collect::<Vec<_>>(),
        ),
        (
            Column::Contacts,
            chart
                .profiles
                .iter()
                .map(|p| p.contacts.map(ChartValue::plot))
                .collect(),
        ),
        (
            Column::Spending,
            chart
                .profiles
                .iter()
                .map(|p| p.spending.map(ChartValue::plot))
                .collect(),
        ),
    ];
    all.into_iter()
        .map(|(c, v)| {
            (
                c,
                v.into_iter()
                    .map(|v| v.filter(|v| v.is_finite()))
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, v)| v.iter().any(Option::is_some))
        .collect()
}

pub(super) fn render(chart: &ProfilesChart) -> Result<Png, ChartError> {
    let columns = columns(chart);
    if chart.profiles.is_empty() || columns.is_empty() {
        return Err(ChartError::NothingToDraw);
    }
    let (shown, hidden) = shown_rows(chart.profiles.len());
    let mut c = Canvas::new(WIDTH, HEIGHT)?;
    let title = title_or(&chart.title, Word::Profiles, chart.lang);
    let subtitle = layout::period(chart.from, chart.to, chart.lang);
    let body_top = layout::header(&mut c, &title, &subtitle, &[]) + 12.0;
    let rows = Rows::new(body_top, shown + usize::from(hidden > 0));
    let names_w = chart.profiles[..shown]
        .iter()
        .map(|p| c.text_width(&p.name, rows.size, Weight::Regular))
        .fold(0.0, f32::max)
        .min(300.0);
    draw_zebra(&mut c, &rows);
    draw_names(&mut c, &rows, &chart.profiles[..shown], names_w);
    if hidden > 0 {
        let label = more(hidden, chart.lang);
        let baseline = rows.baseline(shown);
        c.text(
            &label,
            MARGIN,
            baseline,
            rows.size,
            Weight::Regular,
            MUTED,
            Align::Left,
        );
    }
    let cols_left = MARGIN + names_w + 32.0;
    let k = columns.len() as f32;
    let col_w = (RIGHT - cols_left - COLUMN_GAP * (k - 1.0)) / k;
    for (ci, (column, values)) in columns.iter().enumerate() {
        let x0 = cols_left + ci as f32 * (col_w + COLUMN_GAP);
        draw_column(
            &mut c,
            &rows,
            *column,
            &values[..shown],
            (x0, col_w),
            chart.lang,
        );
    }
    c.finish()
}

const RIGHT: f32 = WIDTH as f32 - MARGIN;
const COLUMN_GAP: f32 = 40.0;

/// The profiles drawn with a row each, and those counted in a last line instead.
pub(super) fn shown_rows(total: usize) -> (usize, usize) {
    if total > MAX_ROWS {
        (MAX_ROWS - 1, total - (MAX_ROWS - 1))
    } else {
        (total, 0)
    }
}

/// The rows under the columns' heads.
struct Rows {
    head_baseline: f32,
    top: f32,
    h: f32,
    count: usize,
    /// The size of the rows' text.
    size: f32,
}

impl Rows {
    fn new(body_top: f32, count: usize) -> Rows {
        let top = body_top + 44.0;
        let bottom = HEIGHT as f32 - 28.0;
        let h = ((bottom - top) / count as f32).min(64.0);
        Rows {
            head_baseline: body_top + 26.0,
            top,
            h,
            count,
            size: (h * 0.46).clamp(15.0, 24.0),
        }
    }

    fn center(&self, r: usize) -> f32 {
        self.top + (r as f32 + 0.5) * self.h
    }

    fn baseline(&self, r: usize) -> f32 {
        self.center(r) + self.size * CAP / 2.0
    }
}

/// Every other row shaded, from the first.
fn draw_zebra(c: &mut Canvas, rows: &Rows) {
    for r in (0..rows.count).step_by(2) {
        let y = rows.top + r as f32 * rows.h;
        c.rect(MARGIN - 14.0, y, RIGHT - MARGIN + 28.0, rows.h, ZEBRA, 1.0);
    }
}

/// The profiles' names, shortened to `width`.
fn draw_names(c: &mut Canvas, rows: &Rows, profiles: &[ProfileBar], width: f32) {
    for (r, p) in profiles.iter().enumerate() {
        let name = c.fit(&p.name, rows.size, Weight::Regular, width);
        let baseline = rows.baseline(r);
        c.text(
            &name,
            MARGIN,
            baseline,
            rows.size,
            Weight::Regular,
            INK,
            Align::Left,
        );
    }
}

/// One metric's column at `(x0, width)`: its head, an axis, a bar and its value per row
/// ("—" for a missing one), on the column's own scale.
fn draw_column(
    c: &mut Canvas,
    rows: &Rows,
    column: Column,
    values: &[Option<f64>],
    (x0, width): (f32, f32),
    lang: Lang,
) {
    let hue = column.color();
    let head = word(column.word(), lang);
    c.text(
        head,
        x0,
        rows.head_baseline,
        LABEL_SIZE,
        Weight::Bold,
        hue,
        Align::Left,
    );
    let labels: Vec<Option<String>> = values
        .iter()
        .map(|v| v.map(|v| column.label(v, lang)))
        .collect();
    let widest = labels
        .iter()
        .flatten()
        .map(|l| c.text_width(l, rows.size, Weight::Regular))
        .fold(0.0, f32::max);
    let max = values.iter().flatten().copied().fold(0.0, f64::max);
    let max_len = (width - widest - 12.0).max(8.0);
    c.rect(x0, rows.top, 2.0, rows.count as f32 * rows.h, AXIS, 1.0);
    let bar_h = (rows.h * 0.56).min(32.0);
    for (r, (v, label)) in values.iter().zip(&labels).enumerate() {
        let baseline = rows.baseline(r);
        let (Some(v), Some(label)) = (v, label) else {
            c.text(
                "—",
                x0 + 12.0,
                baseline,
                rows.size,
                Weight::Regular,
                FAINT,
                Align::Left,
            );
            continue;
        };
        let len = if max > 0.0 {
            (v.max(0.0) / max) as f32 * max_len
        } else {
            0.0
        };
        c.hbar(x0 + 2.0, rows.center(r) - bar_h / 2.0, len, bar_h, 5.0, hue);
        let x = x0 + 2.0 + len + 10.0;
        c.text(
            label,
            x,
            baseline,
            rows.size,
            Weight::Regular,
            TEXT,
            Align::Left,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beyond_the_row_limit_the_last_row_counts_the_rest() {
        assert_eq!(shown_rows(1), (1, 0));
        assert_eq!(shown_rows(MAX_ROWS), (MAX_ROWS, 0));
        assert_eq!(shown_rows(MAX_ROWS + 1), (MAX_ROWS - 1, 2));
        assert_eq!(shown_rows(30), (MAX_ROWS - 1, 30 - MAX_ROWS + 1));
    }
}
