//! JSON Web Key Sets: parsing the keys we can use, and one cache per issuer that lives as long
//! as the container.
//!
//! A known `kid` is a read lock and a map lookup. An unknown `kid` may trigger one refetch per
//! issuer per refresh interval; concurrent misses wait for the same fetch; a failed fetch keeps
//! every cached key working (stale on error) and denies only the unknown `kid`. A set older
//! than its maximum age is refetched by the next token that names a key of it (while that
//! fetch runs, other tokens use the cached keys): a key the issuer withdrew stops verifying
//! within the maximum age, even when no new `kid` appears to trigger a refetch.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use aws_lc_rs::signature::ParsedPublicKey;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde::Deserialize;
use serde_json::Value;
use tokio::time::Instant;

use super::fetch::JwksFetcher;
use super::json;
use super::reasons::{JWKS_UNAVAILABLE, JWT_KEY_MISMATCH, JWT_KID_UNKNOWN};
use super::signature::{point_key, rsa_key};
use crate::decision::{Reason, Rejection};

/// The key types we verify with, and the curve where there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyType {
    Rsa,
    P256,
    P384,
    Ed25519,
}

impl KeyType {
    /// The algorithms a key of this type verifies.
    const fn algorithms(self) -> &'static [Algorithm] {
        use Algorithm::*;
        match self {
            KeyType::Rsa => &[RS256, RS384, RS512, PS256, PS384, PS512],
            KeyType::P256 => &[ES256],
            KeyType::P384 => &[ES384],
            KeyType::Ed25519 => &[EdDSA],
        }
    }
}

/// One public verification key from a JWKS, parsed by the signature backend once for each
/// algorithm it may verify: those of its type, narrowed to its own `alg` when it names one;
/// none when its `use` or `key_ops` rule signatures out (`use` absent or `sig`, `key_ops`
/// absent or holding `verify`). Such a key stays in the set, so that a token naming it is
/// told `jwt_key_mismatch` rather than `jwt_kid_unknown`.
#[derive(Debug)]
pub(crate) struct JwkKey {
    parsed: Vec<(Algorithm, ParsedPublicKey)>,
}

impl JwkKey {
    /// The key to verify a token of `alg` with (which already passed the issuer's allowlist):
    /// the JWK must agree with it.
    pub(crate) fn for_alg(&self, alg: Algorithm) -> Result<&ParsedPublicKey, Reason> {
        self.parsed.iter().find(|(a, _)| *a == alg).map(|(_, key)| key).ok_or(JWT_KEY_MISMATCH)
    }
}

/// The usable keys of one JWKS, by `kid`.
pub(crate) type KeySet = HashMap<String, Arc<JwkKey>>;

#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    key_ops: Option<Vec<String>>,
    n: Option<String>,
    e: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    d: Option<Value>,
}

/// A JWK's public key material, as the signature backend takes it.
enum Material {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// An uncompressed EC point (`04 || x || y`) or an Ed25519 `x`.
    Point(Vec<u8>),
}

impl Material {
    fn parse(&self, alg: Algorithm) -> Option<ParsedPublicKey> {
        match self {
            Material::Rsa { n, e } => rsa_key(alg, n, e),
            Material::Point(point) => point_key(alg, point),
        }
    }
}

fn b64(field: Option<&String>) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(field?).ok()
}

fn without_leading_zeros(mut bytes: Vec<u8>) -> Vec<u8> {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    bytes.drain(..zeros);
    bytes
}

fn rsa_modulus_bits(n: &[u8]) -> usize {
    let n = n.iter().position(|&b| b != 0).and_then(|i| n.get(i..)).unwrap_or_default();
    n.first().map_or(0, |&top| (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize))
}

/// What aws-lc requires of a public key's components but checks only at verify time (so
/// that a broken key would otherwise count as usable and could replace the cached keys): an
/// odd modulus, an odd exponent from 3 to 2^33 - 1. Both without leading zero octets.
fn rsa_components_plausible(n: &[u8], e: &[u8]) -> bool {
    let n_odd = n.last().is_some_and(|b| b & 1 == 1);
    let exponent = (1..=5).contains(&e.len()).then(|| e.iter().fold(0u64, |v, &b| v << 8 | u64::from(b)));
    n_odd && exponent.is_some_and(|e| e & 1 == 1 && (3..1 << 33).contains(&e))
}

/// A key, or `None` for keys we never verify with: symmetric (`oct`), private, unknown types
/// and curves, RSA under 2048 bits, malformed coordinates, and keys the backend refuses for
/// an algorithm they would serve (RSA components it rejects, an EC point off its curve). A
/// key that serves none of `accepted` is kept unparsed (see [`JwkKey`]).
fn key_from_raw(raw: &RawJwk, accepted: &[Algorithm]) -> Option<(String, JwkKey)> {
    let kid = raw.kid.clone().filter(|k| !k.is_empty())?;
    if raw.d.is_some() {
        return None;
    }
    let alg = match raw.alg.as_deref() {
        None => None,
        Some(name) => Some(super::config::algorithm_from_name(name)?),
    };
    let for_signatures = raw.use_.as_deref().is_none_or(|u| u == "sig")
        && raw.key_ops.as_ref().is_none_or(|ops| ops.iter().any(|o| o == "verify"));
    let (kty, material) = match (raw.kty.as_str(), raw.crv.as_deref()) {
        ("RSA", _) => {
            // RFC 7518 wants both without leading zero octets; some issuers send a modulus
            // with one (the same integer), which the backend would refuse.
            let (n, e) = (without_leading_zeros(b64(raw.n.as_ref())?), without_leading_zeros(b64(raw.e.as_ref())?));
            if !(2048..=8192).contains(&rsa_modulus_bits(&n)) || !rsa_components_plausible(&n, &e) {
                return None;
            }
            (KeyType::Rsa, Material::Rsa { n, e })
        }
        ("EC", Some(crv @ ("P-256" | "P-384"))) => {
            let (kty, len) = if crv == "P-256" { (KeyType::P256, 32) } else { (KeyType::P384, 48) };
            let (x, y) = (b64(raw.x.as_ref())?, b64(raw.y.as_ref())?);
            if x.len() != len || y.len() != len {
                return None;
            }
            let mut point = Vec::with_capacity(1 + 2 * len);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            (kty, Material::Point(point))
        }
        ("OKP", Some("Ed25519")) => (KeyType::Ed25519, Material::Point(b64(raw.x.as_ref()).filter(|x| x.len() == 32)?)),
        _ => return None,
    };
    let usable = |a: &Algorithm| for_signatures && alg.is_none_or(|alg| alg == *a) && accepted.contains(a);
    let algorithms = kty.algorithms().iter().copied().filter(usable);
    let parsed = algorithms.map(|a| Some((a, material.parse(a)?))).collect::<Option<Vec<_>>>()?;
    Some((kid, JwkKey { parsed }))
}

/// Parses a JWKS document, each key for the algorithms of `accepted` (the issuer's
/// allowlist) it may verify. Keys we cannot use are skipped; a `kid` of two keys that both
/// verify something is dropped (which of the two is meant cannot be known). A document without a key that
/// verifies any of `accepted` is an error, so that a broken or foreign endpoint never
/// replaces the cached keys.
pub(crate) fn parse_jwks(bytes: &[u8], accepted: &[Algorithm]) -> Result<KeySet, String> {
    let doc = json::parse_object(bytes).ok_or("jwks is not a json object with unique member names")?;
    let Some(Value::Array(keys)) = doc.get("keys") else {
        return Err("jwks has no keys array".to_owned());
    };
    let mut set = KeySet::new();
    let mut duplicated: Vec<String> = Vec::new();
    for (kid, key) in keys.iter().filter_map(|k| key_from_raw(&RawJwk::deserialize(k).ok()?, accepted)) {
        // RFC 7517 lets keys of different uses share a `kid` (a signing key and its
        // encryption twin): only two keys that both verify something are ambiguous.
        match set.get(&kid) {
            Some(_) if key.parsed.is_empty() => {}
            Some(kept) if !kept.parsed.is_empty() => duplicated.push(kid),
            _ => {
                set.insert(kid, Arc::new(key));
            }
        }
    }
    for kid in &duplicated {
        set.remove(kid);
    }
    if set.values().all(|key| key.parsed.is_empty()) {
        return Err(format!(
            "jwks has no usable signature key for the issuer's algorithms {accepted:?} among {} keys",
            keys.len()
        ));
    }
    Ok(set)
}

/// Where and how one issuer's JWKS is refetched.
#[derive(Debug)]
pub(crate) struct Source<'a> {
    pub issuer: &'a str,
    pub uri: &'a str,
    /// The issuer's allowlist: keys are parsed for these algorithms only.
    pub algorithms: &'a [Algorithm],
    pub fetcher: &'a dyn JwksFetcher,
    /// Minimum seconds between two refetches.
    pub refresh_secs: u64,
    /// Age of the cached set after which the next token refetches it.
    pub max_age_secs: u64,
    /// Budget for waiting on a fetch in progress plus fetching.
    pub timeout: Duration,
}

#[derive(Debug, Default)]
struct RefreshState {
    /// `now` (Unix seconds) of the last fetch attempt.
    last_attempt: Option<u64>,
    last_failed: bool,
}

/// The cached keys and when they were loaded.
#[derive(Debug)]
struct Loaded {
    set: Arc<KeySet>,
    /// `now` (Unix seconds, the clock decisions are made with) of the load, or [`UNSET`]
    /// for a set loaded at init (bundled, or fetched before any token): its age starts with
    /// the first token that uses it.
    at: AtomicU64,
}

/// [`Loaded::at`] of a set whose age has not started.
const UNSET: u64 = u64::MAX;

impl Loaded {
    fn new(set: KeySet, at: u64) -> Self {
        Self { set: Arc::new(set), at: AtomicU64::new(at) }
    }

    /// Whether the set is older than `max_age` at `now` (a clock that went back is not); the
    /// first call on a set loaded at init starts its age.
    fn stale(&self, now: u64, max_age: u64) -> bool {
        let at = self.at.load(Ordering::Relaxed);
        if at == UNSET {
            let _ = self.at.compare_exchange(UNSET, now, Ordering::Relaxed, Ordering::Relaxed);
            return false;
        }
        now.saturating_sub(at) >= max_age
    }
}

impl Default for Loaded {
    fn default() -> Self {
        Self::new(KeySet::new(), UNSET)
    }
}

/// One issuer's keys.
#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    keys: RwLock<Loaded>,
    refresh: tokio::sync::Mutex<RefreshState>,
}

impl RefreshState {
    /// Whether a fetch may start at `now`: at most one per `refresh_secs`.
    fn due(&self, now: u64, refresh_secs: u64) -> bool {
        self.last_attempt.is_none_or(|last| now < last || now - last >= refresh_secs)
    }
}

impl KeyCache {
    /// A cache holding `initial` (loaded at init: its age starts with the first token).
    pub(crate) fn new(initial: KeySet) -> Self {
        Self { keys: RwLock::new(Loaded::new(initial, UNSET)), refresh: tokio::sync::Mutex::default() }
    }

    fn get(&self, kid: &str) -> Option<Arc<JwkKey>> {
        self.keys.read().unwrap_or_else(PoisonError::into_inner).set.get(kid).cloned()
    }

    /// The key for `kid`, and whether the set it is in has reached `max_age` at `now`.
    fn lookup(&self, kid: &str, now: u64, max_age: u64) -> Option<(Arc<JwkKey>, bool)> {
        let loaded = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        loaded.set.get(kid).map(|key| (Arc::clone(key), loaded.stale(now, max_age)))
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.read().unwrap_or_else(PoisonError::into_inner).set.len()
    }

    /// The key for `kid`, refetching the JWKS when the `kid` is unknown, or its set has
    /// reached the maximum age, and a refetch is due.
    pub(crate) async fn key_for(&self, kid: &str, now: u64, source: &Source<'_>) -> Result<Arc<JwkKey>, Rejection> {
        match self.lookup(kid, now, source.max_age_secs) {
            Some((key, false)) => return Ok(key),
            Some((key, true)) => return self.revalidate(kid, key, now, source).await,
            None => {}
        }
        let deadline = Instant::now() + source.timeout;
        let Ok(mut state) = tokio::time::timeout_at(deadline, self.refresh.lock()).await else {
            return Err(Rejection::fault(JWKS_UNAVAILABLE));
        };
        // A fetch that finished while we waited may have brought the key.
        if let Some(key) = self.get(kid) {
            return Ok(key);
        }
        if !state.due(now, source.refresh_secs) {
            let reason = if state.last_failed { JWKS_UNAVAILABLE } else { JWT_KID_UNKNOWN };
            return Err(if state.last_failed { Rejection::fault(reason) } else { Rejection::unauthenticated(reason) });
        }
        if !self.refetch_due(&mut state, source, now, deadline).await {
            return Err(Rejection::fault(JWKS_UNAVAILABLE));
        }
        self.get(kid).ok_or(Rejection::unauthenticated(JWT_KID_UNKNOWN))
    }

    /// `key` of a set past its maximum age: refetches the set when no other fetch is running
    /// and one is due, and answers from the new set (a withdrawn key is `jwt_kid_unknown`).
    /// While another token's fetch runs, when a refetch is not due yet, or when it fails
    /// (stale on error), the cached key answers: an unreachable issuer does not deny the
    /// tokens it signed with keys it has not withdrawn.
    async fn revalidate(
        &self,
        kid: &str,
        key: Arc<JwkKey>,
        now: u64,
        source: &Source<'_>,
    ) -> Result<Arc<JwkKey>, Rejection> {
        let Ok(mut state) = self.refresh.try_lock() else { return Ok(key) };
        // A fetch that finished just before we took the lock has renewed the set.
        match self.lookup(kid, now, source.max_age_secs) {
            Some((_, true)) => {}
            Some((current, false)) => return Ok(current),
            None => return Err(Rejection::unauthenticated(JWT_KID_UNKNOWN)),
        }
        if !state.due(now, source.refresh_secs) {
            return Ok(key);
        }
        if !self.refetch_due(&mut state, source, now, Instant::now() + source.timeout).await {
            return Ok(key);
        }
        self.get(kid).ok_or(Rejection::unauthenticated(JWT_KID_UNKNOWN))
    }

    /// A refetch that is due, by the holder of the refresh lock (`state`), recorded there;
    /// `true` when it brought a new set.
    async fn refetch_due(&self, state: &mut RefreshState, source: &Source<'_>, now: u64, deadline: Instant) -> bool {
        state.last_attempt = Some(now);
        state.last_failed = !self.refetch(source, now, deadline).await;
        !state.last_failed
    }

    /// Fetches at init; a failure is logged and left for the first token to retry.
    pub(crate) async fn fetch_at_init(&self, now: u64, source: &Source<'_>) -> bool {
        let mut state = self.refresh.lock().await;
        let ok = self.refetch(source, UNSET, Instant::now() + source.timeout).await;
        if ok {
            state.last_attempt = Some(now);
        }
        ok
    }

    /// Replaces the keys with a freshly fetched set, loaded at `at` ([`UNSET`] at init);
    /// keeps the old ones on any failure.
    async fn refetch(&self, source: &Source<'_>, at: u64, deadline: Instant) -> bool {
        let fetched = match tokio::time::timeout_at(deadline, source.fetcher.fetch(source.uri)).await {
            Ok(Ok(body)) => parse_jwks(&body, source.algorithms),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("jwks fetch took longer than its budget".to_owned()),
        };
        match fetched {
            Ok(set) => {
                tracing::info!(issuer = source.issuer, keys = set.len(), "jwks refreshed");
                *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Loaded::new(set, at);
                true
            }
            Err(error) => {
                tracing::warn!(issuer = source.issuer, reason = JWKS_UNAVAILABLE.code(), %error, "jwks fetch failed");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rsa(kid: &str, extra: &str) -> String {
        let n = URL_SAFE_NO_PAD.encode([0xc5u8; 256]);
        format!(r#"{{"kty":"RSA","kid":"{kid}","n":"{n}","e":"AQAB"{extra}}}"#)
    }

    /// A JWK for a fresh key on `crv`, or, for `len` other than the curve's coordinate length
    /// or a curve we do not verify with, coordinates of `len` bytes of 7.
    fn ec(kid: &str, crv: &str, len: usize, extra: &str) -> String {
        use aws_lc_rs::signature::KeyPair;
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair};
        let alg = match (crv, len) {
            ("P-256", 32) => Some(&ECDSA_P256_SHA256_FIXED_SIGNING),
            ("P-384", 48) => Some(&ECDSA_P384_SHA384_FIXED_SIGNING),
            _ => None,
        };
        let point = match alg {
            Some(alg) => EcdsaKeyPair::generate(alg).unwrap_or_else(|e| panic!("{e}")).public_key().as_ref().to_vec(),
            None => [vec![4u8], vec![7u8; 2 * len]].concat(),
        };
        let (x, y) = (URL_SAFE_NO_PAD.encode(&point[1..=len]), URL_SAFE_NO_PAD.encode(&point[len + 1..]));
        format!(r#"{{"kty":"EC","kid":"{kid}","crv":"{crv}","x":"{x}","y":"{y}"{extra}}}"#)
    }

    fn okp(kid: &str, crv: &str) -> String {
        format!(r#"{{"kty":"OKP","kid":"{kid}","crv":"{crv}","x":"{}"}}"#, URL_SAFE_NO_PAD.encode([9u8; 32]))
    }

    #[track_caller]
    fn check(keys: &[String], expected: Result<Vec<&str>, &str>) {
        let doc = format!(r#"{{"keys":[{}]}}"#, keys.join(","));
        let got = parse_jwks(doc.as_bytes(), ALL_ALGORITHMS).map(|s| {
            let mut kids: Vec<String> = s.keys().cloned().collect();
            kids.sort();
            kids
        });
        match (got, expected) {
            (Ok(kids), Ok(want)) => assert_eq!(kids, want, "{doc}"),
            (Err(e), Err(want)) => assert!(e.contains(want), "{e}"),
            (got, want) => panic!("{doc}: got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn keeps_only_usable_public_signature_keys() {
        let weak =
            format!(r#"{{"kty":"RSA","kid":"weak","n":"{}","e":"AQAB"}}"#, URL_SAFE_NO_PAD.encode([0xc5u8; 128]));
        check(
            &[
                rsa("r", ""),
                ec("e256", "P-256", 32, ""),
                ec("e384", "P-384", 48, ""),
                okp("ed", "Ed25519"),
                okp("ed448", "Ed448"),
                ec("p521", "P-521", 66, ""),
                ec("short", "P-256", 31, ""),
                r#"{"kty":"EC","kid":"off-curve","crv":"P-256","x":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc","y":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc"}"#.to_owned(),
                weak,
                rsa("private", r#","d":"AQAB""#),
                rsa("oaep", r#","alg":"RSA-OAEP""#),
                r#"{"kty":"oct","kid":"hmac","k":"c2VjcmV0"}"#.to_owned(),
                r#"{"kty":"RSA","kid":"no-n","e":"AQAB"}"#.to_owned(),
                r#"{"kty":"RSA","n":"x","e":"AQAB"}"#.to_owned(),
                r#"{"kid":"no-kty"}"#.to_owned(),
                r#""not an object""#.to_owned(),
            ],
            Ok(vec!["e256", "e384", "ed", "r"]),
        );
    }

    #[test]
    fn refuses_documents_without_usable_keys() {
        check(&[], Err("no usable signature key"));
        check(&[rsa("a", ""), rsa("a", "")], Err("no usable signature key"));
        check(&[rsa("a", ""), rsa("a", ""), rsa("b", "")], Ok(vec!["b"]));
        check(&[rsa("a", ""), rsa("a", ""), rsa("a", ""), rsa("b", "")], Ok(vec!["b"]));
        for bad in [&b"[]"[..], b"{}", b"{\"keys\":{}}", b"{\"keys\":[],\"keys\":[]}", b"nope"] {
            assert!(parse_jwks(bad, ALL_ALGORITHMS).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn jwk_must_agree_with_the_token_alg() {
        let set = parse_jwks(
            format!(
                r#"{{"keys":[{},{},{},{},{},{}]}}"#,
                rsa("r", ""),
                rsa("r-ps", r#","alg":"PS256""#),
                rsa("r-enc", r#","use":"enc""#),
                rsa("r-ops", r#","key_ops":["encrypt"]"#),
                ec("e", "P-256", 32, r#","use":"sig","key_ops":["verify"]"#),
                okp("ed", "Ed25519"),
            )
            .as_bytes(),
            ALL_ALGORITHMS,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let cases = [
            ("r", Algorithm::RS256, Ok(())),
            ("r", Algorithm::PS512, Ok(())),
            ("r", Algorithm::ES256, Err(JWT_KEY_MISMATCH)),
            ("r-ps", Algorithm::PS256, Ok(())),
            ("r-ps", Algorithm::RS256, Err(JWT_KEY_MISMATCH)),
            ("r-enc", Algorithm::RS256, Err(JWT_KEY_MISMATCH)),
            ("r-ops", Algorithm::RS256, Err(JWT_KEY_MISMATCH)),
            ("e", Algorithm::ES256, Ok(())),
            ("e", Algorithm::ES384, Err(JWT_KEY_MISMATCH)),
            ("e", Algorithm::EdDSA, Err(JWT_KEY_MISMATCH)),
            ("ed", Algorithm::EdDSA, Ok(())),
            ("ed", Algorithm::RS256, Err(JWT_KEY_MISMATCH)),
        ];
        for (kid, alg, want) in cases {
            let key = set.get(kid).unwrap_or_else(|| panic!("{kid}"));
            assert_eq!(key.for_alg(alg).map(|_| ()), want, "{kid} {alg:?}");
        }
    }

    const ALL_ALGORITHMS: &[Algorithm] = {
        use Algorithm::*;
        &[RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA]
    };

    /// A key is parsed for the issuer's algorithms only; one it can verify none of is kept
    /// (a token naming it is told `jwt_key_mismatch`), and its other algorithms mismatch too.
    #[test]
    fn keys_serve_only_the_issuers_algorithms() {
        let doc = format!(r#"{{"keys":[{},{}]}}"#, rsa("r", ""), ec("e", "P-256", 32, ""));
        let set = parse_jwks(doc.as_bytes(), &[Algorithm::PS256]).unwrap_or_else(|e| panic!("{e}"));
        let r = set.get("r").unwrap_or_else(|| panic!("r"));
        assert!(r.for_alg(Algorithm::PS256).is_ok());
        assert_eq!(r.for_alg(Algorithm::RS256).map(|_| ()), Err(JWT_KEY_MISMATCH));
        let e = set.get("e").unwrap_or_else(|| panic!("e"));
        assert_eq!(e.for_alg(Algorithm::ES256).map(|_| ()), Err(JWT_KEY_MISMATCH));
        // Nothing here verifies ES384, or anything at all: such a document never replaces
        // the cache.
        let usable_for_none = [
            (doc, vec![Algorithm::ES384]),
            (format!(r#"{{"keys":[{}]}}"#, rsa("enc", r#","use":"enc""#)), ALL_ALGORITHMS.to_vec()),
            (format!(r#"{{"keys":[{}]}}"#, rsa("ps", r#","alg":"PS256""#)), vec![Algorithm::RS256]),
        ];
        for (doc, accepted) in usable_for_none {
            let got = parse_jwks(doc.as_bytes(), &accepted).map(|s| s.len());
            let named = format!("no usable signature key for the issuer's algorithms {accepted:?}");
            assert!(got.as_ref().is_err_and(|e| e.contains(&named)), "{doc}: {got:?}");
        }
    }

    /// A modulus or exponent with leading zero octets is the same integer: the key works.
    #[test]
    fn rsa_components_with_leading_zeros_verify() {
        use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
        let pair = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap_or_else(|e| panic!("{e}"));
        let mut signature = vec![0; pair.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        pair.sign(&RSA_PKCS1_SHA256, &rng, b"m", &mut signature).unwrap_or_else(|e| panic!("{e}"));
        let public = pair.public_key();
        let n = [&[0u8][..], public.modulus().big_endian_without_leading_zero()].concat();
        let e = [&[0u8, 0][..], public.exponent().big_endian_without_leading_zero()].concat();
        let doc = format!(
            r#"{{"keys":[{{"kty":"RSA","kid":"z","n":"{}","e":"{}"}}]}}"#,
            URL_SAFE_NO_PAD.encode(n),
            URL_SAFE_NO_PAD.encode(e)
        );
        let set = parse_jwks(doc.as_bytes(), &[Algorithm::RS256]).unwrap_or_else(|e| panic!("{e}"));
        let key = set.get("z").and_then(|k| k.for_alg(Algorithm::RS256).ok()).unwrap_or_else(|| panic!("z"));
        assert_eq!(super::super::signature::verify(key, b"m", &signature), Ok(()));
        assert_eq!(without_leading_zeros(vec![0, 0, 1, 0]), [1, 0]);
        assert!(without_leading_zeros(vec![0, 0]).is_empty());
    }

    /// A `kid` shared by a signing key and keys that verify nothing (another use, other
    /// operations, an algorithm outside the allowlist) names the signing key.
    #[test]
    fn a_kid_shared_with_keys_that_verify_nothing_names_the_signing_key() {
        for other in [r#","use":"enc""#, r#","key_ops":["encrypt"]"#, r#","alg":"PS512""#] {
            for order in [[rsa("k1", other), rsa("k1", "")], [rsa("k1", ""), rsa("k1", other)]] {
                let doc = format!(r#"{{"keys":[{}]}}"#, order.join(","));
                let set = parse_jwks(doc.as_bytes(), &[Algorithm::RS256]).unwrap_or_else(|e| panic!("{doc}: {e}"));
                let key = set.get("k1").unwrap_or_else(|| panic!("{doc}"));
                assert!(key.for_alg(Algorithm::RS256).is_ok(), "{doc}");
            }
        }
        // Two keys that both verify are still ambiguous, whatever else shares the kid.
        check(&[rsa("k1", ""), rsa("k1", r#","use":"enc""#), rsa("k1", ""), rsa("b", "")], Ok(vec!["b"]));
    }

    /// RSA components aws-lc would refuse only at verify time are refused at load, so such a
    /// key never counts as usable (and never replaces the cached keys).
    #[test]
    fn rsa_components_that_cannot_verify_are_refused_at_load() {
        let key = |n: &[u8], e: &[u8]| {
            format!(
                r#"{{"kty":"RSA","kid":"x","n":"{}","e":"{}"}}"#,
                URL_SAFE_NO_PAD.encode(n),
                URL_SAFE_NO_PAD.encode(e)
            )
        };
        let (odd, even) = ([0xc5u8; 256], [[0xc5u8; 255].as_slice(), &[0xc4]].concat());
        check(&[key(&odd, &[1, 0, 1])], Ok(vec!["x"]));
        check(&[key(&odd, &[3])], Ok(vec!["x"]));
        check(&[key(&odd, &[1, 0xff, 0xff, 0xff, 0xff])], Ok(vec!["x"]));
        for (n, e) in [
            (&even[..], &[1u8, 0, 1][..]),
            (&odd, &[1]),
            (&odd, &[2]),
            (&odd, &[1, 0, 0]),
            (&odd, &[2, 0, 0, 0, 1]),
            (&odd, &[1, 0, 0, 0, 0, 1]),
        ] {
            check(&[key(n, e)], Err("no usable signature key"));
        }
    }

    /// A JWKS source serving whatever document it holds (or failing), counting fetches.
    #[derive(Debug, Default)]
    struct Served {
        document: std::sync::Mutex<Option<String>>,
        fetches: std::sync::atomic::AtomicUsize,
    }

    impl Served {
        fn serve(&self, keys: &[String]) {
            *self.document.lock().unwrap_or_else(PoisonError::into_inner) =
                Some(format!(r#"{{"keys":[{}]}}"#, keys.join(",")));
        }

        fn fail(&self) {
            *self.document.lock().unwrap_or_else(PoisonError::into_inner) = None;
        }

        fn fetches(&self) -> usize {
            self.fetches.load(std::sync::atomic::Ordering::SeqCst)
        }
    }

    impl JwksFetcher for Served {
        fn fetch<'a>(&'a self, _uri: &'a str) -> super::super::fetch::FetchFuture<'a> {
            self.fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let document = self.document.lock().unwrap_or_else(PoisonError::into_inner).clone();
            Box::pin(
                async move { document.map(String::into_bytes).ok_or(super::super::fetch::FetchError::Status(503)) },
            )
        }
    }

    fn source(served: &Served) -> Source<'_> {
        Source {
            issuer: "https://idp.example",
            uri: "https://idp.example/jwks",
            algorithms: &[Algorithm::RS256],
            fetcher: served,
            refresh_secs: 60,
            max_age_secs: 900,
            timeout: Duration::from_secs(1),
        }
    }

    /// A JWKS source whose fetches wait until the test opens the gate.
    #[derive(Debug)]
    struct Gated {
        document: String,
        gate: tokio::sync::Semaphore,
        fetches: std::sync::atomic::AtomicUsize,
    }

    impl JwksFetcher for Gated {
        fn fetch<'a>(&'a self, _uri: &'a str) -> super::super::fetch::FetchFuture<'a> {
            self.fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::pin(async move {
                let _open = self.gate.acquire().await.map_err(|_| super::super::fetch::FetchError::Status(503))?;
                Ok(self.document.clone().into_bytes())
            })
        }
    }

    /// Concurrent misses share one fetch: sixteen tokens for kids the empty cache does not
    /// hold are all still waiting while the one fetch is held open; when it completes, each
    /// is answered from its result, and no second fetch is made.
    #[tokio::test(flavor = "current_thread")]
    async fn concurrent_misses_wait_for_one_fetch() {
        let fetcher = Arc::new(Gated {
            document: format!(r#"{{"keys":[{}]}}"#, rsa("k", "")),
            gate: tokio::sync::Semaphore::new(0),
            fetches: std::sync::atomic::AtomicUsize::new(0),
        });
        let cache = Arc::new(KeyCache::default());
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let (cache, fetcher) = (Arc::clone(&cache), Arc::clone(&fetcher));
                tokio::spawn(async move {
                    let kid = if i % 2 == 0 { "k" } else { "missing" };
                    let unused = Served::default();
                    let source = Source { fetcher: fetcher.as_ref(), ..source(&unused) };
                    cache.key_for(kid, 1_000, &source).await.map(|_| ())
                })
            })
            .collect();
        // One thread: every task runs until it waits (on the fetch, or for the one fetching).
        for _ in 0..64 {
            tokio::task::yield_now().await;
        }
        assert_eq!(fetcher.fetches.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(tasks.iter().all(|t| !t.is_finished()), "every miss waits for the fetch in flight");
        fetcher.gate.add_permits(16);
        for (i, task) in tasks.into_iter().enumerate() {
            let got = task.await.unwrap_or_else(|e| panic!("{e}"));
            let want = if i % 2 == 0 { Ok(()) } else { Err(Rejection::unauthenticated(JWT_KID_UNKNOWN)) };
            assert_eq!(got, want, "task {i}");
        }
        assert_eq!(fetcher.fetches.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    /// A key the issuer withdrew stops verifying once the set reaches its maximum age, with
    /// no new `kid` to trigger the refetch; until then no fetch is made.
    #[tokio::test]
    async fn a_withdrawn_key_stops_verifying_at_the_maximum_age() {
        let served = Served::default();
        served.serve(&[rsa("old", ""), rsa("new", "")]);
        let cache = KeyCache::default();
        let t0 = 1_000_000;
        assert!(cache.fetch_at_init(t0 - 5000, &source(&served)).await);
        served.serve(&[rsa("new", "")]);
        assert!(cache.key_for("old", t0, &source(&served)).await.is_ok(), "the age starts with the first token");
        assert!(cache.key_for("old", t0 + 899, &source(&served)).await.is_ok());
        assert_eq!(served.fetches(), 1, "a fresh set is not fetched again");
        let withdrawn = cache.key_for("old", t0 + 900, &source(&served)).await.map(|_| ());
        assert_eq!(withdrawn, Err(Rejection::unauthenticated(JWT_KID_UNKNOWN)));
        assert_eq!(served.fetches(), 2);
        // The new set is fresh again: no fetch for the key it kept.
        assert!(cache.key_for("new", t0 + 901, &source(&served)).await.is_ok());
        assert_eq!(served.fetches(), 2);
    }

    /// Past the maximum age, a failed refetch keeps the cached keys working (stale on error)
    /// and is retried at most once per refresh interval.
    #[tokio::test]
    async fn an_aged_set_keeps_working_while_the_issuer_is_unreachable() {
        let served = Served::default();
        served.serve(&[rsa("k", "")]);
        let initial = parse_jwks(format!(r#"{{"keys":[{}]}}"#, rsa("k", "")).as_bytes(), &[Algorithm::RS256]);
        let cache = KeyCache::new(initial.unwrap_or_else(|e| panic!("{e}")));
        served.fail();
        // A set loaded at init ages from the first token that uses it.
        assert!(cache.key_for("k", 0, &source(&served)).await.is_ok());
        assert_eq!(served.fetches(), 0);
        for (at, fetches) in [(900, 1), (901, 1), (959, 1), (960, 2)] {
            assert!(cache.key_for("k", at, &source(&served)).await.is_ok(), "at {at}");
            assert_eq!(served.fetches(), fetches, "at {at}");
        }
        served.serve(&[rsa("k", "")]);
        assert!(cache.key_for("k", 1020, &source(&served)).await.is_ok());
        assert_eq!(served.fetches(), 3);
        assert!(cache.key_for("k", 1900, &source(&served)).await.is_ok(), "fresh from 1020");
        assert_eq!(served.fetches(), 3);
        // The age boundary, and a clock that went back, which does not age the set.
        let aged = |at| cache.lookup("k", at, 900).map(|(_, stale)| stale);
        assert_eq!((aged(1919), aged(1920), aged(1000)), (Some(false), Some(true), Some(false)));
    }

    #[test]
    fn modulus_bits() {
        assert_eq!(rsa_modulus_bits(&[0, 0, 1]), 1);
        assert_eq!(rsa_modulus_bits(&[0x80, 0]), 16);
        assert_eq!(rsa_modulus_bits(&[0; 4]), 0);
        assert_eq!(rsa_modulus_bits(&[]), 0);
    }
}
