//! The command carrier's contract: placeholders in argument lists, and the one JSON object a
//! program prints on stdout (README.md, "Command carriers", documents the same schema).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::carriers::{Lookup, Purchase, Submitted};
use crate::model::{LineState, Observation};
use crate::money::{DataSize, Money};

/// Placeholders an argument may hold.
pub const PLACEHOLDERS: &[&str] = &[
    "number",
    "iccid",
    "amount",
    "currency",
    "package",
    "reference",
    "line",
];

/// Values for the placeholders of one call; `None` when the call or the line has none.
#[derive(Debug, Default, Clone)]
pub struct Vars {
    pub number: Option<String>,
    pub iccid: Option<String>,
    /// Decimal amount without currency, e.g. "25.00".
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub package: Option<String>,
    pub reference: Option<String>,
    pub line: Option<String>,
}

impl Vars {
    fn get(&self, name: &str) -> Option<&Option<String>> {
        Some(match name {
            "number" => &self.number,
            "iccid" => &self.iccid,
            "amount" => &self.amount,
            "currency" => &self.currency,
            "package" => &self.package,
            "reference" => &self.reference,
            "line" => &self.line,
            _ => return None,
        })
    }
}

/// Replaces `{name}` placeholders in one argument, in one pass: a value is never re-read
/// for placeholders, quoted or interpreted. Unknown `{words}` stay as written.
pub fn expand(arg: &str, vars: &Vars) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = arg;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}');
        match close.map(|c| (&after[..c], vars.get(&after[..c]))) {
            Some((name, Some(value))) => {
                let v = value
                    .as_deref()
                    .ok_or_else(|| format!("{{{name}}} has no value for this line or call"))?;
                out.push_str(v);
                rest = &after[name.len() + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// `{words}` in an argument that are not placeholders (likely typos).
pub fn unknown_placeholders(arg: &str) -> Vec<String> {
    let mut bad = Vec::new();
    let mut rest = arg;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        if let Some(c) = after.find('}') {
            let name = &after[..c];
            let wordy =
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
            if wordy && !PLACEHOLDERS.contains(&name) {
                bad.push(format!("{{{name}}}"));
            }
        }
        rest = after;
    }
    bad
}

/// The one JSON object a program prints. Every field is optional; unknown fields are refused
/// so a misspelt key cannot silently drop a figure.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// "5.00 USD": money with the currency's decimals.
    pub balance: Option<String>,
    /// "500 MB", "1.5 GB".
    pub data: Option<String>,
    /// RFC 3339 ("2026-12-15T00:00:00Z") or a date ("2026-12-15", read as 00:00 UTC).
    pub expiry: Option<String>,
    #[serde(default)]
    pub unlimited: bool,
    /// status: active | not_active | expired | dead | unknown;
    /// topup: confirmed | pending | failed; lookup: confirmed | pending | failed | not_found.
    pub state: Option<String>,
    /// The provider's id for a purchase (topup, lookup).
    pub reference: Option<String>,
    /// What the amount cost, when different from the amount asked, e.g. "25.00 USD".
    pub charged: Option<String>,
    /// Free words for the log and emails (receipt text, error text).
    pub message: Option<String>,
}

/// Parses stdout as exactly one JSON object.
pub fn parse(stdout: &[u8]) -> Result<Reply, String> {
    let text = std::str::from_utf8(stdout).map_err(|_| "stdout is not UTF-8".to_string())?;
    if !text.trim_start().starts_with('{') {
        let shown: String = text.chars().take(120).collect();
        return Err(format!("stdout is not one JSON object: {shown:?}"));
    }
    serde_json::from_str(text).map_err(|e| format!("stdout is not the expected JSON object: {e}"))
}

impl Reply {
    /// A `status` reply as an observation.
    pub fn observation(&self, at: DateTime<Utc>) -> Result<Observation, String> {
        let mut obs = Observation::empty(at);
        obs.balance = self
            .balance
            .as_deref()
            .map(|b| b.parse::<Money>().map_err(|e| format!("balance: {e}")))
            .transpose()?;
        obs.data = self
            .data
            .as_deref()
            .map(|d| d.parse::<DataSize>().map_err(|e| format!("data: {e}")))
            .transpose()?;
        obs.expires_at = self.expiry.as_deref().map(parse_expiry).transpose()?;
        obs.unlimited = self.unlimited;
        obs.state = match self.state.as_deref().unwrap_or("active") {
            "active" => LineState::Active,
            "not_active" => LineState::NotActive,
            "expired" => LineState::Expired,
            "dead" => LineState::Dead,
            "unknown" => LineState::Unknown,
            s => {
                return Err(format!(
                    "state {s:?} is not one of active, not_active, expired, dead, unknown"
                ));
            }
        };
        obs.note = self.message.clone();
        Ok(obs)
    }

    fn purchase(&self) -> Result<Purchase, String> {
        let charged = self
            .charged
            .as_deref()
            .map(|c| c.parse::<Money>().map_err(|e| format!("charged: {e}")))
            .transpose()?;
        Ok(Purchase {
            provider_ref: self.reference.clone(),
            charged,
            detail: self.message.clone(),
        })
    }

    /// A `topup` reply (exit 0): confirmed (the default) or pending. `Err(Ok(msg))` is a
    /// definite "failed"; `Err(Err(msg))` a reply that does not fit the schema.
    pub fn submitted(&self) -> Result<Submitted, Result<String, String>> {
        match self.state.as_deref().unwrap_or("confirmed") {
            "confirmed" => self.purchase().map(Submitted::Confirmed).map_err(Err),
            "pending" => Ok(Submitted::Pending {
                provider_ref: self.reference.clone(),
            }),
            "failed" => Err(Ok(self
                .message
                .clone()
                .unwrap_or_else(|| "the program says the top-up failed".into()))),
            s => Err(Err(format!(
                "state {s:?} is not one of confirmed, pending, failed"
            ))),
        }
    }

    /// A `lookup` reply (exit 0); `state` is required.
    pub fn lookup(&self) -> Result<Lookup, String> {
        match self.state.as_deref() {
            Some("confirmed") => self.purchase().map(Lookup::Confirmed),
            Some("pending") => Ok(Lookup::Pending {
                provider_ref: self.reference.clone(),
            }),
            Some("failed") => Ok(Lookup::Failed {
                reason: self
                    .message
                    .clone()
                    .unwrap_or_else(|| "the program says it failed".into()),
            }),
            Some("not_found") => Ok(Lookup::NotFound),
            s => Err(format!(
                "state {s:?} is not one of confirmed, pending, failed, not_found"
            )),
        }
    }
}

/// RFC 3339, or a bare date read as 00:00 UTC of that day.
fn parse_expiry(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        .map_err(|_| format!("expiry {s:?} is neither RFC 3339 (\"2026-12-15T00:00:00Z\") nor a date (\"2026-12-15\")"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_table() {
        let vars = Vars {
            number: Some("+15551234567".into()),
            reference: Some("\"; touch /tmp/x #{line}".into()),
            ..Vars::default()
        };
        let cases = [
            ("{number}", Ok("+15551234567")),
            ("--to={number}!", Ok("--to=+15551234567!")),
            ("{reference}", Ok("\"; touch /tmp/x #{line}")),
            ("{nope} {", Ok("{nope} {")),
            ("{iccid}", Err(())),
        ];
        for (arg, want) in cases {
            let got = expand(arg, &vars);
            match want {
                Ok(w) => assert_eq!(got.as_deref(), Ok(w), "{arg}"),
                Err(()) => assert!(got.unwrap_err().contains("{iccid}"), "{arg}"),
            }
        }
        assert_eq!(
            unknown_placeholders("{numbr}-{number}-{A}"),
            vec!["{numbr}".to_string()]
        );
    }

    #[test]
    fn observation_fields() {
        let r = parse(br#"{"balance":"5.00 USD","data":"1.5 GB","expiry":"2026-12-15","state":"expired","message":"hi"}"#).unwrap();
        let o = r.observation(Utc::now()).unwrap();
        assert_eq!(o.balance.unwrap().minor, 500);
        assert_eq!(o.data.unwrap().mb(), 1536);
        assert_eq!(
            o.expires_at.unwrap().to_rfc3339(),
            "2026-12-15T00:00:00+00:00"
        );
        assert_eq!(o.state, LineState::Expired);
        assert!(parse(br#"{"balanse":"5.00 USD"}"#).is_err());
        assert!(parse(b"Balance: $5.00").is_err());
        assert!(
            parse(br#"{"balance":"5 USD"}"#)
                .unwrap()
                .observation(Utc::now())
                .is_err()
        );
    }
}
