//! Fuzzes the config loader: arbitrary text and mutated valid configs go through parsing
//! and validation. Nothing may panic; every problem names a key or a position; a config
//! that validates can be scheduled without overflow.
//!
//! Cases per property: `PROPTEST_CASES` (default 1000, for CI). A long run:
//! `PROPTEST_CASES=100000 cargo test --release --test config_fuzz`.

use std::path::Path;

use chrono::{TimeZone, Utc};
use proptest::prelude::*;

use renewd::config::{self, Config, ConfigError};

const EXAMPLE: &str = include_str!("../config/renewd.example.toml");
const DEMO: &str = include_str!("../config/demo.toml");

/// A config with every kind of key set, each a target for mutation.
const RICH: &str = r#"[daemon]
state_dir = "state"
timezone = "America/New_York"
jitter = "2m"
max_concurrent_checks = 16
settle = "30m"
check_grace = "6h"
[budget]
monthly_cap = "150.00 USD"
[carriers.sim]
type = "simulated"
balance = "6.00 USD"
expires_in = "30d"
[carriers.air]
type = "reloadly"
client_id = "x"
client_secret_env = "S"
[[lines]]
id = "mom"
name = "Mom"
carrier = "air"
number = "+15551234567"
check = "0 */6 * * *"
operator_id = 1234
renews_on = "2026-12-15"
[lines.policy]
expires_within = "2d"
runs_out_within = "2d"
topup_amount = "25.00 USD"
monthly_cap = "60.00 USD"
plan_days = 30
[[lines]]
id = "pump"
carrier = "sim"
check = "every 6h"
[lines.policy]
balance_below = "5.00 USD"
data_below = "500 MB"
topup_package = "cheapest"
min_data = "1 GB"
"#;

/// Values that broke or could break parsers and arithmetic.
const NASTY: &[&str] = &[
    "\"100000000d\"",
    "\"18446744073709551615s\"",
    "\"99999999999999999999d\"",
    "\"0s\"",
    "\"-1d\"",
    "\"1e400\"",
    "\"9223372036854775807.99 USD\"",
    "\"-5.00 USD\"",
    "\"0.00 USD\"",
    "\"5.00 JPY\"",
    "\"500 JPY\"",
    "\"8000000000 TB\"",
    "\"1.0000000001 GB\"",
    "\"\"",
    "\" \"",
    "\"every 0s\"",
    "\"every 100000000d\"",
    "\"61 * * * *\"",
    "\"* * * * * * *\"",
    "\"9999-12-31\"",
    "\"0000-01-01\"",
    "\"2026-02-30\"",
    "9223372036854775807",
    "-9223372036854775808",
    "0",
    "-1",
    "1e308",
    "nan",
    "inf",
    "true",
    "[]",
    "{}",
    "[[]]",
    "\"\u{0}\"",
    "\"\u{202e}\"",
    "\"é\"",
    "\"+1\"",
    "\"Etc/GMT+14\"",
    "\"../../etc\"",
];

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

/// Validates `text`; every problem must name a key path or a position.
fn check(text: &str) {
    let path = Path::new("/nonexistent/renewd-fuzz.toml");
    match config::from_str(text, path) {
        Ok(c) => exercise(&c),
        Err(ConfigError::Invalid { problems, .. }) => {
            assert!(!problems.is_empty(), "invalid with no problem:\n{text}");
            for p in &problems {
                let names_key = !p.key.is_empty() && p.key != "(file)";
                assert!(
                    names_key || p.position.is_some(),
                    "problem without key or position: {p:?}\n{text}"
                );
                assert!(!p.message.is_empty(), "{p:?}");
            }
            let _ = config::render_problems(path, &problems);
        }
        Err(e) => panic!("unexpected error {e}"),
    }
}

/// What a running daemon computes from a config: none of it may overflow.
fn exercise(c: &Config) {
    let starts = [
        Utc.with_ymd_and_hms(2026, 12, 4, 5, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2099, 12, 31, 23, 59, 59).unwrap(),
    ];
    for line in &c.lines {
        for now in starts {
            let next = line.schedule.next_after(now, c.daemon.timezone);
            let _ = renewd::scheduler::next_due(&line.schedule, Some(now), now, c.daemon.timezone);
            assert!(next.is_none_or(|n| n > now), "{}: {next:?}", line.schedule);
        }
        let _ = format!("{line:?}");
        decide_on_extremes(c, line, starts[0]);
    }
}

/// `policy::decide` for the line on readings at the ends of their ranges.
fn decide_on_extremes(c: &Config, line: &renewd::config::Line, now: chrono::DateTime<Utc>) {
    use renewd::carriers::Reports;
    use renewd::model::Observation;
    use renewd::money::{Currency, DataSize, Money};
    let usd = Currency::new("USD").expect("USD");
    let reading = |at, minor: i64, kb: i64, years: i64| {
        let mut o = Observation::empty(at);
        o.balance = Some(Money::new(minor, usd));
        o.data = Some(DataSize { kb });
        o.expires_at = now.checked_add_signed(chrono::TimeDelta::days(365 * years));
        o
    };
    let history = [
        reading(now - chrono::TimeDelta::seconds(1), i64::MAX, i64::MAX, 10),
        reading(now, i64::MIN, i64::MIN, -10),
    ];
    for reports in [
        Reports {
            balance: true,
            data: true,
            expiry: true,
        },
        Reports {
            balance: false,
            data: false,
            expiry: false,
        },
    ] {
        let facts = renewd::policy::Facts {
            now,
            tz: c.daemon.timezone,
            observation: history.last(),
            history: &history,
            reports,
            open: None,
            last_confirmed: None,
            last_failed: None,
            settle: c.daemon.settle,
        };
        let _ = renewd::policy::decide(line, &facts);
    }
}

/// One edit of a valid config: a value replaced, a line dropped or doubled, a cut, a byte.
#[derive(Debug, Clone)]
enum Edit {
    Value(usize, usize),
    Drop(usize),
    Double(usize),
    Cut(usize),
    Insert(usize, char),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<usize>(), 0..NASTY.len()).prop_map(|(l, v)| Edit::Value(l, v)),
        1 => any::<usize>().prop_map(Edit::Drop),
        1 => any::<usize>().prop_map(Edit::Double),
        1 => any::<usize>().prop_map(Edit::Cut),
        1 => (any::<usize>(), any::<char>()).prop_map(|(at, c)| Edit::Insert(at, c)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for e in edits {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        match *e {
            Edit::Value(l, v) => {
                let line = &mut lines[l % n];
                if let Some((key, _)) = line.split_once(" = ") {
                    *line = format!("{key} = {}", NASTY[v]);
                }
            }
            Edit::Drop(l) => {
                lines.remove(l % n);
            }
            Edit::Double(l) => {
                let copy = lines[l % n].clone();
                lines.insert(l % n, copy);
            }
            Edit::Cut(l) => lines.truncate(l % n),
            Edit::Insert(l, c) => {
                let line = &mut lines[l % n];
                let at = line
                    .char_indices()
                    .map(|(i, _)| i)
                    .nth(l % (line.len() + 1))
                    .unwrap_or(line.len());
                line.insert(at, c);
            }
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        check(&text);
    }

    #[test]
    fn toml_shaped_text_never_panics(text in "(\\[{1,2}[a-z.]{0,12}\\]{1,2}\n|[a-z_]{1,16} = (\"[ -~]{0,20}\"|-?[0-9]{1,22}|true|\\[\\])\n){0,24}") {
        check(&text);
    }

    #[test]
    fn mutated_valid_configs_never_panic(base in 0..3usize, edits in prop::collection::vec(edit(), 1..6)) {
        let text = [RICH, DEMO, EXAMPLE][base];
        check(&apply(text, &edits));
    }
}

#[test]
fn the_bases_are_valid() {
    for text in [RICH, DEMO, EXAMPLE] {
        let c = config::from_str(text, Path::new("/nonexistent/r.toml"));
        assert!(c.is_ok(), "{c:?}");
    }
}
