//! Every duration, amount, count and size is bounded at validation: a value out of range
//! names its key and the allowed range, so nothing downstream can overflow.

use std::path::Path;

use super::{Problem, validate};

const SIM: &str = "[carriers.demo]\ntype = \"simulated\"\n";
const NCE: &str = "[carriers.iot]\ntype = \"1nce\"\nusername = \"u\"\npassword_env = \"P\"\n";
const AIRALO: &str =
    "[carriers.travel]\ntype = \"airalo\"\nclient_id = \"c\"\nclient_secret_env = \"S\"\n";

fn problems(text: &str) -> Vec<Problem> {
    match validate(text, Path::new("t.toml")) {
        Ok(_) => Vec::new(),
        Err(list) => list,
    }
}

/// A line whose policy is `policy` (must hold a trigger and a top-up) and line keys `extra`.
fn line(extra: &str, policy: &str) -> String {
    format!("{SIM}[[lines]]\nid = \"a\"\ncarrier = \"demo\"\n{extra}[lines.policy]\n{policy}")
}

const BUY: &str = "topup_amount = \"5.00 USD\"\n";
const TRIGGER: &str = "balance_below = \"1.00 USD\"\n";

#[test]
fn values_out_of_range_name_their_key_and_the_range() {
    let p = |s: &str| line("", s);
    let cases: Vec<(String, &str, &str)> = vec![
        (
            p(&format!("expires_within = \"100000000d\"\n{BUY}")),
            "lines[0].policy.expires_within",
            "at most 365d",
        ),
        (
            p(&format!("expires_within = \"366d\"\n{BUY}")),
            "lines[0].policy.expires_within",
            "at most 365d",
        ),
        (
            p(&format!(
                "runs_out_within = \"9999999999999999999s\"\n{BUY}"
            )),
            "lines[0].policy.runs_out_within",
            "at most",
        ),
        (
            p(&format!("runs_out_within = \"400d\"\n{BUY}")),
            "lines[0].policy.runs_out_within",
            "at most 365d",
        ),
        (
            p(&format!("balance_below = \"99999999999.00 USD\"\n{BUY}")),
            "lines[0].policy.balance_below",
            "at most 1000000000.00 USD",
        ),
        (
            p(&format!(
                "{TRIGGER}topup_amount = \"92233720368547758.07 USD\"\n"
            )),
            "lines[0].policy.topup_amount",
            "at most 1000000000.00 USD",
        ),
        (
            p(&format!(
                "{TRIGGER}{BUY}monthly_cap = \"5000000000.00 USD\"\n"
            )),
            "lines[0].policy.monthly_cap",
            "at most 1000000000.00 USD",
        ),
        (
            p(&format!("data_below = \"101 TB\"\n{BUY}")),
            "lines[0].policy.data_below",
            "at most 100 TB",
        ),
        (
            p(&format!("data_below = \"8000000000 TB\"\n{BUY}")),
            "lines[0].policy.data_below",
            "at most",
        ),
        (
            p(&format!("{TRIGGER}{BUY}plan_days = 100000000000\n")),
            "lines[0].policy.plan_days",
            "from 1 to 366",
        ),
        (
            line("check = \"every 100000000d\"\n", &format!("{TRIGGER}{BUY}")),
            "lines[0].check",
            "at most 365d",
        ),
        (
            line("check = \"every 366d\"\n", &format!("{TRIGGER}{BUY}")),
            "lines[0].check",
            "at most 365d",
        ),
        (
            line("renews_on = \"9999-12-31\"\n", &format!("{TRIGGER}{BUY}")),
            "lines[0].renews_on",
            "from 2000-01-01 to 2100-12-31",
        ),
        (
            line("renews_on = \"1900-01-01\"\n", &format!("{TRIGGER}{BUY}")),
            "lines[0].renews_on",
            "from 2000-01-01 to 2100-12-31",
        ),
        (
            line(
                &format!("name = \"{}\"\n", "x".repeat(201)),
                &format!("{TRIGGER}{BUY}"),
            ),
            "lines[0].name",
            "at most 200 characters",
        ),
        (
            line("", &format!("{TRIGGER}{BUY}"))
                .replace("id = \"a\"", &format!("id = \"{}\"", "a".repeat(65))),
            "lines[0].id",
            "at most 64 characters",
        ),
        (
            line("operator_id = 99999999999999\n", &format!("{TRIGGER}{BUY}")),
            "lines[0].operator_id",
            "from 1 to 1000000000",
        ),
        (
            format!("[daemon]\njitter = \"2d\"\n{SIM}"),
            "daemon.jitter",
            "at most 1d",
        ),
        (
            format!("[daemon]\nsettle = \"100000000d\"\n{SIM}"),
            "daemon.settle",
            "at most 30d",
        ),
        (
            format!("[daemon]\ncheck_grace = \"31d\"\n{SIM}"),
            "daemon.check_grace",
            "at most 30d",
        ),
        (
            format!("[daemon]\nkeep_readings = \"7d\"\n{SIM}"),
            "daemon.keep_readings",
            "write at least \"31d\"",
        ),
        (
            format!("[daemon]\nkeep_readings = \"4000d\"\n{SIM}"),
            "daemon.keep_readings",
            "at most 3650d",
        ),
        (
            format!("[daemon]\nmax_concurrent_checks = 10001\n{SIM}"),
            "daemon.max_concurrent_checks",
            "from 1 to 10000",
        ),
        (
            format!("[budget]\nmonthly_cap = \"1000000000.01 USD\"\n{SIM}"),
            "budget.monthly_cap",
            "at most 1000000000.00 USD",
        ),
        (
            format!("[budget]\nmonthly_cap = \"9999999999999 JPY\"\n{SIM}"),
            "budget.monthly_cap",
            "at most 1000000000 JPY",
        ),
        (
            format!("{NCE}max_requests_per_second = 0\n{SIM}"),
            "carriers.iot.max_requests_per_second",
            "from 1 to 10000",
        ),
        (
            format!("{AIRALO}max_requests_per_second = 10001\n{SIM}"),
            "carriers.travel.max_requests_per_second",
            "from 1 to 10000",
        ),
    ];
    for (text, key, fragment) in cases {
        let found = problems(&text);
        assert!(
            found
                .iter()
                .any(|p| p.key == key && p.message.contains(fragment)),
            "want {key}: ..{fragment}.. in {found:#?}\n{text}"
        );
    }
}

#[test]
fn values_at_the_edge_of_their_range_are_accepted() {
    let text = format!(
        "[daemon]\njitter = \"1d\"\nsettle = \"30d\"\ncheck_grace = \"30d\"\nmax_concurrent_checks = 10000\n\
         [budget]\nmonthly_cap = \"1000000000.00 USD\"\n{SIM}[[lines]]\nid = \"a\"\ncarrier = \"demo\"\n\
         check = \"every 365d\"\nrenews_on = \"2100-12-31\"\n[lines.policy]\nexpires_within = \"365d\"\n\
         runs_out_within = \"1s\"\ndata_below = \"100 TB\"\nbalance_below = \"1000000000.00 USD\"\n\
         topup_amount = \"1000000000.00 USD\"\nmonthly_cap = \"1000000000.00 USD\"\nplan_days = 366\n\
         {NCE}max_requests_per_second = 10000\n{AIRALO}max_requests_per_second = 1\n"
    );
    assert_eq!(problems(&text), Vec::new());
}

#[test]
fn a_config_file_larger_than_the_limit_is_refused_with_its_size() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.toml");
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(super::MAX_FILE_BYTES + 1).expect("grow");
    let err = super::load(&path).expect_err("too big").to_string();
    assert!(err.contains("at most 64 MiB"), "{err}");
}

#[test]
fn too_many_lines_are_refused_with_the_limit() {
    let mut text = String::from(SIM);
    for i in 0..=super::bounds::MAX_LINES {
        text.push_str(&format!(
            "[[lines]]\nid = \"l{i}\"\ncarrier = \"demo\"\n[lines.policy]\n{TRIGGER}{BUY}"
        ));
    }
    let found = problems(&text);
    assert!(
        found
            .iter()
            .any(|p| p.key == "lines" && p.message.contains("at most 100000 lines")),
        "{:?}",
        found.first()
    );
}
