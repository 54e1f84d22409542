//! `cargo bench --bench fleet`: renewd with 1k / 10k / 100k lines, the real release binary
//! run as a child. Prints one table: config load (`renewd check`) time and peak RSS for a
//! TOML file and for a CSV inventory with a named policy, one daemon round (checks per
//! second, RSS after it, log lines, a /metrics scrape, a SIGHUP reload of the same file),
//! `status` times, and ledger bytes per line-day.
//!
//! `-- --quick` (or RENEWD_FLEET_SIZES=1000) runs 1k only, in seconds;
//! RENEWD_FLEET_SIZES=1000,10000,100000 picks the sizes; RENEWD_BENCH_BIN runs another
//! renewd binary (an older build, for a before/after table).

mod configs;
mod growth;
mod proc;
mod round;

use std::net::TcpListener;

use proc::{Cost, measure};

fn sizes(quick: bool) -> Vec<usize> {
    if quick {
        return vec![1000];
    }
    std::env::var("RENEWD_FLEET_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1000, 10_000, 100_000])
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        // `cargo test --all-targets` runs bench binaries without `--bench`.
        eprintln!("fleet benchmark: run it with `cargo bench --bench fleet [-- --quick]`");
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let mut rows = Vec::new();
    for n in sizes(quick) {
        eprintln!("fleet of {n} lines ...");
        rows.push(fleet(n));
    }
    let (week, later) = growth::bytes_per_line_day(if quick { 50 } else { 200 });
    print_table(&rows);
    println!(
        "ledger growth, data lines checked every 6h, every reading a change: {week:.0} \
         B/line-day in the first week, {later:.0} B/line-day after (downsampled); Reloadly \
         date lines store no reading, one `checks` row per line"
    );
}

struct Row {
    n: usize,
    toml: Cost,
    csv: Cost,
    round: round::Round,
    status: Cost,
    status_json: Cost,
    status_line: Cost,
    status_line_toml: Cost,
}

/// Every figure for one fleet size.
fn fleet(n: usize) -> Row {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state");
    let listen = free_port();
    let toml_cfg = configs::toml(dir.path(), n, &state);
    let csv_cfg = configs::csv(dir.path(), n, &state, Some(&listen));
    let toml = measure(&toml_cfg, &["check"]);
    let csv = measure(&csv_cfg, &["check"]);
    assert!(
        toml.ok && csv.ok,
        "renewd check refused the generated config"
    );
    let round = round::run(&csv_cfg, &state, n as u64, &listen);
    let line = format!("fleet-{:06}", n / 2);
    Row {
        n,
        toml,
        csv,
        round,
        status: measure(&csv_cfg, &["status"]),
        status_json: measure(&csv_cfg, &["status", "--json"]),
        status_line: measure(&csv_cfg, &["status", &line]),
        status_line_toml: measure(&toml_cfg, &["status", &line]),
    }
}

fn free_port() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").to_string()
}

fn print_table(rows: &[Row]) {
    let head = "| lines | check TOML | check CSV | run: checks/s | RSS after round | peak | log lines | /metrics | reload | status | status --json | status LINE (CSV / TOML) | ledger B/line |";
    println!("{head}");
    println!("{}", head.replace(|c| c != '|', "-").replace("||", "|-|"));
    for r in rows {
        let bad = |x: &Cost| if x.ok { "" } else { " (failed)" };
        let c = |x: &Cost| format!("{:.2} s, {:.0} MiB{}", x.secs, x.peak_mib, bad(x));
        let t = |x: &Cost| format!("{:.2} s{}", x.secs, bad(x));
        let o = &r.round;
        println!(
            "| {} | {} | {} | {:.0} | {:.0} MiB | {:.0} MiB | {} | {:.0} ms, {:.0} KiB | {:.2} s, {} rechecked | {} | {} | {} / {} | {:.0} |",
            r.n,
            c(&r.toml),
            c(&r.csv),
            o.checks_per_sec,
            o.rss_mib,
            o.peak_mib,
            o.log_lines,
            o.metrics_ms,
            o.metrics_kib,
            o.reload_secs,
            o.rechecked,
            c(&r.status),
            t(&r.status_json),
            t(&r.status_line),
            t(&r.status_line_toml),
            o.ledger_bytes as f64 / r.n as f64,
        );
    }
}
