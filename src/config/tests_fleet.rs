//! Named policies and CSV inventories: bad rows are reported as `sims.csv:LINE: column:
//! message`, good rows become lines that share one parsed policy.

use std::path::Path;
use std::sync::Arc;

use super::{Config, load, render_problems};

/// A reloadly carrier and a named date policy, the way a fleet writes them.
const HEAD: &str = "[carriers.air]\ntype = \"reloadly\"\nclient_id = \"x\"\nclient_secret_env = \"S\"\n\
    [policies.monthly-25]\nexpires_within = \"2d\"\nplan_days = 30\ntopup_amount = \"25.00 USD\"\n";

/// Writes the config (and `sims.csv` beside it) into a temp dir and loads it; errors come
/// back rendered, with the temp dir cut from the paths.
fn load_fleet(toml: &str, csv: impl AsRef<[u8]>) -> Result<Config, String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sims.csv"), csv).unwrap();
    let path = dir.path().join("renewd.toml");
    std::fs::write(&path, toml).unwrap();
    let prefix = format!("{}/", dir.path().display());
    load(&path).map_err(|e| match e {
        super::ConfigError::Invalid { path, problems } => {
            render_problems(&path, &problems).replace(&prefix, "")
        }
        other => other.to_string(),
    })
}

fn inventory(extra: &str) -> String {
    format!("{HEAD}[[inventory]]\nfile = \"sims.csv\"\n{extra}")
}

const HEADER: &str = "id,carrier,number,policy\n";

#[test]
fn each_bad_csv_names_file_line_column_and_fix() {
    let ok = "a,air,+15551234567,monthly-25\n";
    // (config, csv, expected fragment of the rendered problems)
    let mut table: Vec<(String, String, &str)> = vec![
        (
            inventory(""),
            format!(
                "id,carrier,number,policy,renew_on\n{}",
                "a,air,+15551234567,monthly-25,2026-12-15\n"
            ),
            "sims.csv:1: renew_on: is not a line key; did you mean \"renews_on\"?",
        ),
        (
            inventory(""),
            "carrier,number,policy\nair,+15551234567,monthly-25\n".into(),
            "sims.csv:1: the header has no id column; add one",
        ),
        (
            inventory(""),
            "id,number\na,+15551234567\n".into(),
            "sims.csv:1: the header has no carrier column; add one (or set carrier = \"...\" in this [[inventory]] for every row)",
        ),
        (
            inventory(""),
            "id,id,carrier,number,policy\n".into(),
            "sims.csv:1: id: is a second column of this name",
        ),
        (
            inventory(""),
            format!("{HEADER}{ok}b,air,+15551234568,monthly-2\n"),
            "sims.csv:3: policy: no policy named \"monthly-2\"; did you mean \"monthly-25\"?",
        ),
        (
            inventory(""),
            format!("{HEADER}{ok}b,air\n"),
            "sims.csv:3: has 2 fields but the header has 4",
        ),
        (
            inventory(""),
            format!("{HEADER}a,air,555-1234,monthly-25\n"),
            "sims.csv:2: number: \"555-1234\" is not an E.164 number",
        ),
        (
            inventory(""),
            format!("{HEADER}a,air,,monthly-25\n"),
            "sims.csv:2: number: is needed for a reloadly line",
        ),
        (
            inventory(""),
            format!("{HEADER},air,+15551234567,monthly-25\n"),
            "sims.csv:2: id: is empty; every line needs one",
        ),
        (
            inventory(""),
            format!("{HEADER}A b,air,+15551234567,monthly-25\n"),
            "sims.csv:2: id: \"A b\" may only hold a-z, 0-9 and -",
        ),
        (
            inventory(""),
            format!("{HEADER}a,airr,+15551234567,monthly-25\n"),
            "sims.csv:2: carrier: no carrier named \"airr\"; did you mean \"air\"?",
        ),
        (
            inventory(""),
            format!("{HEADER}{ok}a,air,+15551234568,monthly-25\n"),
            "sims.csv:3: id: \"a\" is used by an earlier line (sims.csv:2)",
        ),
        (
            inventory(""),
            format!("{HEADER}{ok}b,air,+15551234567,monthly-25\n"),
            "sims.csv:3: line \"b\" is on the same SIM (number:+15551234567) as line \"a\"",
        ),
        (
            inventory(""),
            "id,carrier,number,policy,renews_on\na,air,+15551234567,monthly-25,2026-13-01\n".into(),
            "sims.csv:2: renews_on: \"2026-13-01\" is not a date; write YYYY-MM-DD",
        ),
        (
            inventory(""),
            "id,carrier,number,policy,operator_id\na,air,+15551234567,monthly-25,12x\n".into(),
            "sims.csv:2: operator_id: \"12x\" is not a number",
        ),
        (
            inventory(""),
            "id,carrier,number,policy,check\na,air,+15551234567,monthly-25,every\n".into(),
            "sims.csv:2: check: \"every\" is neither",
        ),
        (
            inventory(""),
            format!("{HEADER}a,air,+15551234567,monthly-25\n\"b,air\n"),
            "sims.csv:3: has 1 fields but the header has 4",
        ),
        // A TOML line and a row clash; the row names the TOML line's place.
        (
            format!(
                "{}[[lines]]\nid = \"a\"\ncarrier = \"air\"\nnumber = \"+15550000000\"\npolicy = \"monthly-25\"\n",
                inventory("")
            ),
            format!("{HEADER}{ok}"),
            "sims.csv:2: id: \"a\" is used by an earlier line (lines[0])",
        ),
        // The inventory entry itself, in the TOML file.
        (
            format!("{HEAD}[[inventory]]\nfile = \"fleet.csv\"\n"),
            HEADER.into(),
            "renewd.toml:10:8: inventory[0].file: cannot read fleet.csv",
        ),
        (
            inventory("policy = \"monthly\"\n"),
            "id,carrier,number\n".into(),
            "renewd.toml:11:10: inventory[0].policy: no policy named \"monthly\"; add a [policies.monthly] table or use one of: monthly-25",
        ),
        (
            inventory("carrier = \"airtime\"\n"),
            HEADER.into(),
            "inventory[0].carrier: no carrier named \"airtime\"; use one of: air",
        ),
    ];
    table.push((
        inventory(""),
        "id,carrier,number,policy,name\na,air,+15551234567,monthly-25,\"Truck\r\nBcc: x@example.com\"\n".into(),
        "sims.csv:2: name: \"Truck\\r\\nBcc: x@example.com\" holds a line break",
    ));
    for (toml, csv, want) in table {
        let got = match load_fleet(&toml, &csv) {
            Ok(c) => panic!(
                "expected {want:?}, got a valid config with {} lines\n{csv}",
                c.lines.len()
            ),
            Err(e) => e,
        };
        assert!(
            got.contains(want),
            "expected {want:?} in:\n{got}\n--- csv:\n{csv}"
        );
    }
}

#[test]
fn rows_become_lines_that_share_one_policy() {
    let csv = "\u{feff}ID,Name,Number,renews_on\n\
               fleet-1,\"Truck 1, north\",+15551230001,2026-12-15\n\
               fleet-2,,+15551230002,\n";
    let c = load_fleet(
        &inventory("carrier = \"air\"\npolicy = \"monthly-25\"\n"),
        csv,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.lines.len(), 2);
    let (a, b) = (&c.lines[0], &c.lines[1]);
    assert_eq!(
        (a.id.as_str(), a.name.as_str()),
        ("fleet-1", "Truck 1, north")
    );
    assert_eq!((b.id.as_str(), b.name.as_str()), ("fleet-2", "fleet-2"));
    assert_eq!(a.carrier, "air");
    assert_eq!(
        a.renews_on.map(|d| d.to_string()).as_deref(),
        Some("2026-12-15")
    );
    assert_eq!(b.renews_on, None);
    assert!(
        Arc::ptr_eq(&a.policy, &b.policy),
        "one parsed policy for the fleet"
    );
    assert_eq!(a.policy.plan_days, Some(30));
}

/// A family of five lines with one policy: the named form is shorter and means the same.
#[test]
fn a_family_config_gets_shorter() {
    let carrier = "[carriers.demo]\ntype = \"simulated\"\n";
    let policy =
        "balance_below = \"5.00 USD\"\ntopup_amount = \"25.00 USD\"\nmonthly_cap = \"60.00 USD\"\n";
    let line = |i: usize| format!("[[lines]]\nid = \"kid-{i}\"\ncarrier = \"demo\"\n");
    let own: String = (1..=5)
        .map(|i| format!("{}[lines.policy]\n{policy}", line(i)))
        .collect();
    let named: String = (1..=5)
        .map(|i| format!("{}policy = \"family\"\n", line(i)))
        .collect();
    let own = format!("{carrier}{own}");
    let named = format!("{carrier}[policies.family]\n{policy}{named}");
    let (a, b) = (
        load_fleet(&own, "").unwrap(),
        load_fleet(&named, "").unwrap(),
    );
    assert!(
        named.lines().count() < own.lines().count() * 3 / 4,
        "{named}"
    );
    for (x, y) in a.lines.iter().zip(&b.lines) {
        assert_eq!((&x.id, &*x.policy), (&y.id, &*y.policy));
    }
    assert!(Arc::ptr_eq(&b.lines[0].policy, &b.lines[4].policy));
}

#[test]
fn named_policy_mistakes_are_reported_once_where_written() {
    let carrier = "[carriers.demo]\ntype = \"simulated\"\n";
    let lines: String = (1..=3)
        .map(|i| format!("[[lines]]\nid = \"l{i}\"\ncarrier = \"demo\"\npolicy = \"p\"\n"))
        .collect();
    let text = format!(
        "{carrier}[policies.p]\nbalance_below = \"5 USD\"\ntopup_amount = \"25.00 USD\"\n{lines}"
    );
    let err = load_fleet(&text, "").unwrap_err();
    assert_eq!(err.matches("needs 2 decimals").count(), 1, "{err}");
    assert!(
        err.contains("renewd.toml:4:17: policies.p.balance_below"),
        "{err}"
    );
    let typo = format!(
        "{carrier}[policies.p]\nbalance_below = \"5.00 USD\"\ntopup_amount = \"25.00 USD\"\n[[lines]]\nid = \"a\"\ncarrier = \"demo\"\npolicy = \"q\"\n"
    );
    let err = load_fleet(&typo, "").unwrap_err();
    assert!(
        err.contains("renewd.toml:9:10: lines[0].policy: no policy named \"q\""),
        "{err}"
    );
    let bad_name = format!(
        "{carrier}[policies.Big]\nbalance_below = \"5.00 USD\"\ntopup_amount = \"25.00 USD\"\n[[lines]]\nid = \"a\"\ncarrier = \"demo\"\npolicy = \"Big\"\n"
    );
    assert!(
        load_fleet(&bad_name, "")
            .unwrap_err()
            .contains("policies.Big: \"Big\" may only hold")
    );
}

#[test]
fn unused_named_policy_warns() {
    let text = "[carriers.demo]\ntype = \"simulated\"\n[policies.spare]\nbalance_below = \"5.00 USD\"\ntopup_amount = \"25.00 USD\"\n";
    let c = super::validate(text, Path::new("t.toml")).unwrap();
    assert!(
        c.warnings
            .iter()
            .any(|w| w.key == "policies.spare" && w.message.contains("no line uses this policy")),
        "{:#?}",
        c.warnings
    );
}

#[test]
fn a_row_that_is_not_utf8_is_named_and_the_rest_still_read() {
    let csv =
        b"id,carrier,number,policy\na,air,+1555\xff1234567,monthly-25\nb,air,555,monthly-25\n";
    let err = load_fleet(&inventory(""), csv).unwrap_err();
    assert!(
        err.contains("sims.csv:2: is not UTF-8 text; save the file as UTF-8 CSV"),
        "{err}"
    );
    assert!(
        err.contains("sims.csv:3: number: \"555\" is not an E.164 number"),
        "{err}"
    );
}

/// Per-line `/metrics` series are on by default up to 1000 lines, off above, and the
/// setting wins either way.
#[test]
fn per_line_metrics_default_follows_the_line_count() {
    let rows = |n: usize| -> String {
        let body: String = (0..n)
            .map(|i| format!("l{i},air,+1555{i:07},monthly-25\n"))
            .collect();
        format!("{HEADER}{body}")
    };
    let per_line = |extra: &str, n: usize| {
        let toml = format!("[daemon]\n{extra}\n{}", inventory(""));
        load_fleet(&toml, rows(n)).unwrap().daemon.metrics_per_line
    };
    assert!(per_line("", 1000));
    assert!(!per_line("", 1001));
    assert!(per_line("metrics_per_line = true", 1001));
    assert!(!per_line("metrics_per_line = false", 3));
}

/// `status LINE` reads one line: the others are skipped, not checked or kept.
#[test]
fn loading_one_line_skips_the_other_rows() {
    let dir = tempfile::tempdir().unwrap();
    let csv = format!(
        "{HEADER}a,air,+15551234567,monthly-25\nb,air,+15551234568,monthly-25\nc,air,bad,monthly-25\n"
    );
    std::fs::write(dir.path().join("sims.csv"), csv).unwrap();
    let path = dir.path().join("renewd.toml");
    let toml = format!(
        "{}[[lines]]\nid = \"t\"\ncarrier = \"air\"\nnumber = \"+15550000000\"\npolicy = \"monthly-25\"\n",
        inventory("")
    );
    std::fs::write(&path, toml).unwrap();
    assert!(load(&path).is_err(), "row c is invalid");
    for id in ["b", "t"] {
        let c = super::load_line(&path, id).unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<&str> = c.lines.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, [id]);
    }
}
