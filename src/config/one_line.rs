//! The part of a config document one line needs (`status LINE` of a TOML fleet): every
//! table except the `[[lines]]` entries that cannot be that line, cut out by headers.
//!
//! Conservative by construction: the cut keeps every table that is not a `[[lines]]`
//! entry (or one of its sub-tables), and keeps an entry whose text mentions the id at all.
//! A document whose headers it cannot read for sure (multi-line strings, quoted or
//! unusual headers) gives `None`, and the caller reads the whole file.

/// What a header line opens.
#[derive(Debug, PartialEq)]
enum Header {
    /// `[[lines]]`: a new line entry.
    LinesEntry,
    /// `[lines.policy]`, `[[lines.x]]`: part of the entry before it.
    LinesPart,
    /// Any other table.
    Other,
}

/// The document with the `[[lines]]` entries that do not mention `id` left out, or `None`
/// when the document's shape is not one this cut is sure of.
pub fn document_for(text: &str, id: &str) -> Option<String> {
    if text.contains("\"\"\"") || text.contains("'''") || id.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(4096);
    // The `[[lines]]` entry being gathered, kept at its end if it mentions `id`.
    let mut entry: Option<String> = None;
    for line in text.split_inclusive('\n') {
        let header = match line.trim_start().strip_prefix('[') {
            Some(_) => Some(header(line)?),
            None => None,
        };
        match header {
            Some(Header::LinesPart) | None => {}
            Some(Header::LinesEntry) => {
                flush(&mut out, entry.take(), id);
                entry = Some(String::new());
            }
            Some(Header::Other) => flush(&mut out, entry.take(), id),
        }
        match entry.as_mut() {
            Some(e) => e.push_str(line),
            None => out.push_str(line),
        }
    }
    flush(&mut out, entry, id);
    Some(out)
}

/// Appends a gathered `[[lines]]` entry when it mentions `id`.
fn flush(out: &mut String, entry: Option<String>, id: &str) {
    if let Some(e) = entry.filter(|e| e.contains(id)) {
        out.push_str(&e);
    }
}

/// Reads a header line (`[name]` or `[[name]]`, spaces and a comment allowed); `None` for
/// anything it cannot classify for sure.
fn header(line: &str) -> Option<Header> {
    let t = line.trim();
    let (inner, array) = if let Some(rest) = t.strip_prefix("[[") {
        (rest.split_once("]]")?, true)
    } else {
        (t.strip_prefix('[')?.split_once(']')?, false)
    };
    let (name, after) = inner;
    let after = after.trim();
    if !(after.is_empty() || after.starts_with('#')) {
        return None;
    }
    let parts: Vec<&str> = name.split('.').map(str::trim).collect();
    let bare = |p: &&str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if !parts.iter().all(bare) {
        return None;
    }
    Some(match (parts.as_slice(), array) {
        (["lines"], true) => Header::LinesEntry,
        (["lines"], false) => return None,
        (["lines", ..], _) => Header::LinesPart,
        _ => Header::Other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "[daemon]\nstate_dir = \"/x\"\n\n[carriers.air]\ntype = \"reloadly\"\n\n\
        [[lines]]\nid = \"a-1\"\n[lines.policy]\nplan_days = 30\n\n\
        [[lines]]\nid = \"b-2\"\n[lines.policy]\nplan_days = 31\n\n\
        [policies.p]\nplan_days = 7\n";

    #[test]
    fn keeps_every_other_table_and_only_the_entry_that_names_the_line() {
        let cut = document_for(DOC, "b-2").unwrap();
        assert!(cut.contains("[daemon]") && cut.contains("[carriers.air]"));
        assert!(cut.contains("[policies.p]\nplan_days = 7"));
        assert!(cut.contains("id = \"b-2\"\n[lines.policy]\nplan_days = 31"));
        assert!(!cut.contains("a-1") && !cut.contains("plan_days = 30"));
        let raw: toml::Table = toml::from_str(&cut).unwrap();
        assert_eq!(raw["lines"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn an_unknown_id_keeps_no_entry_and_the_rest_whole() {
        let cut = document_for(DOC, "zz").unwrap();
        assert!(!cut.contains("[[lines]]") && !cut.contains("[lines.policy]"));
        assert!(cut.contains("[policies.p]"));
    }

    #[test]
    fn shapes_it_cannot_be_sure_of_give_none() {
        for doc in [
            "[[lines]]\nid = \"a\"\nname = \"\"\"x\n[[lines]]\n\"\"\"\n",
            "[[\"lines\"]]\nid = \"a\"\n",
            "[lines]\nid = \"a\"\n",
            "[[lines]] x = 1\n",
            "[ \"lines\".policy ]\n",
        ] {
            assert_eq!(document_for(doc, "a"), None, "{doc}");
        }
    }

    #[test]
    fn spaced_and_commented_headers_are_read() {
        let doc = "[[ lines ]] # first\nid = \"a\"\n[ lines . policy ]\nplan_days = 3\n\
                   [ daemon ]\nstate_dir = \"/x\"\n";
        let cut = document_for(doc, "b").unwrap();
        assert_eq!(cut, "[ daemon ]\nstate_dir = \"/x\"\n");
    }

    /// Every line read alone from a file is the line the whole file gives.
    #[test]
    fn load_line_gives_the_same_line_as_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("renewd.toml");
        let doc = format!(
            "[daemon]\nstate_dir = \"{}\"\ntimezone = \"Europe/Berlin\"\n\
             [carriers.demo]\ntype = \"simulated\"\n\
             [policies.p]\nbalance_below = \"5.00 USD\"\ntopup_amount = \"10.00 USD\"\n\
             [[lines]]\nid = \"a-1\"\ncarrier = \"demo\"\npolicy = \"p\"\ncheck = \"0 6 * * *\"\n\
             [[lines]]\nid = \"a-10\"\ncarrier = \"demo\"\n\
             [lines.policy]\nbalance_below = \"3.00 USD\"\ntopup_amount = \"7.00 USD\"\n\
             [[notify]]\ntype = \"ntfy\"\nurl = \"http://127.0.0.1:9/t\"\nlines = [\"a-10\"]\n",
            dir.path().display()
        );
        std::fs::write(&path, doc).unwrap();
        let whole = super::super::load(&path).unwrap();
        for line in &whole.lines {
            let one = super::super::load_line(&path, &line.id).unwrap();
            assert_eq!(one.lines.len(), 1, "{}", line.id);
            assert_eq!(format!("{:?}", one.lines[0]), format!("{line:?}"));
            assert_eq!(format!("{:?}", one.daemon), format!("{:?}", whole.daemon));
        }
        assert!(
            super::super::load_line(&path, "zz")
                .unwrap()
                .lines
                .is_empty()
        );
    }
}
