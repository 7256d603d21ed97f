//! The orderStr: the signed JSON string the merchant server builds and the Payment Kit cashier
//! takes (spec §2). Parsing checks everything the client can check before opening the cashier, so a
//! bad ticket ends with a clear error instead of a Payment Kit 1001930001.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::error::PaysignError;
use paysign_contract::json::{self, raw_str, raw_type_name, FieldProblem};

/// A prepay_id is valid for 10 minutes after the pre-order (spec §2, §6).
pub const PREPAY_VALIDITY_MS: u64 = 10 * 60 * 1000;
/// How far the orderStr timestamp may be ahead of the phone's clock (clock skew between the
/// merchant server and the phone) before the orderStr is refused.
pub const MAX_FUTURE_SKEW_MS: u64 = 5 * 60 * 1000;
/// noncestr is 1 to 32 characters (spec §2).
pub const NONCESTR_MAX_CHARS: usize = 32;
/// The orderStr timestamp is milliseconds since the epoch, exactly 13 digits.
pub const TIMESTAMP_DIGITS: usize = 13;

/// The required fields, in the order they are checked.
pub const REQUIRED_FIELDS: [&str; 6] = [
    "merc_no",
    "prepay_id",
    "timestamp",
    "noncestr",
    "sign",
    "auth_id",
];

/// Every field this version reads; the others are kept in [`OrderStr::extra`].
const KNOWN_FIELDS: [&str; 8] = [
    "merc_no",
    "prepay_id",
    "timestamp",
    "noncestr",
    "sign",
    "auth_id",
    "app_id",
    "reserved",
];

/// The index of `key` in [`KNOWN_FIELDS`] (a `match` compiles to a length switch, cheaper than
/// comparing with each).
fn known_field_slot(key: &str) -> Option<usize> {
    let slot = match key {
        "merc_no" => 0,
        "prepay_id" => 1,
        "timestamp" => 2,
        "noncestr" => 3,
        "sign" => 4,
        "auth_id" => 5,
        "app_id" => 6,
        "reserved" => 7,
        _ => return None,
    };
    debug_assert_eq!(KNOWN_FIELDS.get(slot), Some(&key));
    Some(slot)
}

/// An orderStr as Payment Kit defines it: a flat JSON object whose values are strings, with
/// snake_case keys. `paysign-pas` builds one, this crate parses one; [`OrderStr::to_json`] and
/// [`OrderStr::from_json`] are inverse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderStr {
    /// The app id that launches the cashier (optional; service providers set the sub-merchant's app).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The merchant number that obtained the prepay_id.
    pub merc_no: String,
    /// From the pay-and-sign pre-order; valid for 10 minutes.
    pub prepay_id: String,
    /// Milliseconds since the epoch, 13 digits, when the orderStr was built.
    pub timestamp: String,
    /// A random string of 1 to 32 characters, new for every order.
    pub noncestr: String,
    /// The merchant's signature over every other field, sorted and joined (spec §3).
    pub sign: String,
    /// The merchant certificate id (PayMercAuth.authId).
    pub auth_id: String,
    /// Extension field, itself a JSON object string; `sandbox_flag` (boolean) is the one key
    /// defined today.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserved: Option<String>,
    /// Fields this version does not know, each as its original JSON text, so nothing the merchant
    /// signed is lost or rewritten (a number keeps its digits).
    #[serde(flatten)]
    pub extra: BTreeMap<String, RawJson>,
}

/// One JSON value kept as the exact text it was read from, written back unchanged. Two are equal
/// when their texts are: what a signature covers is the text, not a reading of it.
#[derive(Debug, Clone)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// Checks that `text` is one JSON value and keeps it as it is.
    pub fn from_text(text: &str) -> Result<RawJson, PaysignError> {
        RawValue::from_string(text.to_string())
            .map(RawJson)
            .map_err(|e| PaysignError::OrderStrNotJson {
                reason: e.to_string(),
            })
    }

    /// The value's JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The value read as a `serde_json::Value` (numbers as serde_json reads them).
    pub fn to_value(&self) -> Result<Value, PaysignError> {
        serde_json::from_str(self.get()).map_err(|e| PaysignError::OrderStrNotJson {
            reason: e.to_string(),
        })
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &RawJson) -> bool {
        self.get() == other.get()
    }
}

impl Eq for RawJson {}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// What the client learns from a valid orderStr at a given time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedOrderStr {
    pub order: OrderStr,
    /// `reserved.sandbox_flag`, false when absent.
    pub sandbox: bool,
    /// How old the orderStr is at `now_ms` (negative when its timestamp is slightly ahead).
    pub age_ms: i64,
}

impl OrderStr {
    /// Parses and checks the structure of an orderStr: JSON, an object, each field's type and
    /// presence, the formats of timestamp, noncestr and reserved. Time and app id are checked by
    /// [`OrderStr::check_freshness`] and [`OrderStr::check_app_id`]; [`validate`] does all three.
    pub fn from_json(text: &str) -> Result<OrderStr, PaysignError> {
        Fields::read(text).map(Fields::into_order)
    }

    /// The timestamp as milliseconds since the epoch.
    pub fn timestamp_ms(&self) -> Result<u64, PaysignError> {
        timestamp_ms_of(&self.timestamp)
    }

    /// `reserved.sandbox_flag`: false when there is no reserved field or no flag in it.
    pub fn sandbox_flag(&self) -> Result<bool, PaysignError> {
        sandbox_flag_of(self.reserved.as_deref())
    }

    /// Checks the prepay validity at `now_ms` and returns the orderStr's age (negative when its
    /// timestamp is ahead of `now_ms`, within the allowed skew).
    pub fn check_freshness(&self, now_ms: u64) -> Result<i64, PaysignError> {
        age_at(self.timestamp_ms()?, now_ms)
    }

    /// When the app names its own app id, the orderStr's app_id (if any) must be that one.
    pub fn check_app_id(&self, expected: Option<&str>) -> Result<(), PaysignError> {
        check_app_id(expected, self.app_id.as_deref())
    }

    /// The orderStr as the JSON string the cashier takes.
    pub fn to_json(&self) -> Result<String, PaysignError> {
        serde_json::to_string(self).map_err(|e| PaysignError::Internal {
            reason: format!("orderStr serialization: {e}"),
        })
    }
}

/// An orderStr's fields as read from its text, borrowed where they hold no escapes, with the
/// structure and formats checked ([`OrderStr::from_json`]'s checks).
struct Fields<'a> {
    app_id: Option<Cow<'a, str>>,
    merc_no: Cow<'a, str>,
    prepay_id: Cow<'a, str>,
    timestamp: Cow<'a, str>,
    noncestr: Cow<'a, str>,
    sign: Cow<'a, str>,
    auth_id: Cow<'a, str>,
    reserved: Option<Cow<'a, str>>,
    extra: BTreeMap<String, RawJson>,
    timestamp_ms: u64,
    sandbox: bool,
}

impl<'a> Fields<'a> {
    fn read(text: &'a str) -> Result<Fields<'a>, PaysignError> {
        let not_json = |e: serde_json::Error| PaysignError::OrderStrNotJson {
            reason: e.to_string(),
        };
        // One pass over the members, nothing kept but the value of each known field and the
        // unknown ones: the first key seen twice is remembered and refused once the whole text is
        // known to be JSON (a syntax error anywhere is 2002 first, as it always was).
        let mut known: [Option<&RawValue>; KNOWN_FIELDS.len()] = [None; KNOWN_FIELDS.len()];
        let mut extra = BTreeMap::new();
        let mut repeated: Option<String> = None;
        let top = json::read_each(text, |key, value| {
            let again = match known_field_slot(key.as_ref()).and_then(|i| known.get_mut(i)) {
                Some(slot) => slot.replace(value).is_some(),
                None => extra
                    .insert(key.to_string(), RawJson(value.to_owned()))
                    .is_some(),
            };
            if again && repeated.is_none() {
                repeated = Some(key.to_string());
            }
        })
        .map_err(not_json)?;
        match top {
            None => {}
            Some(Value::String(inner)) => {
                let twice = serde_json::from_str::<Value>(&inner).is_ok_and(|v| v.is_object());
                return Err(PaysignError::OrderStrNotObject {
                    found: if twice {
                        "a string holding a JSON object (serialized twice)".to_string()
                    } else {
                        "string".to_string()
                    },
                });
            }
            Some(other) => {
                return Err(PaysignError::OrderStrNotObject {
                    found: json::type_name(&other).to_string(),
                })
            }
        }
        if let Some(field) = repeated {
            return Err(PaysignError::BadValue {
                field,
                reason: "appears more than once".to_string(),
            });
        }

        let field = |name: &str| {
            known_field_slot(name)
                .and_then(|i| known.get(i).copied().flatten())
                .map(raw_str)
                .transpose()
                .map_err(|problem| order_field_error(name, problem))
        };
        let required = |name: &str| match field(name)? {
            None => Err(order_field_error(name, FieldProblem::Missing)),
            Some(s) if s.is_empty() => Err(order_field_error(name, FieldProblem::Empty)),
            Some(s) => Ok(s),
        };
        let optional_non_empty = |name: &str| match field(name)? {
            Some(s) if s.is_empty() => Err(PaysignError::BadValue {
                field: name.to_string(),
                reason: "empty; leave the field out instead".to_string(),
            }),
            other => Ok(other),
        };
        // Checked in the order of REQUIRED_FIELDS, so the first problem reported is stable.
        let merc_no = required("merc_no")?;
        let prepay_id = required("prepay_id")?;
        let timestamp = required("timestamp")?;
        let noncestr = required("noncestr")?;
        let sign = required("sign")?;
        let auth_id = required("auth_id")?;
        let app_id = optional_non_empty("app_id")?;
        let reserved = optional_non_empty("reserved")?;

        let timestamp_ms = timestamp_ms_of(&timestamp)?;
        let nonce_chars = noncestr.chars().count();
        if nonce_chars > NONCESTR_MAX_CHARS {
            return Err(PaysignError::BadValue {
                field: "noncestr".to_string(),
                reason: format!("{nonce_chars} characters, at most {NONCESTR_MAX_CHARS} allowed"),
            });
        }
        let sandbox = sandbox_flag_of(reserved.as_deref())?;
        Ok(Fields {
            app_id,
            merc_no,
            prepay_id,
            timestamp,
            noncestr,
            sign,
            auth_id,
            reserved,
            extra,
            timestamp_ms,
            sandbox,
        })
    }

    /// The owned orderStr, unknown fields kept.
    fn into_order(self) -> OrderStr {
        OrderStr {
            app_id: self.app_id.map(Cow::into_owned),
            merc_no: self.merc_no.into_owned(),
            prepay_id: self.prepay_id.into_owned(),
            timestamp: self.timestamp.into_owned(),
            noncestr: self.noncestr.into_owned(),
            sign: self.sign.into_owned(),
            auth_id: self.auth_id.into_owned(),
            reserved: self.reserved.map(Cow::into_owned),
            extra: self.extra,
        }
    }
}

/// An orderStr timestamp as milliseconds since the epoch: exactly 13 ASCII digits.
fn timestamp_ms_of(t: &str) -> Result<u64, PaysignError> {
    if t.len() != TIMESTAMP_DIGITS || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PaysignError::BadValue {
            field: "timestamp".to_string(),
            reason: format!(
                "must be {TIMESTAMP_DIGITS} digits of milliseconds, found {} characters",
                t.chars().count()
            ),
        });
    }
    t.parse::<u64>().map_err(|e| PaysignError::BadValue {
        field: "timestamp".to_string(),
        reason: e.to_string(),
    })
}

/// `sandbox_flag` of a reserved field: false when there is none or no flag in it.
fn sandbox_flag_of(reserved: Option<&str>) -> Result<bool, PaysignError> {
    let Some(reserved) = reserved else {
        return Ok(false);
    };
    let bad = |reason: String| PaysignError::BadValue {
        field: "reserved".to_string(),
        reason,
    };
    // The last of repeated keys counts, as JSON.parse has it; no member list is kept.
    let mut flag = None;
    let top = json::read_each(reserved, |key, value| {
        if key.as_ref() == "sandbox_flag" {
            flag = Some(value);
        }
    })
    .map_err(|e| bad(format!("must be a JSON object string: {e}")))?;
    if let Some(other) = top {
        return Err(bad(format!(
            "must be a JSON object string, found {}",
            json::type_name(&other)
        )));
    }
    match flag.map(RawValue::get) {
        None => Ok(false),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(bad(format!(
            "sandbox_flag must be a boolean, found {}",
            raw_type_name(other)
        ))),
    }
}

/// The prepay validity at `now_ms`: the age (negative when the timestamp is ahead, within the
/// allowed skew).
fn age_at(timestamp: u64, now_ms: u64) -> Result<i64, PaysignError> {
    if now_ms >= timestamp {
        let age = now_ms - timestamp;
        if age > PREPAY_VALIDITY_MS {
            return Err(PaysignError::PrepayExpired {
                age_ms: age,
                limit_ms: PREPAY_VALIDITY_MS,
            });
        }
        Ok(i64::try_from(age).unwrap_or(i64::MAX))
    } else {
        let ahead = timestamp - now_ms;
        if ahead > MAX_FUTURE_SKEW_MS {
            return Err(PaysignError::TimestampInFuture {
                ahead_ms: ahead,
                limit_ms: MAX_FUTURE_SKEW_MS,
            });
        }
        Ok(-i64::try_from(ahead).unwrap_or(i64::MAX))
    }
}

/// When the app names its own app id, the orderStr's app_id (if any) must be that one.
fn check_app_id(expected: Option<&str>, actual: Option<&str>) -> Result<(), PaysignError> {
    match (expected, actual) {
        (Some(expected), Some(actual)) if expected != actual => Err(PaysignError::AppIdMismatch {
            expected: expected.to_string(),
            actual: actual.to_string(),
        }),
        _ => Ok(()),
    }
}

/// What a valid orderStr says, borrowed from its text where the values hold no escapes: what
/// [`validate`] checks and returns, without copying the fields (the N-API library's parseOrderStr,
/// which hands the values straight to JS). The sign is checked, not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderStrView<'a> {
    pub app_id: Option<Cow<'a, str>>,
    pub merc_no: Cow<'a, str>,
    pub prepay_id: Cow<'a, str>,
    pub timestamp: Cow<'a, str>,
    pub noncestr: Cow<'a, str>,
    pub auth_id: Cow<'a, str>,
    /// `reserved.sandbox_flag`, false when absent.
    pub sandbox: bool,
    /// How old the orderStr is at `now_ms` (negative when its timestamp is slightly ahead).
    pub age_ms: i64,
}

/// [`validate`], returning an [`OrderStrView`]: the same checks in the same order, the same errors.
pub fn validate_view<'a>(
    text: &'a str,
    now_ms: u64,
    expected_app_id: Option<&str>,
) -> Result<OrderStrView<'a>, PaysignError> {
    let read = Fields::read(text)?;
    let age_ms = age_at(read.timestamp_ms, now_ms)?;
    check_app_id(expected_app_id, read.app_id.as_deref())?;
    Ok(OrderStrView {
        app_id: read.app_id,
        merc_no: read.merc_no,
        prepay_id: read.prepay_id,
        timestamp: read.timestamp,
        noncestr: read.noncestr,
        auth_id: read.auth_id,
        sandbox: read.sandbox,
        age_ms,
    })
}

/// Parses and fully validates an orderStr at `now_ms`: structure, formats, prepay validity and,
/// when `expected_app_id` is given, the app id.
pub fn validate(
    text: &str,
    now_ms: u64,
    expected_app_id: Option<&str>,
) -> Result<CheckedOrderStr, PaysignError> {
    let read = Fields::read(text)?;
    let age_ms = age_at(read.timestamp_ms, now_ms)?;
    check_app_id(expected_app_id, read.app_id.as_deref())?;
    Ok(CheckedOrderStr {
        sandbox: read.sandbox,
        order: read.into_order(),
        age_ms,
    })
}

fn order_field_error(name: &str, problem: FieldProblem) -> PaysignError {
    match problem {
        FieldProblem::Missing | FieldProblem::Empty => PaysignError::MissingField {
            field: name.to_string(),
        },
        FieldProblem::WrongType { expected, found } => PaysignError::WrongType {
            field: name.to_string(),
            expected: expected.to_string(),
            found: found.to_string(),
        },
        FieldProblem::NotUnicode => PaysignError::BadValue {
            field: name.to_string(),
            reason: json::NOT_UNICODE.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use serde_json::json;

    const NOW: u64 = 1_751_361_838_042;
    const MINUTE: u64 = 60_000;

    fn sample(timestamp_ms: u64) -> Value {
        json!({
            "app_id": "101831234",
            "merc_no": "101610000123",
            "prepay_id": "1250701172358089759170412",
            "timestamp": timestamp_ms.to_string(),
            "noncestr": "6f18060eee669126b98e474407cc0682",
            "sign": "OeS+xINxsignaturebase64==",
            "auth_id": "101610000031001",
            "reserved": "{\"sandbox_flag\": true}"
        })
    }

    fn with(mut v: Value, key: &str, value: Value) -> String {
        v[key] = value;
        v.to_string()
    }

    fn without(mut v: Value, key: &str) -> String {
        v.as_object_mut().unwrap().remove(key);
        v.to_string()
    }

    fn code_of(text: &str) -> u32 {
        validate(text, NOW, None).unwrap_err().code().as_u32()
    }

    #[test]
    fn accepts_a_valid_order_and_reports_age_and_sandbox() {
        let checked = validate(
            &sample(NOW - 9 * MINUTE).to_string(),
            NOW,
            Some("101831234"),
        )
        .expect("valid");
        assert_eq!(checked.age_ms, 9 * 60_000);
        assert!(checked.sandbox);
        assert_eq!(checked.order.merc_no, "101610000123");
        assert_eq!(checked.order.app_id.as_deref(), Some("101831234"));
    }

    #[test]
    fn nine_minutes_pass_eleven_minutes_expire_ten_is_the_edge() {
        assert!(validate(&sample(NOW - 9 * MINUTE).to_string(), NOW, None).is_ok());
        assert!(validate(&sample(NOW - 10 * MINUTE).to_string(), NOW, None).is_ok());
        let err = validate(&sample(NOW - 10 * MINUTE - 1).to_string(), NOW, None).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PrepayExpired);
        let err = validate(&sample(NOW - 11 * MINUTE).to_string(), NOW, None).unwrap_err();
        assert_eq!(err.code().as_u32(), 2007);
        assert_eq!(err.field(), Some("timestamp"));
    }

    #[test]
    fn future_timestamps_within_skew_pass_beyond_fail() {
        let ok = validate(&sample(NOW + 2 * MINUTE).to_string(), NOW, None).unwrap();
        assert_eq!(ok.age_ms, -(2 * 60_000));
        let err = validate(&sample(NOW + 6 * MINUTE).to_string(), NOW, None).unwrap_err();
        assert_eq!(err.code(), ErrorCode::TimestampInFuture);
    }

    #[test]
    fn rejects_non_json_non_objects_and_double_serialization() {
        assert_eq!(code_of(""), 2002);
        assert_eq!(code_of("{\"merc_no\":"), 2002);
        assert_eq!(code_of("merc_no=1&sign=2"), 2002);
        assert_eq!(code_of("[1,2]"), 2003);
        assert_eq!(code_of("42"), 2003);
        assert_eq!(code_of("null"), 2003);
        let twice = serde_json::to_string(&sample(NOW).to_string()).unwrap();
        let err = validate(&twice, NOW, None).unwrap_err();
        assert_eq!(err.code(), ErrorCode::OrderStrNotObject);
        assert!(err.to_string().contains("serialized twice"));
        let err = validate("\"plain\"", NOW, None).unwrap_err();
        assert!(!err.to_string().contains("twice"));
    }

    #[test]
    fn each_required_field_missing_or_empty_is_named() {
        for field in REQUIRED_FIELDS {
            for text in [
                without(sample(NOW), field),
                with(sample(NOW), field, json!("")),
            ] {
                let err = validate(&text, NOW, None).unwrap_err();
                assert_eq!(err.code(), ErrorCode::OrderStrMissingField, "{field}");
                assert_eq!(err.field(), Some(field));
            }
        }
    }

    #[test]
    fn wrong_types_are_named() {
        for field in REQUIRED_FIELDS.iter().chain(&["app_id", "reserved"]) {
            for value in [
                json!(1_751_361_838_042u64),
                json!(null),
                json!(true),
                json!({}),
            ] {
                let err = validate(&with(sample(NOW), field, value), NOW, None).unwrap_err();
                assert_eq!(err.code(), ErrorCode::OrderStrWrongType, "{field}");
                assert_eq!(err.field(), Some(*field));
            }
        }
    }

    #[test]
    fn bad_values_are_named() {
        let cases = [
            ("timestamp", json!("175136183804")),
            ("timestamp", json!("17513618380421")),
            ("timestamp", json!("1751361838.42")),
            ("timestamp", json!("-751361838042")),
            ("noncestr", json!("x".repeat(33))),
            ("reserved", json!("sandbox")),
            ("reserved", json!("[true]")),
            ("reserved", json!("{\"sandbox_flag\": \"true\"}")),
            ("app_id", json!("")),
            ("reserved", json!("")),
        ];
        for (field, value) in cases {
            let err = validate(&with(sample(NOW), field, value.clone()), NOW, None).unwrap_err();
            assert_eq!(err.code(), ErrorCode::OrderStrBadValue, "{field} {value}");
            assert_eq!(err.field(), Some(field));
        }
        // 32 characters (not bytes) is the limit.
        let nonce = "支".repeat(32);
        assert!(validate(&with(sample(NOW), "noncestr", json!(nonce)), NOW, None).is_ok());
    }

    #[test]
    fn validate_view_checks_and_answers_as_validate_does() {
        let texts = [
            sample(NOW - MINUTE).to_string(),
            sample(NOW + MINUTE).to_string(),
            without(sample(NOW), "app_id"),
            without(sample(NOW), "reserved"),
            with(sample(NOW), "merc_no", json!("商户\"1\\n")),
            with(sample(NOW), "noncestr", json!("n".repeat(33))),
            with(sample(NOW), "sign", json!(1)),
            with(sample(NOW), "reserved", json!("{\"sandbox_flag\":1}")),
            with(sample(NOW), "future", json!({"x": 1})),
            without(sample(NOW), "auth_id"),
            sample(NOW - 11 * MINUTE).to_string(),
            sample(NOW + 6 * MINUTE).to_string(),
            "[]".to_string(),
            "not json".to_string(),
            sample(NOW).to_string().replacen("{", r#"{"sign":"x","#, 1),
            // A repeated key, then a syntax error: not JSON comes first.
            sample(NOW).to_string().replacen("{", r#"{"sign":"x","#, 1) + ",",
            with(
                sample(NOW),
                "reserved",
                json!(r#"{"sandbox_flag":false,"sandbox_flag":true}"#),
            ),
            with(
                sample(NOW),
                "reserved",
                json!(r#"{"sandbox_flag":true,"x":}"#),
            ),
            with(
                sample(NOW),
                "reserved",
                json!(r#"{"sandbox\u005fflag":true}"#),
            ),
            with(sample(NOW), "reserved", json!("[true]")),
        ];
        for text in &texts {
            for expected in [None, Some("101831234"), Some("other")] {
                match (
                    validate(text, NOW, expected),
                    validate_view(text, NOW, expected),
                ) {
                    (Ok(checked), Ok(view)) => {
                        let order = &checked.order;
                        assert_eq!(view.merc_no, order.merc_no);
                        assert_eq!(view.prepay_id, order.prepay_id);
                        assert_eq!(view.timestamp, order.timestamp);
                        assert_eq!(view.noncestr, order.noncestr);
                        assert_eq!(view.auth_id, order.auth_id);
                        assert_eq!(view.app_id.as_deref(), order.app_id.as_deref());
                        assert_eq!(view.sandbox, checked.sandbox);
                        assert_eq!(view.age_ms, checked.age_ms);
                    }
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text}"),
                    (a, b) => panic!("{text}: validate {a:?}, validate_view {b:?}"),
                }
            }
        }
    }

    #[test]
    fn the_whole_text_is_json_before_a_repeated_key_is_named() {
        // The repeated key is seen before the syntax error, which still decides the answer.
        let text = sample(NOW)
            .to_string()
            .replacen("{", r#"{"note":1,"note":2,"#, 1);
        for broken in [
            format!("{text},"),
            format!("{text} x"),
            text[..text.len() - 1].to_string(),
        ] {
            let err = validate_view(&broken, NOW, None).unwrap_err();
            assert_eq!(err.code(), ErrorCode::OrderStrNotJson, "{broken}");
        }
        let err = validate_view(&text, NOW, None).unwrap_err();
        assert_eq!(err.code(), ErrorCode::OrderStrBadValue);
        assert_eq!(err.field(), Some("note"));
    }

    #[test]
    fn sandbox_flag_is_the_last_one_and_reserved_must_be_a_json_object() {
        for (reserved, sandbox) in [
            (r#"{"sandbox_flag":false,"sandbox_flag":true}"#, true),
            (r#"{"sandbox_flag":true,"sandbox_flag":false}"#, false),
            (r#"{"sandbox\u005fflag":true}"#, true),
            (r#"{"other":{"sandbox_flag":true}}"#, false),
            ("{}", false),
        ] {
            let text = with(sample(NOW), "reserved", json!(reserved));
            assert_eq!(
                validate_view(&text, NOW, None).unwrap().sandbox,
                sandbox,
                "{reserved}"
            );
        }
        for (reserved, says) in [
            (
                r#"{"sandbox_flag":true,"x":}"#,
                "must be a JSON object string: ",
            ),
            (
                r#"{"sandbox_flag":true} 1"#,
                "must be a JSON object string: ",
            ),
            ("[true]", "must be a JSON object string, found array"),
            (r#""{}""#, "must be a JSON object string, found string"),
            (
                r#"{"sandbox_flag":"true"}"#,
                "sandbox_flag must be a boolean, found string",
            ),
        ] {
            let text = with(sample(NOW), "reserved", json!(reserved));
            let err = validate_view(&text, NOW, None).unwrap_err();
            assert_eq!(err.code(), ErrorCode::OrderStrBadValue, "{reserved}");
            assert_eq!(err.field(), Some("reserved"));
            assert!(err.to_string().contains(says), "{reserved}: {err}");
        }
    }

    #[test]
    fn a_lone_surrogate_is_a_bad_value_not_a_wrong_type() {
        for (field, escaped) in [
            ("merc_no", r"\ud800"),
            ("noncestr", r"abc\udc00"),
            ("app_id", r"\ud83d!"),
            ("reserved", r"\ud800"),
        ] {
            let text = sample(NOW).to_string().replacen(
                &format!(r#""{field}":""#),
                &format!(r#""{field}":"{escaped}"#),
                1,
            );
            assert!(text.contains(escaped), "{text}");
            for err in [
                validate(&text, NOW, None).unwrap_err(),
                validate_view(&text, NOW, None).unwrap_err(),
            ] {
                assert_eq!(err.code(), ErrorCode::OrderStrBadValue, "{field}: {err}");
                assert_eq!(err.field(), Some(field));
                assert_eq!(
                    err.to_string(),
                    format!("orderStr field `{field}` has a bad value: not valid Unicode (a lone surrogate escape)")
                );
            }
        }
        // Paired, it is one character.
        let text =
            sample(NOW)
                .to_string()
                .replacen(r#""app_id":""#, r#""app_id":"\ud83d\ude00"#, 1);
        let view = validate_view(&text, NOW, None).unwrap();
        assert_eq!(view.app_id.as_deref(), Some("😀101831234"));
    }

    #[test]
    fn duplicated_keys_are_refused() {
        let text = sample(NOW)
            .to_string()
            .replacen("{", "{\"app_id\":\"999\",", 1);
        let err = validate(&text, NOW, None).unwrap_err();
        assert_eq!(err.code(), ErrorCode::OrderStrBadValue);
        assert_eq!(err.field(), Some("app_id"));
        // An unknown field twice; a key written with an escape is the same key; and of two
        // repeated keys, the one whose second appearance comes first is named.
        for (prefix, field) in [
            (r#"{"note":1,"note":2,"#, "note"),
            (r#"{"merc\u005fno":"1","#, "merc_no"),
            (r#"{"sign":"s","sign":"t","note":1,"note":2,"#, "sign"),
            (r#"{"note":1,"sign":"s","note":2,"#, "note"),
            (r#"{"note":1,"auth_id":"a","x":0,"note":2,"#, "note"),
        ] {
            let text = sample(NOW).to_string().replacen("{", prefix, 1);
            let err = validate(&text, NOW, None).unwrap_err();
            assert_eq!(err.code(), ErrorCode::OrderStrBadValue, "{prefix}");
            assert_eq!(err.field(), Some(field), "{prefix}");
        }
    }

    #[test]
    fn app_id_is_checked_only_when_the_caller_names_one() {
        let text = sample(NOW).to_string();
        assert!(validate(&text, NOW, None).is_ok());
        assert!(validate(&text, NOW, Some("101831234")).is_ok());
        let err = validate(&text, NOW, Some("other")).unwrap_err();
        assert_eq!(err.code(), ErrorCode::AppIdMismatch);
        // An orderStr without app_id is launched for the calling app: nothing to compare.
        assert!(validate(&without(sample(NOW), "app_id"), NOW, Some("other")).is_ok());
    }

    #[test]
    fn unknown_fields_are_kept_and_round_trip() {
        let text = with(sample(NOW), "future_field", json!({"x": [1, "y"]}));
        let order = OrderStr::from_json(&text).unwrap();
        assert_eq!(
            order.extra.get("future_field").map(RawJson::get),
            Some(r#"{"x":[1,"y"]}"#)
        );
        let again = OrderStr::from_json(&order.to_json().unwrap()).unwrap();
        assert_eq!(again, order);
        let as_value: Value = serde_json::from_str(&order.to_json().unwrap()).unwrap();
        assert_eq!(as_value, serde_json::from_str::<Value>(&text).unwrap());
    }

    #[test]
    fn sandbox_defaults_to_false() {
        let checked = validate(&without(sample(NOW), "reserved"), NOW, None).unwrap();
        assert!(!checked.sandbox);
        let checked = validate(&with(sample(NOW), "reserved", json!("{}")), NOW, None).unwrap();
        assert!(!checked.sandbox);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(code_of(&deep), 2002);
        let deep_field = format!(
            "{{\"x\":{}{}}}",
            "{\"a\":".repeat(50_000),
            "}".repeat(50_000)
        );
        assert_eq!(code_of(&deep_field), 2002);
    }
}
