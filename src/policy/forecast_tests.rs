//! The forecast on synthetic histories with known answers, and its error table.

use chrono::{Datelike, Weekday};

use super::*;
use crate::money::DataSize;

const NOW: &str = "2026-11-30T12:00:00Z";

fn now() -> DateTime<Utc> {
    NOW.parse().unwrap()
}

/// A change to the figure that is not use.
#[derive(Clone, Copy)]
enum Rise {
    /// A top-up adds this many MB.
    Add(f64),
    /// A plan reset sets the figure to this many MB.
    Set(f64),
}

/// A synthetic line: use per hour, rises, and how the carrier is read.
struct Scenario {
    name: &'static str,
    start_mb: f64,
    /// MB used in the hour starting at this time.
    use_mb: fn(DateTime<Utc>) -> f64,
    rises: &'static [(i64, Rise)],
    history_h: i64,
    check_every_min: i64,
    /// The carrier refreshes its figure this often (0: every reading is fresh).
    cache_h: i64,
    /// Hours (from the start) with no reading.
    gap: (i64, i64),
    /// Largest |% error| accepted.
    max_err: f64,
}

fn steady(_: DateTime<Utc>) -> f64 {
    100.0 / 24.0
}

fn weekend(t: DateTime<Utc>) -> f64 {
    match t.weekday() {
        Weekday::Sat | Weekday::Sun => 300.0 / 24.0,
        _ => 60.0 / 24.0,
    }
}

/// 140 MB a day, all of it between 08:00 and 22:00.
fn daytime(t: DateTime<Utc>) -> f64 {
    use chrono::Timelike;
    if (8..22).contains(&t.hour()) {
        10.0
    } else {
        0.0
    }
}

impl Scenario {
    fn t0(&self) -> DateTime<Utc> {
        now() - chrono::Duration::hours(self.history_h)
    }

    /// The true figure (MB) at `hours` after the start, continuing past now without rises.
    fn truth(&self, minutes: i64) -> f64 {
        let mut v = self.start_mb;
        for h in 0..minutes / 60 {
            if let Some((_, r)) = self.rises.iter().find(|(at, _)| *at == h) {
                v = match r {
                    Rise::Add(mb) => v + mb,
                    Rise::Set(mb) => *mb,
                };
            }
            v -= (self.use_mb)(self.t0() + chrono::Duration::hours(h));
        }
        v
    }

    fn readings(&self) -> Vec<Observation> {
        let mut out = Vec::new();
        let mut m = 0;
        while m <= self.history_h * 60 {
            let (from, to) = self.gap;
            if !(m >= from * 60 && m < to * 60) {
                let seen = match self.cache_h {
                    0 => m,
                    c => m / (c * 60) * c * 60,
                };
                let mut o = Observation::empty(self.t0() + chrono::Duration::minutes(m));
                o.data = Some(DataSize::from_mb_f64(self.truth(seen).max(0.0)).unwrap());
                out.push(o);
            }
            m += self.check_every_min;
        }
        out
    }

    /// Days from now until the true figure reaches zero.
    fn true_days_left(&self) -> f64 {
        let start = self.history_h * 60;
        let mut h = start;
        while self.truth(h + 60) > 0.0 {
            h += 60;
        }
        let (a, b) = (self.truth(h), self.truth(h + 60));
        (h - start) as f64 / 1440.0 + a / (a - b) / 24.0
    }
}

const NO_GAP: (i64, i64) = (0, 0);

fn scenarios() -> Vec<Scenario> {
    let base = |name, use_mb: fn(DateTime<Utc>) -> f64| Scenario {
        name,
        start_mb: 2000.0,
        use_mb,
        rises: &[],
        history_h: 7 * 24,
        check_every_min: 6 * 60,
        cache_h: 0,
        gap: NO_GAP,
        max_err: 5.0,
    };
    vec![
        base("steady", steady),
        Scenario {
            start_mb: 3000.0,
            history_h: 14 * 24,
            check_every_min: 3 * 60,
            max_err: 35.0,
            ..base("weekend spikes", weekend)
        },
        Scenario {
            start_mb: 800.0,
            rises: &[(120, Rise::Add(1000.0))],
            history_h: 8 * 24,
            ..base("top-up mid-way", steady)
        },
        Scenario {
            rises: &[(96, Rise::Set(2500.0))],
            ..base("plan reset", steady)
        },
        Scenario {
            history_h: 8 * 24,
            check_every_min: 4 * 60,
            gap: (48, 144),
            ..base("gap of 4 days", steady)
        },
        Scenario {
            start_mb: 1500.0,
            rises: &[(7 * 24 - 8, Rise::Add(1000.0))],
            check_every_min: 2 * 60,
            max_err: 15.0,
            ..base("daytime use, top-up 8 h ago", daytime)
        },
        Scenario {
            history_h: 3 * 24 + 9,
            check_every_min: 15,
            cache_h: 12,
            max_err: 15.0,
            ..base("cached flat (12 h cache)", steady)
        },
    ]
}

/// The forecast this one replaced, for the table: a straight line between the first and
/// last reading since the last rise.
fn first_to_last(h: &[Observation]) -> Option<f64> {
    let mut pts: Vec<Point> = Vec::new();
    for o in h {
        let v = value(o, Figure::Data)?;
        if pts.last().is_some_and(|(_, last)| v > *last) {
            pts.clear();
        }
        pts.push((o.at, v));
    }
    let (&(t0, v0), &(t1, v1)) = (pts.first()?, pts.last()?);
    let rate = (v0 - v1) as f64 / (t1 - t0).num_seconds() as f64;
    (rate > 0.0).then(|| (v1 as f64 / rate - (now() - t1).num_seconds() as f64) / 86_400.0)
}

#[test]
fn synthetic_histories_have_known_answers() {
    println!(
        "{:<26} {:>9} {:>9} {:>8} {:>10} {:>8} {:>10}",
        "history", "true d", "est d", "err %", "confidence", "readings", "old err %"
    );
    for s in scenarios() {
        let h = s.readings();
        let f = estimate(&h, None, now()).unwrap_or_else(|| panic!("{}: no forecast", s.name));
        let (want, got) = (s.true_days_left(), f.left.as_secs_f64() / 86_400.0);
        let err = (got - want) / want * 100.0;
        let old = first_to_last(&h).map_or("none".into(), |d| {
            format!("{:+.1}", (d - want) / want * 100.0)
        });
        println!(
            "{:<26} {want:>9.2} {got:>9.2} {err:>+8.1} {:>10} {:>8} {old:>10}",
            s.name, f.confidence, f.readings
        );
        assert!(err.abs() <= s.max_err, "{}: {err:.1}% off", s.name);
        assert!(f.enough_for_purchase(), "{}", s.name);
    }
}

fn mb(at: DateTime<Utc>, mb: i64) -> Observation {
    Observation {
        data: Some(DataSize::from_mb(mb)),
        ..Observation::empty(at)
    }
}

fn ago(min: i64) -> DateTime<Utc> {
    now() - chrono::Duration::minutes(min)
}

#[test]
fn short_or_flat_histories_buy_nothing() {
    // (what, readings, forecast exists, enough to buy)
    let table: Vec<(&str, Vec<Observation>, bool, bool)> = vec![
        ("nothing", vec![], false, false),
        ("one reading", vec![mb(ago(60), 500)], false, false),
        (
            "two readings a minute apart",
            vec![mb(ago(1), 500), mb(ago(0), 499)],
            true,
            false,
        ),
        (
            "three readings over an hour",
            vec![mb(ago(60), 500), mb(ago(30), 490), mb(ago(0), 480)],
            true,
            false,
        ),
        (
            "all the same",
            vec![mb(ago(600), 500), mb(ago(300), 500), mb(ago(0), 500)],
            false,
            false,
        ),
        (
            "only rises",
            vec![mb(ago(600), 100), mb(ago(300), 200), mb(ago(0), 300)],
            false,
            false,
        ),
        (
            "three readings over 8 hours",
            vec![mb(ago(480), 500), mb(ago(240), 450), mb(ago(0), 400)],
            true,
            true,
        ),
    ];
    for (what, h, exists, enough) in table {
        let f = estimate(&h, None, now());
        assert_eq!(f.is_some(), exists, "{what}");
        assert_eq!(
            f.as_ref().is_some_and(|f| f.enough_for_purchase()),
            enough,
            "{what}"
        );
        if let Some(f) = f.filter(|_| !enough) {
            assert_eq!(f.confidence, Confidence::Low, "{what}");
        }
    }
}

#[test]
fn a_minute_of_history_gives_a_low_confidence_guess() {
    let f = estimate(&[mb(ago(1), 500), mb(ago(0), 499)], None, now()).unwrap();
    assert_eq!(f.left, Duration::from_secs(499 * 60));
    assert_eq!((f.readings, f.confidence), (2, Confidence::Low));
}

#[test]
fn a_cached_figure_counts_time_since_it_was_first_seen() {
    // 100 MB a day, then the carrier's figure sticks at 300 MB for a day.
    let h = [
        mb(ago(2 * 1440), 500),
        mb(ago(1440), 400),
        mb(ago(720), 400),
    ];
    let f = estimate(&h, Some(&mb(ago(0), 400)), now()).unwrap();
    assert_eq!(f.left, Duration::from_secs(3 * 86_400));
}

#[test]
fn readings_outside_the_window_or_in_the_future_are_ignored() {
    let old = now() - WINDOW - chrono::Duration::hours(1);
    let h = [
        mb(old, 9000),
        mb(ago(1440), 200),
        mb(ago(0), 100),
        mb(now() + chrono::Duration::hours(1), 0),
    ];
    let f = estimate(&h, None, now()).unwrap();
    assert_eq!((f.readings, f.left), (2, Duration::from_secs(86_400)));
}

#[test]
fn a_sparse_schedule_is_warned_about() {
    let h = [mb(ago(2 * 1440), 300), mb(ago(1440), 200), mb(ago(0), 100)];
    let f = estimate(&h, None, now()).unwrap();
    let day = Duration::from_secs(86_400);
    // (check interval, margin before empty, warned)
    let table = [
        (day * 7, day * 2, true),
        (day, day * 2, false),
        (day * 2, day * 2, false),
        (day * 3, day * 2, true),
    ];
    for (interval, margin, warned) in table {
        assert_eq!(
            sparse_schedule(&f, interval, margin).is_some(),
            warned,
            "{interval:?} {margin:?}"
        );
    }
    let low = estimate(&h[1..], None, now()).unwrap();
    assert_eq!(
        sparse_schedule(&low, day * 7, day),
        None,
        "too little history"
    );
}

#[test]
fn many_readings_are_thinned_but_keep_the_latest() {
    // A reading a minute for 5 days, 1 MB a minute: 1,000 MB left at 1,440 MB a day.
    let h: Vec<Observation> = (0..7200).rev().map(|m| mb(ago(m), 1000 + m)).collect();
    let f = estimate(&h, None, now()).unwrap();
    assert!(f.readings <= 100, "{} readings", f.readings);
    assert_eq!(f.left, Duration::from_secs(1000 * 60));
}

/// A phone line reports a data figure it never uses: the forecast follows the balance.
#[test]
fn an_unused_data_figure_gives_way_to_the_falling_balance() {
    let usd = crate::money::Currency::new("USD").unwrap();
    let h: Vec<Observation> = (0..10)
        .map(|i| Observation {
            data: Some(DataSize::from_mb(10 * 1024)),
            balance: Some(crate::money::Money::new(1000 - i * 100, usd)),
            ..Observation::empty(now() - chrono::Duration::hours(9 - i))
        })
        .collect();
    let f = estimate(&h, None, now()).expect("a forecast");
    assert_eq!(f.figure, Figure::Balance);
    assert_eq!(
        f.left,
        Duration::from_secs(3600),
        "100 cents left at 100 an hour"
    );
}
