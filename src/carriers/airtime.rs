//! What the airtime adapters (Reloadly, DingConnect) share: they report nothing about the
//! line, and a purchase under a reference the provider already holds is settled by looking
//! the earlier attempt up.

use chrono::Utc;

use super::{CarrierError, Lookup, Submitted};
use crate::model::{LineState, Observation};

/// An observation with no figures, for a provider that knows nothing of the line.
pub fn unreported(provider: &str) -> Observation {
    let mut obs = Observation::empty(Utc::now());
    obs.state = LineState::Unknown;
    obs.note = Some(format!(
        "{provider} does not report balance, data or expiry; renewing by date"
    ));
    obs
}

/// The purchase's answer when the provider already had its reference (`code`): what the
/// earlier attempt came to. Not found yet is still pending, never a failure; a failed
/// earlier attempt is a refusal a later check may retry.
pub fn earlier_attempt(
    found: Lookup,
    carrier: &str,
    code: &str,
) -> Result<Submitted, CarrierError> {
    match found {
        Lookup::Confirmed(p) => Ok(Submitted::Confirmed(p)),
        Lookup::Pending { provider_ref } => Ok(Submitted::Pending { provider_ref }),
        Lookup::NotFound => Ok(Submitted::Pending { provider_ref: None }),
        Lookup::Failed { reason } => Err(CarrierError::Refused {
            carrier: carrier.to_string(),
            code: code.into(),
            message: format!("the earlier attempt under this reference failed: {reason}"),
            retryable: true,
        }),
    }
}
