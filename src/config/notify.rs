//! `[[notify]]` channels (Telegram, ntfy, webhook), per-line `email_to`, and the
//! `language` keys: the typed form and the checks, each problem with its key path and
//! what to write instead.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use super::notify_raw::{RawChatId, RawCommon, RawNotify, RawNtfy, RawTelegram, RawWebhook};
use super::raw::RawConfig;
use super::validate::Problems;
use super::{MessageKind, SecretSource};
use crate::i18n::Lang;
use crate::money::parse_duration;

/// Telegram's API root when `base_url` is not given.
pub const TELEGRAM_API: &str = "https://api.telegram.org";
/// How long one request to a channel may take, unless `timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Who hears what beyond `[email]`.
#[derive(Debug, Clone, Default)]
pub struct Notify {
    pub channels: Vec<Channel>,
    /// Extra email recipients per line id (`email_to` of a `[[lines]]`), beyond `email.to`.
    pub email_to: BTreeMap<String, Vec<String>>,
}

impl Notify {
    /// Who receives an email about `line`: `to` (from `[email]`) and the line's own
    /// `email_to`, each address once, in that order.
    pub fn email_recipients(&self, to: &[String], line: Option<&str>) -> Vec<String> {
        email_recipients(to, &self.email_to, line)
    }
}

/// `to` and `extra[line]`, each address once (case-insensitively), in that order.
pub fn email_recipients(
    to: &[String],
    extra: &BTreeMap<String, Vec<String>>,
    line: Option<&str>,
) -> Vec<String> {
    let more = line.and_then(|l| extra.get(l)).into_iter().flatten();
    let mut out: Vec<String> = Vec::new();
    for a in to.iter().chain(more) {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(a)) {
            out.push(a.clone());
        }
    }
    out
}

/// One `[[notify]]` channel, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// Unique among channels: `name`, or the type when there is one of that type.
    pub name: String,
    pub kind: ChannelKind,
    /// The channel's `language`, else `daemon.language`.
    pub language: Lang,
    /// The line ids it hears about; `None`: every line (and messages of no line).
    pub lines: Option<Vec<String>>,
    /// Which kinds of message it gets.
    pub send: Vec<MessageKind>,
    /// The longest one request may take.
    pub timeout: Duration,
}

impl Channel {
    /// Whether a message of `kind` about `line` (None: about no line) goes to this channel.
    pub fn wants(&self, kind: MessageKind, line: Option<&str>) -> bool {
        self.send.contains(&kind)
            && match (&self.lines, line) {
                (None, _) => true,
                (Some(ids), Some(l)) => ids.iter().any(|i| i == l),
                (Some(_), None) => false,
            }
    }
}

/// What kind of channel, with its own settings.
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelKind {
    Telegram {
        base_url: Url,
        token: SecretSource,
        /// A number or `@channelname`, as Telegram takes it.
        chat_id: String,
        parse_mode: ParseMode,
    },
    Ntfy {
        /// The topic's URL.
        url: Url,
        token: Option<SecretSource>,
    },
    Webhook {
        url: Url,
        /// Signs each body (HMAC-SHA256) when set.
        secret: Option<SecretSource>,
    },
}

impl ChannelKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            ChannelKind::Telegram { .. } => "telegram",
            ChannelKind::Ntfy { .. } => "ntfy",
            ChannelKind::Webhook { .. } => "webhook",
        }
    }
}

/// How a Telegram message is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseMode {
    Html,
    Plain,
}

/// Checks every `[[notify]]` and `email_to`; `lines` are the configured line ids.
pub fn notify(raw: &RawConfig, default_lang: Lang, p: &mut Problems) -> Notify {
    let ids: HashSet<&str> = raw.lines.iter().map(|l| l.id.as_str()).collect();
    let mut channels = Vec::new();
    for (i, n) in raw.notify.iter().enumerate() {
        let key = format!("notify[{i}]");
        if let Some(c) = channel(n, &key, &ids, default_lang, p) {
            channels.push(c);
        }
    }
    unique_names(raw, p);
    Notify {
        channels,
        email_to: email_to(raw, p),
    }
}

fn channel(
    n: &RawNotify,
    key: &str,
    ids: &HashSet<&str>,
    default_lang: Lang,
    p: &mut Problems,
) -> Option<Channel> {
    let c = n.common();
    let language = match c.language {
        None => Some(default_lang),
        Some(s) => p.check(&format!("{key}.language"), Lang::parse(s)),
    };
    let lines = line_list(&c, key, ids, p);
    let send = super::validate::send_kinds(c.send.map(Vec::as_slice), &format!("{key}.send"), p);
    let timeout = match c.timeout {
        None => Some(DEFAULT_TIMEOUT),
        Some(s) => p.check(&format!("{key}.timeout"), timeout(s)),
    };
    let kind = match n {
        RawNotify::Telegram(t) => telegram(t, key, p),
        RawNotify::Ntfy(t) => ntfy(t, key, p),
        RawNotify::Webhook(w) => webhook(w, key, p),
    };
    Some(Channel {
        name: default_name(&c, n),
        kind: kind?,
        language: language?,
        lines,
        send,
        timeout: timeout?,
    })
}

fn default_name(c: &RawCommon<'_>, _n: &RawNotify) -> String {
    c.name.cloned().unwrap_or_else(|| c.type_name.to_string())
}

fn timeout(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d < Duration::from_secs(1) || d > Duration::from_secs(300) {
        return Err(format!(
            "{s:?} is out of range; write 1s to 5m, e.g. \"30s\""
        ));
    }
    Ok(d)
}

/// `lines = [...]`: known ids, not empty (absent means every line).
fn line_list(
    c: &RawCommon<'_>,
    key: &str,
    ids: &HashSet<&str>,
    p: &mut Problems,
) -> Option<Vec<String>> {
    let list = c.lines?;
    if list.is_empty() {
        p.add(
            format!("{key}.lines"),
            "is empty, so this channel would hear nothing; remove the key for every line, or name lines, e.g. [\"mom-tmobile\"]",
        );
    }
    for (j, id) in list.iter().enumerate() {
        if !ids.contains(id.as_str()) {
            p.add(
                format!("{key}.lines[{j}]"),
                format!("{id:?} is not the id of a [[lines]] entry; write one of the ids under [[lines]]"),
            );
        }
    }
    Some(list.clone())
}

/// Names must be unique and `[a-z0-9-]+`: `renewd test-notify NAME` picks one.
fn unique_names(raw: &RawConfig, p: &mut Problems) {
    let mut seen: HashSet<String> = HashSet::new();
    for (i, n) in raw.notify.iter().enumerate() {
        let c = n.common();
        let name = default_name(&c, n);
        let ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            p.add(
                format!("notify[{i}].name"),
                format!("{name:?} may only hold a-z, 0-9 and -; e.g. \"mom-telegram\""),
            );
        }
        if !seen.insert(name.clone()) {
            let key = if c.name.is_some() { ".name" } else { "" };
            p.add(
                format!("notify[{i}]{key}"),
                format!("the channel name {name:?} is taken by an earlier [[notify]]; give each channel a name, e.g. name = \"{name}-2\""),
            );
        }
    }
}

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

fn telegram(t: &RawTelegram, key: &str, p: &mut Problems) -> Option<ChannelKind> {
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

fn ntfy(t: &RawNtfy, key: &str, p: &mut Problems) -> Option<ChannelKind> {
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

fn webhook(w: &RawWebhook, key: &str, p: &mut Problems) -> Option<ChannelKind> {
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

/// Per-line `email_to`: valid addresses; only meaningful with `[email]`.
fn email_to(raw: &RawConfig, p: &mut Problems) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for (i, l) in raw.lines.iter().enumerate() {
        let Some(list) = &l.email_to else { continue };
        for (j, addr) in list.iter().enumerate() {
            if addr.parse::<lettre::message::Mailbox>().is_err() {
                p.add(
                    format!("lines[{i}].email_to[{j}]"),
                    format!("{addr:?} is not an email address; e.g. \"daughter@example.com\""),
                );
            }
        }
        if raw.email.is_none() && !list.is_empty() {
            p.warn(format!("lines[{i}].email_to"), "has no effect without an [email] section (messages are written as .eml files); add [email] to send them");
        }
        out.insert(l.id.clone(), list.clone());
    }
    out
}

#[cfg(test)]
#[path = "notify_tests.rs"]
mod tests;
