//! How carrier errors are classified: retryable, outcome unknown, before the request.

use super::CarrierError;

fn all() -> Vec<CarrierError> {
    let c = || "x".to_string();
    vec![
        CarrierError::NotSent {
            carrier: c(),
            detail: c(),
        },
        CarrierError::NoAnswer {
            carrier: c(),
            detail: c(),
        },
        CarrierError::Server {
            carrier: c(),
            status: 502,
            detail: c(),
        },
        CarrierError::Malformed {
            carrier: c(),
            detail: c(),
        },
        CarrierError::Refused {
            carrier: c(),
            code: c(),
            message: c(),
            retryable: false,
        },
        CarrierError::RateLimited {
            carrier: c(),
            retry_after: None,
        },
        CarrierError::LineGone {
            carrier: c(),
            code: c(),
            message: c(),
        },
        CarrierError::Setup {
            carrier: c(),
            detail: c(),
        },
    ]
}

#[test]
fn which_errors_leave_a_purchase_unknown_and_which_a_retry_can_help() {
    // (outcome unknown, retryable) in the order of `all()`
    let want = [
        (false, true),
        (true, true),
        (true, true),
        (true, true),
        (false, false),
        (false, true),
        (false, false),
        (false, false),
    ];
    let got: Vec<_> = all()
        .iter()
        .map(|e| (e.outcome_unknown(), e.retryable()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn an_error_before_the_request_never_leaves_an_outcome_unknown() {
    for e in all() {
        let was = e.to_string();
        let after = e.before_purchase();
        assert!(!after.outcome_unknown(), "{was} -> {after}");
        if !matches!(after, CarrierError::NotSent { .. }) {
            assert_eq!(
                after.to_string(),
                was,
                "definite errors pass through unchanged"
            );
        }
    }
}
