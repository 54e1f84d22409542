//! Where renewd keeps its state: `daemon.state_dir`, resolved so that the service and every
//! command typed in a shell with the same config open one ledger and one lock.

use std::path::{Path, PathBuf};

/// Where the state lives when `daemon.state_dir` is not set (systemd's `StateDirectory=`
/// gives the same folder to the service).
pub const DEFAULT_STATE_DIR: &str = "/var/lib/renewd";

/// `daemon.state_dir`, else `$STATE_DIRECTORY` (systemd), else `/var/lib/renewd`.
pub fn state_dir(written: Option<&str>, config_path: &Path) -> PathBuf {
    let env = std::env::var_os("STATE_DIRECTORY");
    resolve_state_dir(written, config_path, env.as_deref())
}

/// The state directory for a config read from `config_path`: a relative `state_dir` is
/// taken from the config file's folder, never the working directory, so the service and a
/// command typed in any shell with the same config share one ledger and one lock.
/// `systemd_dir` is `$STATE_DIRECTORY` (colon-separated; the first is ours).
pub fn resolve_state_dir(
    state_dir: Option<&str>,
    config_path: &Path,
    systemd_dir: Option<&std::ffi::OsStr>,
) -> PathBuf {
    let chosen = match (state_dir, systemd_dir) {
        (Some(s), _) => PathBuf::from(s),
        (None, Some(v)) => match v.to_string_lossy().split(':').next() {
            Some(first) if !first.is_empty() => PathBuf::from(first),
            _ => PathBuf::from(DEFAULT_STATE_DIR),
        },
        (None, None) => PathBuf::from(DEFAULT_STATE_DIR),
    };
    if chosen.is_absolute() {
        return chosen;
    }
    let config = std::path::absolute(config_path).unwrap_or_else(|_| config_path.to_path_buf());
    let folder = config.parent().unwrap_or(Path::new("/"));
    normalize(&folder.join(chosen))
}

/// Drops `.` components (`/etc/renewd/./state` -> `/etc/renewd/state`), for messages.
fn normalize(p: &Path) -> PathBuf {
    p.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}
