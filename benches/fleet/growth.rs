//! Ledger growth per line-day: readings of a sample of data SIMs (1NCE/Airalo-like: data
//! left falls at every check, so every reading is a change) recorded through the real
//! ledger every 6h with simulated time, so downsampling and retention act as they would
//! over weeks. Date lines on Reloadly/DingConnect store no reading at all (it would be blank).

use chrono::{Duration, TimeZone, Utc};
use renewd::ledger::{Ledger, SqliteLedger};
use renewd::model::{LineState, Observation};
use renewd::money::DataSize;

/// Live ledger bytes per line per day: over the first week, and over days 8 to 30.
pub fn bytes_per_line_day(lines: usize) -> (f64, f64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = SqliteLedger::open(dir.path()).expect("ledger");
    let db = dir.path().join("ledger.sqlite3");
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut sizes = Vec::new();
    for day in 0..=30 {
        for quarter in 0..4 {
            let at = start + Duration::days(day) + Duration::hours(6 * quarter);
            for i in 0..lines {
                let mut obs = Observation::empty(at);
                obs.state = LineState::Active;
                let used = day * 4 + quarter;
                obs.data = Some(DataSize::from_mb(20_000 - used * 50));
                obs.expires_at = Some(start + Duration::days(60));
                let sim = format!("iccid:89{i:017}");
                ledger
                    .record_observation(&format!("fleet-{i:06}"), &sim, &obs)
                    .expect("record");
            }
        }
        sizes.push(crate::round::ledger_bytes(&db));
    }
    let per = |from: usize, to: usize| {
        (sizes[to] as f64 - sizes[from] as f64) / (lines as f64 * (to - from) as f64)
    };
    (per(0, 7), per(8, 30))
}
