#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Canonical signing string vectors: the spec's own examples (§3.2) and the inferred rules.

use paysign_crypto::{
    canonical_get, canonical_json, sign_body, verify_body, CanonicalError, PrivateKey,
};

#[test]
fn spec_post_example_with_sub_orders() {
    let body = r#"{"appId":"5765880207854262xxx","callbackUrl":"https://www.xxx.com/hw_notify","currency":"CNY","mercNo":"101723200xxx",
 "mercOrderNo":"2405171027547xxx","payload":"shop|h8ahnJA8xxRXVw","totalAmount":5,"tradeSummary":"test",
 "subOrders":[{"mercNo":"101723200xxx","mercOrderNo":"abcxxx1"},{"mercNo":"101723201xxx","mercOrderNo":"abcxxx2"}]}"#;
    assert_eq!(
        canonical_json(body).unwrap(),
        "appId=5765880207854262xxx&callbackUrl=https://www.xxx.com/hw_notify&currency=CNY&mercNo=101723200xxx&mercOrderNo=2405171027547xxx&payload=shop|h8ahnJA8xxRXVw&subOrders=mercNo=101723200xxx&mercOrderNo=abcxxx1,mercNo=101723201xxx&mercOrderNo=abcxxx2&totalAmount=5&tradeSummary=test"
    );
}

#[test]
fn spec_second_example_keeps_raw_utf8() {
    let body = r#"{"tradeSummary":"杂志报刊","totalAmount":2,"mercOrderNo":"xxxxxx","mercNo":"xxxxxx","currency":"CNY","callbackUrl":"https://www.xxxxxx.com/hw/pay/callback","allocationType":"DELAY_ORDER_ALLOCATION"}"#;
    assert_eq!(
        canonical_json(body).unwrap(),
        "allocationType=DELAY_ORDER_ALLOCATION&callbackUrl=https://www.xxxxxx.com/hw/pay/callback&currency=CNY&mercNo=xxxxxx&mercOrderNo=xxxxxx&totalAmount=2&tradeSummary=杂志报刊"
    );
}

#[test]
fn spec_get_example() {
    let expected = "/api/v2/aggr/transactions/merc-orders/20240507000000041809599950090xxx?mercNo=101540000089&sdkVersion=1.0.0";
    assert_eq!(canonical_get(expected), expected);
    assert_eq!(
        canonical_get("https://petalpay-developer.cloud.huawei.com.cn/api/v2/aggr/transactions/merc-orders/20240507000000041809599950090xxx?mercNo=101540000089&sdkVersion=1.0.0"),
        expected
    );
    assert_eq!(
        canonical_get("https://host.example/a/b?x=1#frag"),
        "/a/b?x=1"
    );
    assert_eq!(canonical_get("https://host.example"), "/");
    assert_eq!(canonical_get("https://host.example?x=1"), "/?x=1");
    assert_eq!(
        canonical_get("http://host.example:8080/p?q=a%20b"),
        "/p?q=a%20b"
    );
    assert_eq!(canonical_get("a/b"), "/a/b");
}

#[test]
fn sign_is_dropped_only_at_top_level() {
    assert_eq!(
        canonical_json(r#"{"b":"2","sign":"MEUC","a":"1","inner":{"sign":"kept","z":1}}"#).unwrap(),
        "a=1&b=2&inner=sign=kept&z=1"
    );
}

#[test]
fn nested_object_is_rendered_recursively_with_sorted_keys() {
    let body = r#"{"mercNo":"1","contractInfo":{"planId":"P1","mercContractCode":"C1","callbackUrl":"https://m.example/sign","extra":{"y":"2","x":"1"}}}"#;
    assert_eq!(
        canonical_json(body).unwrap(),
        "contractInfo=callbackUrl=https://m.example/sign&extra=x=1&y=2&mercContractCode=C1&planId=P1&mercNo=1"
    );
}

#[test]
fn lists_join_elements_with_commas() {
    assert_eq!(
        canonical_json(
            r#"{"tags":["a","b",3,true],"empty":[],"objs":[{"b":1,"a":2}],"holes":["x",null,"y"]}"#
        )
        .unwrap(),
        "empty=&holes=x,,y&objs=a=2&b=1&tags=a,b,3,true"
    );
}

#[test]
fn null_is_skipped_and_empty_string_is_kept() {
    assert_eq!(
        canonical_json(r#"{"a":null,"b":"","c":"x","d":{},"e":{"f":null}}"#).unwrap(),
        "b=&c=x&d=&e="
    );
}

#[test]
fn unicode_escapes_are_decoded_and_not_url_encoded() {
    assert_eq!(
        canonical_json(r#"{"s":"\u6742\u5fd7 & =?% \"q\" \\ \/","t":"😀"}"#).unwrap(),
        "s=杂志 & =?% \"q\" \\ /&t=😀"
    );
}

#[test]
fn numbers_are_kept_exactly_as_written() {
    let body = r#"{"int":5,"zero":0,"neg":-12,"big":123456789012345678901234567890,"dec":1.50,"exp":1E+3,"negzero":-0,"long":9007199254740993}"#;
    assert_eq!(
        canonical_json(body).unwrap(),
        "big=123456789012345678901234567890&dec=1.50&exp=1E+3&int=5&long=9007199254740993&neg=-12&negzero=-0&zero=0"
    );
}

#[test]
fn keys_sort_in_ascii_byte_order() {
    assert_eq!(
        canonical_json(r#"{"b":1,"a_b":2,"ab":3,"a":4,"B":5,"Z":6,"a1":7}"#).unwrap(),
        "B=5&Z=6&a=4&a1=7&a_b=2&ab=3&b=1"
    );
}

#[test]
fn whitespace_between_tokens_does_not_matter() {
    assert_eq!(
        canonical_json(" {\n \"b\" : [ 1 , 2 ] ,\t\"a\" : { \"c\" : \"d\" } }\n").unwrap(),
        canonical_json(r#"{"b":[1,2],"a":{"c":"d"}}"#).unwrap()
    );
}

#[test]
fn booleans_render_as_words() {
    assert_eq!(
        canonical_json(r#"{"t":true,"f":false}"#).unwrap(),
        "f=false&t=true"
    );
}

#[test]
fn duplicate_keys_are_rejected_at_any_level() {
    assert_eq!(
        canonical_json(r#"{"a":"1","a":"2"}"#),
        Err(CanonicalError::DuplicateKey("a".into()))
    );
    assert_eq!(
        canonical_json(r#"{"x":{"k":1,"k":1}}"#),
        Err(CanonicalError::DuplicateKey("k".into()))
    );
    // Spelled differently, decoded the same: still a duplicate.
    assert_eq!(
        canonical_json(r#"{"a":"1","\u0061":"2"}"#),
        Err(CanonicalError::DuplicateKey("a".into()))
    );
}

#[test]
fn non_objects_and_bad_json_are_typed_errors() {
    assert_eq!(
        canonical_json("[1,2]"),
        Err(CanonicalError::NotAnObject("an array"))
    );
    assert_eq!(
        canonical_json("\"x\""),
        Err(CanonicalError::NotAnObject("a string"))
    );
    assert_eq!(
        canonical_json("null"),
        Err(CanonicalError::NotAnObject("null"))
    );
    for bad in [
        "",
        "{",
        "{\"a\":}",
        "{\"a\":1,}",
        "{'a':1}",
        "{\"a\":01}",
        "{} {}",
    ] {
        assert!(
            matches!(canonical_json(bad), Err(CanonicalError::InvalidJson(_))),
            "{bad:?}"
        );
    }
    let deep = format!(
        "{}{}",
        "{\"a\":".repeat(200),
        "1".to_owned() + &"}".repeat(200)
    );
    assert_eq!(canonical_json(&deep), Err(CanonicalError::TooDeep(32)));
    let deep_list = format!("{{\"a\":{}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(canonical_json(&deep_list).is_err());
    let ok = format!(
        "{}{}",
        "{\"a\":".repeat(10),
        "1".to_owned() + &"}".repeat(10)
    );
    assert_eq!(
        canonical_json(&ok).unwrap(),
        format!("{}1", "a=".repeat(10))
    );
}

#[test]
fn sign_body_keeps_raw_members_and_replaces_sign_in_place() {
    let key = PrivateKey::generate_sm2().unwrap();
    let body = r#"{"b":1.50,"sign":"old","a":123456789012345678901234567890}"#;
    let signed = sign_body(body, &key).unwrap();
    assert!(signed.starts_with(r#"{"b":1.50,"sign":"ME"#), "{signed}");
    assert!(
        signed.ends_with(r#","a":123456789012345678901234567890}"#),
        "{signed}"
    );
    verify_body(&signed, &key.public_key()).unwrap();
    let appended = sign_body("{}", &key).unwrap();
    assert!(appended.starts_with(r#"{"sign":"ME"#), "{appended}");
    verify_body(&appended, &key.public_key()).unwrap();
}
