//! One daemon per state directory: an exclusive lock on `<state_dir>/renewd.lock`.
//!
//! The lock is an OS file lock (`File::try_lock`), so it is released when the process
//! exits, however it exits; the file itself stays and only names the last holder's pid.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::LedgerError;

/// The lock file's name inside the state directory.
pub const LOCK_FILE: &str = "renewd.lock";

/// Held while a daemon (or `renewd once` or `renewd resolve`) owns the state directory; released on drop.
#[derive(Debug)]
pub struct StateLock {
    /// The open, locked file: closing it releases the lock.
    _file: File,
    /// Where the lock lives, for messages.
    path: PathBuf,
}

impl StateLock {
    /// Takes the state directory's lock, creating the directory if missing.
    /// Another holder (this or another process) gives `LedgerError::Locked` with its pid.
    pub fn acquire(state_dir: &Path) -> Result<StateLock, LedgerError> {
        ensure_dir(state_dir)?;
        let path = state_dir.join(LOCK_FILE);
        let open_err = |e: std::io::Error| LedgerError::Open {
            path: path.display().to_string(),
            detail: format!(
                "cannot open the lock file: {e}; check that the directory is writable by renewd"
            ),
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(open_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LedgerError::Locked {
                    path: path.display().to_string(),
                    pid: holder_pid(&mut file),
                });
            }
            Err(TryLockError::Error(e)) => return Err(open_err(e)),
        }
        write_pid(&mut file).map_err(open_err)?;
        Ok(StateLock { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The pid written by the current holder, or "unknown" if it has not written it yet.
fn holder_pid(file: &mut File) -> String {
    let mut text = String::new();
    match file.read_to_string(&mut text) {
        Ok(_) if !text.trim().is_empty() => text.trim().to_string(),
        _ => "unknown".to_string(),
    }
}

fn write_pid(file: &mut File) -> std::io::Result<()> {
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    writeln!(file, "{}", std::process::id())?;
    file.sync_all()
}

/// Creates the state directory (0700: it holds the ledger and mail copies) if missing;
/// a clear error when it cannot be one.
pub fn ensure_dir(dir: &Path) -> Result<(), LedgerError> {
    let fail = |detail: String| LedgerError::Open {
        path: dir.display().to_string(),
        detail,
    };
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(fail(
            "it exists but is not a directory; set daemon.state_dir to a directory (e.g. /var/lib/renewd)".into(),
        )),
        Err(_) => private_dir(dir).map_err(|e| {
            fail(format!("cannot create the state directory: {e}; create it or set daemon.state_dir to a writable directory"))
        }),
    }
}

/// `create_dir_all`, with the last directory readable by its owner only (0700).
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Narrows an existing file to 0600 when group or others may read it; creates nothing.
pub fn private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(m) if m.permissions().mode() & 0o077 != 0 => {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}
