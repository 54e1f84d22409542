//! Facts for the email tests: an `[email]` block, a line, a confirmed top-up, a receipt,
//! and a log capture that lets a test read every line renewd logged.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use renewd::config::{Email, Line, MessageKind, Policy, SecretSource, TopUpChoice};
use renewd::ledger::Draft;
use renewd::model::{LineState, Observation, TopUp, TopUpState};
use renewd::money::{Currency, DataSize, Money};
use renewd::notify::compose::{self, Spend};
use renewd::schedule::Schedule;

pub fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::new("USD").expect("USD"))
}

/// `[email]` for `url`, logging in with `password` (written to a file in `dir`).
pub fn email(url: &str, dir: &Path, password: Option<&str>) -> Email {
    let password = password.map(|p| {
        let path = dir.join("smtp-password");
        std::fs::write(&path, format!("{p}\n")).expect("write password file");
        SecretSource::File(path)
    });
    Email {
        smtp_url: url.into(),
        username: password.as_ref().map(|_| super::smtp::USER.to_string()),
        password,
        from: "renewd <renewd@example.com>".into(),
        to: vec!["me@example.com".into(), "partner@example.com".into()],
        send: vec![
            MessageKind::Receipt,
            MessageKind::Failure,
            MessageKind::Warning,
        ],
        language: Default::default(),
    }
}

pub fn line() -> Line {
    Line {
        id: "mom-phone".into(),
        name: "Mom's <Phone> & SIM".into(),
        carrier: "airtime".into(),
        number: Some("+15551234567".into()),
        iccid: None,
        schedule: Schedule::parse("every 6h").expect("schedule"),
        operator_id: None,
        sku_code: None,
        status_from: None,
        renews_on: None,
        policy: Policy {
            balance_below: None,
            data_below: Some(DataSize::from_mb(500)),
            expires_within: None,
            runs_out_within: None,
            topup: TopUpChoice::Amount(usd(2500)),
            monthly_cap: Some(usd(6000)),
            plan_days: None,
        }
        .into(),
    }
}

pub fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 19, 5, 0)
        .single()
        .expect("time")
}

pub fn top_up(id: i64) -> TopUp {
    TopUp {
        id,
        line_id: "mom-phone".into(),
        carrier: "airtime".into(),
        reference: format!("renewd-mom-phone-{id}"),
        amount: usd(2500),
        package: None,
        state: TopUpState::Confirmed,
        trigger: "data 312 MB < 500 MB".into(),
        created_at: at(),
        sent_at: Some(at()),
        settled_at: Some(at()),
        provider_ref: Some("RLD-7781".into()),
        detail: None,
        before: None,
        sim: "number:+15551234567".into(),
        shown_at: None,
    }
}

pub fn receipt(id: i64) -> Draft {
    let after = Observation {
        balance: Some(usd(2740)),
        data: Some(DataSize::from_mb(2048 + 312)),
        state: LineState::Active,
        ..Observation::empty(at())
    };
    let spend = Spend {
        line: Some(usd(2500)),
        line_cap: Some(usd(6000)),
        global: Some(usd(4000)),
        global_cap: Some(usd(15000)),
    };
    compose::receipt(
        &line(),
        &top_up(id),
        Some(&after),
        &spend,
        chrono_tz::America::New_York,
    )
}

/// Everything renewd logs (all levels) while the guard lives, on this thread.
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    pub fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = {
            let buf = buf.clone();
            move || LogWriter(buf.clone())
        };
        let sub = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(writer)
            .finish();
        (Self(buf), tracing::subscriber::set_default(sub))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A generous bound for a message to arrive on loopback.
pub const ARRIVES: Duration = Duration::from_secs(20);
