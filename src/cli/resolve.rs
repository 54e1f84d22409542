//! `renewd resolve`: a person settles a top-up whose outcome stayed unknown.

use std::path::Path;

use chrono::Utc;

use super::ResolveArgs;
use super::wiring::{load_config, open_ledger, take_state_lock};
use crate::notify::compose::{self, Spend};

pub fn resolve(path: &Path, args: &ResolveArgs) -> anyhow::Result<i32> {
    let config = load_config(path)?;
    let _lock = take_state_lock(&config, "resolve")?;
    let ledger = open_ledger(&config)?;
    let Some(t) = ledger.top_up(args.topup_id)? else {
        anyhow::bail!(
            "no top-up #{} in the ledger (see renewd history)",
            args.topup_id
        );
    };
    if !t.state.is_open() {
        anyhow::bail!(
            "top-up #{} is already {}; nothing to resolve",
            t.id,
            t.state
        );
    }
    let now = Utc::now();
    let line = config.lines.iter().find(|l| l.id == t.line_id);
    // A paid top-up gets its receipt, written in the same transaction as the settlement.
    let receipt = line.filter(|_| args.paid).map(|l| {
        let mut settled = t.clone();
        settled.settled_at = Some(now);
        settled.detail = Some("confirmed by a person with renewd resolve".to_string());
        compose::receipt(l, &settled, None, &Spend::default(), config.daemon.timezone)
    });
    let t = ledger.resolve(t.id, args.paid, now, receipt.as_ref())?;
    println!("top-up #{} on {} is now {}", t.id, t.line_id, t.state);
    Ok(0)
}
