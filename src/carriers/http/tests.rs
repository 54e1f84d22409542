use super::*;
use reqwest::header::HeaderValue;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

fn http(timeout_ms: u64) -> Http {
    Http::new("t", Duration::from_millis(timeout_ms)).unwrap()
}

#[tokio::test]
async fn refused_connection_is_not_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let h = http(2000);
    let err = h
        .send(h.client().post(format!("http://{addr}/x")))
        .await
        .unwrap_err();
    assert!(matches!(err, CarrierError::NotSent { .. }), "{err:?}");
    assert!(!err.outcome_unknown());
}

#[tokio::test]
async fn dropped_connection_after_sending_is_no_answer() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 1024];
        let _ = sock.read(&mut buf).await;
        drop(sock); // read the request, answer nothing
    });
    let h = http(5000);
    let err = h
        .send(
            h.client()
                .post(format!("http://{addr}/orders?secret=s3cr3t")),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CarrierError::NoAnswer { .. }), "{err:?}");
    assert!(err.outcome_unknown());
    assert!(
        !err.to_string().contains("s3cr3t"),
        "no URL in errors: {err}"
    );
}

#[tokio::test]
async fn silent_server_times_out_as_no_answer() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let (_sock, _) = listener.accept().await.unwrap();
        let _ = rx.await; // hold the connection open until the test ends
    });
    let h = http(200);
    let err = h
        .send(h.client().get(format!("http://{addr}/")))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CarrierError::NoAnswer { detail, .. } if detail.contains("timed out")),
        "{err:?}"
    );
    drop(tx);
}

#[test]
fn retry_after_reads_seconds_and_dates() {
    let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let cases = [
        ("17", Some(17)),
        ("Wed, 21 Oct 2015 07:28:30 GMT", Some(30)),
        ("Wed, 21 Oct 2015 07:00:00 GMT", Some(0)),
        ("soon", None),
    ];
    for (value, want) in cases {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static(value));
        assert_eq!(
            retry_after(&h, now),
            want.map(Duration::from_secs),
            "{value}"
        );
    }
    assert_eq!(retry_after(&HeaderMap::new(), now), None);
}

#[test]
fn endpoints_encode_segments_and_keep_the_base_path() {
    let base = base_url("t", Some("http://127.0.0.1:9/v2/"), "https://x/v2").unwrap();
    assert_eq!(
        endpoint(&base, &["sims", "89/../x", "usage"]).as_str(),
        "http://127.0.0.1:9/v2/sims/89%2F..%2Fx/usage"
    );
    let base = base_url("t", None, "https://partners-api.airalo.com/v2").unwrap();
    assert_eq!(
        endpoint(&base, &["token"]).as_str(),
        "https://partners-api.airalo.com/v2/token"
    );
    let err = base_url("t", Some("partners-api.airalo.com"), "https://x/v2").unwrap_err();
    assert!(err.to_string().contains("e.g. base_url"), "{err}");
}
