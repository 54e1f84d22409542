//! `[carriers.NAME]` sections: the closed set of carrier types, and what each needs of a line.

use super::{airalo, command, dingconnect, onence, reloadly, simulated};
use crate::config::raw::RawLine;
use crate::config::validate::Problems;

/// A `[carriers.NAME]` section, by its `type`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum CarrierSpec {
    Simulated(simulated::SimulatedConfig),
    Airalo(airalo::AiraloConfig),
    #[serde(rename = "1nce")]
    OneNce(onence::OneNceConfig),
    Reloadly(reloadly::ReloadlyConfig),
    Dingconnect(dingconnect::DingConfig),
    Command(command::CommandConfig),
}

impl CarrierSpec {
    /// The `type` value, as written in the config.
    pub fn type_name(&self) -> &'static str {
        match self {
            CarrierSpec::Simulated(_) => "simulated",
            CarrierSpec::Airalo(_) => "airalo",
            CarrierSpec::OneNce(_) => "1nce",
            CarrierSpec::Reloadly(_) => "reloadly",
            CarrierSpec::Dingconnect(_) => "dingconnect",
            CarrierSpec::Command(_) => "command",
        }
    }

    /// Checks the section's own keys; `key` is `carriers.NAME`.
    pub fn validate(&self, key: &str, p: &mut Problems) {
        match self {
            CarrierSpec::Simulated(c) => c.validate(key, p),
            CarrierSpec::Airalo(c) => c.validate(key, p),
            CarrierSpec::OneNce(c) => c.validate(key, p),
            CarrierSpec::Reloadly(c) => c.validate(key, p),
            CarrierSpec::Dingconnect(c) => c.validate(key, p),
            CarrierSpec::Command(c) => c.validate(key, p),
        }
    }

    /// Checks what a line on this carrier must have (an ICCID, a number, a SKU...).
    pub fn validate_line(&self, line: &RawLine, key: &str, p: &mut Problems) {
        let need = |p: &mut Problems, field: &str, v: &Option<String>, example: &str| {
            if v.is_none() {
                p.add(
                    format!("{key}.{field}"),
                    format!(
                        "is needed for a {} line; e.g. {field} = {example}",
                        self.type_name()
                    ),
                );
            }
        };
        match self {
            CarrierSpec::Airalo(_) | CarrierSpec::OneNce(_) => {
                need(p, "iccid", &line.iccid, "\"8901260000000000001\"")
            }
            CarrierSpec::Reloadly(_) => need(p, "number", &line.number, "\"+15551234567\""),
            CarrierSpec::Dingconnect(_) => {
                need(p, "number", &line.number, "\"+15551234567\"");
                need(p, "sku_code", &line.sku_code, "\"XXUS12345\"");
            }
            CarrierSpec::Simulated(_) | CarrierSpec::Command(_) => {}
        }
    }
}
