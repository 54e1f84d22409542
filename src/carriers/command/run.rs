//! Runs one program: no shell, a cleared environment, a time limit that kills the whole
//! process group, stdout collected, stderr copied into the log with the line id.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

/// Most bytes kept from stdout or stderr.
const MAX_OUTPUT: u64 = 1 << 20;
/// How long the pipes may stay open after the program ended (never past the limit).
const PIPE_GRACE: Duration = Duration::from_secs(2);
/// How long to wait for the pipes to close after the group was killed.
const KILL_GRACE: Duration = Duration::from_millis(200);
/// Most stderr lines copied into the log per call.
const MAX_LOG_LINES: usize = 50;

/// How a program ended.
#[derive(Debug)]
pub enum Ended {
    /// It exited by itself with this code.
    Exited {
        code: i32,
        stdout: Vec<u8>,
        stderr: String,
    },
    /// A signal ended it (not our time limit).
    Signalled { stderr: String },
    /// It ran past the limit and was killed.
    TimedOut { stderr: String },
}

/// What the program is run for, for the log.
pub struct Who<'a> {
    pub carrier: &'a str,
    pub line: &'a str,
    pub call: &'a str,
}

/// Runs `argv` with only `env` set, for at most `limit`. `Err` means it could not start.
pub async fn run(
    argv: &[String],
    env: &[(String, String)],
    limit: Duration,
    who: &Who<'_>,
) -> Result<Ended, std::io::Error> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| std::io::Error::other("empty argument list"))?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    let mut child = cmd.spawn()?;
    let pid = child.id();
    let deadline = tokio::time::Instant::now() + limit;
    let out = tokio::spawn(collect(child.stdout.take()));
    let err = tokio::spawn(collect(child.stderr.take()));
    let waited = tokio::time::timeout_at(deadline, child.wait()).await;
    if waited.is_err() {
        // Not reaped yet, so its group id cannot have been reused: end the whole group.
        kill_group(pid);
        let _ = child.kill().await;
    }
    // Pipes held open by children it left behind are read until the limit at most (and
    // a short grace after the program itself ended), then the group is killed.
    let pipes_until = deadline.min(tokio::time::Instant::now() + PIPE_GRACE);
    let (out_abort, err_abort) = (out.abort_handle(), err.abort_handle());
    let pipes = async { (out.await.unwrap_or_default(), err.await.unwrap_or_default()) };
    tokio::pin!(pipes);
    let (stdout, stderr) = match tokio::time::timeout_at(pipes_until, &mut pipes).await {
        Ok(v) => v,
        Err(_) => {
            kill_group(pid);
            match tokio::time::timeout(KILL_GRACE, &mut pipes).await {
                Ok(v) => v,
                Err(_) => {
                    // Something outside the group still holds them: stop reading.
                    out_abort.abort();
                    err_abort.abort();
                    (Vec::new(), Vec::new())
                }
            }
        }
    };
    // Ended in time but its output was not complete by the limit: timed out as well.
    let late = tokio::time::Instant::now() >= deadline;
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    let ended = match waited {
        Err(_) => Ended::TimedOut { stderr },
        Ok(_) if late => Ended::TimedOut { stderr },
        Ok(Err(e)) => return Err(e),
        Ok(Ok(status)) => match status.code() {
            Some(code) => Ended::Exited {
                code,
                stdout,
                stderr,
            },
            None => Ended::Signalled { stderr },
        },
    };
    log_stderr(&ended, who);
    Ok(ended)
}

/// Reads a pipe to its end (bounded).
async fn collect<R: AsyncRead + Unpin>(pipe: Option<R>) -> Vec<u8> {
    let mut buf = Vec::new();
    if let Some(p) = pipe {
        let _ = p.take(MAX_OUTPUT).read_to_end(&mut buf).await;
    }
    buf
}

/// SIGKILL to the process group led by `pid` (the program runs in its own group).
fn kill_group(pid: Option<u32>) {
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()).filter(|p| *p > 1) {
        // SAFETY: kill(2) with a negative pid signals that process group only; no memory is touched.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// Copies stderr into the log: warnings when the call failed, debug lines otherwise.
fn log_stderr(ended: &Ended, who: &Who<'_>) {
    let (stderr, failed) = match ended {
        Ended::Exited { code, stderr, .. } => (stderr, *code != 0),
        Ended::Signalled { stderr } | Ended::TimedOut { stderr } => (stderr, true),
    };
    for l in stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(MAX_LOG_LINES)
    {
        if failed {
            tracing::warn!(
                line = who.line,
                carrier = who.carrier,
                call = who.call,
                "stderr: {l}"
            );
        } else {
            tracing::debug!(
                line = who.line,
                carrier = who.carrier,
                call = who.call,
                "stderr: {l}"
            );
        }
    }
}

impl Ended {
    /// The last non-empty stderr line, for error messages.
    pub fn last_stderr(&self) -> Option<String> {
        let s = match self {
            Ended::Exited { stderr, .. }
            | Ended::Signalled { stderr }
            | Ended::TimedOut { stderr } => stderr,
        };
        s.lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim().to_string())
    }
}
