//! What of a provider's words may reach a log, `status` or an email: only documented error
//! fields (code, message), clipped, with anything token-like and every known secret blanked.
//!
//! Known secrets are registered when an adapter reads its credentials and when a token
//! endpoint hands one out; `clean` replaces each with `[redacted]`.

use std::sync::{Mutex, OnceLock};

/// Longest provider text kept, in characters.
pub const CLIP: usize = 200;
/// A run of token characters at least this long is taken for a token.
const TOKEN_RUN: usize = 20;
/// Shortest secret worth registering (shorter ones would blank ordinary words).
const MIN_SECRET: usize = 6;
/// Most secrets kept (tokens are refreshed; the oldest go first).
const MAX_SECRETS: usize = 256;
const REDACTED: &str = "[redacted]";

fn registry() -> &'static Mutex<Vec<String>> {
    static SECRETS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(|| Mutex::new(Vec::new()))
}

/// Remembers `secret` so that `clean` blanks it wherever a provider echoes it.
pub fn register(secret: &str) {
    let secret = secret.trim();
    if secret.chars().count() < MIN_SECRET {
        return;
    }
    let mut known = registry().lock().unwrap_or_else(|e| e.into_inner());
    if known.iter().any(|s| s == secret) {
        return;
    }
    if known.len() >= MAX_SECRETS {
        known.remove(0);
    }
    known.push(secret.to_string());
}

/// Provider text made fit for output: known secrets, `Bearer ...`, long base64/hex/JWT-like
/// runs blanked, control characters dropped, clipped to `CLIP` characters.
pub fn clean(text: &str) -> String {
    let mut s = text.to_string();
    {
        let known = registry().lock().unwrap_or_else(|e| e.into_inner());
        for secret in known.iter() {
            s = s.replace(secret.as_str(), REDACTED);
        }
    }
    let s = blank_tokens(&s);
    clip(&s)
}

/// Cuts `text` to `CLIP` characters (with "..." when cut), control characters as spaces.
fn clip(text: &str) -> String {
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = text.trim();
    match text.char_indices().nth(CLIP) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// Characters a token, key or JWT is written with.
fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+/=_-.~".contains(c)
}

/// A token mixes letters with digits, or lower with upper case; a constant such as
/// `PHONE_RECENTLY_RECHARGED` or a long plain word does neither.
fn looks_random(run: &str) -> bool {
    let has = |f: fn(&char) -> bool| run.chars().any(|c| f(&c));
    let letters = has(char::is_ascii_alphabetic);
    (letters && has(char::is_ascii_digit))
        || (has(char::is_ascii_lowercase) && has(char::is_ascii_uppercase))
}

/// Blanks runs of token characters of `TOKEN_RUN` or more, and the word after "Bearer".
fn blank_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let mut after_bearer = false;
    let flush = |run: &mut String, out: &mut String, after_bearer: &mut bool| {
        if run.is_empty() {
            return;
        }
        let long = run.chars().count() >= TOKEN_RUN && looks_random(run);
        if long || *after_bearer {
            out.push_str(REDACTED);
            *after_bearer = false;
        } else {
            *after_bearer = run.eq_ignore_ascii_case("bearer") || run.eq_ignore_ascii_case("basic");
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if token_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out, &mut after_bearer);
            if !c.is_whitespace() && c != ':' {
                after_bearer = false;
            }
            out.push(c);
        }
    }
    flush(&mut run, &mut out, &mut after_bearer);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_secrets_are_blanked_and_text_clipped() {
        register("hunter2-pass");
        let cases = [
            (
                "bad password hunter2-pass given",
                "bad password [redacted] given",
            ),
            (
                "Authorization: Bearer abc.def",
                "Authorization: Bearer [redacted]",
            ),
            ("Basic dXNlcjpw", "Basic [redacted]"),
            (
                "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln expired",
                "token [redacted] expired",
            ),
            ("key 0123456789abcdef0123456789abcdef", "key [redacted]"),
            ("Invalid recipient phone", "Invalid recipient phone"),
            ("PHONE_RECENTLY_RECHARGED", "PHONE_RECENTLY_RECHARGED"),
            ("line\nbreak", "line break"),
        ];
        for (input, want) in cases {
            assert_eq!(clean(input), want, "{input}");
        }
        let long = "word ".repeat(100);
        let cut = clean(&long);
        assert!(
            cut.chars().count() <= CLIP + 3 && cut.ends_with("..."),
            "{cut}"
        );
    }
}
