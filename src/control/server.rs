//! The daemon's side of the control socket: a 0600 Unix socket in the state directory,
//! one request per connection, answered with the daemon's current config and carriers.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::watch;

use super::{MAX_LINE, Reply, Request, actions, socket_path};
use crate::check::Ctx;

/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Binds the socket (replacing a stale one: the caller holds the state lock) with mode 0600.
pub fn bind(state_dir: &Path) -> std::io::Result<UnixListener> {
    let path = socket_path(state_dir);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let listener = UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Wakes the daemon's senders: a request may have queued a message (a receipt).
pub type WakeSenders = Arc<dyn Fn() + Send + Sync>;

/// Answers requests until `stopped` completes; each with the newest `ctx`, then wakes the
/// senders so a receipt goes out now, not at their next look at the outbox.
pub async fn serve(
    listener: UnixListener,
    ctx: watch::Receiver<Ctx>,
    wake: WakeSenders,
    stopped: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = &mut stopped => break,
            conn = listener.accept() => match conn {
                Ok((stream, _)) => {
                    let (ctx, wake) = (ctx.borrow().clone(), wake.clone());
                    tokio::spawn(async move {
                        answer(stream, ctx).await;
                        wake();
                    });
                }
                Err(e) => tracing::warn!("control socket: {e}"),
            },
        }
    }
}

async fn answer(stream: UnixStream, ctx: Ctx) {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = BufReader::new(read.take(MAX_LINE));
    let reply = match tokio::time::timeout(READ_TIMEOUT, reader.read_line(&mut line)).await {
        Ok(Ok(_)) => match serde_json::from_str::<Request>(&line) {
            Ok(req) => {
                tracing::info!(?req, "control request");
                actions::handle(&ctx, &req).await
            }
            Err(e) => Reply::fail(format!("not a request: {e}")),
        },
        Ok(Err(e)) => Reply::fail(format!("cannot read the request: {e}")),
        Err(_) => Reply::fail("no request within 10 s"),
    };
    let mut out = serde_json::to_string(&reply).unwrap_or_else(|_| "{}".into());
    out.push('\n');
    let _ = write.write_all(out.as_bytes()).await;
}
