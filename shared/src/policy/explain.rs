//! "Why was I denied": every rule's answer for one identity and request, in words.

use std::fmt;

use super::PolicyVerdict;
use super::compile::{Auth, Compiled, Principal, Rule};
use super::engine::{Mismatch, evaluate};
use super::matcher::{grant_matches, parse_route};
use crate::decision::Identity;
use crate::request::AuthRequest;

/// One rule's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleReport {
    pub name: String,
    pub line: usize,
    /// `Ok` when every condition holds, else the first that does not, in words.
    pub applies: Result<(), String>,
    /// One of its routes admits the request.
    pub grants_request: bool,
    pub routes: Vec<String>,
}

/// One route of the caller's registry item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemRouteReport {
    pub route: String,
    /// `Ok(admits the request)`, or why the route was ignored.
    pub valid: Result<bool, String>,
}

/// The policy's whole answer for one identity and request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    pub file: String,
    pub method: String,
    pub path: String,
    pub verdict: PolicyVerdict,
    /// Grants were left out to fit API Gateway's limits.
    pub truncated: bool,
    pub rules: Vec<RuleReport>,
    pub item_routes: Vec<ItemRouteReport>,
}

fn auth_name(a: Auth) -> &'static str {
    match a {
        Auth::Jwt => "jwt",
        Auth::Mtls => "mtls",
        Auth::Both => "jwt+mtls",
        Auth::Any => "jwt or mtls",
    }
}

fn principal_text(p: &Principal) -> String {
    match p {
        Principal::MtlsClient(v) => format!("mtls:{v}"),
        Principal::Uri(v) => format!("uri:{v}"),
        Principal::JwtSub(v) => format!("jwt-sub:{v}"),
        Principal::JwtClient(v) => format!("jwt-client:{v}"),
    }
}

/// A mismatch in words. Only names and values the policy file itself holds, plus the
/// caller's non-secret attributes (issuer, tenant, claim value).
pub fn describe(rule: &Rule, m: Mismatch, id: &Identity) -> String {
    let jwt = id.jwt.as_ref();
    match m {
        Mismatch::Auth => format!("auth: needs {}, the caller presented {}", auth_name(rule.auth), id.method()),
        Mismatch::BoundToken => {
            "require_bound_token: the token is not bound to the presented certificate (no cnf.x5t#S256)".to_owned()
        }
        Mismatch::Principal => {
            let list: Vec<String> = rule.principals.iter().map(principal_text).collect();
            format!("principals: the caller is none of {}", list.join(", "))
        }
        Mismatch::Issuer => format!("issuers: token issuer {:?} is not listed", jwt.map_or("", |j| &*j.issuer)),
        Mismatch::Scope(i) => format!("scopes: missing {:?}", rule.scopes.get(i).map_or("", String::as_str)),
        Mismatch::AnyScope => format!("any_scopes: has none of {}", rule.any_scopes.join(", ")),
        Mismatch::Group => format!("groups: in none of {}", rule.groups.join(", ")),
        Mismatch::Tenant => {
            let tenant = id.mtls.as_ref().and_then(|m| m.tenant()).unwrap_or("(none)");
            format!("tenants: tenant {tenant:?} is not one of {}", rule.tenants.join(", "))
        }
        Mismatch::Claim(i) => {
            let Some((name, values)) = rule.claims.get(i) else { return "claims".to_owned() };
            let got =
                jwt.and_then(|j| j.claims.get(name)).map_or_else(|| "no such claim".to_owned(), |v| format!("{v}"));
            let want: Vec<String> = values.iter().map(|v| format!("{v}")).collect();
            format!("claims.{name}: caller has {got}, needs {}", want.join(" or "))
        }
    }
}

pub fn explain(c: &Compiled, file: &str, id: &Identity, req: &AuthRequest) -> Explanation {
    let (method, path) = (req.method(), req.path());
    let evaluation = evaluate(c, id, req);
    let rules = c
        .rules
        .iter()
        .map(|r| RuleReport {
            name: r.name.to_string(),
            line: r.line,
            applies: r.admits(id).map_err(|m| describe(r, m, id)),
            grants_request: r.grants.iter().any(|&g| {
                usize::try_from(g)
                    .ok()
                    .and_then(|i| c.grants.get(i))
                    .is_some_and(|e| grant_matches(&e.grant, method, path))
            }),
            routes: r.routes.clone(),
        })
        .collect();
    let item_routes = id
        .mtls
        .iter()
        .flat_map(|m| m.routes().iter())
        .map(|route| ItemRouteReport {
            route: route.clone(),
            valid: parse_route(route.trim()).map(|r| r.grants().iter().any(|g| grant_matches(g, method, path))),
        })
        .collect();
    Explanation {
        file: file.to_owned(),
        method: method.to_owned(),
        path: path.to_owned(),
        verdict: evaluation.verdict,
        truncated: evaluation.truncated,
        rules,
        item_routes,
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = &self.verdict;
        let route = format!("{} {}", self.method, self.path);
        match &v.rule {
            Some(rule) if v.allowed => writeln!(f, "policy {}: {route} allowed by {rule} ({})", self.file, v.reason)?,
            _ => writeln!(f, "policy {}: {route} denied ({})", self.file, v.reason)?,
        }
        if self.rules.is_empty() {
            writeln!(f, "  the file has no rules")?;
        }
        for r in &self.rules {
            let answer = match (&r.applies, r.grants_request) {
                (Ok(()), true) => format!("applies, grants {route}"),
                (Ok(()), false) => format!("applies, but none of its routes is {route}"),
                (Err(why), _) => format!("does not apply: {why}"),
            };
            writeln!(f, "  rule {} (line {}): {answer}", r.name, r.line)?;
            writeln!(f, "      routes: {}", r.routes.join(", "))?;
        }
        for i in &self.item_routes {
            match &i.valid {
                Ok(true) => writeln!(f, "  registry route {:?}: grants {route}", i.route)?,
                Ok(false) => writeln!(f, "  registry route {:?}: does not match {route}", i.route)?,
                Err(why) => writeln!(f, "  registry route {:?}: ignored: {why}", i.route)?,
            }
        }
        let grants: Vec<String> = v.grants.iter().map(|g| format!("{} {}", g.method, g.path)).collect();
        let grants = if grants.is_empty() { "none".to_owned() } else { grants.join(", ") };
        writeln!(f, "grants (policy ARN form, * spans /): {grants}")?;
        if self.truncated {
            writeln!(
                f,
                "warning: grants were left out to fit API Gateway's limits; a cached copy may deny routes allowed here"
            )?;
        }
        Ok(())
    }
}
