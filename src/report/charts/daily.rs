//! Counts per day: one panel per metric sharing the date axis; the current period as a line
//! (or as bars around a marked day), the previous period as a faint dashed line.

use chrono::Duration;

use super::canvas::{Align, Canvas, Dash, Rgb, Weight};
use super::layout::{
    self, FAINT, LABEL_SIZE, LegendItem, MARGIN, MUTED, Swatch, TEXT, TICK_GAP, TICK_SIZE, Ticks,
    WHITE,
};
use super::model::{ChartError, DailyChart, DailyMetric, HEIGHT, Png, WIDTH};
use super::plot::{self, Scale, Slots};
use super::series::{axis_days, marked_slot, segments, slot_values};
use super::words::{Word, title_or, word};
use crate::i18n::Lang;

pub(super) fn color(metric: DailyMetric) -> Rgb {
    match metric {
        DailyMetric::Views => Rgb::hex(0x2563EB),
        DailyMetric::Contacts => Rgb::hex(0x16A34A),
        DailyMetric::Favorites => Rgb::hex(0xDB2777),
        DailyMetric::Calls => Rgb::hex(0x7C3AED),
    }
}

fn name(metric: DailyMetric) -> Word {
    match metric {
        DailyMetric::Views => Word::Views,
        DailyMetric::Contacts => Word::Contacts,
        DailyMetric::Favorites => Word::Favorites,
        DailyMetric::Calls => Word::Calls,
    }
}

/// A metric as it will be drawn: its values per axis day.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Panel {
    pub metric: DailyMetric,
    pub current: Vec<Option<f64>>,
    pub previous: Vec<Option<f64>>,
}

/// The panels of a chart: a metric whose current period is missing entirely has none.
pub(super) fn panels(chart: &DailyChart, days: usize) -> Vec<Panel> {
    let previous_from = chart
        .previous_from
        .unwrap_or(chart.from - Duration::days(days as i64));
    chart
        .series
        .iter()
        .filter_map(|s| {
            let current = slot_values(chart.from, days, &s.current);
            if current.iter().all(Option::is_none) {
                return None;
            }
            Some(Panel {
                metric: s.metric,
                current,
                previous: slot_values(previous_from, days, &s.previous),
            })
        })
        .collect()
}

fn max_of(values: &[Option<f64>]) -> f64 {
    values.iter().flatten().copied().fold(0.0, f64::max)
}

const LABEL_ROW: f32 = 38.0;
const PANEL_GAP: f32 = 26.0;

/// Days drawn as a line get a dot each up to this many days.
const DOTS_UP_TO: usize = 45;

pub(super) fn render(chart: &DailyChart) -> Result<Png, ChartError> {
    let days = axis_days(chart.from, chart.to)?;
    let panels = panels(chart, days.len());
    if panels.is_empty() {
        return Err(ChartError::NothingToDraw);
    }
    let marked = marked_slot(&days, chart.marked_day);
    let mut c = Canvas::new(WIDTH, HEIGHT)?;
    let body_top = header(&mut c, chart, &panels);
    let frame = Frame::new(&c, &panels, body_top, days.len(), marked, chart.lang);
    if let Some(m) = marked {
        let first_plot_top = body_top + LABEL_ROW;
        plot::marked_band(&mut c, frame.slots, m, first_plot_top, frame.body_bottom);
    }
    let style = Style {
        bars: chart.marked_day.is_some(),
        marked,
        dots: days.len() <= DOTS_UP_TO,
        lang: chart.lang,
    };
    for (i, panel) in panels.iter().enumerate() {
        draw_panel(&mut c, &frame, i, panel, style);
    }
    let slots = frame.slots;
    let (x_baseline, _) = plot::date_row();
    layout::draw_dates(
        &mut c, &days, marked, slots.left, slots.slot, x_baseline, chart.lang,
    );
    c.finish()
}

/// The legend: the current and the previous period, when a previous one is drawn.
fn legend(bars: bool, panels: &[Panel], lang: Lang) -> Vec<LegendItem> {
    let has_previous = panels
        .iter()
        .any(|p| p.previous.iter().any(Option::is_some));
    if !has_previous {
        return Vec::new();
    }
    let current = if bars {
        Swatch::Square(FAINT)
    } else {
        Swatch::Line(TEXT, Dash::Solid)
    };
    vec![
        LegendItem {
            swatch: current,
            label: word(Word::CurrentPeriod, lang).to_owned(),
        },
        LegendItem {
            swatch: Swatch::Line(FAINT, Dash::Dashed(8.0, 6.0)),
            label: word(Word::PreviousPeriod, lang).to_owned(),
        },
    ]
}

/// Title, period and legend; returns the top of the panels.
fn header(c: &mut Canvas, chart: &DailyChart, panels: &[Panel]) -> f32 {
    let lang = chart.lang;
    let legend = legend(chart.marked_day.is_some(), panels, lang);
    let title = title_or(&chart.title, Word::ViewsAndContacts, lang);
    let subtitle = layout::period(chart.from, chart.to, lang);
    layout::header(c, &title, &subtitle, &legend) + 6.0
}

/// Where the panels go: a label row and a plot each, stacked, sharing the day slots.
struct Frame {
    body_top: f32,
    body_bottom: f32,
    panel_h: f32,
    plot_h: f32,
    ticks: Vec<Ticks>,
    tick_labels: Vec<Vec<String>>,
    slots: Slots,
}

impl Frame {
    fn new(
        c: &Canvas,
        panels: &[Panel],
        body_top: f32,
        days: usize,
        marked: Option<usize>,
        lang: Lang,
    ) -> Frame {
        let (_, body_bottom) = plot::date_row();
        let k = panels.len() as f32;
        let panel_h = (body_bottom - body_top - PANEL_GAP * (k - 1.0)) / k;
        let plot_h = panel_h - LABEL_ROW;
        // Ticks per panel, with room above a marked bar for its value.
        let target = ((plot_h / 62.0) as usize).clamp(2, 5);
        let ticks: Vec<Ticks> = panels
            .iter()
            .map(|p| {
                let max = max_of(&p.current).max(max_of(&p.previous));
                let max = plot::room_for_label(max, marked.and_then(|m| p.current[m]), plot_h);
                layout::ticks(max, target, true)
            })
            .collect();
        let tick_labels: Vec<Vec<String>> = ticks
            .iter()
            .map(|t| t.values().map(|v| layout::count_label(v, lang)).collect())
            .collect();
        let left = MARGIN + plot::widest(c, tick_labels.iter().flatten()) + TICK_GAP;
        Frame {
            body_top,
            body_bottom,
            panel_h,
            plot_h,
            ticks,
            tick_labels,
            slots: Slots::new(left, WIDTH as f32 - MARGIN, days),
        }
    }

    /// The top of panel `i` (its label row) and the scale of its plot.
    fn panel(&self, i: usize) -> (f32, Scale) {
        let top = self.body_top + i as f32 * (self.panel_h + PANEL_GAP);
        let plot_top = top + LABEL_ROW;
        let scale = Scale {
            bottom: plot_top + self.plot_h,
            height: self.plot_h,
            ticks: self.ticks[i],
        };
        (top, scale)
    }
}

/// How every panel is drawn.
#[derive(Clone, Copy)]
struct Style {
    /// Bars around a marked day, else lines.
    bars: bool,
    marked: Option<usize>,
    /// A dot on each day of a line.
    dots: bool,
    lang: Lang,
}

/// One metric's panel, back to front: label, grid, bars, the previous period, the line.
fn draw_panel(c: &mut Canvas, frame: &Frame, i: usize, panel: &Panel, style: Style) {
    let (top, scale) = frame.panel(i);
    let slots = frame.slots;
    let hue = color(panel.metric);
    c.text(
        word(name(panel.metric), style.lang),
        MARGIN,
        top + 26.0,
        LABEL_SIZE,
        Weight::Bold,
        hue,
        Align::Left,
    );
    plot::grid(c, slots, scale, &frame.tick_labels[i]);
    if style.bars {
        draw_bars(c, slots, scale, &panel.current, hue, style.marked);
        if let Some(m) = style.marked {
            draw_marked_value(c, slots.x(m), scale, panel.current[m], style.lang);
        }
    }
    draw_previous(c, slots, scale, &panel.previous, hue);
    if !style.bars {
        draw_line(c, slots, scale, &panel.current, hue, style.dots);
    }
}

/// A bar per known day, light but for the marked one.
fn draw_bars(
    c: &mut Canvas,
    slots: Slots,
    scale: Scale,
    values: &[Option<f64>],
    hue: Rgb,
    marked: Option<usize>,
) {
    let bar_w = (slots.slot * 0.64).min(64.0);
    let light = hue.mix(WHITE, 0.6);
    for (i, v) in values.iter().enumerate() {
        let Some(v) = v else { continue };
        let fill = if Some(i) == marked { hue } else { light };
        let x = slots.x(i) - bar_w / 2.0;
        c.bar(x, scale.y(*v), bar_w, scale.bottom - 1.0, 5.0, fill);
    }
}

/// The marked day's value over its bar, or "—" when it is missing.
fn draw_marked_value(c: &mut Canvas, x: f32, scale: Scale, value: Option<f64>, lang: Lang) {
    match value {
        Some(v) => plot::marked_value(c, &layout::count_label(v, lang), x, scale.y(v)),
        None => {
            c.text(
                "—",
                x,
                scale.bottom - 10.0,
                TICK_SIZE,
                Weight::Regular,
                MUTED,
                Align::Center,
            );
        }
    }
}

/// The previous period: faint and dashed, under the current line.
fn draw_previous(c: &mut Canvas, slots: Slots, scale: Scale, values: &[Option<f64>], hue: Rgb) {
    let faint = hue.mix(WHITE, 0.5);
    for run in segments(values) {
        let points = scale.points(slots, &run);
        if points.len() == 1 {
            c.dot(points[0].0, points[0].1, 3.0, faint, None);
        }
        c.polyline(&points, 2.5, faint, 1.0, Dash::Dashed(8.0, 6.0));
    }
}

/// The current period as a line over a light area; a lone day is a dot.
fn draw_line(
    c: &mut Canvas,
    slots: Slots,
    scale: Scale,
    values: &[Option<f64>],
    hue: Rgb,
    dots: bool,
) {
    for run in segments(values) {
        let points = scale.points(slots, &run);
        c.area(&points, scale.bottom, hue, 0.08);
        c.polyline(&points, 3.5, hue, 1.0, Dash::Solid);
        if points.len() == 1 {
            c.dot(points[0].0, points[0].1, 5.5, hue, None);
        } else if dots {
            for &(x, y) in &points {
                c.dot(x, y, 4.5, WHITE, Some((hue, 3.0)));
            }
        }
    }
}
