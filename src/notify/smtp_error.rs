//! What went wrong in an SMTP conversation, in renewd's terms: the class of failure
//! (refused, TLS, authentication, relay, 4xx, 5xx, ...), the reply code and the server's
//! own words. Used by the sender (retry or give up) and by `test-email` (hints).

use std::error::Error as _;

use super::NotifyError;

/// The kind of an SMTP failure, as far as renewd acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// Nothing listens at host:port.
    Refused,
    /// The connection or a reply took too long.
    Timeout,
    /// The host name did not resolve or the network is unreachable.
    Network,
    /// The TLS handshake failed (wrong port for the TLS mode, untrusted certificate).
    Tls,
    /// The server refused the username/password (535 and friends).
    Auth,
    /// The server offers no login we can use (often: no STARTTLS before AUTH).
    NoAuthMechanism,
    /// The server will not take mail for these recipients from this sender (550 5.7.1 ...).
    Relay,
    /// Any other 4xx: try again later.
    Transient,
    /// Any other 5xx: retrying the same message cannot help.
    Permanent,
    /// The message itself could not be built (bad address in config).
    Message,
    /// Anything else lettre reports (protocol garbage, shutdown).
    Other,
}

/// Where in the conversation a failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Connecting, TLS, EHLO or login: nothing about this message yet, so it concerns
    /// every message.
    Connect,
    /// MAIL, RCPT or DATA of this message.
    Message,
}

/// One failed SMTP attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct SmtpFailure {
    pub class: FailureClass,
    pub stage: Stage,
    /// The SMTP reply code, when the server answered with one.
    pub code: Option<u16>,
    /// What lettre and the server said, for logs and the outbox's `last_error`.
    pub text: String,
}

impl SmtpFailure {
    /// Whether sending the same message later can succeed without a person acting.
    pub fn is_transient(&self) -> bool {
        use FailureClass::*;
        matches!(
            self.class,
            Refused | Timeout | Network | Tls | Transient | Other
        )
    }

    /// Whether the failure concerns every message (pause the outbox) rather than this one:
    /// anything before MAIL, and connection, TLS or login trouble at any stage. A 5xx to
    /// MAIL/RCPT/DATA (a bad recipient, relaying denied for it) concerns this message.
    pub fn is_server_wide(&self) -> bool {
        use FailureClass::*;
        self.stage == Stage::Connect
            || matches!(
                self.class,
                Refused | Timeout | Network | Tls | Auth | NoAuthMechanism | Other
            )
    }

    /// Server-wide failures pause the outbox; otherwise a 4xx retries this message and
    /// a 5xx gives up on it.
    pub fn into_notify(self) -> NotifyError {
        let text = self.to_string();
        if self.is_server_wide() {
            NotifyError::Server(text)
        } else if self.is_transient() {
            NotifyError::Transient(text)
        } else {
            NotifyError::Permanent(text)
        }
    }

    /// A socket error while connecting to `what`.
    pub fn from_io(e: &std::io::Error, what: &str) -> Self {
        Self {
            class: io_class(e.kind()),
            stage: Stage::Connect,
            code: None,
            text: format!("cannot connect to {what}: {e}"),
        }
    }

    /// The same failure, as one that happened before this message was offered.
    pub fn at_connect(mut self) -> Self {
        self.stage = Stage::Connect;
        self
    }

    pub(crate) fn from_notify(e: NotifyError) -> Self {
        let text = match e {
            NotifyError::Transient(t) | NotifyError::Permanent(t) | NotifyError::Server(t) => t,
        };
        Self {
            class: FailureClass::Message,
            stage: Stage::Message,
            code: None,
            text,
        }
    }
}

impl std::fmt::Display for SmtpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(code) => write!(f, "SMTP {code}: {}", self.text),
            None => f.write_str(&self.text),
        }
    }
}

/// Classifies a lettre error by reply code, then by the I/O error underneath.
pub fn classify(e: &lettre::transport::smtp::Error) -> SmtpFailure {
    let code = e.status().and_then(|c| c.to_string().parse::<u16>().ok());
    // With a reply code, the server's words are the source; lettre's own prefix repeats the code.
    let text = match (code, e.source()) {
        (Some(_), Some(src)) => src.to_string(),
        _ => chain(e),
    };
    let lower = text.to_lowercase();
    let class = if let Some(c) = code {
        by_code(c, &lower)
    } else if e.is_timeout() {
        FailureClass::Timeout
    } else if e.is_tls() {
        FailureClass::Tls
    } else if let Some(kind) = io_kind(e) {
        io_class(kind)
    } else if lower.contains("no compatible authentication mechanism") {
        FailureClass::NoAuthMechanism
    } else {
        FailureClass::Other
    };
    SmtpFailure {
        class,
        stage: Stage::Message,
        code,
        text: super::redact::redact_urls(&text),
    }
}

/// Reply code (and words) to class: 535/534/530 auth, relay words, 4xx, 5xx.
fn by_code(code: u16, lower: &str) -> FailureClass {
    match code {
        530 | 534 | 535 if lower.contains("auth") || code == 535 => FailureClass::Auth,
        550..=554 if lower.contains("relay") || lower.contains("5.7.1") => FailureClass::Relay,
        400..=499 => FailureClass::Transient,
        _ => FailureClass::Permanent,
    }
}

/// The class of a socket error.
fn io_class(kind: std::io::ErrorKind) -> FailureClass {
    match kind {
        std::io::ErrorKind::ConnectionRefused => FailureClass::Refused,
        std::io::ErrorKind::TimedOut => FailureClass::Timeout,
        // rustls reports a failed handshake (e.g. plain text where TLS was expected) as bad data.
        std::io::ErrorKind::InvalidData => FailureClass::Tls,
        _ => FailureClass::Network,
    }
}

/// The innermost I/O error kind, if the failure came from the socket.
fn io_kind(e: &lettre::transport::smtp::Error) -> Option<std::io::ErrorKind> {
    let mut source = e.source();
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = err.source();
    }
    None
}

/// The error and all its sources on one line (lettre's Display shows one level only).
fn chain(e: &lettre::transport::smtp::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(err) = source {
        let s = err.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        source = err.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_classes() {
        use FailureClass::*;
        let cases = [
            (535, "5.7.8 authentication credentials invalid", Auth),
            (530, "5.7.0 authentication required", Auth),
            (550, "5.7.1 relaying denied", Relay),
            (554, "relay access denied", Relay),
            (550, "5.1.1 no such user", Permanent),
            (552, "message too big", Permanent),
            (451, "4.3.0 try again later", Transient),
            (421, "service not available", Transient),
            (454, "4.7.0 temporary authentication failure", Transient),
        ];
        for (code, text, want) in cases {
            assert_eq!(by_code(code, text), want, "{code} {text}");
        }
    }

    #[test]
    fn server_wide_failures_pause_and_only_message_5xx_gives_up() {
        let f = |class| SmtpFailure {
            class,
            stage: Stage::Message,
            code: None,
            text: "x".into(),
        };
        assert!(matches!(
            f(FailureClass::Refused).into_notify(),
            NotifyError::Server(_)
        ));
        assert!(matches!(
            f(FailureClass::Transient).into_notify(),
            NotifyError::Transient(_)
        ));
        assert!(matches!(
            f(FailureClass::Auth).into_notify(),
            NotifyError::Server(_)
        ));
        assert!(matches!(
            f(FailureClass::Relay).into_notify(),
            NotifyError::Permanent(_)
        ));
        assert!(matches!(
            f(FailureClass::Permanent).at_connect().into_notify(),
            NotifyError::Server(_)
        ));
        assert!(matches!(
            f(FailureClass::Transient).at_connect().into_notify(),
            NotifyError::Server(_)
        ));
        assert!(matches!(
            f(FailureClass::Permanent).into_notify(),
            NotifyError::Permanent(_)
        ));
    }
}
