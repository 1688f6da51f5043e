//! Spending per day stacked by type, with cost per contact as a line on a second axis.

use super::canvas::{Align, Canvas, Dash, Rgb, Weight};
use super::layout::{self, CAP, LegendItem, MARGIN, Swatch, TICK_GAP, TICK_SIZE, Ticks, WHITE};
use super::model::{ChartError, HEIGHT, Png, SpendingChart, WIDTH};
use super::plot::{self, Scale, Slots};
use super::series::{axis_days, marked_slot, segments, slot_values};
use super::words::{Word, title_or, word};
use crate::i18n::Lang;

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
    let days = axis_days(chart.from, chart.to)?;
    let n = days.len();
    let layers = layers(chart, n);
    let cpc = slot_values(chart.from, n, &chart.cost_per_contact);
    let has_cpc = cpc.iter().any(Option::is_some);
    if layers.is_empty() && !has_cpc {
        return Err(ChartError::NothingToDraw);
    }
    let marked = marked_slot(&days, chart.marked_day);
    let totals = totals(&layers, n);
    let mut c = Canvas::new(WIDTH, HEIGHT)?;
    let body_top = header(&mut c, chart, &layers, has_cpc);
    let frame = Frame::new(&c, body_top, &totals, &cpc, marked, chart.lang);
    let slots = frame.slots;
    if let Some(m) = marked {
        plot::marked_band(&mut c, slots, m, frame.plot_top, frame.left.bottom);
    }
    plot::grid(&mut c, slots, frame.left, &frame.left_labels);
    if has_cpc {
        draw_right_labels(&mut c, &frame);
    }
    draw_stacks(&mut c, &frame, &layers, &totals, marked, chart.lang);
    draw_cost_per_contact(&mut c, slots, frame.right, &cpc, n <= DOTS_UP_TO);
    let (x_baseline, _) = plot::date_row();
    layout::draw_dates(
        &mut c, &days, marked, slots.left, slots.slot, x_baseline, chart.lang,
    );
    c.finish()
}

/// Days drawn get a dot each on the cost-per-contact line up to this many days.
const DOTS_UP_TO: usize = 45;

/// Day totals of the known layers; a day no layer knows has no bar.
pub(super) fn totals(layers: &[Layer], days: usize) -> Vec<Option<f64>> {
    (0..days)
        .map(|i| {
            let known: Vec<f64> = layers.iter().filter_map(|l| l.values[i]).collect();
            (!known.is_empty()).then(|| known.iter().sum())
        })
        .collect()
}

/// Title, period and legend (a square per layer, the line of cost per contact); returns the
/// top of the plot's area.
fn header(c: &mut Canvas, chart: &SpendingChart, layers: &[Layer], has_cpc: bool) -> f32 {
    let lang = chart.lang;
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
    layout::header(c, &title, &subtitle, &legend) + 18.0
}

/// Where the plot goes: money on the left axis, cost per contact on the right one.
struct Frame {
    plot_top: f32,
    slots: Slots,
    left: Scale,
    right: Scale,
    left_labels: Vec<String>,
    right_labels: Vec<String>,
}

impl Frame {
    fn new(
        c: &Canvas,
        body_top: f32,
        totals: &[Option<f64>],
        cpc: &[Option<f64>],
        marked: Option<usize>,
        lang: Lang,
    ) -> Frame {
        let (_, plot_bottom) = plot::date_row();
        let plot_top = body_top + TICK_SIZE * CAP / 2.0;
        let plot_h = plot_bottom - plot_top;
        let target = ((plot_h / 70.0) as usize).clamp(2, 6);
        let max_total = totals.iter().flatten().copied().fold(0.0, f64::max);
        let max_total = plot::room_for_label(max_total, marked.and_then(|m| totals[m]), plot_h);
        let left_ticks = layout::ticks(max_total, target, false);
        let cpc_max = cpc.iter().flatten().copied().fold(0.0, f64::max);
        let right_ticks = layout::ticks_exact(cpc_max, left_ticks.count, false);
        let money = |t: Ticks| -> Vec<String> {
            t.values().map(|v| layout::money_label(v, lang)).collect()
        };
        let (left_labels, right_labels) = (money(left_ticks), money(right_ticks));
        let has_cpc = cpc.iter().any(Option::is_some);
        let left = MARGIN + plot::widest(c, &left_labels) + TICK_GAP;
        let right = WIDTH as f32
            - MARGIN
            - if has_cpc {
                plot::widest(c, &right_labels) + TICK_GAP
            } else {
                0.0
            };
        let scale = |ticks| Scale {
            bottom: plot_bottom,
            height: plot_h,
            ticks,
        };
        Frame {
            plot_top,
            slots: Slots::new(left, right, totals.len()),
            left: scale(left_ticks),
            right: scale(right_ticks),
            left_labels,
            right_labels,
        }
    }
}

/// The right axis' labels, on the left axis' grid lines.
fn draw_right_labels(c: &mut Canvas, frame: &Frame) {
    for (v, label) in frame.left.ticks.values().zip(&frame.right_labels) {
        c.text(
            label,
            frame.slots.right + TICK_GAP,
            plot::tick_baseline(frame.left.y(v)),
            TICK_SIZE,
            Weight::Regular,
            CPC,
            Align::Left,
        );
    }
}

/// Stacked bars, a hairline of white between layers; the marked day's total over its bar.
fn draw_stacks(
    c: &mut Canvas,
    frame: &Frame,
    layers: &[Layer],
    totals: &[Option<f64>],
    marked: Option<usize>,
    lang: Lang,
) {
    let (slots, scale) = (frame.slots, frame.left);
    let bar_w = (slots.slot * 0.66).min(64.0);
    for (i, total) in totals.iter().enumerate() {
        let Some(total) = *total else { continue };
        draw_stack(c, slots.x(i) - bar_w / 2.0, bar_w, scale, layers, i);
        if Some(i) == marked {
            let label = layout::money_value(total, lang);
            plot::marked_value(c, &label, slots.x(i), scale.y(total));
        }
    }
}

/// Day `i`'s layers bottom to top, the top one rounded.
fn draw_stack(c: &mut Canvas, x: f32, bar_w: f32, scale: Scale, layers: &[Layer], i: usize) {
    let top_layer = layers
        .iter()
        .rposition(|l| l.values[i].is_some_and(|v| v > 0.0));
    let mut base = 0.0;
    for (li, layer) in layers.iter().enumerate() {
        let Some(v) = layer.values[i].filter(|v| *v > 0.0) else {
            continue;
        };
        let (y0, y1) = (scale.y(base), scale.y(base + v));
        let gap = if base > 0.0 { 1.5 } else { 0.0 };
        let radius = if Some(li) == top_layer { 5.0 } else { 0.0 };
        c.bar(x, y1, bar_w, y0 - gap, radius, layer.color);
        base += v;
    }
}

/// Cost per contact as a line on the right axis; a lone day is a ringed dot.
fn draw_cost_per_contact(
    c: &mut Canvas,
    slots: Slots,
    scale: Scale,
    cpc: &[Option<f64>],
    dots: bool,
) {
    for run in segments(cpc) {
        let points = scale.points(slots, &run);
        c.polyline(&points, 3.5, CPC, 1.0, Dash::Solid);
        let r = if points.len() == 1 { 5.5 } else { 4.0 };
        if dots || points.len() == 1 {
            for &(x, y) in &points {
                c.dot(x, y, r, WHITE, Some((CPC, 3.0)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(values: Vec<Option<f64>>) -> Layer {
        Layer {
            label: String::new(),
            color: OTHER,
            values,
        }
    }

    #[test]
    fn a_day_totals_its_known_layers_and_a_day_none_knows_has_no_total() {
        let layers = [
            layer(vec![Some(1.0), None, None]),
            layer(vec![Some(2.5), Some(4.0), None]),
        ];
        assert_eq!(totals(&layers, 3), vec![Some(3.5), Some(4.0), None]);
        assert_eq!(totals(&[], 2), vec![None, None]);
    }
}
