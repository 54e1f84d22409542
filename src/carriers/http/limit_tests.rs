//! The fair limiters, on tokio's paused clock: order, pace, bounds, pauses.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::*;

const SEC: Duration = Duration::from_secs(1);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Starts `n` callers one after the other (each has reserved before the next starts);
/// returns, per caller in arrival order, when it was let through (since `t0`) or refused.
async fn callers(
    l: &Arc<Limiter>,
    n: usize,
    max_wait: Duration,
) -> Vec<Result<Duration, Duration>> {
    let t0 = Instant::now();
    let out = Arc::new(Mutex::new(vec![Err(Duration::MAX); n]));
    let mut tasks = Vec::new();
    for i in 0..n {
        let (l, out) = (l.clone(), out.clone());
        tasks.push(tokio::spawn(async move {
            let got = l.take_within(max_wait, false).await.map(|()| t0.elapsed());
            out.lock().unwrap()[i] = got;
        }));
        tokio::task::yield_now().await;
    }
    for t in tasks {
        t.await.unwrap();
    }
    Arc::try_unwrap(out).unwrap().into_inner().unwrap()
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_go_in_arrival_order_at_exactly_the_limit() {
    let l = Arc::new(Limiter::new(5, SEC, Throttle::new()));
    let got = callers(&l, 23, Duration::from_secs(120)).await;
    for (i, g) in got.iter().enumerate() {
        let second = Duration::from_secs((i / 5) as u64);
        assert_eq!(*g, Ok(second), "caller {i}: 5 a second, in arrival order");
    }
}

#[tokio::test(start_paused = true)]
async fn a_wait_past_the_bound_is_refused_and_reserves_nothing() {
    let l = Limiter::new(1, SEC, Throttle::new());
    let t0 = Instant::now();
    assert_eq!(
        l.reserve_at(t0, Duration::ZERO, false).map(|g| g.at),
        Ok(t0)
    );
    assert_eq!(l.reserve_at(t0, ms(999), false), Err(SEC));
    let g = l.reserve_at(t0, Duration::from_secs(2), false).unwrap();
    assert_eq!(g.at, t0 + SEC, "the refused caller took no slot");
    let got = callers(&Arc::new(l), 3, Duration::from_secs(2)).await;
    let three = Duration::from_secs(3);
    assert_eq!(got, [Ok(Duration::from_secs(2)), Err(three), Err(three)]);
}

#[tokio::test(start_paused = true)]
async fn a_purchase_goes_ahead_of_the_waiting_reads() {
    let l = Limiter::new(5, SEC, Throttle::new());
    let t0 = Instant::now();
    let reads: Vec<_> = (0..10)
        .map(|_| l.reserve_at(t0, Duration::from_secs(120), false).unwrap())
        .collect();
    let buy = l.reserve_at(t0, Duration::from_secs(5), true).unwrap();
    assert_eq!(buy.at, t0 + SEC, "the first slot not already due");
    let s = l.lock(t0);
    assert_eq!(s.slots.at(reads[8].id), Some(t0 + SEC));
    assert_eq!(
        s.slots.at(reads[9].id),
        Some(t0 + 2 * SEC),
        "one read moved back"
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_holds_the_waiting_slots_until_the_pause_ends_at_half_the_pace() {
    let throttle = Throttle::new();
    let l = Arc::new(Limiter::new(10, SEC, throttle.clone()));
    let t0 = Instant::now();
    let pause = tokio::spawn({
        let throttle = throttle.clone();
        async move {
            tokio::time::sleep(ms(50)).await;
            throttle.saw_429(Instant::now(), Some(Duration::from_secs(2)))
        }
    });
    let got = callers(&l, 20, Duration::from_secs(120)).await;
    assert_eq!(pause.await.unwrap(), t0 + ms(2050));
    let at: Vec<_> = got.into_iter().map(Result::unwrap).collect();
    assert!(at[..10].iter().all(|d| d.is_zero()), "{at:?}");
    assert!(at[10..15].iter().all(|d| *d == ms(2050)), "{at:?}");
    assert!(
        at[15..].iter().all(|d| *d == ms(3050)),
        "5 a second now: {at:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_ceiling_climbs_back_after_clean_windows() {
    let throttle = Throttle::new();
    let l = Limiter::new(10, SEC, throttle.clone());
    let t0 = Instant::now();
    let until = throttle.saw_429(t0, None);
    assert_eq!(l.lock(t0).ceiling, 5);
    assert_eq!(l.lock(until).ceiling, 5, "no climb during the pause");
    let clean = until + SEC * RECOVER;
    assert_eq!(l.lock(clean).ceiling, 6);
    assert_eq!(
        l.lock(clean + SEC).ceiling,
        6,
        "one step per RECOVER windows"
    );
    assert_eq!(l.lock(clean + SEC * RECOVER).ceiling, 7);
}

#[tokio::test(start_paused = true)]
async fn a_waiter_whose_slot_a_pause_moves_past_its_bound_gives_up() {
    let throttle = Throttle::new();
    let l = Arc::new(Limiter::new(1, SEC, throttle.clone()));
    l.take_within(Duration::ZERO, false).await.unwrap();
    let waiter = tokio::spawn({
        let l = l.clone();
        async move { l.take_within(Duration::from_secs(10), false).await }
    });
    tokio::task::yield_now().await;
    let t0 = Instant::now();
    throttle.saw_429(t0, Some(Duration::from_secs(60)));
    assert_eq!(waiter.await.unwrap(), Err(Duration::from_secs(59)));
    let next = l
        .reserve_at(t0 + SEC, Duration::from_secs(120), false)
        .unwrap();
    assert_eq!(
        next.at,
        t0 + Duration::from_secs(60),
        "its slot was given back"
    );
}

#[tokio::test(start_paused = true)]
async fn keys_are_counted_apart_and_wait_in_turn() {
    let l = KeyedLimiter::new(1, Duration::from_secs(60));
    let t0 = Instant::now();
    let bound = Duration::from_secs(120);
    assert_eq!(l.reserve_at("a", t0, bound).map(|g| g.at), Ok(t0));
    assert_eq!(l.reserve_at("b", t0, bound).map(|g| g.at), Ok(t0));
    let t1 = t0 + SEC;
    assert_eq!(
        l.reserve_at("a", t1, Duration::ZERO),
        Err(Duration::from_secs(59))
    );
    assert_eq!(
        l.reserve_at("a", t1, bound).map(|g| g.at),
        Ok(t0 + Duration::from_secs(60))
    );
    let start = Instant::now();
    l.take("c", bound).await.unwrap();
    l.take("c", bound).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(60));
}

#[test]
fn padding_is_five_percent() {
    assert_eq!(padded(SEC), ms(1050));
    assert_eq!(padded(Duration::from_secs(60)), Duration::from_secs(63));
}
