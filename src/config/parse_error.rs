//! Turns a TOML or serde error (bad syntax, unknown key, wrong type, missing key, unknown
//! carrier type) into a `Problem` with the key path, the position and what to write instead.
//!
//! serde stops at the first such error, so there is only ever one; value errors come later
//! from `validate`, all at once.

use super::Problem;
use super::locate::{Entry, closest, entries, line_col};

/// The one problem a failed `toml::from_str` reports.
pub fn parse_problem(text: &str, e: &toml::de::Error) -> Problem {
    let msg = e.message().trim();
    let span = e.span();
    let position = span.as_ref().map(|s| line_col(text, s.start));
    let (Some(all), Some(span)) = (entries(text), span) else {
        let message = format!("not valid TOML: {msg}");
        return Problem {
            key: "(file)".into(),
            message,
            position,
        };
    };
    let target = target(&all, &span);
    let base = target.map_or("", |t| t.path.as_str());
    // Where a key path is written: its key (unknown keys) or its value (wrong values).
    let at = |path: &str, value: bool| {
        let e = all.iter().find(|e| e.path == path)?;
        if value {
            e.value.clone().or(e.key.clone())
        } else {
            e.key.clone().or(e.value.clone())
        }
    };
    let problem = |key: String, message: String, value: bool| {
        let position = at(&key, value)
            .map(|r| line_col(text, r.start))
            .or(position);
        Problem {
            key,
            message,
            position,
        }
    };
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let names = ticked(rest);
        let (field, allowed) = names.split_first().map_or(("", &[][..]), |(f, a)| (*f, a));
        let key = if base.rsplit(['.', ']']).next() == Some(field) {
            base.to_string()
        } else {
            join(base, field)
        };
        return problem(key, unknown("key", field, allowed), false);
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let names = ticked(rest);
        let (value, allowed) = names.split_first().map_or(("", &[][..]), |(f, a)| (*f, a));
        let what = if base.ends_with(".type") {
            "carrier type"
        } else {
            "value"
        };
        return problem(base.to_string(), unknown(what, value, allowed), true);
    }
    if let Some(rest) = msg.strip_prefix("missing field ") {
        let field = ticked(rest).first().copied().unwrap_or_default();
        let hint = example(field)
            .map(|ex| format!("; e.g. {ex}"))
            .unwrap_or_default();
        let key = join(base, field);
        return Problem {
            key,
            message: format!("is required{hint}"),
            position,
        };
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        let (found, expected) = rest
            .split_once(", expected ")
            .unwrap_or((rest, "another type"));
        let key = match target.and_then(|t| t.children.as_ref()) {
            Some(children) => child_with_value(text, &all, base, children, found)
                .unwrap_or_else(|| base.to_string()),
            None => base.to_string(),
        };
        let last = key.rsplit('.').next().unwrap_or_default();
        let hint = example(last)
            .map(|ex| format!("; e.g. {ex}"))
            .unwrap_or_default();
        return problem(
            key.clone(),
            format!(
                "is {} but must be {}{hint}",
                found.replace('`', ""),
                plain_type(expected)
            ),
            true,
        );
    }
    Problem {
        key: if base.is_empty() {
            "(file)".into()
        } else {
            base.to_string()
        },
        message: msg.to_string(),
        position,
    }
}

/// The deepest entry whose key or value is exactly the error's span, else the smallest one
/// that contains its start.
fn target<'a>(all: &'a [Entry], span: &std::ops::Range<usize>) -> Option<&'a Entry> {
    let exact = all
        .iter()
        .rev()
        .find(|e| e.key.as_ref() == Some(span) || e.value.as_ref() == Some(span));
    exact.or_else(|| {
        all.iter()
            .filter(|e| e.value.as_ref().is_some_and(|r| r.contains(&span.start)))
            .min_by_key(|e| e.value.as_ref().map_or(usize::MAX, |r| r.len()))
    })
}

fn join(base: &str, field: &str) -> String {
    if base.is_empty() {
        field.to_string()
    } else {
        format!("{base}.{field}")
    }
}

/// The names between backticks, in order: "`a`, expected one of `b`, `c`" -> [a, b, c].
fn ticked(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// "unknown key; did you mean X?" or the list of what is allowed.
fn unknown(what: &str, word: &str, allowed: &[&str]) -> String {
    let list = allowed.join(", ");
    match closest(word, allowed) {
        Some(near) => format!("unknown {what} {word:?}; did you mean {near}? (allowed: {list})"),
        None if allowed.is_empty() => format!("unknown {what} {word:?}; this table takes no keys"),
        None => format!("unknown {what} {word:?}; allowed here: {list}"),
    }
}

/// For a type error reported on a whole table (carrier sections): the key whose value the
/// message quotes, e.g. `integer `5`` -> the child written as `5`.
fn child_with_value(
    text: &str,
    all: &[Entry],
    base: &str,
    children: &[String],
    found: &str,
) -> Option<String> {
    let literal = found
        .split_once(' ')
        .map(|(_, l)| l.trim_matches(['`', '"']))?;
    children.iter().map(|c| join(base, c)).find(|path| {
        let value = all
            .iter()
            .find(|e| &e.path == path)
            .and_then(|e| e.value.clone());
        value
            .and_then(|r| text.get(r))
            .is_some_and(|v| v.trim().trim_matches(['"', '\'']) == literal)
    })
}

fn plain_type(expected: &str) -> &str {
    match expected {
        "i64" | "u64" | "u32" | "usize" => "a whole number",
        "f64" => "a number such as 0.1",
        "a sequence" => "a list such as [\"a\", \"b\"]",
        "a map" | "struct" => "a table",
        other => other,
    }
}

/// An example line for a key, used when it is missing or of the wrong type.
pub fn example(key: &str) -> Option<&'static str> {
    Some(match key {
        "type" => {
            "type = \"simulated\" (one of simulated, airalo, 1nce, reloadly, dingconnect, command)"
        }
        "id" => "id = \"mom-tmobile\"",
        "carrier" => "carrier = \"demo\" (the NAME of a [carriers.NAME] section)",
        "policy" => {
            "a [lines.policy] table after the line with balance_below = \"5.00 USD\" and topup_amount = \"25.00 USD\""
        }
        "client_id" => "client_id = \"your-client-id\"",
        "username" => "username = \"renewd@example.com\"",
        "smtp_url" => "smtp_url = \"smtps://smtp.example.com:465\"",
        "from" => "from = \"renewd <renewd@example.com>\"",
        "to" => "to = [\"me@example.com\"]",
        "send" => "send = [\"receipt\", \"failure\", \"warning\"]",
        "dry_run" | "sandbox" => "false or true, without quotes",
        "operator_id" => "operator_id = 1234",
        "plan_days" => "plan_days = 30",
        "max_concurrent_checks" => "max_concurrent_checks = 16",
        "failure_rate" | "lost_reply_rate" => "failure_rate = 0.1",
        "status" | "topup" | "lookup" => {
            "status = [\"/usr/local/lib/renewd/ussd-balance\", \"{number}\"]"
        }
        "env" => "env = [\"MODEM_DEVICE\"]",
        "reports" => "reports = [\"balance\", \"data\"]",
        "balance_below" | "topup_amount" | "monthly_cap" | "balance" | "balance_per_hour"
        | "package_price" => "\"5.00 USD\" (an amount with its currency, in quotes)",
        "data_below" | "min_data" | "data" | "data_per_hour" | "package_data" => {
            "\"500 MB\" (a size with its unit, in quotes)"
        }
        "expires_within" | "runs_out_within" | "jitter" | "settle" | "check_grace" | "timeout"
        | "latency" | "validity" | "expires_in" => "\"2d\" (a duration with its unit, in quotes)",
        "number" => "number = \"+15551234567\"",
        "iccid" => "iccid = \"8901260000000000001\"",
        "check" => "check = \"every 6h\"",
        "state_dir" | "timezone" | "listen" | "name" | "sku_code" | "status_from" | "renews_on"
        | "topup_package" | "base_url" | "auth_url" => "a string in quotes",
        _ => return None,
    })
}
