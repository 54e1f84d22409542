//! Turns the raw TOML into a `Config`, collecting every problem with its key path.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::raw::{RawConfig, RawDaemon, RawEmail, RawLine, RawPolicy};
use super::{Config, Daemon, Email, Line, MessageKind, Policy, Problem, SecretSource, TopUpChoice};
use crate::money::{DataSize, Money, parse_duration};
use crate::schedule::Schedule;

/// Collects problems while validating; each knows its key path.
#[derive(Default)]
pub struct Problems {
    pub list: Vec<Problem>,
}

impl Problems {
    pub fn add(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.list.push(Problem {
            key: key.into(),
            message: message.into(),
            position: None,
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
}

/// Parses and validates config text; every problem comes back at once.
pub fn validate(text: &str, path: &Path) -> Result<Config, Vec<Problem>> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| vec![parse_problem(text, &e)])?;
    let mut p = Problems::default();
    let daemon = daemon(&raw.daemon, path, &mut p);
    let email = raw.email.as_ref().and_then(|e| email(e, &mut p));
    let monthly_cap = p.opt("budget.monthly_cap", raw.budget.monthly_cap.as_ref(), |s| {
        s.parse::<Money>()
    });
    for (name, spec) in &raw.carriers {
        spec.validate(&format!("carriers.{name}"), &mut p);
    }
    let lines = lines(&raw, monthly_cap, &mut p);
    if p.list.is_empty() {
        Ok(Config {
            path: path.to_path_buf(),
            daemon: daemon.expect("no problems means the daemon section parsed"),
            email,
            monthly_cap,
            carriers: raw.carriers,
            lines,
            warnings: Vec::new(),
        })
    } else {
        Err(p.list.into_iter().map(|pr| locate(text, pr)).collect())
    }
}

fn parse_problem(text: &str, e: &toml::de::Error) -> Problem {
    let position = e.span().map(|s| line_col(text, s.start));
    Problem {
        key: "(file)".into(),
        message: e.message().trim().to_string(),
        position,
    }
}

fn daemon(raw: &RawDaemon, path: &Path, p: &mut Problems) -> Option<Daemon> {
    let timezone = match raw.timezone.as_deref() {
        None => Some(Tz::UTC),
        Some(s) => p.check(
            "daemon.timezone",
            s.parse::<Tz>().map_err(|_| {
                format!("{s:?} is not an IANA time zone; e.g. \"America/New_York\" or \"UTC\"")
            }),
        ),
    };
    let dur = |p: &mut Problems, key: &str, v: &Option<String>, default: u64| match v {
        None => Some(Duration::from_secs(default)),
        Some(s) => p.check(key, parse_duration(s)),
    };
    let jitter = dur(p, "daemon.jitter", &raw.jitter, 0);
    let settle = dur(p, "daemon.settle", &raw.settle, 30 * 60);
    let check_grace = dur(p, "daemon.check_grace", &raw.check_grace, 6 * 3600);
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
    Some(Daemon {
        state_dir: state_dir(raw, path),
        timezone: timezone?,
        dry_run: raw.dry_run,
        jitter: jitter?,
        max_concurrent_checks: max?,
        listen: listen?,
        settle: settle?,
        check_grace: check_grace?,
    })
}

/// `daemon.state_dir`, else `$STATE_DIRECTORY` (systemd), else `./state`.
fn state_dir(raw: &RawDaemon, _path: &Path) -> PathBuf {
    if let Some(s) = &raw.state_dir {
        return PathBuf::from(s);
    }
    match std::env::var_os("STATE_DIRECTORY") {
        // systemd may pass several, colon-separated; the first is ours.
        Some(v) => PathBuf::from(v.to_string_lossy().split(':').next().unwrap_or("state")),
        None => PathBuf::from("state"),
    }
}

fn email(raw: &RawEmail, p: &mut Problems) -> Option<Email> {
    let url_ok = ["smtp://", "smtps://"]
        .iter()
        .any(|s| raw.smtp_url.starts_with(s));
    if !url_ok {
        p.add("email.smtp_url", format!("{:?} is not an SMTP URL; e.g. \"smtps://smtp.example.com:465\" or \"smtp://smtp.example.com:587?tls=required\"", raw.smtp_url));
    }
    if raw.smtp_url.contains('@') {
        p.add("email.smtp_url", "holds credentials; put the user in email.username and the password in email.password_file");
    }
    let has_password =
        raw.password.is_some() || raw.password_file.is_some() || raw.password_env.is_some();
    let password = if has_password {
        p.check(
            "email.password",
            SecretSource::from_keys(
                "password",
                raw.password.as_ref(),
                raw.password_file.as_deref(),
                raw.password_env.as_deref(),
            ),
        )
    } else {
        None
    };
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
    let send = match &raw.send {
        None => vec![
            MessageKind::Receipt,
            MessageKind::Failure,
            MessageKind::Warning,
        ],
        Some(list) => list
            .iter()
            .enumerate()
            .filter_map(|(i, k)| {
                let r = MessageKind::parse(k).ok_or_else(|| {
                    format!(
                        "{k:?} is not a message kind; use \"receipt\", \"failure\" or \"warning\""
                    )
                });
                p.check(&format!("email.send[{i}]"), r)
            })
            .collect(),
    };
    Some(Email {
        smtp_url: raw.smtp_url.clone(),
        username: raw.username.clone(),
        password,
        from: raw.from.clone(),
        to: raw.to.clone(),
        send,
    })
}

fn lines(raw: &RawConfig, global_cap: Option<Money>, p: &mut Problems) -> Vec<Line> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, l) in raw.lines.iter().enumerate() {
        let key = format!("lines[{i}]");
        if !seen.insert(l.id.clone()) {
            p.add(
                format!("{key}.id"),
                format!("{:?} is used by an earlier line; ids must be unique", l.id),
            );
        }
        if let Some(line) = line(l, &key, &raw.carriers, global_cap, p) {
            out.push(line);
        }
    }
    out
}

fn line(
    l: &RawLine,
    key: &str,
    carriers: &BTreeMap<String, crate::carriers::CarrierSpec>,
    global_cap: Option<Money>,
    p: &mut Problems,
) -> Option<Line> {
    let id_ok = !l.id.is_empty()
        && l.id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !id_ok {
        p.add(
            format!("{key}.id"),
            format!(
                "{:?} may only hold a-z, 0-9 and -; e.g. \"mom-tmobile\"",
                l.id
            ),
        );
    }
    for (k, name) in [
        ("carrier", Some(&l.carrier)),
        ("status_from", l.status_from.as_ref()),
    ] {
        if let Some(name) = name.filter(|n| !carriers.contains_key(*n)) {
            let known: Vec<_> = carriers.keys().map(String::as_str).collect();
            p.add(format!("{key}.{k}"), format!("no carrier named {name:?}; add a [carriers.{name}] section or use one of {known:?}"));
        }
    }
    if let Some(n) = &l.number {
        let ok = n.starts_with('+')
            && (8..=16).contains(&n.len())
            && n[1..].bytes().all(|b| b.is_ascii_digit());
        if !ok {
            p.add(
                format!("{key}.number"),
                format!("{n:?} is not an E.164 number; e.g. \"+15551234567\""),
            );
        }
    }
    if let Some(c) = &l.iccid {
        if !(18..=22).contains(&c.len()) || !c.bytes().all(|b| b.is_ascii_digit()) {
            p.add(
                format!("{key}.iccid"),
                format!("{c:?} is not an ICCID (18 to 22 digits); e.g. \"8901260000000000001\""),
            );
        }
    }
    let schedule = p.check(
        &format!("{key}.check"),
        Schedule::parse(l.check.as_deref().unwrap_or("every 6h")),
    );
    let renews_on = p.opt(&format!("{key}.renews_on"), l.renews_on.as_ref(), |s| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| format!("{s:?} is not a date; e.g. \"2026-12-15\""))
    });
    let operator_id = match l.operator_id {
        Some(n) if n <= 0 => p.check(
            &format!("{key}.operator_id"),
            Err(format!(
                "{n} is not an operator id; write the positive id Reloadly lists"
            )),
        ),
        other => other.map(|n| n as u64),
    };
    let policy = policy(&l.policy, &format!("{key}.policy"), global_cap, p);
    if let Some(spec) = carriers.get(&l.carrier) {
        spec.validate_line(l, key, p);
    }
    Some(Line {
        id: l.id.clone(),
        name: l.name.clone().unwrap_or_else(|| l.id.clone()),
        carrier: l.carrier.clone(),
        number: l.number.clone(),
        iccid: l.iccid.clone(),
        schedule: schedule?,
        operator_id,
        sku_code: l.sku_code.clone(),
        status_from: l.status_from.clone(),
        renews_on,
        policy: policy?,
    })
}

fn policy(
    raw: &RawPolicy,
    key: &str,
    global_cap: Option<Money>,
    p: &mut Problems,
) -> Option<Policy> {
    let k = |s: &str| format!("{key}.{s}");
    let balance_below = p.opt(&k("balance_below"), raw.balance_below.as_ref(), |s| {
        s.parse::<Money>()
    });
    let data_below = p.opt(&k("data_below"), raw.data_below.as_ref(), |s| {
        s.parse::<DataSize>()
    });
    let expires_within = p.opt(
        &k("expires_within"),
        raw.expires_within.as_ref(),
        parse_duration,
    );
    let runs_out_within = p.opt(
        &k("runs_out_within"),
        raw.runs_out_within.as_ref(),
        parse_duration,
    );
    let amount = p.opt(&k("topup_amount"), raw.topup_amount.as_ref(), |s| {
        s.parse::<Money>()
    });
    let min_data = p.opt(&k("min_data"), raw.min_data.as_ref(), |s| {
        s.parse::<DataSize>()
    });
    let monthly_cap = p.opt(&k("monthly_cap"), raw.monthly_cap.as_ref(), |s| {
        s.parse::<Money>()
    });
    let triggers = [
        raw.balance_below.is_some(),
        raw.data_below.is_some(),
        raw.expires_within.is_some(),
        raw.runs_out_within.is_some(),
    ];
    if !triggers.contains(&true) {
        p.add(key, "has no trigger; set at least one of balance_below, data_below, expires_within, runs_out_within (e.g. balance_below = \"5.00 USD\")");
    }
    let plan_days = match raw.plan_days {
        Some(n) if !(1..=366).contains(&n) => p.check(
            &k("plan_days"),
            Err(format!(
                "{n} is out of range; write the plan length in days, e.g. 30"
            )),
        ),
        other => other.map(|n| n as u32),
    };
    let topup = topup_choice(raw, amount, min_data, key, p);
    for cap in [monthly_cap, global_cap].into_iter().flatten() {
        if let Some(a) = amount.filter(|a| a.currency != cap.currency) {
            p.add(
                k("topup_amount"),
                format!(
                    "is in {} but a monthly cap is in {}; caps can only count one currency",
                    a.currency, cap.currency
                ),
            );
        }
    }
    if let (Some(b), Some(a)) = (balance_below, amount) {
        if b.currency != a.currency {
            p.add(
                k("balance_below"),
                format!("is in {} but topup_amount is in {}", b.currency, a.currency),
            );
        }
    }
    Some(Policy {
        balance_below,
        data_below,
        expires_within,
        runs_out_within,
        topup: topup?,
        monthly_cap,
        plan_days,
    })
}

fn topup_choice(
    raw: &RawPolicy,
    amount: Option<Money>,
    min_data: Option<DataSize>,
    key: &str,
    p: &mut Problems,
) -> Option<TopUpChoice> {
    match (raw.topup_amount.as_ref(), raw.topup_package.as_deref()) {
        (None, None) => {
            p.add(key, "says nothing to buy; set topup_amount = \"25.00 USD\" or topup_package = \"<package id>\"");
            None
        }
        (_, Some("cheapest")) => match min_data {
            Some(min_data) => Some(TopUpChoice::Cheapest { min_data }),
            None => {
                p.add(
                    format!("{key}.min_data"),
                    "is needed with topup_package = \"cheapest\"; e.g. min_data = \"1 GB\"",
                );
                None
            }
        },
        (_, Some(id)) => Some(TopUpChoice::Package {
            id: id.to_string(),
            price: amount,
        }),
        (Some(_), None) => amount.map(TopUpChoice::Amount),
    }
}

/// Finds the key's position in the text, for `file:line:col` messages.
fn locate(text: &str, mut problem: Problem) -> Problem {
    if problem.position.is_none() {
        problem.position = key_span(text, &problem.key).map(|start| line_col(text, start));
    }
    problem
}

/// Byte offset of a key path like `lines[2].policy.topup_amount`, or of its nearest parent.
fn key_span(text: &str, key: &str) -> Option<usize> {
    let doc: toml_edit::Document<&str> = toml_edit::Document::parse(text).ok()?;
    let mut item: &toml_edit::Item = doc.as_item();
    let mut best = None;
    for part in key.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        let Some(next) = item.get(name) else { break };
        item = next;
        if let Some(i) = index {
            let Some(next) = item.get(i) else { break };
            item = next;
        }
        best = item.span().map(|s| s.start).or(best);
    }
    best
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
