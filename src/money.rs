//! Exact quantities: money in integer minor units with a currency, data sizes, durations.
//!
//! Everything a user writes in the config (`"5.00 USD"`, `"1.5 GB"`, `"6h"`) is parsed
//! here, exactly, with an error that says what to write instead. No floats hold money.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// An ISO 4217 currency code, three upper-case ASCII letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

/// Currencies whose minor unit is the unit itself (no decimals).
const ZERO_DECIMAL: &[&str] = &[
    "JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG",
];

impl Currency {
    /// Parses a code such as `USD`; `None` unless it is three ASCII capitals.
    pub fn new(code: &str) -> Option<Self> {
        let b = code.as_bytes();
        (b.len() == 3 && b.iter().all(u8::is_ascii_uppercase)).then(|| Self([b[0], b[1], b[2]]))
    }

    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).expect("currency codes are ASCII")
    }

    /// Number of decimal places of the minor unit (2 for USD, 0 for JPY).
    pub fn exponent(&self) -> u32 {
        if ZERO_DECIMAL.contains(&self.code()) {
            0
        } else {
            2
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Currency::new(&s).ok_or_else(|| format!("{s:?} is not a currency code such as \"USD\""))
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_string()
    }
}

/// An amount of money: integer minor units (cents) of one currency.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// Converts a provider's JSON number (e.g. `10.5`) to minor units, rounding to the
    /// nearest minor unit. Only for values read off a carrier's reply, never for config.
    pub fn from_major_f64(value: f64, currency: Currency) -> Option<Self> {
        let scaled = (value * 10f64.powi(currency.exponent() as i32)).round();
        (scaled.is_finite() && scaled.abs() < 9.0e15).then(|| Self::new(scaled as i64, currency))
    }

    /// The amount as a decimal string without the currency, e.g. `"25.00"`.
    pub fn major_string(&self) -> String {
        let exp = self.currency.exponent();
        if exp == 0 {
            return self.minor.to_string();
        }
        let unit = 10i64.pow(exp);
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / unit as u64,
            abs % unit as u64,
            width = exp as usize
        )
    }

    /// Adds two amounts of the same currency; `None` on a currency mismatch or overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        (self.currency == other.currency)
            .then(|| self.minor.checked_add(other.minor))
            .flatten()
            .map(|minor| Money::new(minor, self.currency))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.major_string(), self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl PartialOrd for Money {
    /// Amounts compare only within one currency.
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        (self.currency == other.currency).then(|| self.minor.cmp(&other.minor))
    }
}

impl FromStr for Money {
    type Err = String;

    /// Parses `"25.00 USD"`: digits, exactly the currency's decimals, a space, the code.
    fn from_str(s: &str) -> Result<Self, String> {
        let example = "e.g. \"25.00 USD\"";
        let (num, code) = s
            .trim()
            .split_once(' ')
            .ok_or_else(|| format!("{s:?} needs an amount and a currency, {example}"))?;
        let currency = Currency::new(code.trim())
            .ok_or_else(|| format!("{code:?} in {s:?} is not a currency code, {example}"))?;
        let exp = currency.exponent() as usize;
        let (whole, frac) = num.split_once('.').unwrap_or((num, ""));
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        let bad_frac = num.contains('.') && (exp == 0 || !digits(frac));
        if !digits(whole) || bad_frac {
            return Err(format!("{s:?} is not an amount, {example}"));
        }
        if frac.len() != exp {
            let sample = if exp == 0 {
                "500 JPY".to_string()
            } else {
                format!("{whole}.{:0<exp$} {code}", "")
            };
            return Err(format!("{s:?} needs {exp} decimals, e.g. \"{sample}\""));
        }
        let minor = format!("{whole}{frac}")
            .parse::<i64>()
            .map_err(|_| format!("{s:?} is too large"))?;
        Ok(Money::new(minor, currency))
    }
}

/// An amount of mobile data in kibibytes (1 GB = 1024 MB = 1024 * 1024 KB, as carriers
/// report). Signed: some carriers report an overdrawn (negative) quota.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DataSize {
    pub kb: i64,
}

impl DataSize {
    /// The largest size renewd reads from text (1024 TB).
    pub const MAX: DataSize = DataSize { kb: 1 << 40 };

    /// `mb` megabytes; saturates instead of overflowing.
    pub fn from_mb(mb: i64) -> Self {
        Self {
            kb: mb.saturating_mul(1024),
        }
    }

    /// Converts a provider's MB figure (possibly fractional) to whole KB.
    pub fn from_mb_f64(mb: f64) -> Option<Self> {
        let kb = (mb * 1024.0).round();
        (kb.is_finite() && kb.abs() < 9.0e15).then_some(Self { kb: kb as i64 })
    }

    pub fn mb(&self) -> i64 {
        self.kb / 1024
    }
}

impl fmt::Display for DataSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // i128: a carrier may report any i64, and `kb * 100` must not overflow.
        const GB: i128 = 1024 * 1024;
        let kb = i128::from(self.kb);
        if kb.abs() >= GB && (kb * 100) % GB == 0 {
            let hundredths = kb * 100 / GB;
            let text = format!("{}.{:02}", hundredths / 100, (hundredths % 100).abs());
            write!(f, "{} GB", text.trim_end_matches('0').trim_end_matches('.'))
        } else if self.kb % 1024 == 0 {
            write!(f, "{} MB", self.kb / 1024)
        } else if self.kb.unsigned_abs() >= 1024 {
            write!(f, "{:.1} MB", self.kb as f64 / 1024.0)
        } else {
            write!(f, "{} KB", self.kb)
        }
    }
}

impl fmt::Debug for DataSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for DataSize {
    type Err = String;

    /// Parses `"500 MB"`, `"1.5 GB"`, `"2048 KB"`; a fraction must come out in whole KB.
    fn from_str(s: &str) -> Result<Self, String> {
        let example = "e.g. \"500 MB\" or \"1.5 GB\"";
        let (num, unit) = s
            .trim()
            .split_once(' ')
            .ok_or_else(|| format!("{s:?} needs a number and a unit (KB, MB, GB), {example}"))?;
        let kb_per_unit: i64 = match unit.trim() {
            "KB" => 1,
            "MB" => 1024,
            "GB" => 1024 * 1024,
            "TB" => 1024 * 1024 * 1024,
            other => {
                return Err(format!(
                    "{other:?} in {s:?} is not a unit; use KB, MB or GB, {example}"
                ));
            }
        };
        let kb = parse_decimal_scaled(num, kb_per_unit)
            .ok_or_else(|| format!("{s:?} is not a data size, {example}"))?;
        if kb > DataSize::MAX.kb {
            return Err(format!("{s:?} is too large; at most 1024 TB"));
        }
        Ok(DataSize { kb })
    }
}

/// `"1.5"` scaled by `factor`, exactly; `None` unless the result is a whole number.
fn parse_decimal_scaled(num: &str, factor: i64) -> Option<i64> {
    let (whole, frac) = num.split_once('.').unwrap_or((num, ""));
    let ok = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !ok(whole)
        || !ok(frac)
        || (num.contains('.') && frac.is_empty())
        || frac.len() > 9
    {
        return None;
    }
    let denom = 10i64.pow(frac.len() as u32);
    let joined: i64 = format!("{whole}{frac}").parse().ok()?;
    let scaled = joined.checked_mul(factor)?;
    (scaled % denom == 0).then_some(scaled / denom)
}

/// The longest duration renewd reads anywhere (ten years): every value a person or a
/// carrier writes fits in calendar arithmetic with room to spare.
pub const MAX_DURATION: Duration = Duration::from_secs(3650 * 86_400);

/// Parses `"90s"`, `"30m"`, `"6h"`, `"3d"` (and `"250ms"`, for latencies in tests), at
/// most `MAX_DURATION`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    parse_duration_within(s, MAX_DURATION)
}

/// Parses a duration like `parse_duration`, refusing one longer than `max` with the range
/// in the message (`"400d" is too long; at most 365d`).
pub fn parse_duration_within(s: &str, max: Duration) -> Result<Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u128 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration; write a whole number and a unit, e.g. \"90s\", \"30m\", \"6h\", \"3d\""))?;
    let millis_per_unit: u128 = match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => {
            return Err(format!(
                "{s:?} has no known unit; use s, m, h or d, e.g. \"30m\""
            ));
        }
    };
    match n.checked_mul(millis_per_unit) {
        Some(ms) if ms <= max.as_millis() => Ok(Duration::from_millis(ms as u64)),
        _ => Err(format!(
            "{s:?} is too long; at most {}",
            format_duration(max)
        )),
    }
}

/// Formats a duration the way the config writes it (`"1h30m"` style, largest units first).
pub fn format_duration(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return format!("{}ms", d.as_millis());
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

#[cfg(test)]
#[path = "money_tests.rs"]
mod tests;
