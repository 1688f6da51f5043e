//! The layers the day charts share: day slots across the plot, a y scale, the grid with its
//! tick labels, the band behind the marked day and the value over its bar.

use super::canvas::{Align, Canvas, Weight};
use super::layout::{AXIS, BAND, CAP, GRID, INK, MUTED, TICK_GAP, TICK_SIZE, Ticks};
use super::model::HEIGHT;

/// The days across the plot, each a slot of equal width.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Slots {
    pub left: f32,
    pub right: f32,
    /// The width of one day.
    pub slot: f32,
}

impl Slots {
    pub fn new(left: f32, right: f32, days: usize) -> Self {
        let plot_w = right - left;
        Slots {
            left,
            right,
            slot: plot_w / days as f32,
        }
    }

    /// The middle of day `i`.
    pub fn x(self, i: usize) -> f32 {
        self.left + (i as f32 + 0.5) * self.slot
    }
}

/// A y axis: 0 at `bottom`, the top tick `height` above it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Scale {
    pub bottom: f32,
    pub height: f32,
    pub ticks: Ticks,
}

impl Scale {
    pub fn y(self, v: f64) -> f32 {
        self.bottom - (v / self.ticks.top()) as f32 * self.height
    }

    /// A run of (day, value) as points of the picture.
    pub fn points(self, slots: Slots, run: &[(usize, f64)]) -> Vec<(f32, f32)> {
        run.iter().map(|&(i, v)| (slots.x(i), self.y(v))).collect()
    }
}

/// The baseline of the date labels and the bottom of the plots above them.
pub(super) fn date_row() -> (f32, f32) {
    let x_baseline = HEIGHT as f32 - 22.0;
    (x_baseline, x_baseline - TICK_SIZE - 16.0)
}

/// The maximum an axis must reach so that the marked day's value fits over its bar.
pub(super) fn room_for_label(max: f64, marked_value: Option<f64>, plot_h: f32) -> f64 {
    match marked_value {
        Some(v) => max.max(v * f64::from(plot_h) / f64::from(plot_h - 34.0)),
        None => max,
    }
}

/// The widest of `labels` in regular tick type.
pub(super) fn widest<'a>(c: &Canvas, labels: impl IntoIterator<Item = &'a String>) -> f32 {
    labels
        .into_iter()
        .map(|l| c.text_width(l, TICK_SIZE, Weight::Regular))
        .fold(0.0, f32::max)
}

/// The light band behind the marked day, from a little above `top` down to `bottom`.
pub(super) fn marked_band(c: &mut Canvas, slots: Slots, marked: usize, top: f32, bottom: f32) {
    c.rect(
        slots.x(marked) - slots.slot / 2.0,
        top - 8.0,
        slots.slot,
        bottom - top + 8.0,
        BAND,
        1.0,
    );
}

/// The horizontal grid of `scale` (the zero line stronger) with its labels on the left.
pub(super) fn grid(c: &mut Canvas, slots: Slots, scale: Scale, labels: &[String]) {
    for (i, (v, label)) in scale.ticks.values().zip(labels).enumerate() {
        let y = scale.y(v);
        if i == 0 {
            c.hline(slots.left, slots.right, y, 2.0, AXIS);
        } else {
            c.hline(slots.left, slots.right, y, 1.0, GRID);
        }
        c.text(
            label,
            slots.left - TICK_GAP,
            tick_baseline(y),
            TICK_SIZE,
            Weight::Regular,
            MUTED,
            Align::Right,
        );
    }
}

/// The baseline that centres a tick label on the grid line at `y`.
pub(super) fn tick_baseline(y: f32) -> f32 {
    y + TICK_SIZE * CAP / 2.0
}

/// The marked day's value over its bar, whose top is at `y`.
pub(super) fn marked_value(c: &mut Canvas, label: &str, x: f32, y: f32) {
    c.text(
        label,
        x,
        y - 10.0,
        TICK_SIZE + 1.0,
        Weight::Bold,
        INK,
        Align::Center,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_sit_in_the_middle_of_their_slots() {
        let slots = Slots::new(100.0, 400.0, 3);
        assert_eq!(slots.slot, 100.0);
        assert_eq!((slots.x(0), slots.x(2)), (150.0, 350.0));
    }

    #[test]
    fn the_scale_puts_zero_at_the_bottom_and_the_top_tick_at_the_top() {
        let scale = Scale {
            bottom: 500.0,
            height: 200.0,
            ticks: Ticks {
                step: 25.0,
                count: 4,
            },
        };
        assert_eq!(
            (scale.y(0.0), scale.y(100.0), scale.y(50.0)),
            (500.0, 300.0, 400.0)
        );
    }

    #[test]
    fn a_marked_value_gets_room_above_its_bar() {
        assert_eq!(room_for_label(10.0, None, 134.0), 10.0);
        assert_eq!(room_for_label(10.0, Some(100.0), 134.0), 134.0);
        assert_eq!(room_for_label(500.0, Some(100.0), 134.0), 500.0);
    }
}
