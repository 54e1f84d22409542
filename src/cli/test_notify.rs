//! `renewd test-notify [CHANNEL]`: a test message through one `[[notify]]` channel, or
//! through each in turn; every failure printed as a hint.

use std::path::Path;

use super::wiring::load_config;
use crate::notify::channels::test::send_test;

pub async fn test_notify(path: &Path, name: Option<&str>) -> anyhow::Result<i32> {
    let config = load_config(path)?;
    let all = &config.notify.channels;
    if all.is_empty() {
        eprintln!(
            "renewd: no [[notify]] channels in {}; add one, e.g.\n[[notify]]\ntype = \"telegram\"\nbot_token_file = \"/run/credentials/renewd.service/telegram\"\nchat_id = \"123456789\"",
            path.display()
        );
        return Ok(1);
    }
    let chosen: Vec<_> = all
        .iter()
        .filter(|c| name.is_none_or(|n| c.name == n))
        .collect();
    if chosen.is_empty() {
        let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
        eprintln!(
            "renewd: no channel named {:?}; the channels are: {}",
            name.unwrap_or_default(),
            names.join(", ")
        );
        return Ok(1);
    }
    let mut failed = 0;
    for c in chosen {
        match send_test(c, config.daemon.timezone).await {
            Ok(()) => println!(
                "{}: test message accepted ({}, {})",
                c.name,
                c.kind.type_name(),
                c.language
            ),
            Err(hint) => {
                eprintln!("renewd: test message not sent through {hint}");
                failed += 1;
            }
        }
    }
    Ok(if failed == 0 { 0 } else { 1 })
}
