//! `renewd check`'s part for messages: each `[[notify]]` channel's secret is read now (so a
//! missing token fails `check`, and `ExecStartPre=`), and who hears what is printed.

use std::path::Path;

use crate::config::{ChannelKind, Config};

/// Problems with channel secrets, as `file: key: problem` lines.
pub fn secret_problems(config: &Config, path: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for (i, c) in config.notify.channels.iter().enumerate() {
        let (key, source) = match &c.kind {
            ChannelKind::Telegram { token, .. } => ("bot_token", Some(token)),
            ChannelKind::Ntfy { token, .. } => ("token", token.as_ref()),
            ChannelKind::Webhook { secret, .. } => ("secret", secret.as_ref()),
        };
        if let Some(Err(e)) = source.map(|s| s.resolve()) {
            out.push(format!("{}: notify[{i}].{key}: {e}", path.display()));
        }
    }
    out
}

/// One line per channel, then each line's extra email recipients.
pub fn describe(config: &Config) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(e) = &config.email {
        out.push(format!("email: to {} in {}", e.to.join(", "), e.language));
    }
    for c in &config.notify.channels {
        let lines = c
            .lines
            .as_ref()
            .map_or("every line".to_string(), |l| l.join(", "));
        let kinds: Vec<&str> = c.send.iter().map(|k| k.as_str()).collect();
        let to = match &c.kind {
            ChannelKind::Telegram { chat_id, .. } => format!("chat {chat_id}"),
            ChannelKind::Ntfy { url, .. } | ChannelKind::Webhook { url, .. } => url.to_string(),
        };
        out.push(format!(
            "notify {}: {} to {to}, in {}, for {lines}, sends {}",
            c.name,
            c.kind.type_name(),
            c.language,
            kinds.join(", ")
        ));
    }
    for (line, to) in &config.notify.email_to {
        out.push(format!("line {line}: also emails {}", to.join(", ")));
    }
    out
}
