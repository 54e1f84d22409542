//! `renewd resolve`: a person settles a top-up whose outcome stayed unknown.

use std::path::Path;

use chrono::Utc;

use super::ResolveArgs;
use super::wiring::{load_config, open_ledger};
use crate::ledger::Settlement;
use crate::notify::compose::{self, Spend};

pub fn resolve(path: &Path, args: &ResolveArgs) -> anyhow::Result<i32> {
    let config = load_config(path)?;
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
    let (outcome, message) = if args.paid {
        let detail = Some("confirmed by a person with renewd resolve".to_string());
        let mut settled = t.clone();
        settled.settled_at = Some(now);
        settled.detail = detail.clone();
        let receipt = line.map(|l| {
            compose::receipt(l, &settled, None, &Spend::default(), config.daemon.timezone)
        });
        (
            Settlement::Confirmed {
                provider_ref: None,
                charged: None,
                detail,
            },
            receipt,
        )
    } else {
        (
            Settlement::Failed {
                reason: "marked failed by a person with renewd resolve".into(),
            },
            None,
        )
    };
    let t = ledger.settle(t.id, &outcome, now, message.as_ref())?;
    println!("top-up #{} on {} is now {}", t.id, t.line_id, t.state);
    Ok(0)
}
