//! The one place a URL is made fit to show: its userinfo (`user:password@`) becomes `***`.
//!
//! Every error, log line, status line or hint that prints a URL passes it (or the whole
//! text around it) through `redact_urls`.

/// `text` with the userinfo of every `scheme://userinfo@host` in it replaced by `***`.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | ',')
            })
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(i) => {
                out.push_str("***");
                out.push_str(&authority[i..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact_urls;

    #[test]
    fn userinfo_is_hidden_everywhere_in_a_text() {
        let cases = [
            (
                "smtps://me:Pa55@smtp.x.com:465",
                "smtps://***@smtp.x.com:465",
            ),
            ("url \"smtp://u@h\" bad", "url \"smtp://***@h\" bad"),
            (
                "a https://k:s@x/p?q=1 b http://y/z",
                "a https://***@x/p?q=1 b http://y/z",
            ),
            ("smtp://us:p@ss@host:25", "smtp://***@host:25"),
            ("no url here", "no url here"),
            ("https://api.example.com/v1", "https://api.example.com/v1"),
            ("mailto me@example.com", "mailto me@example.com"),
        ];
        for (input, want) in cases {
            assert_eq!(redact_urls(input), want, "{input}");
        }
    }
}
