//! Turns the parsed file into rules the engine evaluates without allocating: validated
//! identity conditions, and route grants interned in one sorted table (with, for each grant,
//! the grants that already cover it), plus the load-time check that no rule's ARN form
//! silently grants a route another rule names.

use std::collections::HashMap;
use std::sync::Arc;

use toml::Spanned;

use super::Grant;
use super::file::{ClaimValue, PolicyError, RawFile, RawRule, Source, SpannedList};
use super::matcher::{Route, grant_covers, parse_route};

/// Which credentials a rule requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// A verified JWT (a certificate may come with it).
    Jwt,
    /// A verified client certificate (a JWT may come with it).
    Mtls,
    /// Both.
    Both,
    /// Either.
    Any,
}

/// A principal condition, written with a prefix saying what it is compared with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// `mtls:<client_id>`: the registry client id of the certificate.
    MtlsClient(String),
    /// `uri:<uri>`: a URI subject alternative name of the certificate (SPIFFE ids).
    Uri(String),
    /// `jwt-sub:<sub>`: the token's `sub`.
    JwtSub(String),
    /// `jwt-client:<client_id>`: the token's `client_id` (or `azp`).
    JwtClient(String),
}

/// One compiled rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Shared with every verdict it allows (`PolicyVerdict::rule`).
    pub name: Arc<str>,
    /// The line of its `name` in the file.
    pub line: usize,
    pub auth: Auth,
    pub principals: Vec<Principal>,
    pub issuers: Vec<String>,
    pub scopes: Vec<String>,
    pub any_scopes: Vec<String>,
    pub groups: Vec<String>,
    pub tenants: Vec<String>,
    pub claims: Vec<(String, Vec<serde_json::Value>)>,
    pub require_bound_token: bool,
    /// The routes as written, for explanations.
    pub routes: Vec<String>,
    /// Indices into [`Compiled::grants`], ascending.
    pub grants: Box<[u32]>,
    /// A cheap pre-check before [`Rule::admits`](super::engine): see [`Filter`].
    pub filter: Filter,
}

/// Bloom-style masks that reject most rules an identity cannot meet with a few integer
/// operations: one bit per required scope, per accepted scope, per accepted principal. A
/// rule that passes is still checked exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Bits the caller's scopes must all have.
    pub scopes: u64,
    /// Bits of which the caller's scopes must have one (0: no condition).
    pub any_scopes: u64,
    /// Bits of which the caller's principals must have one (0: no condition).
    pub principals: u64,
}

/// Tags for [`bit`]: what kind of value is hashed.
pub const TAG_SCOPE: u8 = 0;
pub const TAG_MTLS: u8 = 1;
pub const TAG_URI: u8 = 2;
pub const TAG_SUB: u8 = 3;
pub const TAG_CLIENT: u8 = 4;

/// The mask bit of a tagged value (FNV-1a, 64 bits, folded to 0..64).
pub fn bit(tag: u8, value: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(tag);
    for b in value.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    1u64 << ((h ^ (h >> 32)) & 63)
}

impl Principal {
    pub fn bit(&self) -> u64 {
        match self {
            Principal::MtlsClient(v) => bit(TAG_MTLS, v),
            Principal::Uri(v) => bit(TAG_URI, v),
            Principal::JwtSub(v) => bit(TAG_SUB, v),
            Principal::JwtClient(v) => bit(TAG_CLIENT, v),
        }
    }
}

/// One distinct grant of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantEntry {
    pub grant: Grant,
    /// Other grants of the table that admit every request this one admits.
    pub covered_by: Box<[u32]>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Compiled {
    pub rules: Vec<Rule>,
    /// Sorted by (method, path), so ascending indices give a deterministic order.
    pub grants: Vec<GrantEntry>,
}

fn name_ok(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

/// The values of an optional list: absent is empty; present must hold at least one
/// non-blank value without surrounding spaces.
fn list(src: &Source<'_>, raw: &Option<SpannedList>, field: &str) -> Result<Vec<String>, PolicyError> {
    let Some(l) = raw else { return Ok(Vec::new()) };
    if l.get_ref().is_empty() {
        return Err(src.error(&l.span(), field, "empty list: list at least one value or remove the field"));
    }
    l.get_ref()
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let s = v.get_ref();
            if s.is_empty() || s.trim() != s {
                Err(src.error(
                    &v.span(),
                    format!("{field}[{i}]"),
                    format!("{s:?}: expected a value without surrounding spaces"),
                ))
            } else {
                Ok(s.clone())
            }
        })
        .collect()
}

fn principal(text: &str) -> Result<Principal, String> {
    let (kind, value) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?}: expected mtls:, uri:, jwt-sub: or jwt-client: before the value"))?;
    if value.is_empty() {
        return Err(format!("{text:?}: the value after {kind}: is empty"));
    }
    let v = value.to_owned();
    match kind {
        "mtls" => Ok(Principal::MtlsClient(v)),
        "uri" => Ok(Principal::Uri(v)),
        "jwt-sub" => Ok(Principal::JwtSub(v)),
        "jwt-client" => Ok(Principal::JwtClient(v)),
        other => Err(format!("unknown principal kind {other:?}: expected mtls:, uri:, jwt-sub: or jwt-client:")),
    }
}

fn auth(text: &str) -> Option<Auth> {
    match text {
        "jwt" => Some(Auth::Jwt),
        "mtls" => Some(Auth::Mtls),
        "jwt+mtls" => Some(Auth::Both),
        "any" => Some(Auth::Any),
        _ => None,
    }
}

/// A rule as parsed, with the routes kept beside their spans for the cross-rule check.
struct Parsed {
    rule: Rule,
    routes: Vec<(Route, Spanned<String>, Vec<Grant>)>,
}

fn compile_rule(src: &Source<'_>, i: usize, raw: &RawRule) -> Result<Parsed, PolicyError> {
    let f = |name: &str| format!("rule[{i}].{name}");
    let name = raw.name.get_ref();
    if !name_ok(name) {
        return Err(src.error(
            &raw.name.span(),
            f("name"),
            format!("{name:?}: expected 1 to 64 of A-Z a-z 0-9 - _ . :"),
        ));
    }
    let auth = auth(raw.auth.get_ref()).ok_or_else(|| {
        src.error(
            &raw.auth.span(),
            f("auth"),
            format!("{:?}: expected \"jwt\", \"mtls\", \"jwt+mtls\" or \"any\"", raw.auth.get_ref()),
        )
    })?;
    let has_jwt = matches!(auth, Auth::Jwt | Auth::Both);
    let has_mtls = matches!(auth, Auth::Mtls | Auth::Both);
    let needs = |field: &str, span: std::ops::Range<usize>, ok: bool, what: &str| {
        if ok { Ok(()) } else { Err(src.error(&span, f(field), format!("needs {what}"))) }
    };

    let mut principals = Vec::new();
    if let Some(l) = &raw.principals {
        for (j, text) in list(src, &raw.principals, &f("principals"))?.iter().enumerate() {
            let span = l.get_ref().get(j).map_or(l.span(), Spanned::span);
            let p = principal(text).map_err(|m| src.error(&span, format!("{}[{j}]", f("principals")), m))?;
            let jwt_kind = matches!(p, Principal::JwtSub(_) | Principal::JwtClient(_));
            if auth != Auth::Any {
                let what = if jwt_kind {
                    "a verified JWT: set auth = \"jwt\", \"jwt+mtls\" or \"any\""
                } else {
                    "a client certificate: set auth = \"mtls\", \"jwt+mtls\" or \"any\""
                };
                needs(&format!("principals[{j}]"), span, if jwt_kind { has_jwt } else { has_mtls }, what)?;
            }
            principals.push(p);
        }
    }
    let jwt_only = "a verified JWT: set auth = \"jwt\" or \"jwt+mtls\"";
    for (field, l) in [("issuers", &raw.issuers), ("groups", &raw.groups)] {
        if let Some(l) = l {
            needs(field, l.span(), has_jwt, jwt_only)?;
        }
    }
    if let Some(c) = &raw.claims {
        needs("claims", c.span(), has_jwt, jwt_only)?;
    }
    if let Some(t) = &raw.tenants {
        needs(
            "tenants",
            t.span(),
            has_mtls,
            "a client certificate (tenants come from the client registry): set auth = \"mtls\" or \"jwt+mtls\"",
        )?;
    }
    let require_bound_token = raw.require_bound_token.as_ref().is_some_and(|b| *b.get_ref());
    if let (true, Some(b)) = (require_bound_token, &raw.require_bound_token) {
        needs("require_bound_token", b.span(), auth == Auth::Both, "both credentials: set auth = \"jwt+mtls\"")?;
    }

    let mut claims = Vec::new();
    if let Some(c) = &raw.claims {
        if c.get_ref().is_empty() {
            return Err(src.error(&c.span(), f("claims"), "empty table: list at least one claim or remove the field"));
        }
        for (claim, value) in c.get_ref() {
            let values = match value.get_ref() {
                ClaimValue::One(s) => vec![s.to_json()],
                ClaimValue::Any(list) if list.is_empty() => {
                    return Err(src.error(
                        &value.span(),
                        format!("{}.{claim}", f("claims")),
                        "empty list: list at least one value",
                    ));
                }
                ClaimValue::Any(list) => list.iter().map(|s| s.to_json()).collect(),
            };
            claims.push((claim.clone(), values));
        }
    }

    if raw.routes.get_ref().is_empty() {
        return Err(src.error(&raw.routes.span(), f("routes"), "empty list: a rule must grant at least one route"));
    }
    let mut routes = Vec::new();
    for (j, text) in raw.routes.get_ref().iter().enumerate() {
        let field = format!("{}[{j}]", f("routes"));
        let route = parse_route(text.get_ref()).map_err(|m| src.error(&text.span(), field.clone(), m))?;
        if routes.iter().any(|(r, _, _): &(Route, _, _)| *r == route) {
            return Err(src.error(&text.span(), field, format!("{:?} is listed twice", text.get_ref())));
        }
        let grants = route.grants();
        routes.push((route, text.clone(), grants));
    }

    let mut rule = Rule {
        name: Arc::from(name.as_str()),
        line: src.line_of(&raw.name.span()),
        auth,
        principals,
        issuers: list(src, &raw.issuers, &f("issuers"))?,
        scopes: list(src, &raw.scopes, &f("scopes"))?,
        any_scopes: list(src, &raw.any_scopes, &f("any_scopes"))?,
        groups: list(src, &raw.groups, &f("groups"))?,
        tenants: list(src, &raw.tenants, &f("tenants"))?,
        claims,
        require_bound_token,
        routes: raw.routes.get_ref().iter().map(|r| r.get_ref().clone()).collect(),
        grants: Box::new([]),
        filter: Filter::default(),
    };
    rule.filter = Filter {
        scopes: rule.scopes.iter().fold(0, |m, s| m | bit(TAG_SCOPE, s)),
        any_scopes: rule.any_scopes.iter().fold(0, |m, s| m | bit(TAG_SCOPE, s)),
        principals: rule.principals.iter().fold(0, |m, p| m | p.bit()),
    };
    Ok(Parsed { rule, routes })
}

/// Refuses a route whose ARN form grants a route of another rule that the pattern, as
/// written, does not: `GET /orders/{id}` is `GET/orders/*` in the policy, which also admits
/// `GET /orders/{id}/refunds`. Writing `GET /orders/*` says the wider grant on purpose.
fn check_widening(src: &Source<'_>, parsed: &[Parsed]) -> Result<(), PolicyError> {
    for (a, pa) in parsed.iter().enumerate() {
        for (j, (ra, text, grants_a)) in pa.routes.iter().enumerate() {
            for pb in parsed.iter().enumerate().filter(|(b, _)| *b != a).map(|(_, p)| p) {
                for (rb, text_b, grants_b) in &pb.routes {
                    let widened = grants_b.iter().find(|gb| {
                        let method = (&*gb.method != "*").then_some(&*gb.method);
                        grants_a.iter().any(|ga| grant_covers(ga, gb)) && !ra.reads_as_covering(rb, method)
                    });
                    if let Some(gb) = widened {
                        let ga = grants_a.iter().find(|ga| grant_covers(ga, gb)).unwrap_or(gb);
                        return Err(src.error(
                            &text.span(),
                            format!("rule[{a}].routes[{j}]"),
                            format!(
                                "{:?} also grants {:?} of rule {:?} (line {}): the cached IAM policy says {}{} and * spans \"/\"; \
                                 write the route with a trailing /* to grant everything below on purpose",
                                text.get_ref(),
                                text_b.get_ref(),
                                pb.rule.name,
                                src.line_of(&text_b.span()),
                                ga.method,
                                ga.path
                            ),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Validates and compiles a parsed file.
pub fn compile(src: &Source<'_>, raw: &RawFile) -> Result<Compiled, PolicyError> {
    let mut parsed = Vec::with_capacity(raw.rule.len());
    let mut names: HashMap<Arc<str>, usize> = HashMap::new();
    for (i, r) in raw.rule.iter().enumerate() {
        let p = compile_rule(src, i, r.get_ref())?;
        let line = p.rule.line;
        if let Some(first) = names.insert(p.rule.name.clone(), line) {
            let msg = format!("rule name {:?} is already used at line {first}", p.rule.name);
            return Err(src.error(&r.get_ref().name.span(), format!("rule[{i}].name"), msg));
        }
        parsed.push(p);
    }
    check_widening(src, &parsed)?;

    let mut table: Vec<Grant> =
        parsed.iter().flat_map(|p| p.routes.iter().flat_map(|(_, _, g)| g.iter().cloned())).collect();
    table.sort_by(|a, b| (&a.method, &a.path).cmp(&(&b.method, &b.path)));
    table.dedup();
    let index = |g: &Grant| -> u32 {
        let i = table.binary_search_by(|t| (&t.method, &t.path).cmp(&(&g.method, &g.path))).unwrap_or_default();
        u32::try_from(i).unwrap_or(u32::MAX)
    };
    let mut rules = Vec::with_capacity(parsed.len());
    for p in &parsed {
        let mut idx: Vec<u32> = p.routes.iter().flat_map(|(_, _, g)| g.iter().map(index)).collect();
        idx.sort_unstable();
        idx.dedup();
        let mut rule = p.rule.clone();
        rule.grants = idx.into_boxed_slice();
        rules.push(rule);
    }
    let grants = table
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let covered_by = table
                .iter()
                .enumerate()
                .filter(|&(j, o)| j != i && grant_covers(o, g) && (j < i || !grant_covers(g, o)))
                .filter_map(|(j, _)| u32::try_from(j).ok())
                .collect();
            GrantEntry { grant: g.clone(), covered_by }
        })
        .collect();
    Ok(Compiled { rules, grants })
}
