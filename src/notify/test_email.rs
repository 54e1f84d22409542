//! `renewd test-email`: send one message through `[email]` now, and turn the usual SMTP
//! failures into a hint that says what to change.

use chrono::Utc;

use super::compose;
use super::smtp::{SmtpNotifier, TlsMode, UrlInfo, parse_url};
use super::smtp_error::{FailureClass, SmtpFailure};
use crate::config::Email;
use crate::ledger::OutboxMessage;

/// Sends one test message; `Err` is a hint for the person, naming what to fix.
pub async fn send_test(email: &Email) -> Result<(), String> {
    let notifier = SmtpNotifier::new(email).map_err(|e| e.to_string())?;
    send_test_with(email, &notifier).await
}

/// Sends the test message through a given notifier (e.g. one that trusts a private CA).
pub async fn send_test_with(email: &Email, notifier: &SmtpNotifier) -> Result<(), String> {
    let info = parse_url(&email.smtp_url)?;
    let now = Utc::now();
    let draft = compose::test_message(&email.smtp_url, now).in_language(email.language);
    let message = OutboxMessage {
        install_id: String::new(),
        id: 0,
        draft,
        created_at: now,
        attempts: 0,
        next_attempt_at: now,
        sent_at: None,
        last_error: None,
        dead: false,
    };
    notifier
        .send(&message)
        .await
        .map_err(|f| hint(&info, email, &f))
}

/// One failure, explained: what happened, the server's words, and what to change.
pub fn hint(info: &UrlInfo, email: &Email, f: &SmtpFailure) -> String {
    let at = format!("{}:{}", info.host, info.port);
    let suggest = format!(
        "most providers take either smtps://{h}:465 (TLS from the start) or smtp://{h}:587?tls=required (STARTTLS)",
        h = info.host
    );
    let what = match f.class {
        FailureClass::Refused => format!(
            "nothing accepts connections at {at}. Check the host and port in email.smtp_url; {suggest}."
        ),
        FailureClass::Timeout if info.mode != TlsMode::Implicit && info.port == 465 => format!(
            "{at} did not answer. Port 465 expects TLS from the first byte: write smtps://{}:465 instead.",
            info.host
        ),
        FailureClass::Timeout => format!(
            "{at} did not answer in time. Check the host, the port and any firewall; {suggest}."
        ),
        FailureClass::Tls if info.mode == TlsMode::Implicit && info.port != 465 => format!(
            "the TLS handshake with {at} failed. smtps:// speaks TLS from the first byte, but port {} usually expects STARTTLS: write smtp://{}:{}?tls=required (or smtps://{}:465).",
            info.port, info.host, info.port, info.host
        ),
        FailureClass::Tls => format!(
            "the TLS handshake with {at} failed: the server's certificate may not be trusted or the TLS mode may not match the port; {suggest}."
        ),
        FailureClass::Auth => format!(
            "{at} refused the login for {:?}. Check email.username and the password file or variable; Gmail, Fastmail and most others need an app password here, not the account password.",
            email.username.as_deref().unwrap_or("")
        ),
        FailureClass::NoAuthMechanism => format!(
            "{at} offers no login on this connection. Servers usually allow login only after TLS: {suggest}."
        ),
        FailureClass::Relay => format!(
            "{at} refused to relay from {} to {}. Use a from address your account may send as, and set email.username and a password (most servers relay only for logged-in users).",
            email.from,
            email.to.join(", ")
        ),
        FailureClass::Network => {
            format!("cannot reach {at}: check the host name in email.smtp_url and the network.")
        }
        FailureClass::Transient => {
            format!("{at} asked to try again later; run test-email again in a few minutes.")
        }
        FailureClass::Permanent | FailureClass::Message | FailureClass::Other => {
            format!("{at} did not take the message.")
        }
    };
    format!("{what}\n  server said: {f}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(url: &str) -> Email {
        Email {
            smtp_url: url.into(),
            username: Some("me@example.com".into()),
            password: None,
            from: "renewd <me@example.com>".into(),
            to: vec!["you@example.com".into()],
            send: vec![],
            language: Default::default(),
        }
    }

    #[test]
    fn hints_name_the_fix() {
        use FailureClass::*;
        let cases = [
            (
                "smtps://mail.example.com:587",
                Tls,
                "smtp://mail.example.com:587?tls=required",
            ),
            (
                "smtp://mail.example.com:465?tls=required",
                Timeout,
                "smtps://mail.example.com:465",
            ),
            (
                "smtp://mail.example.com:2525",
                Refused,
                "nothing accepts connections at mail.example.com:2525",
            ),
            ("smtps://mail.example.com", Auth, "app password"),
            (
                "smtps://mail.example.com",
                Relay,
                "from renewd <me@example.com> to you@example.com",
            ),
            (
                "smtp://mail.example.com:25",
                NoAuthMechanism,
                "smtp://mail.example.com:587?tls=required",
            ),
        ];
        for (url, class, want) in cases {
            let e = email(url);
            let info = parse_url(url).unwrap();
            let f = SmtpFailure {
                class,
                stage: crate::notify::smtp_error::Stage::Connect,
                code: Some(500),
                text: "server words".into(),
            };
            let h = hint(&info, &e, &f);
            assert!(h.contains(want), "{url} {class:?}: {h}");
            assert!(h.contains("SMTP 500: server words"), "{h}");
        }
    }
}
