//! `status --json` written as it is gathered: the document's other fields first, then each
//! line's entry as soon as it is read, then the count of lines needing attention. A fleet's
//! document is never held in memory whole.

use std::io::Write;

use serde_json::Value;

use super::{Shared, document, line};
use crate::config::{Config, Line};
use crate::ledger::Ledger;

/// Writes the one JSON document to stdout.
pub fn stream(
    config: &Config,
    ledger: &dyn Ledger,
    shared: &Shared<'_>,
    selected: &[&Line],
) -> anyhow::Result<()> {
    let mut head = document(config, ledger, shared, &[])?;
    let fields = head
        .as_object_mut()
        .ok_or_else(|| anyhow::anyhow!("status document is not an object"))?;
    fields.remove("lines");
    fields.remove("needs_attention");
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    out.write_all(b"{")?;
    for (key, value) in fields.iter() {
        serde_json::to_writer(&mut out, key)?;
        out.write_all(b":")?;
        serde_json::to_writer(&mut out, value)?;
        out.write_all(b",\n")?;
    }
    out.write_all(b"\"lines\":[\n")?;
    let mut attention = 0usize;
    for (i, l) in selected.iter().enumerate() {
        let g = line::gather(config, ledger, l, shared)?;
        attention += usize::from(!g.row.attention.is_empty());
        if i > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut out, &g.json)?;
    }
    out.write_all(b"\n],\n\"needs_attention\":")?;
    serde_json::to_writer(&mut out, &Value::from(attention))?;
    out.write_all(b"}\n")?;
    out.flush()?;
    Ok(())
}
