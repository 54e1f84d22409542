//! A small unicode sparkline (▁▂▃▄▅▆▇█) of a line's readings.

use chrono::{DateTime, Utc};

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// `width` bars over the span from the first point to `now` (at most `max_span`): each bar
/// is the last value in its slice of time, scaled from the lowest to the highest value;
/// a slice without a reading repeats the one before (the level has not changed as far as
/// renewd knows). Empty without points.
pub fn sparkline(
    points: &[(DateTime<Utc>, i64)],
    now: DateTime<Utc>,
    max_span: chrono::Duration,
    width: usize,
) -> String {
    let start = points
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| *t >= now - max_span)
        .min();
    let Some(start) = start.filter(|_| width > 0) else {
        return String::new();
    };
    let span_ms = (now - start).num_milliseconds().max(1);
    let mut slots: Vec<Option<i64>> = vec![None; width];
    for (t, v) in points.iter().filter(|(t, _)| *t >= start && *t <= now) {
        let offset = (*t - start).num_milliseconds();
        let slot = usize::try_from(offset.saturating_mul(width as i64) / span_ms)
            .unwrap_or(0)
            .min(width - 1);
        slots[slot] = Some(*v);
    }
    for i in 1..slots.len() {
        if slots[i].is_none() {
            slots[i] = slots[i - 1];
        }
    }
    let (lo, hi) = slots
        .iter()
        .flatten()
        .fold((i64::MAX, i64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    slots
        .iter()
        .map(|s| match s {
            None => ' ',
            Some(_) if hi <= lo => BARS[3],
            Some(v) => {
                let step =
                    (i128::from(*v) - i128::from(lo)) * 7 / (i128::from(hi) - i128::from(lo));
                BARS[usize::try_from(step).unwrap_or(0).min(7)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn bars_follow_the_values_and_gaps_repeat_the_level() {
        let day = chrono::Duration::days(30);
        let now = t("2026-12-01T00:08:00Z");
        let pts = |v: &[(i64, i64)]| -> Vec<(DateTime<Utc>, i64)> {
            v.iter()
                .map(|(min, val)| {
                    (
                        t("2026-12-01T00:00:00Z") + chrono::Duration::minutes(*min),
                        *val,
                    )
                })
                .collect()
        };
        // (points (minute, value), width, expected)
        type Case<'a> = (&'a [(i64, i64)], usize, &'a str);
        let table: [Case; 5] = [
            (&[], 8, ""),
            (
                &[
                    (0, 800),
                    (1, 700),
                    (2, 600),
                    (3, 500),
                    (4, 400),
                    (5, 300),
                    (6, 200),
                    (7, 100),
                ],
                8,
                "█▇▆▅▄▃▂▁",
            ),
            (&[(0, 100), (7, 800)], 8, "▁▁▁▁▁▁▁█"),
            (&[(0, 5), (4, 5)], 4, "▄▄▄▄"),
            (&[(0, 0), (4, 1000)], 2, "▁█"),
        ];
        for (p, width, want) in table {
            assert_eq!(sparkline(&pts(p), now, day, width), want, "{p:?}");
        }
    }

    #[test]
    fn only_the_window_counts() {
        let now = t("2026-12-31T00:00:00Z");
        let pts = [
            (t("2026-10-01T00:00:00Z"), 1),
            (t("2026-12-30T00:00:00Z"), 5),
        ];
        assert_eq!(sparkline(&pts, now, chrono::Duration::days(30), 4), "▄▄▄▄");
    }
}
