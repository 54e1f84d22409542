//! `renewd history`: the top-up ledger as a table, JSON or CSV, filtered and paged by
//! indexed queries (`ledger::history`), each row written as it is read.

use std::io::{self, BufWriter, Write};
use std::ops::ControlFlow;
use std::path::Path;

use anyhow::anyhow;

use super::HistoryArgs;
use super::wiring::{load_config_line, load_config_settings, read_ledger};
use crate::ledger::{HistoryQuery, Ledger, LedgerError};

mod out;
mod query;
#[cfg(test)]
mod tests;

pub use out::json_row;

pub fn history(path: &Path, args: &HistoryArgs) -> anyhow::Result<i32> {
    // Of a fleet's config only `--line`'s line is read (as `status LINE` does), or none.
    let config = match &args.line {
        Some(id) => load_config_line(path, id)?,
        None => load_config_settings(path)?,
    };
    let q = query::build(&config, args)?;
    for note in query::notes(&config, args) {
        eprintln!("renewd: {note}");
    }
    let ledger = read_ledger(&config)?;
    let stdout = BufWriter::new(io::stdout().lock());
    let next = match write_page(ledger.as_ref(), &q, args, config.daemon.timezone, stdout) {
        Ok(next) => next,
        // The reader went away (`history | head`): nothing more to say.
        Err(e) if is_broken_pipe(&e) => return Ok(0),
        Err(e) => return Err(e),
    };
    if let Some(id) = next.filter(|_| !args.json) {
        eprintln!("{}", next_page_hint(id));
    }
    Ok(0)
}

/// What stderr says under a page cut by `--limit`.
fn next_page_hint(id: i64) -> String {
    format!(
        "renewd: more top-ups follow #{id}: run the same command with --after {id} for the next page"
    )
}

/// Streams one page to `out` in the format asked for; returns the next page's `--after`.
fn write_page<W: Write>(
    ledger: &dyn Ledger,
    q: &HistoryQuery,
    args: &HistoryArgs,
    tz: chrono_tz::Tz,
    out: W,
) -> anyhow::Result<Option<i64>> {
    let mut sink = sink(q, args, tz, out)?;
    let mut failed = None;
    let next = ledger.history_page(q, &mut |t| match sink.row(&t) {
        Ok(()) => ControlFlow::Continue(()),
        Err(e) => {
            failed = Some(e);
            ControlFlow::Break(())
        }
    });
    let next = next.map_err(|e| match e {
        LedgerError::NoSuchTopUp(id) => anyhow!(
            "--after {id}: no top-up has that id; pass the id the previous page ended with \
             (the hint under it, or \"next_after\" in --json)"
        ),
        other => other.into(),
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    sink.finish(next)?;
    Ok(next)
}

/// The output `args` ask for, its head (CSV header, JSON opening) written.
fn sink<'a, W: Write + 'a>(
    q: &HistoryQuery,
    args: &HistoryArgs,
    tz: chrono_tz::Tz,
    out: W,
) -> io::Result<Box<dyn out::Sink + 'a>> {
    Ok(if args.json {
        Box::new(out::Json::start(out)?)
    } else if args.csv {
        Box::new(out::Csv::start(out)?)
    } else {
        // Anything beyond `--limit` narrows the list: "yet" would say the ledger is empty.
        let everything = HistoryQuery {
            limit: q.limit,
            ..HistoryQuery::default()
        };
        let empty = if *q == everything {
            "no top-ups yet"
        } else {
            "no top-ups match"
        };
        Box::new(out::Table {
            out,
            tz,
            empty,
            rows: 0,
        })
    })
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
