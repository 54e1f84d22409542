//! Secrets from systemd credentials: `password_file` as a bare credential name or under
//! `${CREDENTIALS_DIRECTORY}`, read by the real binary from a temporary credentials
//! directory and proven by an SMTP server (tests/smtp/server.py) that requires AUTH.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Env, stderr, wait_until};

const PASSWORD: &str = "s3cret pw";

/// The SMTP server, killed on drop.
struct Smtp {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl Smtp {
    fn start(dir: &Path) -> Smtp {
        let maildir = dir.join("mail");
        std::fs::create_dir_all(&maildir).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/server.py");
        // .ci/test points PYTHON at the venv that has aiosmtpd.
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let mut child = Command::new(python)
            .args([
                script,
                "--port",
                "0",
                "--user",
                "renewd",
                "--password",
                PASSWORD,
                "--maildir",
            ])
            .arg(&maildir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 tests/smtp/server.py (needs aiosmtpd)");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let port = first
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("SMTP server did not start: {first:?}"));
        Smtp {
            child,
            port,
            maildir,
        }
    }

    fn messages(&self) -> usize {
        std::fs::read_dir(&self.maildir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .count()
            })
            .unwrap_or(0)
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn email(port: u16, password_file: &str) -> String {
    format!(
        "[email]\nsmtp_url = \"smtp://127.0.0.1:{port}\"\nusername = \"renewd\"\npassword_file = \"{password_file}\"\nfrom = \"renewd <renewd@example.com>\"\nto = [\"me@example.com\"]\n"
    )
}

#[test]
fn test_email_reads_the_password_from_the_credentials_directory() {
    // (password_file, credential file content or None for absent, test-email succeeds).
    // The server takes mail only after AUTH with PASSWORD, so a sent message proves the
    // credential was read.
    let cases = [
        ("smtp", Some(PASSWORD), true),
        ("${CREDENTIALS_DIRECTORY}/smtp", Some(PASSWORD), true),
        ("smtp", None, false),
    ];
    for (file, content, ok) in cases {
        let env = Env::new("");
        let smtp = Smtp::start(env.dir.path());
        env.write_config(&email(smtp.port, file));
        let creds = env.dir.path().join("creds");
        std::fs::create_dir_all(&creds).unwrap();
        if let Some(c) = content {
            std::fs::write(creds.join("smtp"), format!("{c}\n")).unwrap();
        }
        let out = env
            .command(&["test-email"])
            .env("CREDENTIALS_DIRECTORY", &creds)
            .output()
            .unwrap();
        let case = format!("{file} {content:?}: {}", stderr(&out));
        assert_eq!(out.status.success(), ok, "{case}");
        assert_eq!(smtp.messages(), usize::from(ok), "{case}");
        if content.is_none() {
            let want = creds.join("smtp").display().to_string();
            assert!(
                stderr(&out).contains(&want),
                "the error names {want}: {case}"
            );
        }
    }
}

#[test]
fn the_daemon_sends_a_receipt_with_a_credential() {
    let env = Env::new("");
    let smtp = Smtp::start(env.dir.path());
    env.write_config(&format!(
        "{}\n[carriers.sim]\ntype = \"simulated\"\nbalance = \"4.00 USD\"\n\n[[lines]]\nid = \"phone\"\ncarrier = \"sim\"\n[lines.policy]\nbalance_below = \"5.00 USD\"\ntopup_amount = \"10.00 USD\"\n",
        email(smtp.port, "smtp")
    ));
    let creds = env.dir.path().join("creds");
    std::fs::create_dir_all(&creds).unwrap();
    std::fs::write(creds.join("smtp"), PASSWORD).unwrap();
    let log = std::fs::File::create(env.dir.path().join("daemon.log")).unwrap();
    let child = env
        .command(&["run"])
        .env("CREDENTIALS_DIRECTORY", &creds)
        .stderr(log)
        .spawn()
        .unwrap();
    let mut d = common::Daemon {
        child,
        log: env.dir.path().join("daemon.log"),
    };
    assert!(
        wait_until(Duration::from_secs(30), || smtp.messages() == 1),
        "no receipt through SMTP within 30 s:\n{}",
        d.log_text()
    );
    d.signal("TERM");
    assert!(d.wait_exit(15).expect("stopped").success());
}
