//! `history`'s three outputs (table, CSV, one JSON document), each row written as it is
//! read: nothing holds the whole page.

use std::io::{self, Write};

use chrono_tz::Tz;

use crate::model::TopUp;
use crate::notify::compose::local_time;

/// Where a page's rows go, one at a time.
pub trait Sink {
    fn row(&mut self, t: &TopUp) -> io::Result<()>;
    /// After the last row; `next` is the next page's `--after` when the page was cut.
    fn finish(&mut self, next: Option<i64>) -> io::Result<()>;
}

/// One line per top-up; `empty` when there is none.
pub struct Table<W: Write> {
    pub out: W,
    pub tz: Tz,
    pub empty: &'static str,
    pub rows: u64,
}

impl<W: Write> Sink for Table<W> {
    fn row(&mut self, t: &TopUp) -> io::Result<()> {
        self.rows += 1;
        let when = local_time(t.created_at, self.tz);
        writeln!(
            self.out,
            "#{:<5} {when}  {:<16} {:<10} {:>14}  {}",
            t.id, t.line_id, t.state, t.amount, t.trigger
        )
    }
    fn finish(&mut self, _next: Option<i64>) -> io::Result<()> {
        if self.rows == 0 {
            writeln!(self.out, "{}", self.empty)?;
        }
        self.out.flush()
    }
}

/// The CSV columns, in order (documented in README.md).
pub const CSV_HEADER: &str = "id,line,carrier,state,amount,currency,package,trigger,created_at,settled_at,provider_ref,reference";

/// A header row, then one row per top-up; fields quoted where needed.
pub struct Csv<W: Write> {
    pub out: W,
}

impl<W: Write> Csv<W> {
    pub fn start(mut out: W) -> io::Result<Self> {
        writeln!(out, "{CSV_HEADER}")?;
        Ok(Csv { out })
    }
}

impl<W: Write> Sink for Csv<W> {
    fn row(&mut self, t: &TopUp) -> io::Result<()> {
        let f = [
            t.id.to_string(),
            t.line_id.clone(),
            t.carrier.clone(),
            t.state.to_string(),
            t.amount.major_string(),
            t.amount.currency.to_string(),
            t.package.clone().unwrap_or_default(),
            t.trigger.clone(),
            t.created_at.to_rfc3339(),
            t.settled_at.map(|s| s.to_rfc3339()).unwrap_or_default(),
            t.provider_ref.clone().unwrap_or_default(),
            t.reference.clone(),
        ];
        let cells: Vec<String> = f.iter().map(|v| csv(v)).collect();
        writeln!(self.out, "{}", cells.join(","))
    }
    fn finish(&mut self, _next: Option<i64>) -> io::Result<()> {
        self.out.flush()
    }
}

/// `{"topups": [...], "next_after": ID|null}`, one top-up per line.
pub struct Json<W: Write> {
    pub out: W,
    pub rows: u64,
}

impl<W: Write> Json<W> {
    pub fn start(mut out: W) -> io::Result<Self> {
        out.write_all(b"{\n\"topups\": [")?;
        Ok(Json { out, rows: 0 })
    }
}

impl<W: Write> Sink for Json<W> {
    fn row(&mut self, t: &TopUp) -> io::Result<()> {
        self.out
            .write_all(if self.rows == 0 { b"\n" } else { b",\n" })?;
        self.rows += 1;
        serde_json::to_writer(&mut self.out, &json_row(t))?;
        Ok(())
    }
    fn finish(&mut self, next: Option<i64>) -> io::Result<()> {
        let next = next.map_or_else(|| "null".to_string(), |id| id.to_string());
        let gap = if self.rows == 0 { "" } else { "\n" };
        writeln!(self.out, "{gap}],\n\"next_after\": {next}\n}}")?;
        self.out.flush()
    }
}

/// The stable JSON shape of one top-up (documented in README.md).
pub fn json_row(t: &TopUp) -> serde_json::Value {
    serde_json::json!({
        "id": t.id, "line": t.line_id, "sim": t.sim, "carrier": t.carrier, "state": t.state,
        "amount": t.amount.major_string(), "currency": t.amount.currency, "amount_minor": t.amount.minor,
        "package": t.package, "trigger": t.trigger, "reference": t.reference, "provider_ref": t.provider_ref,
        "created_at": t.created_at, "sent_at": t.sent_at, "settled_at": t.settled_at, "detail": t.detail,
    })
}

fn csv(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}
