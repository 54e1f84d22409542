//! A real SMTP server for tests: `tests/smtp/server.py` (Python's aiosmtpd) on 127.0.0.1,
//! with optional STARTTLS or implicit TLS (a self-signed certificate made here), AUTH,
//! "451 for the first N messages" and "550 always". Accepted messages land in a folder.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The login the server accepts when `auth` is on.
pub const USER: &str = "renewd@example.com";
pub const PASSWORD: &str = "s3cret-Pa55word-xyz";

/// A self-signed certificate for 127.0.0.1, as PEM files.
pub struct TestCert {
    pub cert_pem: String,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
}

impl TestCert {
    pub fn new(dir: &std::path::Path) -> Self {
        let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
        let ck = rcgen::generate_simple_self_signed(names).expect("generate a test certificate");
        let cert_pem = ck.cert.pem();
        let cert_path = dir.join("cert.pem");
        let key_path = dir.join("key.pem");
        std::fs::write(&cert_path, &cert_pem).expect("write cert");
        std::fs::write(&key_path, ck.signing_key.serialize_pem()).expect("write key");
        Self {
            cert_pem,
            cert_path,
            key_path,
        }
    }
}

/// How the server behaves.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub enum Tls {
    #[default]
    None,
    Starttls,
    Implicit,
}

#[derive(Clone, Default)]
pub struct Options {
    pub tls: Tls,
    pub auth: bool,
    /// Answer 451 to the DATA of this many messages first.
    pub fail_first: u32,
    /// Answer 550 "relaying denied" to every recipient.
    pub reject: bool,
}

/// A running server; killed on drop.
pub struct SmtpServer {
    pub port: u16,
    pub maildir: PathBuf,
    pub cert: Option<TestCert>,
    opts: Options,
    child: Option<Child>,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    pub fn start(opts: Options) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let maildir = dir.path().join("mail");
        std::fs::create_dir_all(&maildir).expect("maildir");
        let cert = (opts.tls != Tls::None).then(|| TestCert::new(dir.path()));
        let mut s = Self {
            port: 0,
            maildir,
            cert,
            opts,
            child: None,
            _dir: dir,
        };
        s.spawn(0);
        s
    }

    /// A free port with nothing listening on it (bound, then released).
    pub fn closed_port() -> u16 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    }

    fn spawn(&mut self, port: u16) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/server.py");
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let mut cmd = Command::new(python);
        cmd.arg(script)
            .arg("--port")
            .arg(port.to_string())
            .arg("--maildir")
            .arg(&self.maildir);
        if let Some(c) = &self.cert {
            cmd.arg("--tls-cert")
                .arg(&c.cert_path)
                .arg("--tls-key")
                .arg(&c.key_path);
            cmd.arg(if self.opts.tls == Tls::Starttls {
                "--starttls"
            } else {
                "--implicit-tls"
            });
        }
        if self.opts.auth {
            cmd.args(["--user", USER, "--password", PASSWORD]);
        }
        if self.opts.fail_first > 0 {
            cmd.args(["--fail-first", &self.opts.fail_first.to_string()]);
        }
        if self.opts.reject {
            cmd.arg("--reject");
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tests/smtp/server.py (needs: pip install aiosmtpd)");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read READY");
        let port = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok());
        self.port = port.unwrap_or_else(|| panic!("SMTP test server did not start (got {line:?}); is aiosmtpd installed? pip install aiosmtpd"));
        self.child = Some(child);
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts again on the same port, keeping the messages received so far.
    pub fn restart(&mut self) {
        self.stop();
        let port = self.port;
        self.spawn(port);
    }

    /// The URL lettre should use for this server.
    pub fn url(&self) -> String {
        match self.opts.tls {
            Tls::None => format!("smtp://127.0.0.1:{}", self.port),
            Tls::Starttls => format!("smtp://127.0.0.1:{}?tls=required", self.port),
            Tls::Implicit => format!("smtps://127.0.0.1:{}", self.port),
        }
    }

    /// The raw messages received so far, in arrival order.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&self.maildir)
            .expect("read maildir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| std::fs::read(p).expect("read message"))
            .collect()
    }

    /// Waits until at least `n` messages arrived, or panics after `within`.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Vec<u8>> {
        let end = Instant::now() + within;
        loop {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            assert!(
                Instant::now() < end,
                "expected {n} messages, got {} after {within:?}",
                m.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}
