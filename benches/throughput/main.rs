//! `cargo bench --bench throughput`: check throughput of the real `renewd run` against local
//! servers speaking 1NCE's and Airalo's documented APIs (tests/common), which hold every
//! reply 50 ms and enforce a rate limit server-side (429 beyond it). N lines are due at
//! once with `max_concurrent_checks = 16`. Prints one table: the bound (the smaller of
//! 16 / 50 ms = 320 checks/s and the limit the server enforces), the measured checks/s,
//! its share of the bound, and the 429s the server gave.
//!
//! Checks/s is the slope of a least-squares line through the arrival times of the
//! successful reads at the server (one per check): the pace the fleet drains at, which
//! the burst a sliding window allows at the start, or the tail, does not skew.
//!
//! `-- --quick` runs small fleets, in seconds (CI, debug build); RENEWD_BENCH_BIN runs
//! another renewd binary (an older build, for a before/after table).

#[allow(dead_code)]
#[path = "../../tests/common/airalo_server.rs"]
mod airalo_server;
#[allow(dead_code)]
#[path = "../../tests/common/fake.rs"]
mod fake;
#[allow(dead_code)]
#[path = "../../tests/common/onence_server.rs"]
mod onence_server;
mod run;

use std::time::Duration;

use run::{Kind, Row, Scenario};

/// Each check's one read waits this long for its reply.
pub const LATENCY: Duration = Duration::from_millis(50);
/// The daemon's `max_concurrent_checks`.
pub const CONCURRENCY: usize = 16;

/// The scenarios; `quick` shrinks the fleets to a few seconds each.
fn scenarios(quick: bool) -> Vec<Scenario> {
    let n = |full: usize, small: usize| if quick { small } else { full };
    vec![
        Scenario {
            name: "1NCE, documented 10/s",
            kind: Kind::OneNce,
            lines: n(300, 40),
            server_limit: 10,
            client_limit: None,
        },
        Scenario {
            name: "Airalo, documented 5/s",
            kind: Kind::Airalo,
            lines: n(150, 20),
            server_limit: 5,
            client_limit: None,
        },
        Scenario {
            name: "1NCE, max_requests_per_second = 1000",
            kind: Kind::OneNce,
            lines: n(3000, 320),
            server_limit: 1000,
            client_limit: Some(1000),
        },
        Scenario {
            name: "1NCE server stricter than its docs (5/s)",
            kind: Kind::OneNce,
            lines: n(150, 20),
            server_limit: 5,
            client_limit: None,
        },
    ]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        // `cargo test --all-targets` runs bench binaries without `--bench`.
        eprintln!(
            "throughput benchmark: run it with `cargo bench --bench throughput [-- --quick]`"
        );
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let mut rows = Vec::new();
    for s in scenarios(quick) {
        eprintln!("{}: {} lines ...", s.name, s.lines);
        rows.push(rt.block_on(run::run(&s)));
    }
    print_table(&rows);
}

fn print_table(rows: &[Row]) {
    let head = "| scenario | lines | max_concurrent_checks | latency | bound | checks/s | % of bound | 429s | checks failed | took |";
    println!("{head}");
    println!("{}", head.replace(|c| c != '|', "-").replace("||", "|-|"));
    for r in rows {
        println!(
            "| {} | {} | {CONCURRENCY} | {} ms | {:.0}/s | {:.1} | {:.0}% | {} | {} | {:.1} s |",
            r.name,
            r.lines,
            LATENCY.as_millis(),
            r.bound,
            r.per_sec,
            r.per_sec * 100.0 / r.bound,
            r.rate_limited,
            r.failing,
            r.took,
        );
    }
}
