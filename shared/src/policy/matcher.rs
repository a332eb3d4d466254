//! Route patterns (`GET /orders/{id}`): parsing, their `execute-api` ARN form, and the `*`
//! glob matching that IAM applies to that form.
//!
//! A pattern is compiled once into the ARN suffix it is returned as (`GET` + `/orders/*`).
//! The engine then decides with [`glob_match`] on exactly that suffix, the way IAM matches a
//! resource ARN: `*` is any run of characters, `/` included. See the module docs of
//! [`crate::policy`] for why this makes cached policies safe.

use std::sync::Arc;

use super::Grant;

/// The methods a request can have, in the order a `*` route is written out.
pub const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// The longest `METHOD/path` a route may have: an ARN may not exceed 512 characters, and the
/// prefix (`arn:{partition}:execute-api:{region}:{account}:{api}/{stage}/`) can take about 200
/// with a 128-character stage name.
pub const MAX_ROUTE_CHARS: usize = 300;

/// One segment of a path pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    /// `{name}`: one segment (IAM form `*`, which also spans deeper paths).
    Param,
    /// `*` or `{name+}`, last segment only: everything below.
    Greedy,
}

/// A parsed `METHOD /path` route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// `None` for `*` (any method).
    pub method: Option<&'static str>,
    pub segments: Vec<Segment>,
}

fn literal_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:@!$&'()+,;=%".contains(c)
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

fn parse_segment(seg: &str, last: bool) -> Result<Segment, String> {
    if seg.is_empty() {
        return Err("empty path segment (\"//\" or a trailing \"/\")".to_owned());
    }
    if seg == "*" {
        return if last { Ok(Segment::Greedy) } else { Err("\"*\" is only allowed as the last segment".to_owned()) };
    }
    if let Some(inner) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        let (name, greedy) = inner.strip_suffix('+').map_or((inner, false), |n| (n, true));
        if name.is_empty() || !name.chars().all(name_char) {
            return Err(format!("bad path parameter {seg:?}: expected {{name}} or {{name+}}"));
        }
        if greedy && !last {
            return Err(format!("greedy parameter {seg:?} is only allowed as the last segment"));
        }
        return Ok(if greedy { Segment::Greedy } else { Segment::Param });
    }
    match seg.chars().find(|c| !literal_char(*c)) {
        Some(c) => Err(format!("character {c:?} is not allowed in path segment {seg:?}")),
        None => Ok(Segment::Literal(seg.to_owned())),
    }
}

/// Parses `METHOD /path` in API Gateway resource syntax: `/orders`, `/orders/{id}`,
/// `/orders/*`, `/{proxy+}`, `/`. Methods: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, `*`.
pub fn parse_route(text: &str) -> Result<Route, String> {
    let Some((method, path)) = text.split_once(' ') else {
        return Err(format!("expected \"METHOD /path\", got {text:?}"));
    };
    let method = match method {
        "*" => None,
        m => Some(
            METHODS
                .into_iter()
                .find(|k| *k == m)
                .ok_or_else(|| format!("unknown method {m:?}: expected one of {} or *", METHODS.join(", ")))?,
        ),
    };
    if !path.starts_with('/') {
        return Err(format!("path {path:?} must start with \"/\""));
    }
    let segments = if path == "/" {
        Vec::new()
    } else {
        let parts: Vec<&str> = path.split('/').skip(1).collect();
        let n = parts.len();
        parts.iter().enumerate().map(|(i, s)| parse_segment(s, i + 1 == n)).collect::<Result<_, _>>()?
    };
    let route = Route { method, segments };
    if route.path_glob().len() + method.map_or("OPTIONS".len(), str::len) > MAX_ROUTE_CHARS {
        return Err(format!("route is longer than {MAX_ROUTE_CHARS} characters: its ARN could exceed 512"));
    }
    Ok(route)
}

impl Route {
    /// The path as it appears in the policy ARN: parameters and greedy segments become `*`.
    pub fn path_glob(&self) -> String {
        if self.segments.is_empty() {
            return "/".to_owned();
        }
        let mut s = String::new();
        for seg in &self.segments {
            s.push('/');
            match seg {
                Segment::Literal(l) => s.push_str(l),
                Segment::Param | Segment::Greedy => s.push('*'),
            }
        }
        s
    }

    /// The grants this route is returned as. A `*` method becomes the `*` ARN method only
    /// when the path glob starts with `/*` (then `*` + `/*…` matches exactly the requests of
    /// any method); otherwise it is written out per method, because `*/orders` would also
    /// match `GET/admin/orders`.
    pub fn grants(&self) -> Vec<Grant> {
        let path: Arc<str> = self.path_glob().into();
        match self.method {
            Some(m) => vec![Grant { method: m.into(), path }],
            None if path.starts_with("/*") => vec![Grant { method: "*".into(), path }],
            None => METHODS.iter().map(|m| Grant { method: (*m).into(), path: Arc::clone(&path) }).collect(),
        }
    }

    /// Whether `self` covers `other`, called with `method` (`None`: any), the way the
    /// patterns read (a parameter is one segment, a greedy segment is everything below), as
    /// opposed to the ARN form, where `*` spans `/`.
    pub fn reads_as_covering(&self, other: &Route, method: Option<&str>) -> bool {
        if self.method.is_some() && self.method != method {
            return false;
        }
        let mut theirs = other.segments.iter();
        for (i, mine) in self.segments.iter().enumerate() {
            let Some(t) = theirs.next() else { return false };
            match (mine, t) {
                (Segment::Greedy, _) => return i + 1 == self.segments.len(),
                (_, Segment::Greedy) => return false,
                (Segment::Param, _) => {}
                (Segment::Literal(a), Segment::Literal(b)) if a == b => {}
                (Segment::Literal(_), _) => return false,
            }
        }
        theirs.next().is_none()
    }
}

/// Whether a grant admits a request, with IAM's matching of the grant's ARN suffix against
/// `method` + `path`. A `*` method stands for any method (methods hold no `/`).
pub fn grant_matches(grant: &Grant, method: &str, path: &str) -> bool {
    let method_ok = if &*grant.method == "*" { !method.contains('/') } else { &*grant.method == method };
    method_ok && glob_match(grant.path.as_bytes(), path.as_bytes())
}

/// Whether every request `inner` admits is admitted by `outer`.
pub fn grant_covers(outer: &Grant, inner: &Grant) -> bool {
    (&*outer.method == "*" || outer.method == inner.method) && glob_covers(outer.path.as_bytes(), inner.path.as_bytes())
}

/// IAM-style wildcard match: `*` matches any run of bytes (including `/`), everything else
/// matches itself. Linear apart from backtracking to the last `*`.
pub fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    glob(pattern, text, false)
}

/// Whether glob `outer` matches every string glob `inner` matches: `inner`'s `*` is treated as
/// a symbol only `outer`'s `*` can absorb (a sound and complete test for `*`-only globs).
pub fn glob_covers(outer: &[u8], inner: &[u8]) -> bool {
    glob(outer, inner, true)
}

fn glob(pattern: &[u8], text: &[u8], text_star_is_opaque: bool) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None;
    while let Some(&c) = text.get(t) {
        match pattern.get(p) {
            Some(b'*') => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(&pc) if pc == c && !(text_star_is_opaque && c == b'*') => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((star, from)) => {
                    p = star + 1;
                    t = from + 1;
                    backtrack = Some((star, from + 1));
                }
                None => return false,
            },
        }
    }
    pattern.get(p..).is_some_and(|rest| rest.iter().all(|&b| b == b'*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_route(text: &str, expected: Result<&[(&str, &str)], &str>) {
        let got = parse_route(text).map(|r| r.grants());
        match expected {
            Ok(grants) => {
                let want: Vec<Grant> =
                    grants.iter().map(|(m, p)| Grant { method: (*m).into(), path: (*p).into() }).collect();
                assert_eq!(got, Ok(want), "{text}");
            }
            Err(e) => assert_eq!(got, Err(e.to_owned()), "{text}"),
        }
    }

    #[test]
    fn routes_parse_into_their_arn_form() {
        check_route("GET /orders", Ok(&[("GET", "/orders")]));
        check_route("GET /orders/{id}", Ok(&[("GET", "/orders/*")]));
        check_route("PUT /orders/{id}/items/{item}", Ok(&[("PUT", "/orders/*/items/*")]));
        check_route("POST /orders/*", Ok(&[("POST", "/orders/*")]));
        check_route("GET /{proxy+}", Ok(&[("GET", "/*")]));
        check_route("* /{proxy+}", Ok(&[("*", "/*")]));
        check_route("* /*", Ok(&[("*", "/*")]));
        check_route("GET /", Ok(&[("GET", "/")]));
        let all: Vec<(&str, &str)> = METHODS.iter().map(|m| (*m, "/health")).collect();
        check_route("* /health", Ok(&all));
        check_route(
            "get /orders",
            Err("unknown method \"get\": expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or *"),
        );
        check_route("GET  /orders", Err("path \" /orders\" must start with \"/\""));
        check_route("GET", Err("expected \"METHOD /path\", got \"GET\""));
        check_route("GET orders", Err("path \"orders\" must start with \"/\""));
        check_route("GET /orders/", Err("empty path segment (\"//\" or a trailing \"/\")"));
        check_route("GET /a//b", Err("empty path segment (\"//\" or a trailing \"/\")"));
        check_route("GET /orders/*/items", Err("\"*\" is only allowed as the last segment"));
        check_route("GET /{proxy+}/x", Err("greedy parameter \"{proxy+}\" is only allowed as the last segment"));
        check_route("GET /orders/{}", Err("bad path parameter \"{}\": expected {name} or {name+}"));
        check_route("GET /orders/{a b}", Err("bad path parameter \"{a b}\": expected {name} or {name+}"));
        check_route("GET /orders*", Err("character '*' is not allowed in path segment \"orders*\""));
        check_route("GET /orders/?", Err("character '?' is not allowed in path segment \"?\""));
        check_route(
            &format!("GET /{}", "a".repeat(300)),
            Err("route is longer than 300 characters: its ARN could exceed 512"),
        );
    }

    #[test]
    fn globs_match_like_iam() {
        for (pattern, text, expected) in [
            ("/orders/*", "/orders/42", true),
            ("/orders/*", "/orders/42/refunds", true),
            ("/orders/*", "/orders/", true),
            ("/orders/*", "/orders", false),
            ("/orders", "/orders", true),
            ("/orders", "/Orders", false),
            ("/orders/*/items", "/orders/1/items", true),
            ("/orders/*/items", "/orders/1/2/items", true),
            ("/orders/*/items", "/orders/1/items/3", false),
            ("/*", "/", true),
            ("/", "/", true),
            ("/a*b*c", "/axxbyyc", true),
            ("/a*b*c", "/axxbyy", false),
        ] {
            assert_eq!(glob_match(pattern.as_bytes(), text.as_bytes()), expected, "{pattern} ~ {text}");
        }
    }

    #[test]
    fn glob_inclusion() {
        for (outer, inner, expected) in [
            ("/orders/*", "/orders/*/refunds", true),
            ("/orders/*", "/orders/*", true),
            ("/orders/*/refunds", "/orders/*", false),
            ("/*", "/orders/*", true),
            ("/orders/*", "/*", false),
            ("/orders/*", "/orders", false),
            ("/orders/x", "/orders/*", false),
            ("/*/items", "/orders/*/items", true),
        ] {
            assert_eq!(glob_covers(outer.as_bytes(), inner.as_bytes()), expected, "{outer} >= {inner}");
        }
    }

    #[test]
    fn how_patterns_read() {
        let r = |s: &str| parse_route(s).unwrap_or_else(|e| unreachable!("{e}"));
        let covers = |a: &str, b: &str| r(a).reads_as_covering(&r(b), r(b).method);
        assert!(covers("GET /orders/{id}", "GET /orders/{x}"));
        assert!(covers("GET /orders/{id}", "GET /orders/42"));
        assert!(!covers("GET /orders/{id}", "GET /orders/{id}/refunds"));
        assert!(!covers("GET /orders/{id}", "GET /orders/*"));
        assert!(covers("GET /orders/*", "GET /orders/{id}/refunds"));
        assert!(covers("* /orders/*", "POST /orders/{id}"));
        assert!(!covers("GET /orders/*", "POST /orders/{id}"));
        assert!(!covers("GET /orders/*", "GET /orders"));
    }
}
