//! The notifier seam: deliver one outbox message (SMTP, or an `.eml` file without `[email]`).
//!
//! Messages are composed when their event happens (`compose.rs`) and stored in the
//! ledger's outbox; delivery only reads them back and sends them.

use async_trait::async_trait;
use thiserror::Error;

use crate::ledger::OutboxMessage;

pub mod channels;
pub mod compose;
pub mod doc;
pub mod file;
pub mod pacing;
pub mod redact;
pub mod sender;
pub mod smtp;
pub mod smtp_error;
pub mod test_email;

pub use sender::{DeliveryReport, deliver_due, run_sender};
pub use smtp::SmtpNotifier;
pub use test_email::send_test;

/// Why a delivery failed, and whether it is worth trying again.
#[derive(Debug, Error)]
pub enum NotifyError {
    /// This message failed for now (a 4xx to it): try it again later.
    #[error("delivery failed, will retry: {0}")]
    Transient(String),
    /// The server refused this message itself (5xx to MAIL/RCPT/DATA, e.g. a bad
    /// recipient): retrying the same message cannot help.
    #[error("delivery failed permanently: {0}")]
    Permanent(String),
    /// The channel is down for every message (authentication refused, TLS, connection
    /// refused or timed out, unusable settings): pause the outbox, never give up on messages.
    #[error("the mail server cannot be used: {0}")]
    Server(String),
}

/// Sends one message to the person.
#[async_trait]
pub trait Notifier: Send + Sync {
    async fn deliver(&self, message: &OutboxMessage) -> Result<(), NotifyError>;
}

/// The Message-ID of an outbox message: `<key.install@domain>`, where `install` is the
/// ledger's random install id and `domain` that of the `from` address. The same message
/// keeps it on every re-send; two installs (or a fresh state) never share one.
pub fn message_id(install_id: &str, key: &str, from: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '.'
                }
            })
            .collect()
    };
    let domain = from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').trim())
        .filter(|d| !d.is_empty())
        .unwrap_or("localhost");
    format!("<{}.{}@{}>", clean(key), clean(install_id), clean(domain))
}

/// Builds the email for an outbox message: plain text and HTML parts, stable Message-ID.
pub fn to_email(
    message: &OutboxMessage,
    from: &str,
    to: &[String],
) -> Result<lettre::Message, NotifyError> {
    use lettre::message::{Mailbox, MultiPart, header};
    let bad = |what: &str, v: &str| {
        NotifyError::Permanent(format!("{what} {v:?} is not an email address"))
    };
    let mut builder = lettre::Message::builder()
        .from(from.parse::<Mailbox>().map_err(|_| bad("from", from))?)
        .subject(&message.draft.subject)
        .message_id(Some(message_id(
            &message.install_id,
            &message.draft.key,
            from,
        )))
        .date(message.created_at.into());
    for addr in to {
        builder = builder.to(addr.parse::<Mailbox>().map_err(|_| bad("to", addr))?);
    }
    builder
        .header(header::MIME_VERSION_1_0)
        .multipart(MultiPart::alternative_plain_html(
            message.draft.text.clone(),
            message.draft.html.clone(),
        ))
        .map_err(|e| NotifyError::Permanent(format!("cannot build the message: {e}")))
}
