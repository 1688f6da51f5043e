//! Counts per day: one panel per metric sharing the date axis; the current period as a line
//! (or as bars around a marked day), the previous period as a faint dashed line.

use chrono::Duration;

use super::canvas::{Align, Canvas, Dash, Rgb, Weight};
use super::layout::{
    self, AXIS, BAND, CAP, FAINT, GRID, INK, LABEL_SIZE, LegendItem, MARGIN, MUTED, Swatch, TEXT,
    TICK_GAP, TICK_SIZE, Ticks, WHITE,
};
use super::model::{ChartError, DailyChart, DailyMetric, HEIGHT, Png, WIDTH};
use super::series::{axis_days, segments, slot_values};
use super::words::{Word, title_or, word};

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

pub(super) fn render(chart: &DailyChart) -> Result<Png, ChartError> {
    let lang = chart.lang;
    let days = axis_days(chart.from, chart.to)?;
    let n = days.len();
    let panels = panels(chart, n);
    if panels.is_empty() {
        return Err(ChartError::NothingToDraw);
    }
    let bars = chart.marked_day.is_some();
    let marked = chart
        .marked_day
        .and_then(|d| days.iter().position(|&x| x == d));
    let has_previous = panels
        .iter()
        .any(|p| p.previous.iter().any(Option::is_some));

    let mut c = Canvas::new(WIDTH, HEIGHT)?;
    let mut legend = Vec::new();
    if has_previous {
        let style = if bars {
            Swatch::Square(FAINT)
        } else {
            Swatch::Line(TEXT, Dash::Solid)
        };
        legend.push(LegendItem {
            swatch: style,
            label: word(Word::CurrentPeriod, lang).to_owned(),
        });
        legend.push(LegendItem {
            swatch: Swatch::Line(FAINT, Dash::Dashed(8.0, 6.0)),
            label: word(Word::PreviousPeriod, lang).to_owned(),
        });
    }
    let title = title_or(&chart.title, Word::ViewsAndContacts, lang);
    let subtitle = layout::period(chart.from, chart.to, lang);
    let body_top = layout::header(&mut c, &title, &subtitle, &legend) + 6.0;

    // Vertical layout: a label row and a plot per panel, date labels at the bottom.
    let x_baseline = HEIGHT as f32 - 22.0;
    let body_bottom = x_baseline - TICK_SIZE - 16.0;
    let k = panels.len() as f32;
    let panel_h = (body_bottom - body_top - PANEL_GAP * (k - 1.0)) / k;
    let plot_h = panel_h - LABEL_ROW;

    // Ticks per panel, with room above a marked bar for its value.
    let target = ((plot_h / 62.0) as usize).clamp(2, 5);
    let ticks: Vec<Ticks> = panels
        .iter()
        .map(|p| {
            let mut max = max_of(&p.current).max(max_of(&p.previous));
            if let Some(v) = marked.and_then(|m| p.current[m]) {
                max = max.max(v * f64::from(plot_h) / f64::from(plot_h - 34.0));
            }
            layout::ticks(max, target, true)
        })
        .collect();
    let tick_labels: Vec<Vec<String>> = ticks
        .iter()
        .map(|t| t.values().map(|v| layout::count_label(v, lang)).collect())
        .collect();
    let label_w = tick_labels
        .iter()
        .flatten()
        .map(|l| c.text_width(l, TICK_SIZE, Weight::Regular))
        .fold(0.0, f32::max);
    let left = MARGIN + label_w + TICK_GAP;
    let right = WIDTH as f32 - MARGIN;
    let plot_w = right - left;
    let slot = plot_w / n as f32;
    let x_at = |i: usize| left + (i as f32 + 0.5) * slot;

    let first_plot_top = body_top + LABEL_ROW;
    if let Some(m) = marked {
        c.rect(
            x_at(m) - slot / 2.0,
            first_plot_top - 8.0,
            slot,
            body_bottom - first_plot_top + 8.0,
            BAND,
            1.0,
        );
    }

    for (pi, panel) in panels.iter().enumerate() {
        let top = body_top + pi as f32 * (panel_h + PANEL_GAP);
        let plot_top = top + LABEL_ROW;
        let plot_bottom = plot_top + plot_h;
        let t = ticks[pi];
        let y_at = |v: f64| plot_bottom - (v / t.top()) as f32 * plot_h;
        let hue = color(panel.metric);

        c.text(
            word(name(panel.metric), lang),
            MARGIN,
            top + 26.0,
            LABEL_SIZE,
            Weight::Bold,
            hue,
            Align::Left,
        );
        for (v, label) in t.values().zip(&tick_labels[pi]) {
            let y = y_at(v);
            if v == 0.0 {
                c.hline(left, right, y, 2.0, AXIS);
            } else {
                c.hline(left, right, y, 1.0, GRID);
            }
            c.text(
                label,
                left - TICK_GAP,
                y + TICK_SIZE * CAP / 2.0,
                TICK_SIZE,
                Weight::Regular,
                MUTED,
                Align::Right,
            );
        }

        if bars {
            let bar_w = (slot * 0.64).min(64.0);
            let light = hue.mix(WHITE, 0.6);
            for (i, v) in panel.current.iter().enumerate() {
                let Some(v) = v else { continue };
                let fill = if Some(i) == marked { hue } else { light };
                c.bar(
                    x_at(i) - bar_w / 2.0,
                    y_at(*v),
                    bar_w,
                    plot_bottom - 1.0,
                    5.0,
                    fill,
                );
            }
            if let Some(m) = marked {
                match panel.current[m] {
                    Some(v) => {
                        c.text(
                            &layout::count_label(v, lang),
                            x_at(m),
                            y_at(v) - 10.0,
                            TICK_SIZE + 1.0,
                            Weight::Bold,
                            INK,
                            Align::Center,
                        );
                    }
                    None => {
                        c.text(
                            "—",
                            x_at(m),
                            plot_bottom - 10.0,
                            TICK_SIZE,
                            Weight::Regular,
                            MUTED,
                            Align::Center,
                        );
                    }
                }
            }
        }

        // The previous period: faint and dashed, under the current line.
        let faint = hue.mix(WHITE, 0.5);
        for run in segments(&panel.previous) {
            let points: Vec<(f32, f32)> = run.iter().map(|&(i, v)| (x_at(i), y_at(v))).collect();
            if points.len() == 1 {
                c.dot(points[0].0, points[0].1, 3.0, faint, None);
            }
            c.polyline(&points, 2.5, faint, 1.0, Dash::Dashed(8.0, 6.0));
        }

        if !bars {
            let with_dots = n <= 45;
            for run in segments(&panel.current) {
                let points: Vec<(f32, f32)> =
                    run.iter().map(|&(i, v)| (x_at(i), y_at(v))).collect();
                c.area(&points, plot_bottom, hue, 0.08);
                c.polyline(&points, 3.5, hue, 1.0, Dash::Solid);
                if points.len() == 1 {
                    c.dot(points[0].0, points[0].1, 5.5, hue, None);
                } else if with_dots {
                    for &(x, y) in &points {
                        c.dot(x, y, 4.5, WHITE, Some((hue, 3.0)));
                    }
                }
            }
        }
    }

    layout::draw_dates(&mut c, &days, marked, left, slot, x_baseline, lang);
    c.finish()
}
