//! Running the release `renewd` as a child: wall time and peak RSS (wait4's rusage), and
//! the resident set of a running daemon from /proc.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What one finished command cost.
pub struct Cost {
    pub secs: f64,
    pub peak_mib: f64,
    pub ok: bool,
}

/// The renewd binary cargo built for this benchmark, or `RENEWD_BENCH_BIN` (another build,
/// e.g. of an older commit, for a before/after table).
pub fn renewd() -> Command {
    let bin =
        std::env::var_os("RENEWD_BENCH_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_renewd").into());
    let mut c = Command::new(bin);
    c.env("RENEWD_BENCH_SECRET", "bench")
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR");
    c
}

/// Runs `renewd -c CONFIG ARGS...` to its end, output discarded.
pub fn measure(config: &Path, args: &[&str]) -> Cost {
    let start = Instant::now();
    let child = renewd()
        .arg("-c")
        .arg(config)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn renewd");
    let (status, rusage) = reap(child);
    Cost {
        secs: start.elapsed().as_secs_f64(),
        peak_mib: rusage.ru_maxrss as f64 / 1024.0,
        ok: status == 0,
    }
}

/// Waits for the child with wait4, for its own rusage (ru_maxrss in KiB on Linux).
pub fn reap(child: Child) -> (i32, libc::rusage) {
    let pid = child.id() as libc::pid_t;
    // SAFETY: rusage is plain data; wait4 fills it for our own child, reaped once here
    // (`Child` is dropped without waiting).
    let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut status = 0;
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut rusage) };
    assert_eq!(r, pid, "wait4: {}", std::io::Error::last_os_error());
    drop(child);
    (libc::WEXITSTATUS(status), rusage)
}

/// `VmRSS` and `VmHWM` of a running process, in MiB.
pub fn rss_mib(pid: u32) -> (f64, f64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Polls `cond` every 100 ms until it holds or `limit` passes.
pub fn wait_for(limit: Duration, cond: impl FnMut() -> bool) -> bool {
    wait_for_every(limit, Duration::from_millis(100), cond)
}

/// Polls `cond` every `every` until it holds or `limit` passes.
pub fn wait_for_every(limit: Duration, every: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(every);
    }
    false
}
