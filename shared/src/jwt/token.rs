//! The compact JWS serialization, taken apart strictly before any key is looked at: size
//! limit first, then exactly three base64url parts without padding, a JOSE header with only
//! parameters we understand, and a claim set that is one JSON object with unique names.

use std::borrow::Cow;

use jsonwebtoken::Algorithm;

use super::config::algorithm_from_name;
use super::json::{Json, Object, read_object};
use super::reasons::*;
use crate::decision::Reason;

/// Tokens longer than this are refused before any decoding.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Longest accepted `kid`.
pub const MAX_KID_BYTES: usize = 256;

/// Header parameters that carry or point at a key: trusting them lets the caller pick the
/// key that verifies its own token (RFC 8725 §3.10).
const KEY_HEADERS: [&str; 4] = ["jwk", "jku", "x5u", "x5c"];
/// Header parameters for features we do not implement (JWE, compression, unencoded
/// payloads, nested tokens): such a token is refused rather than half understood.
const UNSUPPORTED_HEADERS: [&str; 4] = ["enc", "zip", "b64", "cty"];

/// A token taken apart; nothing in it is trusted until the signature has been verified.
/// Its strings borrow from the token and from the buffer its parts were decoded into.
#[derive(Debug)]
pub(crate) struct Token<'a> {
    pub alg: Algorithm,
    pub kid: Cow<'a, str>,
    /// `typ` as the header gives it, if any (compare with `config::typ_matches`).
    pub typ: Option<Cow<'a, str>>,
    pub claims: Object<'a>,
    /// `base64url(header) . base64url(payload)`, the bytes the signature covers.
    pub signing_input: &'a [u8],
    pub signature: &'a [u8],
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Why `part` did not decode: characters that base64 never uses make the token malformed;
/// padding or the standard alphabet's `+`/`/` (or a bad length) make it bad base64url.
/// Only run on the error path, so a good token is scanned once, by the decoder.
fn classify(part: &str) -> Reason {
    let bytes = part.as_bytes();
    if bytes.iter().any(|&b| !(is_b64url(b) || b == b'.' || b == b'=' || b == b'+' || b == b'/')) {
        JWT_MALFORMED
    } else {
        JWT_BAD_BASE64
    }
}

/// Strict base64url (no padding, no `+`/`/`, no non-zero trailing bits), appended to `out`.
///
/// Decoded with `base64-simd` (already in the binary through the AWS SDK's
/// `aws-smithy-types`), which takes 16 or 32 characters a step where the `base64` crate takes
/// 8: the three parts of an RS256 token are ~900 characters, decoded on every request. The
/// test `decoders_agree` holds it to the `base64` crate's strict engine, which decided what
/// this function accepted before.
fn b64_into(part: &str, out: &mut Vec<u8>) -> Result<(), Reason> {
    base64_simd::URL_SAFE_NO_PAD.decode_append(part, out).map_err(|_| classify(part))
}

/// Decoded bytes as the JSON object they must be.
fn object(bytes: &[u8]) -> Result<Object<'_>, Reason> {
    std::str::from_utf8(bytes).ok().and_then(read_object).ok_or(JWT_BAD_JSON)
}

/// Splits and decodes a compact JWS and checks its header. `buffer` receives the decoded
/// header, claim set and signature, which the returned token borrows.
pub(crate) fn parse<'a>(token: &'a str, buffer: &'a mut Vec<u8>) -> Result<Token<'a>, Reason> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(JWT_TOO_LARGE);
    }
    if token.trim_start().starts_with('{') {
        return Err(JWT_NOT_COMPACT);
    }
    // Three parts, two dots (found with `memchr`: `str::split` walks a long token slowly).
    let mut dots = memchr::memchr_iter(b'.', token.as_bytes());
    let (Some(d1), Some(d2), None) = (dots.next(), dots.next(), dots.next()) else {
        return Err(match classify(token) {
            JWT_BAD_BASE64 if token.contains(['=', '+', '/']) => JWT_BAD_BASE64,
            _ => JWT_MALFORMED,
        });
    };
    let (h, p, s) = (token.get(..d1), token.get(d1 + 1..d2), token.get(d2 + 1..));
    let (Some(h), Some(p), Some(s)) = (h, p, s) else { return Err(JWT_MALFORMED) };
    if h.is_empty() || p.is_empty() {
        return Err(JWT_MALFORMED);
    }
    // The three parts go into one buffer; their errors are still reported in order below.
    buffer.clear();
    buffer.reserve(h.len().saturating_add(p.len()).saturating_add(s.len()) / 4 * 3 + 6);
    let header_decoded = b64_into(h, buffer);
    let header_end = buffer.len();
    let payload_decoded = header_decoded.and_then(|()| b64_into(p, buffer));
    let payload_end = buffer.len();
    let signature_decoded = payload_decoded.and_then(|()| b64_into(s, buffer));
    let buffer: &'a [u8] = buffer;
    // The decoder only appends, so these ranges are in order and in the buffer.
    let (Some(header), Some(payload), Some(signature)) =
        (buffer.get(..header_end), buffer.get(header_end..payload_end), buffer.get(payload_end..))
    else {
        return Err(JWT_MALFORMED);
    };
    header_decoded?;
    let (alg, kid, typ) = check_header(object(header)?)?;
    if s.is_empty() {
        return Err(JWT_SIGNATURE_MISSING);
    }
    payload_decoded?;
    let claims = object(payload)?;
    signature_decoded?;
    let signing_input = token.as_bytes().get(..h.len() + 1 + p.len()).ok_or(JWT_MALFORMED)?;
    Ok(Token { alg, kid, typ, claims, signing_input, signature })
}

/// One pass over the header's members; the checks then run in a fixed order, so a header
/// breaking several rules always gets the same reason: `alg`, embedded keys, `crit`,
/// unsupported features, `typ`, `kid`.
#[allow(clippy::type_complexity, reason = "alg, kid, typ")]
fn check_header(header: Object<'_>) -> Result<(Algorithm, Cow<'_, str>, Option<Cow<'_, str>>), Reason> {
    let (mut alg, mut typ, mut kid) = (None, None, None);
    let (mut embedded_key, mut crit, mut unsupported) = (false, false, false);
    for (name, value) in header.into_members() {
        match name.as_ref() {
            "alg" => alg = Some(value),
            "typ" => typ = Some(value),
            "kid" => kid = Some(value),
            "crit" => crit = true,
            n if KEY_HEADERS.contains(&n) => embedded_key = true,
            n if UNSUPPORTED_HEADERS.contains(&n) => unsupported = true,
            _ => {}
        }
    }
    let alg = match alg {
        Some(Json::String(name)) if name.eq_ignore_ascii_case("none") => return Err(JWT_ALG_NONE),
        Some(Json::String(name)) => algorithm_from_name(&name).ok_or(JWT_ALG_NOT_ALLOWED)?,
        Some(_) => return Err(JWT_HEADER_INVALID),
        None => return Err(JWT_ALG_NOT_ALLOWED),
    };
    if embedded_key {
        return Err(JWT_EMBEDDED_KEY);
    }
    // The crate parses `crit` but never enforces it. We implement no extension, so any
    // `crit` names something we do not understand (RFC 7515 §4.1.11).
    if crit {
        return Err(JWT_CRIT_UNSUPPORTED);
    }
    if unsupported {
        return Err(JWT_HEADER_UNSUPPORTED);
    }
    let typ = match typ {
        None => None,
        Some(Json::String(t)) => Some(t),
        Some(_) => return Err(JWT_HEADER_INVALID),
    };
    let kid = match kid {
        None => return Err(JWT_KID_MISSING),
        Some(Json::String(kid)) if valid_kid(&kid) => kid,
        Some(_) => return Err(JWT_KID_INVALID),
    };
    Ok((alg, kid, typ))
}

/// A `kid` is a short printable ASCII string; it is only ever a map key here, never a path.
fn valid_kid(kid: &str) -> bool {
    !kid.is_empty() && kid.len() <= MAX_KID_BYTES && kid.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    /// `b64_into` accepts exactly what the `base64` crate's strict URL-safe engine without
    /// padding accepts, and decodes it to the same bytes: every string of up to three
    /// characters over an alphabet of the edge cases (letters whose low bits a last character
    /// may not set, padding, the standard alphabet, a dot, a space, a non-ASCII character),
    /// and long strings that cross the SIMD decoder's 16- and 32-character steps with each
    /// of those characters put at the start, the middle and the end.
    #[test]
    fn decoders_agree() {
        let agree = |text: &str| {
            let reference = URL_SAFE_NO_PAD.decode(text).ok();
            let mut out = vec![7u8];
            let ours = b64_into(text, &mut out).ok().map(|()| out.split_off(1));
            assert_eq!(ours, reference, "{text:?}");
        };
        let odd = ["A", "B", "Q", "R", "g", "w", "x", "_", "-", "8", "9", "=", "+", "/", ".", " ", "\u{e9}"];
        agree("");
        for a in odd {
            agree(a);
            for b in odd {
                agree(&format!("{a}{b}"));
                for c in odd {
                    agree(&format!("{a}{b}{c}"));
                }
            }
        }
        let body = URL_SAFE_NO_PAD.encode((0u8..=255).collect::<Vec<u8>>());
        for len in [15, 16, 17, 31, 32, 33, 63, 64, 65, 95, 96, 97, 340, 341, 342] {
            let base = &body[..len];
            agree(base);
            for at in [0, len / 2, len - 1] {
                for c in odd {
                    agree(&format!("{}{c}{}", &base[..at], &base[at..]));
                    agree(&format!("{}{c}{}", &base[..at], &base[at + 1..]));
                }
            }
        }
    }

    fn enc(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn token(header: &str, payload: &str, sig: &str) -> String {
        format!("{}.{}.{sig}", enc(header), enc(payload))
    }

    const H: &str = r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#;
    const P: &str = r#"{"iss":"https://i","exp":1}"#;

    #[track_caller]
    fn check(token: &str, expected: Result<(Algorithm, &str, Option<&str>), Reason>) {
        let mut buffer = Vec::new();
        let got = parse(token, &mut buffer).map(|t| (t.alg, t.kid, t.typ));
        let got = got.as_ref().map(|(a, k, t)| (*a, k.as_ref(), t.as_deref())).map_err(|r| *r);
        assert_eq!(got, expected, "{token}");
    }

    #[test]
    fn accepts_a_well_formed_token() {
        let t = token(H, P, "c2ln");
        check(&t, Ok((Algorithm::RS256, "k1", Some("JWT"))));
        let mut buffer = Vec::new();
        let parsed = parse(&t, &mut buffer).unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(parsed.signature, b"sig");
        assert_eq!(parsed.claims.get("iss").and_then(Json::as_str), Some("https://i"));
        assert_eq!(parsed.claims.get("exp").map(Json::to_value), Some(serde_json::Value::from(1)));
        assert_eq!(parsed.signing_input, t.rsplit_once('.').map(|(m, _)| m.as_bytes()).unwrap_or_default());
    }

    #[test]
    fn refuses_bad_serializations() {
        let long = format!("{}.{}.c2ln", enc(H), "A".repeat(MAX_TOKEN_BYTES));
        check(&long, Err(JWT_TOO_LARGE));
        check(r#"{"payload":"e30","signatures":[]}"#, Err(JWT_NOT_COMPACT));
        check(r#" {"payload":"e30"}"#, Err(JWT_NOT_COMPACT));
        check(&format!("{}.{}", enc(H), enc(P)), Err(JWT_MALFORMED));
        check(&format!("{}.{}.c2ln.x.y", enc(H), enc(P)), Err(JWT_MALFORMED));
        check(&format!(".{}.c2ln", enc(P)), Err(JWT_MALFORMED));
        check(&format!("{}..c2ln", enc(H)), Err(JWT_MALFORMED));
        check(&format!("{} .{}.c2ln", enc(H), enc(P)), Err(JWT_MALFORMED));
        check("", Err(JWT_MALFORMED));
        check("é.a.b", Err(JWT_MALFORMED));
        check(&format!("{}.{}.c2ln=", enc(H), enc(P)), Err(JWT_BAD_BASE64));
        check(&format!("{}.{}.c2/ln", enc(H), enc(P)), Err(JWT_BAD_BASE64));
        check(&format!("{}.{}.c2l+", enc(H), enc(P)), Err(JWT_BAD_BASE64));
        // "c2lo" decodes to "sih"; "c2lp" has non-zero trailing bits in a 3-char group: "c2n".
        check(&format!("{}.{}.c2n", enc(H), enc(P)), Err(JWT_BAD_BASE64));
        check(&format!("{}.{}.c", enc(H), enc(P)), Err(JWT_BAD_BASE64));
        check(&format!("{}.{}.c2ln", enc(H), "e30xx"), Err(JWT_BAD_BASE64));
        check(&token(H, "[1]", "c2ln"), Err(JWT_BAD_JSON));
        check(&token(H, r#"{"exp":1,"exp":2}"#, "c2ln"), Err(JWT_BAD_JSON));
        check(&token(r#"{"alg":"RS256","alg":"none","kid":"k"}"#, P, "c2ln"), Err(JWT_BAD_JSON));
        check(&token("not json", P, "c2ln"), Err(JWT_BAD_JSON));
        check(&format!("{}.{}.c2ln", enc(H), URL_SAFE_NO_PAD.encode([0xff, 0xfe])), Err(JWT_BAD_JSON));
        check(&format!("{}.{}.", enc(H), enc(P)), Err(JWT_SIGNATURE_MISSING));
    }

    #[test]
    fn refuses_dangerous_headers() {
        for alg in ["none", "None", "NONE", "nOnE"] {
            check(&token(&format!(r#"{{"alg":"{alg}","kid":"k"}}"#), P, ""), Err(JWT_ALG_NONE));
            check(&token(&format!(r#"{{"alg":"{alg}"}}"#), P, "c2ln"), Err(JWT_ALG_NONE));
        }
        for alg in ["HS256", "HS384", "HS512", "rs256", "RSA-OAEP", "ES512", ""] {
            check(&token(&format!(r#"{{"alg":"{alg}","kid":"k"}}"#), P, "c2ln"), Err(JWT_ALG_NOT_ALLOWED));
        }
        check(&token(r#"{"kid":"k"}"#, P, "c2ln"), Err(JWT_ALG_NOT_ALLOWED));
        check(&token(r#"{"alg":256,"kid":"k"}"#, P, "c2ln"), Err(JWT_HEADER_INVALID));
        for key in KEY_HEADERS {
            let h = format!(r#"{{"alg":"RS256","kid":"k","{key}":"x"}}"#);
            check(&token(&h, P, "c2ln"), Err(JWT_EMBEDDED_KEY));
        }
        check(&token(r#"{"alg":"RS256","kid":"k","crit":["exp"],"exp":1}"#, P, "c2ln"), Err(JWT_CRIT_UNSUPPORTED));
        check(&token(r#"{"alg":"RS256","kid":"k","crit":[]}"#, P, "c2ln"), Err(JWT_CRIT_UNSUPPORTED));
        for key in UNSUPPORTED_HEADERS {
            let h = format!(r#"{{"alg":"RS256","kid":"k","{key}":"x"}}"#);
            check(&token(&h, P, "c2ln"), Err(JWT_HEADER_UNSUPPORTED));
        }
        check(&token(r#"{"alg":"RS256","kid":"k","typ":1}"#, P, "c2ln"), Err(JWT_HEADER_INVALID));
    }

    #[test]
    fn kid_rules() {
        check(&token(r#"{"alg":"ES256"}"#, P, "c2ln"), Err(JWT_KID_MISSING));
        check(&token(r#"{"alg":"ES256","kid":""}"#, P, "c2ln"), Err(JWT_KID_INVALID));
        check(&token(r#"{"alg":"ES256","kid":7}"#, P, "c2ln"), Err(JWT_KID_INVALID));
        check(&token(r#"{"alg":"ES256","kid":"a\nb"}"#, P, "c2ln"), Err(JWT_KID_INVALID));
        let long = format!(r#"{{"alg":"ES256","kid":"{}"}}"#, "k".repeat(MAX_KID_BYTES + 1));
        check(&token(&long, P, "c2ln"), Err(JWT_KID_INVALID));
        let max = "k".repeat(MAX_KID_BYTES);
        check(&token(&format!(r#"{{"alg":"ES256","kid":"{max}"}}"#), P, "c2ln"), Ok((Algorithm::ES256, &max, None)));
        check(
            &token(r#"{"alg":"EdDSA","kid":"../../../etc/passwd"}"#, P, "c2ln"),
            Ok((Algorithm::EdDSA, "../../../etc/passwd", None)),
        );
    }
}
