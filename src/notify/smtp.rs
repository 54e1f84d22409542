//! Delivery over SMTP: lettre's async transport built from `[email]`, one connection per
//! message, every failure classified as transient (retry later) or permanent (a person
//! must fix something).
//!
//! The password is read from its `SecretSource` when the notifier is built and handed to
//! lettre only; it never appears in the URL, an error or a log line.

use async_trait::async_trait;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Executor, Tokio1Executor};

use super::redact::redact_urls;
use super::smtp_error::{SmtpFailure, classify};
use super::{Notifier, NotifyError, to_email};
use crate::config::{Email, MessageKind};
use crate::ledger::OutboxMessage;

/// How long one SMTP conversation may stall before it counts as a (transient) failure.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Sends outbox messages through the SMTP server of `[email]`.
///
/// It drives lettre's connection itself rather than `AsyncSmtpTransport`, so that it
/// returns as soon as the server accepted the DATA: the QUIT and the close happen in the
/// background, and the caller's "sent" write follows the acceptance with no I/O between.
pub struct SmtpNotifier {
    host: String,
    port: u16,
    tls: Tls,
    credentials: Option<Credentials>,
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
    let shown = format!("{:?}", redact_urls(smtp_url));
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
        let info = parse_url(&email.smtp_url).map_err(NotifyError::Server)?;
        let tls_err = |e: lettre::transport::smtp::Error| {
            NotifyError::Server(format!("cannot set up TLS for {}: {e}", info.host))
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
        let credentials = match &email.username {
            Some(user) => Some(Credentials::new(user.clone(), password(email)?)),
            None => None,
        };
        Ok(Self {
            host: info.host,
            port: info.port,
            tls,
            credentials,
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
        let mut conn = self.connect().await.map_err(SmtpFailure::at_connect)?;
        let accepted = conn.send(email.envelope(), &email.formatted()).await;
        // QUIT and close off the caller's path: "sent" is recorded right after acceptance.
        tokio::spawn(async move { conn.abort().await });
        accepted.map(|_| ()).map_err(|e| classify(&e))
    }

    /// Connects, sets up TLS, says EHLO and logs in.
    ///
    /// For `smtp://` and STARTTLS the socket is renewd's own, with TCP_NODELAY: without it
    /// the message's last segment can sit in the kernel for a delayed ACK (~40 ms) and
    /// still reach the server after renewd died, which then sends it again. `smtps://`
    /// goes through lettre's own socket (Nagle on).
    async fn connect(&self) -> Result<AsyncSmtpConnection, SmtpFailure> {
        let hello = ClientId::default();
        let smtp = |e: lettre::transport::smtp::Error| classify(&e);
        let mut conn = match &self.tls {
            Tls::Wrapper(_) => {
                Tokio1Executor::connect(&self.host, self.port, Some(TIMEOUT), &hello, &self.tls)
                    .await
                    .map_err(smtp)?
            }
            tls => {
                let tcp = self.tcp().await?;
                let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello)
                    .await
                    .map_err(smtp)?;
                if let Tls::Required(params) = tls {
                    conn.starttls(params.clone(), &hello).await.map_err(smtp)?;
                }
                conn
            }
        };
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(smtp)?;
        }
        Ok(conn)
    }

    /// A TCP connection to the server, within `TIMEOUT`, with TCP_NODELAY.
    async fn tcp(&self) -> Result<tokio::net::TcpStream, SmtpFailure> {
        let connect = tokio::net::TcpStream::connect((self.host.as_str(), self.port));
        let tcp = match tokio::time::timeout(TIMEOUT, connect).await {
            Ok(r) => r,
            Err(_) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "connection timed out",
            )),
        }
        .map_err(|e| SmtpFailure::from_io(&e, &format!("{}:{}", self.host, self.port)))?;
        tcp.set_nodelay(true)
            .map_err(|e| SmtpFailure::from_io(&e, "TCP_NODELAY"))?;
        Ok(tcp)
    }

    /// Whether `email.send` asks for this kind of message.
    pub fn wants(&self, kind: MessageKind) -> bool {
        self.send.contains(&kind)
    }
}

/// The password, when `username` is set; errors name the source, never the value.
fn password(email: &Email) -> Result<String, NotifyError> {
    let Some(source) = &email.password else {
        return Err(NotifyError::Server(
            "email.username is set but no password is; set email.password_file or email.password_env".into(),
        ));
    };
    let secret = source
        .resolve()
        .map_err(|e| NotifyError::Server(format!("email.password: {e}")))?;
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
