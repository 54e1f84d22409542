//! Warnings (expiry a carrier cannot report, inline secrets, unused carriers) and the
//! shipped example configs.

use std::path::Path;

use super::{Problem, TopUpChoice, validate, validate_with};

const EXAMPLE: &str = include_str!("../../config/renewd.example.toml");
const DEMO: &str = include_str!("../../config/demo.toml");

fn warnings(text: &str, readable_by_others: bool) -> Vec<Problem> {
    match validate_with(text, Path::new("t.toml"), readable_by_others) {
        Ok(c) => c.warnings,
        Err(e) => panic!("expected valid, got {e:#?}\n{text}"),
    }
}

/// A carrier section and one line on it with an `expires_within` trigger.
fn expiry_line(carrier: &str, line_extra: &str, policy_extra: &str) -> String {
    format!(
        "[carriers.c]\n{carrier}\n[[lines]]\nid = \"a\"\ncarrier = \"c\"\nnumber = \"+15551234567\"\n{line_extra}\
         [lines.policy]\nexpires_within = \"2d\"\ntopup_amount = \"10.00 USD\"\n{policy_extra}"
    )
}

/// What `check` says of an `expires_within` line: an error where no purchase can move the
/// plan's end (a carrier that cannot report expiry, no plan_days), a warning where renewd
/// cannot tell (a command carrier), nothing where the end is known.
#[test]
fn expiry_trigger_that_cannot_advance_is_refused() {
    let reloadly = "type = \"reloadly\"\nclient_id = \"x\"\nclient_secret_env = \"S\"";
    let command = "type = \"command\"\nstatus = [\"/bin/true\"]\ntopup = [\"/bin/true\"]";
    let cannot = "cannot report expiry, and without plan_days";
    // (carrier section, line keys, policy keys, expected (is_error, fragment) or None)
    type Want<'a> = Option<(bool, &'a str)>;
    let table: [(&str, &str, &str, Want); 9] = [
        (reloadly, "", "", Some((true, cannot))),
        (reloadly, "", "plan_days = 30\n", None),
        // renews_on alone: once the day passes, nothing moves it (bought at every check).
        (
            reloadly,
            "renews_on = \"2026-12-15\"\n",
            "",
            Some((true, cannot)),
        ),
        (
            reloadly,
            "renews_on = \"2026-12-15\"\n",
            "plan_days = 30\n",
            None,
        ),
        (
            reloadly,
            "",
            "plan_days = 2\n",
            Some((true, "not longer than expires_within")),
        ),
        (command, "", "", Some((false, "may not report expiry"))),
        (
            "type = \"simulated\"\nreports = [\"balance\"]",
            "",
            "",
            Some((true, cannot)),
        ),
        ("type = \"simulated\"", "", "", None),
        ("type = \"simulated\"\nreports = [\"expiry\"]", "", "", None),
    ];
    for (carrier, line, policy, want) in table {
        let text = expiry_line(carrier, line, policy);
        let found = match validate_with(&text, Path::new("t.toml"), false) {
            Ok(c) => c
                .warnings
                .into_iter()
                .map(|w| (false, w))
                .collect::<Vec<_>>(),
            Err(e) => e.into_iter().map(|p| (true, p)).collect(),
        };
        match want {
            None => assert!(found.is_empty(), "{text}\n{found:#?}"),
            Some((error, fragment)) => {
                assert_eq!(found.len(), 1, "{text}\n{found:#?}");
                let (is_error, p) = &found[0];
                assert_eq!(*is_error, error, "{text}\n{p:#?}");
                assert!(p.key.starts_with("lines[0].policy."), "{p:#?}");
                assert!(p.message.contains(fragment), "{:?}", p.message);
            }
        }
    }
}

#[test]
fn inline_secret_warns_only_when_others_can_read_the_file() {
    let text = "[carriers.travel]\ntype = \"airalo\"\nclient_id = \"x\"\nclient_secret = \"hunter2\"\n\
                [carriers.top]\ntype = \"reloadly\"\nclient_id = \"x\"\nclient_secret_env = \"S\"\n";
    assert!(warnings(text, false).is_empty());
    let found = warnings(text, true);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].key, "carriers.travel.client_secret");
    assert_eq!(found[0].position, Some((4, 17)));
    assert!(
        found[0]
            .message
            .contains("client_secret_file = \"/run/credentials/renewd.service/travel\"")
    );
    assert!(!found[0].message.contains("hunter2"));
}

#[test]
fn from_str_reads_the_file_mode_for_the_secret_warning() {
    use std::os::unix::fs::PermissionsExt;
    let text = "[carriers.iot]\ntype = \"1nce\"\nusername = \"u\"\npassword = \"p\"\n";
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("renewd.toml");
    std::fs::write(&path, text).expect("write");
    for (mode, warns) in [(0o600, false), (0o640, true), (0o644, true)] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        let config = super::load(&path).expect("valid");
        assert_eq!(
            config
                .warnings
                .iter()
                .any(|w| w.key == "carriers.iot.password"),
            warns,
            "mode {mode:o}"
        );
    }
}

#[test]
fn unused_carrier_warns() {
    let text = "[carriers.demo]\ntype = \"simulated\"\n[carriers.spare]\ntype = \"simulated\"\n\
                [[lines]]\nid = \"a\"\ncarrier = \"demo\"\n[lines.policy]\nbalance_below = \"1.00 USD\"\ntopup_amount = \"5.00 USD\"\n";
    let found = warnings(text, false);
    assert_eq!(
        found.iter().map(|w| w.key.as_str()).collect::<Vec<_>>(),
        ["carriers.spare"]
    );
}

#[test]
fn shipped_example_is_valid_and_empty() {
    let config = validate(EXAMPLE, Path::new("renewd.example.toml")).expect("example validates");
    assert!(config.lines.is_empty() && config.carriers.is_empty() && config.warnings.is_empty());
}

/// Uncommenting every `# ` setting in the example gives a full config that validates.
#[test]
fn shipped_example_uncommented_is_valid() {
    let text: String = EXAMPLE
        .lines()
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let config = validate_with(&text, Path::new("renewd.example.toml"), true)
        .unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(config.warnings.is_empty(), "{:#?}", config.warnings);
    let types: Vec<&str> = config.carriers.values().map(|c| c.type_name()).collect();
    assert_eq!(types.len(), 6, "one carrier of each type: {types:?}");
    assert_eq!(config.lines.len(), 5);
    assert!(
        config.email.is_some() && config.monthly_cap.is_some() && config.daemon.listen.is_some()
    );
}

#[test]
fn demo_config_is_valid_and_fast() {
    let config = validate(DEMO, Path::new("demo.toml")).expect("demo validates");
    assert!(config.warnings.is_empty(), "{:#?}", config.warnings);
    assert!(
        config.email.is_none(),
        "the demo writes .eml files, it has no [email]"
    );
    let cwd = std::env::current_dir().expect("cwd");
    assert_eq!(
        config.daemon.state_dir,
        cwd.join("state"),
        "next to demo.toml"
    );
    assert_eq!(config.lines.len(), 2);
    assert!(matches!(
        config.lines[1].policy.topup,
        TopUpChoice::Cheapest { .. }
    ));
    for line in &config.lines {
        assert_eq!(line.schedule.to_string(), "every 5s");
    }
}

/// A SIM is one line: a second line with the same ICCID or number is refused, whatever
/// its id or carrier section; lines known by neither are told apart by their ids.
#[test]
fn two_lines_on_one_sim_are_refused() {
    let sim = "[carriers.a]\ntype = \"simulated\"\n[carriers.b]\ntype = \"simulated\"\n";
    let line = |id: &str, carrier: &str, extra: &str| {
        format!(
            "[[lines]]\nid = \"{id}\"\ncarrier = \"{carrier}\"\n{extra}\n\
             [lines.policy]\nbalance_below = \"5.00 USD\"\ntopup_amount = \"10.00 USD\"\n"
        )
    };
    let n = "number = \"+15551234567\"";
    let i = "iccid = \"8901260000000000001\"";
    // (second line, refused?)
    let table = [
        (line("b", "b", n), true), // same number, other carrier section
        (line("b", "a", &format!("{i}\n{n}")), false), // the ICCID names another SIM
        (line("b", "a", "number = \"+15557654321\""), false),
        (line("b", "a", ""), false),
    ];
    for (second, refused) in table {
        let text = format!("{sim}{}{second}", line("a", "a", n));
        match (validate(&text, Path::new("t.toml")), refused) {
            (Ok(_), false) => {}
            (Err(e), true) => {
                assert_eq!(e.len(), 1, "{e:#?}");
                assert_eq!(e[0].key, "lines[1]");
                assert!(
                    e[0].message.contains("same SIM (number:+15551234567)"),
                    "{e:#?}"
                );
            }
            (got, _) => panic!("refused={refused}: {got:?}\n{text}"),
        }
    }
}
