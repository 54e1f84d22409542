//! Config validation, table-driven: each bad config names its key path, its position and
//! what to write instead; all value problems come back at once; the shipped examples pass.

use std::path::Path;

use super::locate::{entries, key_offset, line_col};
use super::{Config, Problem, TopUpChoice, validate};

/// A simulated carrier and a valid line, to break one piece at a time.
const SIM: &str = "[carriers.demo]\ntype = \"simulated\"\n";
const LINE: &str = "[[lines]]\nid = \"a\"\ncarrier = \"demo\"\n[lines.policy]\nbalance_below = \"5.00 USD\"\ntopup_amount = \"25.00 USD\"\n";

fn problems(text: &str) -> Vec<Problem> {
    match validate(text, Path::new("t.toml")) {
        Ok(_) => Vec::new(),
        Err(list) => list,
    }
}

fn valid(text: &str) -> Config {
    validate(text, Path::new("t.toml")).unwrap_or_else(|e| panic!("expected valid, got {e:#?}"))
}

/// A valid line with this id and top-up amount (6 lines of text).
fn line(id: &str, amount: &str) -> String {
    format!(
        "[[lines]]\nid = \"{id}\"\ncarrier = \"demo\"\n[lines.policy]\nbalance_below = \"5.00 USD\"\ntopup_amount = \"{amount}\"\n"
    )
}

/// (config text, key path, line:col or None, message fragment)
type Case = (String, &'static str, Option<(usize, usize)>, &'static str);

fn cases() -> Vec<Case> {
    let s = |x: &str| x.to_string();
    let with_policy = |extra: &str| {
        format!("{SIM}[[lines]]\nid = \"a\"\ncarrier = \"demo\"\n[lines.policy]\n{extra}")
    };
    let with_line = |extra: &str| {
        format!(
            "{SIM}[[lines]]\nid = \"a\"\ncarrier = \"demo\"\n{extra}[lines.policy]\nbalance_below = \"5.00 USD\"\ntopup_amount = \"25.00 USD\"\n"
        )
    };
    vec![
        // Syntax and shape (serde): one at a time.
        (
            s("[daemon\nstate_dir = \"x\"\n"),
            "(file)",
            Some((1, 8)),
            "not valid TOML",
        ),
        (
            with_policy("balance_bellow = \"5.00 USD\"\n"),
            "lines[0].policy.balance_bellow",
            Some((7, 1)),
            "did you mean balance_below?",
        ),
        (
            s("[deamon]\n"),
            "deamon",
            Some((1, 2)),
            "did you mean daemon?",
        ),
        (
            s("[carriers.travel]\ntype = \"airalo\"\nclient_id = \"x\"\nclient_secert = \"y\"\n"),
            "carriers.travel.client_secert",
            Some((4, 1)),
            "did you mean client_secret?",
        ),
        (
            s("[carriers.travel]\ntype = \"airalox\"\n"),
            "carriers.travel.type",
            Some((2, 8)),
            "did you mean airalo?",
        ),
        (
            s("[carriers.travel]\nclient_id = \"x\"\n"),
            "carriers.travel.type",
            Some((1, 1)),
            "is required; e.g. type = \"simulated\"",
        ),
        (
            s("[[lines]]\nid = \"a\"\n[lines.policy]\n"),
            "lines[0].carrier",
            Some((1, 1)),
            "is required; e.g. carrier =",
        ),
        (
            s("[daemon]\ndry_run = \"yes\"\n"),
            "daemon.dry_run",
            Some((2, 11)),
            "must be a boolean",
        ),
        (
            s("[carriers.demo]\ntype = \"simulated\"\nfailure_rate = \"x\"\n"),
            "carriers.demo.failure_rate",
            Some((3, 16)),
            "must be a number",
        ),
        (
            format!(
                "{SIM}{LINE}[email]\nsmtp_url = \"smtps://h:465\"\nfrom = \"a@b.c\"\nto = \"me@example.com\"\n"
            ),
            "email.to",
            Some((12, 6)),
            "must be a list",
        ),
        // Values: amounts, sizes, durations, schedules, time zone.
        (
            format!(
                "{SIM}{}{}{}",
                line("a", "25.00 USD"),
                line("b", "25.00 USD"),
                line("c", "25 USD")
            ),
            "lines[2].policy.topup_amount",
            Some((20, 16)),
            "needs 2 decimals, e.g. \"25.00 USD\"",
        ),
        (
            with_policy("data_below = \"500 mb\"\ntopup_amount = \"5.00 USD\"\n"),
            "lines[0].policy.data_below",
            Some((7, 14)),
            "is not a unit; use KB, MB or GB",
        ),
        (
            with_policy("expires_within = \"2 days\"\ntopup_amount = \"5.00 USD\"\n"),
            "lines[0].policy.expires_within",
            Some((7, 18)),
            "e.g. \"30m\"",
        ),
        (
            with_line("check = \"61 * * * *\"\n"),
            "lines[0].check",
            Some((6, 9)),
            "not a valid cron pattern",
        ),
        (
            format!("[daemon]\ntimezone = \"Mars/Olympus\"\n{SIM}"),
            "daemon.timezone",
            Some((2, 12)),
            "e.g. \"America/New_York\"",
        ),
        (
            s("[budget]\nmonthly_cap = \"150 USD\"\n"),
            "budget.monthly_cap",
            Some((2, 15)),
            "needs 2 decimals",
        ),
        (
            with_policy(
                "balance_below = \"5.00 USD\"\ntopup_amount = \"5.00 USD\"\nplan_days = 0\n",
            ),
            "lines[0].policy.plan_days",
            Some((9, 13)),
            "e.g. 30",
        ),
        (
            with_line("number = \"555-1234\"\n"),
            "lines[0].number",
            Some((6, 10)),
            "e.g. \"+15551234567\"",
        ),
        // Cross-field checks.
        (
            format!(
                "{SIM}[[lines]]\nid = \"a\"\ncarrier = \"dmeo\"\n[lines.policy]\nbalance_below = \"5.00 USD\"\ntopup_amount = \"5.00 USD\"\n"
            ),
            "lines[0].carrier",
            Some((5, 11)),
            "no carrier named \"dmeo\"; did you mean \"demo\"?",
        ),
        (
            with_line("status_from = \"demo\"\n"),
            "lines[0].status_from",
            Some((6, 15)),
            "names this line's own carrier",
        ),
        (
            with_line("status_from = \"usb\"\n"),
            "lines[0].status_from",
            Some((6, 15)),
            "no carrier named \"usb\"",
        ),
        (
            format!("{SIM}{LINE}{LINE}"),
            "lines[1].id",
            Some((10, 6)),
            "used by an earlier line",
        ),
        (
            format!("{SIM}{LINE}").replace("id = \"a\"", "id = \"Mom_Phone\""),
            "lines[0].id",
            Some((4, 6)),
            "may only hold a-z, 0-9 and -",
        ),
        (
            with_policy("topup_amount = \"5.00 USD\"\n"),
            "lines[0].policy",
            Some((6, 1)),
            "has no trigger",
        ),
        (
            with_policy("balance_below = \"5.00 USD\"\n"),
            "lines[0].policy",
            Some((6, 1)),
            "says nothing to buy",
        ),
        (
            with_policy("data_below = \"1 GB\"\ntopup_package = \"cheapest\"\n"),
            "lines[0].policy.min_data",
            Some((6, 1)),
            "e.g. min_data = \"1 GB\"",
        ),
        (
            with_policy("data_below = \"1 GB\"\ntopup_package = \"p1\"\nmin_data = \"1 GB\"\n"),
            "lines[0].policy.min_data",
            Some((9, 12)),
            "only used with topup_package = \"cheapest\"",
        ),
        (
            with_policy(
                "data_below = \"1 GB\"\ntopup_package = \"cheapest\"\nmin_data = \"1 GB\"\ntopup_amount = \"9.00 USD\"\n",
            ),
            "lines[0].policy.topup_amount",
            Some((10, 16)),
            "cannot go with topup_package = \"cheapest\"",
        ),
        (
            with_policy(
                "balance_below = \"5.00 USD\"\ntopup_amount = \"5.00 USD\"\nmonthly_cap = \"50.00 EUR\"\n",
            ),
            "lines[0].policy.topup_amount",
            Some((8, 16)),
            "this line's monthly_cap is in EUR",
        ),
        (
            format!("[budget]\nmonthly_cap = \"100.00 EUR\"\n{SIM}{LINE}"),
            "lines[0].policy.topup_amount",
            Some((10, 16)),
            "budget.monthly_cap is in EUR",
        ),
        (
            with_policy(
                "balance_below = \"5.00 USD\"\ntopup_amount = \"25.00 USD\"\nmonthly_cap = \"20.00 USD\"\n",
            ),
            "lines[0].policy.topup_amount",
            Some((8, 16)),
            "could never be bought",
        ),
        (
            with_policy("balance_below = \"5.00 EUR\"\ntopup_amount = \"5.00 USD\"\n"),
            "lines[0].policy.balance_below",
            Some((7, 17)),
            "must share a currency",
        ),
        (
            with_line("operator_id = 1234\n"),
            "lines[0].operator_id",
            Some((6, 15)),
            "only reloadly lines use operator_id",
        ),
        // Carrier-specific needs.
        (
            s(
                "[carriers.travel]\ntype = \"airalo\"\nclient_id = \"x\"\nclient_secret_env = \"S\"\n[[lines]]\nid = \"t\"\ncarrier = \"travel\"\n[lines.policy]\ndata_below = \"1 GB\"\ntopup_package = \"p1\"\n",
            ),
            "lines[0].iccid",
            Some((5, 1)),
            "is needed for a airalo line",
        ),
        (
            s("[carriers.travel]\ntype = \"airalo\"\nclient_id = \"x\"\n"),
            "carriers.travel.client_secret",
            Some((1, 1)),
            "client_secret_file =",
        ),
        (
            s(
                "[carriers.top]\ntype = \"reloadly\"\nclient_id = \"x\"\nclient_secret_env = \"S\"\n[[lines]]\nid = \"t\"\ncarrier = \"top\"\nnumber = \"+15551234567\"\n[lines.policy]\nbalance_below = \"1.00 USD\"\ntopup_package = \"p\"\n",
            ),
            "lines[0].policy.topup_package",
            Some((11, 17)),
            "sends airtime amounts, not packages",
        ),
        (
            s(
                "[carriers.d]\ntype = \"dingconnect\"\napi_key_env = \"K\"\n[[lines]]\nid = \"t\"\ncarrier = \"d\"\nnumber = \"+15551234567\"\n[lines.policy]\nbalance_below = \"1.00 USD\"\ntopup_amount = \"5.00 USD\"\n",
            ),
            "lines[0].sku_code",
            Some((4, 1)),
            "e.g. sku_code =",
        ),
        (
            s(
                "[carriers.iot]\ntype = \"1nce\"\nusername = \"u\"\npassword_env = \"P\"\n[[lines]]\nid = \"t\"\ncarrier = \"iot\"\niccid = \"8988280666000000001\"\n[lines.policy]\ndata_below = \"50 MB\"\n",
            ),
            "lines[0].policy.topup_amount",
            Some((9, 1)),
            "price of the tariff's fixed top-up",
        ),
        (
            s(
                "[carriers.travel]\ntype = \"airalo\"\nclient_id = \"x\"\nclient_secret_env = \"S\"\nbase_url = \"partners-api.airalo.com\"\n",
            ),
            "carriers.travel.base_url",
            Some((5, 12)),
            "is not an http(s) URL",
        ),
        (
            s(
                "[carriers.modem]\ntype = \"command\"\nstatus = [\"/bin/s\"]\ntimeout = \"30 sec\"\n",
            ),
            "carriers.modem.timeout",
            Some((4, 11)),
            "e.g. \"30m\"",
        ),
        (
            format!(
                "{SIM}{LINE}[email]\nsmtp_url = \"smtps://h:465\"\nfrom = \"renewd@example.com\"\nto = [\"not an address\"]\n"
            ),
            "email.to[0]",
            Some((12, 7)),
            "is not an email address",
        ),
    ]
}

#[test]
fn each_bad_config_names_key_position_and_fix() {
    let all = cases();
    assert!(all.len() >= 20);
    for (text, key, pos, fragment) in all {
        let found = problems(&text);
        let hit = found.iter().find(|p| p.key == key);
        let Some(p) = hit else {
            panic!("no problem at {key} in\n{text}\ngot {found:#?}")
        };
        assert!(
            p.message.contains(fragment),
            "{key}: {:?} lacks {fragment:?}",
            p.message
        );
        if let Some(pos) = pos {
            assert_eq!(
                p.position,
                Some(pos),
                "{key}: position, message {:?}\n{text}",
                p.message
            );
        }
    }
}

#[test]
fn five_independent_mistakes_come_back_together() {
    let text = "[daemon]\ntimezone = \"Europe/Nowhere\"\njitter = \"2 min\"\n[carriers.demo]\ntype = \"simulated\"\n\
                [[lines]]\nid = \"a\"\ncarrier = \"demo\"\ncheck = \"every often\"\n[lines.policy]\n\
                balance_below = \"5 USD\"\ntopup_amount = \"25.00 USD\"\n\
                [[lines]]\nid = \"b\"\ncarrier = \"nope\"\n[lines.policy]\nbalance_below = \"5.00 USD\"\ntopup_amount = \"25.00 USD\"\n";
    let found = problems(text);
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    let want = [
        "daemon.timezone",
        "daemon.jitter",
        "lines[0].check",
        "lines[0].policy.balance_below",
        "lines[1].carrier",
    ];
    assert_eq!(keys.len(), 5, "{found:#?}");
    for k in want {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }
    assert!(found.iter().all(|p| p.position.is_some()), "{found:#?}");
}

#[test]
fn rendered_messages_read_file_line_col_key_message() {
    let err = super::from_str(
        &format!("{SIM}{LINE}").replace("25.00 USD", "25 USD"),
        Path::new("/etc/renewd/renewd.toml"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "/etc/renewd/renewd.toml:8:16: lines[0].policy.topup_amount: \"25 USD\" needs 2 decimals, e.g. \"25.00 USD\""
    );
}

#[test]
fn key_paths_find_array_of_tables_and_carrier_keys() {
    let text = format!(
        "[carriers.travel]\ntype = \"airalo\"\nclient_id = \"x\"\nclient_secret_file = \"/s\"\n{LINE}{LINE}{LINE}"
    );
    let all = entries(&text).expect("valid toml");
    let at = |key: &str| key_offset(&all, key).map(|o| line_col(&text, o));
    assert_eq!(at("carriers.travel.client_secret_file"), Some((4, 22)));
    assert_eq!(at("lines[2].policy.topup_amount"), Some((22, 16)));
    assert_eq!(
        at("lines[2].policy.plan_days"),
        Some((20, 1)),
        "a missing key points at its table"
    );
    assert_eq!(at("lines[1]"), Some((11, 1)));
}

#[test]
fn a_valid_line_becomes_typed_values() {
    let text = format!(
        "{SIM}[[lines]]\nid = \"a\"\ncarrier = \"demo\"\n[lines.policy]\ndata_below = \"1.5 GB\"\n\
         topup_package = \"p1\"\ntopup_amount = \"4.50 USD\"\n"
    );
    let config = valid(&text);
    let line = &config.lines[0];
    assert_eq!(line.name, "a", "the name defaults to the id");
    assert_eq!(
        line.schedule.to_string(),
        "every 6h",
        "the default schedule"
    );
    assert_eq!(line.policy.data_below.map(|d| d.kb), Some(1536 * 1024));
    let price = "4.50 USD".parse().ok();
    assert_eq!(
        line.policy.topup,
        TopUpChoice::Package {
            id: "p1".into(),
            price
        }
    );
    assert_eq!(config.daemon.settle.as_secs(), 30 * 60);
    assert_eq!(config.daemon.check_grace.as_secs(), 6 * 3600);
}

#[test]
fn state_dir_is_resolved_against_the_config_files_folder() {
    use super::state_dir::resolve_state_dir;
    use std::ffi::OsStr;
    let cfg = Path::new("/etc/renewd/renewd.toml");
    let cases: [(Option<&str>, Option<&str>, &str); 6] = [
        (None, None, "/var/lib/renewd"),
        (Some("/srv/renewd"), None, "/srv/renewd"),
        (Some("state"), None, "/etc/renewd/state"),
        (Some("./state"), None, "/etc/renewd/state"),
        (
            None,
            Some("/var/lib/renewd:/var/lib/other"),
            "/var/lib/renewd",
        ),
        (Some("../x"), Some("/var/lib/renewd"), "/etc/renewd/../x"),
    ];
    for (written, env, want) in cases {
        let got = resolve_state_dir(written, cfg, env.map(OsStr::new));
        assert_eq!(got, Path::new(want), "{written:?} {env:?}");
    }
    let relative_cfg = resolve_state_dir(Some("state"), Path::new("config/demo.toml"), None);
    let cwd = std::env::current_dir().expect("cwd");
    assert_eq!(relative_cfg, cwd.join("config/state"));
}
