//! JWT bearer authentication against a real JWKS server on 127.0.0.1: every rule of issue 3
//! with passing and failing cases, and the known attacks, each with its exact outcome
//! (401 or 403) and reason code.

// Test code: a failed unwrap or index is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod jwt_support;

use jsonwebtoken::EncodingKey;
use jwt_support::*;
use serde_json::{Value, json};
use shared::decision::{JwtIdentity, Rejection};
use shared::jwt::{JwtVerifier, MAX_TOKEN_BYTES};

const AUD: &str = "api://orders";

#[track_caller]
fn check(name: &str, got: &Result<JwtIdentity, Rejection>, expected: (u16, &str)) {
    assert_eq!(status(got), expected, "case {name}");
}

/// Runs every `(name, token, expected)` row through `verifier` at [`NOW`].
async fn run(verifier: &JwtVerifier, cases: Vec<(&str, String, (u16, &str))>) {
    for (name, token, expected) in cases {
        let got = verifier.verify(&token, NOW).await;
        check(name, &got, expected);
    }
}

/// Valid access-token claims for `iss`, with `changes` merged in (`null` removes a claim).
fn claims(iss: &str, changes: Value) -> Value {
    let mut c = json!({"iss": iss, "sub": "user-1", "aud": AUD, "exp": NOW + 300, "iat": NOW - 10, "nbf": NOW - 10,
        "scope": "orders:read orders:write", "jti": "j1", "client_id": "app-1"});
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn header(alg: &str, kid: &str) -> Value {
    json!({"alg": alg, "kid": kid, "typ": "JWT"})
}

/// The JWKS every test server starts with.
fn jwks() -> Vec<Value> {
    let k = keys();
    vec![
        k.rsa.jwk("rsa"),
        k.p256.jwk("p256"),
        k.p384.jwk("p384"),
        k.ed.jwk("ed"),
        k.rsa.jwk_with("rsa-ps256", json!({"alg": "PS256", "use": "sig"})),
        k.rsa.jwk_with("rsa-enc", json!({"use": "enc"})),
    ]
}

const ALL_ALGS: [&str; 9] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"];

/// A JWKS server and a verifier whose keys are loaded, as in a warm container: one valid
/// token is verified first. The rules below are about tokens, not fetching (that is
/// `jwt_jwks.rs`, timeouts included), so a first fetch that misses its deadline because the
/// machine stalled (seen once, right after a cold build) gets a new verifier, up to three
/// times, instead of failing a rule.
async fn oidc_setup() -> (JwksServer, JwtVerifier, String) {
    let server = JwksServer::start(Mode::Status(500)).await;
    server.serve(&jwks());
    let iss = server.issuer();
    let warm = sign_raw(&header("ES256", "p256"), &claims(&iss, json!({})), &keys().p256.encoding);
    for _ in 0..3 {
        let v =
            verifier(json!([{"issuer": iss, "audiences": [AUD, "api://other"], "algorithms": ALL_ALGS}]), &[]).await;
        match status(&v.verify(&warm, NOW).await) {
            (200, _) => return (server, v, iss),
            (403, "jwks_unavailable") => continue,
            other => panic!("setup: a valid token was refused: {other:?}"),
        }
    }
    panic!("setup: three fresh verifiers answered jwks_unavailable (server hits: {})", server.hits())
}

#[tokio::test]
async fn every_algorithm_verifies_with_its_key() {
    let (_server, v, iss) = oidc_setup().await;
    let k = keys();
    let c = claims(&iss, json!({}));
    let rows: Vec<(&str, &str, &EncodingKey)> = vec![
        ("RS256", "rsa", &k.rsa.encoding),
        ("RS384", "rsa", &k.rsa.encoding),
        ("RS512", "rsa", &k.rsa.encoding),
        ("PS256", "rsa", &k.rsa.encoding),
        ("PS384", "rsa", &k.rsa.encoding),
        ("PS512", "rsa", &k.rsa.encoding),
        ("PS256", "rsa-ps256", &k.rsa.encoding),
        ("ES256", "p256", &k.p256.encoding),
        ("ES384", "p384", &k.p384.encoding),
        ("EdDSA", "ed", &k.ed.encoding),
    ];
    let cases =
        rows.into_iter().map(|(alg, kid, key)| (alg, sign_raw(&header(alg, kid), &c, key), (200, "ok"))).collect();
    run(&v, cases).await;
}

#[tokio::test]
async fn identity_goes_to_the_policy_step() {
    let (_server, v, iss) = oidc_setup().await;
    let c = claims(
        &iss,
        json!({"scp": ["admin"], "cognito:groups": ["ops", "dev"], "tenant": "t1",
        "cnf": {"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}}),
    );
    let id = v.verify(&sign_raw(&header("ES256", "p256"), &c, &keys().p256.encoding), NOW).await.unwrap();
    assert_eq!(*id.issuer, *iss);
    assert_eq!(&*id.principal, "user-1");
    assert_eq!(id.subject.as_deref(), Some("user-1"));
    assert_eq!(id.client_id.as_deref(), Some("app-1"));
    assert_eq!(id.scopes, vec!["orders:read", "orders:write", "admin"]);
    assert_eq!(id.groups, vec!["ops", "dev"]);
    assert_eq!(id.claims.get("tenant"), Some(&json!("t1")));
    assert_eq!(id.cnf_x5t_s256.as_deref(), Some("bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"));
    assert!(!id.require_bound_token);
}

#[tokio::test]
async fn known_attacks_are_refused() {
    let (_server, v, iss) = oidc_setup().await;
    let k = keys();
    let c = claims(&iss, json!({}));
    let good = sign_raw(&header("RS256", "rsa"), &c, &k.rsa.encoding);
    let (signing_input, signature) = good.rsplit_once('.').unwrap();
    let mut cases: Vec<(&str, String, (u16, &str))> = Vec::new();

    // alg: none in any letter case, with and without a signature.
    for alg in ["none", "None", "NONE", "nOnE"] {
        cases.push(("alg none", unsigned(&header(alg, "rsa"), &c, ""), (401, "jwt_alg_none")));
        cases.push(("alg none signed", unsigned(&header(alg, "rsa"), &c, signature), (401, "jwt_alg_none")));
    }
    // RS256 -> HS256 confusion: the public key (PEM, DER, JWK modulus) as the HMAC secret.
    for secret in [k.rsa.public_pem().into_bytes(), k.rsa.spki_der.clone(), k.rsa.public.to_string().into_bytes()] {
        let hs = sign_raw(&header("HS256", "rsa"), &c, &EncodingKey::from_secret(&secret));
        cases.push(("rs256 to hs256", hs, (401, "jwt_alg_not_allowed")));
    }
    // Keys injected through the header: signed by the attacker with the key it points at.
    let attacker_jwk = k.attacker.jwk("rsa");
    let jku = format!("{iss}/.well-known/jwks.json");
    for (name, extra) in [
        ("jwk header", json!({"jwk": attacker_jwk})),
        ("jku header", json!({"jku": jku})),
        ("x5u header", json!({"x5u": "https://attacker.example/cert.pem"})),
        ("x5c header", json!({"x5c": [STANDARD_B64_CERT]})),
    ] {
        let mut h = header("ES256", "rsa");
        h.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        cases.push((name, sign_raw(&h, &c, &k.attacker.encoding), (401, "jwt_embedded_key")));
    }
    // kid tricks.
    cases.push(("kid empty", sign_raw(&header("RS256", ""), &c, &k.rsa.encoding), (401, "jwt_kid_invalid")));
    cases.push(("kid missing", sign_raw(&json!({"alg": "RS256"}), &c, &k.rsa.encoding), (401, "jwt_kid_missing")));
    let traversal = sign_raw(&header("RS256", "../../../../../../etc/passwd"), &c, &k.rsa.encoding);
    cases.push(("kid path traversal", traversal, (401, "jwt_kid_unknown")));
    let long_kid = "k".repeat(4096);
    cases.push(("kid very long", sign_raw(&header("RS256", &long_kid), &c, &k.rsa.encoding), (401, "jwt_kid_invalid")));
    let kid_number = sign_raw(&json!({"alg": "RS256", "kid": 1}), &c, &k.rsa.encoding);
    cases.push(("kid not a string", kid_number, (401, "jwt_kid_invalid")));
    cases.push((
        "kid null byte",
        sign_raw(&header("RS256", "rsa\u{0}"), &c, &k.rsa.encoding),
        (401, "jwt_kid_invalid"),
    ));
    cases.push((
        "kid of another key type",
        sign_raw(&header("ES256", "rsa"), &c, &k.p256.encoding),
        (401, "jwt_key_mismatch"),
    ));
    cases.push((
        "jwk alg disagrees",
        sign_raw(&header("RS256", "rsa-ps256"), &c, &k.rsa.encoding),
        (401, "jwt_key_mismatch"),
    ));
    cases.push(("jwk use enc", sign_raw(&header("RS256", "rsa-enc"), &c, &k.rsa.encoding), (401, "jwt_key_mismatch")));
    cases.push((
        "attacker key, real kid",
        sign_raw(&header("ES256", "p256"), &c, &k.attacker.encoding),
        (401, "jwt_signature_invalid"),
    ));
    cases.push((
        "other rsa key, real kid",
        sign_raw(&header("RS256", "rsa"), &c, &k.rsa_other.encoding),
        (401, "jwt_signature_invalid"),
    ));
    // Signature stripped or altered; payload altered under a valid signature.
    cases.push(("signature stripped", format!("{signing_input}."), (401, "jwt_signature_missing")));
    cases.push(("signature and dot stripped", signing_input.to_owned(), (401, "jwt_malformed")));
    let mut altered = signature.as_bytes().to_vec();
    altered[10] = if altered[10] == b'A' { b'B' } else { b'A' };
    let altered = format!("{signing_input}.{}", String::from_utf8(altered).unwrap());
    cases.push(("signature altered", altered, (401, "jwt_signature_invalid")));
    let escalated = format!(
        "{}.{}.{signature}",
        signing_input.split('.').next().unwrap(),
        b64(claims(&iss, json!({"sub": "admin"})).to_string())
    );
    cases.push(("payload altered", escalated, (401, "jwt_signature_invalid")));
    // 342 base64url characters for RSA-2048; 340 decode cleanly to 255 bytes.
    let truncated = format!("{signing_input}.{}", &signature[..signature.len() - 2]);
    cases.push(("signature truncated", truncated, (401, "jwt_signature_invalid")));
    // Serialization and encoding.
    let huge =
        sign_raw(&header("RS256", "rsa"), &claims(&iss, json!({"pad": "x".repeat(MAX_TOKEN_BYTES)})), &k.rsa.encoding);
    cases.push(("oversize token", huge, (401, "jwt_too_large")));
    cases.push(("padded base64", format!("{good}="), (401, "jwt_bad_base64")));
    let std_alphabet = format!("{signing_input}.{}+/", &signature[..signature.len() - 2]);
    cases.push(("standard base64 alphabet", std_alphabet, (401, "jwt_bad_base64")));
    let (h, rest) = good.split_once('.').unwrap();
    cases.push(("bad base64 length", format!("{h}.e30xx.{signature}"), (401, "jwt_bad_base64")));
    let json_serialization =
        json!({"payload": rest.split('.').next().unwrap(), "protected": h, "signature": signature}).to_string();
    cases.push(("json serialization", json_serialization, (401, "jwt_not_compact")));
    let flattened = json!({"payload": "e30", "signatures": [{"protected": h, "signature": signature}]}).to_string();
    cases.push(("general json serialization", flattened, (401, "jwt_not_compact")));
    cases.push(("jwe five parts", format!("{h}.a.b.c.d"), (401, "jwt_malformed")));
    cases.push(("bearer prefix left in", format!("Bearer {good}"), (401, "jwt_malformed")));
    let duplicate = format!(r#"{{"iss":"{iss}","sub":"user-1","sub":"admin"}}"#);
    let duplicate = format!("{}.{}.{signature}", b64(header("RS256", "rsa").to_string()), b64(duplicate));
    cases.push(("duplicate claim", duplicate, (401, "jwt_bad_json")));
    // crit names something we do not understand.
    let mut crit = header("RS256", "rsa");
    crit["crit"] = json!(["http://example.com/must-understand"]);
    crit["http://example.com/must-understand"] = json!(true);
    cases.push(("crit", sign_raw(&crit, &c, &k.rsa.encoding), (401, "jwt_crit_unsupported")));
    let mut b64_false = header("RS256", "rsa");
    b64_false["b64"] = json!(false);
    cases.push(("b64 false", sign_raw(&b64_false, &c, &k.rsa.encoding), (401, "jwt_header_unsupported")));
    run(&v, cases).await;
}

/// A syntactically valid (not trusted) certificate value for an `x5c` header.
const STANDARD_B64_CERT: &str = "MIIBszCCAVmgAwIBAgIUHmF0dGFja2VyAAAAAAAAAAAAAAAAAAAwCgYIKoZIzj0EAwI=";

#[tokio::test]
async fn claim_rules() {
    let (_server, v, iss) = oidc_setup().await;
    let k = keys();
    let sign = |changes: Value| sign_raw(&header("ES256", "p256"), &claims(&iss, changes), &k.p256.encoding);
    let cases = vec![
        ("valid", sign(json!({})), (200, "ok")),
        ("expired", sign(json!({"exp": NOW - 3600})), (401, "jwt_expired")),
        ("expired within leeway", sign(json!({"exp": NOW - 29})), (200, "ok")),
        ("expired beyond leeway", sign(json!({"exp": NOW - 30})), (401, "jwt_expired")),
        ("nbf in the future", sign(json!({"nbf": NOW + 3600})), (401, "jwt_not_yet_valid")),
        ("nbf within leeway", sign(json!({"nbf": NOW + 30})), (200, "ok")),
        ("iat in the future", sign(json!({"iat": NOW + 3600})), (401, "jwt_iat_future")),
        ("good for a year", sign(json!({"exp": NOW + 365 * 86_400})), (401, "jwt_lifetime_too_long")),
        ("exp far beyond any date", sign(json!({"exp": 1e300})), (401, "jwt_lifetime_too_long")),
        (
            "issued for a month",
            sign(json!({"iat": NOW - 30 * 86_400, "exp": NOW + 60})),
            (401, "jwt_lifetime_too_long"),
        ),
        ("a day, within leeway", sign(json!({"iat": null, "exp": NOW + 86_400 + 30})), (200, "ok")),
        ("missing exp", sign(json!({"exp": null})), (401, "jwt_exp_missing")),
        ("missing aud", sign(json!({"aud": null})), (401, "jwt_aud_missing")),
        ("missing iss", sign(json!({"iss": null})), (401, "jwt_iss_missing")),
        ("wrong aud", sign(json!({"aud": "api://payments"})), (401, "jwt_aud_mismatch")),
        ("aud array with an accepted value", sign(json!({"aud": ["x", "api://other"]})), (200, "ok")),
        ("aud array without", sign(json!({"aud": ["x", "y"]})), (401, "jwt_aud_mismatch")),
        ("wrong iss", sign(json!({"iss": "https://evil.example"})), (401, "jwt_iss_untrusted")),
        ("iss with trailing slash", sign(json!({"iss": format!("{iss}/")})), (401, "jwt_iss_untrusted")),
        ("string exp", sign(json!({"exp": (NOW + 300).to_string()})), (401, "jwt_claim_type")),
        ("string nbf", sign(json!({"nbf": "0"})), (401, "jwt_claim_type")),
        ("numeric iss", sign(json!({"iss": 1})), (401, "jwt_claim_type")),
        ("object aud", sign(json!({"aud": {"a": AUD}})), (401, "jwt_claim_type")),
        ("numeric sub", sign(json!({"sub": 7})), (401, "jwt_claim_type")),
        ("array scope", sign(json!({"scope": ["orders:read"]})), (401, "jwt_claim_type")),
        ("string groups", sign(json!({"cognito:groups": "admins"})), (401, "jwt_claim_type")),
        // The context joins scopes with spaces and groups with commas.
        ("space in an scp entry", sign(json!({"scp": ["orders:read admin"]})), (401, "jwt_claim_value")),
        ("comma in a group", sign(json!({"cognito:groups": ["ops,admins"]})), (401, "jwt_claim_value")),
        ("missing sub", sign(json!({"sub": null})), (401, "jwt_principal_missing")),
    ];
    run(&v, cases).await;
}

#[tokio::test]
async fn issuer_settings_select_and_restrict() {
    let server = JwksServer::start(Mode::Status(500)).await;
    server.serve(&jwks());
    let base = server.issuer();
    let (rs_only, at_jwt, cognito, cognito_id, principal) = (
        format!("{base}/rs"),
        format!("{base}/at"),
        format!("{base}/pool"),
        format!("{base}/pool-id"),
        format!("{base}/p"),
    );
    let v = verifier(
        json!([
            {"issuer": rs_only, "audiences": [AUD]},
            {"issuer": at_jwt, "audiences": [AUD], "typ": "at+jwt", "algorithms": ["ES256"]},
            {"issuer": cognito, "audiences": ["app-1"], "cognito": true, "algorithms": ["RS256"]},
            {"issuer": cognito_id, "audiences": ["app-1"], "cognito": true, "token_use": "id", "algorithms": ["RS256"]},
            {"issuer": principal, "audiences": [AUD], "principal_claim": "client_id", "algorithms": ["EdDSA"]},
        ]),
        &[],
    )
    .await;
    let k = keys();
    let rs = |iss: &str, changes: Value| sign_raw(&header("RS256", "rsa"), &claims(iss, changes), &k.rsa.encoding);
    let es = |typ: &str, changes: Value| {
        sign_raw(&json!({"alg": "ES256", "kid": "p256", "typ": typ}), &claims(&at_jwt, changes), &k.p256.encoding)
    };
    let access = json!({"aud": null, "token_use": "access", "client_id": "app-1"});
    let id_token = json!({"aud": "app-1", "token_use": "id", "client_id": null, "email": "a@example.com"});
    let cases = vec![
        ("default allowlist is RS256", rs(&rs_only, json!({})), (200, "ok")),
        (
            "alg outside the issuer allowlist",
            sign_raw(&header("ES256", "p256"), &claims(&rs_only, json!({})), &k.p256.encoding),
            (401, "jwt_alg_not_allowed"),
        ),
        (
            "PS256 outside the default allowlist",
            sign_raw(&header("PS256", "rsa"), &claims(&rs_only, json!({})), &k.rsa.encoding),
            (401, "jwt_alg_not_allowed"),
        ),
        ("typ pinned", es("at+jwt", json!({})), (200, "ok")),
        ("typ pinned, media type form", es("application/AT+JWT", json!({})), (200, "ok")),
        ("id token where access tokens are required (typ)", es("JWT", json!({})), (401, "jwt_typ_mismatch")),
        (
            "typ missing",
            sign_raw(&json!({"alg": "ES256", "kid": "p256"}), &claims(&at_jwt, json!({})), &k.p256.encoding),
            (401, "jwt_typ_mismatch"),
        ),
        ("cognito access token", rs(&cognito, access.clone()), (200, "ok")),
        (
            "cognito id token where access tokens are required",
            rs(&cognito, id_token.clone()),
            (401, "jwt_token_use_mismatch"),
        ),
        ("cognito token without token_use", rs(&cognito, json!({"aud": null})), (401, "jwt_token_use_mismatch")),
        (
            "cognito unknown app client",
            rs(&cognito, json!({"aud": null, "token_use": "access", "client_id": "app-2"})),
            (401, "jwt_client_id_mismatch"),
        ),
        (
            "cognito access token without client_id",
            rs(&cognito, json!({"aud": null, "token_use": "access", "client_id": null})),
            (401, "jwt_client_id_missing"),
        ),
        ("cognito id token when id tokens are configured", rs(&cognito_id, id_token), (200, "ok")),
        (
            "cognito access token when id tokens are configured",
            rs(&cognito_id, access),
            (401, "jwt_token_use_mismatch"),
        ),
        (
            "principal claim configured",
            sign_raw(&header("EdDSA", "ed"), &claims(&principal, json!({})), &k.ed.encoding),
            (200, "ok"),
        ),
        (
            "principal claim missing",
            sign_raw(&header("EdDSA", "ed"), &claims(&principal, json!({"client_id": null})), &k.ed.encoding),
            (401, "jwt_principal_missing"),
        ),
    ];
    run(&v, cases).await;
    let id =
        v.verify(&sign_raw(&header("EdDSA", "ed"), &claims(&principal, json!({})), &k.ed.encoding), NOW).await.unwrap();
    assert_eq!((&*id.principal, id.subject.as_deref()), ("app-1", Some("user-1")));
}
