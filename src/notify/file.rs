//! Delivery without `[email]`: each message becomes `<state_dir>/outbox/<key>.eml`.
//!
//! The file is named by the message's event key and written atomically and durably
//! (temp file 0600, fsync, rename, fsync of the folder), so delivering the same message
//! twice (after a crash) leaves one file, not two, and a file marked sent survives a
//! power cut. The folder is 0700. Message-IDs use the `From:` domain, `localhost`.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::{Notifier, NotifyError, to_email};
use crate::ledger::OutboxMessage;

/// Writes messages as `.eml` files into a folder.
pub struct FileNotifier {
    dir: PathBuf,
}

impl FileNotifier {
    /// Creates the folder if needed.
    pub fn new(dir: PathBuf) -> std::io::Result<Self> {
        crate::ledger::lock::private_dir(&dir)?;
        Ok(Self { dir })
    }

    /// The file a message is written to.
    pub fn path_for(&self, key: &str) -> PathBuf {
        let name: String = key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!("{name}.eml"))
    }
}

#[async_trait]
impl Notifier for FileNotifier {
    async fn deliver(&self, message: &OutboxMessage) -> Result<(), NotifyError> {
        let email = to_email(
            message,
            "renewd <renewd@localhost>",
            &["root@localhost".to_string()],
        )?;
        let path = self.path_for(&message.draft.key);
        let io = |e: std::io::Error| {
            NotifyError::Server(format!("cannot write {}: {e}", path.display()))
        };
        let (bytes, target) = (email.formatted(), path.clone());
        tokio::task::spawn_blocking(move || write_durably(&target, &bytes))
            .await
            .map_err(|e| io(std::io::Error::other(e)))?
            .map_err(io)?;
        tracing::info!(path = %path.display(), subject = %message.draft.subject, "message written");
        Ok(())
    }
}

/// Temp file (0600) -> write -> fsync -> rename over `path` -> fsync the folder.
fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("eml.tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[tokio::test]
    async fn a_copy_is_private_complete_and_written_once() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("outbox");
        let n = FileNotifier::new(folder.clone()).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&folder), 0o700);
        let ledger = crate::ledger::SqliteLedger::open_in_memory().unwrap();
        use crate::ledger::Ledger;
        let draft = crate::ledger::Draft {
            key: "receipt:7".into(),
            kind: crate::config::MessageKind::Receipt,
            line_id: Some("l".into()),
            subject: "s".into(),
            text: "t".into(),
            html: "<p>h</p>".into(),
            translations: Vec::new(),
        };
        ledger.enqueue(&draft, chrono::Utc::now()).unwrap();
        let msg = ledger.unsent_messages().unwrap().remove(0);
        n.deliver(&msg).await.unwrap();
        n.deliver(&msg).await.unwrap();
        let files: Vec<_> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files, [n.path_for("receipt:7")], "one file, no temp left");
        assert_eq!(mode(&files[0]), 0o600);
        let text = std::fs::read_to_string(&files[0]).unwrap();
        let want = crate::notify::message_id(&msg.install_id, "receipt:7", "renewd@localhost");
        assert!(text.contains(&want), "{want} in {text}");
    }
}
