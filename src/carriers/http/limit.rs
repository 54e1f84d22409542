//! Client-side rate limits: at most `max` requests per sliding `window`, overall or per key
//! (e.g. per ICCID). A short wait is taken; a long one comes back as "retry after".

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// One sliding window shared by every caller.
pub struct Limiter {
    max: usize,
    window: Duration,
    /// Times of the requests still inside the window, oldest first.
    hits: Mutex<VecDeque<Instant>>,
}

impl Limiter {
    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            max,
            window,
            hits: Mutex::new(VecDeque::new()),
        }
    }

    /// Records a request at `now` if there is room; otherwise how long until there is.
    pub fn admit_at(&self, now: Instant) -> Result<(), Duration> {
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        admit(&mut hits, self.max, self.window, now)
    }

    /// Takes a slot, sleeping when the wait is at most `max_wait`; `Err(wait)` otherwise.
    pub async fn take(&self, max_wait: Duration) -> Result<(), Duration> {
        loop {
            match self.admit_at(Instant::now()) {
                Ok(()) => return Ok(()),
                Err(wait) if wait <= max_wait => tokio::time::sleep(wait).await,
                Err(wait) => return Err(wait),
            }
        }
    }
}

/// One sliding window per key.
pub struct KeyedLimiter {
    max: usize,
    window: Duration,
    /// Per key, the times of the requests still inside the window.
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl KeyedLimiter {
    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            max,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Records a request for `key` at `now` if there is room; otherwise how long until there is.
    pub fn admit_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut map = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, hits| {
            hits.back()
                .is_some_and(|t| now.duration_since(*t) < self.window)
        });
        admit(
            map.entry(key.to_string()).or_default(),
            self.max,
            self.window,
            now,
        )
    }

    /// Takes a slot for `key` now, or says how long to wait.
    pub fn take(&self, key: &str) -> Result<(), Duration> {
        self.admit_at(key, Instant::now())
    }
}

fn admit(
    hits: &mut VecDeque<Instant>,
    max: usize,
    window: Duration,
    now: Instant,
) -> Result<(), Duration> {
    while hits
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        hits.pop_front();
    }
    if hits.len() < max {
        hits.push_back(now);
        return Ok(());
    }
    let oldest = hits.front().copied().unwrap_or(now);
    Err(window
        .saturating_sub(now.duration_since(oldest))
        .max(Duration::from_millis(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_admits_max_then_says_when() {
        let l = Limiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for s in [0, 10, 20] {
            assert_eq!(l.admit_at(t0 + Duration::from_secs(s)), Ok(()));
        }
        assert_eq!(
            l.admit_at(t0 + Duration::from_secs(30)),
            Err(Duration::from_secs(30))
        );
        assert_eq!(
            l.admit_at(t0 + Duration::from_secs(60)),
            Ok(()),
            "the first hit left the window"
        );
        assert_eq!(
            l.admit_at(t0 + Duration::from_secs(61)),
            Err(Duration::from_secs(9))
        );
    }

    #[test]
    fn keys_are_counted_apart() {
        let l = KeyedLimiter::new(1, Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(l.admit_at("a", t0), Ok(()));
        assert_eq!(l.admit_at("b", t0), Ok(()));
        assert_eq!(
            l.admit_at("a", t0 + Duration::from_secs(1)),
            Err(Duration::from_secs(59))
        );
        assert_eq!(l.admit_at("a", t0 + Duration::from_secs(60)), Ok(()));
    }

    #[tokio::test(start_paused = true)]
    async fn short_waits_are_taken_long_ones_returned() {
        let l = Limiter::new(1, Duration::from_secs(1));
        l.take(Duration::ZERO).await.unwrap();
        let start = Instant::now();
        l.take(Duration::from_secs(2)).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        assert_eq!(l.take(Duration::ZERO).await, Err(Duration::from_secs(1)));
    }
}
