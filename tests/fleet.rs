//! A fleet from a CSV inventory: `check` takes it, and `status` of more lines than a table
//! should hold shows the summary and only the lines that need a person.

mod common;

use chrono::Utc;
use common::Env;
use renewd::ledger::{Ledger, SqliteLedger};
use renewd::model::Observation;

const LINES: usize = 250;

fn fleet() -> Env {
    fleet_in("")
}

/// The fleet, with `daemon` keys first (e.g. `language = "zh-CN"`).
fn fleet_in(daemon: &str) -> Env {
    let env = Env::new(&format!(
        "{daemon}\n[carriers.sim]\ntype = \"simulated\"\n\
         [policies.small]\nbalance_below = \"1.00 USD\"\ntopup_amount = \"5.00 USD\"\n\
         [[inventory]]\nfile = \"sims.csv\"\ncarrier = \"sim\"\npolicy = \"small\"\n"
    ));
    let rows: String = (0..LINES).map(|i| format!("fleet-{i:03}\n")).collect();
    std::fs::write(env.dir.path().join("sims.csv"), format!("id\n{rows}")).unwrap();
    env
}

#[test]
fn check_takes_the_inventory_and_status_lists_only_lines_needing_a_person() {
    let env = fleet();
    let out = env.renewd(&["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(&format!("valid, {LINES} line(s)")), "{text}");
    {
        let ledger = SqliteLedger::open(&env.state()).unwrap();
        let now = Utc::now();
        for i in 0..LINES {
            let (id, sim) = (format!("fleet-{i:03}"), format!("line:fleet-{i:03}"));
            match i {
                7 => drop(
                    ledger
                        .record_check_failure(&id, now, "carrier down")
                        .unwrap(),
                ),
                9 => drop(ledger.set_paused(&id, &sim, Some(now)).unwrap()),
                _ => ledger
                    .record_observation(&id, &sim, &Observation::empty(now))
                    .unwrap(),
            }
        }
    }
    let out = env.renewd(&["status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("{LINES} lines, 2 need attention")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{LINES} lines: {} checked, 1 failing, 1 never checked",
            LINES - 1
        )),
        "{text}"
    );
    assert!(
        text.contains("fleet-007") && text.contains("fleet-009"),
        "{text}"
    );
    assert!(
        !text.contains("fleet-008"),
        "a line that holds is counted, not listed:\n{text}"
    );
    // One line, and JSON, still give every detail.
    let one = env.renewd(&["status", "fleet-008"]);
    assert!(String::from_utf8_lossy(&one.stdout).contains("fleet-008"));
    let json = env.renewd(&["status", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let lines = doc["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), LINES);
    assert!(lines[9]["paused_since"].is_string(), "{}", lines[9]);
    assert!(lines[8]["paused_since"].is_null(), "{}", lines[8]);
    assert_eq!(doc["needs_attention"], 2);
}

/// The fleet's summary reads in the daemon's language.
#[test]
fn the_fleet_summary_is_in_the_daemons_language() {
    let env = fleet_in("language = \"zh-CN\"");
    {
        let ledger = SqliteLedger::open(&env.state()).unwrap();
        ledger
            .record_check_failure("fleet-001", Utc::now(), "carrier down")
            .unwrap();
    }
    let out = env.renewd(&["status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "{LINES} 条线路：1 条已检查，1 条检查失败，{} 条从未检查",
            LINES - 1
        )),
        "{text}"
    );
    assert!(!text.contains("never checked"), "{text}");
}
