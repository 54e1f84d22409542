//! SMTP-side secrets: a URL with userinfo (right or wrong scheme) never shows its
//! password in `check`, `test-email`, `status` or `outbox`; `smtp://` with a login is
//! refused unless the host is loopback or `email.allow_plaintext_auth = true`.

mod common;

use common::{Env, stderr, stdout};

const CANARY: &str = "CANARY-url-pw-Zk37";

fn email(url: &str, extra: &str) -> String {
    format!(
        "[email]\nsmtp_url = \"{url}\"\nfrom = \"renewd@example.com\"\nto = [\"me@example.com\"]\n{extra}\n\
         [carriers.sim]\ntype = \"simulated\"\n\
         [[lines]]\nid = \"l\"\ncarrier = \"sim\"\n[lines.policy]\nbalance_below = \"1.00 USD\"\ntopup_amount = \"5.00 USD\"\n"
    )
}

fn all_output(env: &Env, commands: &[&[&str]]) -> String {
    let mut text = String::new();
    for args in commands {
        let out = env.renewd(args);
        text.push_str(&stdout(&out));
        text.push_str(&stderr(&out));
    }
    text
}

#[test]
fn urls_with_userinfo_never_show_the_password() {
    for url in [
        format!("smpt://me:{CANARY}@smtp.example.com:465"),
        format!("smtps://me:{CANARY}@smtp.example.com:465"),
        format!("smtp://me:{CANARY}@127.0.0.1:1?tls=maybe"),
    ] {
        let env = Env::new(&email(&url, ""));
        let check = env.renewd(&["check"]);
        assert_eq!(check.status.code(), Some(1), "{url}: {}", stdout(&check));
        let text = all_output(
            &env,
            &[&["check"], &["test-email"], &["status"], &["outbox"]],
        );
        assert!(text.contains("email.smtp_url"), "{url}: {text}");
        assert!(
            text.contains("***@"),
            "{url}: the URL is not shown redacted: {text}"
        );
        assert_eq!(text.matches(CANARY).count(), 0, "{url}: {text}");
    }
}

#[test]
fn plaintext_login_to_a_remote_host_needs_an_explicit_yes() {
    let login = "username = \"me@example.com\"\npassword_env = \"NO_SUCH_VAR_RENEWD\"";
    let remote = Env::new(&email("smtp://mail.example.com:25", login));
    let out = remote.renewd(&["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out) + &stdout(&out);
    assert!(
        err.contains("email.smtp_url") && err.contains("allow_plaintext_auth"),
        "{err}"
    );

    for (url, extra) in [
        ("smtp://127.0.0.1:2525", ""),
        ("smtp://localhost:2525", ""),
        ("smtp://mail.example.com:25", "allow_plaintext_auth = true"),
        ("smtp://mail.example.com:587?tls=required", ""),
    ] {
        let env = Env::new(&email(url, &format!("{login}\n{extra}")));
        let out = env.renewd(&["check"]);
        let text = stderr(&out) + &stdout(&out);
        assert!(!text.contains("allow_plaintext_auth"), "{url}: {text}");
    }
}

#[test]
fn a_refused_reload_names_the_wrong_keys_without_their_secrets() {
    let env = Env::new(&email("smtp://127.0.0.1:1", ""));
    let mut d = env.spawn_daemon();
    d.wait_log("renewd running", 20);
    env.write_config(&email(
        &format!("smtp://me:{CANARY}@mail.example.com:25"),
        "send = [\"postcard\"]",
    ));
    d.signal("HUP");
    d.wait_log("reload refused", 10);
    let log = d.log_text();
    assert!(
        log.contains("email.smtp_url") && log.contains("email.send[0]"),
        "{log}"
    );
    assert!(log.contains("***@mail.example.com"), "{log}");
    assert_eq!(log.matches(CANARY).count(), 0, "{log}");
    assert!(d.alive(), "a bad reload stopped the daemon");
    d.signal("TERM");
    assert!(d.wait_exit(10).expect("stops").success());
}
