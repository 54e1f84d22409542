//! `[[notify]]` channels (Telegram, ntfy, webhook), per-line `email_to`, and the
//! `language` keys: the typed form and the checks, each problem with its key path and
//! what to write instead.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use url::Url;

use super::notify_kinds as kinds;
use super::notify_raw::{RawCommon, RawNotify};
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

/// Checks every `[[notify]]` and `email_to`; `lines` are the configured lines (the TOML's
/// and every inventory's), `None` when only some were read (`status LINE`): then a
/// channel's `lines = [...]` is not checked against them.
pub fn notify(
    raw: &RawConfig,
    lines: Option<&[super::Line]>,
    default_lang: Lang,
    p: &mut Problems,
) -> Notify {
    let ids: Option<HashSet<&str>> = lines.map(|ls| ls.iter().map(|l| l.id.as_str()).collect());
    let mut channels = Vec::new();
    for (i, n) in raw.notify.iter().enumerate() {
        let key = format!("notify[{i}]");
        if let Some(c) = channel(n, &key, ids.as_ref(), default_lang, p) {
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
    ids: Option<&HashSet<&str>>,
    default_lang: Lang,
    p: &mut Problems,
) -> Option<Channel> {
    let c = n.common();
    let language = match c.language {
        None => Some(default_lang),
        Some(s) => p.check(&format!("{key}.language"), Lang::parse(s)),
    };
    let lines = line_list(&c, key, ids, p);
    let send = send_kinds(c.send.map(Vec::as_slice), &format!("{key}.send"), p);
    let timeout = match c.timeout {
        None => Some(DEFAULT_TIMEOUT),
        Some(s) => p.check(&format!("{key}.timeout"), timeout(s)),
    };
    let kind = match n {
        RawNotify::Telegram(t) => kinds::telegram(t, key, p),
        RawNotify::Ntfy(t) => kinds::ntfy(t, key, p),
        RawNotify::Webhook(w) => kinds::webhook(w, key, p),
    };
    Some(Channel {
        name: default_name(&c),
        kind: kind?,
        language: language?,
        lines,
        send,
        timeout: timeout?,
    })
}

/// `name`, else the type: `renewd test-notify telegram` when there is one Telegram channel.
fn default_name(c: &RawCommon<'_>) -> String {
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
    ids: Option<&HashSet<&str>>,
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
        if ids.is_some_and(|ids| !ids.contains(id.as_str())) {
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
        let name = default_name(&c);
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

/// `daemon.language`, English when absent (a bad value is a problem, English meanwhile).
pub fn daemon_language(raw: &RawConfig, p: &mut Problems) -> Lang {
    match raw.daemon.language.as_deref() {
        None => Lang::default(),
        Some(s) => p
            .check("daemon.language", Lang::parse(s))
            .unwrap_or_default(),
    }
}

/// The kinds a `send = [...]` key names (`key` is its path); all three when absent.
pub fn send_kinds(list: Option<&[String]>, key: &str, p: &mut Problems) -> Vec<MessageKind> {
    let Some(list) = list else {
        return vec![
            MessageKind::Receipt,
            MessageKind::Failure,
            MessageKind::Warning,
        ];
    };
    let kind = |k: &String| {
        MessageKind::parse(k).ok_or_else(|| {
            format!(
                "{k:?} is not a message kind; use \"receipt\", \"failure\", \"warning\" or \"digest\""
            )
        })
    };
    list.iter()
        .enumerate()
        .filter_map(|(i, k)| p.check(&format!("{key}[{i}]"), kind(k)))
        .collect()
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
