//! Evaluation: which rules apply to an identity, the grants they add up to, and whether the
//! request's own route is among them.

use std::sync::Arc;

use serde_json::Value;

use super::compile::{Auth, Compiled, Filter, Principal, Rule, TAG_CLIENT, TAG_MTLS, TAG_SCOPE, TAG_SUB, TAG_URI, bit};
use super::limits::{self, Fitted};
use super::matcher::{grant_matches, parse_route};
use super::{
    Grant, POLICY_ALLOWED, POLICY_ALLOWED_TRUNCATED, POLICY_NO_RULE, POLICY_ROUTE_ARN_TOO_LONG,
    POLICY_ROUTE_NOT_GRANTED, PolicyVerdict,
};
use crate::decision::{Identity, JwtIdentity, MtlsIdentity};
use crate::request::AuthRequest;

/// The first condition of a rule an identity fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mismatch {
    Auth,
    BoundToken,
    Principal,
    Issuer,
    /// The index of the first missing scope in `scopes`.
    Scope(usize),
    AnyScope,
    Group,
    Tenant,
    /// The index of the first failing claim in `claims`.
    Claim(usize),
}

/// The credentials a rule's conditions read. A token and a certificate that came together
/// are one caller only when the token is bound to the certificate; otherwise a rule reads
/// only the credential its `auth` names (`any`: one of them, whole), so that the scopes or
/// claims of one party never complete the conditions of another's rule. A `jwt+mtls` rule
/// asks for both, and reads both.
#[derive(Clone, Copy)]
struct View<'a> {
    jwt: Option<&'a JwtIdentity>,
    mtls: Option<&'a MtlsIdentity>,
}

fn has_scope(id: View<'_>, scope: &str) -> bool {
    id.jwt.is_some_and(|j| j.scopes.iter().any(|s| s == scope))
        || id.mtls.is_some_and(|m| m.scopes().iter().any(|s| s == scope))
}

/// Claim values compare as JSON, numbers by value (`3` equals `3.0`).
fn claim_eq(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => a.as_f64().is_some_and(|x| b.as_f64() == Some(x)),
        },
        _ => want == got,
    }
}

impl Principal {
    fn matches(&self, id: View<'_>) -> bool {
        let (jwt, mtls) = (id.jwt, id.mtls);
        match self {
            Principal::MtlsClient(c) => mtls.is_some_and(|m| m.client_id() == c),
            Principal::Uri(u) => mtls.is_some_and(|m| m.uri_sans.iter().any(|s| s == u)),
            Principal::JwtSub(s) => jwt.is_some_and(|j| j.subject.as_deref() == Some(s.as_str())),
            Principal::JwtClient(c) => jwt.is_some_and(|j| j.client_id.as_deref() == Some(c.as_str())),
        }
    }
}

impl Rule {
    /// Whether every condition of the rule holds for `id` (no allocation), reading the
    /// credentials [`View`] says it may.
    pub fn admits(&self, id: &Identity) -> Result<(), Mismatch> {
        let (jwt, mtls) = (id.jwt.as_ref(), id.mtls.as_ref());
        if jwt.is_none() || mtls.is_none() || id.token_bound() {
            return self.admits_view(View { jwt, mtls });
        }
        match self.auth {
            Auth::Both => self.admits_view(View { jwt, mtls }),
            Auth::Jwt => self.admits_view(View { jwt, mtls: None }),
            Auth::Mtls => self.admits_view(View { jwt: None, mtls }),
            Auth::Any => {
                self.admits_view(View { jwt, mtls: None }).or_else(|_| self.admits_view(View { jwt: None, mtls }))
            }
        }
    }

    fn admits_view(&self, id: View<'_>) -> Result<(), Mismatch> {
        let (jwt, mtls) = (id.jwt, id.mtls);
        let auth_ok = match self.auth {
            Auth::Jwt => jwt.is_some(),
            Auth::Mtls => mtls.is_some(),
            Auth::Both => jwt.is_some() && mtls.is_some(),
            Auth::Any => jwt.is_some() || mtls.is_some(),
        };
        if !auth_ok {
            return Err(Mismatch::Auth);
        }
        if self.require_bound_token && !(jwt.is_some_and(|j| j.cnf_x5t_s256.is_some()) && mtls.is_some()) {
            return Err(Mismatch::BoundToken);
        }
        if !self.principals.is_empty() && !self.principals.iter().any(|p| p.matches(id)) {
            return Err(Mismatch::Principal);
        }
        if !self.issuers.is_empty() && !jwt.is_some_and(|j| self.issuers.iter().any(|i| **i == *j.issuer)) {
            return Err(Mismatch::Issuer);
        }
        if let Some(i) = self.scopes.iter().position(|s| !has_scope(id, s)) {
            return Err(Mismatch::Scope(i));
        }
        if !self.any_scopes.is_empty() && !self.any_scopes.iter().any(|s| has_scope(id, s)) {
            return Err(Mismatch::AnyScope);
        }
        if !self.groups.is_empty() && !jwt.is_some_and(|j| j.groups.iter().any(|g| self.groups.contains(g))) {
            return Err(Mismatch::Group);
        }
        if !self.tenants.is_empty()
            && !mtls.and_then(MtlsIdentity::tenant).is_some_and(|t| self.tenants.iter().any(|x| x == t))
        {
            return Err(Mismatch::Tenant);
        }
        let claim_fails = |(name, values): &(String, Vec<Value>)| {
            let got = jwt.and_then(|j| j.claims.get(name));
            !got.is_some_and(|g| values.iter().any(|v| claim_eq(v, g)))
        };
        if let Some(i) = self.claims.iter().position(claim_fails) {
            return Err(Mismatch::Claim(i));
        }
        Ok(())
    }
}

/// The routes of a registry item, as grants. An invalid route is left out (never widened)
/// and logged with the client id.
pub fn item_grants(m: &MtlsIdentity) -> Vec<Grant> {
    let mut out = Vec::new();
    for route in m.routes() {
        match parse_route(route.trim()) {
            Ok(r) => out.extend(r.grants()),
            Err(problem) => {
                tracing::warn!(client_id = %m.client_id(), %problem, "registry item route ignored: not a valid route pattern");
            }
        }
    }
    out
}

/// The caller's side of [`Filter`]: the bits of every scope and principal it has.
fn caller_filter(id: &Identity) -> Filter {
    let mut f = Filter::default();
    if let Some(j) = &id.jwt {
        f.scopes |= j.scopes.iter().fold(0, |m, s| m | bit(TAG_SCOPE, s));
        f.principals |= j.subject.as_deref().map_or(0, |s| bit(TAG_SUB, s));
        f.principals |= j.client_id.as_deref().map_or(0, |c| bit(TAG_CLIENT, c));
    }
    if let Some(m) = &id.mtls {
        f.scopes |= m.scopes().iter().fold(0, |acc, s| acc | bit(TAG_SCOPE, s));
        f.principals |= bit(TAG_MTLS, m.client_id());
        f.principals |= m.uri_sans.iter().fold(0, |acc, u| acc | bit(TAG_URI, u));
    }
    f
}

impl Filter {
    /// False only when the rule certainly does not apply to a caller with these bits.
    fn may_meet(&self, rule: &Filter) -> bool {
        rule.scopes & !self.scopes == 0
            && (rule.any_scopes == 0 || rule.any_scopes & self.scopes != 0)
            && (rule.principals == 0 || rule.principals & self.principals != 0)
    }
}

/// A full evaluation: the verdict, and whether the grants had to be cut to fit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    pub verdict: PolicyVerdict,
    pub truncated: bool,
}

pub fn evaluate(c: &Compiled, id: &Identity, req: &AuthRequest) -> Evaluation {
    let (method, path) = (req.method(), req.path());
    let entry = |g: u32| usize::try_from(g).ok().and_then(|i| c.grants.get(i));
    let mut set: Vec<u32> = Vec::with_capacity(32);
    let mut rule: Option<&Arc<str>> = None;
    let caller = caller_filter(id);
    for r in &c.rules {
        if !caller.may_meet(&r.filter) || r.admits(id).is_err() {
            continue;
        }
        set.extend_from_slice(&r.grants);
        if rule.is_none() && r.grants.iter().any(|&g| entry(g).is_some_and(|e| grant_matches(&e.grant, method, path))) {
            rule = Some(&r.name);
        }
    }
    set.sort_unstable();
    set.dedup();
    let mut grants: Vec<Grant> = Vec::with_capacity(set.len());
    grants.extend(
        set.iter()
            .filter_map(|&g| entry(g))
            .filter(|e| !e.covered_by.iter().any(|o| set.binary_search(o).is_ok()))
            .map(|e| e.grant.clone()),
    );
    let mut rule = rule.cloned();
    if let Some(m) = id.mtls.as_ref().filter(|m| !m.routes().is_empty()) {
        let extra = item_grants(m);
        if rule.is_none() && extra.iter().any(|g| grant_matches(g, method, path)) {
            rule = Some(Arc::from(format!("registry:{}", m.client_id())));
        }
        if !extra.is_empty() {
            grants.extend(extra);
            grants = limits::drop_covered(grants);
        }
    }

    let allowed = rule.is_some();
    let had_grants = !grants.is_empty();
    let prefix_len = limits::prefix_len(&req.arn);
    let Fitted { grants, truncated, request_kept } = limits::fit(prefix_len, grants, allowed.then_some((method, path)));
    if truncated {
        tracing::warn!(
            kept = grants.len(),
            method,
            "policy cut to fit api gateway limits: a cached copy may deny routes this caller may call"
        );
    }
    let (allowed, reason) = match (allowed, request_kept, truncated) {
        (true, true, false) => (true, POLICY_ALLOWED),
        (true, true, true) => (true, POLICY_ALLOWED_TRUNCATED),
        (true, false, _) => (false, POLICY_ROUTE_ARN_TOO_LONG),
        (false, _, _) if had_grants => (false, POLICY_ROUTE_NOT_GRANTED),
        (false, _, _) => (false, POLICY_NO_RULE),
    };
    let rule = if allowed { rule } else { None };
    Evaluation { verdict: PolicyVerdict { allowed, grants, rule, reason }, truncated }
}
