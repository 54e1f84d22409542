//! Per-number back-offs (the 2-minute gap after `PHONE_RECENTLY_RECHARGED`, 30 minutes
//! after a `FAILED` transaction), kept in a small file in the state dir so that a restart
//! does not forget them. Written whole to a temporary file, synced, then renamed.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// The back-offs of one Reloadly account, by number.
pub struct Holds {
    path: PathBuf,
    until: Mutex<HashMap<String, DateTime<Utc>>>,
    /// The longest back-off there is: a stored end further away is cut to it (clock jumps).
    longest: Duration,
}

impl Holds {
    /// Opens `reloadly-<carrier>.holds.json` in `state_dir`; ended back-offs are dropped.
    /// An unreadable file is reported and taken as empty.
    pub fn open(state_dir: &Path, carrier: &str, longest: Duration) -> Holds {
        let safe: String = carrier
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = state_dir.join(format!("reloadly-{safe}.holds.json"));
        let until = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                tracing::warn!(carrier, path = %path.display(), "the Reloadly back-off file is unreadable; starting without back-offs");
                HashMap::new()
            }),
            Err(_) => HashMap::new(),
        };
        Holds {
            path,
            until: Mutex::new(until),
            longest,
        }
    }

    /// Holds purchases to `digits` back for `wait` from now, and saves the list.
    pub fn hold(&self, digits: &str, wait: Duration) {
        let end = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
        let mut map = self.until.lock().unwrap_or_else(|e| e.into_inner());
        let now = Utc::now();
        map.retain(|_, u| *u > now);
        let slot = map.entry(digits.to_string()).or_insert(end);
        *slot = (*slot).max(end);
        if let Err(e) = save(&self.path, &map) {
            tracing::warn!(path = %self.path.display(), "cannot save the Reloadly back-offs: {e}");
        }
    }

    /// How long purchases to `digits` are still held back, if at all.
    pub fn left(&self, digits: &str) -> Option<Duration> {
        let map = self.until.lock().unwrap_or_else(|e| e.into_inner());
        let left = (*map.get(digits)? - Utc::now()).to_std().ok()?;
        Some(left.min(self.longest)).filter(|d| !d.is_zero())
    }
}

fn save(path: &Path, map: &HashMap<String, DateTime<Utc>>) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let mut f = std::fs::OpenOptions::new();
    f.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut f, 0o600);
    let mut f = f.open(&tmp)?;
    f.write_all(&serde_json::to_vec(map).map_err(std::io::Error::other)?)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_back_off_survives_a_restart_and_ends() {
        let dir = tempfile::tempdir().unwrap();
        let long = Duration::from_secs(1800);
        let h = Holds::open(dir.path(), "rl", long);
        assert_eq!(h.left("155"), None);
        h.hold("155", long);
        h.hold("166", Duration::ZERO);
        let again = Holds::open(dir.path(), "rl", long);
        let left = again.left("155").expect("held after a restart");
        assert!(left > Duration::from_secs(1700) && left <= long, "{left:?}");
        assert_eq!(again.left("166"), None, "an ended back-off holds nothing");
        assert_eq!(again.left("177"), None);
    }
}
