//! The per-adapter outcome tables of ARCHITECTURE.md ("Per-adapter outcome tables"), one
//! case per row: what a purchase reply (HTTP status x body shape) leaves in the ledger.
//! `failed` only for answers the provider documents as "not processed"; everything else
//! after the request left is `unknown` and goes to reconciliation.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::http::{Http, Reply};
use super::{CarrierError, Submitted};

/// The ledger state a purchase answer leads to (see `check::act::submitted`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ledger {
    Confirmed,
    /// Accepted, not final: open, looked up later (as `unknown`).
    Pending,
    Failed,
    Unknown,
}

pub fn ledger(r: &Result<Submitted, CarrierError>) -> Ledger {
    match r {
        Ok(Submitted::Confirmed(_)) => Ledger::Confirmed,
        Ok(Submitted::Pending { .. }) => Ledger::Pending,
        Err(e) if e.outcome_unknown() => Ledger::Unknown,
        Err(_) => Ledger::Failed,
    }
}

pub fn reply(status: u16, body: &str) -> Reply {
    Reply {
        status: StatusCode::from_u16(status).unwrap(),
        headers: HeaderMap::new(),
        body: body.as_bytes().to_vec(),
    }
}

pub fn http() -> Http {
    Http::new("t", Duration::from_secs(1)).unwrap()
}

use Ledger::*;

#[test]
fn airalo() {
    let rows: &[(u16, &str, Ledger)] = &[
        (
            200,
            r#"{"data":{"code":"20250301-048213","price":5}}"#,
            Confirmed,
        ),
        (200, r#"{"data":{"code":""}}"#, Unknown),
        (200, r#"{"data":{}}"#, Unknown),
        (200, r#"{"data":{"code":"2025"#, Unknown),
        (200, "<html>ok</html>", Unknown),
        (
            422,
            r#"{"data":{"package_id":"invalid"},"meta":{"message":"the parameter is invalid"}}"#,
            Failed,
        ),
        (422, r#"{"code":11,"reason":"insufficient credit"}"#, Failed),
        (422, r#"{"code":13,"reason":"maintenance"}"#, Failed),
        (422, r#"{"code":33,"reason":"stock"}"#, Failed),
        (422, r#"{"code":34,"reason":"package invalid"}"#, Failed),
        (422, r#"{"code":73,"reason":"recycled"}"#, Failed),
        (403, r#"{"code":89,"reason":"IP"}"#, Failed),
        (422, r#"{"code":53,"reason":"unexpected"}"#, Unknown),
        (422, r#"{"code":999,"reason":"new"}"#, Unknown),
        (500, r#"{"code":53,"reason":"unexpected"}"#, Unknown),
        (
            500,
            r#"{"code":11,"reason":"insufficient credit"}"#,
            Unknown,
        ),
        (502, "<html>bad gateway</html>", Unknown),
        (
            401,
            r#"{"data":[],"meta":{"message":"Unauthenticated"}}"#,
            Failed,
        ),
        (404, r#"{"data":[],"meta":{"message":"not found"}}"#, Failed),
        (429, r#"{"message":"Too Many Attempts."}"#, Failed),
        (409, "", Unknown),
        (418, "{}", Unknown),
    ];
    for (status, body, want) in rows {
        let got = ledger(&super::airalo::placed(&http(), &reply(*status, body)));
        assert_eq!(got, *want, "Airalo HTTP {status} {body}");
    }
}

#[test]
fn onence() {
    let rows: &[(u16, &str, Ledger)] = &[
        (
            400,
            r#"{"message":"Payment method used is not valid."}"#,
            Failed,
        ),
        (401, "", Failed),
        (403, "", Failed),
        (404, "", Failed),
        (422, "", Failed),
        (429, "", Failed),
        (
            409,
            r#"{"error_code":1000,"error_token":"Conflict","message":"busy"}"#,
            Unknown,
        ),
        (405, "", Unknown),
        (500, "", Unknown),
        (
            503,
            r#"{"message":"Payment method used is not valid."}"#,
            Unknown,
        ),
    ];
    for (status, body, want) in rows {
        let got = ledger(&Err(super::onence::errors::classify(
            &http(),
            &reply(*status, body),
        )));
        assert_eq!(got, *want, "1NCE HTTP {status} {body}");
    }
}

#[test]
fn reloadly() {
    let code = |c: &str| format!(r#"{{"errorCode":"{c}","message":"m"}}"#);
    let rows: Vec<(u16, String, Ledger)> = vec![
        (400, code("INVALID_RECIPIENT_PHONE"), Failed),
        (400, code("INSUFFICIENT_BALANCE"), Failed),
        (400, code("INVALID_AMOUNT_FOR_OPERATOR"), Failed),
        (400, code("PHONE_RECENTLY_RECHARGED"), Failed),
        (429, code("RATE_LIMIT_REACHED"), Failed),
        (401, code("INVALID_TOKEN"), Failed),
        (401, String::new(), Failed),
        (
            400,
            code("TRANSACTION_CANNOT_BE_PROCESSED_AT_THE_MOMENT"),
            Failed,
        ),
        (400, code("SOMETHING_NEW"), Unknown),
        (400, "{}".into(), Unknown),
        (400, "<html>".into(), Unknown),
        (500, code("INSUFFICIENT_BALANCE"), Unknown),
        (503, String::new(), Unknown),
    ];
    for (status, body, want) in rows {
        let got = ledger(&Err(super::reloadly::wire::classify(
            "t",
            &reply(status, &body),
        )));
        assert_eq!(got, want, "Reloadly HTTP {status} {body}");
    }
    // 2xx from POST /topups-async: accepted with a transaction id, else unknown.
    let h = http();
    for (body, ok) in [
        (r#"{"transactionId":4602843}"#, true),
        ("{}", false),
        (r#"{"transactionId":"#, false),
    ] {
        let got = h.json::<super::reloadly::wire::AsyncReply>(&reply(200, body), "async");
        assert_eq!(got.is_ok(), ok, "{body}");
        if let Err(e) = got {
            assert!(e.outcome_unknown(), "{body}: {e}");
        }
    }
}

#[test]
fn dingconnect() {
    let rec = |state: &str, r: &str| {
        format!(
            r#"{{"TransferRecord":{{"TransferId":{{"TransferRef":"{r}","DistributorRef":"d"}},"SkuCode":"X","Price":{{"SendValue":10.0,"SendCurrencyIso":"USD","ReceiveValue":10.0,"ReceiveCurrencyIso":"USD","CustomerFee":0,"DistributorFee":0}},"ProcessingState":"{state}","AccountNumber":"1"}},"ResultCode":1,"ErrorCodes":[]}}"#
        )
    };
    let err = |rc: i64, c: &str| {
        format!(r#"{{"ResultCode":{rc},"ErrorCodes":[{{"Code":"{c}","Context":"x"}}]}}"#)
    };
    let rows: Vec<(u16, String, Ledger)> = vec![
        (200, rec("Complete", "863784492"), Confirmed),
        (200, rec("Completed", "863784492"), Confirmed),
        (200, rec("Complete", ""), Unknown),
        (200, rec("Processing", "1"), Pending),
        (200, rec("Failed", "1"), Failed),
        (200, rec("Weird", "1"), Unknown),
        (500, rec("Complete", "1"), Unknown),
        (200, r#"{"ResultCode":1,"ErrorCodes":[]}"#.into(), Unknown),
        (200, r#"{"ResultCode":1,"#.into(), Unknown),
        (200, err(3, "ProviderError"), Unknown),
        (200, err(3, "TransientProviderError"), Unknown),
        (502, err(3, "ProviderError"), Unknown),
        (500, err(5, "InsufficientBalance"), Unknown),
        (200, err(3, "ProviderTimedOut"), Failed),
        (200, err(5, "InsufficientBalance"), Failed),
        (200, err(5, "RechargeNotAllowed"), Failed),
        (400, err(4, "ParameterInvalid"), Failed),
        (400, err(4, "AccountNumberInvalid"), Failed),
        (401, err(4, "AuthenticationFailed"), Failed),
        (200, err(4, "RateLimited"), Failed),
        (200, err(5, "SomethingNew"), Unknown),
        (401, String::new(), Failed),
        (400, "<html>".into(), Unknown),
        (503, String::new(), Unknown),
    ];
    for (status, body, want) in rows {
        let got = ledger(&super::dingconnect::transfer::outcome(
            &http(),
            &reply(status, &body),
        ));
        assert_eq!(got, want, "Ding HTTP {status} {body}");
    }
}

#[test]
fn command() {
    // Exit 0 and stdout: the program is the authority (no provider behind it).
    let rows: &[(&str, Option<Ledger>)] = &[
        (r#"{"state":"confirmed","reference":"r1"}"#, Some(Confirmed)),
        (r#"{"state":"pending"}"#, Some(Pending)),
        (r#"{"state":"failed","message":"no"}"#, Some(Failed)),
        (r#"{"state":"maybe"}"#, None),
        ("not json", None),
        (r#"{"state":"confirmed","charged":"x"}"#, None),
    ];
    for (stdout, want) in rows {
        let got = super::command::reply::parse(stdout.as_bytes())
            .map_err(Err)
            .and_then(|r| r.submitted());
        let got = match got {
            Ok(Submitted::Confirmed(_)) => Some(Confirmed),
            Ok(Submitted::Pending { .. }) => Some(Pending),
            Err(Ok(_)) => Some(Failed),
            Err(Err(_)) => None, // malformed: the carrier turns it into Malformed (unknown)
        };
        assert_eq!(got, *want, "command stdout {stdout}");
    }
}
