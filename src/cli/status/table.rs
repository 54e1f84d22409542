//! `renewd status` as a person reads it: a header, the fleet in one line, then one table
//! row per line, those that need attention first. Colour only when asked (a TTY without
//! `NO_COLOR`); sparklines always.

use crate::i18n::{Lang, display_width};

/// One line of the table, already in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: String,
    /// Balance and/or data now, e.g. "4.20 USD · 312 MB".
    pub now: String,
    pub spark: String,
    pub runs_out: String,
    pub plan_ends: String,
    pub next_check: String,
    /// "20.00 / 30.00 USD" or "20.00 USD".
    pub month: String,
    /// Why a person should look; empty when all is well.
    pub attention: Vec<String>,
}

/// The catalogue ids of the column headings.
const HEADINGS: [&str; 8] = [
    "status-col-line",
    "status-col-now",
    "status-col-trend",
    "status-col-runs-out",
    "status-col-plan-ends",
    "status-col-next-check",
    "status-col-month",
    "status-col-attention",
];

/// The whole text: `header` lines, then the table (rows needing attention first, in the
/// order given otherwise), headings in English.
#[cfg(test)]
pub fn render(header: &[String], rows: &[Row], color: bool) -> String {
    render_in(Lang::En, header, rows, color)
}

/// `render` with the headings in `lang`; columns line up for wide (CJK) characters too.
pub fn render_in(lang: Lang, header: &[String], rows: &[Row], color: bool) -> String {
    let headings = HEADINGS.map(|id| crate::i18n::t0(lang, id));
    let mut sorted: Vec<&Row> = rows.iter().collect();
    sorted.sort_by_key(|r| r.attention.is_empty());
    let cells: Vec<[String; 8]> = sorted.iter().map(|r| cells(r)).collect();
    let mut width = headings.clone().map(|h| display_width(&h));
    for c in &cells {
        for (w, cell) in width.iter_mut().zip(c) {
            *w = (*w).max(display_width(cell));
        }
    }
    let mut out = String::new();
    for h in header {
        out.push_str(h);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&paint(&join(&headings, &width), "1", color));
    for (row, c) in sorted.iter().zip(&cells) {
        let code = if row.attention.is_empty() { "" } else { "33" };
        out.push_str(&paint(&join(c, &width), code, color));
    }
    out
}

fn cells(r: &Row) -> [String; 8] {
    let attention = if r.attention.is_empty() {
        "-".to_string()
    } else {
        r.attention.join("; ")
    };
    [
        r.id.clone(),
        r.now.clone(),
        r.spark.clone(),
        r.runs_out.clone(),
        r.plan_ends.clone(),
        r.next_check.clone(),
        r.month.clone(),
        attention,
    ]
}

fn join(cells: &[String; 8], width: &[usize; 8]) -> String {
    let mut line = String::new();
    for (i, (cell, w)) in cells.iter().zip(width).enumerate() {
        line.push_str(cell);
        if i + 1 < cells.len() {
            let pad = w.saturating_sub(display_width(cell)) + 2;
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    line.push('\n');
    line
}

/// Wraps a line in an ANSI colour when `color` (and a code) is given.
fn paint(line: &str, code: &str, color: bool) -> String {
    if !color || code.is_empty() {
        return line.to_string();
    }
    let body = line.trim_end_matches('\n');
    format!("\x1b[{code}m{body}\x1b[0m\n")
}

/// Whether to colour: stdout is a terminal and `NO_COLOR` is unset or empty.
pub fn use_color() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, attention: &[&str]) -> Row {
        Row {
            id: id.into(),
            now: "4.20 USD".into(),
            spark: "█▆▄▂▁".into(),
            runs_out: "2d 3h".into(),
            plan_ends: "-".into(),
            next_check: "12-04 10:00".into(),
            month: "30.00 / 30.00 USD".into(),
            attention: attention.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn snapshot_attention_rows_first_plain() {
        let header = vec!["renewd is running (pid 42) since 2026-12-04 09:00 UTC".to_string()];
        let text = render(
            &header,
            &[row("mom", &[]), row("dad", &["line cap reached"])],
            false,
        );
        let want = "\
renewd is running (pid 42) since 2026-12-04 09:00 UTC

LINE  NOW       TREND  RUNS OUT  PLAN ENDS  NEXT CHECK   THIS MONTH         NEEDS ATTENTION
dad   4.20 USD  █▆▄▂▁  2d 3h     -          12-04 10:00  30.00 / 30.00 USD  line cap reached
mom   4.20 USD  █▆▄▂▁  2d 3h     -          12-04 10:00  30.00 / 30.00 USD  -
";
        assert_eq!(text, want);
    }

    #[test]
    fn colour_only_when_asked() {
        let rows = [row("dad", &["check failing"]), row("mom", &[])];
        let plain = render(&[], &rows, false);
        assert!(!plain.contains('\x1b'));
        let coloured = render(&[], &rows, true);
        assert!(coloured.contains("\x1b[33mdad"), "{coloured}");
        assert!(
            coloured.contains("\nmom"),
            "healthy rows stay plain: {coloured}"
        );
        assert_eq!(
            coloured.matches("█▆▄▂▁").count(),
            2,
            "sparklines either way"
        );
    }
}
