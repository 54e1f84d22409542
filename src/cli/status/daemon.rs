//! Whether a daemon holds the state directory, read without taking its lock (a status
//! typed beside a starting daemon must never make it fail to start).

use std::path::Path;

use chrono::{DateTime, Utc};

/// The running daemon's pid and since when it holds the state: the pid in the lock file
/// names a live renewd process; the file was written when it took the lock.
pub fn running(state_dir: &Path) -> Option<(String, DateTime<Utc>)> {
    let lock = state_dir.join(crate::ledger::lock::LOCK_FILE);
    let pid = std::fs::read_to_string(&lock).ok()?.trim().to_string();
    if pid.is_empty()
        || !pid.bytes().all(|b| b.is_ascii_digit())
        || pid == std::process::id().to_string()
    {
        return None;
    }
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    if !String::from_utf8_lossy(&cmdline).contains("renewd") {
        return None;
    }
    let since = std::fs::metadata(&lock).ok()?.modified().ok()?;
    Some((pid, DateTime::<Utc>::from(since)))
}
