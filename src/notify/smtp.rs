//! Delivery over SMTP: lettre's async transport built from `[email]`, one connection per
//! message, every failure classified as transient (retry later) or permanent (a person
//! must fix something).
//!
//! The password is read from its `SecretSource` when the notifier is built and handed to
//! lettre only; it never appears in the URL, an error or a log line.

use async_trait::async_trait;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::smtp_error::{SmtpFailure, classify};
use super::{Notifier, NotifyError, to_email};
use crate::config::{Email, MessageKind};
use crate::ledger::OutboxMessage;

/// How long one SMTP conversation may stall before it counts as a (transient) failure.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Sends outbox messages through the SMTP server of `[email]`.
pub struct SmtpNotifier {
    /// The configured transport (host, port, TLS mode, credentials).
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// `From:` of every message, as written in `email.from`.
    from: String,
    /// `To:` of every message.
    to: Vec<String>,
    /// Extra recipients of a line's messages (`email_to` of `[[lines]]`), by line id.
    line_to: std::collections::BTreeMap<String, Vec<String>>,
    /// The kinds the person asked for; other kinds are skipped (and count as delivered).
    send: Vec<MessageKind>,
}

/// The parts of `smtp_url` that decide how TLS is set up.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlInfo {
    pub host: String,
    pub port: u16,
    pub mode: TlsMode,
}

/// Which TLS a URL asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// `smtp://` without `tls=`: plain text (trusted local relays only).
    Plain,
    /// `smtp://...?tls=required` (or `opportunistic`): STARTTLS, usually port 587.
    StartTls,
    /// `smtps://`: TLS from the first byte, usually port 465.
    Implicit,
}

/// Reads scheme, host, port and `tls=` of an SMTP URL, with lettre's default ports.
pub fn parse_url(smtp_url: &str) -> Result<UrlInfo, String> {
    let shown = if smtp_url.contains('@') {
        "(not shown: it holds credentials)".to_string()
    } else {
        format!("{smtp_url:?}")
    };
    let bad = |why: &str| {
        format!(
            "email.smtp_url {shown} {why}; e.g. \"smtps://smtp.example.com:465\" or \"smtp://smtp.example.com:587?tls=required\""
        )
    };
    let url = url::Url::parse(smtp_url).map_err(|e| bad(&format!("is not a URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "holds credentials; put them in email.username and email.password_file",
        ));
    }
    let host = url
        .host_str()
        .ok_or_else(|| bad("has no host"))?
        .trim_matches(['[', ']'])
        .to_string();
    let tls = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.to_string());
    let (mode, default_port) = match (url.scheme(), tls.as_deref()) {
        ("smtp", None) => (TlsMode::Plain, 25),
        ("smtp", Some("required" | "opportunistic")) => (TlsMode::StartTls, 587),
        ("smtps", _) => (TlsMode::Implicit, 465),
        _ => return Err(bad("has an unknown scheme or tls= value")),
    };
    Ok(UrlInfo {
        host,
        port: url.port().unwrap_or(default_port),
        mode,
    })
}

impl SmtpNotifier {
    /// Builds the transport from `[email]`, reading the password now.
    /// Adds each line's own recipients (`email_to`) to that line's messages.
    pub fn with_line_recipients(
        mut self,
        line_to: std::collections::BTreeMap<String, Vec<String>>,
    ) -> Self {
        self.line_to = line_to;
        self
    }

    pub fn new(email: &Email) -> Result<Self, NotifyError> {
        Self::build(email, None)
    }

    /// Like `new`, also trusting `root_pem` (a PEM certificate) for the server's TLS
    /// certificate: for a private CA or a self-signed test server.
    pub fn with_root_certificate(email: &Email, root_pem: &[u8]) -> Result<Self, NotifyError> {
        Self::build(email, Some(root_pem))
    }

    fn build(email: &Email, root_pem: Option<&[u8]>) -> Result<Self, NotifyError> {
        let info = parse_url(&email.smtp_url).map_err(NotifyError::Permanent)?;
        let tls_err = |e: lettre::transport::smtp::Error| {
            NotifyError::Permanent(format!("cannot set up TLS for {}: {e}", info.host))
        };
        let mut params = TlsParameters::builder(info.host.clone());
        if let Some(pem) = root_pem {
            params = params.add_root_certificate(Certificate::from_pem(pem).map_err(tls_err)?);
        }
        let params = params.build_rustls().map_err(tls_err)?;
        let tls = match info.mode {
            TlsMode::Plain => Tls::None,
            TlsMode::StartTls => Tls::Required(params),
            TlsMode::Implicit => Tls::Wrapper(params),
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(info.host.clone())
                .port(info.port)
                .tls(tls)
                .timeout(Some(TIMEOUT));
        if let Some(user) = &email.username {
            builder = builder.credentials(Credentials::new(user.clone(), password(email)?));
        }
        Ok(Self {
            transport: builder.build(),
            from: email.from.clone(),
            to: email.to.clone(),
            line_to: Default::default(),
            send: email.send.clone(),
        })
    }

    /// Sends one message now; the failure keeps what the server said.
    pub async fn send(&self, message: &OutboxMessage) -> Result<(), SmtpFailure> {
        let to = crate::config::notify::email_recipients(
            &self.to,
            &self.line_to,
            message.draft.line_id.as_deref(),
        );
        let email = to_email(message, &self.from, &to).map_err(SmtpFailure::from_notify)?;
        self.transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| classify(&e))
    }

    /// Whether `email.send` asks for this kind of message.
    pub fn wants(&self, kind: MessageKind) -> bool {
        self.send.contains(&kind)
    }
}

/// The password, when `username` is set; errors name the source, never the value.
fn password(email: &Email) -> Result<String, NotifyError> {
    let Some(source) = &email.password else {
        return Err(NotifyError::Permanent(
            "email.username is set but no password is; set email.password_file or email.password_env".into(),
        ));
    };
    let secret = source
        .resolve()
        .map_err(|e| NotifyError::Permanent(format!("email.password: {e}")))?;
    Ok(secret.expose().to_string())
}

#[async_trait]
impl Notifier for SmtpNotifier {
    /// Sends the message; a kind left out of `email.send` is skipped and reported as
    /// delivered, so the outbox marks it done instead of retrying it.
    async fn deliver(&self, message: &OutboxMessage) -> Result<(), NotifyError> {
        if !self.wants(message.draft.kind) {
            tracing::info!(key = %message.draft.key, kind = message.draft.kind.as_str(), "not emailed: email.send leaves this kind out");
            return Ok(());
        }
        self.send(message).await.map_err(SmtpFailure::into_notify)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_forms() {
        let cases = [
            (
                "smtp://127.0.0.1:2525",
                Ok(("127.0.0.1", 2525, TlsMode::Plain)),
            ),
            (
                "smtp://mail.example.com",
                Ok(("mail.example.com", 25, TlsMode::Plain)),
            ),
            (
                "smtp://smtp.gmail.com:587?tls=required",
                Ok(("smtp.gmail.com", 587, TlsMode::StartTls)),
            ),
            (
                "smtp://smtp.gmail.com?tls=required",
                Ok(("smtp.gmail.com", 587, TlsMode::StartTls)),
            ),
            (
                "smtps://smtp.fastmail.com",
                Ok(("smtp.fastmail.com", 465, TlsMode::Implicit)),
            ),
            ("smtps://u:pw@smtp.fastmail.com", Err("credentials")),
            ("http://x", Err("unknown scheme")),
            ("smtp://x?tls=maybe", Err("unknown scheme")),
        ];
        for (url, want) in cases {
            let got = parse_url(url);
            match want {
                Ok((h, p, m)) => assert_eq!(
                    got,
                    Ok(UrlInfo {
                        host: h.into(),
                        port: p,
                        mode: m
                    }),
                    "{url}"
                ),
                Err(frag) => assert!(
                    got.as_ref()
                        .is_err_and(|e| e.contains(frag) && !e.contains("pw@")),
                    "{url}: {got:?}"
                ),
            }
        }
    }
}
