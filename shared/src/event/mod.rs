//! The three API Gateway authorizer event shapes, told apart from the payload and
//! normalised into one [`AuthRequest`].
//!
//! [`reference`] parses with the `aws_lambda_events` types, the contract; [`fast`], used in
//! production, reads the same fields in one borrowed pass and is checked against it on every
//! fixture. Anything that is not one of the three shapes,
//! does not parse, carries oversize or non-ASCII header values, or presents the bearer token
//! ambiguously is refused here with a reason code, before any credential is looked at.
//! Error texts from the JSON parser are never logged: serde's messages can quote the
//! offending value, which may be a token.

use std::borrow::Cow;

use serde::Deserialize;

use crate::arn::{ARN_MALFORMED, ApiArn};
use crate::decision::Reason;
use crate::request::{AuthRequest, ClientCert, EventShape};

mod fast;
pub mod reference;

pub use fast::parse_event;

pub const EVENT_NOT_JSON: Reason = Reason::new("event_not_json");
pub const EVENT_NOT_UTF8: Reason = Reason::new("event_not_utf8");
pub const EVENT_SHAPE_UNKNOWN: Reason = Reason::new("event_shape_unknown");
pub const EVENT_MALFORMED: Reason = Reason::new("event_malformed");
pub const EVENT_TOO_LARGE: Reason = Reason::new("event_too_large");
pub const HEADERS_TOO_LARGE: Reason = Reason::new("headers_too_large");
pub const HEADER_NOT_ASCII: Reason = Reason::new("header_not_ascii");
pub const TOKEN_HEADER_REPEATED: Reason = Reason::new("token_header_repeated");
pub const TOKEN_SCHEME_NOT_BEARER: Reason = Reason::new("token_scheme_not_bearer");
pub const TOKEN_MALFORMED: Reason = Reason::new("token_malformed");
/// A request path (in the ARN, or a `$default` route's) with a dot segment, an encoded
/// separator or NUL, or a backslash (see [`check_request_path`]).
pub const PATH_NOT_CANONICAL: Reason = Reason::new("path_not_canonical");

/// API Gateway's limit on the total size of header values.
pub const MAX_HEADER_BYTES: usize = 10 * 1024;
/// An authorizer event is bounded by API Gateway's request limits; anything bigger is not
/// from API Gateway.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;
/// Longer bearer tokens are refused before any decoding (the JWT check has its own 8 KiB cap).
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// How to find the bearer token in REQUEST events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventConfig {
    /// Lower-case header name carrying `Bearer <token>` (`AUTHZ_TOKEN_HEADER`, default `authorization`).
    pub token_header: String,
}

impl Default for EventConfig {
    fn default() -> Self {
        Self { token_header: "authorization".to_owned() }
    }
}

/// Just enough of any event to tell the shapes apart.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    version: Option<Cow<'a, str>>,
}

/// Which shape `event` is, from its `version` and `type` fields.
pub fn detect_shape(event: &[u8]) -> Result<EventShape, Reason> {
    checked_text(event).and_then(shape_of)
}

/// The event as text: within the size limit and valid UTF-8 throughout (the shape probe skips
/// most of the event unread, so the encoding is checked here, once, for all of it).
fn checked_text(event: &[u8]) -> Result<&str, Reason> {
    if event.len() > MAX_EVENT_BYTES {
        return Err(EVENT_TOO_LARGE);
    }
    std::str::from_utf8(event).map_err(|_| EVENT_NOT_UTF8)
}

fn shape_of(text: &str) -> Result<EventShape, Reason> {
    let probe: Probe<'_> = serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => EVENT_SHAPE_UNKNOWN,
        _ => EVENT_NOT_JSON,
    })?;
    match (probe.version.as_deref(), probe.kind.as_deref()) {
        (Some("2.0"), Some("REQUEST")) => Ok(EventShape::HttpV2),
        (Some("1.0") | None, Some("REQUEST")) => Ok(EventShape::RestRequest),
        (None, Some("TOKEN")) => Ok(EventShape::RestToken),
        _ => Err(EVENT_SHAPE_UNKNOWN),
    }
}

/// The event's method or route ARN. Its path is the request's (API Gateway writes the path
/// the caller sent into it), so it is held to [`check_request_path`] like a `$default`
/// route's path.
fn parse_arn(arn: Option<&str>) -> Result<ApiArn, Reason> {
    let arn = arn.and_then(ApiArn::parse).ok_or(ARN_MALFORMED)?;
    check_request_path(arn.path())?;
    Ok(arn)
}

/// The `$default` route's ARN names no method or path: they come from the request itself
/// (`requestContext.http`, or `rawPath`), with the stage prefix taken off the path (a named
/// stage's name leads the path; the `$default` stage's does not). `None` for any other
/// route, whose ARN names both. The policy then decides on a path the caller wrote, so one
/// that a backend could read as another path is refused ([`check_request_path`]).
fn route_of(arn: &ApiArn, http_method: &str, raw_path: Option<&str>) -> Result<Option<(String, String)>, Reason> {
    if arn.method() != "$default" {
        return Ok(None);
    }
    let raw = raw_path.unwrap_or("/");
    check_request_path(raw)?;
    let path = if arn.stage() == "$default" {
        raw
    } else {
        match raw.strip_prefix('/').and_then(|p| p.strip_prefix(arn.stage())) {
            Some("") => "/",
            Some(rest) if rest.starts_with('/') => rest,
            _ => raw,
        }
    };
    Ok(Some((http_method.to_ascii_uppercase(), path.to_owned())))
}

/// A request path the policy can match as the backend will read it: it starts with `/` and
/// holds no segment of dots (`.`, `..`, also written `%2e`), no encoded separator (`%2f`,
/// `%5c`), no `\` (a separator to some servers) and no encoded NUL (`%00`), in either letter
/// case. Under a grant such as `GET /public/*`, `/public/../admin` or `/public/..%2fadmin`
/// would match and reach `/admin` in a backend that normalises or decodes the path.
fn check_request_path(path: &str) -> Result<(), Reason> {
    let Some(rest) = path.strip_prefix('/') else { return Err(PATH_NOT_CANONICAL) };
    let bytes = rest.as_bytes();
    // Most paths hold none of the three bytes any refusal needs: one branch-free pass.
    if !bytes.iter().fold(false, |seen, &b| seen | matches!(b, b'.' | b'%' | b'\\')) {
        return Ok(());
    }
    // Whether the segment read so far is empty, and whether it is dots only (and not empty).
    let (mut empty, mut dots) = (true, false);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let mut width = 1;
        let dot = match b {
            b'/' if dots => return Err(PATH_NOT_CANONICAL),
            b'/' => {
                empty = true;
                i += 1;
                continue;
            }
            b'\\' => return Err(PATH_NOT_CANONICAL),
            b'.' => true,
            b'%' => match bytes.get(i + 1..i + 3) {
                Some(&[hi, lo]) => match [hi, lo.to_ascii_lowercase()] {
                    [b'2', b'f'] | [b'5', b'c'] | [b'0', b'0'] => return Err(PATH_NOT_CANONICAL),
                    [b'2', b'e'] => {
                        width = 3;
                        true
                    }
                    _ => false,
                },
                _ => false,
            },
            _ => false,
        };
        dots = dot && (empty || dots);
        empty = false;
        i += width;
    }
    if dots { Err(PATH_NOT_CANONICAL) } else { Ok(()) }
}

/// `Bearer <token68>` (scheme case-insensitive, RFC 9110 §11.1) to the token. A value that
/// is not visible ASCII, names another scheme, or whose token is not token68 is refused.
pub fn bearer_token(raw: &[u8]) -> Result<String, Reason> {
    bearer_token_str(std::str::from_utf8(raw).map_err(|_| HEADER_NOT_ASCII)?).map(str::to_owned)
}

/// [`bearer_token`] of a value already known to be UTF-8: the token, a slice of `value`.
pub fn bearer_token_str(value: &str) -> Result<&str, Reason> {
    // A value these rules accept is visible ASCII, spaces and tabs throughout (blanks, the
    // scheme `bearer`, a token68 token), so the pass over the whole value that finds other
    // bytes runs only when they refuse it, to name that as the reason.
    bearer_parts(value).map_err(|reason| if is_visible_ascii(value) { reason } else { HEADER_NOT_ASCII })
}

/// Visible ASCII, spaces and tabs only. A branch-free fold: the compiler vectorises it.
fn is_visible_ascii(value: &str) -> bool {
    value.bytes().fold(true, |ok, b| ok & ((b.wrapping_sub(0x21) < 0x5e) | (b == b' ') | (b == b'\t')))
}

/// The scheme and token rules of [`bearer_token_str`], on any string.
fn bearer_parts(value: &str) -> Result<&str, Reason> {
    let value = value.trim_matches([' ', '\t']);
    let (scheme, rest) = value.split_once([' ', '\t']).ok_or(TOKEN_SCHEME_NOT_BEARER)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(TOKEN_SCHEME_NOT_BEARER);
    }
    let token = rest.trim_start_matches([' ', '\t']);
    if token.is_empty() || token.len() > MAX_TOKEN_BYTES || !is_token68(token) {
        return Err(TOKEN_MALFORMED);
    }
    Ok(token)
}

/// RFC 9110 token68: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_token68(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    let in_set = |b: u8| {
        let lower = b | 0x20;
        (b.wrapping_sub(b'0') < 10)
            | (lower.wrapping_sub(b'a') < 26)
            | (b == b'-')
            | (b == b'.')
            | (b == b'_')
            | (b == b'~')
            | (b == b'+')
            | (b == b'/')
    };
    !body.is_empty() && body.bytes().fold(true, |ok, b| ok & in_set(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_bearer(raw: &str, expected: Result<&str, Reason>) {
        assert_eq!(bearer_token(raw.as_bytes()).as_deref().map_err(|r| *r), expected, "{raw:?}");
    }

    #[test]
    fn token68_alphabet_is_exact() {
        for b in 0..=255u8 {
            let expected = b.is_ascii_alphanumeric() || b"-._~+/".contains(&b);
            let s = [b'a', b, b'a'];
            let s = std::str::from_utf8(&s).unwrap_or("");
            if !s.is_empty() {
                assert_eq!(is_token68(s), expected, "byte {b:#04x}");
            }
        }
    }

    #[test]
    fn bearer_scheme_parsing() {
        check_bearer("Bearer abc.def.ghi", Ok("abc.def.ghi"));
        check_bearer("bearer abc.def.ghi", Ok("abc.def.ghi"));
        check_bearer("BEARER   abc.def.ghi  ", Ok("abc.def.ghi"));
        check_bearer("Bearer\tabc", Ok("abc"));
        check_bearer("Basic dXNlcjpwYXNz", Err(TOKEN_SCHEME_NOT_BEARER));
        check_bearer("abc.def.ghi", Err(TOKEN_SCHEME_NOT_BEARER));
        check_bearer("Bearer", Err(TOKEN_SCHEME_NOT_BEARER));
        check_bearer("Bearer ", Err(TOKEN_SCHEME_NOT_BEARER));
        check_bearer("Bearer a b", Err(TOKEN_MALFORMED));
        check_bearer("Bearer a,Bearer b", Err(TOKEN_MALFORMED));
        check_bearer("Bearer ===", Err(TOKEN_MALFORMED));
        check_bearer("Bearer tok\u{e9}n", Err(HEADER_NOT_ASCII));
        check_bearer("Bearer tok\u{1}n", Err(HEADER_NOT_ASCII));
        check_bearer(&format!("Bearer {}", "a".repeat(MAX_TOKEN_BYTES + 1)), Err(TOKEN_MALFORMED));
    }

    /// The rules in the order that picks the reason: the character pass first, then the
    /// scheme and the token.
    fn bearer_in_rule_order(value: &str) -> Result<&str, Reason> {
        if !is_visible_ascii(value) {
            return Err(HEADER_NOT_ASCII);
        }
        bearer_parts(value)
    }

    /// Running the character pass only on refusal gives what the rules in order give, on
    /// values built to sit on each edge (scheme case and length, separators, characters, `=`,
    /// length, trailing space).
    #[test]
    fn bearer_reason_matches_the_rules_in_order() {
        let long = "a".repeat(MAX_TOKEN_BYTES);
        let longer = "a".repeat(MAX_TOKEN_BYTES + 1);
        let schemes = ["Bearer", "bearer", "BEARER", "Bearerx", "Beare", "Basic", "", "b\u{e9}arer"];
        let separators = [" ", "  ", "\t", " \t", ""];
        let tokens = [
            "abc.def.ghi",
            "a",
            "",
            "=",
            "a=",
            "a==",
            "=a",
            "a b",
            "a,b",
            "t\u{e9}n",
            "t\u{1}n",
            "t\u{7f}n",
            "-._~+/",
            "a\"b",
            " a",
            long.as_str(),
            longer.as_str(),
        ];
        for scheme in schemes {
            for sep in separators {
                for token in tokens {
                    for tail in ["", " ", "\t", "\n"] {
                        let value = format!("{scheme}{sep}{token}{tail}");
                        assert_eq!(bearer_token_str(&value), bearer_in_rule_order(&value), "{value:?}");
                    }
                }
            }
        }
    }

    #[track_caller]
    fn check_shape(event: &str, expected: Result<EventShape, Reason>) {
        assert_eq!(detect_shape(event.as_bytes()), expected, "{event}");
    }

    #[test]
    fn shapes_are_told_apart_by_payload() {
        check_shape(r#"{"type":"TOKEN","authorizationToken":"x","methodArn":"a"}"#, Ok(EventShape::RestToken));
        check_shape(r#"{"type":"REQUEST","methodArn":"a"}"#, Ok(EventShape::RestRequest));
        check_shape(r#"{"version":"1.0","type":"REQUEST"}"#, Ok(EventShape::RestRequest));
        check_shape(r#"{"version":"2.0","type":"REQUEST","routeArn":"a"}"#, Ok(EventShape::HttpV2));
        check_shape(r#"{"version":"3.0","type":"REQUEST"}"#, Err(EVENT_SHAPE_UNKNOWN));
        check_shape(r#"{"version":"2.0","type":"TOKEN"}"#, Err(EVENT_SHAPE_UNKNOWN));
        check_shape(r#"{"type":"token"}"#, Err(EVENT_SHAPE_UNKNOWN));
        check_shape(r#"{"Records":[]}"#, Err(EVENT_SHAPE_UNKNOWN));
        check_shape(r#"{"type":7}"#, Err(EVENT_SHAPE_UNKNOWN));
        check_shape(r#"[1,2]"#, Err(EVENT_SHAPE_UNKNOWN));
        check_shape(r#"{"type":"TOKEN""#, Err(EVENT_NOT_JSON));
        check_shape("", Err(EVENT_NOT_JSON));
    }

    /// An HTTP API `$default` route: its ARN names neither method nor path, so both come from
    /// the request (`requestContext.http`, else `rawPath`), stage prefix off; any other
    /// route takes them from the ARN. Both decoders agree.
    #[test]
    fn default_routes_take_method_and_path_from_the_request() {
        let arn = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod";
        let event = |route: &str, http: &str, raw_path: &str| {
            format!(
                r#"{{"version":"2.0","type":"REQUEST","routeArn":"{arn}/{route}","rawPath":"{raw_path}",
                "headers":{{}},"requestContext":{{"http":{http}}}}}"#
            )
        };
        let cases = [
            ("$default", r#"{"method":"get","path":"/prod/orders/42"}"#, "/ignored", Some(("GET", "/orders/42"))),
            ("$default", r#"{"method":"POST"}"#, "/prod/payments", Some(("POST", "/payments"))),
            ("$default", r#"{"method":"GET"}"#, "/other/x", Some(("GET", "/other/x"))),
            ("$default", r#"{"method":"GET"}"#, "/prod", Some(("GET", "/"))),
            ("$default", r#"{"method":"GET"}"#, "/production/x", Some(("GET", "/production/x"))),
            (
                "$default",
                r#"{"method":"GET","path":"/public/v1.2/a..b/%2E%2Ex"}"#,
                "/",
                Some(("GET", "/public/v1.2/a..b/%2E%2Ex")),
            ),
            ("GET/orders/42", r#"{"method":"POST","path":"/prod/elsewhere"}"#, "/prod/elsewhere", None),
        ];
        let config = EventConfig::default();
        for (route, http, raw_path, from_request) in cases {
            let event = event(route, http, raw_path);
            let fast = parse_event(event.as_bytes(), &config);
            assert_eq!(fast, reference::parse_event(event.as_bytes(), &config), "{event}");
            let request = fast.unwrap_or_else(|r| panic!("{event}: {r}"));
            let expected = from_request.map(|(m, p)| (m.to_owned(), p.to_owned()));
            assert_eq!(request.route, expected, "{event}");
            let (method, path) = from_request.unwrap_or(("GET", "/orders/42"));
            assert_eq!((request.method(), request.path()), (method, path), "{event}");
            assert_eq!(
                request.arn.this_route(),
                format!("{arn}/{}", if from_request.is_some() { "$default/" } else { route })
            );
        }
    }

    /// On a `$default` route, a path a backend could read as another path is refused, by
    /// both decoders, on a named stage and on the `$default` stage (which keeps its path whole).
    #[test]
    fn default_route_paths_are_taken_as_written_or_refused() {
        let event = |stage: &str, path: &str| {
            format!(
                r#"{{"version":"2.0","type":"REQUEST","routeArn":"arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/{stage}/$default",
                "headers":{{}},"requestContext":{{"http":{{"method":"GET","path":"{path}"}}}}}}"#
            )
        };
        let config = EventConfig::default();
        let parse = |event: &str| {
            let fast = parse_event(event.as_bytes(), &config).map(|r| r.route);
            assert_eq!(fast, reference::parse_event(event.as_bytes(), &config).map(|r| r.route), "{event}");
            fast
        };
        for bad in [
            "/public/../admin",
            "/public/./admin",
            "/public/..",
            "/..",
            "/public/%2e%2e/admin",
            "/public/.%2E/admin",
            "/public/%2e/admin",
            "/public/..%2fadmin",
            "/public/x%2Fadmin",
            "/public/x%5cadmin",
            "/public/x\\\\admin", // JSON for one backslash
            "/public/x%00",
            "/public/...",
            "public/x",
        ] {
            for stage in ["prod", "$default"] {
                assert_eq!(parse(&event(stage, bad)), Err(PATH_NOT_CANONICAL), "{stage} {bad}");
            }
        }
        let route = |m: &str, p: &str| Ok(Some((m.to_owned(), p.to_owned())));
        assert_eq!(parse(&event("$default", "/$default/public/1")), route("GET", "/$default/public/1"));
        assert_eq!(parse(&event("$default", "/public/1")), route("GET", "/public/1"));
        assert_eq!(parse(&event("prod", "/prod/public/1")), route("GET", "/public/1"));
        assert_eq!(parse(&event("prod", "/public/%41.b%2")), route("GET", "/public/%41.b%2"));
        assert_eq!(parse(&event("prod", "/")), route("GET", "/"));
    }

    /// The ARN's path is the request's: held to the same rule in every event shape.
    #[test]
    fn arn_paths_are_held_to_the_request_path_rule() {
        let config = EventConfig::default();
        let token = |path: &str| {
            format!(
                r#"{{"type":"TOKEN","authorizationToken":"Bearer a.b.c","methodArn":"arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET{path}"}}"#
            )
        };
        for (path, expected) in [
            ("/public/../admin", Err(PATH_NOT_CANONICAL)),
            ("/public/%2E%2e/admin", Err(PATH_NOT_CANONICAL)),
            ("/public/a%2fb", Err(PATH_NOT_CANONICAL)),
            ("/public/v1.2/..x", Ok("/public/v1.2/..x")),
            ("", Ok("/")),
        ] {
            let event = token(path);
            let fast = parse_event(event.as_bytes(), &config);
            assert_eq!(fast, reference::parse_event(event.as_bytes(), &config), "{event}");
            assert_eq!(fast.as_ref().map(|r| r.arn.path()).map_err(|r| *r), expected, "{path}");
        }
    }

    #[test]
    fn non_utf8_and_oversize_events_are_refused() {
        assert_eq!(detect_shape(b"{\"type\":\"TOKEN\xff\"}"), Err(EVENT_NOT_UTF8));
        assert_eq!(detect_shape(b"{\"type\":\"TOKEN\",\"x\":\"\xff\"}"), Err(EVENT_NOT_UTF8));
        let big = format!(r#"{{"type":"TOKEN","pad":"{}"}}"#, "x".repeat(MAX_EVENT_BYTES));
        assert_eq!(detect_shape(big.as_bytes()), Err(EVENT_TOO_LARGE));
    }
}
