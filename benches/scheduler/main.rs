//! `cargo bench --bench scheduler`: renewd's scheduler against tokio-cron-scheduler on the
//! same lines. Each (scheduler, scenario) runs in a child process of this binary so memory
//! and CPU figures are its own; the parent prints one table.
//!
//! Knobs (environment): RENEWD_BENCH_LINES (100000), RENEWD_BENCH_IDLE_SECS (20),
//! RENEWD_BENCH_STEADY_SECS (120), RENEWD_BENCH_BURST_LEAD_SECS (15).

mod ours;
mod probe;
mod tcs;
mod work;

use std::collections::HashMap;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Timelike, Utc};

use work::{Due, Recorder};

const SCHEDULERS: [&str; 2] = ["renewd", "tokio-cron-scheduler"];
const SCENARIOS: [&str; 3] = ["load", "steady", "burst"];

fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("child") {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let out = rt.block_on(child(&args[2], &args[3]));
        println!(
            "{}",
            out.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        std::process::exit(0);
    }
    if !args.iter().any(|a| a == "--bench") {
        // `cargo test --all-targets` runs bench binaries without `--bench`: skip the minutes.
        eprintln!("scheduler benchmark: run it with `cargo bench --bench scheduler`");
        return;
    }
    let exe = std::env::current_exe().expect("own path");
    let mut results: HashMap<(&str, &str), HashMap<String, String>> = HashMap::new();
    for scenario in SCENARIOS {
        for sched in SCHEDULERS {
            eprintln!("running {sched} {scenario} ...");
            let out = Command::new(&exe)
                .args(["child", sched, scenario])
                .output()
                .expect("child runs");
            let text = String::from_utf8_lossy(&out.stdout);
            let line = text.lines().last().unwrap_or("");
            let kv = line
                .split_whitespace()
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.into(), v.into()));
            results.insert((sched, scenario), kv.collect());
        }
    }
    print_table(&results);
}

/// One measurement in a child process; returns key=value pairs for the parent.
async fn child(sched: &str, scenario: &str) -> Vec<(String, String)> {
    let n = knob("RENEWD_BENCH_LINES", 100_000) as usize;
    let rec = Arc::new(Recorder::new());
    let now = Utc::now();
    let dues: Vec<Due> = match scenario {
        "load" => vec![
            Due::Hourly {
                minute: (now.minute() + 30) % 60
            };
            n
        ],
        "steady" => (0..n)
            .map(|i| Due::EveryMinuteAt {
                second: (i % 60) as u32,
            })
            .collect(),
        _ => {
            let lead = knob("RENEWD_BENCH_BURST_LEAD_SECS", 15) as i64;
            let at = now.with_nanosecond(0).unwrap_or(now) + TimeDelta::seconds(lead);
            vec![Due::At(at); n]
        }
    };
    let rss0 = probe::rss_kib();
    let t0 = Instant::now();
    let keep = Loaded::start(sched, &dues, rec.clone()).await;
    let mut out = vec![("load_ms".into(), t0.elapsed().as_millis().to_string())];
    let rss1 = probe::rss_kib();
    out.push(("rss_kib".into(), rss1.to_string()));
    out.push((
        "rss_delta_kib".into(),
        rss1.saturating_sub(rss0).to_string(),
    ));
    match scenario {
        "load" => out.extend(idle(&rec).await),
        "steady" => out.extend(steady(&rec, n).await),
        _ => out.extend(burst(&rec, n, dues[0]).await),
    }
    drop(keep);
    out
}

/// Keeps a started scheduler alive.
enum Loaded {
    Renewd(#[allow(dead_code)] renewd::scheduler::Handle),
    Tcs(#[allow(dead_code)] tokio_cron_scheduler::JobScheduler),
}

impl Loaded {
    async fn start(sched: &str, dues: &[Due], rec: Arc<Recorder>) -> Loaded {
        if sched == "renewd" {
            let handle = ours::start(dues, rec);
            let mut snap = handle.snapshot.clone();
            let _ = snap.wait_for(|s| s.lines == dues.len()).await;
            Loaded::Renewd(handle)
        } else {
            Loaded::Tcs(tcs::start(dues, rec).await)
        }
    }
}

/// CPU use over the idle window, as % of one core.
async fn idle(rec: &Recorder) -> Vec<(String, String)> {
    let secs = knob("RENEWD_BENCH_IDLE_SECS", 20);
    let (ns0, ticks0) = (probe::cpu_ns(), probe::cpu_ticks());
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let (ns1, ticks1) = (probe::cpu_ns(), probe::cpu_ticks());
    let pct_ns = (ns1 - ns0) as f64 / (secs as f64 * 1e9) * 100.0;
    let pct_ticks = (ticks1 - ticks0) as f64 / (secs as f64 * 100.0) * 100.0;
    vec![
        ("idle_pct".into(), format!("{pct_ns:.4}")),
        ("idle_ticks_pct".into(), format!("{pct_ticks:.3}")),
        ("idle_fires".into(), rec.fires().to_string()),
    ]
}

/// Lateness of once-a-minute lines over the steady window (after 5 s of warm-up).
async fn steady(rec: &Recorder, n: usize) -> Vec<(String, String)> {
    let secs = knob("RENEWD_BENCH_STEADY_SECS", 120);
    let from = Utc::now() + TimeDelta::seconds(5);
    *rec.window.lock().unwrap() = (from, from + TimeDelta::seconds(secs as i64));
    tokio::time::sleep(Duration::from_secs(secs + 6)).await;
    let mut late = std::mem::take(&mut *rec.late_us.lock().unwrap());
    let fires = late.len();
    let (p50, p99, max) = probe::percentiles(&mut late);
    vec![
        ("p50_us".into(), p50.to_string()),
        ("p99_us".into(), p99.to_string()),
        ("max_us".into(), max.to_string()),
        ("window_fires".into(), fires.to_string()),
        ("window_expected".into(), (n as u64 * secs / 60).to_string()),
    ]
}

/// Fires delivered when every line is due in the same second (waiting up to 60 s).
async fn burst(rec: &Recorder, n: usize, due: Due) -> Vec<(String, String)> {
    let Due::At(at) = due else { return vec![] };
    *rec.window.lock().unwrap() = (at - TimeDelta::hours(1), at + TimeDelta::hours(1));
    let deadline = at + TimeDelta::seconds(60);
    while Utc::now() < deadline && rec.fires() < n as u64 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let fires = rec.fires();
    let last =
        rec.last_us.load(std::sync::atomic::Ordering::Relaxed) as i64 - at.timestamp_micros();
    let mut late = std::mem::take(&mut *rec.late_us.lock().unwrap());
    let (p50, _, _) = probe::percentiles(&mut late);
    vec![
        ("burst_fires".into(), fires.to_string()),
        ("burst_lost".into(), (n as i64 - fires as i64).to_string()),
        ("burst_p50_us".into(), p50.to_string()),
        ("burst_last_us".into(), last.to_string()),
    ]
}

/// (metric, renewd target, value for a scheduler)
type Row<'a> = (&'static str, String, Box<dyn Fn(&str) -> String + 'a>);

fn print_table(r: &HashMap<(&str, &str), HashMap<String, String>>) {
    let n = knob("RENEWD_BENCH_LINES", 100_000);
    let get = |s: &str, sc: &str, k: &str| -> String {
        r.get(&(s, sc))
            .and_then(|m| m.get(k))
            .cloned()
            .unwrap_or_else(|| "-".into())
    };
    let ms = |v: String| {
        v.parse::<f64>()
            .map(|x| format!("{:.1}", x / 1000.0))
            .unwrap_or(v)
    };
    let mib = |v: String| {
        v.parse::<f64>()
            .map(|x| format!("{:.1}", x / 1024.0))
            .unwrap_or(v)
    };
    let rows: Vec<Row> = vec![
        (
            "load time (ms)",
            "<= 500".into(),
            Box::new(|s| get(s, "load", "load_ms")),
        ),
        (
            "RSS after load (MiB)",
            "".into(),
            Box::new(|s| mib(get(s, "load", "rss_kib"))),
        ),
        (
            "RSS added by load (MiB)",
            "<= 32".into(),
            Box::new(|s| mib(get(s, "load", "rss_delta_kib"))),
        ),
        (
            "idle CPU, 20 s (% of a core, schedstat)",
            "<= 0.05".into(),
            Box::new(|s| get(s, "load", "idle_pct")),
        ),
        (
            "idle CPU (% of a core, stat ticks)",
            "".into(),
            Box::new(|s| get(s, "load", "idle_ticks_pct")),
        ),
        (
            "steady lateness p50 (ms)",
            "".into(),
            Box::new(|s| ms(get(s, "steady", "p50_us"))),
        ),
        (
            "steady lateness p99 (ms)",
            "<= 10".into(),
            Box::new(|s| ms(get(s, "steady", "p99_us"))),
        ),
        (
            "steady lateness max (ms)",
            "".into(),
            Box::new(|s| ms(get(s, "steady", "max_us"))),
        ),
        (
            "steady fires / expected",
            "".into(),
            Box::new(|s| {
                format!(
                    "{} / {}",
                    get(s, "steady", "window_fires"),
                    get(s, "steady", "window_expected")
                )
            }),
        ),
        (
            "burst: fires delivered",
            "".into(),
            Box::new(|s| get(s, "burst", "burst_fires")),
        ),
        (
            "burst: fires lost",
            "0".into(),
            Box::new(|s| get(s, "burst", "burst_lost")),
        ),
        (
            "burst: lateness p50 (ms)",
            "".into(),
            Box::new(|s| ms(get(s, "burst", "burst_p50_us"))),
        ),
        (
            "burst: last fire after due (ms)",
            "".into(),
            Box::new(|s| ms(get(s, "burst", "burst_last_us"))),
        ),
    ];
    println!("\nscheduler benchmark, {n} lines\n");
    println!(
        "| {:<42} | {:>12} | {:>20} | {:>13} |",
        "metric", "renewd", "tokio-cron-scheduler", "renewd target"
    );
    println!("|{:-<44}|{:->14}|{:->22}|{:->15}|", "", "", "", "");
    for (name, target, f) in rows {
        println!(
            "| {:<42} | {:>12} | {:>20} | {:>13} |",
            name,
            f("renewd"),
            f("tokio-cron-scheduler"),
            target
        );
    }
}
