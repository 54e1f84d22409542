//! `[[notify]]` sections as serde reads them: one struct per channel type, unknown keys
//! refused. Secrets have only `_file` and `_env` forms; `notify.rs` checks the values.

use serde::Deserialize;

/// One `[[notify]]` section, by its `type`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum RawNotify {
    Telegram(RawTelegram),
    Ntfy(RawNtfy),
    Webhook(RawWebhook),
}

/// A Telegram chat id: a number (`123456789`, `-1001234567890`) or `"@channelname"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawChatId {
    Number(i64),
    Text(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTelegram {
    pub name: Option<String>,
    /// Present only to be refused with a pointer to `bot_token_file` / `bot_token_env`.
    pub bot_token: Option<toml::Value>,
    pub bot_token_file: Option<String>,
    pub bot_token_env: Option<String>,
    pub chat_id: Option<RawChatId>,
    /// `"HTML"` (default) or `"plain"`.
    pub parse_mode: Option<String>,
    pub base_url: Option<String>,
    pub language: Option<String>,
    pub lines: Option<Vec<String>>,
    pub send: Option<Vec<String>>,
    pub timeout: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNtfy {
    pub name: Option<String>,
    /// The topic's URL, e.g. `https://ntfy.sh/renewd-7f3a9`.
    pub url: Option<String>,
    /// Present only to be refused with a pointer to `token_file` / `token_env`.
    pub token: Option<toml::Value>,
    pub token_file: Option<String>,
    pub token_env: Option<String>,
    pub language: Option<String>,
    pub lines: Option<Vec<String>>,
    pub send: Option<Vec<String>>,
    pub timeout: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhook {
    pub name: Option<String>,
    pub url: Option<String>,
    /// Present only to be refused with a pointer to `secret_file` / `secret_env`.
    pub secret: Option<toml::Value>,
    pub secret_file: Option<String>,
    pub secret_env: Option<String>,
    pub language: Option<String>,
    pub lines: Option<Vec<String>>,
    pub send: Option<Vec<String>>,
    pub timeout: Option<String>,
}

/// The keys every channel type has, borrowed for validation.
pub struct RawCommon<'a> {
    pub type_name: &'static str,
    pub name: Option<&'a String>,
    pub language: Option<&'a String>,
    pub lines: Option<&'a Vec<String>>,
    pub send: Option<&'a Vec<String>>,
    pub timeout: Option<&'a String>,
}

impl RawNotify {
    pub fn common(&self) -> RawCommon<'_> {
        macro_rules! common {
            ($t:literal, $c:expr) => {
                RawCommon {
                    type_name: $t,
                    name: $c.name.as_ref(),
                    language: $c.language.as_ref(),
                    lines: $c.lines.as_ref(),
                    send: $c.send.as_ref(),
                    timeout: $c.timeout.as_ref(),
                }
            };
        }
        match self {
            RawNotify::Telegram(c) => common!("telegram", c),
            RawNotify::Ntfy(c) => common!("ntfy", c),
            RawNotify::Webhook(c) => common!("webhook", c),
        }
    }
}
