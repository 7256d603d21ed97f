//! The canonical signing string of a JSON body (spec §3.2, §3.7) and of a GET request.
//!
//! It works on the raw JSON text as received: every member is kept as its raw text
//! (`serde_json::value::RawValue`), so unknown fields take part and numbers keep exactly the digits
//! that were sent. Nothing is re-serialized from typed structs.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::rules;

/// Why a body has no canonical string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    /// The text is not JSON; the message gives serde_json's line and column.
    #[error("the body is not valid JSON: {0}")]
    InvalidJson(String),
    /// The JSON is valid but its top level is not an object (`{...}`).
    #[error("the body must be a JSON object, found {0}")]
    NotAnObject(&'static str),
    /// One object holds the same key twice, so its meaning is ambiguous.
    #[error("the key {0:?} appears more than once in one JSON object")]
    DuplicateKey(String),
    /// Objects and arrays nest deeper than `rules::MAX_NESTING` (no payment message comes close).
    #[error("the body nests objects and arrays deeper than {0} levels")]
    TooDeep(usize),
}

/// The canonical string of a JSON body: top-level `sign` dropped, keys in ASCII order,
/// `k=v` joined by `&`, nulls skipped, empty strings kept, numbers as written.
pub fn canonical_json(body: &str) -> Result<String, CanonicalError> {
    Body::parse(body)?.canonical()
}

/// The canonical string of a GET request: its path and query exactly as sent, without scheme,
/// host or fragment. Accepts either `/path?query` or a full URL.
pub fn canonical_get(path_and_query: &str) -> String {
    let text = path_and_query.trim();
    let without_fragment = text.split_once('#').map_or(text, |(before, _)| before);
    let without_origin = match without_fragment.split_once("://") {
        // A full URL: the signed part starts at the first '/' (or '?') after the host.
        Some((_, rest)) => rest
            .find(['/', '?'])
            .and_then(|i| rest.get(i..))
            .unwrap_or("/"),
        None => without_fragment,
    };
    if without_origin.starts_with('/') {
        without_origin.to_owned()
    } else {
        format!("/{without_origin}")
    }
}

/// A parsed JSON object body: its members in the order received, values as raw JSON text.
pub(crate) struct Body<'a> {
    members: Vec<(String, &'a RawValue)>,
}

impl<'a> Body<'a> {
    pub(crate) fn parse(body: &'a str) -> Result<Self, CanonicalError> {
        let raw: &'a RawValue = serde_json::from_str(body).map_err(json_error)?;
        match Node::classify(raw)? {
            Node::Object(members) => Ok(Body { members }),
            other => Err(CanonicalError::NotAnObject(other.kind())),
        }
    }

    /// The raw JSON text of the top-level `sign` member, if present.
    pub(crate) fn sign_raw(&self) -> Option<&'a RawValue> {
        self.members
            .iter()
            .find(|(k, _)| k == rules::SIGN_FIELD)
            .map(|(_, v)| *v)
    }

    pub(crate) fn canonical(&self) -> Result<String, CanonicalError> {
        let mut out = String::with_capacity(256);
        render_object(&self.members, 0, &mut out)?;
        Ok(out)
    }

    /// The body re-emitted with `sign` set to `signature`: every other member keeps its raw text
    /// and position; `sign` replaces an existing one in place or is appended.
    pub(crate) fn with_sign(&self, signature: &str) -> Result<String, CanonicalError> {
        let sign_json = serde_json::to_string(signature).map_err(json_error)?;
        let mut out = String::with_capacity(256 + sign_json.len());
        out.push('{');
        let mut replaced = false;
        for (i, (key, value)) in self.members.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::to_string(key).map_err(json_error)?);
            out.push(':');
            if key == rules::SIGN_FIELD {
                out.push_str(&sign_json);
                replaced = true;
            } else {
                out.push_str(value.get());
            }
        }
        if !replaced {
            if !self.members.is_empty() {
                out.push(',');
            }
            out.push('"');
            out.push_str(rules::SIGN_FIELD);
            out.push_str("\":");
            out.push_str(&sign_json);
        }
        out.push('}');
        Ok(out)
    }
}

fn json_error(e: serde_json::Error) -> CanonicalError {
    CanonicalError::InvalidJson(e.to_string())
}

/// One JSON value, one level deep; children stay raw until rendered.
enum Node<'a> {
    Null,
    Bool(bool),
    Number(&'a str),
    String(String),
    Array(Vec<&'a RawValue>),
    Object(Vec<(String, &'a RawValue)>),
}

impl<'a> Node<'a> {
    fn classify(raw: &'a RawValue) -> Result<Self, CanonicalError> {
        let text = raw.get().trim();
        Ok(match text.as_bytes().first() {
            Some(b'{') => Node::Object(
                serde_json::from_str::<Members<'a>>(text)
                    .map_err(json_error)?
                    .0,
            ),
            Some(b'[') => Node::Array(serde_json::from_str(text).map_err(json_error)?),
            Some(b'"') => Node::String(serde_json::from_str(text).map_err(json_error)?),
            Some(b'n') => Node::Null,
            Some(b't') => Node::Bool(true),
            Some(b'f') => Node::Bool(false),
            // serde_json already validated the text, so anything else is a number, kept as written.
            _ => Node::Number(text),
        })
    }

    fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Number(_) => "a number",
            Node::String(_) => "a string",
            Node::Array(_) => "an array",
            Node::Object(_) => "an object",
        }
    }
}

/// The members of one object in received order; duplicate keys are reported by `render_object`.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some(key) = map.next_key::<String>()? {
                    let value: &'de RawValue = map.next_value()?;
                    members.push((key, value));
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

/// Appends `k=v&k=v...` for one object's members, sorted by key bytes (ASCII order).
fn render_object(
    members: &[(String, &RawValue)],
    depth: usize,
    out: &mut String,
) -> Result<(), CanonicalError> {
    if depth > rules::MAX_NESTING {
        return Err(CanonicalError::TooDeep(rules::MAX_NESTING));
    }
    let top_level = depth == 0;
    let mut sorted: Vec<&(String, &RawValue)> = members.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    if rules::REJECT_DUPLICATE_KEYS {
        if let Some(pair) = sorted
            .windows(2)
            .find(|w| matches!(w, [a, b] if a.0 == b.0))
        {
            let key = pair.first().map(|m| m.0.clone()).unwrap_or_default();
            return Err(CanonicalError::DuplicateKey(key));
        }
    }
    let mut first = true;
    for (key, raw) in sorted {
        if top_level && key == rules::SIGN_FIELD {
            continue;
        }
        let node = Node::classify(raw)?;
        let mut value = String::new();
        match node {
            Node::Null => continue,
            Node::Object(inner) => {
                render_object(&inner, depth + 1, &mut value)?;
                if value.is_empty() && !rules::NESTED_OBJECT_KEEPS_EMPTY {
                    continue;
                }
            }
            other => render_value(other, depth + 1, &mut value)?,
        }
        if !first {
            out.push(rules::PAIR_SEPARATOR);
        }
        first = false;
        out.push_str(key);
        out.push('=');
        out.push_str(&value);
    }
    Ok(())
}

/// Appends one value: scalars as written, objects recursively, arrays joined by `,`.
fn render_value(node: Node<'_>, depth: usize, out: &mut String) -> Result<(), CanonicalError> {
    if depth > rules::MAX_NESTING {
        return Err(CanonicalError::TooDeep(rules::MAX_NESTING));
    }
    match node {
        Node::Null => out.push_str(rules::NULL_LIST_ELEMENT),
        Node::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Node::Number(text) => out.push_str(text),
        Node::String(s) => out.push_str(&s),
        Node::Object(members) => render_object(&members, depth, out)?,
        Node::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                if i > 0 {
                    out.push(rules::LIST_SEPARATOR);
                }
                render_value(Node::classify(item)?, depth + 1, out)?;
            }
        }
    }
    Ok(())
}
