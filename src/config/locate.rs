//! Where a key sits in the config text: key paths to `line:column`, and back.
//!
//! Walks the `toml_edit` document (which keeps byte spans) so that a problem found on the
//! parsed values, or a serde error that only carries a span, can name both the key path
//! (`lines[2].policy.topup_amount`) and its position in the file.

use toml_edit::{Document, Item, Table, Value};

/// One key of the document: its path, where the key is written and where its value is.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Key path, e.g. `carriers.travel.client_secret_file` or `lines[2].policy`.
    pub path: String,
    /// Byte range of the key itself (for `[table]` headers: the header).
    pub key: Option<std::ops::Range<usize>>,
    /// Byte range of the value (for tables: the header).
    pub value: Option<std::ops::Range<usize>>,
    /// For tables: the keys they hold, in file order.
    pub children: Option<Vec<String>>,
}

/// Every key of the text, or `None` when it is not valid TOML.
pub fn entries(text: &str) -> Option<Vec<Entry>> {
    let doc: Document<&str> = Document::parse(text).ok()?;
    let mut out = Vec::new();
    walk_table(doc.as_table(), "", &mut out);
    Some(out)
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn walk_table(table: &Table, prefix: &str, out: &mut Vec<Entry>) {
    for (name, item) in table.iter() {
        let path = join(prefix, name);
        let key = table.key(name).and_then(|k| k.span());
        walk_item(item, path, key, out);
    }
}

fn walk_item(item: &Item, path: String, key: Option<std::ops::Range<usize>>, out: &mut Vec<Entry>) {
    match item {
        Item::Table(t) => {
            let children = Some(t.iter().map(|(k, _)| k.to_string()).collect());
            out.push(Entry {
                path: path.clone(),
                key: key.or(t.span()),
                value: t.span(),
                children,
            });
            walk_table(t, &path, out);
        }
        Item::ArrayOfTables(a) => {
            out.push(Entry {
                path: path.clone(),
                key: key.clone(),
                value: a.span(),
                children: None,
            });
            for (i, t) in a.iter().enumerate() {
                let children = Some(t.iter().map(|(k, _)| k.to_string()).collect());
                let p = format!("{path}[{i}]");
                out.push(Entry {
                    path: p.clone(),
                    key: t.span(),
                    value: t.span(),
                    children,
                });
                walk_table(t, &p, out);
            }
        }
        Item::Value(v) => walk_value(v, path, key, out),
        Item::None => {}
    }
}

fn walk_value(v: &Value, path: String, key: Option<std::ops::Range<usize>>, out: &mut Vec<Entry>) {
    match v {
        Value::InlineTable(t) => {
            let children = Some(t.iter().map(|(k, _)| k.to_string()).collect());
            out.push(Entry {
                path: path.clone(),
                key,
                value: v.span(),
                children,
            });
            for (name, inner) in t.iter() {
                let k = t.key(name).and_then(|k| k.span());
                walk_value(inner, join(&path, name), k, out);
            }
        }
        Value::Array(a) => {
            out.push(Entry {
                path: path.clone(),
                key,
                value: v.span(),
                children: None,
            });
            for (i, inner) in a.iter().enumerate() {
                walk_value(inner, format!("{path}[{i}]"), inner.span(), out);
            }
        }
        _ => out.push(Entry {
            path,
            key,
            value: v.span(),
            children: None,
        }),
    }
}

/// Byte offset for a key path: its value, or the nearest parent that is written in the file.
pub fn key_offset(entries: &[Entry], key: &str) -> Option<usize> {
    let mut path = key;
    loop {
        if let Some(e) = entries.iter().find(|e| e.path == path)
            && let Some(start) = e.value.as_ref().or(e.key.as_ref()).map(|r| r.start)
        {
            return Some(start);
        }
        path = parent(path)?;
    }
}

/// Positions of a text's keys, built once and only when a problem must be placed: a
/// 100,000-line config that is valid never pays for the span walk.
pub struct Places<'t> {
    text: &'t str,
    /// Key path -> byte offset of its value (or key).
    starts: std::collections::HashMap<String, usize>,
    /// Byte offsets where each line starts.
    lines: Vec<usize>,
}

impl<'t> Places<'t> {
    pub fn new(text: &'t str) -> Self {
        let starts = entries(text)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|e| Some((e.path, e.value.or(e.key)?.start)))
            .collect();
        let lines = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Places {
            text,
            starts,
            lines,
        }
    }

    /// 1-based line and column of a key path, or of its nearest parent written in the file.
    pub fn find(&self, key: &str) -> Option<(usize, usize)> {
        let mut path = key;
        let start = loop {
            if let Some(&start) = self.starts.get(path) {
                break start;
            }
            path = parent(path)?;
        };
        let line = self.lines.partition_point(|&s| s <= start);
        let from = self.lines[line - 1];
        Some((
            line,
            self.text
                .get(from..start)
                .map_or(1, |t| t.chars().count() + 1),
        ))
    }
}

/// `lines[2].policy` -> `lines[2]` -> `lines`; `None` at the top.
pub fn parent(path: &str) -> Option<&str> {
    let cut = path.rfind(['.', '['])?;
    Some(&path[..cut])
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The closest of `candidates` to `word`, when it is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let best = candidates
        .iter()
        .map(|c| (distance(word, c), *c))
        .min_by_key(|(d, _)| *d)?;
    let limit = (word.chars().count() / 3).max(2);
    (best.0 <= limit).then_some(best.1)
}

/// Levenshtein distance, in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
