//! Every choice the Payment Kit documentation leaves open (`[INFER]` in the spec), in one place.
//!
//! The published rules (drop `sign`, ASCII key order, `k=v` joined by `&`, null skipped, empty
//! string kept, numbers as written, no URL-encoding, a list of objects as its elements joined by
//! `,`) are implemented in `canonical.rs`; what is only inferred is decided here so that a change
//! after checking against Huawei's own SDK is a one-line edit.
//!
//! [INFER] `reserved` in the orderStr is signed like any other string field: it is a JSON string
//! that holds JSON, and its text is used verbatim, never parsed. Nothing special-cases it.

/// The top-level field that carries the signature; it never takes part in the canonical string.
/// Only the top level: a nested object's `sign` field is ordinary data.
pub const SIGN_FIELD: &str = "sign";

/// Separator between `key=value` pairs, at every nesting level.
pub const PAIR_SEPARATOR: char = '&';

/// Separator between the rendered elements of a JSON array (the spec's `subOrders` example).
pub const LIST_SEPARATOR: char = ',';

/// [INFER] A nested object is rendered as `key=` followed by its own canonical string (inner keys
/// sorted, pairs joined by `&`, nulls skipped, no braces), by analogy with the list rule.
/// An empty nested object (or one whose members are all null) renders as `key=`.
pub const NESTED_OBJECT_KEEPS_EMPTY: bool = true;

/// [INFER] A list of scalars (strings, numbers, booleans) renders its elements as written, joined
/// by `,`; a `null` element renders as an empty element. An empty list renders as `key=`.
pub const NULL_LIST_ELEMENT: &str = "";

/// Deepest nesting of objects and arrays accepted in a signed body; deeper input is refused
/// with a typed error instead of exhausting the stack. Payment messages nest two or three levels.
pub const MAX_NESTING: usize = 32;

/// [INFER] The same JSON key twice in one object is rejected: two parties could read different
/// values from the same text, so nothing signed or verified may depend on which one wins.
pub const REJECT_DUPLICATE_KEYS: bool = true;

/// [INFER] SM2 distinguishing identifier (GM/T 0009 default, ENTL = 0x0080). No Huawei sample sets
/// one; every library their samples use defaults to it. OpenSSL needs
/// `-sigopt distid:1234567812345678` to use it.
pub const SM2_DEFAULT_DISTID: &str = "1234567812345678";

/// RSA-PSS salt length in bytes: equal to the SHA-256 digest length (spec §3.3).
pub const RSA_PSS_SALT_LEN: usize = 32;

/// Key size of generated RSA keys: the merchant platform takes RSA keys of at least 3072 bits.
pub const RSA_KEYGEN_BITS: usize = 3072;

/// Smallest RSA modulus accepted when loading a key; smaller keys are refused with a typed error.
pub const RSA_MIN_BITS: usize = 2048;

/// Largest RSA modulus accepted when loading a key (keeps verification cost bounded).
pub const RSA_MAX_BITS: usize = 8192;

/// Which encodings of an SM2 signature `verify` accepts.
/// Signatures we produce are always Base64 of ASN.1 DER `SEQUENCE { r, s }` (what Huawei sends).
/// [INFER] Base64 of the raw 64-byte `r‖s` is also accepted on verify (some SDKs emit it).
pub const SM2_ACCEPT_RAW_RS: bool = true;

/// [INFER] Key text forms, beyond the documented ones, that loading also accepts:
/// the public key as hex of the bare 64-byte `X‖Y` (sm-crypto style, no `04` prefix), and the SM2
/// private key as hex of the bare 32-byte scalar (sm-crypto style).
pub const ACCEPT_BARE_SM2_HEX: bool = true;
