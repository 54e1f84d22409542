//! `[[notify]]`, `email_to` and `language`: each mistake names its key path and what to
//! write instead; valid sections come out typed, with the daemon's language as default.

use std::path::Path;

use super::*;
use crate::config::{Config, Problem, validate};

const BASE: &str = "[carriers.demo]\ntype = \"simulated\"\n\
[[lines]]\nid = \"mom\"\ncarrier = \"demo\"\n[lines.policy]\nbalance_below = \"5.00 USD\"\ntopup_amount = \"25.00 USD\"\n\
[[lines]]\nid = \"dad\"\ncarrier = \"demo\"\n[lines.policy]\nbalance_below = \"5.00 USD\"\ntopup_amount = \"25.00 USD\"\n";

const TG: &str =
    "[[notify]]\ntype = \"telegram\"\nbot_token_file = \"/run/t\"\nchat_id = \"123456789\"\n";

fn check(text: &str) -> Result<Config, Vec<Problem>> {
    validate(text, Path::new("t.toml"))
}

fn problems(extra: &str) -> Vec<Problem> {
    check(&format!("{BASE}{extra}")).err().unwrap_or_default()
}

fn valid(extra: &str) -> Config {
    check(&format!("{BASE}{extra}")).unwrap_or_else(|e| panic!("expected valid: {e:#?}"))
}

#[test]
fn each_mistake_names_its_key_and_the_fix() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "[[notify]]\ntype = \"telegram\"\nbot_token = \"123:ABC\"\nchat_id = 1\n",
            "notify[0].bot_token",
            "bot_token_file = ",
        ),
        (
            "[[notify]]\ntype = \"telegram\"\nchat_id = 1\n",
            "notify[0].bot_token_file",
            "@BotFather",
        ),
        (
            "[[notify]]\ntype = \"telegram\"\nbot_token_env = \"T\"\n",
            "notify[0].chat_id",
            "missing",
        ),
        (
            "[[notify]]\ntype = \"telegram\"\nbot_token_env = \"T\"\nchat_id = \"mom\"\n",
            "notify[0].chat_id",
            "\"@name\"",
        ),
        (
            "[[notify]]\ntype = \"telegram\"\nbot_token_env = \"T\"\nbot_token_file = \"/f\"\nchat_id = 1\n",
            "notify[0].bot_token",
            "only one",
        ),
        (
            "[[notify]]\ntype = \"telegram\"\nbot_token_env = \"T\"\nchat_id = 1\nparse_mode = \"MarkdownV2\"\n",
            "notify[0].parse_mode",
            "\"plain\"",
        ),
        (
            "[[notify]]\ntype = \"telegram\"\nbot_token_env = \"T\"\nchat_id = 1\nbase_url = \"http://api.example.com\"\n",
            "notify[0].base_url",
            "write https://",
        ),
        (
            "[[notify]]\ntype = \"telegram\"\nbot_token_env = \"T\"\nchat_id = 1\nbase_url = \"https://api.telegram.org/bot123:ABC\"\n",
            "notify[0].base_url",
            "/bot path",
        ),
        ("[[notify]]\ntype = \"ntfy\"\n", "notify[0].url", "missing"),
        (
            "[[notify]]\ntype = \"ntfy\"\nurl = \"https://ntfy.sh/\"\n",
            "notify[0].url",
            "topic name",
        ),
        (
            "[[notify]]\ntype = \"ntfy\"\nurl = \"https://ntfy.sh/t?auth=abc\"\n",
            "notify[0].url",
            "token_file",
        ),
        (
            "[[notify]]\ntype = \"ntfy\"\nurl = \"https://u:p@ntfy.sh/t\"\n",
            "notify[0].url",
            "credentials",
        ),
        (
            "[[notify]]\ntype = \"ntfy\"\nurl = \"https://ntfy.sh/t\"\ntoken = \"tk_x\"\n",
            "notify[0].token",
            "token_file",
        ),
        (
            "[[notify]]\ntype = \"webhook\"\nurl = \"http://10.0.0.5/hook\"\n",
            "notify[0].url",
            "127.0.0.1",
        ),
        (
            "[[notify]]\ntype = \"webhook\"\nurl = \"ftp://x/y\"\n",
            "notify[0].url",
            "http(s)",
        ),
        (
            "[[notify]]\ntype = \"webhook\"\nurl = \"https://h/x\"\nsecret = \"s\"\n",
            "notify[0].secret",
            "secret_file",
        ),
        (
            "[[notify]]\ntype = \"webhook\"\nurl = \"https://h/x\"\nlanguage = \"fr\"\n",
            "notify[0].language",
            "\"zh-CN\"",
        ),
        (
            "[[notify]]\ntype = \"webhook\"\nurl = \"https://h/x\"\nlines = [\"mum\"]\n",
            "notify[0].lines[0]",
            "[[lines]]",
        ),
        (
            "[[notify]]\ntype = \"webhook\"\nurl = \"https://h/x\"\nlines = []\n",
            "notify[0].lines",
            "remove the key",
        ),
        (
            "[[notify]]\ntype = \"webhook\"\nurl = \"https://h/x\"\nsend = [\"receipts\"]\n",
            "notify[0].send[0]",
            "\"receipt\"",
        ),
        (
            "[[notify]]\ntype = \"webhook\"\nurl = \"https://h/x\"\ntimeout = \"0s\"\n",
            "notify[0].timeout",
            "1s to 5m",
        ),
        (
            "[[notify]]\ntype = \"webhook\"\nurl = \"https://h/x\"\nname = \"Mom TG\"\n",
            "notify[0].name",
            "a-z",
        ),
        (
            "[[notify]]\ntype = \"webhook\"\nurl = \"https://h/x\"\n[[notify]]\ntype = \"webhook\"\nurl = \"https://h/y\"\n",
            "notify[1]",
            "give each channel a name",
        ),
        (
            "[daemon]\nlanguage = \"zh-TW\"\n",
            "daemon.language",
            "\"zh-CN\"",
        ),
    ];
    for (extra, key, fragment) in cases {
        let got = problems(extra);
        let hit = got.iter().find(|p| p.key == *key);
        let Some(hit) = hit else {
            panic!("{extra}\nexpected a problem at {key}, got {got:#?}");
        };
        assert!(
            hit.message.contains(fragment),
            "{key}: {:?} lacks {fragment:?}",
            hit.message
        );
    }
}

#[test]
fn unknown_keys_and_types_are_refused() {
    let typo = problems("[[notify]]\ntype = \"telegram\"\nbot_token_env = \"T\"\nchatid = 1\n");
    assert!(!typo.is_empty(), "a misspelt key must not be ignored");
    let kind = problems("[[notify]]\ntype = \"slack\"\nurl = \"https://h/x\"\n");
    assert!(!kind.is_empty());
}

#[test]
fn every_problem_comes_back_at_once_with_a_position() {
    let got = problems(
        "[[notify]]\ntype = \"telegram\"\nbot_token = \"x\"\nchat_id = \"nope\"\n[[notify]]\ntype = \"ntfy\"\nurl = \"http://ntfy.example.com/t\"\n",
    );
    let keys: Vec<&str> = got.iter().map(|p| p.key.as_str()).collect();
    for k in ["notify[0].bot_token", "notify[0].chat_id", "notify[1].url"] {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }
    let url = got.iter().find(|p| p.key == "notify[1].url").unwrap();
    assert!(url.position.is_some(), "{url:?} has no file position");
}

#[test]
fn valid_channels_come_out_typed() {
    let c = valid(&format!(
        "[daemon]\nlanguage = \"zh-CN\"\n{TG}lines = [\"mom\"]\nsend = [\"receipt\"]\n\
         [[notify]]\ntype = \"ntfy\"\nurl = \"http://127.0.0.1:8080/renewd_x-1\"\ntoken_env = \"NTFY\"\nlanguage = \"en\"\n\
         [[notify]]\ntype = \"webhook\"\nname = \"home\"\nurl = \"https://hooks.example.com/r?k=1\"\nsecret_file = \"hook\"\ntimeout = \"10s\"\n"
    ));
    assert_eq!(c.daemon.language, Lang::ZhCn);
    let [tg, nt, wh] = c.notify.channels.as_slice() else {
        panic!("{:?}", c.notify.channels)
    };
    assert_eq!((tg.name.as_str(), tg.language), ("telegram", Lang::ZhCn));
    assert!(
        matches!(&tg.kind, ChannelKind::Telegram { chat_id, parse_mode: ParseMode::Html, base_url, .. }
        if chat_id == "123456789" && base_url.as_str() == "https://api.telegram.org/")
    );
    assert!(tg.wants(MessageKind::Receipt, Some("mom")));
    assert!(
        !tg.wants(MessageKind::Receipt, Some("dad")),
        "lines = [\"mom\"] keeps dad's receipts away"
    );
    assert!(
        !tg.wants(MessageKind::Warning, Some("mom")),
        "send = [\"receipt\"] keeps warnings away"
    );
    assert!(!tg.wants(MessageKind::Receipt, None));
    assert_eq!((nt.name.as_str(), nt.language), ("ntfy", Lang::En));
    assert!(
        matches!(&nt.kind, ChannelKind::Ntfy { token: Some(SecretSource::Env(v)), .. } if v == "NTFY")
    );
    assert!(
        nt.wants(MessageKind::Warning, None),
        "no lines key: every line and none"
    );
    assert_eq!(
        (wh.name.as_str(), wh.timeout),
        ("home", Duration::from_secs(10))
    );
}

#[test]
fn numeric_and_channel_chat_ids() {
    for id in [
        "chat_id = -1001234567890",
        "chat_id = \"-1001234567890\"",
        "chat_id = \"@renewd_alerts\"",
    ] {
        let c = valid(&format!(
            "[[notify]]\ntype = \"telegram\"\nbot_token_env = \"T\"\n{id}\n"
        ));
        let ChannelKind::Telegram { chat_id, .. } = &c.notify.channels[0].kind else {
            panic!()
        };
        assert!(id.contains(chat_id.as_str()), "{id} -> {chat_id}");
    }
}

#[test]
fn email_to_and_email_language() {
    let email = "[email]\nsmtp_url = \"smtps://smtp.example.com:465\"\nfrom = \"r@example.com\"\nto = [\"me@example.com\"]\nlanguage = \"zh-CN\"\n";
    let text = BASE.replacen(
        "[[lines]]\nid = \"mom\"\n",
        "[[lines]]\nid = \"mom\"\nemail_to = [\"kid@example.com\"]\n",
        1,
    );
    let c = check(&format!("{text}{email}")).expect("valid");
    assert_eq!(c.notify.email_to["mom"], ["kid@example.com"]);
    assert!(!c.notify.email_to.contains_key("dad"));
    let to = ["me@example.com".to_string(), "KID@example.com".to_string()];
    assert_eq!(
        c.notify.email_recipients(&to, Some("mom")),
        to,
        "no address twice"
    );
    assert_eq!(
        c.notify.email_recipients(&to[..1], Some("mom")),
        ["me@example.com", "kid@example.com"]
    );
    assert_eq!(
        c.notify.email_recipients(&to[..1], Some("dad")),
        ["me@example.com"]
    );
    assert_eq!(
        c.notify.email_recipients(&to[..1], None),
        ["me@example.com"]
    );
    assert_eq!(c.email.unwrap().language, Lang::ZhCn);
    assert_eq!(c.daemon.language, Lang::En);
    let bad = BASE.replacen(
        "id = \"dad\"\n",
        "id = \"dad\"\nemail_to = [\"not an address\"]\n",
        1,
    );
    let got = check(&format!("{bad}{email}")).unwrap_err();
    assert!(
        got.iter().any(|p| p.key == "lines[1].email_to[0]"),
        "{got:#?}"
    );
    let no_email = check(&text).expect("valid without [email]");
    assert!(
        no_email
            .warnings
            .iter()
            .any(|w| w.key == "lines[0].email_to")
    );
}
