//! What goes into a request: URLs made of a base and path segments, and JSON bodies that
//! carry an amount as an exact decimal.

use reqwest::Url;

/// `base` with path segments appended, each percent-encoded (an ICCID cannot break out).
pub fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// Serialises `obj` with `key` set to the exact decimal `number` (e.g. `"10.00"` from minor
/// units), so amounts go on the wire as JSON numbers without passing through a float.
pub fn json_with_decimal(
    mut obj: serde_json::Map<String, serde_json::Value>,
    key: &str,
    number: &str,
) -> String {
    obj.remove(key);
    let rest = serde_json::Value::Object(obj).to_string();
    let sep = if rest == "{}" { "" } else { "," };
    let key = serde_json::Value::String(key.to_string());
    format!("{{{key}:{number}{sep}{}", &rest[1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_goes_out_exact() {
        let mut m = serde_json::Map::new();
        m.insert("SkuCode".into(), "X".into());
        let body = json_with_decimal(m, "SendValue", "10.10");
        assert_eq!(body, r#"{"SendValue":10.10,"SkuCode":"X"}"#);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["SkuCode"], "X");
        assert_eq!(
            json_with_decimal(serde_json::Map::new(), "a", "1.00"),
            r#"{"a":1.00}"#
        );
    }

    #[test]
    fn endpoints_have_one_slash_between_base_and_path() {
        let cases = [
            (
                "http://h/api/V1/",
                &["SendTransfer"][..],
                "http://h/api/V1/SendTransfer",
            ),
            (
                "http://h/api/V1",
                &["SendTransfer"][..],
                "http://h/api/V1/SendTransfer",
            ),
            (
                "http://h",
                &["topups", "7", "status"][..],
                "http://h/topups/7/status",
            ),
        ];
        for (base, segments, want) in cases {
            let base = Url::parse(base).unwrap();
            assert_eq!(endpoint(&base, segments).as_str(), want);
        }
    }
}
