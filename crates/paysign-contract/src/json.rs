//! Strict reading of JSON objects whose fields must be of one type: each problem names the field.
//! The contract's own answers are read with it, and `paysign-core` reads the orderStr with it.

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
        }
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
}
