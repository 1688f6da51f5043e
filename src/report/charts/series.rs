//! Days on the x axis and the values placed on them.

use chrono::NaiveDate;

use super::model::{ChartError, ChartValue, Day, MAX_DAYS};

/// The days from `from` to `to`, checked.
pub(super) fn axis_days(from: NaiveDate, to: NaiveDate) -> Result<Vec<NaiveDate>, ChartError> {
    if to < from {
        return Err(ChartError::Invalid("the period ends before it starts"));
    }
    let n = (to - from).num_days() as usize + 1;
    if n > MAX_DAYS {
        return Err(ChartError::Invalid("the period is too long to draw by day"));
    }
    Ok(from.iter_days().take(n).collect())
}

/// The values of `days` placed on the axis of `slots` days starting at `start`: one entry per
/// axis day, `None` where the day is missing or not listed. A listed day outside the axis is
/// ignored; a day listed twice keeps its last value.
pub(super) fn slot_values<T: ChartValue>(
    start: NaiveDate,
    slots: usize,
    days: &[Day<T>],
) -> Vec<Option<f64>> {
    let mut out = vec![None; slots];
    for day in days {
        let i = (day.date - start).num_days();
        if (0..slots as i64).contains(&i) {
            out[i as usize] = day.value.map(ChartValue::plot).filter(|v| v.is_finite());
        }
    }
    out
}

/// The runs of consecutive known values, as (slot, value): each run is drawn as one line, so a
/// missing day is a gap, never a zero.
pub(super) fn segments(values: &[Option<f64>]) -> Vec<Vec<(usize, f64)>> {
    let mut out: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut run: Vec<(usize, f64)> = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => run.push((i, *v)),
            None if !run.is_empty() => out.push(std::mem::take(&mut run)),
            None => {}
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

/// The slot of the marked day, when it is on the axis.
pub(super) fn marked_slot(days: &[NaiveDate], marked: Option<NaiveDate>) -> Option<usize> {
    marked.and_then(|d| days.iter().position(|&x| x == d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marked_day_is_found_on_the_axis_or_not_at_all() {
        let from = NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
        let days = axis_days(from, from + chrono::Duration::days(4)).expect("days");
        assert_eq!(
            marked_slot(&days, Some(from + chrono::Duration::days(4))),
            Some(4)
        );
        assert_eq!(
            marked_slot(&days, Some(from - chrono::Duration::days(1))),
            None
        );
        assert_eq!(marked_slot(&days, None), None);
    }
}
