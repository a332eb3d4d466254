//! The production decoder: one borrowed pass over the event (with [`crate::json::Reader`])
//! that reads only the fields the authorizer uses and skips the rest unread.
//!
//! [`super::reference`] (the `aws_lambda_events` types) is the contract; this decoder must
//! give the same answer on every event the replay suite holds, which the replay test checks,
//! and on thousands of damaged copies of them. It exists because the typed parse allocates
//! every field of the event (headers into an `http::HeaderMap` through an untagged enum, the
//! request context into dozens of `String`s), and a borrowed serde pass still spent most of
//! its time in serde's per-member machinery: on a warm mTLS decision either was over half of
//! the handler's instructions.
//!
//! Where the two differ, this one is stricter where it matters and lenient only on fields
//! the authorizer never reads:
//! - the token header named twice in an HTTP API `headers` object with different letter case
//!   is refused as repeated (the library keeps the last one);
//! - fields outside the ones read by [`Event::read`] are checked as JSON, not typed (the
//!   library refuses, say, a numeric `resource`); nothing decided here depends on them;
//! - a header value given as an array of byte arrays (which the library's REST header
//!   decoder accepts) is refused as malformed;
//! - an object the library would also take in array form (serde reads a struct from a
//!   sequence of its fields) must be an object;
//! - nesting beyond [`crate::json::MAX_DEPTH`] levels is refused, even in skipped fields.

use std::borrow::Cow;

use super::*;
use crate::json::{Invalid, Reader, Result as Json};
use crate::request::PemText;

type Text<'a> = Cow<'a, str>;

/// A string member as read: `None` when absent, `Some(None)` when `null` (a member is read at
/// most once: see [`once`]).
type Member<'a> = Option<Option<Text<'a>>>;

/// A string member: absent and `null` alike are `None`.
fn text<'a>(t: &'a Member<'_>) -> Option<&'a str> {
    t.as_ref().and_then(|t| t.as_deref())
}

/// Reads a member once: a second member of the same name is refused, as serde refuses a
/// repeated field.
fn once<T>(slot: &mut Option<T>, value: Json<T>) -> Json<()> {
    if slot.is_some() {
        return Err(Invalid);
    }
    *slot = Some(value?);
    Ok(())
}

/// A header object as the library reads it: names to a string or an array of strings; `null`
/// for the whole object is an empty one. Names and values are checked as `http` checks them.
/// Only what the decision needs is kept: the values of the token header (whatever the letter
/// case of its name) and the total size of all values.
#[derive(Debug, Default)]
struct Headers<'a> {
    /// The first value of the token header.
    token: Option<Text<'a>>,
    /// How many values the token header had, across all the names it appeared under.
    token_values: usize,
    /// The length of every value, added up.
    total: usize,
    /// The object was JSON `null` (the HTTP API decoder refuses that; the REST one does not).
    null: bool,
}

impl<'a> Headers<'a> {
    fn read(r: &mut Reader<'a>, token_header: &str) -> Json<Self> {
        let mut headers = Headers::default();
        if r.null()? {
            headers.null = true;
            return Ok(headers);
        }
        r.object(|r, name| {
            if !is_header_name(name.as_bytes()) {
                return Err(Invalid);
            }
            let is_token = name.len() == token_header.len() && name.eq_ignore_ascii_case(token_header);
            let mut value = |value: Text<'a>| {
                if !is_header_text(&value) {
                    return Err(Invalid);
                }
                headers.total = headers.total.saturating_add(value.len());
                if is_token {
                    headers.token_values += 1;
                    headers.token.get_or_insert(value);
                }
                Ok(())
            };
            // A header's value: one string or an array of them.
            if r.peek() == Some(b'[') {
                r.array(|r| r.string().and_then(&mut value))
            } else {
                r.string().and_then(value)
            }
        })?;
        Ok(headers)
    }
}

/// The token characters of RFC 9110 §5.6.2, by byte.
#[allow(clippy::indexing_slicing, reason = "a u8 below 128 indexes a 256-entry table")]
const TOKEN_CHARS: [bool; 256] = {
    let mut set = [false; 256];
    let mut b = 0u8;
    while b < 128 {
        set[b as usize] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        b += 1;
    }
    set
};

/// `http::HeaderName::from_bytes`'s rule without its allocation: 1 to 65535 token characters
/// (RFC 9110 §5.6.2), either letter case.
fn is_header_name(name: &[u8]) -> bool {
    !name.is_empty() && name.len() <= 0xffff && name.iter().all(|&b| TOKEN_CHARS.get(usize::from(b)) == Some(&true))
}

/// `http::HeaderValue::from_bytes`'s rule: visible characters, spaces and tabs, no other
/// control characters (bytes of multi-byte UTF-8 characters are allowed).
fn is_header_value(value: &[u8]) -> bool {
    // A branch-free fold, so the compiler vectorises it.
    value.iter().fold(true, |ok, &b| ok & (((b >= 0x20) & (b != 0x7f)) | (b == b'\t')))
}

/// [`is_header_value`] of a string as the reader returned it. A borrowed string is the input
/// between the quotes, where JSON allows no control character, so only DEL is left to look
/// for (with `memchr`: the token header is hundreds of bytes, read twice in a REST event).
fn is_header_text(value: &Text<'_>) -> bool {
    match value {
        Cow::Borrowed(raw) => memchr::memchr(0x7f, raw.as_bytes()).is_none(),
        Cow::Owned(decoded) => is_header_value(decoded.as_bytes()),
    }
}

/// The union of the three shapes, only as far as the authorizer reads it. Members not
/// named here are skipped (checked as JSON, not typed).
#[derive(Default)]
struct Event<'a> {
    kind: Member<'a>,
    version: Member<'a>,
    authorization_token: Member<'a>,
    method_arn: Member<'a>,
    route_arn: Member<'a>,
    raw_path: Member<'a>,
    headers: Option<Headers<'a>>,
    multi_value_headers: Option<Headers<'a>>,
    request_context: Option<Option<RequestContext<'a>>>,
}

impl<'a> Event<'a> {
    fn read(r: &mut Reader<'a>, token_header: &str) -> Json<Self> {
        let mut e = Event::default();
        r.object(|r, name| match name.as_ref() {
            "type" => once(&mut e.kind, r.optional(Reader::string)),
            "version" => once(&mut e.version, r.optional(Reader::string)),
            "authorizationToken" => once(&mut e.authorization_token, r.optional(Reader::string)),
            "methodArn" => once(&mut e.method_arn, r.optional(Reader::string)),
            "routeArn" => once(&mut e.route_arn, r.optional(Reader::string)),
            "rawPath" => once(&mut e.raw_path, r.optional(Reader::string)),
            "headers" => once(&mut e.headers, Headers::read(r, token_header)),
            "multiValueHeaders" => once(&mut e.multi_value_headers, Headers::read(r, token_header)),
            "requestContext" => once(&mut e.request_context, r.optional(RequestContext::read)),
            _ => r.skip(),
        })?;
        Ok(e)
    }
}

#[derive(Default)]
struct RequestContext<'a> {
    /// REST: `identity.clientCert`.
    identity: Option<Option<Cert<'a>>>,
    /// HTTP API: `authentication.clientCert`.
    authentication: Option<Option<Cert<'a>>>,
    /// HTTP API: `http.method`, `http.path`.
    http: Option<Option<Http<'a>>>,
}

impl<'a> RequestContext<'a> {
    fn read(r: &mut Reader<'a>) -> Json<Self> {
        let mut c = RequestContext::default();
        r.object(|r, name| match name.as_ref() {
            "identity" => once(&mut c.identity, r.optional(Cert::read_holder).map(Option::flatten)),
            "authentication" => once(&mut c.authentication, r.optional(Cert::read_holder).map(Option::flatten)),
            "http" => once(&mut c.http, r.optional(Http::read)),
            _ => r.skip(),
        })?;
        Ok(c)
    }
}

/// A string member whose value is checked (a string or `null`, read once) and not kept.
type Checked = Option<Option<()>>;

#[derive(Default)]
struct Cert<'a> {
    /// `clientCertPem` left undecoded: a JSON string literal, escapes and all (see [`PemText`]).
    client_cert_pem: Option<Option<&'a str>>,
    /// `subjectDN`, `issuerDN`: typed by the library, unused (see [`ClientCert`]).
    subject_dn: Checked,
    issuer_dn: Checked,
    serial_number: Member<'a>,
    /// `validity` (`notBefore`, `notAfter`): the object is required by the library's type.
    validity: Option<(Checked, Checked)>,
}

/// A string (or `null`) checked as [`Reader::string`] would decode it, not decoded.
fn checked_string(r: &mut Reader<'_>) -> Json<()> {
    r.raw_string().map(drop)
}

impl<'a> Cert<'a> {
    /// The object holding `clientCert` (`identity` or `authentication`).
    fn read_holder(r: &mut Reader<'a>) -> Json<Option<Self>> {
        let mut cert = None;
        r.object(|r, name| match name.as_ref() {
            "clientCert" => once(&mut cert, r.optional(Cert::read)),
            _ => r.skip(),
        })?;
        Ok(cert.flatten())
    }

    fn read(r: &mut Reader<'a>) -> Json<Self> {
        let mut c = Cert::default();
        r.object(|r, name| match name.as_ref() {
            "clientCertPem" => once(&mut c.client_cert_pem, r.optional(Reader::raw_string)),
            "subjectDN" => once(&mut c.subject_dn, r.optional(checked_string)),
            "issuerDN" => once(&mut c.issuer_dn, r.optional(checked_string)),
            "serialNumber" => once(&mut c.serial_number, r.optional(Reader::string)),
            "validity" => once(&mut c.validity, Cert::read_validity(r)),
            _ => r.skip(),
        })?;
        if c.validity.is_none() {
            return Err(Invalid);
        }
        Ok(c)
    }

    fn read_validity(r: &mut Reader<'a>) -> Json<(Checked, Checked)> {
        let (mut not_before, mut not_after) = (None, None);
        r.object(|r, name| match name.as_ref() {
            "notBefore" => once(&mut not_before, r.optional(checked_string)),
            "notAfter" => once(&mut not_after, r.optional(checked_string)),
            _ => r.skip(),
        })?;
        Ok((not_before, not_after))
    }

    fn into_client_cert(self) -> ClientCert<'a> {
        ClientCert {
            pem: self.client_cert_pem.flatten().map_or_else(PemText::default, PemText::from_json_literal),
            serial_number: self.serial_number.flatten().unwrap_or_default(),
        }
    }
}

#[derive(Default)]
struct Http<'a> {
    method: Member<'a>,
    path: Member<'a>,
}

impl<'a> Http<'a> {
    fn read(r: &mut Reader<'a>) -> Json<Self> {
        let mut h = Http::default();
        r.object(|r, name| match name.as_ref() {
            "method" => once(&mut h.method, r.optional(Reader::string)),
            "path" => once(&mut h.path, r.optional(Reader::string)),
            _ => r.skip(),
        })?;
        Ok(h)
    }
}

/// Parses and normalises one authorizer event.
pub fn parse_event<'a>(event: &'a [u8], config: &EventConfig) -> Result<AuthRequest<'a>, Reason> {
    let json = checked_text(event)?;
    let mut reader = Reader::new(json);
    let e = match Event::read(&mut reader, &config.token_header).and_then(|e| reader.finish().map(|()| e)) {
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
    let (headers, multi_value_headers) = (e.headers.unwrap_or_default(), e.multi_value_headers.unwrap_or_default());
    let request_context = e.request_context.flatten();
    match shape {
        EventShape::RestToken => {
            let arn = parse_arn(text(&e.method_arn))?;
            let token = bearer(e.authorization_token.flatten())?;
            Ok(AuthRequest { shape, arn, route: None, token, client_cert: None })
        }
        EventShape::RestRequest => {
            let context = request_context.ok_or(EVENT_MALFORMED)?;
            let arn = parse_arn(text(&e.method_arn))?;
            check_total(&headers)?;
            check_total(&multi_value_headers)?;
            // `headers` keeps the last value of a repeated header; `multiValueHeaders` has them all.
            if multi_value_headers.token_values > 1 {
                return Err(TOKEN_HEADER_REPEATED);
            }
            let token = token_from(headers)?;
            let client_cert = context.identity.flatten().map(Cert::into_client_cert);
            Ok(AuthRequest { shape, arn, route: None, token, client_cert })
        }
        EventShape::HttpV2 => {
            let context = request_context.filter(|_| !headers.null).ok_or(EVENT_MALFORMED)?;
            // The library's type requires `requestContext.http.method`, a valid method token.
            let http = context.http.flatten().ok_or(EVENT_MALFORMED)?;
            let http_method = text(&http.method).filter(|m| is_method(m.as_bytes())).ok_or(EVENT_MALFORMED)?;
            let arn = parse_arn(text(&e.route_arn))?;
            check_total(&headers)?;
            let token = token_from(headers)?;
            let route = route_of(&arn, http_method, text(&http.path).or(text(&e.raw_path)))?;
            let client_cert = context.authentication.flatten().map(Cert::into_client_cert);
            Ok(AuthRequest { shape, arn, route, token, client_cert })
        }
    }
}

/// `http::Method::from_bytes`'s rule: one or more token characters.
fn is_method(m: &[u8]) -> bool {
    is_header_name(m)
}

/// Refuses header sets over API Gateway's 10 KiB of values.
fn check_total(headers: &Headers<'_>) -> Result<(), Reason> {
    if headers.total > MAX_HEADER_BYTES { Err(HEADERS_TOO_LARGE) } else { Ok(()) }
}

fn token_from<'a>(headers: Headers<'a>) -> Result<Option<Cow<'a, str>>, Reason> {
    if headers.token_values > 1 {
        return Err(TOKEN_HEADER_REPEATED);
    }
    bearer(headers.token)
}

/// The bearer token of a token header's value (or a TOKEN event's `authorizationToken`),
/// `None` when empty: borrowed from the event unless the value held escapes.
fn bearer(value: Option<Text<'_>>) -> Result<Option<Cow<'_, str>>, Reason> {
    match value {
        None => Ok(None),
        Some(value) if value.is_empty() => Ok(None),
        Some(Cow::Borrowed(value)) => bearer_token_str(value).map(|t| Some(Cow::Borrowed(t))),
        Some(Cow::Owned(value)) => bearer_token_str(&value).map(|t| Some(Cow::Owned(t.to_owned()))),
    }
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

    /// Every byte, raw and escaped, in a short and a long value: the shortcut for borrowed
    /// strings agrees with the full rule.
    #[test]
    fn header_text_rule_matches_the_value_rule() {
        for b in 0..=255u8 {
            for pad in [1, 40] {
                let filler = "x".repeat(pad);
                let mut texts = vec![format!("\"{filler}\\u{b:04x}{filler}\"")];
                if b >= 0x20 && b != b'"' && b != b'\\' {
                    // Raw (from 0x80 on, the character U+0080.. in its two UTF-8 bytes).
                    texts.push(format!("\"{filler}{}{filler}\"", char::from(b)));
                }
                for text in texts {
                    let value = Reader::new(&text).string().unwrap();
                    assert_eq!(is_header_text(&value), is_header_value(value.as_bytes()), "{text:?}");
                }
            }
        }
    }

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/orders/42";

    #[track_caller]
    fn check(event: serde_json::Value, expected: Result<Option<&str>, Reason>) {
        let event = event.to_string();
        let got = parse_event(event.as_bytes(), &EventConfig::default());
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
