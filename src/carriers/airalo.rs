//! Airalo Partner API v2: eSIM data by ICCID (usage, top-up packages, orders).
//!
//! Config only so far: the adapter itself is not built yet, and `build()` refuses it.

use serde::Deserialize;

use crate::config::secret::{Secret, SecretSource};
use crate::config::validate::Problems;

/// A `[carriers.NAME]` section with `type = "airalo"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AiraloConfig {
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub client_secret_file: Option<String>,
    pub client_secret_env: Option<String>,
    /// API root; overridable for a test server or staging.
    pub base_url: Option<String>,
}

impl AiraloConfig {
    pub fn validate(&self, key: &str, p: &mut Problems) {
        p.check(&format!("{key}.client_secret"), self.secret());
        p.url(&format!("{key}.base_url"), self.base_url.as_ref());
    }

    /// Where the secret comes from (not read yet).
    pub fn secret(&self) -> Result<SecretSource, String> {
        SecretSource::from_keys(
            "client_secret",
            self.client_secret.as_ref(),
            self.client_secret_file.as_deref(),
            self.client_secret_env.as_deref(),
        )
    }
}
