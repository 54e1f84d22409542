//! 1NCE Management API: IoT SIM data quota and fixed top-ups by ICCID.
//!
//! Config only so far: the adapter itself is not built yet, and `build()` refuses it.

use serde::Deserialize;

use crate::config::secret::{Secret, SecretSource};
use crate::config::validate::Problems;

/// A `[carriers.NAME]` section with `type = "1nce"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneNceConfig {
    pub username: String,
    pub password: Option<Secret>,
    pub password_file: Option<String>,
    pub password_env: Option<String>,
    /// API root; overridable for a test server or staging.
    pub base_url: Option<String>,
}

impl OneNceConfig {
    pub fn validate(&self, key: &str, p: &mut Problems) {
        p.check(&format!("{key}.password"), self.secret());
        p.url(&format!("{key}.base_url"), self.base_url.as_ref());
    }

    /// Where the secret comes from (not read yet).
    pub fn secret(&self) -> Result<SecretSource, String> {
        SecretSource::from_keys(
            "password",
            self.password.as_ref(),
            self.password_file.as_deref(),
            self.password_env.as_deref(),
        )
    }
}
