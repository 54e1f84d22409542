//! DingConnect API: airtime top-ups by SkuCode to a phone number.
//!
//! Config only so far: the adapter itself is not built yet, and `build()` refuses it.

use serde::Deserialize;

use crate::config::secret::{Secret, SecretSource};
use crate::config::validate::Problems;

/// A `[carriers.NAME]` section with `type = "dingconnect"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DingConfig {
    pub api_key: Option<Secret>,
    pub api_key_file: Option<String>,
    pub api_key_env: Option<String>,
    /// API root; overridable for a test server or staging.
    pub base_url: Option<String>,
}

impl DingConfig {
    pub fn validate(&self, key: &str, p: &mut Problems) {
        p.check(&format!("{key}.api_key"), self.secret());
        p.url(&format!("{key}.base_url"), self.base_url.as_ref());
    }

    /// Where the secret comes from (not read yet).
    pub fn secret(&self) -> Result<SecretSource, String> {
        SecretSource::from_keys(
            "api_key",
            self.api_key.as_ref(),
            self.api_key_file.as_deref(),
            self.api_key_env.as_deref(),
        )
    }
}
