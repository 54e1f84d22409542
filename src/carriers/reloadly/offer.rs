//! What Reloadly can sell hands-off: the operator's denominations and currencies checked
//! against the line's amount, and the account's funds checked before a purchase.

use super::Reloadly;
use super::wire::{self, Operator};
use crate::carriers::CarrierError;
use crate::config::Line;
use crate::money::{Currency, Money};

impl Reloadly {
    /// Refuses operators that cannot take `offer` hands-off; says whether the amount is local.
    pub(super) fn check_offer(
        &self,
        line: &Line,
        op: &Operator,
        amount: Money,
    ) -> Result<bool, CarrierError> {
        let setup = |detail: String| CarrierError::Setup {
            carrier: self.name().to_string(),
            detail,
        };
        if op.pin {
            return Err(setup(format!(
                "line {}: operator {} ({}) is PIN-based: Reloadly sells a PIN that a person must redeem, so renewd cannot top it up hands-off; pin another operator_id or use another carrier",
                line.id,
                op.id().unwrap_or_default(),
                op.name
            )));
        }
        let code = amount.currency.code();
        let local =
            op.destination_currency_code.as_deref() == Some(code) && op.supports_local_amounts;
        if !local && op.sender_currency_code.as_deref() != Some(code) {
            return Err(setup(format!(
                "line {}: operator {} sells in {} (account currency {}), not {code}; write topup_amount in one of those",
                line.id,
                op.name,
                op.destination_currency_code.as_deref().unwrap_or("?"),
                op.sender_currency_code.as_deref().unwrap_or("?")
            )));
        }
        let (fixed, min, max) = if local {
            (
                &op.local_fixed_amounts,
                op.local_min_amount,
                op.local_max_amount,
            )
        } else {
            (&op.fixed_amounts, op.min_amount, op.max_amount)
        };
        let to_money = |v: f64| Money::from_major_f64(v, amount.currency);
        if op.denomination_type.eq_ignore_ascii_case("FIXED") {
            let allowed: Vec<Money> = fixed.iter().filter_map(|v| to_money(*v)).collect();
            if !allowed.contains(&amount) {
                let list: Vec<String> = allowed.iter().map(|m| format!("\"{m}\"")).collect();
                return Err(setup(format!(
                    "line {}: operator {} sells fixed amounts only; topup_amount = \"{amount}\" is not one of {}",
                    line.id,
                    op.name,
                    list.join(", ")
                )));
            }
        } else {
            let below = min.and_then(to_money).filter(|m| amount.minor < m.minor);
            let above = max.and_then(to_money).filter(|m| amount.minor > m.minor);
            if let Some(limit) = below.or(above) {
                let side = if below.is_some() {
                    "below the minimum"
                } else {
                    "above the maximum"
                };
                return Err(setup(format!(
                    "line {}: topup_amount = \"{amount}\" is {side} {limit} of operator {}",
                    line.id, op.name
                )));
            }
        }
        Ok(local)
    }

    /// Refuses to buy when the Reloadly account holds less than `amount`.
    pub(super) async fn check_funds(&self, amount: Money) -> Result<(), CarrierError> {
        let b: wire::Balance = self
            .api
            .get(&["accounts", "balance"], &[], "account balance")
            .await?;
        let Some(cur) = Currency::new(&b.currency_code).filter(|c| *c == amount.currency) else {
            tracing::debug!(carrier = self.name(), account = %b.currency_code, "account currency differs from the top-up; balance not compared");
            return Ok(());
        };
        let have = Money::from_major_f64(b.balance, cur).unwrap_or(Money::new(0, cur));
        if have.minor < amount.minor {
            return Err(CarrierError::Refused {
                carrier: self.name().to_string(),
                code: "INSUFFICIENT_BALANCE".into(),
                message: format!(
                    "the Reloadly account holds {have}, less than the {amount} top-up; fund the account, then the next check buys"
                ),
                retryable: false,
            });
        }
        Ok(())
    }
}
