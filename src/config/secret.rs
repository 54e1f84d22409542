//! Secrets: a string whose `Debug` and `Display` print `***`, where to read it from, and the
//! warning for secrets written inline in a file others can read.

use std::fmt;
use std::path::{Path, PathBuf};

/// A password, token or API key. Never printed, never logged.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself, for the one place that sends it to a server.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where a secret comes from: `key`, `key_file` or `key_env` in the config.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretSource {
    Inline(Secret),
    /// A file; a relative path or bare name is looked up in `$CREDENTIALS_DIRECTORY`
    /// (systemd's `LoadCredential=`) when that is set.
    File(PathBuf),
    Env(String),
}

impl SecretSource {
    /// Picks the one form that is set among `key`, `key_file`, `key_env`.
    /// `Err` says which key to write when none or several are set.
    pub fn from_keys(
        key: &str,
        inline: Option<&Secret>,
        file: Option<&str>,
        env: Option<&str>,
    ) -> Result<Self, String> {
        match (inline, file, env) {
            (Some(s), None, None) => Ok(SecretSource::Inline(s.clone())),
            (None, Some(f), None) => Ok(SecretSource::File(PathBuf::from(f))),
            (None, None, Some(e)) => Ok(SecretSource::Env(e.to_string())),
            (None, None, None) => Err(format!(
                "missing; set {key}_file = \"/run/credentials/renewd.service/{key}\" or {key}_env = \"RENEWD_{}\"",
                key.to_uppercase()
            )),
            _ => Err(format!("set only one of {key}, {key}_file and {key}_env")),
        }
    }

    /// Reads the secret now. The error names the file or variable, never the value.
    pub fn resolve(&self) -> Result<Secret, String> {
        match self {
            SecretSource::Inline(s) => Ok(s.clone()),
            SecretSource::Env(var) => std::env::var(var)
                .map(Secret::new)
                .map_err(|_| format!("environment variable {var} is not set")),
            SecretSource::File(path) => {
                let path = credential_path(path);
                std::fs::read_to_string(&path)
                    .map(|s| Secret::new(s.trim_end_matches(['\n', '\r'])))
                    .map_err(|e| format!("cannot read secret file {}: {e}", path.display()))
            }
        }
    }
}

/// Expands `${CREDENTIALS_DIRECTORY}` and resolves a bare credential name against it.
pub fn credential_path(path: &Path) -> PathBuf {
    let creds = std::env::var_os("CREDENTIALS_DIRECTORY").map(PathBuf::from);
    let text = path.to_string_lossy();
    if let Some(rest) = text.strip_prefix("${CREDENTIALS_DIRECTORY}")
        && let Some(dir) = &creds
    {
        return dir.join(rest.trim_start_matches('/'));
    }
    match creds {
        Some(dir) if path.is_relative() && path.components().count() == 1 => dir.join(path),
        _ => path.to_path_buf(),
    }
}

/// Warns about each inline secret (`password = "..."`, `client_secret = "..."`, `api_key`):
/// called when the config file can be read by group or others.
pub fn warn_inline(raw: &super::raw::RawConfig, p: &mut super::validate::Problems) {
    use crate::carriers::CarrierSpec;
    let mut inline: Vec<(String, &str, String)> = Vec::new();
    if raw.email.as_ref().is_some_and(|e| e.password.is_some()) {
        inline.push(("email.password".into(), "password", "smtp".into()));
    }
    for (name, spec) in &raw.carriers {
        let field = match spec {
            CarrierSpec::Airalo(c) if c.client_secret.is_some() => "client_secret",
            CarrierSpec::Reloadly(c) if c.client_secret.is_some() => "client_secret",
            CarrierSpec::OneNce(c) if c.password.is_some() => "password",
            CarrierSpec::Dingconnect(c) if c.api_key.is_some() => "api_key",
            _ => continue,
        };
        inline.push((format!("carriers.{name}.{field}"), field, name.clone()));
    }
    for (key, field, cred) in inline {
        let env = format!(
            "RENEWD_{}_{}",
            cred.to_uppercase().replace('-', "_"),
            field.to_uppercase()
        );
        p.warn(
            key,
            format!("is written inline in a file that group or others can read; write {field}_file = \"/run/credentials/renewd.service/{cred}\" or {field}_env = \"{env}\" instead (or chmod 600 the file)"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "*** ***");
        let src = SecretSource::Inline(s);
        assert!(!format!("{src:?}").contains("hunter2"));
    }

    #[test]
    fn exactly_one_form() {
        let s = Secret::new("x");
        assert!(
            SecretSource::from_keys("password", None, None, None)
                .unwrap_err()
                .contains("password_file")
        );
        assert!(
            SecretSource::from_keys("password", Some(&s), Some("f"), None)
                .unwrap_err()
                .contains("only one")
        );
        assert_eq!(
            SecretSource::from_keys("password", None, None, Some("V")).unwrap(),
            SecretSource::Env("V".into())
        );
    }
}
