//! API Gateway's limits on the returned policy: 512 characters per resource ARN, and a bounded
//! Allow statement. Fitting never widens a grant.
//!
//! A wildcard that is shorter than a grant covers more than the grant, and so more than the
//! caller may call, unless another grant already covers it; such redundant grants are
//! removed before fitting (`covered_by` in the compiled table, [`drop_covered`] for registry
//! routes). So the only correct way to fit is to return fewer grants: the grant that admits
//! the request first, then the others in order while they fit. A cached copy of a cut
//! policy can then wrongly deny another route until it expires, never wrongly allow one; the
//! verdict says so.

use super::Grant;
use super::matcher::{METHODS, grant_covers, grant_matches};
use crate::arn::ApiArn;

/// API Gateway's limit on one resource ARN in an authorizer policy.
pub const MAX_ARN_CHARS: usize = 512;
/// The most the Allow statement may take, serialized. API Gateway documents no limit for
/// REST and HTTP API authorizer policies (8 KiB is WebSocket's); 8 KiB keeps the response
/// well inside every limit and the cache entry small.
pub const MAX_ALLOW_STATEMENT_BYTES: usize = 8192;
/// `{"Action":["execute-api:Invoke"],"Effect":"Allow","Resource":[]}` and a margin.
const STATEMENT_OVERHEAD: usize = 72;

/// The grants that fit, and whether some had to be left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fitted {
    pub grants: Vec<Grant>,
    /// Grants were left out: a cached copy of this policy may deny routes the caller may call.
    pub truncated: bool,
    /// The request's own route is in `grants` (false when it had to be left out; the request
    /// must then be denied, since the returned policy could not allow it).
    pub request_kept: bool,
}

/// Bytes `s` takes inside a JSON string (at most: every control character counted as
/// `\u00XX`).
fn json_len(s: &str) -> usize {
    s.len()
        + s.bytes()
            .map(|b| {
                if b == b'"' || b == b'\\' {
                    1
                } else if b < 0x20 {
                    5
                } else {
                    0
                }
            })
            .sum::<usize>()
}

/// The length of `arn.stage_prefix()`. Its parts are validated ASCII tokens (see
/// `ApiArn::parse`), so bytes, characters and JSON bytes agree.
pub fn prefix_len(arn: &ApiArn) -> usize {
    arn.stage_prefix().len()
}

/// What `g` adds to the Allow statement, serialized: its ARN as a JSON string and a comma.
fn statement_cost(prefix_len: usize, g: &Grant) -> usize {
    prefix_len + json_len(&g.method) + json_len(&g.path) + 3
}

/// An upper bound of the ARN's length in characters (bytes; equal for ASCII).
fn arn_len(prefix_len: usize, g: &Grant) -> usize {
    prefix_len + g.method.len() + g.path.len()
}

/// Writes a `*` method out per method unless the path starts with `/*`, where `*` + path
/// admits exactly what the method-by-method list admits (see `matcher::Route::grants`).
pub fn normalise(grants: &[Grant]) -> Vec<Grant> {
    let mut out = Vec::with_capacity(grants.len());
    for g in grants {
        if &*g.method == "*" && !g.path.starts_with("/*") {
            out.extend(METHODS.iter().map(|m| Grant { method: (*m).into(), path: g.path.clone() }));
        } else if !out.contains(g) {
            out.push(g.clone());
        }
    }
    out
}

/// Whether [`normalise`] and then [`fit`] would return `grants` as they are: no `*` method to
/// write out, no repeat, every ARN and the whole statement within the limits. (When they all
/// fit, `fit` keeps every grant in order whatever the request.)
pub fn fits_unchanged(prefix_len: usize, grants: &[Grant]) -> bool {
    let mut total = STATEMENT_OVERHEAD;
    for (i, g) in grants.iter().enumerate() {
        let written_out = &*g.method == "*" && !g.path.starts_with("/*");
        if written_out || arn_len(prefix_len, g) > MAX_ARN_CHARS || grants.get(..i).is_some_and(|seen| seen.contains(g))
        {
            return false;
        }
        total += statement_cost(prefix_len, g);
    }
    total <= MAX_ALLOW_STATEMENT_BYTES
}

/// Sorts, deduplicates and removes grants another grant of the list covers.
pub fn drop_covered(mut grants: Vec<Grant>) -> Vec<Grant> {
    grants.sort_by(|a, b| (&a.method, &a.path).cmp(&(&b.method, &b.path)));
    grants.dedup();
    let keep: Vec<bool> = grants
        .iter()
        .enumerate()
        .map(|(i, g)| {
            !grants.iter().enumerate().any(|(j, o)| j != i && grant_covers(o, g) && (j < i || !grant_covers(g, o)))
        })
        .collect();
    grants.into_iter().zip(keep).filter_map(|(g, k)| k.then_some(g)).collect()
}

/// Fits `grants` (already normalised and free of covered grants) into the limits, for ARNs
/// starting with a prefix of `prefix_len` bytes. `request` is the request's method and
/// path when it is allowed: a grant admitting it is kept first, or, when every such grant is
/// too long, the exact route (if it is expressible: no `*` or `?` in its method or path, short
/// enough).
pub fn fit(prefix_len: usize, mut grants: Vec<Grant>, request: Option<(&str, &str)>) -> Fitted {
    let before = grants.len();
    grants.retain(|g| arn_len(prefix_len, g) <= MAX_ARN_CHARS);
    let mut truncated = grants.len() != before;

    let mut first = request.and_then(|(m, p)| grants.iter().position(|g| grant_matches(g, m, p)));
    if let (None, Some((method, path))) = (first, request) {
        let exact = Grant { method: method.into(), path: path.into() };
        let wildcard = |s: &str| s.contains(['*', '?']);
        if !wildcard(method) && !wildcard(path) && arn_len(prefix_len, &exact) <= MAX_ARN_CHARS {
            grants.push(exact);
            first = Some(grants.len() - 1);
        }
    }

    let cost = |g: &Grant| statement_cost(prefix_len, g);
    let total: usize = STATEMENT_OVERHEAD + grants.iter().map(cost).sum::<usize>();
    if total > MAX_ALLOW_STATEMENT_BYTES {
        truncated = true;
        let mut keep = vec![false; grants.len()];
        let mut used = STATEMENT_OVERHEAD;
        let order = first.into_iter().chain((0..grants.len()).filter(|i| Some(*i) != first));
        for i in order {
            let Some(g) = grants.get(i) else { continue };
            if used + cost(g) <= MAX_ALLOW_STATEMENT_BYTES {
                used += cost(g);
                if let Some(k) = keep.get_mut(i) {
                    *k = true;
                }
            }
        }
        let kept_first = first.is_some_and(|i| keep.get(i).copied().unwrap_or(false));
        grants = grants.into_iter().zip(keep).filter_map(|(g, k)| k.then_some(g)).collect();
        first = if kept_first { Some(0) } else { None };
    }
    Fitted { grants, truncated, request_kept: request.is_none() || first.is_some() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_len_is_the_length_of_the_stage_prefix() {
        for arn in [
            "arn:aws:execute-api:eu-west-1:123456789012:api1/prod/GET/x",
            "arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:abcdef1234/$default/POST/",
        ] {
            let a = ApiArn::parse(arn).unwrap_or_else(|| unreachable!("{arn}"));
            assert_eq!(prefix_len(&a), a.stage_prefix().len(), "{arn}");
        }
        assert_eq!(json_len("a\"b\\c\u{1}é"), 3 + 2 + 2 + 6 + 2);
    }

    fn grant(method: &str, path: &str) -> Grant {
        Grant { method: method.into(), path: path.into() }
    }

    /// When the grant admitting the request is too long for an ARN, the request's own route
    /// stands in for it, unless that route would itself be a wildcard (a `$default` request
    /// names its method and path, and `*` is a token character).
    #[test]
    fn the_exact_route_stands_in_only_when_it_is_no_wildcard() {
        let prefix = "arn:aws:execute-api:eu-west-1:123456789012:api1/prod/".len();
        let long = format!("/{}", "a".repeat(MAX_ARN_CHARS));
        for (method, path, stands_in) in
            [("GET", "/a", true), ("*", "/a", false), ("G?T", "/a", false), ("GET", "/a*", false)]
        {
            let fitted = fit(prefix, vec![grant("*", &format!("{long}*")), grant(method, &long)], Some((method, path)));
            let expected = if stands_in { vec![grant(method, path)] } else { vec![] };
            assert_eq!(fitted.grants, expected, "{method} {path}");
            assert_eq!(fitted.request_kept, stands_in, "{method} {path}");
        }
    }

    /// `fits_unchanged` says yes only where normalising and fitting return the grants as they
    /// are, for no request and for a request each grant admits; each reason to say no is seen.
    #[test]
    fn fits_unchanged_only_where_fitting_changes_nothing() {
        let prefix = "arn:aws:execute-api:eu-west-1:123456789012:api1/prod/".len();
        let long = format!("/{}", "a".repeat(MAX_ARN_CHARS));
        // Paths of 100 bytes: the statement's limit falls between 51 and 52 of them.
        let many = |n: usize| -> Vec<Grant> { (0..n).map(|i| grant("GET", &format!("/{i:099}"))).collect() };
        let at_limit = (1..200)
            .take_while(|&n| STATEMENT_OVERHEAD + n * (prefix + 3 + 100 + 3) <= MAX_ALLOW_STATEMENT_BYTES)
            .last();
        let at_limit = at_limit.unwrap_or_else(|| panic!("no count fits"));
        assert_eq!(at_limit, 51, "the comment above assumes 51");
        let cases: Vec<(Vec<Grant>, bool)> = vec![
            (vec![], true),
            (vec![grant("GET", "/orders/*"), grant("POST", "/orders")], true),
            (vec![grant("*", "/*")], true),
            (vec![grant("*", "/orders")], false),
            (vec![grant("GET", "/a"), grant("GET", "/a")], false),
            (vec![grant("GET", &long)], false),
            (many(at_limit), true),
            (many(at_limit + 1), false),
        ];
        for (grants, expected) in cases {
            assert_eq!(fits_unchanged(prefix, &grants), expected, "{} grants", grants.len());
            if expected {
                assert_eq!(fit(prefix, normalise(&grants), None).grants, grants);
                for g in &grants {
                    let request = Some((&*g.method, &*g.path)).filter(|(m, _)| *m != "*");
                    assert_eq!(fit(prefix, normalise(&grants), request).grants, grants);
                }
            } else {
                assert_ne!(fit(prefix, normalise(&grants), None).grants, grants);
            }
        }
    }
}
