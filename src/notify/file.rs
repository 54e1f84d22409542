//! Delivery without `[email]`: each message becomes `<state_dir>/outbox/<key>.eml`.
//!
//! The file is named by the message's event key and written atomically, so delivering
//! the same message twice (after a crash) leaves one file, not two.

use std::path::PathBuf;

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
        std::fs::create_dir_all(&dir)?;
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
        let tmp = path.with_extension("eml.tmp");
        let io = |e: std::io::Error| {
            NotifyError::Server(format!("cannot write {}: {e}", path.display()))
        };
        tokio::fs::write(&tmp, email.formatted())
            .await
            .map_err(io)?;
        tokio::fs::rename(&tmp, &path).await.map_err(io)?;
        tracing::info!(path = %path.display(), subject = %message.draft.subject, "message written");
        Ok(())
    }
}
