//! Did a top-up happen? By the order number when the `Location` header gave one, else
//! by the orders list (a TOPUP for this ICCID after the send) and the quota snapshot.

use super::api::{OrderInfo, Quota};
use super::client::{Client, Group};
use super::errors::classify;
use crate::carriers::{CarrierError, Lookup, Order, Purchase};

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

/// `GET /v1/orders/{n}`; `None` when 1NCE has no such order.
pub async fn order(c: &Client, number: &str) -> Result<Option<Lookup>, CarrierError> {
    let url = c.url(&["v1", "orders", number]);
    let reply = c.call(Group::Orders, |h| h.get(url.clone())).await?;
    if reply.status.as_u16() == 404 {
        return Ok(None);
    }
    if !reply.status.is_success() {
        return Err(classify(&c.http, &reply));
    }
    Ok(Some(
        c.http.json::<OrderInfo>(&reply, "order reply")?.lookup(),
    ))
}

pub async fn lookup(c: &Client, iccid: &str, o: &Order) -> Result<Lookup, CarrierError> {
    if let Some(n) = &o.provider_ref
        && let Some(found) = order(c, n).await?
    {
        return Ok(found);
    }
    if let Some(found) = in_order_list(c, iccid, o).await? {
        return Ok(found.lookup());
    }
    let q = quota(c, iccid).await?;
    if q.shows_top_up(o.created_at, o.before.as_ref().and_then(|b| b.data)) {
        let detail = format!(
            "top-up seen in the SIM's data quota ({} MB left, {} MB added last)",
            q.volume,
            q.last_volume_added.unwrap_or_default()
        );
        return Ok(Lookup::Confirmed(Purchase {
            provider_ref: None,
            charged: Some(o.offer.amount),
            detail: Some(detail),
        }));
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
