//! The command adapter against small scripts in tests/scripts: the JSON schema, exit codes,
//! the time limit, no shell, a cleared environment.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use renewd::carriers::{Carrier, CarrierError, Lookup, Order, Submitted};
use renewd::config::Line;
use renewd::model::Offer;

fn script(name: &str) -> String {
    format!("{}/tests/scripts/{name}", env!("CARGO_MANIFEST_DIR"))
}

struct Rig {
    line: Line,
    carrier: Arc<dyn Carrier>,
    dir: tempfile::TempDir,
}

/// A command carrier from the TOML lines in `section`; `{dir}` stands for a temp dir.
fn rig(section: &str) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let section = section
        .replace("{dir}", &dir.path().display().to_string())
        .replace("{scripts}", &script(""));
    let toml = format!(
        r#"
[daemon]
state_dir = "{state}"
[carriers.modem]
type = "command"
timeout = "1s"
{section}
[[lines]]
id = "att-prepaid"
carrier = "modem"
number = "+15555550123"
[lines.policy]
balance_below = "2.00 USD"
topup_amount = "25.00 USD"
"#,
        state = dir.path().display()
    );
    let cfg =
        renewd::config::from_str(&toml, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}"));
    let carriers = renewd::carriers::build(&cfg.carriers, dir.path()).unwrap();
    Rig {
        line: cfg.lines[0].clone(),
        carrier: carriers["modem"].clone(),
        dir,
    }
}

fn order(reference: &str) -> Order {
    Order {
        reference: reference.into(),
        offer: Offer {
            amount: "25.00 USD".parse().unwrap(),
            package: None,
            label: None,
        },
        created_at: Utc::now(),
        provider_ref: None,
        before: None,
    }
}

#[tokio::test]
async fn status_reads_the_json_object() {
    let r = rig(r#"status = ["{scripts}status_ok.sh", "{number}"]"#);
    assert!(r.carrier.reports().balance && r.carrier.reports().data && r.carrier.reports().expiry);
    let obs = r.carrier.status(&r.line).await.unwrap();
    assert_eq!(obs.balance.unwrap().to_string(), "5.00 USD");
    assert_eq!(obs.data.unwrap().mb(), 500);
    assert_eq!(
        obs.expires_at.unwrap().to_rfc3339(),
        "2026-12-15T00:00:00+00:00"
    );
    assert_eq!(obs.note.as_deref(), Some("number +15555550123"));
}

#[tokio::test]
async fn exit_codes_say_retryable_or_permanent() {
    for (code, retryable) in [(75, true), (1, false), (2, false), (64, false)] {
        let r = rig(&format!(
            r#"status = ["{{scripts}}exit_with.sh", "{code}"]
topup = ["{{scripts}}exit_with.sh", "{code}"]"#
        ));
        for err in [
            r.carrier.status(&r.line).await.unwrap_err(),
            r.carrier.top_up(&r.line, &order("c-1")).await.unwrap_err(),
        ] {
            let CarrierError::Refused {
                code: c, message, ..
            } = &err
            else {
                panic!("{err:?}")
            };
            assert_eq!(c, &format!("exit {code}"));
            assert_eq!(message, &format!("told to exit {code}"));
            assert_eq!(err.retryable(), retryable, "{code}");
            assert!(
                !err.outcome_unknown(),
                "{code}: the program said nothing was bought"
            );
        }
    }
}

/// Waits until `pid` is gone (or a zombie), for at most `limit`.
async fn gone(pid: u32, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => return true,
            Ok(s)
                if s.rsplit(')')
                    .next()
                    .is_some_and(|rest| rest.trim_start().starts_with('Z')) =>
            {
                return true;
            }
            Ok(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn a_hang_is_killed_at_the_limit_with_its_children() {
    let r = rig(r#"status = ["{scripts}hang.sh", "{dir}/status.pid"]
topup = ["{scripts}hang.sh", "{dir}/topup.pid"]"#);
    let started = Instant::now();
    let err = r.carrier.status(&r.line).await.unwrap_err();
    assert!(matches!(err, CarrierError::NoAnswer { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    let pid: u32 = std::fs::read_to_string(r.dir.path().join("status.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        gone(pid, Duration::from_secs(3)).await,
        "the script's child {pid} was killed too"
    );

    let err = r.carrier.top_up(&r.line, &order("c-2")).await.unwrap_err();
    assert!(
        err.outcome_unknown(),
        "a top-up cut off by the limit may have bought: {err}"
    );
}

#[tokio::test]
async fn garbage_on_stdout_is_malformed_and_unknown_for_a_topup() {
    let r = rig(r#"status = ["{scripts}garbage.sh"]
topup = ["{scripts}garbage.sh"]"#);
    assert!(matches!(
        r.carrier.status(&r.line).await.unwrap_err(),
        CarrierError::Malformed { .. }
    ));
    let err = r.carrier.top_up(&r.line, &order("c-3")).await.unwrap_err();
    assert!(
        matches!(err, CarrierError::Malformed { .. }) && err.outcome_unknown(),
        "{err:?}"
    );
}

#[tokio::test]
async fn placeholder_values_pass_through_untouched_and_the_environment_is_cleared() {
    let r = rig(
        r#"topup = ["{scripts}record_args.sh", "{dir}/args", "{reference}", "{amount}", "{currency}", "{number}", "{line}", "x{amount}y"]
env = ["CARGO_PKG_NAME"]"#,
    );
    let pwned: PathBuf = r.dir.path().join("pwned");
    let reference = format!(
        "\"; touch {} # $(touch {}2) `touch {}3` {{line}}",
        pwned.display(),
        pwned.display(),
        pwned.display()
    );
    let Submitted::Confirmed(p) = r.carrier.top_up(&r.line, &order(&reference)).await.unwrap()
    else {
        panic!()
    };
    assert_eq!(p.provider_ref.as_deref(), Some("cmd-77"));
    assert_eq!(p.charged.unwrap().to_string(), "25.00 USD");
    let args = std::fs::read_to_string(r.dir.path().join("args")).unwrap();
    assert_eq!(
        args,
        format!("{reference}\n25.00\nUSD\n+15555550123\natt-prepaid\nx25.00y\n")
    );
    for suffix in ["", "2", "3"] {
        assert!(
            !Path::new(&format!("{}{suffix}", pwned.display())).exists(),
            "no shell ran the value"
        );
    }

    let env = std::fs::read_to_string(r.dir.path().join("args.env")).unwrap();
    assert!(
        std::env::var("CARGO_MANIFEST_DIR").is_ok(),
        "the test runs with variables to hide"
    );
    assert!(env.lines().any(|l| l == "CARGO_PKG_NAME=renewd"), "{env}");
    assert!(
        env.lines()
            .any(|l| l == "PATH=/usr/local/bin:/usr/bin:/bin"),
        "{env}"
    );
    assert!(!env.contains("CARGO_MANIFEST_DIR="), "{env}");
    assert!(!env.lines().any(|l| l.starts_with("HOME=")), "{env}");
}

#[tokio::test]
async fn lookup_states_map_onto_lookup_answers() {
    let cases = [
        ("confirmed", "confirmed"),
        ("pending", "pending"),
        ("failed", "failed"),
        ("not_found", "not_found"),
    ];
    for (state, want) in cases {
        let r = rig(&format!(
            r#"topup = ["{{scripts}}garbage.sh"]
lookup = ["{{scripts}}lookup_state.sh", "{state}"]"#
        ));
        let got = r.carrier.lookup(&r.line, &order("c-4")).await.unwrap();
        let name = match got {
            Lookup::Confirmed(_) => "confirmed",
            Lookup::Pending { .. } => "pending",
            Lookup::Failed { .. } => "failed",
            Lookup::NotFound => "not_found",
        };
        assert_eq!(name, want);
    }
    let r = rig(r#"lookup = ["{scripts}lookup_state.sh", "sold"]
topup = ["{scripts}garbage.sh"]"#);
    assert!(matches!(
        r.carrier.lookup(&r.line, &order("c-5")).await.unwrap_err(),
        CarrierError::Malformed { .. }
    ));
}

#[tokio::test]
async fn missing_programs_and_lookups_are_setup_errors() {
    let r = rig(r#"status = ["{dir}/no-such-program"]
topup = ["{scripts}garbage.sh"]"#);
    let err = r.carrier.status(&r.line).await.unwrap_err();
    assert!(
        matches!(err, CarrierError::Setup { .. }) && err.to_string().contains("no-such-program"),
        "{err}"
    );
    let err = r.carrier.lookup(&r.line, &order("c-6")).await.unwrap_err();
    assert!(err.to_string().contains("renewd resolve"), "{err}");
}

#[test]
fn unknown_placeholders_are_config_errors() {
    let toml = "[carriers.m]\ntype = \"command\"\nstatus = [\"/bin/x\", \"{numbr}\"]\n[[lines]]\nid = \"a\"\ncarrier = \"m\"\n[lines.policy]\nbalance_below = \"1.00 USD\"\ntopup_amount = \"5.00 USD\"\n";
    let err = renewd::config::from_str(toml, Path::new("t.toml"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("{numbr} is not a placeholder"), "{err}");
}

/// Reads the pid a script wrote into `file` under the rig's temp dir.
fn pid_in(r: &Rig, file: &str) -> u32 {
    std::fs::read_to_string(r.dir.path().join(file))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_child_holding_stdout_after_the_program_exits_is_cut_at_the_limit_and_killed() {
    let r = rig(r#"status = ["{scripts}fork_exit.sh", "{dir}/status.pid"]
topup = ["{scripts}fork_exit.sh", "{dir}/topup.pid"]"#);
    let started = Instant::now();
    let err = r.carrier.status(&r.line).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, CarrierError::NoAnswer { .. }), "{err:?}");
    // The limit is 1 s; before, the read went on for the 2 s pipe grace past the exit.
    assert!(took < Duration::from_millis(1700), "took {took:?}");
    let pid = pid_in(&r, "status.pid");
    assert!(
        gone(pid, Duration::from_secs(3)).await,
        "the child {pid} holding stdout was killed with the group"
    );
    let err = r.carrier.top_up(&r.line, &order("c-3")).await.unwrap_err();
    assert!(err.outcome_unknown(), "{err}");
}

#[tokio::test]
async fn a_child_out_of_the_group_holding_stdout_does_not_hold_the_call() {
    let r = rig(r#"status = ["{scripts}escape_hang.sh", "{dir}/status.pid"]"#);
    let started = Instant::now();
    let err = r.carrier.status(&r.line).await.unwrap_err();
    let took = started.elapsed();
    let pid = pid_in(&r, "status.pid");
    // SAFETY: kill(2) on the test's own stray child; no memory is touched.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    assert!(matches!(err, CarrierError::NoAnswer { .. }), "{err:?}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
}
