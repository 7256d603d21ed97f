//! SM2 verification on public data only, with the `sm2` crate's own curve arithmetic but the
//! variable-time wNAF multi-scalar multiplication (the `wnaf` crate the curve crates use) instead
//! of the constant-time one the crate's `Verifier` uses, with the window tables of G (once) and
//! of each public key (at load) computed ahead. Nothing secret enters verification, so variable
//! time leaks nothing; this is what lets a callback check beat OpenSSL. Steps B1-B7 of
//! GM/T 0003.2 §7.1; the tests check every result against the crate's own verifier, the GM/T
//! example and OpenSSL.

use std::sync::OnceLock;

use primeorder::PrimeCurveParams;
use sm2::elliptic_curve::consts::U6;
use sm2::elliptic_curve::ff::PrimeField;
use sm2::elliptic_curve::ops::Reduce;
use sm2::elliptic_curve::point::AffineCoordinates;
use sm2::elliptic_curve::sec1::ToSec1Point;
use sm2::{FieldBytes, ProjectivePoint, Scalar, Sm2};
use sm3::{Digest, Sm3};

/// wNAF window 6: 16 precomputed points per base, about 37 additions per 256-bit scalar (7 would
/// overflow the `wnaf` crate's i8 digits).
type Window = U6;
type Table = wnaf::WnafBase<ProjectivePoint, Window>;

fn generator_table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| Table::new(&ProjectivePoint::GENERATOR))
}

/// A public key with its Z value (GM/T 0003.2 §5.5) for one distinguishing ID, computed once.
#[derive(Clone)]
pub(crate) struct Sm2Verifier {
    table: Box<Table>,
    z: [u8; 32],
}

impl Sm2Verifier {
    /// `None` when the ID is too long for its bit length to fit ENTL's 16 bits.
    pub(crate) fn new(public: &sm2::PublicKey, distid: &str) -> Option<Self> {
        let entl = u16::try_from(distid.len().checked_mul(8)?).ok()?;
        let encoded = public.to_sec1_point(false);
        // Uncompressed SEC1: 0x04 ‖ x ‖ y.
        let xy = encoded.as_bytes().get(1..)?;
        let mut z = Sm3::new();
        z.update(entl.to_be_bytes());
        z.update(distid.as_bytes());
        z.update(Sm2::EQUATION_A.to_repr());
        z.update(Sm2::EQUATION_B.to_repr());
        z.update(Sm2::GENERATOR.0.to_repr());
        z.update(Sm2::GENERATOR.1.to_repr());
        z.update(xy);
        Some(Sm2Verifier {
            table: Box::new(Table::new(&public.to_projective())),
            z: z.finalize().into(),
        })
    }

    /// Whether `signature` (r and s already checked to lie in [1, n-1] when it was parsed) is
    /// valid for `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &sm2::dsa::Signature) -> bool {
        // B3-B4: e = SM3(Z ‖ M) reduced mod n.
        let digest: [u8; 32] = Sm3::new()
            .chain_update(self.z)
            .chain_update(message)
            .finalize()
            .into();
        let e = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(digest));
        let (r, s) = signature.split_scalars();
        // B5: t = r + s mod n, t != 0.
        let t = *r + *s;
        if bool::from(t.is_zero()) {
            return false;
        }
        // B6: (x1, y1) = [s]G + [t]P_A, not the point at infinity.
        let s_digits = wnaf::WnafScalar::<Scalar, Window>::new(&s);
        let t_digits = wnaf::WnafScalar::<Scalar, Window>::new(&t);
        let point = Table::multiscalar_mul(
            [(generator_table(), &s_digits), (&*self.table, &t_digits)].into_iter(),
        );
        if point == ProjectivePoint::IDENTITY {
            return false;
        }
        // B7: R = e + x1 mod n must equal r.
        let x1 = <Scalar as Reduce<FieldBytes>>::reduce(&point.to_affine().x());
        *r == e + x1
    }
}
