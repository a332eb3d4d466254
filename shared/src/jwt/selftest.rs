//! Known-answer self-tests of the signature backend, in the manner of FIPS 140-3's
//! conditional algorithm self-tests: before the first signature of an algorithm family
//! (RSA, ECDSA, EdDSA) is trusted, a fixed signature made offline must verify and the same
//! signature with one bit flipped must not. Each family is tested once per process, when a
//! token first needs it, so a cold start pays only for the families its traffic uses (a
//! P-256 verification pair alone costs about 1.4 million instructions). A family whose
//! test failed stays failed: every token of it is denied as a fault, and the failure is
//! logged once.
//!
//! The vectors need no randomness, so the tests never initialise aws-lc's entropy source
//! (about 400 million instructions of jitter sampling), which a JWT deployment with a
//! bundled JWKS then never needs at all.

use std::sync::OnceLock;

use aws_lc_rs::signature::ParsedPublicKey;
use jsonwebtoken::Algorithm;

use super::signature::{point_key, rsa_key, verify};

const MESSAGE: &[u8] = b"zero-trust authorizer self-test";
/// RSA-2048, e = 65537, PKCS#1 v1.5 with SHA-256 (RS256).
const RSA_MODULUS: &str = "c80c7465e56738deb7ede7e31bdb3a30728f53aa2b3e00a376667ca39f87d108\
                          c1a01a2e23a93bcd9c0e66b564322f14bfff944af6e4a5f6f00e1d058ebd2895\
                          d1b76c335fd4e2f6783de1ee4ada3710c9b6021c895b35bcc08bd5774c28e769\
                          86b3686071268b32eb46cfe13a4a9aee67be59e4a90aaef0954fbfc9cf9facd7\
                          5dbd431fdd9715804aa6f562a6f60830d837c6c445beb28b8e88641caac4bbe0\
                          5c2f6bc65e319b3407f86dc55648b64deeca0249cd4db93a752ffd75bcef2680\
                          7f5517000ce4f76b6fae4ce8cf2bf01580ebe60e0c7ac40e54cf67891621d9a2\
                          8b283307fdb6a496b65c7f7162eccb687b7e8d81f474d1388a333a00e5a2504f";
const RSA_SIGNATURE: &str = "633430d9bfc51fba9d4c5a76a501f22f139ef30ef7ead1d68b21e5fe7be111f4\
                            01f41f1b05b03049dc1642a01691f7d351edddec3b3e44b6fa6dd34ec5ab1d57\
                            be8602ce6bbda20813aa3dbbb1e99ab15ec6e0f9c33456f20027f4db90b87e2b\
                            0ab0b1a7ba25ba5ebe752555eb0a948557816c7621ac3be8f1c68ea63077dd93\
                            268d5494b95e16a01b9749379a782fb4243a71f3236965ad38e1707b3a78cf98\
                            aeeed093b9ecd0b90f21154b1273a5c990afe20a019dd59753e7cbd8095c8ff4\
                            c0df3b3857bea7b12be4553d157284dbfcb76b482b5841bd2916ad9acd39bbb8\
                            a98232ecb25783c9584a90e0c549d19934e43b28e48869b7057f0d025374f11b";
const ED25519_PUBLIC: &str = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
const ED25519_SIGNATURE: &str = "75a4ca3fcd47ffcd307b7626aa9f21419bf7a6f49fd3fae71c62ca362dfb6236\
                                 e72e0cc9b3312da7c66e8de7f37b581890250016efbbfa7fcf4062b7b9f7380f";
/// P-256, uncompressed point; the signature is the fixed-size `r || s` of ES256.
const P256_PUBLIC: &str = "04471c3e758c4904285bba7e53118ed0f524adeb0757d25bd2f8e7b0d76dfa714c\
                           dd520f7aca8a8b917acc37f51de8f0c9bbe3ad858382e702dc25a12d09f7a858";
const P256_SIGNATURE: &str = "b5721958350dc2074a7dcc8aac39b2df65d89f30ec4be6a4161d177858a0fafb\
                              ade3715a346085a69212c9e15f5fdc5c5a97d28ece5f6487a32fd07d936386c8";

/// The algorithm families that share verification code in the backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Rsa,
    Ecdsa,
    EdDsa,
}

impl Family {
    #[cfg(test)]
    pub const ALL: [Family; 3] = [Family::Rsa, Family::Ecdsa, Family::EdDsa];

    /// The family of an asymmetric algorithm; `None` for HMAC, which is never accepted, and
    /// for any algorithm a later `jsonwebtoken` adds until it is given a test here.
    pub const fn of(alg: Algorithm) -> Option<Family> {
        match alg {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => Some(Family::Rsa),
            Algorithm::ES256 | Algorithm::ES384 => Some(Family::Ecdsa),
            Algorithm::EdDSA => Some(Family::EdDsa),
            _ => None,
        }
    }

    const fn index(self) -> usize {
        self as usize
    }

    const fn name(self) -> &'static str {
        match self {
            Family::Rsa => "rsa",
            Family::Ecdsa => "ecdsa",
            Family::EdDsa => "eddsa",
        }
    }
}

fn unhex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| pair.iter().fold(0u8, |acc, d| (acc << 4) | (*d as char).to_digit(16).map_or(0, |v| v as u8)))
        .collect()
}

/// Runs `family`'s known-answer test now: the valid signature verifies, a flipped bit fails.
pub fn run(family: Family) -> Result<(), String> {
    let (key, signature) = match family {
        Family::Rsa => (rsa_key(Algorithm::RS256, &unhex(RSA_MODULUS), &[1, 0, 1]), RSA_SIGNATURE),
        Family::Ecdsa => (point_key(Algorithm::ES256, &unhex(P256_PUBLIC)), P256_SIGNATURE),
        Family::EdDsa => (point_key(Algorithm::EdDSA, &unhex(ED25519_PUBLIC)), ED25519_SIGNATURE),
    };
    known_answer(family.name(), key.as_ref(), &unhex(signature))
}

/// The test itself: `key` (`None` when the backend refused it) verifies `signature` over
/// [`MESSAGE`], and not the same signature with its last bit flipped.
fn known_answer(name: &str, key: Option<&ParsedPublicKey>, signature: &[u8]) -> Result<(), String> {
    let key = key.ok_or_else(|| format!("{name}: the backend refused the test key"))?;
    if verify(key, MESSAGE, signature).is_err() {
        return Err(format!("{name}: a valid signature did not verify"));
    }
    let mut corrupted = signature.to_vec();
    if let Some(b) = corrupted.last_mut() {
        *b ^= 1;
    }
    if verify(key, MESSAGE, &corrupted).is_ok() {
        return Err(format!("{name}: a corrupted signature verified"));
    }
    Ok(())
}

static PASSED: [OnceLock<bool>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];

/// Whether signatures of `alg`'s family may be trusted: runs the family's test the first time
/// it is asked, then answers from memory. `false` for HMAC.
pub fn passed(alg: Algorithm) -> bool {
    let Some(family) = Family::of(alg) else { return false };
    let Some(slot) = PASSED.get(family.index()) else { return false };
    *slot.get_or_init(|| match run(family) {
        Ok(()) => true,
        Err(error) => {
            tracing::error!(family = family.name(), %error, "crypto self-test failed: tokens of this family are denied");
            false
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_passes_its_known_answer_test() {
        for family in Family::ALL {
            assert_eq!(run(family), Ok(()), "{family:?}");
        }
        assert!(passed(Algorithm::PS384));
        assert!(passed(Algorithm::ES384));
        assert!(passed(Algorithm::EdDSA));
    }

    #[test]
    fn hmac_is_never_trusted() {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            assert!(!passed(alg));
        }
    }

    /// Each way the test can fail says which, and fails.
    #[test]
    fn the_known_answer_test_fails_on_a_refused_key_or_a_wrong_answer() {
        let key = rsa_key(Algorithm::RS256, &unhex(RSA_MODULUS), &[1, 0, 1]);
        let good = unhex(RSA_SIGNATURE);
        assert_eq!(known_answer("RSA", key.as_ref(), &good), Ok(()));
        assert_eq!(known_answer("RSA", None, &good), Err("RSA: the backend refused the test key".to_owned()));
        let mut wrong = good.clone();
        wrong[7] ^= 0x10;
        assert_eq!(known_answer("RSA", key.as_ref(), &wrong), Err("RSA: a valid signature did not verify".to_owned()));
        // An ECDSA key given the RSA vector: another family's answer never passes.
        let p256 = point_key(Algorithm::ES256, &unhex(P256_PUBLIC));
        assert!(known_answer("ECDSA", p256.as_ref(), &good).is_err());
    }

    #[test]
    fn a_wrong_vector_fails() {
        let key = rsa_key(Algorithm::RS256, &unhex(RSA_MODULUS), &[1, 0, 1]).unwrap_or_else(|| panic!("rsa key"));
        let mut signature = unhex(RSA_SIGNATURE);
        assert!(verify(&key, MESSAGE, &signature).is_ok());
        signature[0] ^= 0x80;
        assert!(verify(&key, MESSAGE, &signature).is_err());
        assert!(verify(&key, b"another message", &unhex(RSA_SIGNATURE)).is_err());
    }
}
