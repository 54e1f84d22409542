//! The config keys every HTTP carrier section shares besides its own: where the secret
//! comes from, `base_url` and `timeout`; checked at load time and read when building.

use std::time::Duration;

use reqwest::Url;

use super::Http;
use crate::carriers::CarrierError;
use crate::config::Line;
use crate::config::secret::{Secret, SecretSource};
use crate::config::validate::Problems;

/// The shared keys of one `[carriers.NAME]` section, as written.
pub struct Common<'a> {
    /// The secret's key name, e.g. `"client_secret"`; `_file` and `_env` are its variants.
    pub secret_key: &'a str,
    /// The secret written inline.
    pub secret: Option<&'a Secret>,
    /// `<secret_key>_file`: a file holding the secret.
    pub secret_file: Option<&'a str>,
    /// `<secret_key>_env`: an environment variable holding the secret.
    pub secret_env: Option<&'a str>,
    /// `base_url`, when given.
    pub base_url: Option<&'a String>,
    /// `timeout`, when given.
    pub timeout: Option<&'a String>,
}

impl Common<'_> {
    /// Records a problem for each shared key that is wrong, under `key.<name>`.
    pub fn validate(self, key: &str, p: &mut Problems) {
        p.check(&format!("{key}.{}", self.secret_key), self.source());
        p.opt(
            &format!("{key}.timeout"),
            self.timeout,
            crate::money::parse_duration,
        );
        p.url(&format!("{key}.base_url"), self.base_url);
        if let Some(u) = self.base_url {
            p.check(&format!("{key}.base_url"), https_or_loopback(u));
        }
    }

    /// What every HTTP adapter builds first: its secret, its API root (`base_url` or
    /// `default_base`) and its client (`timeout` or `default_timeout`).
    pub fn open(
        &self,
        carrier: &str,
        default_base: &str,
        default_timeout: Duration,
    ) -> Result<(Secret, Url, Http), CarrierError> {
        Ok((
            self.resolve_secret(carrier)?,
            self.base_url(carrier, default_base)?,
            self.http(carrier, default_timeout)?,
        ))
    }

    /// The client for `carrier`, with `timeout` or the carrier's default time limit.
    pub fn http(&self, carrier: &str, default_timeout: Duration) -> Result<Http, CarrierError> {
        let given = self.timeout.map(String::as_str);
        Http::new(carrier, timeout(carrier, given, default_timeout)?)
    }

    /// `base_url`, or the carrier's default.
    pub fn base_url(&self, carrier: &str, default: &str) -> Result<Url, CarrierError> {
        base_url(carrier, self.base_url.map(String::as_str), default)
    }

    /// Where the secret comes from (not read yet), or why that is unclear.
    pub fn source(&self) -> Result<SecretSource, String> {
        SecretSource::from_keys(
            self.secret_key,
            self.secret,
            self.secret_file,
            self.secret_env,
        )
    }

    /// Reads the secret for `carrier`; the error names the key.
    pub fn resolve_secret(&self, carrier: &str) -> Result<Secret, CarrierError> {
        self.source()
            .and_then(|s| s.resolve())
            .inspect(|s| super::scrub::register(s.expose()))
            .map_err(|e| CarrierError::Setup {
                carrier: carrier.to_string(),
                detail: format!("{}: {e}", self.secret_key),
            })
    }
}

/// Parses a `base_url` (a default when not given); the error says what to write.
pub fn base_url(carrier: &str, given: Option<&str>, default: &str) -> Result<Url, CarrierError> {
    url_key(carrier, "base_url", given, default)
}

/// Parses the URL under config key `key` (a default when not given).
pub fn url_key(
    carrier: &str,
    key: &str,
    given: Option<&str>,
    default: &str,
) -> Result<Url, CarrierError> {
    let text = given.unwrap_or(default);
    let url = Url::parse(text).map_err(|e| CarrierError::Setup {
        carrier: carrier.to_string(),
        detail: format!("{key} {text:?} is not a URL ({e}); e.g. {key} = \"{default}\""),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(CarrierError::Setup {
            carrier: carrier.to_string(),
            detail: format!("{key} {text:?} must be an http(s) URL, e.g. \"{default}\""),
        });
    }
    https_or_loopback(text).map_err(|e| CarrierError::Setup {
        carrier: carrier.to_string(),
        detail: format!("{key}: {e}"),
    })?;
    Ok(url)
}

/// Credentials only travel over https, except to this machine (127.0.0.0/8, ::1,
/// localhost), where a test server or a local proxy may listen on plain http.
pub fn https_or_loopback(text: &str) -> Result<(), String> {
    let Ok(url) = Url::parse(text) else {
        return Ok(()); // reported by the URL check itself
    };
    if url.scheme() != "http" {
        return Ok(());
    }
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    if loopback {
        return Ok(());
    }
    let fixed = format!("https{}", &url.as_str()["http".len()..]);
    Err(format!(
        "{text:?} would send the API credentials unencrypted; use https, e.g. {fixed:?} (plain http only for 127.0.0.1, ::1 or localhost)"
    ))
}

/// The optional `timeout` key, or the carrier's default.
pub fn timeout(
    carrier: &str,
    given: Option<&str>,
    default: Duration,
) -> Result<Duration, CarrierError> {
    match given {
        None => Ok(default),
        Some(t) => crate::money::parse_duration(t).map_err(|e| CarrierError::Setup {
            carrier: carrier.to_string(),
            detail: format!("timeout: {e}"),
        }),
    }
}

/// The line's `iccid`, which an eSIM/IoT carrier needs; `example` says what to write,
/// e.g. `an Airalo line needs iccid = "8910300000000000001"`.
pub fn iccid<'a>(http: &Http, line: &'a Line, example: &str) -> Result<&'a str, CarrierError> {
    line.iccid
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| http.setup(format!("line {} has no iccid; {example}", line.id)))
}

/// Checks an optional `max_requests_per_second` at `key` (1 to `bounds::MAX_PER_SECOND`).
pub fn check_per_second(key: &str, n: Option<i64>, p: &mut Problems) {
    if let Some(n) = n {
        p.check(
            &format!("{key}.max_requests_per_second"),
            crate::config::bounds::per_second(n),
        );
    }
}

/// `max_requests_per_second` when written, else the provider's `documented` limit.
pub fn per_second_or(n: Option<i64>, documented: u32, carrier: &str) -> Result<u32, CarrierError> {
    let Some(n) = n else {
        return Ok(documented);
    };
    crate::config::bounds::per_second(n).map_err(|e| CarrierError::Setup {
        carrier: carrier.to_string(),
        detail: format!("max_requests_per_second: {e}"),
    })
}
