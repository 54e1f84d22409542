//! The checks every adapter's answer passes before the ledger sees it, whatever the
//! provider sent: a "charged" figure of zero or less is not a charge and is dropped (the
//! ledger keeps the amount it planned), with a warning.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::{Carrier, CarrierError, Lookup, Order, Purchase, Reports, Submitted};
use crate::config::{Line, TopUpChoice};
use crate::model::{Listed, Observation, Offer};

/// An adapter whose purchases are checked on the way out.
pub struct Guarded(pub Arc<dyn Carrier>);

/// `p` with an impossible `charged` figure (zero or negative) removed.
pub fn sane(line_id: &str, p: Purchase) -> Purchase {
    match p.charged {
        Some(c) if c.minor <= 0 => {
            tracing::warn!(line = line_id, charged = %c, "the provider reported a charge of zero or less; keeping the planned amount");
            Purchase { charged: None, ..p }
        }
        _ => p,
    }
}

#[async_trait]
impl Carrier for Guarded {
    fn reports(&self) -> Reports {
        self.0.reports()
    }

    fn min_settle(&self) -> Duration {
        self.0.min_settle()
    }

    fn rate_limited(&self) -> u64 {
        self.0.rate_limited()
    }

    async fn status(&self, line: &Line) -> Result<Observation, CarrierError> {
        self.0.status(line).await
    }

    async fn quote(&self, line: &Line, choice: &TopUpChoice) -> Result<Offer, CarrierError> {
        self.0.quote(line, choice).await
    }

    async fn offers(&self, line: &Line) -> Result<Vec<Listed>, CarrierError> {
        self.0.offers(line).await
    }

    async fn dry_run(&self, line: &Line, offer: &Offer) -> Result<(), CarrierError> {
        self.0.dry_run(line, offer).await
    }

    async fn top_up(&self, line: &Line, order: &Order) -> Result<Submitted, CarrierError> {
        Ok(match self.0.top_up(line, order).await? {
            Submitted::Confirmed(p) => Submitted::Confirmed(sane(&line.id, p)),
            other => other,
        })
    }

    async fn lookup(&self, line: &Line, order: &Order) -> Result<Lookup, CarrierError> {
        Ok(match self.0.lookup(line, order).await? {
            Lookup::Confirmed(p) => Lookup::Confirmed(sane(&line.id, p)),
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_charge_of_zero_or_less_is_dropped_and_a_positive_one_kept() {
        for (minor, kept) in [(-500, false), (0, false), (1, true), (2500, true)] {
            let charged =
                crate::money::Money::new(minor, crate::money::Currency::new("USD").unwrap());
            let p = Purchase {
                provider_ref: Some("r".into()),
                charged: Some(charged),
                detail: None,
            };
            assert_eq!(sane("l", p).charged.is_some(), kept, "{minor}");
        }
    }
}
