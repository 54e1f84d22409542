//! Table-driven tests of amounts, data sizes and durations.
use super::*;

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::new("USD").unwrap())
}

#[test]
fn money_parses_exactly() {
    let table: &[(&str, Result<i64, &str>)] = &[
        ("25.00 USD", Ok(2500)),
        ("0.01 USD", Ok(1)),
        ("1234567.89 USD", Ok(123_456_789)),
        ("25 USD", Err("needs 2 decimals, e.g. \"25.00 USD\"")),
        ("25.0 USD", Err("needs 2 decimals")),
        ("25.000 USD", Err("needs 2 decimals")),
        ("25.00", Err("needs an amount and a currency")),
        ("25.00 usd", Err("is not a currency code")),
        ("-5.00 USD", Err("is not an amount")),
        ("5,00 USD", Err("is not an amount")),
        ("1e3.00 USD", Err("is not an amount")),
        ("99999999999999999999.00 USD", Err("too large")),
    ];
    for (input, want) in table {
        match (input.parse::<Money>(), want) {
            (Ok(m), Ok(minor)) => assert_eq!(m, usd(*minor), "{input}"),
            (Err(e), Err(frag)) => assert!(e.contains(frag), "{input}: {e}"),
            (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn zero_decimal_currency() {
    let yen: Money = "500 JPY".parse().unwrap();
    assert_eq!(yen.minor, 500);
    assert_eq!(yen.to_string(), "500 JPY");
    assert!("500.00 JPY".parse::<Money>().is_err());
}

#[test]
fn money_displays_and_compares() {
    assert_eq!(usd(2500).to_string(), "25.00 USD");
    assert_eq!(usd(5).to_string(), "0.05 USD");
    assert_eq!(usd(-150).to_string(), "-1.50 USD");
    let eur = Money::new(100, Currency::new("EUR").unwrap());
    assert_eq!(usd(100).partial_cmp(&eur), None);
    assert!(usd(100) < usd(101));
    assert_eq!(usd(100).checked_add(eur), None);
    assert_eq!(usd(100).checked_add(usd(1)), Some(usd(101)));
    assert_eq!(
        Money::from_major_f64(10.005, usd(0).currency),
        Some(usd(1001))
    );
    assert_eq!(
        Money::from_major_f64(550.75, usd(0).currency),
        Some(usd(55075))
    );
}

#[test]
fn data_sizes_parse_in_binary_units() {
    let table: &[(&str, Option<i64>)] = &[
        ("500 MB", Some(500 * 1024)),
        ("1.5 GB", Some(1536 * 1024)),
        ("1 GB", Some(1024 * 1024)),
        ("2048 KB", Some(2048)),
        ("0.5 MB", Some(512)),
        ("0.0001 MB", None),
        ("500MB", None),
        ("500 mb", None),
        ("-1 MB", None),
        ("1. GB", None),
    ];
    for (input, want) in table {
        assert_eq!(
            input.parse::<DataSize>().ok().map(|d| d.kb),
            *want,
            "{input}"
        );
    }
    assert_eq!(DataSize::from_mb(1536).to_string(), "1.5 GB");
    assert_eq!(DataSize::from_mb(312).to_string(), "312 MB");
    assert_eq!(DataSize { kb: 509_554 }.to_string(), "497.6 MB");
    assert_eq!(DataSize { kb: 512 }.to_string(), "512 KB");
    assert_eq!(DataSize::from_mb_f64(435.787951).unwrap().kb, 446_247);
}

#[test]
fn durations_parse() {
    let table: &[(&str, Option<u64>)] = &[
        ("90s", Some(90)),
        ("30m", Some(1800)),
        ("6h", Some(21_600)),
        ("3d", Some(259_200)),
        ("0s", Some(0)),
        ("6 h", None),
        ("6", None),
        ("h", None),
        ("1.5h", None),
        ("6w", None),
    ];
    for (input, want) in table {
        assert_eq!(
            parse_duration(input).ok().map(|d| d.as_secs()),
            *want,
            "{input}"
        );
    }
    assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
    assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
    assert_eq!(format_duration(Duration::from_secs(172_800)), "2d");
}

#[test]
fn durations_and_sizes_are_bounded_and_never_overflow() {
    let table: &[(&str, Result<u64, &str>)] = &[
        ("3650d", Ok(3650 * 86_400)),
        ("3651d", Err("at most 3650d")),
        ("100000000d", Err("at most 3650d")),
        ("18446744073709551615d", Err("at most 3650d")),
        (
            "99999999999999999999999999999999999999999d",
            Err("not a duration"),
        ),
    ];
    for (input, want) in table {
        match (parse_duration(input), want) {
            (Ok(d), Ok(secs)) => assert_eq!(d.as_secs(), *secs, "{input}"),
            (Err(e), Err(frag)) => assert!(e.contains(frag), "{input}: {e}"),
            (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
        }
    }
    assert!(
        "1025 TB"
            .parse::<DataSize>()
            .unwrap_err()
            .contains("at most 1024 TB")
    );
    for kb in [i64::MAX, i64::MIN, i64::MAX / 100 + 1] {
        assert!(!DataSize { kb }.to_string().is_empty());
    }
    assert_eq!(DataSize::from_mb(i64::MAX).kb, i64::MAX);
}
