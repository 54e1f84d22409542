//! `status` of a fleet: above `TABLE_ALL_UP_TO` selected lines the table shows a summary
//! and only the lines that may need a person, found from the ledger's indexes (paused,
//! failing, a top-up open or bought this month, a dead reading); every other line is
//! counted, not gathered. `--json` and `status LINE` still give every line's detail.

use std::collections::HashSet;

use super::Shared;
use crate::config::{Config, Line};
use crate::notify::compose::local_time;
use crate::scheduler::next_due;

/// Up to this many selected lines the table has a row per line.
pub const TABLE_ALL_UP_TO: usize = 200;

/// The selected lines that may need attention; all of them when the ledger cannot tell.
pub fn candidates<'c>(shared: &Shared<'_>, selected: Vec<&'c Line>) -> Vec<&'c Line> {
    let Some(index) = &shared.index else {
        return selected;
    };
    let failing: HashSet<&str> = shared
        .checks
        .values()
        .filter(|c| c.error.is_some())
        .map(|c| c.line_id.as_str())
        .collect();
    selected
        .into_iter()
        .filter(|l| failing.contains(l.id.as_str()) || index.attention.contains(&l.sim()))
        .collect()
}

/// `100000 lines: 99990 checked, 3 failing, 10 never checked; next check 12-04 10:00 fleet-000042`,
/// in the daemon's language.
pub fn summary(config: &Config, shared: &Shared<'_>, selected: &[&Line]) -> String {
    let tz = config.daemon.timezone;
    let (mut checked, mut failing) = (0, 0);
    let mut next: Option<(chrono::DateTime<chrono::Utc>, &str)> = None;
    for l in selected {
        let check = shared.checks.get(&l.id);
        checked += usize::from(check.is_some());
        failing += usize::from(check.is_some_and(|c| c.error.is_some()));
        let due = next_due(&l.schedule, check.map(|c| c.at), shared.now, tz);
        if let Some(due) = due.filter(|d| next.is_none_or(|(n, _)| *d < n)) {
            next = Some((due, &l.id));
        }
    }
    let never = selected.len() - checked;
    let lang = config.daemon.language;
    let n = |k: &'static str, v: usize| (k, v.to_string().into());
    let mut out = crate::i18n::t(
        lang,
        "status-fleet-checks",
        &[
            n("lines", selected.len()),
            n("checked", checked),
            n("failing", failing),
            n("never", never),
        ],
    );
    if let Some((at, id)) = next {
        let at = local_time(at, tz);
        let args = [("at", at.into()), ("line", id.to_string().into())];
        out.push_str(&crate::i18n::t(lang, "status-fleet-next", &args));
    }
    out
}
