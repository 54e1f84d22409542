//! A message before it has a language: catalogue ids with their values (amounts, times,
//! data sizes as values, not text), rendered into subject, plain text and HTML per
//! language. Compose builds a `Doc` once per event; every recipient gets it in theirs.

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::config::MessageKind;
use crate::i18n::{self, Lang};
use crate::ledger::{Draft, Localized};
use crate::money::{DataSize, Money};

/// A piece of text: a catalogue message with values, or words that have no translation
/// (a provider's own error text, a line's name).
#[derive(Debug, Clone, PartialEq)]
pub enum Text {
    Msg(&'static str, Vec<(&'static str, Val)>),
    Raw(String),
    /// A value on its own, e.g. a time in a row.
    Value(Val),
}

/// A value inside a message, formatted for the language when rendered.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Str(String),
    Money(Money),
    Time(DateTime<Utc>, Tz),
    Data(DataSize),
    Span(Duration),
    /// Amounts in several currencies, joined with " + ".
    Sum(Vec<Money>),
    Text(Box<Text>),
}

impl Text {
    /// A catalogue message without values.
    pub fn id(id: &'static str) -> Text {
        Text::Msg(id, Vec::new())
    }

    pub fn raw(s: impl Into<String>) -> Text {
        Text::Raw(s.into())
    }

    pub fn render(&self, lang: Lang) -> String {
        match self {
            Text::Raw(s) => s.clone(),
            Text::Value(v) => v.render(lang),
            Text::Msg(id, args) => {
                let args: Vec<(&str, std::borrow::Cow<'_, str>)> = args
                    .iter()
                    .map(|(k, v)| (*k, v.render(lang).into()))
                    .collect();
                i18n::t(lang, id, &args)
            }
        }
    }
}

impl Val {
    pub fn render(&self, lang: Lang) -> String {
        match self {
            Val::Str(s) => s.clone(),
            Val::Money(m) => i18n::amount(lang, *m),
            Val::Time(t, tz) => i18n::date_time(lang, *t, *tz),
            Val::Data(d) => i18n::data_size(lang, *d),
            Val::Span(d) => i18n::duration(lang, *d),
            Val::Sum(list) => list
                .iter()
                .map(|m| i18n::amount(lang, *m))
                .collect::<Vec<_>>()
                .join(" + "),
            Val::Text(t) => t.render(lang),
        }
    }
}

impl From<&str> for Val {
    fn from(s: &str) -> Self {
        Val::Str(s.to_string())
    }
}

impl From<String> for Val {
    fn from(s: String) -> Self {
        Val::Str(s)
    }
}

impl From<Money> for Val {
    fn from(m: Money) -> Self {
        Val::Money(m)
    }
}

impl From<Text> for Val {
    fn from(t: Text) -> Self {
        Val::Text(Box::new(t))
    }
}

/// One message: a subject, an opening sentence, labelled rows, and a closing paragraph.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    pub subject: Text,
    pub intro: Text,
    pub rows: Vec<(Text, Text)>,
    pub outro: Option<Text>,
}

/// A rendering of a `Doc` in one language.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Doc {
    pub fn render(&self, lang: Lang) -> Rendered {
        let intro = self.intro.render(lang);
        let rows: Vec<(String, String)> = self
            .rows
            .iter()
            .map(|(k, v)| (k.render(lang), v.render(lang)))
            .collect();
        let outro = self.outro.as_ref().map(|o| o.render(lang));
        let signature = i18n::t0(lang, "signature");
        Rendered {
            subject: self.subject.render(lang),
            text: plain(&intro, &rows, outro.as_deref(), &signature),
            html: html(&intro, &rows, outro.as_deref(), &signature),
        }
    }

    /// The outbox draft: English as the base, every other language beside it.
    pub fn draft(&self, key: String, kind: MessageKind, line_id: Option<String>) -> Draft {
        let en = self.render(Lang::En);
        let translations = Lang::ALL
            .iter()
            .filter(|l| **l != Lang::En)
            .map(|&lang| {
                let r = self.render(lang);
                Localized {
                    lang,
                    subject: r.subject,
                    text: r.text,
                    html: r.html,
                }
            })
            .collect();
        Draft {
            key,
            kind,
            line_id,
            subject: en.subject,
            text: en.text,
            html: en.html,
            translations,
        }
    }
}

use crate::i18n::display_width as width;

fn plain(intro: &str, rows: &[(String, String)], outro: Option<&str>, sig: &str) -> String {
    let w = rows.iter().map(|(k, _)| width(k)).max().unwrap_or(0);
    let mut text = format!("{intro}\n\n");
    for (k, v) in rows {
        let pad = " ".repeat(w - width(k));
        text.push_str(&format!("{k}{pad}  {v}\n"));
    }
    if let Some(o) = outro.filter(|o| !o.is_empty()) {
        text.push_str(&format!("\n{o}\n"));
    }
    text.push_str(&format!("\n-- \n{sig}\n"));
    text
}

fn html(intro: &str, rows: &[(String, String)], outro: Option<&str>, sig: &str) -> String {
    let esc = super::compose::esc;
    let mut html = format!("<html><body><p>{}</p>\n<table>\n", esc(intro));
    for (k, v) in rows {
        html.push_str(&format!(
            "<tr><th align=\"left\">{}</th><td>{}</td></tr>\n",
            esc(k),
            esc(v)
        ));
    }
    html.push_str("</table>\n");
    if let Some(o) = outro.filter(|o| !o.is_empty()) {
        html.push_str(&format!("<p>{}</p>\n", esc(o)));
    }
    html.push_str(&format!(
        "<p style=\"color:#888\">{}</p></body></html>\n",
        esc(sig)
    ));
    html
}
