//! [`JsonObject`]: a request body read as `T` only when it is a JSON object.
//!
//! serde's derived readers take a struct written as an array of its fields too (on the sandbox
//! `[5]` would arm `{"dropConnections": 5}` and `["<orderStr>", "PAY_AND_SIGN"]` would pay),
//! which no client sends and which would slip past anyone reading the body as an object. Every
//! request body either server reads into a struct goes through this wrapper (the merchant
//! server's `http::json_object`; the sandbox's `Json<JsonObject<T>>` in the operator API and
//! `Call::json` in the merchant API), so a body that is an array, a string, a number or `null`
//! is the endpoint's usual bad-body error ("invalid type: sequence, expected a JSON object at
//! line 1 column 1") before anything is stored.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// `T`, read from a JSON object and nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonObject<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for JsonObject<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_map(ObjectOf(PhantomData))
            .map(JsonObject)
    }
}

struct ObjectOf<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectOf<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    /// `T` reads the object's members exactly as it would unwrapped (its own field names,
    /// defaults, unknown-field and duplicate checks).
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Plan {
        drop_connections: u32,
        #[serde(default)]
        delay_ms: u64,
    }

    fn read(text: &str) -> Result<Plan, String> {
        serde_json::from_str::<JsonObject<Plan>>(text)
            .map(|JsonObject(p)| p)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn an_object_reads_as_the_struct_would() {
        let plan = Plan {
            drop_connections: 5,
            delay_ms: 0,
        };
        assert_eq!(read(r#" {"dropConnections": 5} "#).unwrap(), plan);
        // The struct's own rules still apply, with serde_json's positions.
        for (text, why) in [
            (r#"{"dropConnections":"5"}"#, "invalid type: string"),
            (r#"{"delayMs":1}"#, "missing field `dropConnections`"),
            (r#"{"dropConnections":5,"x":1}"#, "unknown field `x`"),
            (
                r#"{"dropConnections":5,"dropConnections":6}"#,
                "duplicate field",
            ),
            (r#"{"dropConnections":5} []"#, "trailing characters"),
        ] {
            let error = read(text).unwrap_err();
            assert!(error.contains(why), "{text}: {error}");
            assert!(error.contains("line 1 column"), "{text}: {error}");
        }
    }

    #[test]
    fn anything_but_an_object_is_refused() {
        // The plain derived reader takes the array; the wrapper does not.
        assert!(serde_json::from_str::<Plan>("[5]").is_ok());
        for (text, found) in [
            ("[5]", "sequence"),
            (" \n[5, 0]", "sequence"),
            (r#""{\"dropConnections\":5}""#, "string"),
            ("5", "integer `5`"),
            ("null", "null"),
            ("true", "boolean `true`"),
        ] {
            let error = read(text).unwrap_err();
            assert!(
                error.starts_with(&format!("invalid type: {found}")),
                "{text}: {error}"
            );
            assert!(
                error.contains(", expected a JSON object at line "),
                "{text}: {error}"
            );
        }
        assert_eq!(
            serde_json::from_value::<JsonObject<Plan>>(json!([5]))
                .unwrap_err()
                .to_string(),
            "invalid type: sequence, expected a JSON object"
        );
    }
}
