//! `[[inventory]]`: CSV files with one line per row, the header naming line keys.
//!
//! A fleet's SIM list as its provider's portal exports it. Rows are streamed (one record
//! buffer, reused) and each goes through the same checks as a `[[lines]]` entry; a row's
//! problems read `sims.csv:LINE: column: message`.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use csv::StringRecord;

use super::line_check::LineCheck;
use super::raw::{RawInventory, RawLine, RawLinePolicy};
use super::validate::Problems;
use super::{Line, Problem};

/// The line keys a column may name.
const COLUMNS: [&str; 11] = [
    "id",
    "name",
    "carrier",
    "number",
    "iccid",
    "operator_id",
    "sku_code",
    "check",
    "renews_on",
    "policy",
    "status_from",
];

/// Reads every inventory file named in the config, appending its valid lines to `out`.
pub fn lines(
    inventories: &[RawInventory],
    config_path: &Path,
    check: &mut LineCheck<'_>,
    p: &mut Problems,
    out: &mut Vec<Line>,
) {
    for (i, inv) in inventories.iter().enumerate() {
        let key = format!("inventory[{i}]");
        if !defaults_known(inv, &key, check, p) {
            continue;
        }
        let path = resolve(config_path, &inv.file);
        match File::open(&path) {
            Ok(f) => read(BufReader::with_capacity(1 << 16, f), &path, inv, check, p, out),
            Err(e) => p.add(
                format!("{key}.file"),
                format!(
                    "cannot read {}: {e}; write the CSV's path relative to this config file, e.g. \"sims.csv\"",
                    path.display()
                ),
            ),
        }
    }
}

/// The inventory's default carrier and policy, when given, exist.
fn defaults_known(inv: &RawInventory, key: &str, check: &LineCheck<'_>, p: &mut Problems) -> bool {
    let before = p.list.len();
    if let Some(c) = inv
        .carrier
        .as_ref()
        .filter(|c| !check.carriers.contains_key(*c))
    {
        let known: Vec<&str> = check.carriers.keys().map(String::as_str).collect();
        p.add(
            format!("{key}.carrier"),
            format!("no carrier named {c:?}; use one of: {}", known.join(", ")),
        );
    }
    if let Some(name) = inv
        .policy
        .as_ref()
        .filter(|n| !check.named.contains_key(*n))
    {
        p.add(
            format!("{key}.policy"),
            super::policies::unknown(name, check.named),
        );
    }
    p.list.len() == before
}

/// Streams one CSV file: the header, then each row checked as a line.
fn read<R: std::io::Read>(
    input: R,
    path: &Path,
    inv: &RawInventory,
    check: &mut LineCheck<'_>,
    p: &mut Problems,
    out: &mut Vec<Line>,
) {
    let file = path.display().to_string();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let columns = match reader.headers() {
        Ok(h) => header(h, inv, &file, p),
        Err(e) => {
            p.list.push(at(&file, 1, "", csv_message(&e)));
            None
        }
    };
    let Some(columns) = columns else { return };
    let id_at = columns.iter().position(|&c| c == 0);
    let mut record = StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, |pos| pos.line());
                if let Some(only) = check.only
                    && id_at.and_then(|i| record.get(i)) != Some(only)
                {
                    continue;
                }
                if out.len() >= super::bounds::MAX_LINES {
                    let most = super::bounds::MAX_LINES;
                    let msg = format!(
                        "one config and its inventories may hold at most {most} lines; split the fleet over several installs"
                    );
                    p.list.push(at(&file, line, "", msg));
                    break;
                }
                if let Some(l) = row(&record, &columns, inv, &file, line, check, p) {
                    out.push(l);
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, |pos| pos.line());
                p.list.push(at(&file, line, "", csv_message(&e)));
                if !matches!(
                    e.kind(),
                    csv::ErrorKind::UnequalLengths { .. } | csv::ErrorKind::Utf8 { .. }
                ) {
                    break;
                }
            }
        }
    }
}

/// Which line key each column holds; `None` (with the problems) when the header is unusable.
fn header(
    h: &StringRecord,
    inv: &RawInventory,
    file: &str,
    p: &mut Problems,
) -> Option<Vec<usize>> {
    let before = p.list.len();
    let mut cols = Vec::with_capacity(h.len());
    for name in h.iter() {
        let lower = name.to_ascii_lowercase();
        match COLUMNS.iter().position(|c| *c == lower) {
            Some(i) if cols.contains(&i) => p.list.push(at(
                file,
                1,
                name,
                "is a second column of this name; keep one".into(),
            )),
            Some(i) => cols.push(i),
            None => {
                let hint = match super::locate::closest(&lower, &COLUMNS) {
                    Some(near) => format!("did you mean {near:?}?"),
                    None => format!("columns name line keys: {}", COLUMNS.join(", ")),
                };
                p.list
                    .push(at(file, 1, name, format!("is not a line key; {hint}")));
            }
        }
    }
    let need = [
        ("id", None),
        ("carrier", inv.carrier.as_ref()),
        ("policy", inv.policy.as_ref()),
    ];
    for (col, default) in need {
        let has = cols.iter().any(|&i| COLUMNS[i] == col);
        if !has && default.is_none() {
            let also = if col == "id" {
                String::new()
            } else {
                format!(" (or set {col} = \"...\" in this [[inventory]] for every row)")
            };
            p.list.push(at(
                file,
                1,
                "",
                format!("the header has no {col} column; add one{also}"),
            ));
        }
    }
    (p.list.len() == before).then_some(cols)
}

/// One row as a line: built from its cells, checked like `[[lines]]`, problems moved to
/// `file:line: column`.
fn row(
    record: &StringRecord,
    columns: &[usize],
    inv: &RawInventory,
    file: &str,
    line: u64,
    check: &mut LineCheck<'_>,
    p: &mut Problems,
) -> Option<Line> {
    let mut rp = Problems::default();
    let built = raw_line(record, columns, inv, &mut rp);
    let valid = built.and_then(|raw| {
        let place = format!("{file}:{line}");
        check.line(&raw, "row", &place, &mut rp)
    });
    let moved = |list: Vec<Problem>| list.into_iter().map(|pr| relocate(pr, file, line));
    p.list.extend(moved(rp.list));
    p.warnings.extend(moved(rp.warnings));
    valid
}

/// The row's cells as a `RawLine`; `None` when a cell cannot be read as its key.
fn raw_line(
    record: &StringRecord,
    columns: &[usize],
    inv: &RawInventory,
    p: &mut Problems,
) -> Option<RawLine> {
    let mut cell = [None::<&str>; COLUMNS.len()];
    for (value, &col) in record.iter().zip(columns) {
        cell[col] = Some(value).filter(|v| !v.is_empty());
    }
    let own = |i: usize| cell[i].map(str::to_string);
    let operator_id = match cell[5].map(|s| s.parse::<i64>()) {
        Some(Err(_)) => {
            let v = cell[5].unwrap_or_default();
            p.add(
                "row.operator_id",
                format!("{v:?} is not a number; write the id Reloadly lists, e.g. 1234"),
            );
            return None;
        }
        other => other.map(Result::unwrap_or_default),
    };
    let id = required(cell[0], None, "id", "\"fleet-0001\"", p);
    let carrier = required(cell[2], inv.carrier.as_deref(), "carrier", "\"airtime\"", p);
    let policy = required(
        cell[9],
        inv.policy.as_deref(),
        "policy",
        "\"monthly-25\"",
        p,
    );
    Some(RawLine {
        email_to: None,
        id: id?,
        name: own(1),
        carrier: carrier?,
        number: own(3),
        iccid: own(4),
        check: own(7),
        operator_id,
        sku_code: own(6),
        status_from: own(10),
        renews_on: own(8),
        policy: RawLinePolicy::Named(policy?),
    })
}

/// A cell every line needs, or the inventory's default for it.
fn required(
    cell: Option<&str>,
    default: Option<&str>,
    col: &str,
    example: &str,
    p: &mut Problems,
) -> Option<String> {
    match cell.or(default) {
        Some(v) => Some(v.to_string()),
        None => {
            p.add(
                format!("row.{col}"),
                format!("is empty; every line needs one, e.g. {example}"),
            );
            None
        }
    }
}

/// A problem found under the key path `row.…` becomes `file:line: column: message`.
fn relocate(mut pr: Problem, file: &str, line: u64) -> Problem {
    let rest = pr.key.strip_prefix("row").unwrap_or(&pr.key);
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    let column = rest.split(['.', '[']).next().unwrap_or_default();
    pr.key = column.to_string();
    pr.file = Some(format!("{file}:{line}"));
    pr
}

fn at(file: &str, line: u64, column: &str, message: String) -> Problem {
    Problem {
        key: column.to_string(),
        message,
        position: None,
        file: Some(format!("{file}:{line}")),
    }
}

/// What a person should do about a CSV syntax problem.
fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "has {len} fields but the header has {expected_len}; give every row one cell per column (an empty cell for none)"
        ),
        csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text; save the file as UTF-8 CSV".into(),
        _ => format!("cannot be read as CSV: {e}"),
    }
}

/// Where an inventory file is, as messages show it.
pub fn resolve(config_path: &Path, file: &str) -> PathBuf {
    config_path.parent().unwrap_or(Path::new("")).join(file)
}
