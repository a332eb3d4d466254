//! Test kit for the JWT tests: keys generated here (RSA, EC P-256/P-384, Ed25519), tokens
//! signed here with any header and claims, and a real JWKS HTTP server on 127.0.0.1 whose
//! behaviour (serve, fail, hang, rotate) the test controls.

#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};
use shared::config::Env;
use shared::decision::{JwtIdentity, Outcome, Rejection};
use shared::jwt::{JwtConfig, JwtVerifier};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The time every test runs at.
pub const NOW: u64 = 1_800_000_000;

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A signing key and its public JWK.
#[derive(Clone)]
pub struct TestKey {
    pub encoding: EncodingKey,
    /// The public JWK without `kid` (added by [`TestKey::jwk`]).
    pub public: Value,
    /// SubjectPublicKeyInfo DER of the public key.
    pub spki_der: Vec<u8>,
}

impl TestKey {
    pub fn jwk(&self, kid: &str) -> Value {
        let mut jwk = self.public.clone();
        jwk["kid"] = json!(kid);
        jwk
    }

    pub fn jwk_with(&self, kid: &str, extra: Value) -> Value {
        let mut jwk = self.jwk(kid);
        if let (Some(j), Some(e)) = (jwk.as_object_mut(), extra.as_object()) {
            j.extend(e.clone());
        }
        jwk
    }

    /// The public key as PEM, the classic secret of an RS256 to HS256 confusion attack.
    pub fn public_pem(&self) -> String {
        let body = STANDARD.encode(&self.spki_der);
        let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
        format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", lines.join("\n"))
    }
}

/// The PKCS#1 `RSAPrivateKey` inside a PKCS#8 v1 document (what `EncodingKey::from_rsa_der` takes).
fn pkcs1_from_pkcs8(pkcs8: &[u8]) -> Vec<u8> {
    fn header(der: &[u8]) -> (usize, usize) {
        let first = der[1];
        if first < 0x80 {
            (2, first as usize)
        } else {
            let n = (first & 0x7f) as usize;
            let len = der[2..2 + n].iter().fold(0usize, |acc, b| acc << 8 | *b as usize);
            (2 + n, len)
        }
    }
    let (h, _) = header(pkcs8);
    let mut rest = &pkcs8[h..];
    for _ in 0..2 {
        let (h, len) = header(rest);
        rest = &rest[h + len..];
    }
    let (h, len) = header(rest);
    assert_eq!(rest[0], 0x04, "octet string");
    rest[h..h + len].to_vec()
}

pub fn rsa_key() -> TestKey {
    let pair = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
    let pkcs8: Pkcs8V1Der = pair.as_der().unwrap();
    let public = pair.public_key();
    let components = PublicKeyComponents::<Vec<u8>>::from(public);
    let spki: PublicKeyX509Der = public.as_der().unwrap();
    TestKey {
        encoding: EncodingKey::from_rsa_der(&pkcs1_from_pkcs8(pkcs8.as_ref())),
        public: json!({"kty": "RSA", "n": b64(&components.n), "e": b64(&components.e)}),
        spki_der: spki.as_ref().to_vec(),
    }
}

pub fn ec_key(p384: bool) -> TestKey {
    let (alg, crv, len) = if p384 {
        (&ECDSA_P384_SHA384_FIXED_SIGNING, "P-384", 48)
    } else {
        (&ECDSA_P256_SHA256_FIXED_SIGNING, "P-256", 32)
    };
    let pair = EcdsaKeyPair::generate(alg).unwrap();
    let point = pair.public_key().as_ref().to_vec();
    let spki: PublicKeyX509Der = pair.public_key().as_der().unwrap();
    TestKey {
        encoding: EncodingKey::from_ec_der(pair.to_pkcs8v1().unwrap().as_ref()),
        public: json!({"kty": "EC", "crv": crv, "x": b64(&point[1..1 + len]), "y": b64(&point[1 + len..])}),
        spki_der: spki.as_ref().to_vec(),
    }
}

pub fn ed_key() -> TestKey {
    let pair = Ed25519KeyPair::generate().unwrap();
    let spki: PublicKeyX509Der = pair.public_key().as_der().unwrap();
    TestKey {
        encoding: EncodingKey::from_ed_der(pair.to_pkcs8().unwrap().as_ref()),
        public: json!({"kty": "OKP", "crv": "Ed25519", "x": b64(pair.public_key().as_ref())}),
        spki_der: spki.as_ref().to_vec(),
    }
}

/// The keys of one test binary, generated once (RSA generation is the slow one).
pub struct Keys {
    pub rsa: TestKey,
    pub rsa_other: TestKey,
    pub p256: TestKey,
    pub p384: TestKey,
    pub ed: TestKey,
    pub attacker: TestKey,
}

pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        rsa: rsa_key(),
        rsa_other: rsa_key(),
        p256: ec_key(false),
        p384: ec_key(true),
        ed: ed_key(),
        attacker: ec_key(false),
    })
}

/// A compact JWS with exactly this header and these claims, signed with `key` using the
/// header's `alg`.
pub fn sign_raw(header: &Value, claims: &Value, key: &EncodingKey) -> String {
    let alg: Algorithm = serde_json::from_value(header["alg"].clone()).unwrap();
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), key, alg).unwrap();
    format!("{input}.{sig}")
}

/// `header.payload.` with any header (for `alg: none` and friends): no signature computed.
pub fn unsigned(header: &Value, claims: &Value, signature: &str) -> String {
    format!("{}.{}.{signature}", b64(header.to_string()), b64(claims.to_string()))
}

/// What the JWKS server answers.
#[derive(Clone, Debug)]
pub enum Mode {
    Serve(String),
    Status(u16),
    /// Accepts the connection and never answers.
    Hang,
    /// Closes the connection without a response.
    Close,
    /// A 302 to another path of the same server.
    Redirect(String),
    /// Serves the body after a pause, so that concurrent requests overlap.
    Delayed(u64, String),
}

/// A JWKS server on 127.0.0.1 with a request counter.
#[derive(Clone)]
pub struct JwksServer {
    pub base: String,
    mode: Arc<Mutex<Mode>>,
    hits: Arc<AtomicUsize>,
}

impl JwksServer {
    pub async fn start(mode: Mode) -> JwksServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = JwksServer { base, mode: Arc::new(Mutex::new(mode)), hits: Arc::default() };
        let s = server.clone();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 1024];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    s.hits.fetch_add(1, Ordering::SeqCst);
                    let mut mode = s.mode.lock().unwrap().clone();
                    if let Mode::Delayed(ms, body) = mode {
                        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                        mode = Mode::Serve(body);
                    }
                    let response = match mode {
                        Mode::Serve(body) => format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        ),
                        Mode::Status(code) => {
                            format!("HTTP/1.1 {code} Oops\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        }
                        Mode::Redirect(to) => format!(
                            "HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        ),
                        Mode::Hang => {
                            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                            return;
                        }
                        Mode::Close | Mode::Delayed(..) => return,
                    };
                    let _ = conn.write_all(response.as_bytes()).await;
                    let _ = conn.shutdown().await;
                });
            }
        });
        server
    }

    pub fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    pub fn serve(&self, keys: &[Value]) {
        self.set(Mode::Serve(json!({ "keys": keys }).to_string()));
    }

    /// Requests served so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// The issuer whose default JWKS URI (`/.well-known/jwks.json`) is this server.
    pub fn issuer(&self) -> String {
        self.base.clone()
    }
}

/// A verifier for `issuers` (JSON) with loopback HTTP allowed and `extra` variables.
pub async fn verifier(issuers: Value, extra: &[(&str, &str)]) -> JwtVerifier {
    let issuers = issuers.to_string();
    let mut pairs = vec![("AUTHZ_JWT_ISSUERS", issuers.as_str()), ("AUTHZ_JWT_ALLOW_LOOPBACK_HTTP", "true")];
    pairs.extend_from_slice(extra);
    let config = JwtConfig::from_env(&Env::from_pairs(pairs)).unwrap().unwrap();
    JwtVerifier::new(config).await.unwrap()
}

/// What API Gateway would answer, and why: `(200, "ok")`, `(401, reason)` or `(403, reason)`.
pub fn status(result: &Result<JwtIdentity, Rejection>) -> (u16, &'static str) {
    match result {
        Ok(_) => (200, "ok"),
        Err(r) => match r.outcome() {
            Outcome::Unauthorized => (401, r.reason.code()),
            Outcome::Deny => (403, r.reason.code()),
            Outcome::Allow => unreachable!("a rejection never allows"),
        },
    }
}
