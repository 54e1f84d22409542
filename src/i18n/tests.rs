use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use fluent_syntax::ast;

use super::*;
use crate::money::{Currency, DataSize, Money};

/// Each message id of a language with the variables its text uses.
fn vars(lang: Lang) -> BTreeMap<String, BTreeSet<String>> {
    let res = fluent_syntax::parser::parse(lang.source()).expect("catalogue parses");
    let mut out = BTreeMap::new();
    for entry in res.body {
        if let ast::Entry::Message(m) = entry {
            let mut used = BTreeSet::new();
            if let Some(p) = &m.value {
                collect(p, &mut used);
            }
            out.insert(m.id.name.to_string(), used);
        }
    }
    out
}

fn collect(p: &ast::Pattern<&str>, used: &mut BTreeSet<String>) {
    for el in &p.elements {
        if let ast::PatternElement::Placeable { expression } = el {
            expr(expression, used);
        }
    }
}

fn expr(e: &ast::Expression<&str>, used: &mut BTreeSet<String>) {
    match e {
        ast::Expression::Inline(ast::InlineExpression::VariableReference { id }) => {
            used.insert(id.name.to_string());
        }
        ast::Expression::Select { selector, variants } => {
            expr(&ast::Expression::Inline(selector.clone()), used);
            for v in variants {
                collect(&v.value, used);
            }
        }
        _ => {}
    }
}

#[test]
fn every_message_exists_in_every_language_with_the_same_variables() {
    let en = vars(Lang::En);
    assert!(en.len() > 40, "the English catalogue looks empty");
    for lang in Lang::ALL {
        let other = vars(lang);
        let missing: Vec<_> = en.keys().filter(|k| !other.contains_key(*k)).collect();
        let extra: Vec<_> = other.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        assert!(extra.is_empty(), "{lang} has ids English lacks: {extra:?}");
        for (id, v) in &en {
            assert_eq!(
                &other[id], v,
                "{lang}: {id} uses other variables than English"
            );
        }
    }
}

#[test]
fn every_message_formats_without_errors_and_without_leftover_ids() {
    for lang in Lang::ALL {
        for (id, used) in vars(lang) {
            let args: Vec<(&str, Cow<'_, str>)> = used
                .iter()
                .map(|v| (v.as_str(), Cow::Borrowed("X")))
                .collect();
            let text = t(lang, &id, &args);
            assert!(!text.is_empty(), "{lang}: {id} is empty");
            assert!(!text.contains('{'), "{lang}: {id} left a placeable: {text}");
            assert_eq!(ids(lang).iter().filter(|i| **i == id).count(), 1);
        }
    }
}

#[test]
fn chinese_is_chinese_and_variables_are_filled() {
    let args = [
        ("line", Cow::Borrowed("妈妈的线路")),
        ("price", Cow::Borrowed("25.00 美元")),
    ];
    assert_eq!(
        t(Lang::ZhCn, "receipt-subject", &args),
        "renewd：已为 妈妈的线路 充值 25.00 美元"
    );
    assert_eq!(
        t(Lang::En, "receipt-subject", &args),
        "renewd: topped up 妈妈的线路: 25.00 美元"
    );
    assert_eq!(t(Lang::En, "no-such-id", &[]), "no-such-id");
}

#[test]
fn language_codes() {
    let table = [
        ("en", Ok(Lang::En)),
        ("zh-CN", Ok(Lang::ZhCn)),
        ("zh_cn", Ok(Lang::ZhCn)),
        ("fr", Err(())),
    ];
    for (s, want) in table {
        assert_eq!(Lang::parse(s).map_err(|_| ()), want, "{s}");
    }
    assert!(Lang::parse("de").unwrap_err().contains("\"zh-CN\""));
}

#[test]
fn amounts_per_language() {
    let usd = Currency::new("USD").unwrap();
    let jpy = Currency::new("JPY").unwrap();
    let table = [
        (Lang::En, Money::new(2500, usd), "25.00 USD"),
        (Lang::En, Money::new(123_456_789, usd), "1,234,567.89 USD"),
        (Lang::En, Money::new(-100_000, usd), "-1,000.00 USD"),
        (Lang::ZhCn, Money::new(2500, usd), "25.00 美元"),
        (Lang::ZhCn, Money::new(150_000, jpy), "150,000 日元"),
        (
            Lang::ZhCn,
            Money::new(999, Currency::new("XOF").unwrap()),
            "999 XOF",
        ),
    ];
    for (lang, m, want) in table {
        assert_eq!(amount(lang, m), want);
    }
}

#[test]
fn dates_sizes_durations_per_language() {
    let t = chrono::DateTime::parse_from_rfc3339("2026-11-30T19:05:00Z")
        .unwrap()
        .to_utc();
    let ny: chrono_tz::Tz = "America/New_York".parse().unwrap();
    assert_eq!(date_time(Lang::En, t, ny), "2026-11-30 14:05 EST");
    assert_eq!(date_time(Lang::ZhCn, t, ny), "2026年11月30日 14:05 (EST)");
    assert_eq!(data_size(Lang::ZhCn, DataSize::from_mb(1536)), "1.5 GB");
    let table = [
        (Lang::En, 2 * 86_400 + 3 * 3600 + 59, "2d 3h"),
        (Lang::ZhCn, 2 * 86_400 + 3 * 3600, "2天3小时"),
        (Lang::ZhCn, 90, "1分钟30秒"),
        (Lang::En, 0, "0s"),
    ];
    for (lang, secs, want) in table {
        assert_eq!(duration(lang, Duration::from_secs(secs)), want);
    }
}

/// Every string in the code that looks like a catalogue id (`word-word`, its first word
/// one the catalogue uses) is one: a typo would otherwise show the id to a person.
#[test]
fn every_id_the_code_names_is_in_the_catalogue() {
    let known: BTreeSet<String> = ids(Lang::En).into_iter().collect();
    let prefixes: BTreeSet<&str> = known.iter().filter_map(|i| i.split('-').next()).collect();
    let mut missing = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for lit in text.split('"').skip(1).step_by(2) {
                let looks = lit.contains('-')
                    && lit
                        .split('-')
                        .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()));
                let prefix = lit.split('-').next().unwrap_or("");
                if looks && prefixes.contains(prefix) && !known.contains(lit) {
                    missing.push(format!("{}: {lit}", path.display()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "ids the catalogue lacks: {missing:#?}");
}
