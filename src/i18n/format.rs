//! Values written for a language: amounts, times, data sizes and durations.
//!
//! English keeps the forms the config uses ("1,234.50 USD", "2026-11-30 14:05 EST",
//! "1.5 GB", "2d 3h"); Chinese writes currency names, 年月日 dates and 天/小时/分钟
//! durations ("1,234.50 美元", "2026年11月30日 14:05 (EST)", "1.5 GB", "2天3小时").
//! Data sizes keep GB/MB in both, as carriers in both languages write them.

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::Lang;
use crate::money::{DataSize, Money};

/// An amount with thousands grouped and the currency named for the language.
pub fn amount(lang: Lang, m: Money) -> String {
    let plain = m.major_string();
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain.as_str()),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let mut number = format!("{sign}{}", group(int));
    if let Some(f) = frac {
        number.push('.');
        number.push_str(f);
    }
    let code = m.currency.code();
    match lang {
        Lang::En => format!("{number} {code}"),
        Lang::ZhCn => format!("{number} {}", zh_currency(code).unwrap_or(code)),
    }
}

/// `1234567` -> `1,234,567`.
fn group(int: &str) -> String {
    let mut out = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The names Chinese readers use for the currencies prepaid lines are sold in.
fn zh_currency(code: &str) -> Option<&'static str> {
    Some(match code {
        "USD" => "美元",
        "CNY" => "元",
        "EUR" => "欧元",
        "GBP" => "英镑",
        "HKD" => "港元",
        "TWD" => "新台币",
        "JPY" => "日元",
        "CAD" => "加元",
        "AUD" => "澳元",
        "SGD" => "新加坡元",
        "MXN" => "墨西哥比索",
        _ => return None,
    })
}

/// A moment in the daemon's time zone.
pub fn date_time(lang: Lang, t: DateTime<Utc>, tz: Tz) -> String {
    let local = t.with_timezone(&tz);
    match lang {
        Lang::En => local.format("%Y-%m-%d %H:%M %Z").to_string(),
        Lang::ZhCn => local.format("%Y年%-m月%-d日 %H:%M (%Z)").to_string(),
    }
}

/// A data size; the units stay GB/MB/KB (1 GB = 1024 MB) in both languages.
pub fn data_size(_lang: Lang, d: DataSize) -> String {
    d.to_string()
}

/// A span of time, largest units first, at most two of them ("2d 3h", "2天3小时").
pub fn duration(lang: Lang, d: Duration) -> String {
    let mut secs = d.as_secs();
    let units: [(u64, &str, &str); 4] = [
        (86_400, "d", "天"),
        (3600, "h", "小时"),
        (60, "m", "分钟"),
        (1, "s", "秒"),
    ];
    let mut parts = Vec::new();
    for (size, en, zh) in units {
        if secs >= size && parts.len() < 2 {
            let n = secs / size;
            secs %= size;
            parts.push(match lang {
                Lang::En => format!("{n}{en}"),
                Lang::ZhCn => format!("{n}{zh}"),
            });
        }
    }
    if parts.is_empty() {
        return match lang {
            Lang::En => "0s".into(),
            Lang::ZhCn => "0秒".into(),
        };
    }
    parts.join(if lang == Lang::En { " " } else { "" })
}

/// Columns a terminal gives `s`: CJK and other wide characters take two.
pub fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}
