//! `execute-api` ARNs: parsing the `methodArn`/`routeArn` of an event and building the
//! resource ARNs of a policy from it.
//!
//! `arn:{partition}:execute-api:{region}:{account}:{api_id}/{stage}/{method}/{resource path}`.
//! The incoming ARN is validated strictly: a component holding `*` or `?` is refused, so no
//! wildcard in a policy can come from request data.

use std::ops::Range;

use crate::decision::Reason;

pub const ARN_MALFORMED: Reason = Reason::new("arn_malformed");

/// The parts of an `execute-api` method or route ARN: the ARN as it arrived, its parts as
/// ranges into it (one string per request, not one per part). The prefix every policy
/// resource shares (`arn:{partition}:execute-api:{region}:{account}:{api_id}/{stage}/`) is
/// the part before the method, the path (with its leading slash) the part after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiArn {
    arn: String,
    partition: Range<usize>,
    region: Range<usize>,
    account: Range<usize>,
    api_id: Range<usize>,
    stage: Range<usize>,
    method: Range<usize>,
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'$' | b'.')
}

fn non_empty_token(s: &str) -> Option<&str> {
    (!s.is_empty() && s.bytes().all(is_token_byte)).then_some(s)
}

/// `s` split around the first `sep` (an ASCII byte, so both sides stay `str`), found by a
/// plain byte loop: the fields are a few bytes long, and `str::split_once` with a `char`
/// goes through the generic char searcher and `memchr`'s dispatch for each.
fn split_at_byte(s: &str, sep: u8) -> Option<(&str, &str)> {
    let i = s.bytes().position(|b| b == sep)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// The range `part` covers in `whole`, of which it is a subslice.
fn range_in(whole: &str, part: &str) -> Range<usize> {
    let start = (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize);
    start..start + part.len()
}

impl ApiArn {
    /// Parses a method or route ARN; `None` when it is not a well-formed `execute-api` ARN.
    pub fn parse(arn: &str) -> Option<ApiArn> {
        // Field by field, one byte search each: a `splitn` iterator and the char-pattern
        // searches cost more than the rest of the parse.
        let rest = arn.strip_prefix("arn:")?;
        let (partition, rest) = split_at_byte(rest, b':')?;
        let partition = non_empty_token(partition)?;
        let rest = rest.strip_prefix("execute-api:")?;
        let (region, rest) = split_at_byte(rest, b':')?;
        let region = non_empty_token(region)?;
        let (account, rest) = split_at_byte(rest, b':')?;
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (api_id, rest) = split_at_byte(rest, b'/')?;
        if api_id.is_empty() || !api_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let (stage, rest) = split_at_byte(rest, b'/')?;
        let stage = non_empty_token(stage)?;
        let (method, path) = split_at_byte(rest, b'/').unwrap_or((rest, ""));
        if !(method == "$default" || (!method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase()))) {
            return None;
        }
        // No wildcard, no control character (C0, DEL or C1: the bytes 0xC2 0x80..0x9F).
        let bytes = path.as_bytes();
        let control = |(i, &b): (usize, &u8)| {
            b == b'*'
                || b == b'?'
                || b < 0x20
                || b == 0x7f
                || (b == 0xc2 && bytes.get(i + 1).is_some_and(|&n| n < 0xa0))
        };
        if bytes.iter().enumerate().any(control) {
            return None;
        }
        Some(ApiArn {
            partition: range_in(arn, partition),
            region: range_in(arn, region),
            account: range_in(arn, account),
            api_id: range_in(arn, api_id),
            stage: range_in(arn, stage),
            method: range_in(arn, method),
            arn: arn.to_owned(),
        })
    }

    fn part(&self, range: &Range<usize>) -> &str {
        self.arn.get(range.clone()).unwrap_or_default()
    }

    pub fn partition(&self) -> &str {
        self.part(&self.partition)
    }

    pub fn region(&self) -> &str {
        self.part(&self.region)
    }

    pub fn account(&self) -> &str {
        self.part(&self.account)
    }

    pub fn api_id(&self) -> &str {
        self.part(&self.api_id)
    }

    pub fn stage(&self) -> &str {
        self.part(&self.stage)
    }

    /// `GET`, `POST`, ... or `$default` for an HTTP API's default route.
    pub fn method(&self) -> &str {
        self.part(&self.method)
    }

    /// The resource path with its leading slash (`/orders/42`), `/` for the root.
    pub fn path(&self) -> &str {
        // The rest of the ARN after the method: `/orders/42`, `/`, or nothing at all.
        match self.arn.get(self.method.end..) {
            Some(path) if !path.is_empty() => path,
            _ => "/",
        }
    }

    /// `arn:...:{api_id}/{stage}/`: every policy resource starts with this.
    pub fn stage_prefix(&self) -> &str {
        self.arn.get(..self.method.start).unwrap_or_default()
    }

    /// The ARN of one route of this API and stage: `method` is `GET`, `*`, ...; `path` starts
    /// with `/` and may hold the policy's own wildcards.
    pub fn route(&self, method: &str, path: &str) -> String {
        let prefix = self.stage_prefix();
        let mut s = String::with_capacity(prefix.len() + method.len() + path.len());
        s.push_str(prefix);
        s.push_str(method);
        s.push_str(path);
        s
    }

    /// The ARN this request was for, rebuilt from its parts.
    pub fn this_route(&self) -> String {
        self.route(self.method(), self.path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(arn: &str, expected: Option<(&str, &str, &str, &str, &str, &str)>) {
        let got = ApiArn::parse(arn);
        if let Some(a) = &got {
            assert_eq!(a.partition(), "aws");
            assert_eq!(
                a.stage_prefix(),
                format!("arn:aws:execute-api:{}:{}:{}/{}/", a.region(), a.account(), a.api_id(), a.stage())
            );
        }
        let got = got.as_ref().map(|a| (a.region(), a.account(), a.api_id(), a.stage(), a.method(), a.path()));
        assert_eq!(got, expected, "{arn}");
    }

    #[test]
    fn parses_method_and_route_arns() {
        check(
            "arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod/GET/orders/42",
            Some(("eu-west-1", "123456789012", "abc123defg", "prod", "GET", "/orders/42")),
        );
        check(
            "arn:aws:execute-api:us-east-1:123456789012:api1/$default/POST/payments",
            Some(("us-east-1", "123456789012", "api1", "$default", "POST", "/payments")),
        );
        check(
            "arn:aws:execute-api:us-east-1:123456789012:api1/$default/$default",
            Some(("us-east-1", "123456789012", "api1", "$default", "$default", "/")),
        );
        check(
            "arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/",
            Some(("us-east-1", "123456789012", "api1", "prod", "GET", "/")),
        );
    }

    #[test]
    fn refuses_malformed_and_wildcard_arns() {
        for bad in [
            "",
            "arn:aws:lambda:us-east-1:123456789012:function/x",
            "arn:aws:execute-api:us-east-1:12345:api1/prod/GET/x",
            "arn:aws:execute-api:us-east-1:123456789012:*/prod/GET/x",
            "arn:aws:execute-api:us-east-1:123456789012:api1/*/GET/x",
            "arn:aws:execute-api:us-east-1:123456789012:api1/prod/*/x",
            "arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/orders/*",
            "arn:aws:execute-api:us-east-1:123456789012:api1/prod/get/x",
            "arn:aws:execute-api:us-east-1:123456789012:api1/prod",
            "arn:aws:execute-api:*:123456789012:api1/prod/GET/x",
            "arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/a?b",
            "arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/a\tb",
            "arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/a\u{7f}",
            "arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/a\u{85}b",
            "arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/\u{9f}",
            "arn:aws:execute-api:us-east-1:123456789012:api1",
            "arn:aws:execute-api:us-east-1:123456789012:api1/prod/",
            "arn:aws:execute-api:us-east-1:123456789012:/prod/GET/x",
            "arn::execute-api:us-east-1:123456789012:api1/prod/GET/x",
            "arn:aws:execute-api:us-east-1:1234567890123:api1/prod/GET/x",
            "ARN:aws:execute-api:us-east-1:123456789012:api1/prod/GET/x",
        ] {
            check(bad, None);
        }
        // Control characters only: other non-ASCII is a path like any other.
        for path in ["a\u{a0}b", "é", "日本", "\u{100}"] {
            let arn = format!("arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/{path}");
            assert_eq!(ApiArn::parse(&arn).map(|a| a.path().to_owned()), Some(format!("/{path}")), "{path}");
        }
    }

    #[test]
    fn builds_route_arns_in_the_same_api_and_stage() {
        let arn = ApiArn::parse("arn:aws-cn:execute-api:cn-north-1:123456789012:api1/v1/GET/a")
            .unwrap_or_else(|| unreachable!());
        assert_eq!(
            arn.route("POST", "/orders/*"),
            "arn:aws-cn:execute-api:cn-north-1:123456789012:api1/v1/POST/orders/*"
        );
        assert_eq!(arn.this_route(), "arn:aws-cn:execute-api:cn-north-1:123456789012:api1/v1/GET/a");
    }
}
