//! What every chart shares: the palette, font sizes, the header (title, period, legend), axis
//! ticks and short dates.

use chrono::{Datelike, NaiveDate};

use super::canvas::{Align, Canvas, Dash, Rgb, Weight};
use crate::avito::money::Kopecks;
use crate::i18n::Lang;
use crate::report::format;

// Palette (Tailwind-like).
pub(super) const INK: Rgb = Rgb::hex(0x111827);
pub(super) const TEXT: Rgb = Rgb::hex(0x374151);
pub(super) const MUTED: Rgb = Rgb::hex(0x6B7280);
pub(super) const FAINT: Rgb = Rgb::hex(0x9CA3AF);
pub(super) const GRID: Rgb = Rgb::hex(0xE5E7EB);
pub(super) const AXIS: Rgb = Rgb::hex(0xCBD5E1);
pub(super) const BAND: Rgb = Rgb::hex(0xF1F5F9);
pub(super) const ZEBRA: Rgb = Rgb::hex(0xF8FAFC);
pub(super) const WHITE: Rgb = Rgb::hex(0xFFFFFF);

// Font sizes, in pixels of the 1280×720 picture (legible on a phone).
pub(super) const TITLE_SIZE: f32 = 36.0;
pub(super) const SUBTITLE_SIZE: f32 = 22.0;
pub(super) const LEGEND_SIZE: f32 = 22.0;
pub(super) const LABEL_SIZE: f32 = 24.0;
pub(super) const TICK_SIZE: f32 = 21.0;

/// Outer margin left and right.
pub(super) const MARGIN: f32 = 40.0;
/// Gap between a y tick label and the plot.
pub(super) const TICK_GAP: f32 = 12.0;

/// Cap height of DejaVu Sans as a share of the font size, to centre numbers on a line.
pub(super) const CAP: f32 = 0.73;

/// What a legend entry shows before its text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Swatch {
    Square(Rgb),
    Line(Rgb, Dash),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct LegendItem {
    pub swatch: Swatch,
    pub label: String,
}

const SWATCH_W: f32 = 28.0;
const SWATCH_GAP: f32 = 10.0;
const ITEM_GAP: f32 = 30.0;

fn item_width(c: &Canvas, item: &LegendItem) -> f32 {
    SWATCH_W + SWATCH_GAP + c.text_width(&item.label, LEGEND_SIZE, Weight::Regular)
}

fn draw_item(c: &mut Canvas, item: &LegendItem, x: f32, baseline: f32) {
    let mid = baseline - LEGEND_SIZE * CAP / 2.0;
    match item.swatch {
        Swatch::Square(color) => {
            let s = 18.0;
            c.bar(
                x + (SWATCH_W - s) / 2.0,
                mid - s / 2.0,
                s,
                mid + s / 2.0,
                4.0,
                color,
            );
        }
        Swatch::Line(color, dash) => {
            c.polyline(&[(x, mid), (x + SWATCH_W, mid)], 4.0, color, 1.0, dash);
        }
    }
    c.text(
        &item.label,
        x + SWATCH_W + SWATCH_GAP,
        baseline,
        LEGEND_SIZE,
        Weight::Regular,
        TEXT,
        Align::Left,
    );
}

/// Draws the title, the period under it and the legend (right of the period when it fits,
/// else on rows of its own); returns the y where the chart's body may start.
pub(super) fn header(c: &mut Canvas, title: &str, subtitle: &str, legend: &[LegendItem]) -> f32 {
    let right = c.width() - MARGIN;
    let title = c.fit(title, TITLE_SIZE, Weight::Bold, right - MARGIN);
    c.text(
        &title,
        MARGIN,
        58.0,
        TITLE_SIZE,
        Weight::Bold,
        INK,
        Align::Left,
    );
    let sub_baseline = 96.0;
    let sub_w = c.text(
        subtitle,
        MARGIN,
        sub_baseline,
        SUBTITLE_SIZE,
        Weight::Regular,
        MUTED,
        Align::Left,
    );
    if legend.is_empty() {
        return sub_baseline + 26.0;
    }
    let widths: Vec<f32> = legend.iter().map(|i| item_width(c, i)).collect();
    let total = widths.iter().sum::<f32>() + ITEM_GAP * (widths.len() - 1) as f32;
    if MARGIN + sub_w + 2.0 * ITEM_GAP + total <= right {
        let mut x = right - total;
        for (item, w) in legend.iter().zip(&widths) {
            draw_item(c, item, x, sub_baseline);
            x += w + ITEM_GAP;
        }
        return sub_baseline + 26.0;
    }
    let mut baseline = sub_baseline + 38.0;
    let mut x = MARGIN;
    for (item, w) in legend.iter().zip(&widths) {
        if x > MARGIN && x + w > right {
            baseline += 34.0;
            x = MARGIN;
        }
        draw_item(c, item, x, baseline);
        x += w + ITEM_GAP;
    }
    baseline + 26.0
}

/// Y axis ticks: `count` intervals of `step` from 0 to `top`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Ticks {
    pub step: f64,
    pub count: usize,
}

impl Ticks {
    pub fn top(self) -> f64 {
        self.step * self.count as f64
    }

    pub fn values(self) -> impl Iterator<Item = f64> {
        (0..=self.count).map(move |i| self.step * i as f64)
    }
}

/// The smallest "nice" number (1, 2, 2.5, 5 × 10ⁿ) not below `raw`.
pub(super) fn nice_ceil(raw: f64, integer: bool) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let pow = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        let step = m * pow;
        if integer && step.fract() != 0.0 {
            continue;
        }
        if step >= raw * (1.0 - 1e-9) {
            return if integer { step.max(1.0) } else { step };
        }
    }
    10.0 * pow
}

/// Ticks from 0 covering `max` with at most about `target` intervals.
pub(super) fn ticks(max: f64, target: usize, integer: bool) -> Ticks {
    let target = target.max(1);
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        0.0
    };
    if max == 0.0 {
        return Ticks {
            step: if integer {
                1.0
            } else {
                nice_ceil(1.0, integer)
            },
            count: target.min(4),
        };
    }
    let step = nice_ceil(max / target as f64, integer);
    let count = ((max / step) - 1e-9).ceil().max(1.0) as usize;
    Ticks { step, count }
}

/// Ticks with exactly `count` intervals covering `max` (a secondary axis on the primary grid).
pub(super) fn ticks_exact(max: f64, count: usize, integer: bool) -> Ticks {
    let count = count.max(1);
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    Ticks {
        step: nice_ceil(max / count as f64, integer),
        count,
    }
}

/// "1 дек" / "1 Dec".
pub(super) fn short_date(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Ru => {
            const MONTHS: [&str; 12] = [
                "янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек",
            ];
            format!("{}\u{a0}{}", d.day(), MONTHS[d.month0() as usize])
        }
        Lang::En => format!("{}\u{a0}{}", d.day(), d.format("%b")),
    }
}

/// The period line under a title: "01.11.2026 – 30.11.2026", or one date.
pub(super) fn period(from: NaiveDate, to: NaiveDate, lang: Lang) -> String {
    if from == to {
        format::date(from, lang)
    } else {
        format!("{} – {}", format::date(from, lang), format::date(to, lang))
    }
}

/// How many days apart the date labels of `slots` days must be so that labels `label_w`
/// wide fit a plot `plot_w` wide.
pub(super) fn date_step(slots: usize, plot_w: f32, label_w: f32) -> usize {
    let slot_w = plot_w / slots.max(1) as f32;
    let need = label_w + 18.0;
    [1, 2, 3, 4, 5, 7, 14, 21, 28, 35, 42, 56, 63, 91]
        .into_iter()
        .find(|&step| step as f32 * slot_w >= need)
        .unwrap_or(slots.max(1))
}

/// Date labels along the bottom, as many as fit; a marked day's always, in bold.
pub(super) fn draw_dates(
    c: &mut Canvas,
    days: &[NaiveDate],
    marked: Option<usize>,
    left: f32,
    slot: f32,
    baseline: f32,
    lang: Lang,
) {
    let labels: Vec<String> = days.iter().map(|&d| short_date(d, lang)).collect();
    let widest = labels
        .iter()
        .map(|l| c.text_width(l, TICK_SIZE, Weight::Bold))
        .fold(0.0, f32::max);
    let step = date_step(days.len(), slot * days.len() as f32, widest);
    let x_at = |i: usize| left + (i as f32 + 0.5) * slot;
    for (i, label) in labels.iter().enumerate() {
        if Some(i) == marked {
            c.text(
                label,
                x_at(i),
                baseline,
                TICK_SIZE,
                Weight::Bold,
                INK,
                Align::Center,
            );
        } else if i % step == 0 && marked.is_none_or(|m| i.abs_diff(m) >= step) {
            c.text(
                label,
                x_at(i),
                baseline,
                TICK_SIZE,
                Weight::Regular,
                MUTED,
                Align::Center,
            );
        }
    }
}

/// A count on an axis or a bar: "12 345".
pub(super) fn count_label(v: f64, lang: Lang) -> String {
    format::integer(v.round() as i64, lang)
}

/// Roubles on an axis: "12 345 ₽", "2,50 ₽".
pub(super) fn money_label(roubles: f64, lang: Lang) -> String {
    format::money(Kopecks((roubles * 100.0).round() as i64), lang)
}

/// Roubles on a bar: whole roubles from 100 ₽ up, kopecks below.
pub(super) fn money_value(roubles: f64, lang: Lang) -> String {
    if roubles.abs() >= 100.0 {
        money_label(roubles.round(), lang)
    } else {
        money_label(roubles, lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_nice_and_cover_the_maximum() {
        let t = ticks(1234.0, 5, true);
        assert_eq!((t.step, t.count), (250.0, 5));
        let t = ticks(3.0, 5, true);
        assert_eq!((t.step, t.count), (1.0, 3));
        let t = ticks(0.0, 5, true);
        assert_eq!(t.step, 1.0);
        let t = ticks(0.8, 4, false);
        assert!(t.top() >= 0.8 && t.step == 0.2);
        let t = ticks_exact(97.0, 4, false);
        assert_eq!((t.step, t.count), (25.0, 4));
    }

    #[test]
    fn short_dates_follow_the_language() {
        let d = NaiveDate::from_ymd_opt(2026, 5, 1).expect("date");
        assert_eq!(short_date(d, Lang::Ru), "1\u{a0}мая");
        assert_eq!(short_date(d, Lang::En), "1\u{a0}May");
    }
}
