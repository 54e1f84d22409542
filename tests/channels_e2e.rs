//! The issue's "done when", with the real daemon: with `language = "zh-CN"` a receipt, a
//! failure and a warning reach Telegram, ntfy, the webhook and email in Chinese, each
//! once, through an outage of every channel (each refusing everything: paused, queue
//! kept) and a restart.

mod common;

#[path = "common/cut_listener.rs"]
mod cut_listener;
#[path = "common/ntfy_server.rs"]
mod ntfy_server;
#[path = "common/telegram_server.rs"]
mod telegram_server;
#[path = "common/webhook_server.rs"]
mod webhook_server;

use std::time::Duration;

use common::{Env, wait_until};

fn config(env: &Env, tg: &str, nt: &str, wh: &str) {
    let d = env.dir.path().display().to_string();
    env.write_config(&format!(
        r#"language = "zh-CN"
jitter = "0s"
[carriers.ok]
type = "simulated"
balance = "3.00 USD"
[carriers.blind]
type = "simulated"
reports = ["data"]
[carriers.bad]
type = "simulated"
balance = "3.00 USD"
failure_rate = 1.0
[[lines]]
id = "mom"
name = "妈妈"
carrier = "ok"
check = "every 1h"
[lines.policy]
balance_below = "5.00 USD"
topup_amount = "25.00 USD"
[[lines]]
id = "dad"
name = "爸爸"
carrier = "bad"
check = "every 1h"
[lines.policy]
balance_below = "5.00 USD"
topup_amount = "25.00 USD"
[[lines]]
id = "kid"
name = "孩子"
carrier = "blind"
check = "every 1h"
[lines.policy]
balance_below = "5.00 USD"
topup_amount = "25.00 USD"
[[notify]]
type = "telegram"
bot_token_file = "{d}/tg"
chat_id = "{chat}"
base_url = "{tg}"
timeout = "3s"
[[notify]]
type = "ntfy"
url = "{nt}/renewd-family"
token_file = "{d}/ntfy"
timeout = "3s"
[[notify]]
type = "webhook"
url = "{wh}"
secret_file = "{d}/hook"
timeout = "3s"
"#,
        chat = telegram_server::CHAT
    ));
    std::fs::write(env.dir.path().join("tg"), telegram_server::TOKEN).unwrap();
    std::fs::write(env.dir.path().join("hook"), webhook_server::SECRET).unwrap();
}

/// Subjects that each channel must have received once.
const EVENTS: [&str; 3] = [
    "已为 妈妈 充值 25.00 美元",
    "爸爸 充值失败",
    "无法处理 孩子",
];

fn count(texts: &[String], needle: &str) -> usize {
    texts.iter().filter(|t| t.contains(needle)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chinese_messages_reach_every_channel_once_through_an_outage_and_a_restart() {
    let (tg, bot) = telegram_server::start().await;
    let (nt, ntfy) = ntfy_server::start().await;
    let (wh, hook) = webhook_server::start().await;
    let env = Env::new("");
    config(&env, &tg, &nt, &wh);
    // Every channel refuses everything: a blocked bot, a wrong ntfy token, a gone webhook.
    bot.lock().unwrap().blocked = true;
    ntfy.lock().unwrap().protected.push("renewd-family".into());
    std::fs::write(env.dir.path().join("ntfy"), "tk_wrong").unwrap();
    {
        let mut h = hook.lock().unwrap();
        h.fail_next = 1000;
        h.fail_status = 410;
    }

    let mut daemon = env.spawn_daemon();
    let queued = wait_until(Duration::from_secs(30), || {
        [
            "receipt",
            "failed",
            "cannotact",
            "paused_telegram",
            "paused_ntfy",
            "paused_webhook",
        ]
        .iter()
        .all(|p| !env.outbox(p).is_empty())
    });
    assert!(queued, "emails missing; log:\n{}", daemon.log_text());
    daemon.signal("TERM");
    assert!(
        daemon.wait_exit(15).is_some_and(|s| s.success()),
        "{}",
        daemon.log_text()
    );
    assert!(bot.lock().unwrap().shown.is_empty() && ntfy.lock().unwrap().published.is_empty());
    // status and outbox show the paused channels and their queues.
    let out = env.renewd(&["status", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status json");
    let channels = doc["channels"].as_array().expect("channels in status");
    assert_eq!(channels.len(), 3, "{channels:?}");
    assert!(
        channels
            .iter()
            .all(|c| c["paused"].is_object() && c["queued"].as_u64() >= Some(3)),
        "{channels:?}"
    );
    let out = env.renewd(&["status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("renewd 未运行") && text.contains("需要处理"),
        "status in Chinese: {text}"
    );
    assert!(text.contains("TELEGRAM 已暂停"), "{text}");
    let out = env.renewd(&["outbox"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("telegram PAUSED since") && text.contains("bot was blocked"),
        "{text}"
    );

    // The outage ends while renewd is down; it starts again and catches up.
    bot.lock().unwrap().blocked = false;
    std::fs::write(env.dir.path().join("ntfy"), ntfy_server::TOKEN).unwrap();
    hook.lock().unwrap().fail_next = 0;
    let daemon = env.spawn_daemon();
    let shown = || {
        bot.lock()
            .unwrap()
            .shown
            .iter()
            .map(|s| s.1.clone())
            .collect::<Vec<_>>()
    };
    let published = || {
        ntfy.lock()
            .unwrap()
            .published
            .iter()
            .map(|p| p.title.clone().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    let events = || {
        hook.lock()
            .unwrap()
            .events
            .iter()
            .map(|e| e["subject"].as_str().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    let all_there = wait_until(Duration::from_secs(30), || {
        EVENTS.iter().all(|e| {
            count(&shown(), e) > 0 && count(&published(), e) > 0 && count(&events(), e) > 0
        })
    });
    assert!(
        all_there,
        "tg {:?}\nntfy {:?}\nhook {:?}\nlog:\n{}",
        shown(),
        published(),
        events(),
        daemon.log_text()
    );
    for e in EVENTS {
        assert_eq!(count(&shown(), e), 1, "Telegram: {e} in {:?}", shown());
        assert_eq!(count(&published(), e), 1, "ntfy: {e}");
        assert_eq!(count(&events(), e), 1, "webhook: {e}");
    }
    assert_eq!(hook.lock().unwrap().repeats, 0);
    for prefix in ["receipt", "failed", "cannotact"] {
        let files = env.outbox(prefix);
        assert_eq!(files.len(), 1, "{prefix}: {files:?}");
        let raw = std::fs::read(&files[0]).unwrap();
        let mail = mailparse::parse_mail(&raw).unwrap();
        let subject = mail
            .headers
            .iter()
            .find(|h| h.get_key() == "Subject")
            .unwrap()
            .get_value();
        assert!(
            EVENTS.iter().any(|e| subject.contains(e)),
            "email subject {subject:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_tries_a_paused_channel_again_at_once() {
    let (tg, bot) = telegram_server::start().await;
    let (nt, _ntfy) = ntfy_server::start().await;
    let (wh, _hook) = webhook_server::start().await;
    let env = Env::new("");
    config(&env, &tg, &nt, &wh);
    std::fs::write(env.dir.path().join("ntfy"), ntfy_server::TOKEN).unwrap();
    bot.lock().unwrap().blocked = true;
    let daemon = env.spawn_daemon();
    let paused = wait_until(Duration::from_secs(30), || {
        !env.outbox("paused_telegram").is_empty()
    });
    assert!(paused, "{}", daemon.log_text());
    let tries = bot.lock().unwrap().requests;
    bot.lock().unwrap().blocked = false;
    daemon.signal("HUP");
    let shown = wait_until(Duration::from_secs(20), || {
        bot.lock().unwrap().shown.len() >= 3
    });
    assert!(
        shown,
        "after the reload: {:?}\n{}",
        bot.lock().unwrap().shown,
        daemon.log_text()
    );
    assert!(bot.lock().unwrap().requests > tries);
    let texts: Vec<String> = bot
        .lock()
        .unwrap()
        .shown
        .iter()
        .map(|s| s.1.clone())
        .collect();
    for e in EVENTS {
        assert_eq!(count(&texts, e), 1, "{e}: {texts:?}");
    }
}
