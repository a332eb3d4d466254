//! The production decoder: one borrowed pass over the event that reads only the fields the
//! authorizer uses and skips the rest unread.
//!
//! [`super::reference`] (the `aws_lambda_events` types) is the contract; this decoder must
//! give the same answer on every event the replay suite holds, which the replay test checks.
//! It exists because the typed parse allocates every field of the event (headers into an
//! `http::HeaderMap` through an untagged enum, the request context into dozens of `String`s):
//! on a warm mTLS decision that was over half of the handler's instructions.
//!
//! Where the two differ, this one is stricter where it matters and lenient only on fields
//! the authorizer never reads:
//! - the token header named twice in an HTTP API `headers` object with different letter case
//!   is refused as repeated (the library keeps the last one);
//! - fields outside the ones listed in [`Event`] are not type-checked (the library refuses,
//!   say, a numeric `resource`); nothing decided here depends on them;
//! - a header value given as an array of byte arrays (which the library's REST header
//!   decoder accepts) is refused as malformed.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::*;
use crate::request::PemText;

/// A JSON string, borrowed from the event unless it held escapes.
#[derive(Debug, Default, PartialEq, Eq)]
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(v)))
    }
}

fn text<'a>(t: &'a Option<Text<'_>>) -> Option<&'a str> {
    t.as_ref().map(|t| t.0.as_ref())
}

fn owned(t: Option<Text<'_>>) -> String {
    t.map(|t| t.0.into_owned()).unwrap_or_default()
}

/// A header object as the library reads it: names to a string or an array of strings; `null`
/// for the whole object is an empty one. Names and values are checked as `http` checks them.
#[derive(Debug, Default)]
struct Headers<'a> {
    entries: Vec<(Text<'a>, Text<'a>)>,
    /// The object was JSON `null` (the HTTP API decoder refuses that; the REST one does not).
    null: bool,
}

impl<'de: 'a, 'a> Deserialize<'de> for Headers<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_option(HeadersVisitor)
    }
}

struct HeadersVisitor;

impl<'de> Visitor<'de> for HeadersVisitor {
    type Value = Headers<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a header object")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Headers { entries: Vec::new(), null: true })
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        // serde_json gives no size hint; a hint is never trusted beyond a small capacity.
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(16).min(64));
        while let Some(name) = map.next_key::<Text<'de>>()? {
            if !is_header_name(name.0.as_bytes()) {
                return Err(de::Error::custom("header name"));
            }
            map.next_value_seed(Values { name, out: &mut entries })?;
        }
        Ok(Headers { entries, null: false })
    }
}

/// A header's value, one string or an array of them, each pushed straight into the entries
/// under `name` (checked as `http` checks a value).
struct Values<'o, 'a> {
    name: Text<'a>,
    out: &'o mut Vec<(Text<'a>, Text<'a>)>,
}

impl<'o, 'a> Values<'o, 'a> {
    fn push<E: de::Error>(&mut self, value: Text<'a>) -> Result<(), E> {
        if !is_header_value(value.0.as_bytes()) {
            return Err(E::custom("header value"));
        }
        // Borrowed names are copied as references; only an escaped (owned) name is cloned.
        self.out.push((Text(self.name.0.clone()), value));
        Ok(())
    }
}

impl<'de, 'o> de::DeserializeSeed<'de> for Values<'o, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, 'o> Visitor<'de> for Values<'o, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }

    fn visit_borrowed_str<E: de::Error>(mut self, v: &'de str) -> Result<(), E> {
        self.push(Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(mut self, v: &str) -> Result<(), E> {
        self.push(Text(Cow::Owned(v.to_owned())))
    }

    fn visit_seq<S: SeqAccess<'de>>(mut self, mut seq: S) -> Result<(), S::Error> {
        while let Some(v) = seq.next_element::<Text<'de>>()? {
            self.push(v)?;
        }
        Ok(())
    }
}

/// The token characters of RFC 9110 §5.6.2 as a bit set over the ASCII bytes.
const TOKEN_CHARS: u128 = {
    let mut set = 0u128;
    let mut b = 0u8;
    while b < 128 {
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            )
        {
            set |= 1 << b;
        }
        b += 1;
    }
    set
};

/// `http::HeaderName::from_bytes`'s rule without its allocation: 1 to 65535 token characters
/// (RFC 9110 §5.6.2), either letter case.
fn is_header_name(name: &[u8]) -> bool {
    !name.is_empty() && name.len() <= 0xffff && name.iter().all(|&b| b < 128 && TOKEN_CHARS & (1 << b) != 0)
}

/// `http::HeaderValue::from_bytes`'s rule: visible characters, spaces and tabs, no other
/// control characters (bytes of multi-byte UTF-8 characters are allowed).
fn is_header_value(value: &[u8]) -> bool {
    // A branch-free fold, so the compiler vectorises it.
    value.iter().fold(true, |ok, &b| ok & (((b >= 0x20) & (b != 0x7f)) | (b == b'\t')))
}

/// `clientCertPem` left undecoded: a JSON string literal, escapes and all (see [`PemText`]).
struct PemLiteral<'a>(&'a serde_json::value::RawValue);

impl<'de: 'a, 'a> Deserialize<'de> for PemLiteral<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&serde_json::value::RawValue>::deserialize(d)?;
        if raw.get().starts_with('"') {
            Ok(PemLiteral(raw))
        } else {
            Err(de::Error::custom("clientCertPem: not a string"))
        }
    }
}

/// The union of the three shapes, only as far as the authorizer reads it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event<'a> {
    #[serde(rename = "type", borrow = "'a", default)]
    kind: Option<Text<'a>>,
    #[serde(borrow = "'a", default)]
    version: Option<Text<'a>>,
    #[serde(borrow = "'a", default)]
    authorization_token: Option<Text<'a>>,
    #[serde(borrow = "'a", default)]
    method_arn: Option<Text<'a>>,
    #[serde(borrow = "'a", default)]
    route_arn: Option<Text<'a>>,
    #[serde(borrow = "'a", default)]
    raw_path: Option<Text<'a>>,
    #[serde(borrow = "'a", default)]
    headers: Headers<'a>,
    #[serde(borrow = "'a", default)]
    multi_value_headers: Headers<'a>,
    #[serde(borrow = "'a", default)]
    request_context: Option<RequestContext<'a>>,
}

#[derive(Deserialize)]
struct RequestContext<'a> {
    /// REST: `identity.clientCert`.
    #[serde(borrow = "'a", default)]
    identity: Option<CertHolder<'a>>,
    /// HTTP API: `authentication.clientCert`.
    #[serde(borrow = "'a", default)]
    authentication: Option<CertHolder<'a>>,
    /// HTTP API: `http.method`, `http.path`.
    #[serde(borrow = "'a", default)]
    http: Option<Http<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CertHolder<'a> {
    #[serde(borrow = "'a", default)]
    client_cert: Option<Cert<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cert<'a> {
    #[serde(borrow = "'a", default)]
    client_cert_pem: Option<PemLiteral<'a>>,
    #[serde(rename = "subjectDN", borrow = "'a", default)]
    subject_dn: Option<Text<'a>>,
    #[serde(rename = "issuerDN", borrow = "'a", default)]
    issuer_dn: Option<Text<'a>>,
    #[serde(borrow = "'a", default)]
    serial_number: Option<Text<'a>>,
    /// Required by the library's type.
    #[serde(borrow)]
    validity: Validity<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Validity<'a> {
    #[serde(borrow = "'a", default)]
    not_before: Option<Text<'a>>,
    #[serde(borrow = "'a", default)]
    not_after: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Http<'a> {
    #[serde(borrow = "'a", default)]
    method: Option<Text<'a>>,
    #[serde(borrow = "'a", default)]
    path: Option<Text<'a>>,
}

impl Cert<'_> {
    fn into_client_cert(self) -> ClientCert {
        ClientCert {
            pem: self.client_cert_pem.map_or_else(PemText::default, |raw| PemText::from_json_literal(raw.0.get())),
            subject_dn: owned(self.subject_dn),
            issuer_dn: owned(self.issuer_dn),
            serial_number: owned(self.serial_number),
            not_before: owned(self.validity.not_before),
            not_after: owned(self.validity.not_after),
        }
    }
}

/// Parses and normalises one authorizer event.
pub fn parse_event(event: &[u8], config: &EventConfig) -> Result<AuthRequest, Reason> {
    let json = checked_text(event)?;
    let e: Event<'_> = match serde_json::from_str(json) {
        Ok(e) => e,
        // Which refusal: the shape probe tells an unknown shape and bad JSON apart, the same
        // way the reference decoder does; a known shape that failed is malformed.
        Err(_) => return Err(shape_of(json).err().unwrap_or(EVENT_MALFORMED)),
    };
    let shape = match (text(&e.version), text(&e.kind)) {
        (Some("2.0"), Some("REQUEST")) => EventShape::HttpV2,
        (Some("1.0") | None, Some("REQUEST")) => EventShape::RestRequest,
        (None, Some("TOKEN")) => EventShape::RestToken,
        _ => return Err(EVENT_SHAPE_UNKNOWN),
    };
    match shape {
        EventShape::RestToken => {
            let arn = parse_arn(text(&e.method_arn))?;
            let token = match text(&e.authorization_token) {
                None | Some("") => None,
                Some(raw) => Some(bearer_token(raw.as_bytes())?),
            };
            Ok(AuthRequest { shape, method: arn.method.clone(), path: arn.path.clone(), arn, token, client_cert: None })
        }
        EventShape::RestRequest => {
            let context = e.request_context.ok_or(EVENT_MALFORMED)?;
            let arn = parse_arn(text(&e.method_arn))?;
            check_total(&e.headers)?;
            check_total(&e.multi_value_headers)?;
            // `headers` keeps the last value of a repeated header; `multiValueHeaders` has them all.
            if named(&e.multi_value_headers, config).nth(1).is_some() {
                return Err(TOKEN_HEADER_REPEATED);
            }
            let token = token_from(&e.headers, config)?;
            let client_cert = context.identity.and_then(|i| i.client_cert).map(Cert::into_client_cert);
            Ok(AuthRequest { shape, method: arn.method.clone(), path: arn.path.clone(), arn, token, client_cert })
        }
        EventShape::HttpV2 => {
            let context = e.request_context.filter(|_| !e.headers.null).ok_or(EVENT_MALFORMED)?;
            // The library's type requires `requestContext.http.method`, a valid method token.
            let http = context.http.ok_or(EVENT_MALFORMED)?;
            let http_method = text(&http.method).filter(|m| is_method(m.as_bytes())).ok_or(EVENT_MALFORMED)?;
            let arn = parse_arn(text(&e.route_arn))?;
            check_total(&e.headers)?;
            let token = token_from(&e.headers, config)?;
            let (method, path) = route_of(&arn, http_method, text(&http.path).or(text(&e.raw_path)));
            let client_cert = context.authentication.and_then(|a| a.client_cert).map(Cert::into_client_cert);
            Ok(AuthRequest { shape, arn, method, path, token, client_cert })
        }
    }
}

/// `http::Method::from_bytes`'s rule: one or more token characters.
fn is_method(m: &[u8]) -> bool {
    is_header_name(m)
}

/// Refuses header sets over API Gateway's 10 KiB of values.
fn check_total(headers: &Headers<'_>) -> Result<(), Reason> {
    let total = headers.entries.iter().fold(0usize, |n, (_, v)| n.saturating_add(v.0.len()));
    if total > MAX_HEADER_BYTES { Err(HEADERS_TOO_LARGE) } else { Ok(()) }
}

/// The values of the configured token header, whatever the letter case of its name.
fn named<'h>(headers: &'h Headers<'_>, config: &'h EventConfig) -> impl Iterator<Item = &'h str> + 'h {
    headers.entries.iter().filter(|(n, _)| n.0.eq_ignore_ascii_case(&config.token_header)).map(|(_, v)| v.0.as_ref())
}

fn token_from(headers: &Headers<'_>, config: &EventConfig) -> Result<Option<String>, Reason> {
    let mut values = named(headers, config);
    let Some(first) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(TOKEN_HEADER_REPEATED);
    }
    if first.is_empty() {
        return Ok(None);
    }
    bearer_token(first.as_bytes()).map(Some)
}

#[cfg(test)]
mod tests {
    use aws_lambda_events::http::{HeaderName, HeaderValue, Method};

    use super::*;

    #[test]
    fn header_rules_match_the_http_crate() {
        for b in 0..=255u8 {
            let one = [b];
            assert_eq!(is_header_name(&one), HeaderName::from_bytes(&one).is_ok(), "name byte {b:#04x}");
            assert_eq!(is_header_value(&one), HeaderValue::from_bytes(&one).is_ok(), "value byte {b:#04x}");
            assert_eq!(is_method(&one), Method::from_bytes(&one).is_ok(), "method byte {b:#04x}");
        }
        assert!(!is_header_name(b""));
        assert!(HeaderName::from_bytes(b"").is_err());
    }

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/orders/42";

    #[track_caller]
    fn check(event: serde_json::Value, expected: Result<Option<&str>, Reason>) {
        let got = parse_event(event.to_string().as_bytes(), &EventConfig::default());
        assert_eq!(got.map(|r| r.token).as_ref().map(Option::as_deref).map_err(|r| *r), expected, "{event}");
    }

    /// The cases where this decoder is deliberately stricter than the reference, and the
    /// header forms both accept.
    #[test]
    fn header_forms() {
        use serde_json::json;
        let v2 = |headers: serde_json::Value| {
            json!({"version": "2.0", "type": "REQUEST", "routeArn": ARN, "headers": headers,
                   "requestContext": {"http": {"method": "GET", "path": "/orders/42"}}})
        };
        let rest = |headers: serde_json::Value, multi: serde_json::Value| {
            json!({"type": "REQUEST", "methodArn": ARN, "headers": headers, "multiValueHeaders": multi,
                   "requestContext": {}})
        };
        check(v2(json!({"Authorization": "Bearer a.b.c"})), Ok(Some("a.b.c")));
        check(v2(json!({"authorization": ["Bearer a.b.c"]})), Ok(Some("a.b.c")));
        // The library keeps the last of these; a token named twice is ambiguous: refused.
        check(
            v2(json!({"Authorization": "Bearer a.b.c", "authorization": "Bearer d.e.f"})),
            Err(TOKEN_HEADER_REPEATED),
        );
        check(v2(json!({"authorization": ["Bearer a.b.c", "Bearer d.e.f"]})), Err(TOKEN_HEADER_REPEATED));
        check(v2(json!(null)), Err(EVENT_MALFORMED));
        check(v2(json!({"x-bytes": [[104, 105]]})), Err(EVENT_MALFORMED));
        check(v2(json!({"bad name": "x"})), Err(EVENT_MALFORMED));
        check(v2(json!({"x-ctl": "a\u{1}b"})), Err(EVENT_MALFORMED));
        check(v2(json!({"authorization": null})), Err(EVENT_MALFORMED));
        check(rest(json!(null), json!(null)), Ok(None));
        check(
            rest(json!({"authorization": "Bearer a.b.c"}), json!({"Authorization": ["Bearer a.b.c", "x"]})),
            Err(TOKEN_HEADER_REPEATED),
        );
        check(rest(json!({"x": "y".repeat(MAX_HEADER_BYTES + 1)}), json!({})), Err(HEADERS_TOO_LARGE));
    }
}
