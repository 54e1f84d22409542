//! `renewd test-notify` with the real binary against the fake Telegram and ntfy: a test
//! message in the channel's language, and the usual mistakes as hints (exit 1).

mod common;

#[path = "common/cut_listener.rs"]
mod cut_listener;
#[path = "common/ntfy_server.rs"]
mod ntfy_server;
#[path = "common/telegram_server.rs"]
mod telegram_server;

use common::Env;

async fn run(env: &Env, args: &[&str]) -> (i32, String, String) {
    let mut cmd = tokio::process::Command::from(env.command(args));
    let out = cmd.output().await.expect("run renewd");
    let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

fn config(env: &Env, tg: &str, chat: &str, nt: &str, ntfy_token: bool) {
    let dir = env.dir.path();
    std::fs::write(dir.join("tg"), format!("{}\n", telegram_server::TOKEN)).unwrap();
    std::fs::write(dir.join("ntfy"), ntfy_server::TOKEN).unwrap();
    let token = if ntfy_token {
        format!("token_file = \"{}/ntfy\"\n", dir.display())
    } else {
        String::new()
    };
    env.write_config(&format!(
        "language = \"zh-CN\"\n\
         [[notify]]\ntype = \"telegram\"\nname = \"mom\"\nbot_token_file = \"{}/tg\"\nchat_id = \"{chat}\"\nbase_url = \"{tg}\"\n\
         [[notify]]\ntype = \"ntfy\"\nurl = \"{nt}/renewd-mom\"\nlanguage = \"en\"\n{token}",
        dir.display()
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_in_the_channel_language_and_explains_failures() {
    let (tg, bot) = telegram_server::start().await;
    let (nt, ntfy) = ntfy_server::start().await;
    ntfy.lock().unwrap().protected.push("renewd-mom".into());
    let env = Env::new("");

    config(&env, &tg, telegram_server::CHAT, &nt, true);
    let (code, out, err) = run(&env, &["test-notify"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("mom: test message accepted (telegram, zh-CN)"),
        "{out}"
    );
    assert!(
        bot.lock().unwrap().shown[0]
            .1
            .starts_with("<b>renewd：测试消息</b>")
    );
    assert_eq!(
        ntfy.lock().unwrap().published[0].title.as_deref(),
        Some("renewd: test message")
    );

    bot.lock().unwrap().blocked = true;
    let (code, _, err) = run(&env, &["test-notify", "mom"]).await;
    assert_eq!(code, 1);
    assert!(
        err.contains("bot was blocked by the user") && err.contains("Restart"),
        "{err}"
    );
    assert_eq!(
        ntfy.lock().unwrap().requests,
        1,
        "only the named channel was tried"
    );

    config(&env, &tg, "777", &nt, false);
    let (code, _, err) = run(&env, &["test-notify"]).await;
    assert_eq!(code, 1);
    assert!(
        err.contains("chat not found") && err.contains("never added to that chat"),
        "{err}"
    );
    assert!(
        err.contains("topic is protected") && err.contains("token_file"),
        "{err}"
    );
    assert!(
        !err.contains(telegram_server::TOKEN),
        "the token leaked: {err}"
    );

    let (code, _, err) = run(&env, &["test-notify", "nope"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("mom, ntfy"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reads_channel_secrets_and_shows_who_hears_what() {
    let env = Env::new("");
    config(
        &env,
        "https://api.telegram.org",
        "424242",
        "https://ntfy.sh",
        true,
    );
    let (code, out, err) = run(&env, &["check"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("notify mom: telegram to chat 424242, in zh-CN, for every line, sends receipt, failure, warning"), "{out}");
    assert!(
        out.contains("notify ntfy: ntfy to https://ntfy.sh/renewd-mom, in en"),
        "{out}"
    );
    std::fs::remove_file(env.dir.path().join("tg")).unwrap();
    let (code, _, err) = run(&env, &["check"]).await;
    assert_eq!(code, 1);
    assert!(
        err.contains("notify[0].bot_token: cannot read secret file"),
        "{err}"
    );
}
