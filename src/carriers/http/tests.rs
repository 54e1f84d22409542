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

/// A server answering every connection with `head` and `body_len` bytes of body; counts
/// the requests it saw.
async fn canned(
    head: &'static str,
    body_len: usize,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::AsyncWriteExt;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            let reply =
                format!("{head}\r\ncontent-length: {body_len}\r\nconnection: close\r\n\r\n");
            let _ = sock.write_all(reply.as_bytes()).await;
            let _ = sock.write_all(&vec![b'a'; body_len]).await;
        }
    });
    (url, seen)
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_leaves_the_outcome_unknown() {
    let (target, hits) = canned("HTTP/1.1 200 OK", 2).await;
    let head: &'static str = Box::leak(
        format!("HTTP/1.1 307 Temporary Redirect\r\nlocation: {target}/steal").into_boxed_str(),
    );
    let (url, _) = canned(head, 0).await;
    let h = http(2000);
    let err = h
        .send(h.client().post(format!("{url}/orders")).bearer_auth("k"))
        .await
        .unwrap_err();
    assert!(
        err.outcome_unknown(),
        "a redirected purchase may have been taken: {err:?}"
    );
    assert!(err.to_string().contains("307"), "{err}");
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the credentials never went to the redirect target"
    );
    assert!(matches!(
        err.before_purchase(),
        CarrierError::NotSent { .. }
    ));
}

#[tokio::test]
async fn a_body_over_the_bound_is_an_error_and_unknown() {
    let (url, _) = canned("HTTP/1.1 200 OK", MAX_BODY + 1).await;
    let h = http(5000);
    let err = h.send(h.client().get(&url)).await.unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    let (url, _) = canned("HTTP/1.1 200 OK", MAX_BODY).await;
    let reply = h.send(h.client().get(&url)).await.unwrap();
    assert_eq!(reply.body.len(), MAX_BODY);
}

#[test]
fn base_url_must_be_https_except_loopback() {
    let ok = [
        "https://partners-api.airalo.com/v2",
        "http://127.0.0.1:8080/v2",
        "http://127.9.9.9/",
        "http://[::1]:99/",
        "http://localhost:1/",
        "http://LOCALHOST/",
    ];
    for u in ok {
        assert!(base_url("c", Some(u), "https://x/").is_ok(), "{u}");
    }
    for u in [
        "http://partners-api.airalo.com/v2",
        "http://10.0.0.1/",
        "http://localhost.evil.com/",
        "http://127.0.0.1.nip.io/",
    ] {
        let err = base_url("c", Some(u), "https://x/")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("base_url") && err.contains("https://"),
            "{u}: {err}"
        );
    }
}
