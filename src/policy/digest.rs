//! The monthly digest's arithmetic, pure: how much a line used, and whether another of the
//! carrier's listed packages would have cost less for that use.

use chrono::{DateTime, Utc};

use crate::model::{Listed, Observation};
use crate::money::{DataSize, Money};

/// What a line used, from its readings: every fall between two readings counts, every
/// rise (a top-up, a renewal) is skipped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Use {
    pub data: Option<DataSize>,
    pub balance: Option<Money>,
    /// The time the readings cover.
    pub days: f64,
}

impl Use {
    /// The use scaled to a 30-day month (`None` for less than a day of readings).
    pub fn per_month(&self) -> Option<Use> {
        if self.days < 1.0 {
            return None;
        }
        let scale = |v: i64| (v as f64 * 30.0 / self.days).round() as i64;
        Some(Use {
            data: self.data.map(|d| DataSize { kb: scale(d.kb) }),
            balance: self.balance.map(|b| Money::new(scale(b.minor), b.currency)),
            days: 30.0,
        })
    }
}

/// Sums the falls in data and balance over `readings` (oldest first).
pub fn usage(readings: &[Observation]) -> Option<Use> {
    let (first, last) = (readings.first()?, readings.last()?);
    let falls = |value: &dyn Fn(&Observation) -> Option<i64>| -> Option<i64> {
        let values: Vec<i64> = readings.iter().filter_map(value).collect();
        (values.len() >= 2).then(|| {
            values
                .windows(2)
                .map(|w| w[0].saturating_sub(w[1]).max(0))
                .fold(0i64, i64::saturating_add)
        })
    };
    let currency = readings.iter().find_map(|o| o.balance.map(|b| b.currency));
    let days = (last.at - first.at).num_seconds() as f64 / 86_400.0;
    Some(Use {
        data: falls(&|o| o.data.map(|d| d.kb)).map(|kb| DataSize { kb }),
        balance: currency
            .and_then(|c| falls(&|o| o.balance.map(|b| b.minor)).map(|m| Money::new(m, c))),
        days,
    })
}

/// A cheaper way to buy the same use.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    pub offer: Listed,
    /// How many of it a month would cover the use.
    pub count: u32,
    pub cost: Money,
    pub spent: Money,
}

/// The listed data package that covers `monthly` data for the least money, if it costs
/// clearly less (at least 5%) than `spent` in the same currency. A package that lasts
/// fewer than 30 days is bought at least once per period.
pub fn recommend(monthly: DataSize, spent: Money, offers: &[Listed]) -> Option<Recommendation> {
    if monthly.kb <= 0 || spent.minor <= 0 {
        return None;
    }
    let best = offers
        .iter()
        .filter(|o| o.price.currency == spent.currency && o.price.minor > 0)
        .filter_map(|o| {
            let per = o.data.filter(|d| d.kb > 0)?;
            let by_data = ceil_div(monthly.kb, per.kb)?;
            let by_days = match o.days.filter(|d| *d > 0) {
                Some(d) => ceil_div(30, i64::from(d))?,
                None => 1,
            };
            let count = u32::try_from(by_data.max(by_days)).ok()?;
            let cost = o.price.minor.checked_mul(i64::from(count))?;
            Some((o, count, cost))
        })
        .min_by_key(|(_, _, cost)| *cost)?;
    let (offer, count, cost) = best;
    (cost.saturating_mul(100) <= spent.minor.saturating_mul(95)).then(|| Recommendation {
        offer: offer.clone(),
        count,
        cost: Money::new(cost, spent.currency),
        spent,
    })
}

/// `a / b` rounded up, for positive `b`.
fn ceil_div(a: i64, b: i64) -> Option<i64> {
    a.checked_add(b.checked_sub(1)?)?.checked_div(b)
}

/// The readings of `[start, end)`.
pub fn within(
    readings: &[Observation],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<Observation> {
    readings
        .iter()
        .filter(|o| o.at >= start && o.at < end)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::new("USD").unwrap())
    }

    fn reading(day: i64, data_mb: i64, balance: i64) -> Observation {
        let at =
            "2026-11-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + chrono::Duration::days(day);
        Observation {
            data: Some(DataSize::from_mb(data_mb)),
            balance: Some(usd(balance)),
            ..Observation::empty(at)
        }
    }

    #[test]
    fn usage_counts_falls_and_skips_rises() {
        // 1000 -> 600 (400 used) -> top-up to 1600 -> 1100 (500 used): 900 MB in 10 days.
        let rs = [
            reading(0, 1000, 500),
            reading(4, 600, 400),
            reading(5, 1600, 1400),
            reading(10, 1100, 1300),
        ];
        let u = usage(&rs).unwrap();
        assert_eq!(u.data, Some(DataSize::from_mb(900)));
        assert_eq!(u.balance, Some(usd(200)));
        assert_eq!(u.per_month().unwrap().data, Some(DataSize::from_mb(2700)));
        assert!(
            usage(&rs[..1]).unwrap().per_month().is_none(),
            "less than a day says nothing"
        );
    }

    #[test]
    fn recommends_only_a_clearly_cheaper_package() {
        let pkg = |label: &str, price: i64, gb: i64, days: Option<u32>| Listed {
            label: label.into(),
            price: usd(price),
            data: Some(DataSize::from_mb(gb * 1024)),
            days,
        };
        let offers = [
            pkg("1 GB", 300, 1, Some(30)),
            pkg("3 GB", 800, 3, Some(30)),
            pkg("10 GB / 7 days", 500, 10, Some(7)),
        ];
        // (monthly use in MB, spent, expected (label, count, cost) or None)
        type Want<'a> = Option<(&'a str, u32, i64)>;
        let table: [(i64, i64, Want); 5] = [
            (2700, 900, Some(("3 GB", 1, 800))), // 3 x 1 GB bought: one 3 GB is cheaper
            (2700, 820, None),                   // within 5%: not worth a word
            (900, 300, None),                    // already the cheapest
            (9000, 2700, Some(("3 GB", 3, 2400))), // 9 x 1 GB vs 3 x 3 GB; the 7-day one needs 5 a month
            (0, 900, None),                        // no use seen
        ];
        for (mb, spent, want) in table {
            let got = recommend(DataSize::from_mb(mb), usd(spent), &offers)
                .map(|r| (r.offer.label.clone(), r.count, r.cost.minor));
            assert_eq!(
                got,
                want.map(|(l, c, m)| (l.to_string(), c, m)),
                "{mb} MB, {spent}"
            );
        }
    }
}
