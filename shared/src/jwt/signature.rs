//! Signature verification with keys parsed once.
//!
//! `jsonwebtoken::crypto::verify` hands its aws-lc-rs provider the key as bytes, and the
//! provider builds the public key from them on every call: for RS256 that is about 28,000 of
//! the 318,000 instructions of a verify, and a fresh Montgomery context for the modulus each
//! time. Here each JWK is parsed by the same backend when its JWKS is loaded, into one
//! [`ParsedPublicKey`] per algorithm it may verify, and a request only verifies. The
//! verification parameters are the ones `jsonwebtoken`'s aws-lc-rs provider picks for each
//! algorithm (`RSA_*_2048_8192_*`, the fixed-size `r || s` ECDSA encodings, Ed25519).

use aws_lc_rs::signature::{self as sig, ParsedPublicKey, RsaParameters, RsaPublicKeyComponents};
use jsonwebtoken::Algorithm;

use super::reasons::JWT_SIGNATURE_INVALID;
use crate::decision::Reason;

/// The RSA parameters of an RSA algorithm.
const fn rsa_parameters(alg: Algorithm) -> Option<&'static RsaParameters> {
    Some(match alg {
        Algorithm::RS256 => &sig::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &sig::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
        Algorithm::PS512 => &sig::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    })
}

/// The key of `alg` with RSA modulus `n` and exponent `e` (big-endian), or `None` when `alg`
/// is not an RSA algorithm or the backend refuses the components.
pub(crate) fn rsa_key(alg: Algorithm, n: &[u8], e: &[u8]) -> Option<ParsedPublicKey> {
    RsaPublicKeyComponents { n, e }.to_parsed_public_key(rsa_parameters(alg)?).ok()
}

/// The ECDSA (`point`: uncompressed, `04 || x || y`) or Ed25519 (`point`: the 32-byte `x`)
/// key of `alg`, or `None` when `alg` is neither or the backend refuses the point (an ECDSA
/// point off its curve; an Ed25519 key is taken as 32 bytes, and a bad one fails at verify).
pub(crate) fn point_key(alg: Algorithm, point: &[u8]) -> Option<ParsedPublicKey> {
    let parameters: &'static dyn sig::VerificationAlgorithm = match alg {
        Algorithm::ES256 => &sig::ECDSA_P256_SHA256_FIXED,
        Algorithm::ES384 => &sig::ECDSA_P384_SHA384_FIXED,
        Algorithm::EdDSA => &sig::ED25519,
        _ => return None,
    };
    ParsedPublicKey::new(parameters, point).ok()
}

/// Verifies `signature` over `message` with `key` (which fixes the algorithm).
pub(crate) fn verify(key: &ParsedPublicKey, message: &[u8], signature: &[u8]) -> Result<(), Reason> {
    key.verify_sig(message, signature).map_err(|_| JWT_SIGNATURE_INVALID)
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::DecodingKey;
    use jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;

    use super::*;

    /// `jsonwebtoken`'s own verdict, through its aws-lc-rs provider.
    fn jsonwebtoken_accepts(alg: Algorithm, key: &DecodingKey, message: &[u8], signature: &[u8]) -> bool {
        let _ = DEFAULT_PROVIDER.install_default();
        jsonwebtoken::crypto::verify(&URL_SAFE_NO_PAD.encode(signature), message, key, alg).is_ok_and(|ok| ok)
    }

    /// Every algorithm we accept, signed by the backend: each signature verifies here and
    /// through `jsonwebtoken`'s provider with the same key, and a flipped bit or another message
    /// fails both, so the two agree on each algorithm's parameters (PKCS#1 v1.5 vs PSS, digest,
    /// the ECDSA encoding).
    #[test]
    fn agrees_with_jsonwebtoken_on_every_algorithm() {
        let rng = SystemRandom::new();
        let message = b"header.claims";
        let rsa = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap_or_else(|e| panic!("{e}"));
        let components = rsa.public_key();
        let n = components.modulus().big_endian_without_leading_zero();
        let e = components.exponent().big_endian_without_leading_zero();
        let ecdsa = |alg: &'static sig::EcdsaSigningAlgorithm| {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap_or_else(|e| panic!("{e}"));
            let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref()).unwrap_or_else(|e| panic!("{e}"));
            let signature = pair.sign(&rng, message).unwrap_or_else(|e| panic!("{e}"));
            (pair.public_key().as_ref().to_vec(), signature.as_ref().to_vec())
        };
        let ed_pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap_or_else(|e| panic!("{e}"));
        let ed = Ed25519KeyPair::from_pkcs8(ed_pkcs8.as_ref()).unwrap_or_else(|e| panic!("{e}"));

        use Algorithm::*;
        for alg in [RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA] {
            let (decoding, parsed, mut signature) = match alg {
                ES256 | ES384 => {
                    let (point, signature) = ecdsa(if alg == ES256 {
                        &sig::ECDSA_P256_SHA256_FIXED_SIGNING
                    } else {
                        &sig::ECDSA_P384_SHA384_FIXED_SIGNING
                    });
                    (DecodingKey::from_ec_der(&point), point_key(alg, &point), signature)
                }
                EdDSA => {
                    let x = ed.public_key().as_ref();
                    (DecodingKey::from_ed_der(x), point_key(alg, x), ed.sign(message).as_ref().to_vec())
                }
                _ => {
                    let padding: &'static dyn sig::RsaEncoding = match alg {
                        RS256 => &sig::RSA_PKCS1_SHA256,
                        RS384 => &sig::RSA_PKCS1_SHA384,
                        RS512 => &sig::RSA_PKCS1_SHA512,
                        PS256 => &sig::RSA_PSS_SHA256,
                        PS384 => &sig::RSA_PSS_SHA384,
                        _ => &sig::RSA_PSS_SHA512,
                    };
                    let mut signature = vec![0; rsa.public_modulus_len()];
                    rsa.sign(padding, &rng, message, &mut signature).unwrap_or_else(|e| panic!("{e}"));
                    (DecodingKey::from_rsa_raw_components(n, e), rsa_key(alg, n, e), signature)
                }
            };
            let key = parsed.unwrap_or_else(|| panic!("{alg:?}: key refused"));
            assert!(jsonwebtoken_accepts(alg, &decoding, message, &signature), "{alg:?}");
            assert_eq!(verify(&key, message, &signature), Ok(()), "{alg:?}");
            assert!(!jsonwebtoken_accepts(alg, &decoding, b"another", &signature), "{alg:?}");
            assert_eq!(verify(&key, b"another", &signature), Err(JWT_SIGNATURE_INVALID), "{alg:?}");
            if let Some(b) = signature.last_mut() {
                *b ^= 1;
            }
            assert!(!jsonwebtoken_accepts(alg, &decoding, message, &signature), "{alg:?}");
            assert_eq!(verify(&key, message, &signature), Err(JWT_SIGNATURE_INVALID), "{alg:?}");
        }
    }

    /// A PKCS#1 v1.5 signature is not a PSS one and the other way round, for the same key.
    #[test]
    fn rsa_padding_is_fixed_by_the_algorithm() {
        let rng = SystemRandom::new();
        let rsa = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap_or_else(|e| panic!("{e}"));
        let n = rsa.public_key().modulus().big_endian_without_leading_zero().to_vec();
        let e = rsa.public_key().exponent().big_endian_without_leading_zero().to_vec();
        let mut pkcs1 = vec![0; rsa.public_modulus_len()];
        rsa.sign(&sig::RSA_PKCS1_SHA256, &rng, b"m", &mut pkcs1).unwrap_or_else(|e| panic!("{e}"));
        let key = |alg| rsa_key(alg, &n, &e).unwrap_or_else(|| panic!("{alg:?}"));
        assert_eq!(verify(&key(Algorithm::RS256), b"m", &pkcs1), Ok(()));
        assert_eq!(verify(&key(Algorithm::PS256), b"m", &pkcs1), Err(JWT_SIGNATURE_INVALID));
        assert_eq!(verify(&key(Algorithm::RS384), b"m", &pkcs1), Err(JWT_SIGNATURE_INVALID));
    }

    /// Every RSA algorithm takes moduli of 2048 to 8192 bits at verify time, whatever the
    /// loader lets through.
    #[test]
    fn rsa_moduli_are_2048_to_8192_bits() {
        use Algorithm::*;
        for alg in [RS256, RS384, RS512, PS256, PS384, PS512] {
            let parameters = rsa_parameters(alg).unwrap_or_else(|| panic!("{alg:?}"));
            assert_eq!((parameters.min_modulus_len(), parameters.max_modulus_len()), (2048, 8192), "{alg:?}");
        }
        assert!(rsa_parameters(ES256).is_none() && rsa_parameters(HS256).is_none());
    }

    #[test]
    fn refuses_keys_of_another_family_and_points_off_the_curve() {
        assert!(rsa_key(Algorithm::ES256, &[0xc5; 256], &[1, 0, 1]).is_none());
        assert!(rsa_key(Algorithm::HS256, &[0xc5; 256], &[1, 0, 1]).is_none());
        assert!(point_key(Algorithm::RS256, &[4; 65]).is_none());
        assert!(point_key(Algorithm::HS256, &[4; 65]).is_none());
        let mut off_curve = vec![4u8];
        off_curve.extend([7u8; 64]);
        assert!(point_key(Algorithm::ES256, &off_curve).is_none());
        assert!(point_key(Algorithm::ES256, &[4; 33]).is_none());
    }
}
