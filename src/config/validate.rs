//! Turns the raw TOML into a `Config`, collecting every problem with its key path.
//!
//! Pure: the text and a fact or two about the file come in, a `Config` or every problem
//! comes out. Lines and policies are checked in `lines.rs` and `policy.rs`.

use std::path::Path;
use std::time::Duration;

use chrono_tz::Tz;

use super::bounds;
use super::line_check::LineCheck;
use super::locate::Places;
use super::parse_error::parse_problem;
use super::raw::{RawConfig, RawDaemon, RawEmail};
use super::{Config, Daemon, Email, Problem, SecretSource};
use crate::money::Money;

/// Collects problems (and warnings) while validating; each knows its key path.
#[derive(Default)]
pub struct Problems {
    /// Errors: the config is refused when any is here.
    pub list: Vec<Problem>,
    /// Worth a person's attention, but renewd runs (`Config::warnings`).
    pub warnings: Vec<Problem>,
}

impl Problems {
    pub fn add(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.list.push(Problem {
            key: key.into(),
            message: message.into(),
            position: None,
            file: None,
        });
    }

    pub fn warn(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Problem {
            key: key.into(),
            message: message.into(),
            position: None,
            file: None,
        });
    }

    /// Runs a parse, recording its error under `key`.
    pub fn check<T>(&mut self, key: &str, r: Result<T, String>) -> Option<T> {
        r.map_err(|e| self.add(key, e)).ok()
    }

    pub fn opt<T>(
        &mut self,
        key: &str,
        v: Option<&String>,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        v.and_then(|s| self.check(key, parse(s)))
    }

    /// An optional `base_url`-style key must be an http(s) URL.
    pub fn url(&mut self, key: &str, v: Option<&String>) {
        if let Some(u) = v.filter(|u| !(u.starts_with("https://") || u.starts_with("http://"))) {
            self.add(
                key,
                format!(
                    "{:?} is not an http(s) URL; e.g. \"https://api.example.com/v1\"",
                    crate::notify::redact::redact_urls(u)
                ),
            );
        }
    }
}

/// Parses an amount like `"25.00 USD"`; a whole number gets "needs 2 decimals".
pub fn money(s: &str) -> Result<Money, String> {
    s.parse::<Money>().map_err(|e| {
        let Some((num, code)) = s.trim().split_once(' ') else {
            return e;
        };
        match crate::money::Currency::new(code.trim()) {
            Some(c)
                if c.exponent() > 0
                    && !num.is_empty()
                    && num.bytes().all(|b| b.is_ascii_digit()) =>
            {
                let exp = c.exponent() as usize;
                format!(
                    "{s:?} needs {exp} decimals, e.g. \"{num}.{:0<exp$} {}\"",
                    "",
                    c.code()
                )
            }
            _ => e,
        }
    })
}

/// Parses and validates config text, as if the file were private to its owner.
pub fn validate(text: &str, path: &Path) -> Result<Config, Vec<Problem>> {
    validate_with(text, path, false)
}

/// Parses and validates config text; every problem comes back at once.
/// `readable_by_others`: the file's mode lets group or others read it (inline secrets warn).
pub fn validate_with(
    text: &str,
    path: &Path,
    readable_by_others: bool,
) -> Result<Config, Vec<Problem>> {
    validate_only(text, path, readable_by_others, None)
}

/// As `validate_with`, but with `only = Some(id)` the lines (and inventory rows) of every
/// other id are skipped unchecked: `status LINE` of a 100,000-line fleet reads one line.
pub fn validate_only(
    text: &str,
    path: &Path,
    readable_by_others: bool,
    only: Option<&str>,
) -> Result<Config, Vec<Problem>> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| vec![parse_problem(text, &e)])?;
    let mut p = Problems::default();
    let language = super::notify::daemon_language(&raw, &mut p);
    let daemon = daemon(&raw.daemon, path, language, &mut p);
    let email = raw.email.as_ref().and_then(|e| email(e, language, &mut p));
    let monthly_cap = p.opt("budget.monthly_cap", raw.budget.monthly_cap.as_ref(), money);
    let monthly_cap = super::bounds::money(&mut p, "budget.monthly_cap", monthly_cap);
    if monthly_cap.is_some_and(|c| c.minor <= 0) {
        p.add(
            "budget.monthly_cap",
            "is zero, so nothing could ever be bought; remove it or write e.g. \"150.00 USD\"",
        );
    }
    for (name, spec) in &raw.carriers {
        spec.validate(&format!("carriers.{name}"), &mut p);
    }
    let named = super::policies::named(&raw, monthly_cap, &mut p);
    let mut check = LineCheck::new(&raw.carriers, &named, monthly_cap);
    check.only = only;
    let mut lines = super::lines::lines(&raw, &mut check, &mut p);
    super::inventory::lines(&raw.inventory, path, &mut check, &mut p, &mut lines);
    if only.is_none() {
        super::lines::warn_unused_carriers(&raw, &check.used_carriers, &mut p);
        super::policies::warn_unused(&raw, &check.used_policies, &mut p);
    }
    drop(check);
    drop(named);
    let all = only.is_none().then_some(lines.as_slice());
    let notify = super::notify::notify(&raw, all, language, &mut p);
    if readable_by_others {
        super::secret::warn_inline(&raw, &mut p);
    }
    let place = |list: Vec<Problem>| {
        if list
            .iter()
            .all(|pr| pr.position.is_some() || pr.file.is_some())
        {
            return list;
        }
        let places = Places::new(text);
        list.into_iter()
            .map(|mut pr| {
                if pr.position.is_none() && pr.file.is_none() {
                    pr.position = places.find(&pr.key);
                }
                pr
            })
            .collect::<Vec<_>>()
    };
    match daemon {
        Some(mut daemon) if p.list.is_empty() => Ok(Config {
            daemon: {
                daemon.metrics_per_line = raw
                    .daemon
                    .metrics_per_line
                    .unwrap_or(lines.len() <= super::PER_LINE_METRICS_UP_TO);
                daemon
            },
            path: path.to_path_buf(),
            email,
            monthly_cap,
            carriers: raw.carriers,
            lines,
            notify,
            warnings: place(p.warnings),
        }),
        _ => Err(place(p.list)),
    }
}

fn daemon(
    raw: &RawDaemon,
    path: &Path,
    language: crate::i18n::Lang,
    p: &mut Problems,
) -> Option<Daemon> {
    let timezone = match raw.timezone.as_deref() {
        None => Some(Tz::UTC),
        Some(s) => p.check(
            "daemon.timezone",
            s.parse::<Tz>().map_err(|_| {
                format!("{s:?} is not an IANA time zone; e.g. \"America/New_York\" or \"UTC\"")
            }),
        ),
    };
    let dur = |p: &mut Problems, key: &str, v: &Option<String>, default: u64, max| match v {
        None => Some(Duration::from_secs(default)),
        Some(s) => bounds::duration(p, key, s, max),
    };
    let jitter = dur(p, "daemon.jitter", &raw.jitter, 0, bounds::MAX_JITTER);
    let settle = dur(p, "daemon.settle", &raw.settle, 30 * 60, bounds::MAX_WAIT);
    let grace = &raw.check_grace;
    let check_grace = dur(p, "daemon.check_grace", grace, 6 * 3600, bounds::MAX_WAIT);
    let keep_readings = keep_readings(raw, p);
    let max = match raw.max_concurrent_checks {
        None => Some(16),
        Some(n) if (1..=10_000).contains(&n) => Some(n as usize),
        Some(n) => p.check(
            "daemon.max_concurrent_checks",
            Err(format!(
                "{n} is out of range; write a number from 1 to 10000, e.g. 16"
            )),
        ),
    };
    let listen = match &raw.listen {
        None => Some(None),
        Some(s) => p
            .check(
                "daemon.listen",
                s.parse()
                    .map_err(|_| format!("{s:?} is not an address:port; e.g. \"127.0.0.1:9725\"")),
            )
            .map(Some),
    };
    if raw
        .state_dir
        .as_deref()
        .is_some_and(|s| s.trim().is_empty())
    {
        p.add(
            "daemon.state_dir",
            "is empty; write a directory, e.g. \"/var/lib/renewd\", or remove the key",
        );
    }
    Some(Daemon {
        state_dir: super::state_dir::state_dir(raw.state_dir.as_deref(), path),
        timezone: timezone?,
        dry_run: raw.dry_run,
        jitter: jitter?,
        max_concurrent_checks: max?,
        listen: listen?,
        settle: settle?,
        check_grace: check_grace?,
        keep_readings: keep_readings?,
        metrics_per_line: false, // set once the lines are counted
        language,
    })
}

/// `daemon.keep_readings`: 90 days unless written, from a month to ten years.
fn keep_readings(raw: &RawDaemon, p: &mut Problems) -> Option<Duration> {
    let key = "daemon.keep_readings";
    let Some(s) = &raw.keep_readings else {
        return Some(Duration::from_secs(90 * 86_400));
    };
    let keep = bounds::duration(p, key, s, bounds::MAX_KEEP_READINGS)?;
    if keep < bounds::MIN_KEEP_READINGS {
        p.add(
            key,
            format!("{s:?} is too short: the monthly digest reads a whole month; write at least \"31d\", e.g. \"90d\""),
        );
        return None;
    }
    Some(keep)
}

fn email(raw: &RawEmail, default_lang: crate::i18n::Lang, p: &mut Problems) -> Option<Email> {
    email_url(raw, p);
    let has_password =
        raw.password.is_some() || raw.password_file.is_some() || raw.password_env.is_some();
    let password = has_password
        .then(|| {
            let source = SecretSource::from_keys(
                "password",
                raw.password.as_ref(),
                raw.password_file.as_deref(),
                raw.password_env.as_deref(),
            );
            p.check("email.password", source)
        })
        .flatten();
    email_addresses(raw, p);
    Some(Email {
        smtp_url: raw.smtp_url.clone(),
        username: raw.username.clone(),
        password,
        from: raw.from.clone(),
        to: raw.to.clone(),
        send: super::notify::send_kinds(raw.send.as_deref(), "email.send", p),
        language: match raw.language.as_deref() {
            None => default_lang,
            Some(s) => p.check("email.language", crate::i18n::Lang::parse(s))?,
        },
    })
}

/// An SMTP URL in one of lettre's forms, without credentials (never echoed back), and
/// no login in clear text to a remote host unless `allow_plaintext_auth` says so.
fn email_url(raw: &RawEmail, p: &mut Problems) {
    use crate::notify::smtp::{TlsMode, parse_url};
    let info = match parse_url(&raw.smtp_url) {
        Ok(info) => info,
        Err(e) => {
            let e = e.strip_prefix("email.smtp_url ").unwrap_or(&e).to_string();
            return p.add("email.smtp_url", e);
        }
    };
    let loopback = info.host == "localhost"
        || info
            .host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if info.mode == TlsMode::Plain
        && raw.username.is_some()
        && !loopback
        && raw.allow_plaintext_auth != Some(true)
    {
        p.add("email.smtp_url", format!(
            "is smtp:// without TLS to {} while email.username is set: the password would cross the network in clear. \
             Write \"smtps://{h}:465\" or \"smtp://{h}:587?tls=required\", or set email.allow_plaintext_auth = true for a relay on a network you trust",
            info.host, h = info.host
        ));
    }
}

/// `to` (at least one) and `from` are addresses.
fn email_addresses(raw: &RawEmail, p: &mut Problems) {
    if raw.to.is_empty() {
        p.add(
            "email.to",
            "is empty; write at least one address, e.g. [\"me@example.com\"]",
        );
    }
    for (i, addr) in raw.to.iter().enumerate() {
        if addr.parse::<lettre::message::Mailbox>().is_err() {
            p.add(
                format!("email.to[{i}]"),
                format!("{addr:?} is not an email address; e.g. \"me@example.com\""),
            );
        }
    }
    if raw.from.parse::<lettre::message::Mailbox>().is_err() {
        p.add(
            "email.from",
            format!(
                "{:?} is not an address; e.g. \"renewd <renewd@example.com>\"",
                raw.from
            ),
        );
    }
}
