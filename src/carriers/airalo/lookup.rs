//! Did a top-up whose reply was lost happen? First the orders list filtered on the
//! order's description (renewd's reference: the only answer that confirms or fails it),
//! then the eSIM's package history against the send time, which carries no reference and
//! so can only keep the top-up open (`Pending`), never confirm or clear it.
//! Never `/usage`: its 20-minute cache can hide a new package.

use chrono::Duration;

use super::api::{Envelope, HistoryEntry, OrderReply, parse_time};
use super::client::Client;
use super::errors::classify;
use crate::carriers::{CarrierError, Lookup, Order};

/// Clock difference tolerated between renewd and Airalo when comparing times.
const SKEW: Duration = Duration::minutes(2);

pub async fn lookup(
    c: &Client,
    iccid: &str,
    description: &str,
    order: &Order,
) -> Result<Lookup, CarrierError> {
    if let Some(found) = by_description(c, description).await? {
        return Ok(found);
    }
    by_history(c, iccid, order).await
}

/// `GET /orders?filter[description]=...` (a LIKE match: the description is compared exactly).
async fn by_description(c: &Client, description: &str) -> Result<Option<Lookup>, CarrierError> {
    let url = c.url(&["orders"]);
    let query = [
        ("filter[description]", description),
        ("include", "status"),
        ("limit", "50"),
    ];
    let reply = c.call(None, |h| h.get(url.clone()).query(&query)).await?;
    if !reply.status.is_success() {
        return Err(classify(&c.http, &reply));
    }
    let list: Envelope<Vec<OrderReply>> = c.http.json(&reply, "orders list")?;
    let Some(found) = list
        .data
        .into_iter()
        .find(|o| o.description.as_deref() == Some(description))
    else {
        return Ok(None);
    };
    Ok(Some(match found.failed() {
        Some(reason) => Lookup::Failed { reason },
        None => Lookup::Confirmed(found.purchase()),
    }))
}

/// `GET /sims/{iccid}/packages`: the ordered package, started after the order was committed.
async fn by_history(c: &Client, iccid: &str, order: &Order) -> Result<Lookup, CarrierError> {
    let Some(package) = order.offer.package.as_deref() else {
        return Ok(Lookup::NotFound);
    };
    let url = c.url(&["sims", iccid, "packages"]);
    let reply = c.call(Some(iccid), |h| h.get(url.clone())).await?;
    if !reply.status.is_success() {
        return Err(classify(&c.http, &reply));
    }
    let history: Envelope<Vec<HistoryEntry>> = c.http.json(&reply, "package history")?;
    let mut seen = false;
    for entry in history.data.iter().filter(|e| e.package.id == package) {
        match entry.activated_at.as_deref() {
            None => seen = true,
            Some(t) => {
                let at = parse_time(t).map_err(|e| {
                    c.http
                        .malformed(format!("package history activated_at: {e}"))
                })?;
                seen |= at >= order.created_at - SKEW;
            }
        }
    }
    // A history entry carries no reference: a package like the one ordered, started after
    // the send or not started yet, may be ours or another's. It keeps the top-up open for
    // a person to settle; it neither confirms it nor lets it be bought again.
    Ok(if seen {
        Lookup::Pending { provider_ref: None }
    } else {
        Lookup::NotFound
    })
}
