//! Spending per day stacked by type, with cost per contact as a line on a second axis.

use super::canvas::{Align, Canvas, Dash, Rgb, Weight};
use super::layout::{
    self, AXIS, BAND, CAP, GRID, INK, LegendItem, MARGIN, MUTED, Swatch, TICK_GAP, TICK_SIZE, WHITE,
};
use super::model::{ChartError, HEIGHT, Png, SpendingChart, WIDTH};
use super::series::{axis_days, segments, slot_values};
use super::words::{Word, title_or, word};

/// Spending types beyond this many are summed as "Other".
pub(super) const MAX_KINDS: usize = 6;

const PALETTE: [Rgb; MAX_KINDS] = [
    Rgb::hex(0x2563EB), // blue
    Rgb::hex(0x7C3AED), // violet
    Rgb::hex(0x0EA5E9), // sky
    Rgb::hex(0xDB2777), // pink
    Rgb::hex(0x0D9488), // teal
    Rgb::hex(0x65A30D), // lime
];
const OTHER: Rgb = Rgb::hex(0x94A3B8);
const CPC: Rgb = Rgb::hex(0xEA580C);

/// A layer of the stacked bars as it will be drawn.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Layer {
    pub label: String,
    pub color: Rgb,
    pub values: Vec<Option<f64>>,
}

/// The layers to stack: types with no known value are left out; beyond [`MAX_KINDS`], the
/// smallest are summed as "Other" (a day none of them knows stays missing).
pub(super) fn layers(chart: &SpendingChart, days: usize) -> Vec<Layer> {
    let mut known: Vec<(String, Vec<Option<f64>>)> = chart
        .kinds
        .iter()
        .map(|k| (k.label.clone(), slot_values(chart.from, days, &k.days)))
        .filter(|(_, v)| v.iter().any(Option::is_some))
        .collect();
    let merged = known.len() > MAX_KINDS;
    if merged {
        let total = |v: &[Option<f64>]| v.iter().flatten().sum::<f64>();
        let mut order: Vec<usize> = (0..known.len()).collect();
        order.sort_by(|&a, &b| total(&known[b].1).total_cmp(&total(&known[a].1)));
        let rest: Vec<usize> = order[MAX_KINDS - 1..].to_vec();
        let mut other = vec![None; days];
        for &i in &rest {
            for (o, v) in other.iter_mut().zip(&known[i].1) {
                if let Some(v) = v {
                    *o = Some(o.unwrap_or(0.0) + v);
                }
            }
        }
        let mut kept = Vec::with_capacity(MAX_KINDS);
        for (i, k) in known.drain(..).enumerate() {
            if !rest.contains(&i) {
                kept.push(k);
            }
        }
        kept.push((word(Word::Other, chart.lang).to_owned(), other));
        known = kept;
    }
    let count = known.len();
    known
        .into_iter()
        .enumerate()
        .map(|(i, (label, values))| Layer {
            color: if merged && i + 1 == count {
                OTHER
            } else {
                PALETTE[i % MAX_KINDS]
            },
            label,
            values,
        })
        .collect()
}

pub(super) fn render(chart: &SpendingChart) -> Result<Png, ChartError> {
    let lang = chart.lang;
    let days = axis_days(chart.from, chart.to)?;
    let n = days.len();
    let layers = layers(chart, n);
    let cpc = slot_values(chart.from, n, &chart.cost_per_contact);
    let has_cpc = cpc.iter().any(Option::is_some);
    if layers.is_empty() && !has_cpc {
        return Err(ChartError::NothingToDraw);
    }
    let marked = chart
        .marked_day
        .and_then(|d| days.iter().position(|&x| x == d));

    // Day totals of the known layers; a day no layer knows has no bar.
    let totals: Vec<Option<f64>> = (0..n)
        .map(|i| {
            let known: Vec<f64> = layers.iter().filter_map(|l| l.values[i]).collect();
            (!known.is_empty()).then(|| known.iter().sum())
        })
        .collect();

    let mut c = Canvas::new(WIDTH, HEIGHT)?;
    let mut legend: Vec<LegendItem> = layers
        .iter()
        .map(|l| LegendItem {
            swatch: Swatch::Square(l.color),
            label: l.label.clone(),
        })
        .collect();
    if has_cpc {
        legend.push(LegendItem {
            swatch: Swatch::Line(CPC, Dash::Solid),
            label: format!("{} (→)", word(Word::CostPerContact, lang)),
        });
    }
    let title = title_or(&chart.title, Word::Spending, lang);
    let subtitle = layout::period(chart.from, chart.to, lang);
    let body_top = layout::header(&mut c, &title, &subtitle, &legend) + 18.0;

    let x_baseline = HEIGHT as f32 - 22.0;
    let plot_bottom = x_baseline - TICK_SIZE - 16.0;
    let plot_top = body_top + TICK_SIZE * CAP / 2.0;
    let plot_h = plot_bottom - plot_top;
    let target = ((plot_h / 70.0) as usize).clamp(2, 6);

    let mut max_total = totals.iter().flatten().copied().fold(0.0, f64::max);
    if let Some(v) = marked.and_then(|m| totals[m]) {
        max_total = max_total.max(v * f64::from(plot_h) / f64::from(plot_h - 34.0));
    }
    let left_ticks = layout::ticks(max_total, target, false);
    let cpc_max = cpc.iter().flatten().copied().fold(0.0, f64::max);
    let right_ticks = layout::ticks_exact(cpc_max, left_ticks.count, false);

    let left_labels: Vec<String> = left_ticks
        .values()
        .map(|v| layout::money_label(v, lang))
        .collect();
    let right_labels: Vec<String> = right_ticks
        .values()
        .map(|v| layout::money_label(v, lang))
        .collect();
    let widest = |labels: &[String], c: &Canvas| {
        labels
            .iter()
            .map(|l| c.text_width(l, TICK_SIZE, Weight::Regular))
            .fold(0.0, f32::max)
    };
    let left = MARGIN + widest(&left_labels, &c) + TICK_GAP;
    let right = WIDTH as f32
        - MARGIN
        - if has_cpc {
            widest(&right_labels, &c) + TICK_GAP
        } else {
            0.0
        };
    let plot_w = right - left;
    let slot = plot_w / n as f32;
    let x_at = |i: usize| left + (i as f32 + 0.5) * slot;
    let y_left = |v: f64| plot_bottom - (v / left_ticks.top()) as f32 * plot_h;
    let y_right = |v: f64| plot_bottom - (v / right_ticks.top()) as f32 * plot_h;

    if let Some(m) = marked {
        c.rect(
            x_at(m) - slot / 2.0,
            plot_top - 8.0,
            slot,
            plot_h + 8.0,
            BAND,
            1.0,
        );
    }
    for (i, v) in left_ticks.values().enumerate() {
        let y = y_left(v);
        if i == 0 {
            c.hline(left, right, y, 2.0, AXIS);
        } else {
            c.hline(left, right, y, 1.0, GRID);
        }
        let baseline = y + TICK_SIZE * CAP / 2.0;
        c.text(
            &left_labels[i],
            left - TICK_GAP,
            baseline,
            TICK_SIZE,
            Weight::Regular,
            MUTED,
            Align::Right,
        );
        if has_cpc {
            c.text(
                &right_labels[i],
                right + TICK_GAP,
                baseline,
                TICK_SIZE,
                Weight::Regular,
                CPC,
                Align::Left,
            );
        }
    }

    // Stacked bars, a hairline of white between layers.
    let bar_w = (slot * 0.66).min(64.0);
    for (i, total) in totals.iter().enumerate() {
        let Some(total) = *total else { continue };
        let x = x_at(i) - bar_w / 2.0;
        let top_layer = layers
            .iter()
            .rposition(|l| l.values[i].is_some_and(|v| v > 0.0));
        let mut base = 0.0;
        for (li, layer) in layers.iter().enumerate() {
            let Some(v) = layer.values[i].filter(|v| *v > 0.0) else {
                continue;
            };
            let (y0, y1) = (y_left(base), y_left(base + v));
            let gap = if base > 0.0 { 1.5 } else { 0.0 };
            let radius = if Some(li) == top_layer { 5.0 } else { 0.0 };
            c.bar(x, y1, bar_w, y0 - gap, radius, layer.color);
            base += v;
        }
        if Some(i) == marked {
            c.text(
                &layout::money_value(total, lang),
                x_at(i),
                y_left(total) - 10.0,
                TICK_SIZE + 1.0,
                Weight::Bold,
                INK,
                Align::Center,
            );
        }
    }

    // Cost per contact on the right axis.
    for run in segments(&cpc) {
        let points: Vec<(f32, f32)> = run.iter().map(|&(i, v)| (x_at(i), y_right(v))).collect();
        c.polyline(&points, 3.5, CPC, 1.0, Dash::Solid);
        let r = if points.len() == 1 { 5.5 } else { 4.0 };
        if n <= 45 || points.len() == 1 {
            for &(x, y) in &points {
                c.dot(x, y, r, WHITE, Some((CPC, 3.0)));
            }
        }
    }

    layout::draw_dates(&mut c, &days, marked, left, slot, x_baseline, lang);
    c.finish()
}
