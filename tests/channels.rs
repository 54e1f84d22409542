//! Each channel against a local server that speaks its documented API: delivery, every
//! error class (Telegram 429 retry_after, 403 blocked; ntfy topic auth, 429, 413; webhook
//! signature, outages), dropped connections, timeouts, redirects.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::Utc;
use renewd::config::MessageKind;
use renewd::i18n::Lang;
use renewd::notify::channels::{ChannelError, ChannelMessage, ChannelSender};

#[path = "common/cut_listener.rs"]
mod cut_listener;
#[path = "common/ntfy_server.rs"]
mod ntfy_server;
#[path = "common/telegram_server.rs"]
mod telegram_server;
#[path = "common/webhook_server.rs"]
mod webhook_server;

/// Builds the one channel of a `[[notify]]` section; `{dir}` becomes a temp folder
/// holding the secret file `secret` with `secret_value`.
fn sender(section: &str, secret_value: &str) -> (ChannelSender, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret"), format!("{secret_value}\n")).unwrap();
    let text = format!(
        "[[notify]]\n{}",
        section.replace("{dir}", &dir.path().display().to_string())
    );
    let config = renewd::config::validate(&text, Path::new("t.toml")).expect("valid config");
    let s = ChannelSender::build(&config.notify.channels[0]).expect("channel builds");
    (s, dir)
}

fn message(lang: Lang) -> ChannelMessage {
    let (subject, text) = match lang {
        Lang::En => (
            "renewd: topped up Mom's phone with 25.00 USD",
            "Mom's phone was topped up.\n\nAmount  25.00 USD",
        ),
        Lang::ZhCn => (
            "renewd：已为 妈妈的手机 充值 25.00 美元",
            "妈妈的手机 已充值。\n\n金额  25.00 美元",
        ),
    };
    ChannelMessage {
        key: "receipt:7".into(),
        kind: MessageKind::Receipt,
        line_id: Some("mom".into()),
        language: lang,
        subject: subject.into(),
        text: text.into(),
        created_at: Utc::now(),
    }
}

async fn telegram(chat: &str) -> (ChannelSender, telegram_server::Shared, tempfile::TempDir) {
    let (url, bot) = telegram_server::start().await;
    let section = format!(
        "type = \"telegram\"\nbot_token_file = \"{{dir}}/secret\"\nchat_id = \"{chat}\"\nbase_url = \"{url}\"\ntimeout = \"2s\"\n"
    );
    let (s, dir) = sender(&section, telegram_server::TOKEN);
    (s, bot, dir)
}

#[tokio::test]
async fn telegram_delivers_chinese_html() {
    let (s, bot, _d) = telegram(telegram_server::CHAT).await;
    s.send(&message(Lang::ZhCn)).await.expect("sent");
    let b = bot.lock().unwrap();
    let (mode, text) = &b.shown[0];
    assert_eq!(mode.as_deref(), Some("HTML"));
    assert!(
        text.starts_with("<b>renewd：已为 妈妈的手机 充值 25.00 美元</b>"),
        "{text}"
    );
}

#[tokio::test]
async fn telegram_flood_control_gives_its_retry_after() {
    let (s, bot, _d) = telegram(telegram_server::CHAT).await;
    {
        let mut b = bot.lock().unwrap();
        b.flood = 1;
        b.retry_after = 17;
    }
    let err = s.send(&message(Lang::En)).await.unwrap_err();
    assert!(
        matches!(err, ChannelError::Retry { after: Some(d), .. } if d == Duration::from_secs(17)),
        "{err:?}"
    );
    s.send(&message(Lang::En))
        .await
        .expect("sent after the wait");
    assert_eq!(bot.lock().unwrap().shown.len(), 1);
}

#[tokio::test]
async fn telegram_blocked_bot_refuses_the_channel_with_a_hint() {
    let (s, bot, _d) = telegram(telegram_server::CHAT).await;
    bot.lock().unwrap().blocked = true;
    let err = s.send(&message(Lang::En)).await.unwrap_err();
    let ChannelError::Refused { detail, hint, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(detail.contains("bot was blocked by the user"), "{detail}");
    assert!(hint.contains("Restart"), "{hint}");
}

#[tokio::test]
async fn telegram_wrong_chat_and_wrong_token() {
    let (s, _bot, _d) = telegram("999").await;
    let err = s.send(&message(Lang::En)).await.unwrap_err();
    assert!(
        matches!(&err, ChannelError::Refused { hint, .. } if hint.contains("chat_id is wrong")),
        "{err:?}"
    );

    let (url, _bot) = telegram_server::start().await;
    let section = format!(
        "type = \"telegram\"\nbot_token_file = \"{{dir}}/secret\"\nchat_id = 424242\nbase_url = \"{url}\"\n"
    );
    let (s, _d) = sender(&section, "123456:WRONG");
    let err = s.send(&message(Lang::En)).await.unwrap_err();
    assert!(
        matches!(&err, ChannelError::Refused { hint, .. } if hint.contains("token is wrong")),
        "{err:?}"
    );
    assert!(
        !err.to_string().contains("WRONG"),
        "the token leaked into {err}"
    );
}

#[tokio::test]
async fn telegram_html_it_cannot_parse_is_sent_once_as_plain_text() {
    let (s, bot, _d) = telegram(telegram_server::CHAT).await;
    let mut m = message(Lang::En);
    m.text = "a <i>tag</i> is escaped, so it parses".into();
    s.send(&m).await.expect("sent");
    assert_eq!(bot.lock().unwrap().shown[0].0.as_deref(), Some("HTML"));
    bot.lock().unwrap().refuse_html = true;
    s.send(&m).await.expect("sent as plain text");
    let b = bot.lock().unwrap();
    assert_eq!((b.requests, b.shown.len()), (3, 2));
    assert_eq!(b.shown[1], (None, format!("{}\n\n{}", m.subject, m.text)));
}

#[tokio::test]
async fn telegram_dropped_reply_and_outage_are_retries_without_the_token() {
    let (s, bot, _d) = telegram(telegram_server::CHAT).await;
    let cut = bot.lock().unwrap().cut.clone().unwrap();
    cut.store(true, Ordering::SeqCst);
    let err = s.send(&message(Lang::En)).await.unwrap_err();
    assert!(matches!(err, ChannelError::Retry { .. }), "{err:?}");
    assert!(
        !err.to_string().contains(telegram_server::TOKEN),
        "the token leaked into {err}"
    );
    // Telegram showed it although the reply was lost: the retry shows it again (documented).
    assert_eq!(bot.lock().unwrap().shown.len(), 1);

    bot.lock().unwrap().down = 1;
    let err = s.send(&message(Lang::En)).await.unwrap_err();
    assert!(matches!(err, ChannelError::Retry { .. }), "{err:?}");
}

#[tokio::test]
async fn telegram_timeout_is_a_retry_within_the_bound() {
    let (s, bot, _d) = telegram(telegram_server::CHAT).await;
    bot.lock().unwrap().hang = true;
    let started = Instant::now();
    let err = s.send(&message(Lang::En)).await.unwrap_err();
    assert!(
        matches!(&err, ChannelError::Retry { detail, .. } if detail.contains("timed out")),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "timeout not applied"
    );
}

#[tokio::test]
async fn telegram_supergroup_migration_names_the_new_id() {
    let (s, bot, _d) = telegram(telegram_server::CHAT).await;
    bot.lock().unwrap().migrated_to = Some(-1_001_234_567_890);
    let err = s.send(&message(Lang::En)).await.unwrap_err();
    assert!(
        matches!(&err, ChannelError::Refused { hint, .. } if hint.contains("chat_id = \"-1001234567890\"")),
        "{err:?}"
    );
}

#[tokio::test]
async fn redirects_are_not_followed() {
    use axum::response::Redirect;
    let (target, bot) = telegram_server::start().await;
    let to = format!("{target}/elsewhere");
    let app = axum::Router::new().fallback(move || {
        let to = to.clone();
        async move { Redirect::temporary(&to) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let section = format!(
        "type = \"telegram\"\nbot_token_file = \"{{dir}}/secret\"\nchat_id = 424242\nbase_url = \"http://{addr}\"\n"
    );
    let (s, _d) = sender(&section, telegram_server::TOKEN);
    let err = s.send(&message(Lang::En)).await.unwrap_err();
    assert!(
        matches!(&err, ChannelError::Refused { hint, .. } if hint.contains("no redirects")),
        "{err:?}"
    );
    assert_eq!(
        bot.lock().unwrap().requests,
        0,
        "the token was carried to the redirect target"
    );
}

async fn ntfy(token: bool) -> (ChannelSender, ntfy_server::Shared, tempfile::TempDir) {
    let (url, server) = ntfy_server::start().await;
    let tok = if token {
        "token_file = \"{dir}/secret\"\n"
    } else {
        ""
    };
    let section = format!("type = \"ntfy\"\nurl = \"{url}/renewd-mom\"\n{tok}timeout = \"2s\"\n");
    let (s, dir) = sender(&section, ntfy_server::TOKEN);
    (s, server, dir)
}

#[tokio::test]
async fn ntfy_publishes_chinese_title_and_text() {
    let (s, server, _d) = ntfy(true).await;
    server.lock().unwrap().protected.push("renewd-mom".into());
    s.send(&message(Lang::ZhCn)).await.expect("published");
    let p = server.lock().unwrap().published[0].clone();
    assert_eq!(p.topic, "renewd-mom");
    assert_eq!(
        p.title.as_deref(),
        Some("renewd：已为 妈妈的手机 充值 25.00 美元")
    );
    assert_eq!(p.message, "妈妈的手机 已充值。\n\n金额  25.00 美元");
    assert_eq!(
        (p.tags.as_deref(), p.priority.as_deref()),
        (Some("white_check_mark"), Some("3"))
    );
}

#[tokio::test]
async fn ntfy_topic_auth_rate_limit_and_size() {
    let (s, server, _d) = ntfy(false).await;
    server.lock().unwrap().protected.push("renewd-mom".into());
    let err = s.send(&message(Lang::En)).await.unwrap_err();
    assert!(
        matches!(&err, ChannelError::Refused { hint, .. } if hint.contains("topic is protected")),
        "{err:?}"
    );

    let (s, server, _d) = ntfy(true).await;
    server.lock().unwrap().limited = 1;
    assert!(matches!(
        s.send(&message(Lang::En)).await,
        Err(ChannelError::Retry { .. })
    ));
    server.lock().unwrap().max_message = 10;
    assert!(matches!(
        s.send(&message(Lang::En)).await,
        Err(ChannelError::Rejected { .. })
    ));
    server.lock().unwrap().down = 1;
    assert!(matches!(
        s.send(&message(Lang::En)).await,
        Err(ChannelError::Retry { .. })
    ));
    assert!(server.lock().unwrap().published.is_empty());
}

async fn webhook(signed: bool) -> (ChannelSender, webhook_server::Shared, tempfile::TempDir) {
    let (url, r) = webhook_server::start().await;
    let sec = if signed {
        "secret_file = \"{dir}/secret\"\n"
    } else {
        ""
    };
    let section = format!(
        "type = \"webhook\"\nurl = \"{url}\"\n{sec}timeout = \"2s\"\nlanguage = \"zh-CN\"\n"
    );
    let (s, dir) = sender(&section, webhook_server::SECRET);
    (s, r, dir)
}

#[tokio::test]
async fn webhook_posts_the_signed_versioned_payload() {
    let (s, r, _d) = webhook(true).await;
    s.send(&message(Lang::ZhCn)).await.expect("delivered");
    let r = r.lock().unwrap();
    let e = &r.events[0];
    assert_eq!(e["version"], 1);
    assert_eq!(e["event"], "receipt:7");
    assert_eq!(e["kind"], "receipt");
    assert_eq!(e["line"], "mom");
    assert_eq!(e["language"], "zh-CN");
    assert_eq!(e["subject"], "renewd：已为 妈妈的手机 充值 25.00 美元");
}

#[tokio::test]
async fn webhook_retry_after_a_lost_reply_is_dropped_by_its_key() {
    let (s, r, _d) = webhook(true).await;
    let cut = r.lock().unwrap().cut.clone().unwrap();
    cut.store(true, Ordering::SeqCst);
    assert!(matches!(
        s.send(&message(Lang::En)).await,
        Err(ChannelError::Retry { .. })
    ));
    s.send(&message(Lang::En)).await.expect("retry accepted");
    let r = r.lock().unwrap();
    assert_eq!(
        (r.events.len(), r.repeats),
        (1, 1),
        "the receiver saw one event and one repeat"
    );
}

#[tokio::test]
async fn webhook_outage_wrong_secret_and_gone() {
    let (s, r, _d) = webhook(false).await;
    let err = s.send(&message(Lang::En)).await.unwrap_err();
    assert!(
        matches!(&err, ChannelError::Refused { hint, .. } if hint.contains("secret")),
        "unsigned: {err:?}"
    );

    let (s, r2, _d2) = webhook(true).await;
    {
        let mut r2 = r2.lock().unwrap();
        r2.fail_next = 1;
        r2.fail_status = 503;
    }
    assert!(matches!(
        s.send(&message(Lang::En)).await,
        Err(ChannelError::Retry { .. })
    ));
    {
        let mut r2 = r2.lock().unwrap();
        r2.fail_next = 1;
        r2.fail_status = 410;
    }
    let err = s.send(&message(Lang::En)).await.unwrap_err();
    assert!(
        matches!(&err, ChannelError::Refused { hint, .. } if hint.contains("nothing listens")),
        "{err:?}"
    );
    assert!(r.lock().unwrap().events.is_empty());
}
