//! Loading, generating and exporting SM2 and RSA keys in every form Payment Kit and its SDKs use.
//!
//! Accepted public key text: hex `04‖X‖Y` (65 bytes), hex/Base64/PEM SubjectPublicKeyInfo, a PEM
//! (or DER, hex, Base64) X.509 certificate, PEM PKCS#1 `RSA PUBLIC KEY`, and (see
//! `rules::ACCEPT_BARE_SM2_HEX`) hex `X‖Y`. Accepted private key text: hex/Base64/PEM PKCS#8,
//! PEM SEC1 `EC PRIVATE KEY`, PEM PKCS#1 `RSA PRIVATE KEY`, and hex of a bare 32-byte SM2 scalar.

use std::fmt;

use base64::Engine as _;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::traits::PublicKeyParts;
use sha2::Sha256;
use sm2::elliptic_curve::Generate as _;
use sm2::pkcs8::der::{Decode, Encode};
use sm2::pkcs8::spki::{
    AlgorithmIdentifierRef, DecodePublicKey, EncodePublicKey, ObjectIdentifier,
    SubjectPublicKeyInfoRef,
};
use sm2::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding, PrivateKeyInfoRef};
use zeroize::Zeroizing;

use crate::rules;

const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_SM2_CURVE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.301");
const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");

/// The signature algorithm a key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// SM2 with SM3 (GM/T 0003), distinguishing ID `rules::SM2_DEFAULT_DISTID`.
    Sm2,
    /// SHA256withRSA/PSS, MGF1-SHA256, salt 32.
    RsaPss,
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyAlgorithm::Sm2 => "SM2",
            KeyAlgorithm::RsaPss => "RSA-PSS",
        })
    }
}

/// Why a key could not be loaded or made. Messages never contain key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the key text is empty")]
    Empty,
    #[error("the key text is not PEM, hex or Base64")]
    UnrecognizedEncoding,
    #[error("the PEM block is malformed: {0}")]
    InvalidPem(String),
    #[error("a PEM block labelled {0:?} is not a key this tool reads")]
    UnsupportedPemLabel(String),
    #[error("the key is password-protected (ENCRYPTED PRIVATE KEY); export it unencrypted")]
    EncryptedPrivateKey,
    #[error("this is a private key, but a public key (or certificate) is expected here")]
    PrivateKeyGivenForPublic,
    #[error("this is a public key or certificate, but a private key is expected here")]
    PublicKeyGivenForPrivate,
    #[error("the key bytes ({len} bytes) are not {expected}")]
    MalformedDer { len: usize, expected: &'static str },
    #[error("the key is for algorithm {0}, only SM2 and RSA are supported")]
    UnsupportedAlgorithm(String),
    #[error("the EC key is on curve {0}, only SM2 (1.2.156.10197.1.301) is supported")]
    UnsupportedCurve(String),
    #[error("the SM2 public key is not a valid point on the curve")]
    InvalidSm2Point,
    #[error("the SM2 private key is out of range (zero or not below the group order)")]
    InvalidSm2Scalar,
    #[error("the RSA key is invalid: {0}")]
    InvalidRsa(String),
    #[error("the RSA key has {bits} bits; between {min} and {max} are accepted")]
    RsaKeySize { bits: usize, min: usize, max: usize },
    #[error("the system random number generator failed")]
    Random,
    #[error("encoding the key failed: {0}")]
    Encoding(String),
}

/// A merchant (or sandbox) private key: SM2 or RSA. Its secret is zeroized on drop
/// (`sm2::SecretKey` and `rsa::PrivateKey` both zeroize) and never shown by `Debug`.
#[derive(Clone)]
pub struct PrivateKey {
    pub(crate) secret: PrivateSecret,
    public: PublicKey,
    pkcs8_pem: Zeroizing<String>,
}

#[derive(Clone)]
pub(crate) enum PrivateSecret {
    Sm2(sm2::SecretKey),
    Rsa(Box<rsa::pss::SigningKey<Sha256>>),
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Loads a private key from text in any accepted format; the format is detected.
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        match decode_key_text(text)? {
            KeyBytes::Pem { label, der } => match label.as_str() {
                "PRIVATE KEY" => Self::from_pkcs8_der(&der),
                "EC PRIVATE KEY" => Self::from_sec1_der(&der),
                "RSA PRIVATE KEY" => Self::from_pkcs1_der(&der),
                "ENCRYPTED PRIVATE KEY" => Err(KeyError::EncryptedPrivateKey),
                "PUBLIC KEY" | "CERTIFICATE" | "RSA PUBLIC KEY" => {
                    Err(KeyError::PublicKeyGivenForPrivate)
                }
                _ => Err(KeyError::UnsupportedPemLabel(label)),
            },
            KeyBytes::Der { der, from_hex } => {
                if der.len() == 32 && from_hex && rules::ACCEPT_BARE_SM2_HEX {
                    let secret =
                        sm2::SecretKey::from_slice(&der).map_err(|_| KeyError::InvalidSm2Scalar)?;
                    return Self::from_sm2(secret);
                }
                if PrivateKeyInfoRef::from_der(&der).is_ok() {
                    return Self::from_pkcs8_der(&der);
                }
                if let Ok(secret) = sm2::SecretKey::from_sec1_der(&der) {
                    return Self::from_sm2(secret);
                }
                if let Ok(key) = rsa::PrivateKey::from_pkcs1_der(&der) {
                    return Self::from_rsa(key);
                }
                if looks_like_public_key(&der) {
                    return Err(KeyError::PublicKeyGivenForPrivate);
                }
                Err(KeyError::MalformedDer {
                    len: der.len(),
                    expected: "a PKCS#8, SEC1 or PKCS#1 private key",
                })
            }
        }
    }

    fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let info = PrivateKeyInfoRef::from_der(der).map_err(|_| KeyError::MalformedDer {
            len: der.len(),
            expected: "a PKCS#8 private key",
        })?;
        let oid = info.algorithm.oid;
        if oid == OID_EC_PUBLIC_KEY {
            require_sm2_curve(&info.algorithm)?;
            let secret =
                sm2::SecretKey::from_pkcs8_der(der).map_err(|_| KeyError::InvalidSm2Scalar)?;
            Self::from_sm2(secret)
        } else if oid == OID_SM2_CURVE {
            // Some encoders put the SM2 OID itself in the algorithm field; the key is the same.
            let info_der = info.private_key.as_bytes();
            let secret =
                sm2::SecretKey::from_sec1_der(info_der).map_err(|_| KeyError::InvalidSm2Scalar)?;
            Self::from_sm2(secret)
        } else if oid == OID_RSA_ENCRYPTION || oid == OID_RSASSA_PSS {
            let key = rsa::PrivateKey::from_pkcs8_der(der)
                .map_err(|e| KeyError::InvalidRsa(e.to_string()))?;
            Self::from_rsa(key)
        } else {
            Err(KeyError::UnsupportedAlgorithm(oid.to_string()))
        }
    }

    fn from_sec1_der(der: &[u8]) -> Result<Self, KeyError> {
        let secret = sm2::SecretKey::from_sec1_der(der).map_err(|_| KeyError::MalformedDer {
            len: der.len(),
            expected: "a SEC1 SM2 private key",
        })?;
        Self::from_sm2(secret)
    }

    fn from_pkcs1_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = rsa::PrivateKey::from_pkcs1_der(der)
            .map_err(|e| KeyError::InvalidRsa(e.to_string()))?;
        Self::from_rsa(key)
    }

    fn from_sm2(secret: sm2::SecretKey) -> Result<Self, KeyError> {
        let public = PublicKey::from_sm2(secret.public_key())?;
        let pkcs8_pem = secret
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| KeyError::Encoding(e.to_string()))?;
        Ok(PrivateKey {
            secret: PrivateSecret::Sm2(secret),
            public,
            pkcs8_pem,
        })
    }

    fn from_rsa(key: rsa::PrivateKey) -> Result<Self, KeyError> {
        key.validate()
            .map_err(|e| KeyError::InvalidRsa(e.to_string()))?;
        let public = PublicKey::from_rsa(key.to_public_key())?;
        let pkcs8_pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| KeyError::Encoding(e.to_string()))?;
        let signing =
            rsa::pss::SigningKey::<Sha256>::new_with_salt_len(key, rules::RSA_PSS_SALT_LEN);
        Ok(PrivateKey {
            secret: PrivateSecret::Rsa(Box::new(signing)),
            public,
            pkcs8_pem,
        })
    }

    /// A fresh SM2 key from the operating system's random number generator.
    pub fn generate_sm2() -> Result<Self, KeyError> {
        let secret = sm2::SecretKey::try_generate().map_err(|_| KeyError::Random)?;
        Self::from_sm2(secret)
    }

    /// A fresh RSA key of `bits` bits (Huawei's merchant platform wants at least 3072).
    pub fn generate_rsa(bits: usize) -> Result<Self, KeyError> {
        check_rsa_bits(bits)?;
        let key = rsa::PrivateKey::new(&mut getrandom::SysRng, bits)
            .map_err(|e| KeyError::InvalidRsa(e.to_string()))?;
        Self::from_rsa(key)
    }

    pub fn algorithm(&self) -> KeyAlgorithm {
        match self.secret {
            PrivateSecret::Sm2(_) => KeyAlgorithm::Sm2,
            PrivateSecret::Rsa(_) => KeyAlgorithm::RsaPss,
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    /// PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), the form OpenSSL and the Java SDK read.
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        self.pkcs8_pem.clone()
    }

    /// Base64 of the PKCS#8 DER without PEM armour: the form the Java SDK's config stores
    /// (`PETALPAY.MERC_PRIVATE_KEY=MIIJQwIBADAN...`).
    pub fn to_pkcs8_base64(&self) -> Zeroizing<String> {
        let body: String = self
            .pkcs8_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        Zeroizing::new(body)
    }
}

/// A public key that verifies SM2 or RSA-PSS signatures.
#[derive(Clone)]
pub struct PublicKey {
    pub(crate) inner: PublicInner,
    spki_pem: String,
}

#[derive(Clone)]
pub(crate) enum PublicInner {
    /// Bound to the default distinguishing ID (`rules::SM2_DEFAULT_DISTID`).
    Sm2(Box<sm2::dsa::VerifyingKey>),
    Rsa(Box<rsa::pss::VerifyingKey<Sha256>>),
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki_pem == other.spki_pem
    }
}
impl Eq for PublicKey {}

impl PublicKey {
    /// Loads a public key from text in any accepted format; the format is detected.
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        match decode_key_text(text)? {
            KeyBytes::Pem { label, der } => match label.as_str() {
                "PUBLIC KEY" => Self::from_spki_der(&der),
                "CERTIFICATE" => Self::from_certificate_der(&der),
                "RSA PUBLIC KEY" => {
                    let key = rsa::PublicKey::from_pkcs1_der(&der)
                        .map_err(|e| KeyError::InvalidRsa(e.to_string()))?;
                    Self::from_rsa(key)
                }
                "PRIVATE KEY" | "EC PRIVATE KEY" | "RSA PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" => {
                    Err(KeyError::PrivateKeyGivenForPublic)
                }
                _ => Err(KeyError::UnsupportedPemLabel(label)),
            },
            KeyBytes::Der { der, from_hex } => {
                if der.len() == 65 && der.first() == Some(&0x04) {
                    return Self::from_sec1_point(&der);
                }
                if der.len() == 64 && from_hex && rules::ACCEPT_BARE_SM2_HEX {
                    let mut point = Vec::with_capacity(65);
                    point.push(0x04);
                    point.extend_from_slice(&der);
                    return Self::from_sec1_point(&point);
                }
                if SubjectPublicKeyInfoRef::from_der(&der).is_ok() {
                    return Self::from_spki_der(&der);
                }
                if x509_cert::Certificate::from_der(&der).is_ok() {
                    return Self::from_certificate_der(&der);
                }
                if let Ok(key) = rsa::PublicKey::from_pkcs1_der(&der) {
                    return Self::from_rsa(key);
                }
                if PrivateKeyInfoRef::from_der(&der).is_ok() {
                    return Err(KeyError::PrivateKeyGivenForPublic);
                }
                Err(KeyError::MalformedDer {
                    len: der.len(),
                    expected: "an SM2 point, SubjectPublicKeyInfo or X.509 certificate",
                })
            }
        }
    }

    fn from_sec1_point(bytes: &[u8]) -> Result<Self, KeyError> {
        let key = sm2::PublicKey::from_sec1_bytes(bytes).map_err(|_| KeyError::InvalidSm2Point)?;
        Self::from_sm2(key)
    }

    fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let info = SubjectPublicKeyInfoRef::from_der(der).map_err(|_| KeyError::MalformedDer {
            len: der.len(),
            expected: "a SubjectPublicKeyInfo",
        })?;
        let oid = info.algorithm.oid;
        if oid == OID_EC_PUBLIC_KEY {
            require_sm2_curve(&info.algorithm)?;
            let key =
                sm2::PublicKey::from_public_key_der(der).map_err(|_| KeyError::InvalidSm2Point)?;
            Self::from_sm2(key)
        } else if oid == OID_SM2_CURVE {
            // Some encoders put the SM2 OID itself in the algorithm field; the point is the same.
            let point = info
                .subject_public_key
                .as_bytes()
                .ok_or(KeyError::InvalidSm2Point)?;
            Self::from_sec1_point(point)
        } else if oid == OID_RSA_ENCRYPTION || oid == OID_RSASSA_PSS {
            let key = rsa::PublicKey::from_public_key_der(der)
                .map_err(|e| KeyError::InvalidRsa(e.to_string()))?;
            Self::from_rsa(key)
        } else {
            Err(KeyError::UnsupportedAlgorithm(oid.to_string()))
        }
    }

    fn from_certificate_der(der: &[u8]) -> Result<Self, KeyError> {
        let cert = x509_cert::Certificate::from_der(der).map_err(|_| KeyError::MalformedDer {
            len: der.len(),
            expected: "an X.509 certificate",
        })?;
        let spki = cert
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|e| KeyError::Encoding(e.to_string()))?;
        Self::from_spki_der(&spki)
    }

    fn from_sm2(key: sm2::PublicKey) -> Result<Self, KeyError> {
        let verifying = sm2::dsa::VerifyingKey::new(rules::SM2_DEFAULT_DISTID, key)
            .map_err(|_| KeyError::InvalidSm2Point)?;
        let spki_pem = key
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| KeyError::Encoding(e.to_string()))?;
        Ok(PublicKey {
            inner: PublicInner::Sm2(Box::new(verifying)),
            spki_pem,
        })
    }

    fn from_rsa(key: rsa::PublicKey) -> Result<Self, KeyError> {
        check_rsa_bits(key.size().saturating_mul(8))?;
        let spki_pem = key
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| KeyError::Encoding(e.to_string()))?;
        let verifying =
            rsa::pss::VerifyingKey::<Sha256>::new_with_salt_len(key, rules::RSA_PSS_SALT_LEN);
        Ok(PublicKey {
            inner: PublicInner::Rsa(Box::new(verifying)),
            spki_pem,
        })
    }

    pub fn algorithm(&self) -> KeyAlgorithm {
        match self.inner {
            PublicInner::Sm2(_) => KeyAlgorithm::Sm2,
            PublicInner::Rsa(_) => KeyAlgorithm::RsaPss,
        }
    }

    /// SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`): what the merchant platform takes.
    pub fn to_spki_pem(&self) -> String {
        self.spki_pem.clone()
    }

    /// Hex of the uncompressed SM2 point `04‖X‖Y` (the form Huawei's Go sample uses);
    /// `None` for an RSA key.
    pub fn to_sm2_point_hex(&self) -> Option<String> {
        match &self.inner {
            PublicInner::Sm2(key) => Some(hex::encode_upper(key.to_sec1_bytes())),
            PublicInner::Rsa(_) => None,
        }
    }
}

fn check_rsa_bits(bits: usize) -> Result<(), KeyError> {
    if (rules::RSA_MIN_BITS..=rules::RSA_MAX_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(KeyError::RsaKeySize {
            bits,
            min: rules::RSA_MIN_BITS,
            max: rules::RSA_MAX_BITS,
        })
    }
}

fn looks_like_public_key(der: &[u8]) -> bool {
    SubjectPublicKeyInfoRef::from_der(der).is_ok() || x509_cert::Certificate::from_der(der).is_ok()
}

/// Key text reduced to bytes; private key bytes are zeroized when dropped.
enum KeyBytes {
    Pem {
        label: String,
        der: Zeroizing<Vec<u8>>,
    },
    Der {
        der: Zeroizing<Vec<u8>>,
        from_hex: bool,
    },
}

/// PEM (first key block; an `EC PARAMETERS` block before it is skipped), else hex, else Base64.
fn decode_key_text(text: &str) -> Result<KeyBytes, KeyError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(KeyError::Empty);
    }
    if text.contains("-----BEGIN ") {
        // PEM pasted from a JSON string or an env file often carries literal `\n` escapes.
        let unescaped = Zeroizing::new(text.replace("\\n", "\n"));
        return decode_pem(&unescaped);
    }
    let compact: Zeroizing<String> =
        Zeroizing::new(text.chars().filter(|c| !c.is_ascii_whitespace()).collect());
    let compact_hex = compact.strip_prefix("0x").unwrap_or(&compact);
    if compact_hex.len().is_multiple_of(2) && compact_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        let der = hex::decode(compact_hex).map_err(|_| KeyError::UnrecognizedEncoding)?;
        return Ok(KeyBytes::Der {
            der: Zeroizing::new(der),
            from_hex: true,
        });
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| KeyError::UnrecognizedEncoding)?;
    Ok(KeyBytes::Der {
        der: Zeroizing::new(der),
        from_hex: false,
    })
}

fn decode_pem(text: &str) -> Result<KeyBytes, KeyError> {
    let mut rest = text;
    let mut first_label = None;
    while let Some(start) = rest.find("-----BEGIN ") {
        let block = rest.get(start..).unwrap_or_default();
        let label_end = block
            .get(11..)
            .and_then(|b| b.find("-----"))
            .ok_or_else(|| KeyError::InvalidPem("unterminated BEGIN line".into()))?;
        let label = block.get(11..11 + label_end).unwrap_or_default();
        let end_marker = format!("-----END {label}-----");
        let end = block
            .find(&end_marker)
            .ok_or_else(|| KeyError::InvalidPem(format!("no END line for {label:?}")))?;
        rest = block.get(end + end_marker.len()..).unwrap_or_default();
        first_label.get_or_insert_with(|| label.to_owned());
        if label == "EC PARAMETERS" {
            continue;
        }
        // Lenient about line width (Java and Python tools wrap at 76 or not at all), strict
        // about the Base64 itself.
        let body = block.get(11 + label_end + 5..end).unwrap_or_default();
        let base64_text: Zeroizing<String> = Zeroizing::new(
            body.lines()
                .filter(|line| !line.contains(':'))
                .flat_map(|line| line.chars())
                .filter(|c| !c.is_ascii_whitespace())
                .collect(),
        );
        let der = base64::engine::general_purpose::STANDARD
            .decode(base64_text.as_bytes())
            .map_err(|_| {
                KeyError::InvalidPem(format!("the {label:?} block is not valid Base64"))
            })?;
        return Ok(KeyBytes::Pem {
            label: label.to_owned(),
            der: Zeroizing::new(der),
        });
    }
    Err(KeyError::UnsupportedPemLabel(
        first_label.unwrap_or_else(|| "(none)".into()),
    ))
}

/// An `id-ecPublicKey` key is accepted only on the SM2 curve.
fn require_sm2_curve(algorithm: &AlgorithmIdentifierRef<'_>) -> Result<(), KeyError> {
    let curve = algorithm
        .parameters_oid()
        .map_err(|_| KeyError::UnsupportedCurve("(no curve parameter)".into()))?;
    if curve == OID_SM2_CURVE {
        Ok(())
    } else {
        Err(KeyError::UnsupportedCurve(curve.to_string()))
    }
}
