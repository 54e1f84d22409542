//! Each `[[notify]]` type's own keys: Telegram's token, chat id and parse mode, ntfy's
//! topic URL and token, the webhook's URL and secret; secrets only as `_file`/`_env`,
//! URLs `https://` (or loopback) without credentials.

use std::path::PathBuf;

use url::Url;

use super::SecretSource;
use super::notify::{ChannelKind, ParseMode, TELEGRAM_API};
use super::notify_raw::{RawChatId, RawNtfy, RawTelegram, RawWebhook};
use super::validate::Problems;

/// A secret key of a channel: `_file` or `_env`, never inline.
fn secret(
    key: &str,
    field: &str,
    inline: bool,
    file: Option<&String>,
    env: Option<&String>,
    p: &mut Problems,
) -> Option<Option<SecretSource>> {
    let path = format!("{key}.{field}");
    if inline {
        p.add(
            path,
            format!("is a secret and may not be written in the config; write {field}_file = \"/run/credentials/renewd.service/{field}\" or {field}_env = \"RENEWD_{}\"", field.to_uppercase()),
        );
        return None;
    }
    match (file, env) {
        (Some(_), Some(_)) => {
            p.add(
                path,
                format!("set only one of {field}_file and {field}_env"),
            );
            None
        }
        (Some(f), None) if f.trim().is_empty() => {
            p.add(
                format!("{path}_file"),
                "is empty; write a path, e.g. \"/run/credentials/renewd.service/token\"",
            );
            None
        }
        (Some(f), None) => Some(Some(SecretSource::File(PathBuf::from(f)))),
        (None, Some(e)) => Some(Some(SecretSource::Env(e.clone()))),
        (None, None) => Some(None),
    }
}

pub fn telegram(t: &RawTelegram, key: &str, p: &mut Problems) -> Option<ChannelKind> {
    let token = secret(
        key,
        "bot_token",
        t.bot_token.is_some(),
        t.bot_token_file.as_ref(),
        t.bot_token_env.as_ref(),
        p,
    );
    let token = match token {
        None => None,
        Some(Some(s)) => Some(s),
        Some(None) => {
            p.add(format!("{key}.bot_token_file"), "missing: the bot's token from @BotFather; write bot_token_file = \"/run/credentials/renewd.service/telegram\" or bot_token_env = \"RENEWD_TELEGRAM_TOKEN\"");
            None
        }
    };
    let chat_id = chat_id(t.chat_id.as_ref(), key, p);
    let parse_mode = match t
        .parse_mode
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("html") => Some(ParseMode::Html),
        Some("plain") | Some("none") => Some(ParseMode::Plain),
        Some(_) => {
            p.add(
                format!("{key}.parse_mode"),
                format!(
                    "{:?} is not supported; write \"HTML\" (the default) or \"plain\"",
                    t.parse_mode.as_deref().unwrap_or("")
                ),
            );
            None
        }
    };
    let base = t.base_url.as_deref().unwrap_or(TELEGRAM_API);
    let base_url = https_url(
        &format!("{key}.base_url"),
        base,
        "https://api.telegram.org",
        p,
    );
    if base_url.as_ref().is_some_and(|u| u.path().contains("/bot")) {
        p.add(format!("{key}.base_url"), "holds a /bot path (and perhaps the token); write only the API root, e.g. \"https://api.telegram.org\", and the token in bot_token_file");
    }
    Some(ChannelKind::Telegram {
        base_url: base_url?,
        token: token?,
        chat_id: chat_id?,
        parse_mode: parse_mode?,
    })
}

fn chat_id(v: Option<&RawChatId>, key: &str, p: &mut Problems) -> Option<String> {
    let k = format!("{key}.chat_id");
    let example = "write the chat's number, e.g. chat_id = \"123456789\" (groups: \"-1001234567890\"), or a channel's \"@name\"";
    let s = match v {
        None => {
            p.add(k, format!("missing; {example}"));
            return None;
        }
        Some(RawChatId::Number(n)) => return Some(n.to_string()),
        Some(RawChatId::Text(s)) => s.trim(),
    };
    let number = s.strip_prefix('-').unwrap_or(s);
    let numeric =
        !number.is_empty() && number.len() <= 20 && number.bytes().all(|b| b.is_ascii_digit());
    let channel = s.strip_prefix('@').is_some_and(|n| {
        (5..=32).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    });
    if numeric || channel {
        Some(s.to_string())
    } else {
        p.add(k, format!("{s:?} is not a Telegram chat id; {example}"));
        None
    }
}

pub fn ntfy(t: &RawNtfy, key: &str, p: &mut Problems) -> Option<ChannelKind> {
    let token = secret(
        key,
        "token",
        t.token.is_some(),
        t.token_file.as_ref(),
        t.token_env.as_ref(),
        p,
    );
    let example = "https://ntfy.sh/renewd-7f3a9c";
    let Some(raw) = &t.url else {
        p.add(
            format!("{key}.url"),
            format!("missing: the topic's URL; e.g. url = \"{example}\""),
        );
        return None;
    };
    let url = https_url(&format!("{key}.url"), raw, example, p)?;
    let topic = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or("");
    let topic_ok = !topic.is_empty()
        && topic.len() <= 64
        && topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !topic_ok {
        p.add(format!("{key}.url"), format!("{raw:?} does not end in a topic name (letters, digits, - and _, at most 64); e.g. \"{example}\""));
    }
    if url.query_pairs().any(|(k, _)| k == "auth") {
        p.add(format!("{key}.url"), "holds credentials (?auth=); remove them and write token_file = \"/run/credentials/renewd.service/ntfy\"");
        return None;
    }
    if url.query().is_some() {
        p.add(
            format!("{key}.url"),
            format!(
                "has a query (?{}); write only the topic's URL, e.g. \"{example}\"",
                url.query().unwrap_or("")
            ),
        );
        return None;
    }
    topic_ok.then_some(())?;
    Some(ChannelKind::Ntfy { url, token: token? })
}

pub fn webhook(w: &RawWebhook, key: &str, p: &mut Problems) -> Option<ChannelKind> {
    let secret = secret(
        key,
        "secret",
        w.secret.is_some(),
        w.secret_file.as_ref(),
        w.secret_env.as_ref(),
        p,
    );
    let example = "https://hooks.example.com/renewd";
    let Some(raw) = &w.url else {
        p.add(
            format!("{key}.url"),
            format!("missing: where to POST each event; e.g. url = \"{example}\""),
        );
        return None;
    };
    let url = https_url(&format!("{key}.url"), raw, example, p)?;
    Some(ChannelKind::Webhook {
        url,
        secret: secret?,
    })
}

/// An `https://` URL without credentials; `http://` only to a loopback host (a local
/// relay or a test server), since a channel's token and messages would travel in clear.
pub fn https_url(key: &str, raw: &str, example: &str, p: &mut Problems) -> Option<Url> {
    let url = match Url::parse(raw) {
        Ok(u) if u.host_str().is_some() => u,
        _ => {
            p.add(key, format!("{raw:?} is not a URL; e.g. \"{example}\""));
            return None;
        }
    };
    if !url.username().is_empty() || url.password().is_some() {
        p.add(
            key,
            "holds credentials; remove them from the URL and use the channel's _file or _env key",
        );
        return None;
    }
    match url.scheme() {
        "https" => Some(url),
        "http" if is_loopback(&url) => Some(url),
        "http" => {
            p.add(key, format!("{raw:?} would send messages and tokens unencrypted; write https://, e.g. \"{example}\" (http:// is allowed only to 127.0.0.1, ::1 or localhost)"));
            None
        }
        _ => {
            p.add(
                key,
                format!("{raw:?} is not an http(s) URL; e.g. \"{example}\""),
            );
            None
        }
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
