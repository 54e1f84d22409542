//! Classification tables for each channel's documented reply shapes, the webhook
//! signature against an independent HMAC, and text cutting.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};

use super::http::Reply;
use super::*;

fn reply(status: u16, body: &str, retry_after: Option<&str>) -> Reply {
    let mut headers = HeaderMap::new();
    if let Some(r) = retry_after {
        headers.insert("retry-after", HeaderValue::from_str(r).unwrap());
    }
    Reply {
        status: StatusCode::from_u16(status).unwrap(),
        headers,
        body: body.as_bytes().to_vec(),
    }
}

/// The class of a result, with the wait for `Retry` and a hint fragment for `Refused`.
fn class(r: Result<(), ChannelError>) -> String {
    match r {
        Ok(()) => "sent".into(),
        Err(ChannelError::Retry { after, .. }) => format!("retry {after:?}"),
        Err(ChannelError::Refused { hint, .. }) => format!("refused: {hint}"),
        Err(ChannelError::Rejected { .. }) => "rejected".into(),
    }
}

#[test]
fn telegram_replies_by_documented_shape() {
    let tg = |code: u16, desc: &str, params: &str| {
        let p = if params.is_empty() {
            String::new()
        } else {
            format!(",\"parameters\":{params}")
        };
        format!("{{\"ok\":false,\"error_code\":{code},\"description\":\"{desc}\"{p}}}")
    };
    let table: Vec<(Reply, &str)> = vec![
        (
            reply(200, "{\"ok\":true,\"result\":{\"message_id\":1}}", None),
            "sent",
        ),
        (
            reply(
                429,
                &tg(
                    429,
                    "Too Many Requests: retry after 34",
                    "{\"retry_after\":34}",
                ),
                None,
            ),
            "retry Some(34s)",
        ),
        (
            reply(429, &tg(429, "Too Many Requests", ""), Some("7")),
            "retry Some(7s)",
        ),
        (
            reply(
                403,
                &tg(403, "Forbidden: bot was blocked by the user", ""),
                None,
            ),
            "refused: the person blocked the bot",
        ),
        (
            reply(
                403,
                &tg(403, "Forbidden: bot was kicked from the group chat", ""),
                None,
            ),
            "refused: the bot was removed",
        ),
        (
            reply(
                403,
                &tg(
                    403,
                    "Forbidden: bot can't initiate conversation with a user",
                    "",
                ),
                None,
            ),
            "refused: the person never started",
        ),
        (
            reply(401, &tg(401, "Unauthorized", ""), None),
            "refused: the bot token is wrong",
        ),
        (
            reply(404, &tg(404, "Not Found", ""), None),
            "refused: the bot token is wrong",
        ),
        (
            reply(400, &tg(400, "Bad Request: chat not found", ""), None),
            "refused: chat_id is wrong",
        ),
        (
            reply(
                400,
                &tg(
                    400,
                    "Bad Request: group chat was upgraded to a supergroup chat",
                    "{\"migrate_to_chat_id\":-1001234567890}",
                ),
                None,
            ),
            "refused: the group became a supergroup: set chat_id = \"-1001234567890\"",
        ),
        (
            reply(
                400,
                &tg(400, "Bad Request: have no rights to send a message", ""),
                None,
            ),
            "refused: the bot may not post",
        ),
        (
            reply(400, &tg(400, "Bad Request: message is too long", ""), None),
            "rejected",
        ),
        (reply(502, "<html>Bad Gateway</html>", None), "retry None"),
        (
            reply(500, &tg(500, "Internal Server Error", ""), Some("30")),
            "retry Some(30s)",
        ),
        (reply(302, "", None), "refused: renewd follows no redirects"),
    ];
    for (r, want) in table {
        let got = class(telegram::classify("tg", &r));
        assert!(
            got.starts_with(want),
            "{} {:?}: got {got:?}, want {want:?}",
            r.status,
            r.snippet()
        );
    }
}

#[test]
fn ntfy_and_webhook_replies_by_status() {
    let table = [
        (200, None, "sent"),
        (204, None, "sent"),
        (429, Some("12"), "retry Some(12s)"),
        (503, None, "retry None"),
        (408, None, "retry None"),
        (401, None, "refused: the topic is protected"),
        (403, None, "refused: the topic is protected"),
        (404, None, "refused: the URL is not an ntfy topic"),
        (400, None, "rejected"),
        (413, None, "rejected"),
        (301, None, "refused: renewd follows no redirects"),
    ];
    for (status, after, want) in table {
        let body = format!("{{\"code\":{status}01,\"http\":{status},\"error\":\"x\"}}");
        let r = reply(status, &body, after);
        let got = class(classify_status("n", &r, ntfy::hint(status, false)));
        assert!(
            got.starts_with(want),
            "{status}: got {got:?}, want {want:?}"
        );
    }
}

#[test]
fn webhook_signature_matches_an_independent_hmac() {
    // python3: hmac.new(b'whsec_test', b'1764547200.{"a":1}', hashlib.sha256).hexdigest()
    let sig = webhook::signature(&Secret::new("whsec_test"), 1_764_547_200, b"{\"a\":1}");
    assert_eq!(
        sig,
        "sha256=b6f2143a1a033b1cc7ccfdd67886f1bf023858b48bf2d18ef7d9cb2ddacabe0e"
    );
}

#[test]
fn cut_keeps_characters_whole() {
    assert_eq!(cut("short", 10), "short");
    let long = "余额".repeat(1000);
    let c = cut(&long, 100);
    assert!(c.len() <= 100 && c.ends_with('…'), "{} bytes", c.len());
    assert!(c.starts_with("余额余额"));
}

#[test]
fn telegram_html_is_escaped_and_bounded() {
    let msg = ChannelMessage {
        key: "k".into(),
        kind: MessageKind::Receipt,
        line_id: None,
        language: Lang::En,
        subject: "a <b> & c".into(),
        text: "x".repeat(10_000),
        created_at: Utc::now(),
    };
    let html = telegram::text(&msg, crate::config::ParseMode::Html);
    assert!(html.starts_with("<b>a &lt;b&gt; &amp; c</b>\n\n"));
    assert!(html.chars().count() <= 4096);
    let plain = telegram::text(&msg, crate::config::ParseMode::Plain);
    assert!(plain.starts_with("a <b> & c\n\n"));
}

#[test]
fn errors_read_as_what_happened() {
    let e = ChannelError::Refused {
        channel: "mom-telegram".into(),
        detail: "Telegram 403: Forbidden: bot was blocked by the user".into(),
        hint: "unblock it".into(),
    };
    assert_eq!(
        e.to_string(),
        "mom-telegram: refuses every message, channel paused: Telegram 403: Forbidden: bot was blocked by the user (unblock it)"
    );
    let r = ChannelError::Retry {
        channel: "n".into(),
        detail: "timed out".into(),
        after: Some(Duration::from_secs(1)),
    };
    assert!(r.to_string().contains("will retry"));
}
