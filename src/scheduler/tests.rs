//! Scheduler tests on paused tokio time with a virtual wall clock.

#![allow(clippy::arithmetic_side_effects)]

use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use tokio::sync::mpsc;
use tokio::time::timeout;

use super::*;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn entry(line: &str, schedule: &str, last_check: Option<DateTime<Utc>>) -> Entry {
    Entry {
        line: line.into(),
        schedule: Schedule::parse(schedule).unwrap(),
        last_check,
    }
}

fn opts(tz: Tz, jitter_secs: u64) -> Options {
    Options {
        tz,
        jitter: Duration::from_secs(jitter_secs),
        tick: Duration::from_secs(60),
    }
}

/// A scheduler on a virtual clock, with its fire receiver.
struct Rig {
    clock: Clock,
    fires: mpsc::Receiver<Fire>,
    handle: Handle,
}

impl Rig {
    fn start(entries: Vec<Entry>, opts: Options, wall: DateTime<Utc>) -> Rig {
        let clock = Clock::virtual_at(wall);
        let (tx, fires) = mpsc::channel(1024);
        let (handle, _join) = spawn(
            entries,
            opts,
            clock.clone(),
            tx,
            std::future::pending::<()>(),
        );
        Rig {
            clock,
            fires,
            handle,
        }
    }

    /// The next fire within `within` of virtual time, and the wall time it arrived.
    async fn next_within(&mut self, within: Duration) -> Option<(Fire, DateTime<Utc>)> {
        let fire = timeout(within, self.fires.recv()).await.ok()??;
        Some((fire, self.clock.now()))
    }

    /// The next fire (within ten days), reporting the check done at once.
    async fn next_done(&mut self) -> (Fire, DateTime<Utc>) {
        let (fire, at) = self
            .next_within(Duration::from_secs(864_000))
            .await
            .expect("a fire");
        self.done(&fire);
        (fire, at)
    }

    fn done(&self, fire: &Fire) {
        self.handle
            .commands
            .send(Command::Done {
                line: fire.line.clone(),
            })
            .unwrap();
    }
}

/// Arrival within the timer's millisecond rounding of the expected wall time.
fn assert_at(got: DateTime<Utc>, want: DateTime<Utc>, what: &str) {
    let late = got - want;
    assert!(
        late >= TimeDelta::zero() && late <= TimeDelta::milliseconds(2),
        "{what}: fired at {got}, want {want}"
    );
}

/// (zone, schedule, start = last check, expected fires in UTC)
type Case = (Tz, &'static str, DateTime<Utc>, [DateTime<Utc>; 3]);

#[tokio::test(start_paused = true)]
async fn lines_fire_at_their_times_across_dst_changes() {
    let ny: Tz = "America/New_York".parse().unwrap();
    let paris: Tz = "Europe/Paris".parse().unwrap();
    let cases: &[Case] = &[
        (
            Tz::UTC,
            "0 * * * *",
            utc(2026, 5, 1, 10, 20),
            [
                utc(2026, 5, 1, 11, 0),
                utc(2026, 5, 1, 12, 0),
                utc(2026, 5, 1, 13, 0),
            ],
        ),
        (
            Tz::UTC,
            "every 90s",
            utc(2026, 5, 1, 10, 0),
            [
                utc(2026, 5, 1, 10, 1) + TimeDelta::seconds(30),
                utc(2026, 5, 1, 10, 3),
                utc(2026, 5, 1, 10, 4) + TimeDelta::seconds(30),
            ],
        ),
        // New York springs forward 2026-03-08 02:00 EST -> 03:00 EDT: 02:30 runs at 03:00 EDT.
        (
            ny,
            "30 2 * * *",
            utc(2026, 3, 7, 17, 0),
            [
                utc(2026, 3, 8, 7, 0),
                utc(2026, 3, 9, 6, 30),
                utc(2026, 3, 10, 6, 30),
            ],
        ),
        (
            ny,
            "0 */6 * * *",
            utc(2026, 3, 8, 1, 0),
            [
                utc(2026, 3, 8, 5, 0),
                utc(2026, 3, 8, 10, 0),
                utc(2026, 3, 8, 16, 0),
            ],
        ),
        (
            ny,
            "every 6h",
            utc(2026, 3, 8, 5, 0),
            [
                utc(2026, 3, 8, 11, 0),
                utc(2026, 3, 8, 17, 0),
                utc(2026, 3, 8, 23, 0),
            ],
        ),
        // New York falls back 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 runs once, in EDT.
        (
            ny,
            "30 1 * * *",
            utc(2026, 10, 31, 16, 0),
            [
                utc(2026, 11, 1, 5, 30),
                utc(2026, 11, 2, 6, 30),
                utc(2026, 11, 3, 6, 30),
            ],
        ),
        (
            ny,
            "0 */6 * * *",
            utc(2026, 11, 1, 1, 0),
            [
                utc(2026, 11, 1, 4, 0),
                utc(2026, 11, 1, 11, 0),
                utc(2026, 11, 1, 17, 0),
            ],
        ),
        (
            ny,
            "every 6h",
            utc(2026, 11, 1, 3, 0),
            [
                utc(2026, 11, 1, 9, 0),
                utc(2026, 11, 1, 15, 0),
                utc(2026, 11, 1, 21, 0),
            ],
        ),
        // Paris springs forward 2026-03-29 02:00 CET -> 03:00 CEST.
        (
            paris,
            "30 2 * * *",
            utc(2026, 3, 28, 12, 0),
            [
                utc(2026, 3, 29, 1, 0),
                utc(2026, 3, 30, 0, 30),
                utc(2026, 3, 31, 0, 30),
            ],
        ),
        (
            paris,
            "0 */6 * * *",
            utc(2026, 3, 28, 22, 0),
            [
                utc(2026, 3, 28, 23, 0),
                utc(2026, 3, 29, 4, 0),
                utc(2026, 3, 29, 10, 0),
            ],
        ),
        // Paris falls back 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 runs once, in CEST.
        (
            paris,
            "30 2 * * *",
            utc(2026, 10, 24, 12, 0),
            [
                utc(2026, 10, 25, 0, 30),
                utc(2026, 10, 26, 1, 30),
                utc(2026, 10, 27, 1, 30),
            ],
        ),
        (
            paris,
            "0 */6 * * *",
            utc(2026, 10, 24, 20, 0),
            [
                utc(2026, 10, 24, 22, 0),
                utc(2026, 10, 25, 5, 0),
                utc(2026, 10, 25, 11, 0),
            ],
        ),
        (
            paris,
            "every 6h",
            utc(2026, 10, 24, 22, 0),
            [
                utc(2026, 10, 25, 4, 0),
                utc(2026, 10, 25, 10, 0),
                utc(2026, 10, 25, 16, 0),
            ],
        ),
    ];
    for (tz, schedule, start, want) in cases {
        let mut rig = Rig::start(
            vec![entry("l", schedule, Some(*start))],
            opts(*tz, 0),
            *start,
        );
        for (i, want) in want.iter().enumerate() {
            let (fire, at) = rig.next_done().await;
            let what = format!("{tz} {schedule:?} fire {i}");
            assert_eq!(fire.due, *want, "{what}");
            assert_at(at, *want, &what);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn next_due_is_soon_when_new_or_overdue_else_the_next_time() {
    let now = utc(2026, 5, 1, 10, 20);
    let hourly = Schedule::parse("0 * * * *").unwrap();
    let cases = [
        (None, now),
        (Some(utc(2026, 5, 1, 10, 0)), utc(2026, 5, 1, 11, 0)),
        (Some(utc(2026, 5, 1, 6, 0)), now),
    ];
    for (last, want) in cases {
        assert_eq!(
            next_due(&hourly, last, now, Tz::UTC),
            Some(want),
            "{last:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn overdue_line_catches_up_once_then_keeps_its_schedule() {
    let start = utc(2026, 5, 1, 10, 20);
    let entries = vec![
        entry("cron", "0 * * * *", Some(start - TimeDelta::hours(5))),
        entry("every", "every 1h", Some(start - TimeDelta::hours(5))),
    ];
    let mut rig = Rig::start(entries, opts(Tz::UTC, 0), start);
    let mut first = Vec::new();
    for _ in 0..2 {
        let (fire, at) = rig.next_done().await;
        assert_at(at, start, "catch-up");
        first.push(fire.line.to_string());
    }
    first.sort();
    assert_eq!(first, ["cron", "every"]);
    let (fire, at) = rig.next_done().await;
    assert_eq!(
        (&*fire.line, at),
        ("cron", utc(2026, 5, 1, 11, 0)),
        "no second catch-up fire before the next hour"
    );
    let (fire, at) = rig.next_done().await;
    assert_eq!(&*fire.line, "every");
    assert_at(
        at,
        start + TimeDelta::hours(1),
        "every 1h measured from the catch-up",
    );
}

#[tokio::test(start_paused = true)]
async fn jitter_delays_each_fire_within_bounds_and_varies() {
    let start = utc(2026, 5, 1, 10, 0);
    let entries: Vec<Entry> = (0..200)
        .map(|i| entry(&format!("l{i}"), "every 1m", None))
        .collect();
    let mut rig = Rig::start(entries, opts(Tz::UTC, 10), start);
    let mut delays = Vec::new();
    for _ in 0..600 {
        let (fire, at) = rig.next_done().await;
        let delay = at - fire.due;
        assert!(
            delay >= TimeDelta::zero() && delay <= TimeDelta::milliseconds(10_002),
            "{delay}"
        );
        delays.push(delay.num_milliseconds());
    }
    delays.sort();
    assert!(
        delays[0] < 1000 && delays[599] > 9000,
        "spread over [0, 10s]: {} .. {}",
        delays[0],
        delays[599]
    );
}

#[tokio::test(start_paused = true)]
async fn a_running_line_is_not_fired_again_until_done() {
    let start = utc(2026, 5, 1, 10, 0);
    let mut rig = Rig::start(
        vec![entry("slow", "every 10s", None)],
        opts(Tz::UTC, 0),
        start,
    );
    let (fire, _) = rig
        .next_within(Duration::from_secs(1))
        .await
        .expect("first fire");
    assert!(
        rig.next_within(Duration::from_secs(35)).await.is_none(),
        "fired while running"
    );
    assert_eq!(
        rig.handle.snapshot.borrow().skipped,
        3,
        "fires at +10s, +20s, +30s skipped"
    );
    rig.done(&fire);
    let (fire, at) = rig.next_done().await;
    assert_eq!(&*fire.line, "slow");
    assert_at(at, start + TimeDelta::seconds(40), "next fire after done");
    assert!(
        rig.next_within(Duration::from_secs(9)).await.is_none(),
        "fired twice"
    );
}

#[tokio::test(start_paused = true)]
async fn reload_adds_removes_and_reschedules_keeping_unchanged_due_times() {
    let start = utc(2026, 5, 1, 10, 0);
    let entries = vec![
        entry("a", "every 1h", Some(start)),
        entry("b", "every 1h", Some(start)),
        entry("d", "every 1h", Some(start)),
    ];
    let mut rig = Rig::start(entries, opts(Tz::UTC, 0), start);
    assert!(rig.next_within(Duration::from_secs(600)).await.is_none());
    let reload = vec![
        entry("a", "every 1h", None),
        entry("b", "every 20m", Some(start)),
        entry("c", "every 1h", None),
    ];
    rig.handle
        .commands
        .send(Command::Replace {
            entries: reload,
            opts: opts(Tz::UTC, 0),
        })
        .unwrap();
    let mut got = Vec::new();
    while let Some((fire, at)) = rig.next_within(Duration::from_secs(4000)).await {
        rig.done(&fire);
        if at > start + TimeDelta::minutes(60) {
            break;
        }
        got.push((fire.line.to_string(), at - start));
    }
    let mins = |m: i64| TimeDelta::minutes(m);
    let want = [
        ("c", mins(10)),
        ("b", mins(20)),
        ("b", mins(40)),
        ("a", mins(60)),
        ("b", mins(60)),
    ];
    let want: Vec<(String, TimeDelta)> = want.iter().map(|(l, t)| (l.to_string(), *t)).collect();
    got.sort_by_key(|(l, t)| (*t, l.clone()));
    assert_eq!(
        got, want,
        "a kept its due time, b rescheduled, c new, d removed"
    );
    assert_eq!(rig.handle.snapshot.borrow().lines, 3);
}

#[tokio::test(start_paused = true)]
async fn snapshot_is_refreshed_every_tick_when_idle() {
    let start = utc(2026, 5, 1, 10, 0);
    let mut rig = Rig::start(
        vec![entry("a", "0 0 1 1 *", Some(start))],
        opts(Tz::UTC, 0),
        start,
    );
    rig.handle.snapshot.changed().await.unwrap();
    let first = rig.handle.snapshot.borrow_and_update().clone();
    assert_eq!(first.lines, 1);
    assert_eq!(
        first.next_due.as_ref().map(|(t, l)| (*t, &**l)),
        Some((utc(2027, 1, 1, 0, 0), "a"))
    );
    for _ in 0..3 {
        rig.handle.snapshot.changed().await.unwrap();
        let last = rig.handle.snapshot.borrow_and_update().last_loop.unwrap();
        assert!(
            last - first.last_loop.unwrap() <= TimeDelta::seconds(180),
            "woke at {last}"
        );
    }
    let last = rig.handle.snapshot.borrow().last_loop.unwrap();
    assert!(
        last >= start + TimeDelta::seconds(180) && last <= start + TimeDelta::milliseconds(180_010),
        "{last}"
    );
}

#[path = "tests_jump.rs"]
mod jump;
