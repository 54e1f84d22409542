//! The local control socket: commands a person types that change what the daemon does
//! (`topup`, `pause`, `resume`) are handed to the running daemon, which owns the state;
//! without a daemon they run directly. One JSON request line, one JSON reply line.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

pub mod actions;
pub mod server;

/// The socket's name in the state directory (created 0600 by the daemon).
pub const SOCKET: &str = "control.sock";
/// The longest request or reply line read.
const MAX_LINE: u64 = 64 * 1024;

pub fn socket_path(state_dir: &Path) -> PathBuf {
    state_dir.join(SOCKET)
}

/// What a person asks of the daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Request {
    /// Buy now, through the same open-top-up rule, caps and ledger.
    Topup {
        line: String,
    },
    Pause {
        line: String,
    },
    Resume {
        line: String,
    },
}

/// What the command prints, and its exit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub exit: i32,
    pub text: String,
}

impl Reply {
    pub fn ok(text: impl Into<String>) -> Reply {
        Reply {
            exit: 0,
            text: text.into(),
        }
    }
    pub fn fail(text: impl Into<String>) -> Reply {
        Reply {
            exit: 1,
            text: text.into(),
        }
    }
}

/// Sends one request to the daemon listening at `path` and waits for its reply.
pub async fn send(path: &Path, req: &Request) -> std::io::Result<Reply> {
    let stream = tokio::net::UnixStream::connect(path).await?;
    let (read, mut write) = stream.into_split();
    let mut line = serde_json::to_string(req).map_err(std::io::Error::other)?;
    line.push('\n');
    write.write_all(line.as_bytes()).await?;
    let mut reply = String::new();
    BufReader::new(read.take(MAX_LINE))
        .read_line(&mut reply)
        .await?;
    serde_json::from_str(&reply)
        .map_err(|e| std::io::Error::other(format!("the daemon's reply is not understood: {e}")))
}
