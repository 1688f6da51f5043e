//! Profiles side by side: a row per profile, a column of horizontal bars per metric (views,
//! contacts, spending), each column on its own scale.

use super::canvas::{Align, Canvas, Rgb, Weight};
use super::layout::{self, AXIS, CAP, FAINT, INK, LABEL_SIZE, MARGIN, MUTED, TEXT, ZEBRA};
use super::model::{ChartError, ChartValue, HEIGHT, Png, ProfilesChart, WIDTH};
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
    let lang = chart.lang;
    let columns = columns(chart);
    if chart.profiles.is_empty() || columns.is_empty() {
        return Err(ChartError::NothingToDraw);
    }
    let total = chart.profiles.len();
    let (shown, hidden) = if total > MAX_ROWS {
        (MAX_ROWS - 1, total - (MAX_ROWS - 1))
    } else {
        (total, 0)
    };
    let rows = shown + usize::from(hidden > 0);

    let mut c = Canvas::new(WIDTH, HEIGHT)?;
    let title = title_or(&chart.title, Word::Profiles, lang);
    let subtitle = layout::period(chart.from, chart.to, lang);
    let body_top = layout::header(&mut c, &title, &subtitle, &[]) + 12.0;

    let head_baseline = body_top + 26.0;
    let rows_top = body_top + 44.0;
    let rows_bottom = HEIGHT as f32 - 28.0;
    let row_h = ((rows_bottom - rows_top) / rows as f32).min(64.0);
    let size = (row_h * 0.46).clamp(15.0, 24.0);
    let right = WIDTH as f32 - MARGIN;

    let names_w = chart.profiles[..shown]
        .iter()
        .map(|p| c.text_width(&p.name, size, Weight::Regular))
        .fold(0.0, f32::max)
        .min(300.0);
    let cols_left = MARGIN + names_w + 32.0;
    let gap = 40.0;
    let k = columns.len() as f32;
    let col_w = (right - cols_left - gap * (k - 1.0)) / k;

    for r in (0..rows).step_by(2) {
        let y = rows_top + r as f32 * row_h;
        c.rect(MARGIN - 14.0, y, right - MARGIN + 28.0, row_h, ZEBRA, 1.0);
    }
    let center = |r: usize| rows_top + (r as f32 + 0.5) * row_h;
    let text_baseline = |r: usize| center(r) + size * CAP / 2.0;

    for (r, p) in chart.profiles[..shown].iter().enumerate() {
        let name = c.fit(&p.name, size, Weight::Regular, names_w);
        c.text(
            &name,
            MARGIN,
            text_baseline(r),
            size,
            Weight::Regular,
            INK,
            Align::Left,
        );
    }
    if hidden > 0 {
        c.text(
            &more(hidden, lang),
            MARGIN,
            text_baseline(shown),
            size,
            Weight::Regular,
            MUTED,
            Align::Left,
        );
    }

    let bar_h = (row_h * 0.56).min(32.0);
    for (ci, (column, values)) in columns.iter().enumerate() {
        let x0 = cols_left + ci as f32 * (col_w + gap);
        let hue = column.color();
        c.text(
            word(column.word(), lang),
            x0,
            head_baseline,
            LABEL_SIZE,
            Weight::Bold,
            hue,
            Align::Left,
        );
        let values = &values[..shown];
        let labels: Vec<Option<String>> = values
            .iter()
            .map(|v| v.map(|v| column.label(v, lang)))
            .collect();
        let widest = labels
            .iter()
            .flatten()
            .map(|l| c.text_width(l, size, Weight::Regular))
            .fold(0.0, f32::max);
        let max = values.iter().flatten().copied().fold(0.0, f64::max);
        let max_len = (col_w - widest - 12.0).max(8.0);
        c.rect(x0, rows_top, 2.0, rows as f32 * row_h, AXIS, 1.0);
        for (r, (v, label)) in values.iter().zip(&labels).enumerate() {
            let (Some(v), Some(label)) = (v, label) else {
                c.text(
                    "—",
                    x0 + 12.0,
                    text_baseline(r),
                    size,
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
            c.hbar(x0 + 2.0, center(r) - bar_h / 2.0, len, bar_h, 5.0, hue);
            c.text(
                label,
                x0 + 2.0 + len + 10.0,
                text_baseline(r),
                size,
                Weight::Regular,
                TEXT,
                Align::Left,
            );
        }
    }
    c.finish()
}
