//! `renewd test-email` against a real SMTP server on 127.0.0.1: success, and the hints
//! for a refused connection, a refused login and TLS on the wrong port.

#[path = "common/smtp_fixtures.rs"]
mod fixtures;
#[path = "common/smtp.rs"]
mod smtp;

use fixtures::{ARRIVES, email};
use renewd::notify::test_email::send_test_with;
use renewd::notify::{SmtpNotifier, send_test};
use smtp::{Options, SmtpServer, Tls};

#[tokio::test]
async fn sends_one_message_when_the_server_takes_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(Options {
        tls: Tls::Starttls,
        auth: true,
        ..Options::default()
    });
    let e = email(&server.url(), dir.path(), Some(smtp::PASSWORD));
    let cert = server.cert.as_ref().unwrap().cert_pem.as_bytes();
    let n = SmtpNotifier::with_root_certificate(&e, cert).unwrap();
    send_test_with(&e, &n).await.expect("accepted");
    let msgs = server.wait_for(1, ARRIVES).await;
    assert!(String::from_utf8_lossy(&msgs[0]).contains("Subject: renewd: test message"));
}

#[tokio::test]
async fn connection_refused_says_to_check_host_and_port() {
    let dir = tempfile::tempdir().unwrap();
    let port = SmtpServer::closed_port();
    let e = email(&format!("smtp://127.0.0.1:{port}"), dir.path(), None);
    let hint = send_test(&e).await.unwrap_err();
    assert!(
        hint.contains(&format!("nothing accepts connections at 127.0.0.1:{port}")),
        "{hint}"
    );
    assert!(hint.contains("smtps://127.0.0.1:465"), "{hint}");
}

#[tokio::test]
async fn refused_login_points_at_app_passwords_and_hides_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(Options {
        tls: Tls::Starttls,
        auth: true,
        ..Options::default()
    });
    let wrong = "wr0ng-Pa55word-abc";
    let e = email(&server.url(), dir.path(), Some(wrong));
    let n =
        SmtpNotifier::with_root_certificate(&e, server.cert.as_ref().unwrap().cert_pem.as_bytes())
            .unwrap();
    let hint = send_test_with(&e, &n).await.unwrap_err();
    assert!(
        hint.contains("refused the login") && hint.contains("app password") && hint.contains("535"),
        "{hint}"
    );
    assert!(!hint.contains(wrong));
}

#[tokio::test]
async fn implicit_tls_against_a_starttls_port_suggests_starttls() {
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(Options {
        tls: Tls::Starttls,
        ..Options::default()
    });
    let url = format!("smtps://127.0.0.1:{}", server.port);
    let e = email(&url, dir.path(), None);
    let n =
        SmtpNotifier::with_root_certificate(&e, server.cert.as_ref().unwrap().cert_pem.as_bytes())
            .unwrap();
    let hint = send_test_with(&e, &n).await.unwrap_err();
    assert!(
        hint.contains(&format!("smtp://127.0.0.1:{}?tls=required", server.port)),
        "{hint}"
    );
}

#[tokio::test]
async fn a_missing_password_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = email("smtps://127.0.0.1:465", dir.path(), Some("x"));
    e.password = Some(renewd::config::SecretSource::File(dir.path().join("nope")));
    let err = send_test(&e).await.unwrap_err();
    assert!(
        err.contains("cannot read secret file") && err.contains("nope"),
        "{err}"
    );
}
