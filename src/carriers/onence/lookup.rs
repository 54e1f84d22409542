//! Did a top-up happen? By the order number when the `Location` header gave one (the only
//! answer that confirms or fails it: 1NCE takes no client reference), else by the orders
//! list (a TOPUP for this ICCID after the send) and the quota snapshot, which carry no
//! reference of ours and so only keep the top-up open (`Pending`) for a person to settle.

use super::api::{OrderInfo, Quota};
use super::client::{Client, Group};
use super::errors::classify;
use crate::carriers::http::Purpose;
use crate::carriers::{CarrierError, Lookup, Order};

/// Clock difference tolerated between renewd and 1NCE when comparing order dates.
const SKEW: chrono::Duration = chrono::Duration::minutes(2);

/// `GET /v2/sims/{iccid}/quota/data`.
pub async fn quota(c: &Client, iccid: &str) -> Result<Quota, CarrierError> {
    let url = c.url(&["v2", "sims", iccid, "quota", "data"]);
    let reply = c.call(Group::Sims, |h| h.get(url.clone())).await?;
    if !reply.status.is_success() {
        return Err(classify(&c.http, &reply));
    }
    c.http.json(&reply, "data quota reply")
}

/// `GET /v1/orders/{n}`; `None` when 1NCE has no such order. `purpose`: `Purchase` for
/// the read right after a top-up (first in line, no long wait: the order number must reach
/// the ledger), `Read` for a lookup.
pub async fn order(
    c: &Client,
    number: &str,
    purpose: Purpose,
) -> Result<Option<Lookup>, CarrierError> {
    let url = c.url(&["v1", "orders", number]);
    let reply = c
        .send(Group::Orders, purpose, |h| h.get(url.clone()))
        .await?;
    if reply.status.as_u16() == 404 {
        return Ok(None);
    }
    if !reply.status.is_success() {
        return Err(classify(&c.http, &reply));
    }
    Ok(Some(
        c.http
            .json::<OrderInfo>(&reply, "order reply")?
            .lookup_for(number),
    ))
}

pub async fn lookup(c: &Client, iccid: &str, o: &Order) -> Result<Lookup, CarrierError> {
    if let Some(n) = &o.provider_ref
        && let Some(found) = order(c, n, Purpose::Read).await?
    {
        return Ok(found);
    }
    if in_order_list(c, iccid, o).await?.is_some() {
        return Ok(Lookup::Pending { provider_ref: None });
    }
    let q = quota(c, iccid).await?;
    if q.shows_top_up(o.created_at, o.before.as_ref().and_then(|b| b.data)) {
        return Ok(Lookup::Pending { provider_ref: None });
    }
    Ok(Lookup::NotFound)
}

/// The newest orders (10, by date, newest first): a top-up of this ICCID after the send.
async fn in_order_list(
    c: &Client,
    iccid: &str,
    o: &Order,
) -> Result<Option<OrderInfo>, CarrierError> {
    let url = c.url(&["v1", "orders"]);
    let query = [("page", "1"), ("pageSize", "10"), ("sort", "-order_date")];
    let reply = c
        .call(Group::Orders, |h| h.get(url.clone()).query(&query))
        .await?;
    if !reply.status.is_success() {
        return Err(classify(&c.http, &reply));
    }
    let list: Vec<OrderInfo> = c.http.json(&reply, "orders list")?;
    let after = |x: &OrderInfo| {
        x.order_date
            .as_deref()
            .and_then(|d| super::api::parse_time(d).ok())
            .is_some_and(|d| d >= o.created_at - SKEW)
    };
    Ok(list.into_iter().find(|x| x.tops_up(iccid) && after(x)))
}
