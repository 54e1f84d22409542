//! Channel queues end to end on a real ledger file: each event reaches Telegram, ntfy and
//! the webhook once, in the channel's language, through an outage, a refusal (the channel
//! pauses, the queue stays, a warning goes out) and a restart (ledger reopened).

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use renewd::config::{Config, MessageKind};
use renewd::ledger::{Ledger, SqliteLedger};
use renewd::notify::channels::ChannelSender;
use renewd::notify::channels::deliver::deliver_due;
use renewd::notify::channels::run::routes;
use renewd::notify::doc::{Doc, Text, Val};

#[path = "common/cut_listener.rs"]
mod cut_listener;
#[path = "common/ntfy_server.rs"]
mod ntfy_server;
#[path = "common/telegram_server.rs"]
mod telegram_server;
#[path = "common/webhook_server.rs"]
mod webhook_server;

struct Rig {
    dir: tempfile::TempDir,
    config: Config,
    bot: telegram_server::Shared,
    ntfy: ntfy_server::Shared,
    hook: webhook_server::Shared,
}

async fn rig() -> Rig {
    let (tg, bot) = telegram_server::start().await;
    let (nt, ntfy) = ntfy_server::start().await;
    let (wh, hook) = webhook_server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    std::fs::write(dir.path().join("tg"), telegram_server::TOKEN).unwrap();
    std::fs::write(dir.path().join("hook"), webhook_server::SECRET).unwrap();
    let text = format!(
        "[daemon]\nstate_dir = \"{d}/state\"\nlanguage = \"zh-CN\"\n\
         [carriers.demo]\ntype = \"simulated\"\n\
         [[lines]]\nid = \"mom\"\ncarrier = \"demo\"\n[lines.policy]\nbalance_below = \"5.00 USD\"\ntopup_amount = \"25.00 USD\"\n\
         [[notify]]\ntype = \"telegram\"\nbot_token_file = \"{d}/tg\"\nchat_id = \"{}\"\nbase_url = \"{tg}\"\ntimeout = \"2s\"\n\
         [[notify]]\ntype = \"ntfy\"\nurl = \"{nt}/renewd-mom\"\ntimeout = \"2s\"\n\
         [[notify]]\ntype = \"webhook\"\nurl = \"{wh}\"\nsecret_file = \"{d}/hook\"\nlanguage = \"en\"\ntimeout = \"2s\"\n",
        telegram_server::CHAT
    );
    let config = renewd::config::validate(&text, Path::new("t.toml")).expect("valid");
    Rig {
        dir,
        config,
        bot,
        ntfy,
        hook,
    }
}

impl Rig {
    fn ledger(&self) -> Arc<dyn Ledger> {
        let l = SqliteLedger::open(&self.dir.path().join("state")).unwrap();
        l.set_routes(routes(&self.config));
        Arc::new(l)
    }

    /// One delivery round of every channel at `now`, with freshly built senders.
    async fn round(&self, ledger: &dyn Ledger, now: DateTime<Utc>) {
        for c in &self.config.notify.channels {
            let s = ChannelSender::build(c).expect("builds");
            deliver_due(ledger, &s, now, chrono_tz::UTC)
                .await
                .expect("ledger");
        }
    }
}

fn receipt(n: i64) -> renewd::ledger::Draft {
    let doc = Doc {
        subject: Text::Msg(
            "receipt-subject",
            vec![
                ("line", "妈妈".into()),
                ("price", Val::Money("25.00 USD".parse().unwrap())),
            ],
        ),
        intro: Text::Msg("receipt-intro", vec![("line", "妈妈".into())]),
        rows: vec![(
            Text::id("row-amount"),
            Text::Value(Val::Money("25.00 USD".parse().unwrap())),
        )],
        outro: None,
    };
    doc.draft(
        format!("receipt:{n}"),
        MessageKind::Receipt,
        Some("mom".into()),
    )
}

#[tokio::test]
async fn once_each_through_an_outage_and_a_restart() {
    let rig = rig().await;
    let t0 = Utc::now();
    {
        let ledger = rig.ledger();
        ledger.enqueue(&receipt(1), t0).unwrap();
        rig.bot.lock().unwrap().down = 1;
        rig.hook.lock().unwrap().fail_next = 1;
        rig.hook.lock().unwrap().fail_status = 503;
        rig.round(ledger.as_ref(), t0).await;
        assert!(rig.bot.lock().unwrap().shown.is_empty());
        assert_eq!(rig.ntfy.lock().unwrap().published.len(), 1);
        assert!(rig.hook.lock().unwrap().events.is_empty());
        // Before the backoff ends nothing is tried again.
        rig.round(ledger.as_ref(), t0 + Duration::seconds(30)).await;
        assert_eq!(rig.bot.lock().unwrap().requests, 1);
    } // the daemon stops here; the ledger file keeps the queue
    let ledger = rig.ledger();
    rig.round(ledger.as_ref(), t0 + Duration::minutes(2)).await;
    rig.round(ledger.as_ref(), t0 + Duration::minutes(30)).await;
    let bot = rig.bot.lock().unwrap();
    assert_eq!(bot.shown.len(), 1, "Telegram shows the receipt once");
    assert!(
        bot.shown[0].1.contains("renewd：已为 妈妈 充值 25.00 美元"),
        "{}",
        bot.shown[0].1
    );
    assert_eq!(rig.ntfy.lock().unwrap().published.len(), 1, "ntfy once");
    let hook = rig.hook.lock().unwrap();
    assert_eq!(
        (hook.events.len(), hook.repeats),
        (1, 0),
        "the webhook once"
    );
    assert_eq!(
        hook.events[0]["subject"], "renewd: topped up 妈妈: 25.00 USD",
        "the webhook asked for English"
    );
    assert_eq!(
        ledger
            .due_messages(t0 + Duration::days(1), 10)
            .unwrap()
            .len(),
        1,
        "and one email"
    );
}

#[tokio::test]
async fn a_blocked_bot_pauses_telegram_keeps_its_queue_and_warns_the_others() {
    let rig = rig().await;
    let t0 = Utc::now();
    let ledger = rig.ledger();
    rig.bot.lock().unwrap().blocked = true;
    ledger.enqueue(&receipt(1), t0).unwrap();
    ledger.enqueue(&receipt(2), t0).unwrap();
    rig.round(ledger.as_ref(), t0).await;
    let pauses = ledger.channel_pauses().unwrap();
    assert_eq!(pauses.len(), 1);
    assert!(pauses[0].reason.contains("blocked"), "{}", pauses[0].reason);
    assert_eq!(
        rig.bot.lock().unwrap().requests,
        1,
        "the rest of the queue waits: one try per round"
    );
    let emails = ledger.due_messages(t0, 10).unwrap();
    let warning = emails
        .iter()
        .find(|m| m.draft.key.starts_with("paused:telegram"))
        .expect("a warning email");
    assert!(
        warning.draft.subject.contains("telegram 已暂停"),
        "{}",
        warning.draft.subject
    );
    // The webhook (English) hears of it too, on the next round.
    rig.round(ledger.as_ref(), t0 + Duration::seconds(1)).await;
    assert!(rig.hook.lock().unwrap().events.iter().any(|e| {
        e["subject"]
            .as_str()
            .unwrap()
            .contains("telegram is paused")
    }));

    // Another refusal while paused warns no more.
    rig.round(ledger.as_ref(), t0 + Duration::hours(1)).await;
    let warnings = ledger
        .due_messages(t0 + Duration::hours(2), 50)
        .unwrap()
        .iter()
        .filter(|m| m.draft.key.starts_with("paused:"))
        .count();
    assert_eq!(warnings, 1);

    rig.bot.lock().unwrap().blocked = false;
    rig.round(ledger.as_ref(), t0 + Duration::hours(2)).await;
    assert!(
        ledger.channel_pauses().unwrap().is_empty(),
        "the first delivery lifts the pause"
    );
    let shown: Vec<String> = rig
        .bot
        .lock()
        .unwrap()
        .shown
        .iter()
        .map(|s| s.1.clone())
        .collect();
    assert_eq!(
        shown.len(),
        3,
        "both receipts and the pause warning, each once: {shown:?}"
    );
}
