//! Every person-facing text, in each language renewd speaks: a Fluent catalogue per
//! language (`en.ftl`, `zh-CN.ftl`, compiled in), looked up by message id, with values
//! formatted for the language by `format.rs`.
//!
//! Fluent (`fluent-bundle`) holds the words; amounts, dates, data sizes and durations are
//! formatted here in Rust and passed in as strings, so the catalogue never guesses a
//! number format.

use std::borrow::Cow;
use std::fmt;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

pub mod format;

pub use format::{amount, data_size, date_time, display_width, duration};

/// A language renewd writes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    /// Simplified Chinese, as written in mainland China.
    ZhCn,
}

impl Lang {
    /// Every language, for tests and `check`.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// The config's spelling: `"en"` or `"zh-CN"`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// Reads a config value; case and `_` vs `-` do not matter (`zh_cn` is `zh-CN`).
    pub fn parse(s: &str) -> Result<Lang, String> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "en" | "en-us" | "en-gb" => Ok(Lang::En),
            "zh-cn" | "zh-hans" | "zh" => Ok(Lang::ZhCn),
            _ => Err(format!(
                "{s:?} is not a language renewd speaks; write \"en\" or \"zh-CN\""
            )),
        }
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("en.ftl"),
            Lang::ZhCn => include_str!("zh-CN.ftl"),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The compiled catalogues, built once.
static BUNDLES: LazyLock<[FluentBundle<FluentResource>; 2]> =
    LazyLock::new(|| Lang::ALL.map(bundle));

fn bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let id = lang.code().parse().expect("language codes are valid");
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks: the text goes into plain-text mail and chat messages.
    b.set_use_isolating(false);
    let res = FluentResource::try_new(lang.source().to_string())
        .unwrap_or_else(|(_, errs)| panic!("{}.ftl does not parse: {errs:?}", lang.code()));
    b.add_resource(res)
        .unwrap_or_else(|errs| panic!("{}.ftl has duplicate ids: {errs:?}", lang.code()));
    b
}

fn bundle_for(lang: Lang) -> &'static FluentBundle<FluentResource> {
    &BUNDLES[lang as usize]
}

/// Named values for a message: `("line", "Mom's T-Mobile")`.
pub type Args<'a> = [(&'a str, Cow<'a, str>)];

/// The text of message `id` in `lang`. A missing id or variable shows as the id (and is
/// caught by the catalogue tests), never as a panic at run time.
pub fn t(lang: Lang, id: &str, args: &Args<'_>) -> String {
    let bundle = bundle_for(lang);
    let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
        tracing::error!(id, lang = lang.code(), "message missing from the catalogue");
        return id.to_string();
    };
    let mut fargs = FluentArgs::new();
    for (k, v) in args {
        fargs.set(*k, FluentValue::from(v.to_string()));
    }
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(&fargs), &mut errors);
    if !errors.is_empty() {
        tracing::error!(
            id,
            lang = lang.code(),
            ?errors,
            "message could not be formatted"
        );
    }
    text.into_owned()
}

/// `t` without values.
pub fn t0(lang: Lang, id: &str) -> String {
    t(lang, id, &[])
}

/// Every message id in a language's catalogue, for the completeness test and `check`.
pub fn ids(lang: Lang) -> Vec<String> {
    let res = FluentResource::try_new(lang.source().to_string()).unwrap_or_else(|(r, _)| r);
    res.entries()
        .filter_map(|e| match e {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests;
