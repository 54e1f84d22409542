//! Wall clock steps (NTP, suspend, a person setting the date): a step back does not stall
//! `every` lines (their intervals run on monotonic time) nor cron lines; a step forward
//! fires each overdue line once, not once per missed tick.

use super::*;

/// Fires received within `within` of virtual time, each reported done at once.
async fn fires_within(rig: &mut Rig, within: Duration) -> Vec<(Fire, DateTime<Utc>)> {
    let deadline = tokio::time::Instant::now() + within;
    let mut out = Vec::new();
    while let Ok(Some(fire)) = tokio::time::timeout_at(deadline, rig.fires.recv()).await {
        rig.done(&fire);
        out.push((fire, rig.clock.now()));
    }
    out
}

fn count(fires: &[(Fire, DateTime<Utc>)], line: &str) -> usize {
    fires.iter().filter(|(f, _)| &*f.line == line).count()
}

#[tokio::test(start_paused = true)]
async fn a_step_back_keeps_every_intervals_on_monotonic_time_and_crons_on_the_new_wall() {
    let start = utc(2026, 5, 1, 10, 0);
    let lines = vec![
        entry("every", "every 1h", Some(start)),
        entry("cron", "30 * * * *", Some(start)),
    ];
    let mut rig = Rig::start(lines, opts(Tz::UTC, 0), start);
    tokio::time::advance(Duration::from_secs(10 * 60)).await;
    rig.clock.jump(TimeDelta::days(-1));
    let t0 = tokio::time::Instant::now();
    // Cron: the next :30 on the new wall clock, 20 minutes of real time later.
    let (fire, _) = rig.next_done().await;
    assert_eq!(&*fire.line, "cron");
    assert_eq!(
        t0.elapsed(),
        Duration::from_secs(20 * 60),
        "cron not stalled a day"
    );
    // Every 1h: 60 minutes after the last check by monotonic time, 50 from the step.
    let (fire, _) = rig.next_done().await;
    assert_eq!(&*fire.line, "every");
    assert_eq!(
        t0.elapsed(),
        Duration::from_secs(50 * 60),
        "every not stalled a day"
    );
    // And on from there, once an hour each.
    let next = fires_within(&mut rig, Duration::from_secs(3601)).await;
    assert_eq!(
        (count(&next, "every"), count(&next, "cron")),
        (1, 1),
        "{next:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_step_forward_fires_each_overdue_line_once() {
    let start = utc(2026, 5, 1, 10, 0);
    let lines = vec![
        entry("a", "every 1h", Some(start)),
        entry("b", "every 15m", Some(start)),
        entry("c", "*/5 * * * *", Some(start)),
    ];
    let mut rig = Rig::start(lines, opts(Tz::UTC, 0), start);
    tokio::time::advance(Duration::from_secs(60)).await;
    rig.clock.jump(TimeDelta::days(3));
    // Right after the step: each line once (catch-up), however many ticks it missed.
    // (The loop notices the step within one tick, 60 s here.)
    let burst = fires_within(&mut rig, Duration::from_secs(61)).await;
    for line in ["a", "b", "c"] {
        assert_eq!(count(&burst, line), 1, "{line}: {burst:?}");
    }
    // Then back to the schedules: in the next hour a once, b four times, c twelve times.
    let hour = fires_within(&mut rig, Duration::from_secs(3600)).await;
    let counts = (count(&hour, "a"), count(&hour, "b"), count(&hour, "c"));
    assert_eq!(counts, (1, 4, 12), "{hour:?}");
}

#[tokio::test(start_paused = true)]
async fn a_step_back_and_forth_checks_each_line_at_most_once_per_step() {
    let start = utc(2026, 5, 1, 10, 0);
    let lines: Vec<Entry> = (0..20)
        .map(|i| entry(&format!("l{i}"), "every 6h", Some(start)))
        .collect();
    let mut rig = Rig::start(lines, opts(Tz::UTC, 0), start);
    for step in [-7, 30, -400, 20, -1, 9000] {
        tokio::time::advance(Duration::from_secs(60)).await;
        rig.clock.jump(TimeDelta::hours(step));
        let fires = fires_within(&mut rig, Duration::from_secs(61)).await;
        for i in 0..20 {
            let n = count(&fires, &format!("l{i}"));
            assert!(n <= 1, "step {step}h: l{i} fired {n} times");
            assert_eq!(n, usize::from(step > 0), "step {step}h: l{i}");
        }
    }
}

#[test]
fn a_last_check_in_the_future_does_not_stall_a_line_at_start() {
    // The clock went back while renewd was down: the ledger's last check is a day ahead.
    let now = utc(2026, 5, 1, 10, 0);
    let mut table = table::Table::new(opts(Tz::UTC, 0));
    let ahead = now + TimeDelta::days(1);
    table.replace(
        vec![entry("a", "every 1h", Some(ahead))],
        opts(Tz::UTC, 0),
        now,
    );
    let (at, _) = table.peek().expect("scheduled");
    assert_eq!(at, now + TimeDelta::hours(1));
}
