//! The reason codes of JWT authentication. All are `Unauthorized` (401) except
//! [`JWKS_UNAVAILABLE`] and [`JWT_CRYPTO_SELF_TEST_FAILED`], faults (deny).

use crate::decision::Reason;

/// No issuer is configured, so no token can be verified.
pub const JWT_NOT_CONFIGURED: Reason = Reason::new("jwt_not_configured");
/// Longer than 8 KiB; refused before any decoding.
pub const JWT_TOO_LARGE: Reason = Reason::new("jwt_too_large");
/// The JWS JSON serialization; only the compact one is accepted.
pub const JWT_NOT_COMPACT: Reason = Reason::new("jwt_not_compact");
/// Not three dot-separated base64url parts.
pub const JWT_MALFORMED: Reason = Reason::new("jwt_malformed");
/// Padding, `+`/`/`, a bad length or non-zero trailing bits.
pub const JWT_BAD_BASE64: Reason = Reason::new("jwt_bad_base64");
/// Header or claims are not one JSON object with unique member names.
pub const JWT_BAD_JSON: Reason = Reason::new("jwt_bad_json");
/// The signature part is empty.
pub const JWT_SIGNATURE_MISSING: Reason = Reason::new("jwt_signature_missing");
/// `alg: none`, in any letter case.
pub const JWT_ALG_NONE: Reason = Reason::new("jwt_alg_none");
/// Missing, symmetric, unknown, or not in the issuer's allowlist.
pub const JWT_ALG_NOT_ALLOWED: Reason = Reason::new("jwt_alg_not_allowed");
/// A header parameter of the wrong JSON type.
pub const JWT_HEADER_INVALID: Reason = Reason::new("jwt_header_invalid");
/// `jwk`, `jku`, `x5u` or `x5c` in the header.
pub const JWT_EMBEDDED_KEY: Reason = Reason::new("jwt_embedded_key");
/// A `crit` header: we implement no extension.
pub const JWT_CRIT_UNSUPPORTED: Reason = Reason::new("jwt_crit_unsupported");
/// `enc`, `zip`, `b64` or `cty`: encrypted, compressed, unencoded or nested tokens.
pub const JWT_HEADER_UNSUPPORTED: Reason = Reason::new("jwt_header_unsupported");
/// `typ` is not the one pinned for the issuer.
pub const JWT_TYP_MISMATCH: Reason = Reason::new("jwt_typ_mismatch");
pub const JWT_KID_MISSING: Reason = Reason::new("jwt_kid_missing");
/// Empty, longer than 256 bytes, not printable ASCII, or not a string.
pub const JWT_KID_INVALID: Reason = Reason::new("jwt_kid_invalid");
/// No key with this `kid`, even after a refetch (or a refetch was not due).
pub const JWT_KID_UNKNOWN: Reason = Reason::new("jwt_kid_unknown");
/// The JWK's `kty`/`crv`, `alg`, `use` or `key_ops` disagree with the token's `alg`.
pub const JWT_KEY_MISMATCH: Reason = Reason::new("jwt_key_mismatch");
pub const JWT_SIGNATURE_INVALID: Reason = Reason::new("jwt_signature_invalid");
pub const JWT_ISS_MISSING: Reason = Reason::new("jwt_iss_missing");
pub const JWT_ISS_UNTRUSTED: Reason = Reason::new("jwt_iss_untrusted");
/// A registered or used claim of the wrong JSON type (e.g. a string `exp`).
pub const JWT_CLAIM_TYPE: Reason = Reason::new("jwt_claim_type");
/// A scope or group that the context could not carry as itself: scopes reach it joined with
/// spaces and groups with commas, so an `scp` entry that is empty or holds whitespace, or a
/// group that is empty or holds a comma, would read as other scopes or groups there.
pub const JWT_CLAIM_VALUE: Reason = Reason::new("jwt_claim_value");
pub const JWT_EXP_MISSING: Reason = Reason::new("jwt_exp_missing");
pub const JWT_EXPIRED: Reason = Reason::new("jwt_expired");
/// `nbf` is later than now plus the leeway.
pub const JWT_NOT_YET_VALID: Reason = Reason::new("jwt_not_yet_valid");
/// `iat` is later than now plus the leeway.
pub const JWT_IAT_FUTURE: Reason = Reason::new("jwt_iat_future");
/// The token is good for longer than the configured maximum lifetime: `exp` too far after
/// now, or after `iat`.
pub const JWT_LIFETIME_TOO_LONG: Reason = Reason::new("jwt_lifetime_too_long");
pub const JWT_AUD_MISSING: Reason = Reason::new("jwt_aud_missing");
pub const JWT_AUD_MISMATCH: Reason = Reason::new("jwt_aud_mismatch");
/// Cognito: `token_use` is not the configured one (e.g. an ID token where access tokens
/// are required).
pub const JWT_TOKEN_USE_MISMATCH: Reason = Reason::new("jwt_token_use_mismatch");
/// Cognito access token without `client_id`.
pub const JWT_CLIENT_ID_MISSING: Reason = Reason::new("jwt_client_id_missing");
/// Cognito access token whose `client_id` is not an accepted app client.
pub const JWT_CLIENT_ID_MISMATCH: Reason = Reason::new("jwt_client_id_mismatch");
/// The configured principal claim is missing or empty.
pub const JWT_PRINCIPAL_MISSING: Reason = Reason::new("jwt_principal_missing");
/// The issuer's JWKS could not be fetched (down, hanging, oversize, unparsable) and the
/// key was not in the cache: a fault, so a deny.
pub const JWKS_UNAVAILABLE: Reason = Reason::new("jwks_unavailable");
/// The known-answer test of the token's algorithm family failed in this process: the
/// signature backend cannot be trusted, so a fault (deny).
pub const JWT_CRYPTO_SELF_TEST_FAILED: Reason = Reason::new("jwt_crypto_self_test_failed");

/// Every code above, for tests and documentation.
pub const ALL: &[Reason] = &[
    JWT_NOT_CONFIGURED,
    JWT_TOO_LARGE,
    JWT_NOT_COMPACT,
    JWT_MALFORMED,
    JWT_BAD_BASE64,
    JWT_BAD_JSON,
    JWT_SIGNATURE_MISSING,
    JWT_ALG_NONE,
    JWT_ALG_NOT_ALLOWED,
    JWT_HEADER_INVALID,
    JWT_EMBEDDED_KEY,
    JWT_CRIT_UNSUPPORTED,
    JWT_HEADER_UNSUPPORTED,
    JWT_TYP_MISMATCH,
    JWT_KID_MISSING,
    JWT_KID_INVALID,
    JWT_KID_UNKNOWN,
    JWT_KEY_MISMATCH,
    JWT_SIGNATURE_INVALID,
    JWT_ISS_MISSING,
    JWT_ISS_UNTRUSTED,
    JWT_CLAIM_TYPE,
    JWT_CLAIM_VALUE,
    JWT_EXP_MISSING,
    JWT_EXPIRED,
    JWT_NOT_YET_VALID,
    JWT_IAT_FUTURE,
    JWT_LIFETIME_TOO_LONG,
    JWT_AUD_MISSING,
    JWT_AUD_MISMATCH,
    JWT_TOKEN_USE_MISMATCH,
    JWT_CLIENT_ID_MISSING,
    JWT_CLIENT_ID_MISMATCH,
    JWT_PRINCIPAL_MISSING,
    JWKS_UNAVAILABLE,
    JWT_CRYPTO_SELF_TEST_FAILED,
];
