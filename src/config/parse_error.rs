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
    let position = e.span().map(|s| line_col(text, s.start));
    let (Some(all), Some(span)) = (entries(text), e.span()) else {
        return Problem {
            key: "(file)".into(),
            message: format!("not valid TOML: {msg}"),
            position,
            file: None,
        };
    };
    let target = target(&all, &span);
    let at = Site {
        text,
        all: &all,
        target,
        base: target.map_or("", |t| t.path.as_str()),
        position,
    };
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        return at.unknown_field(rest);
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        return at.unknown_variant(rest);
    }
    if let Some(rest) = msg.strip_prefix("missing field ") {
        return at.missing_field(rest);
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        return at.invalid_type(rest);
    }
    let key = if at.base.is_empty() {
        "(file)".into()
    } else {
        at.base.to_string()
    };
    Problem {
        key,
        message: msg.to_string(),
        position,
        file: None,
    }
}

/// Where in the file a serde error happened.
struct Site<'a> {
    text: &'a str,
    /// Every key and value of the document with its key path.
    all: &'a [Entry],
    /// The entry the error's span points at.
    target: Option<&'a Entry>,
    /// The target's key path ("" at the top level).
    base: &'a str,
    /// The error's own position, when nothing better is found.
    position: Option<(usize, usize)>,
}

impl Site<'_> {
    /// A problem at `key`, positioned at its value (`value`) or at the key itself.
    fn problem(&self, key: String, message: String, value: bool) -> Problem {
        let found = self.all.iter().find(|e| e.path == key);
        let range = found.and_then(|e| {
            if value {
                e.value.clone().or(e.key.clone())
            } else {
                e.key.clone().or(e.value.clone())
            }
        });
        let position = range
            .map(|r| line_col(self.text, r.start))
            .or(self.position);
        Problem {
            key,
            message,
            position,
            file: None,
        }
    }

    fn unknown_field(&self, rest: &str) -> Problem {
        let names = ticked(rest);
        let (field, allowed) = names.split_first().map_or(("", &[][..]), |(f, a)| (*f, a));
        let key = if self.base.rsplit(['.', ']']).next() == Some(field) {
            self.base.to_string()
        } else {
            join(self.base, field)
        };
        self.problem(key, unknown("key", field, allowed), false)
    }

    fn unknown_variant(&self, rest: &str) -> Problem {
        let names = ticked(rest);
        let (value, allowed) = names.split_first().map_or(("", &[][..]), |(f, a)| (*f, a));
        let what = if self.base.ends_with(".type") {
            "carrier type"
        } else {
            "value"
        };
        self.problem(self.base.to_string(), unknown(what, value, allowed), true)
    }

    fn missing_field(&self, rest: &str) -> Problem {
        let field = ticked(rest).first().copied().unwrap_or_default();
        let hint = example(field)
            .map(|ex| format!("; e.g. {ex}"))
            .unwrap_or_default();
        Problem {
            key: join(self.base, field),
            message: format!("is required{hint}"),
            position: self.position,
            file: None,
        }
    }

    fn invalid_type(&self, rest: &str) -> Problem {
        let (found, expected) = rest
            .split_once(", expected ")
            .unwrap_or((rest, "another type"));
        let key = match self.target.and_then(|t| t.children.as_ref()) {
            Some(children) => child_with_value(self.text, self.all, self.base, children, found)
                .unwrap_or_else(|| self.base.to_string()),
            None => self.base.to_string(),
        };
        let last = key.rsplit('.').next().unwrap_or_default();
        let hint = example(last)
            .map(|ex| format!("; e.g. {ex}"))
            .unwrap_or_default();
        let message = format!(
            "is {} but must be {}{hint}",
            found.replace('`', ""),
            plain_type(expected)
        );
        self.problem(key, message, true)
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
        "max_requests_per_second" => "max_requests_per_second = 10",
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
        | "keep_readings" | "latency" | "validity" | "expires_in" => {
            "\"2d\" (a duration with its unit, in quotes)"
        }
        "number" => "number = \"+15551234567\"",
        "iccid" => "iccid = \"8901260000000000001\"",
        "check" => "check = \"every 6h\"",
        "state_dir" | "timezone" | "listen" | "name" | "sku_code" | "status_from" | "renews_on"
        | "topup_package" | "base_url" | "auth_url" => "a string in quotes",
        _ => return None,
    })
}
