//! Strict reading of JSON objects whose fields must be of one type: each problem names the field.
//! The contract's own answers are read with it, and `paysign-core` reads the orderStr with it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
pub use serde_json::value::RawValue;
pub use serde_json::{Map, Value};

/// Why a field could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldProblem {
    Missing,
    Empty,
    WrongType {
        expected: &'static str,
        found: &'static str,
    },
    /// A string whose `\u` escapes are not Unicode: a surrogate without its pair (`"\ud800"`).
    /// JSON's grammar allows it; no Rust (or well-formed) string can hold it.
    NotUnicode,
}

/// The JSON type name of a value, for messages.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A required, non-empty string field.
pub fn required_str<'a>(map: &'a Map<String, Value>, name: &str) -> Result<&'a str, FieldProblem> {
    match optional_str(map, name)? {
        None => Err(FieldProblem::Missing),
        Some("") => Err(FieldProblem::Empty),
        Some(s) => Ok(s),
    }
}

/// An optional string field: absent is `None`; present must be a string (possibly empty).
pub fn optional_str<'a>(
    map: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, FieldProblem> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(other) => Err(FieldProblem::WrongType {
            expected: "string",
            found: type_name(other),
        }),
    }
}

/// A required non-negative integer field (a JSON number with no fraction that fits in u64).
pub fn required_u64(map: &Map<String, Value>, name: &str) -> Result<u64, FieldProblem> {
    match map.get(name) {
        None => Err(FieldProblem::Missing),
        Some(Value::Number(n)) => n.as_u64().ok_or(FieldProblem::WrongType {
            expected: "non-negative integer",
            found: "number",
        }),
        Some(other) => Err(FieldProblem::WrongType {
            expected: "non-negative integer",
            found: type_name(other),
        }),
    }
}

impl FieldProblem {
    /// A short description for error messages.
    pub fn describe(&self) -> String {
        match self {
            FieldProblem::Missing => "missing".to_string(),
            FieldProblem::Empty => "empty".to_string(),
            FieldProblem::WrongType { expected, found } => {
                format!("must be a {expected}, found {found}")
            }
            FieldProblem::NotUnicode => NOT_UNICODE.to_string(),
        }
    }
}

/// Reads a JSON text's top level in one pass: an object's members as borrowed texts (no value
/// tree is built), or any other value.
pub fn read(text: &str) -> Result<TopLevel<'_>, serde_json::Error> {
    let mut members = Vec::with_capacity(10);
    Ok(
        match read_each(text, |key, value| members.push((key, value)))? {
            None => TopLevel::Object(Members(members)),
            Some(other) => TopLevel::Other(other),
        },
    )
}

/// [`read`] without keeping the members: each one is handed to `member` as it is read (in order,
/// repeated keys included), so reading an object allocates nothing beyond escaped keys. `None`
/// when the text is an object, else the other value. The whole text is checked either way: a
/// syntax error after a member has been handed over is still the answer.
pub fn read_each<'a>(
    text: &'a str,
    mut member: impl FnMut(Key<'a>, &'a RawValue),
) -> Result<Option<Value>, serde_json::Error> {
    read_each_dyn(text, &mut member)
}

/// One copy of the reader for every caller (the phones' library has a size budget): the callback
/// is called through a pointer, a few nanoseconds per member.
fn read_each_dyn<'a>(
    text: &'a str,
    member: &mut dyn FnMut(Key<'a>, &'a RawValue),
) -> Result<Option<Value>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let top = deserializer.deserialize_any(TopLevelVisitor(member))?;
    deserializer.end()?;
    Ok(top)
}

/// A member that must be a non-negative integer (a JSON number with no fraction that fits in u64).
pub fn raw_u64(raw: &RawValue) -> Result<u64, FieldProblem> {
    let wrong = |found| FieldProblem::WrongType {
        expected: "non-negative integer",
        found,
    };
    let text = raw.get();
    if raw_type_name(text) != "number" {
        return Err(wrong(raw_type_name(text)));
    }
    serde_json::from_str::<u64>(text).map_err(|_| wrong("number"))
}

/// The JSON type name of a value's text (which serde_json has checked is one JSON value, without
/// surrounding whitespace), for messages.
pub fn raw_type_name(text: &str) -> &'static str {
    match text.as_bytes().first() {
        Some(b'"') => "string",
        Some(b'{') => "object",
        Some(b'[') => "array",
        Some(b't' | b'f') => "boolean",
        Some(b'n') => "null",
        _ => "number",
    }
}

/// What [`FieldProblem::NotUnicode`] says.
pub const NOT_UNICODE: &str = "not valid Unicode (a lone surrogate escape)";

/// A member's string (unescaped), or why it is not one.
pub fn raw_string(raw: &RawValue) -> Result<String, FieldProblem> {
    raw_str(raw).map(Cow::into_owned)
}

/// A member's string, borrowed from the text when it holds no escapes, or why it is not one.
pub fn raw_str(raw: &RawValue) -> Result<Cow<'_, str>, FieldProblem> {
    let text = raw.get();
    let wrong = || FieldProblem::WrongType {
        expected: "string",
        found: raw_type_name(text),
    };
    if !text.starts_with('"') {
        return Err(wrong());
    }
    // serde_json checked the member's text when it read it (a raw value is only ever made from
    // checked JSON): without a backslash, the string is the text between the quotes, taken
    // without running the parser again (most members, the long sign included, have no escapes).
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        if !inner.contains('\\') {
            return Ok(Cow::Borrowed(inner));
        }
    }
    // The member's text is checked JSON, hex digits of every `\u` escape included, so the only
    // string it cannot become is one with a surrogate escape left unpaired.
    serde_json::from_str::<String>(text)
        .map(Cow::Owned)
        .map_err(|_| FieldProblem::NotUnicode)
}

/// The members of one JSON object, read in one pass without building values: each key (borrowed
/// unless it holds escapes) with its value's JSON text, in order, repeated keys included.
pub struct Members<'a>(Vec<(Key<'a>, &'a RawValue)>);

impl<'a> Members<'a> {
    /// The first value of `name`.
    pub fn first(&self, name: &str) -> Option<&'a RawValue> {
        self.0
            .iter()
            .find(|(k, _)| k.as_ref() == name)
            .map(|(_, v)| *v)
    }

    /// The value of `name` as a map keeps it: the last one.
    pub fn get(&self, name: &str) -> Option<&'a RawValue> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k.as_ref() == name)
            .map(|(_, v)| *v)
    }

    /// Every member in order: key and value text.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &'a RawValue)> + '_ {
        self.0.iter().map(|(k, v)| (k.as_ref(), *v))
    }

    /// The first key that appears more than once (a plain map would silently keep one).
    pub fn duplicate(&self) -> Option<String> {
        self.0.iter().enumerate().find_map(|(i, (key, _))| {
            let earlier = self.0.get(..i).unwrap_or_default();
            earlier
                .iter()
                .any(|(k, _)| k.as_ref() == key.as_ref())
                .then(|| key.to_string())
        })
    }
}

/// An object key: borrowed from the text when it holds no escapes.
pub struct Key<'a>(Cow<'a, str>);

impl AsRef<str> for Key<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// The top level of a JSON text: an object's members, or any other JSON value.
pub enum TopLevel<'a> {
    Object(Members<'a>),
    Other(Value),
}

/// The top level's visitor: an object's members go to the callback, any other value is returned.
struct TopLevelVisitor<'m, 'de>(&'m mut dyn FnMut(Key<'de>, &'de RawValue));

impl<'de> Visitor<'de> for TopLevelVisitor<'_, 'de> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Option<Value>, A::Error> {
        while let Some(key) = access.next_key::<Key<'de>>()? {
            (self.0)(key, access.next_value::<&'de RawValue>()?);
        }
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, access: A) -> Result<Option<Value>, A::Error> {
        Value::deserialize(de::value::SeqAccessDeserializer::new(access)).map(Some)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<Value>, E> {
        Ok(Some(Value::String(v.to_string())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Option<Value>, E> {
        Ok(Some(Value::String(v)))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Option<Value>, E> {
        Ok(Some(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<Value>, E> {
        Ok(Some(Value::Null))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn reads_strings_strictly() {
        let m = obj(json!({"a": "x", "b": "", "c": 1, "d": null}));
        assert_eq!(required_str(&m, "a"), Ok("x"));
        assert_eq!(required_str(&m, "b"), Err(FieldProblem::Empty));
        assert_eq!(required_str(&m, "z"), Err(FieldProblem::Missing));
        assert_eq!(
            required_str(&m, "c"),
            Err(FieldProblem::WrongType {
                expected: "string",
                found: "number"
            })
        );
        assert_eq!(
            optional_str(&m, "d"),
            Err(FieldProblem::WrongType {
                expected: "string",
                found: "null"
            })
        );
        assert_eq!(optional_str(&m, "z"), Ok(None));
        assert_eq!(optional_str(&m, "b"), Ok(Some("")));
    }

    #[test]
    fn reads_integers_strictly() {
        let m = obj(json!({"n": 17, "f": 1.5, "neg": -1, "s": "17"}));
        assert_eq!(required_u64(&m, "n"), Ok(17));
        assert!(required_u64(&m, "f").is_err());
        assert!(required_u64(&m, "neg").is_err());
        assert!(matches!(
            required_u64(&m, "s"),
            Err(FieldProblem::WrongType {
                found: "string",
                ..
            })
        ));
        assert_eq!(required_u64(&m, "x"), Err(FieldProblem::Missing));
        assert_eq!(FieldProblem::Missing.describe(), "missing");
    }

    #[test]
    fn read_each_hands_over_what_read_keeps() {
        let text = r#"{"a":1,"b\u0063":"x","a":[2,{"a":3}],"d":null}"#;
        let mut seen = Vec::new();
        let top = read_each(text, |k, v| seen.push((k.to_string(), v.get().to_string()))).unwrap();
        assert!(top.is_none());
        let expected = [
            ("a", "1"),
            ("bc", r#""x""#),
            ("a", r#"[2,{"a":3}]"#),
            ("d", "null"),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(seen, expected);
        let TopLevel::Object(members) = read(text).unwrap() else {
            panic!("an object")
        };
        let kept: Vec<_> = members
            .iter()
            .map(|(k, v)| (k.to_string(), v.get().to_string()))
            .collect();
        assert_eq!(kept, expected);
        assert_eq!(members.get("a").map(RawValue::get), Some(r#"[2,{"a":3}]"#));
        assert_eq!(members.duplicate().as_deref(), Some("a"));
        // Anything else is returned, and the whole text must be JSON even after members were seen.
        assert_eq!(read_each("[1]", |_, _| {}).unwrap(), Some(json!([1])));
        assert_eq!(read_each(r#""s""#, |_, _| {}).unwrap(), Some(json!("s")));
        for broken in [r#"{"a":1,}"#, r#"{"a":1} x"#, r#"{"a":1"#, ""] {
            assert!(read_each(broken, |_, _| {}).is_err(), "{broken}");
            assert!(read(broken).is_err(), "{broken}");
        }
    }

    #[test]
    fn raw_strings_read_as_serde_json_reads_them() {
        // Plain texts take the copy path, escaped ones the parser: both must give what
        // serde_json gives for the same member.
        for text in [
            r#""""#,
            r#""plain 101610000123""#,
            r#""中文 é""#,
            r#""a\"b""#,
            r#""tab\there""#,
            r#""\u4e2d\u6587""#,
            r#""\ud83d\ude00""#,
            r#""back\\slash""#,
            r#""{\"sandbox_flag\": true}""#,
        ] {
            let raw: Box<RawValue> = serde_json::from_str(text).unwrap();
            let expected: String = serde_json::from_str(text).unwrap();
            assert_eq!(raw_string(&raw), Ok(expected), "{text}");
        }
        for (text, found) in [
            ("17", "number"),
            ("null", "null"),
            ("[]", "array"),
            ("{}", "object"),
        ] {
            let raw: Box<RawValue> = serde_json::from_str(text).unwrap();
            assert_eq!(
                raw_string(&raw),
                Err(FieldProblem::WrongType {
                    expected: "string",
                    found
                })
            );
        }
        // A surrogate escape without its pair is JSON but not a string Rust (or UTF-16 done
        // right) can hold: named as such, not as a wrong type.
        for text in [
            r#""\ud800""#,
            r#""\udc00""#,
            r#""a\ud83dx""#,
            r#""\ud800\u0041""#,
            r#""\ude00\ud83d""#,
        ] {
            let raw: Box<RawValue> = serde_json::from_str(text).unwrap();
            assert_eq!(raw_string(&raw), Err(FieldProblem::NotUnicode), "{text}");
            assert_eq!(
                FieldProblem::NotUnicode.describe(),
                "not valid Unicode (a lone surrogate escape)"
            );
        }
        // A bad hex escape is not JSON at all: refused before raw_string sees it.
        assert!(serde_json::from_str::<Box<RawValue>>(r#""\uZZZZ""#).is_err());
        // serde_json refuses a raw control character inside a string before raw_string sees it.
        assert!(serde_json::from_str::<Box<RawValue>>("\"a\u{1}b\"").is_err());
    }
}
