//! What the benchmarks feed the authorizer: the fixture events and keys under `events/`,
//! tokens minted with the fixture keys for any clock, and the fixture registry items.

use std::path::{Path, PathBuf};

use authorizer_tests::fixtures::events_dir;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Value, json};
use shared::mtls::registry::{RegistryItem, Status};

/// Every bench fault is a message; the report prints it and stops.
pub type Res<T> = Result<T, String>;

/// The fixture issuer and audience (events/generate.py).
pub const ISSUER: &str = "https://idp.example.com";
pub const AUDIENCE: &str = "payments-api";

/// The RS256 REST REQUEST fixture (a real API Gateway event with a bearer token).
pub const RS256_EVENT: &str = "rest-request/allow-jwt.json";
/// REST REQUEST events carrying the active and the rotated client certificate.
pub const MTLS_ACTIVE_EVENT: &str = "mtls-rest/allow-active-cert.json";
pub const MTLS_ROTATED_EVENT: &str = "mtls-rest/allow-rotated-cert.json";
/// The registry table the fixtures' mTLS suites use.
pub const TABLE: &str = "authorizer-clients";

pub fn path(relative: &str) -> PathBuf {
    events_dir().join(relative)
}

pub fn read(relative: &str) -> Res<Vec<u8>> {
    let p = path(relative);
    std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))
}

fn read_json(relative: &str) -> Res<Value> {
    serde_json::from_slice(&read(relative)?).map_err(|e| format!("{relative}: {e}"))
}

/// The DER inside a one-block PEM file.
fn pem_der(relative: &str) -> Res<Vec<u8>> {
    let text = String::from_utf8(read(relative)?).map_err(|e| format!("{relative}: {e}"))?;
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body.trim()).map_err(|e| format!("{relative}: {e}"))
}

/// The fixture token's claims at `now`, as events/generate.py writes them.
pub fn claims(now: u64, lifetime: u64) -> Value {
    json!({"iss": ISSUER, "sub": "user-7f3a", "aud": AUDIENCE, "iat": now - 60, "nbf": now - 60,
        "exp": now + lifetime, "client_id": "orders-frontend", "scope": "orders:read orders:write",
        "jti": "f1d0c6e2"})
}

/// A compact JWS over `claims`, signed with the fixture key of `alg` (`rsa-1` or `ec-1`).
pub fn mint(alg: Algorithm, claims: &Value) -> Res<String> {
    let kid = match alg {
        Algorithm::RS256 => "rsa-1",
        Algorithm::ES256 => "ec-1",
        other => return Err(format!("no fixture key for {other:?}")),
    };
    let header = json!({"alg": format!("{alg:?}"), "typ": "JWT", "kid": kid});
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let rng = SystemRandom::new();
    let signature = match alg {
        Algorithm::RS256 => {
            let key = RsaKeyPair::from_pkcs8(&pem_der("keys/rsa-1.key.pem")?).map_err(|e| format!("rsa-1: {e}"))?;
            let mut sig = vec![0u8; key.public_modulus_len()];
            key.sign(&RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut sig).map_err(|e| format!("rs256 sign: {e}"))?;
            sig
        }
        _ => {
            let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pem_der("keys/ec-1.key.pem")?)
                .map_err(|e| format!("ec-1: {e}"))?;
            key.sign(&rng, input.as_bytes()).map_err(|e| format!("es256 sign: {e}"))?.as_ref().to_vec()
        }
    };
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// The bearer token of a REST REQUEST event.
pub fn token_of(event: &[u8]) -> Res<String> {
    let v: Value = serde_json::from_slice(event).map_err(|e| format!("event: {e}"))?;
    let header = v.get("headers").and_then(|h| h.get("Authorization")).and_then(Value::as_str);
    header.and_then(|h| h.strip_prefix("Bearer ")).map(str::to_owned).ok_or_else(|| "event: no bearer token".to_owned())
}

/// `event` with its bearer token replaced by `token` everywhere, bytes otherwise unchanged.
pub fn with_token(event: &[u8], token: &str) -> Res<Vec<u8>> {
    let old = token_of(event)?;
    let text = std::str::from_utf8(event).map_err(|e| format!("event: {e}"))?;
    Ok(text.replace(&old, token).into_bytes())
}

/// The RS256 fixture event as is, and the same event carrying an ES256 token for `now`.
pub fn jwt_events(now: u64, lifetime: u64) -> Res<(Vec<u8>, Vec<u8>)> {
    let rs = read(RS256_EVENT)?;
    let es = with_token(&rs, &mint(Algorithm::ES256, &claims(now, lifetime))?)?;
    Ok((rs, es))
}

/// The fixture JWKS's public key material: `rsa-1`'s modulus and exponent, `ec-1`'s
/// uncompressed point.
struct FixtureKeys {
    n: Vec<u8>,
    e: Vec<u8>,
    point: Vec<u8>,
}

fn fixture_keys() -> Res<FixtureKeys> {
    let jwks = read_json("keys/jwks.json")?;
    let keys = jwks.get("keys").and_then(Value::as_array).ok_or("keys/jwks.json: no keys")?;
    let field = |kid: &str, name: &str| -> Res<Vec<u8>> {
        let jwk = keys.iter().find(|k| k.get("kid").and_then(Value::as_str) == Some(kid)).ok_or(format!("no {kid}"))?;
        let s = jwk.get(name).and_then(Value::as_str).ok_or(format!("{kid}: no {name}"))?;
        URL_SAFE_NO_PAD.decode(s).map_err(|e| format!("{kid}.{name}: {e}"))
    };
    let point = [vec![4u8], field("ec-1", "x")?, field("ec-1", "y")?].concat();
    Ok(FixtureKeys { n: field("rsa-1", "n")?, e: field("rsa-1", "e")?, point })
}

/// The fixture JWKS keys as `jsonwebtoken` takes them (`rsa-1`, `ec-1`).
pub fn decoding_keys() -> Res<(DecodingKey, DecodingKey)> {
    let k = fixture_keys()?;
    Ok((DecodingKey::from_rsa_raw_components(&k.n, &k.e), DecodingKey::from_ec_der(&k.point)))
}

/// The fixture key parsed once by aws-lc-rs, as the verifier holds it: `rsa-1` for RS256,
/// else `ec-1` for ES256.
pub fn parsed_key(rsa: bool) -> Res<aws_lc_rs::signature::ParsedPublicKey> {
    use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents};
    let k = fixture_keys()?;
    if rsa {
        RsaPublicKeyComponents { n: &k.n, e: &k.e }
            .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
            .map_err(|e| format!("rsa-1: {e}"))
    } else {
        ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, k.point).map_err(|e| format!("ec-1: {e}"))
    }
}

/// events/registry.json as registry items.
pub fn registry_items() -> Res<Vec<RegistryItem>> {
    let list = read_json("registry.json")?;
    let list = list.as_array().ok_or("registry.json: expected an array")?;
    list.iter().map(item).collect()
}

fn item(v: &Value) -> Res<RegistryItem> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let n = |k: &str| v.get(k).and_then(Value::as_u64);
    let client_id = s("client_id").ok_or("registry.json: item without client_id")?;
    let serial = s("serial").ok_or("registry.json: item without serial")?;
    let status = s("status").as_deref().and_then(Status::parse).ok_or(format!("{client_id}: bad status"))?;
    let mut item = RegistryItem::active(&client_id, &serial, n("not_after").unwrap_or(0), n("created_at").unwrap_or(0));
    item.status = status;
    item.tenant = s("tenant");
    item.cert_sha256 = s("cert_sha256");
    item.scopes = v
        .get("scopes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    item.revoked_at = n("revoked_at");
    item.revoked_reason = s("revoked_reason");
    Ok(item)
}

/// The configuration of the fixtures' JWT suites (bundled JWKS, no network).
pub fn jwt_env() -> Vec<(String, String)> {
    authorizer_tests::fixtures::base_env()
}

/// The fixtures' mTLS suite configuration: JWT as above plus the registry, certificates required.
pub fn mtls_env(cache_ttl_secs: u64) -> Vec<(String, String)> {
    let mut env = jwt_env();
    env.push(("AUTHZ_REGISTRY_TABLE".to_owned(), TABLE.to_owned()));
    env.push(("AUTHZ_MTLS_REQUIRED".to_owned(), "true".to_owned()));
    env.push(("AUTHZ_REGISTRY_CACHE_TTL_SECS".to_owned(), cache_ttl_secs.to_string()));
    env.push(("AUTHZ_REGISTRY_NEGATIVE_CACHE_TTL_SECS".to_owned(), cache_ttl_secs.min(10).to_string()));
    env
}

/// The workspace root (where `make build` writes `target/lambda/...`).
pub fn workspace_root() -> PathBuf {
    let bench = Path::new(env!("CARGO_MANIFEST_DIR"));
    bench.parent().unwrap_or(bench).to_path_buf()
}
