//! Claim checks after the signature is verified (RFC 7519, RFC 8725, RFC 9068, Cognito), and
//! the identity the policy step receives.

use std::sync::Arc;

use serde_json::Map;

use super::config::{IssuerConfig, TokenKind};
use super::json::{Json, Object, same_name};
use super::reasons::*;
use crate::decision::{JwtIdentity, Reason, is_scope_word};

/// Which of a token's top-level string, number and boolean claims its identity carries for
/// the policy's claim conditions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum KeptClaims {
    /// All of them (a verifier used without a policy, as in the library's tests).
    #[default]
    All,
    /// Only these names: the ones the policy's rules test (the authorizer sets this).
    Named(Vec<String>),
}

impl KeptClaims {
    fn keeps(&self, name: &str) -> bool {
        match self {
            KeptClaims::All => true,
            KeptClaims::Named(names) => names.iter().any(|n| same_name(n, name)),
        }
    }
}

fn numeric_date(v: &Json<'_>) -> Option<f64> {
    v.as_f64().filter(|f| f.is_finite())
}

fn is_string(v: &Json<'_>) -> bool {
    matches!(v, Json::String(_))
}

/// The strings of an array that holds only strings; `None` for anything else.
fn strings<'v>(v: &'v Json<'_>) -> Option<impl Iterator<Item = &'v str>> {
    let items = v.as_array()?;
    items.iter().all(is_string).then(|| items.iter().filter_map(Json::as_str))
}

fn string_or_strings(v: &Json<'_>) -> bool {
    is_string(v) || strings(v).is_some()
}

/// Rejects any claim we read whose JSON type is wrong, before any of them is interpreted:
/// NumericDates are numbers; `iss`, `sub`, `client_id`, `azp`, `token_use`, `jti`, `scope`
/// and the principal claim are strings; `aud` and `scp` a string or an array of strings; the
/// groups claim an array of strings; `cnf` an object whose `x5t#S256`, if any, is a string.
fn check_types(issuer: &IssuerConfig, claims: &Object<'_>) -> Result<(), Reason> {
    for (name, v) in claims.iter() {
        let typed = match name {
            "exp" | "nbf" | "iat" => numeric_date(v).is_some(),
            "iss" | "sub" | "client_id" | "azp" | "token_use" | "jti" | "scope" => is_string(v),
            "aud" | "scp" => string_or_strings(v),
            "cnf" => v.as_object().is_some_and(|o| o.get("x5t#S256").is_none_or(is_string)),
            _ => true,
        };
        if !typed
            || (same_name(name, &issuer.groups_claim) && strings(v).is_none())
            || (same_name(name, &issuer.principal_claim) && !is_string(v))
        {
            return Err(JWT_CLAIM_TYPE);
        }
    }
    Ok(())
}

/// The clock rules of the claim checks, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimeRules {
    /// Allowed clock skew, applied to every comparison with now.
    pub leeway: u64,
    /// Longest a token may be good for: from now to `exp`, and from `iat` to `exp`.
    pub max_lifetime: u64,
}

fn check_times(claims: &Object<'_>, now: u64, rules: TimeRules) -> Result<(), Reason> {
    // Precision below a second does not matter for any of these comparisons.
    #[allow(clippy::cast_precision_loss)]
    let (now, leeway, max_lifetime) = (now as f64, rules.leeway as f64, rules.max_lifetime as f64);
    let exp = claims.get("exp").and_then(numeric_date).ok_or(JWT_EXP_MISSING)?;
    if now >= exp + leeway {
        return Err(JWT_EXPIRED);
    }
    if claims.get("nbf").and_then(numeric_date).is_some_and(|nbf| nbf > now + leeway) {
        return Err(JWT_NOT_YET_VALID);
    }
    let iat = claims.get("iat").and_then(numeric_date);
    if iat.is_some_and(|iat| iat > now + leeway) {
        return Err(JWT_IAT_FUTURE);
    }
    // A token good for longer than the bound is refused whatever else it says: `exp: 1e300`
    // would otherwise never expire.
    if exp > now + max_lifetime + leeway || iat.is_some_and(|iat| exp - iat > max_lifetime + leeway) {
        return Err(JWT_LIFETIME_TOO_LONG);
    }
    Ok(())
}

fn check_aud(issuer: &IssuerConfig, claims: &Object<'_>, required: bool) -> Result<(), Reason> {
    let accepted = |a: &str| issuer.audiences.iter().any(|ok| ok == a);
    let matched = match claims.get("aud") {
        None => return if required { Err(JWT_AUD_MISSING) } else { Ok(()) },
        Some(Json::String(aud)) => accepted(aud),
        // The types were checked: an array of strings.
        Some(other) => strings(other).is_some_and(|mut auds| auds.any(accepted)),
    };
    if matched { Ok(()) } else { Err(JWT_AUD_MISMATCH) }
}

fn check_audience(issuer: &IssuerConfig, claims: &Object<'_>) -> Result<(), Reason> {
    match &issuer.kind {
        TokenKind::Oidc => check_aud(issuer, claims, true),
        TokenKind::Cognito { token_use } => {
            if claims.get("token_use").and_then(Json::as_str) != Some(token_use.as_str()) {
                return Err(JWT_TOKEN_USE_MISMATCH);
            }
            if token_use != "access" {
                return check_aud(issuer, claims, true);
            }
            let client_id = claims.get("client_id").and_then(Json::as_str).ok_or(JWT_CLIENT_ID_MISSING)?;
            if !issuer.audiences.iter().any(|ok| ok == client_id) {
                return Err(JWT_CLIENT_ID_MISMATCH);
            }
            // Cognito access tokens carry no `aud`; one that does must still match.
            check_aud(issuer, claims, false)
        }
    }
}

/// The words of a space-separated string, or the strings of an array, added to `out`
/// unless already there.
fn add_words(out: &mut Vec<String>, v: Option<&Json<'_>>) {
    let mut add = |w: &str| {
        if !out.iter().any(|o| o == w) {
            out.push(w.to_owned());
        }
    };
    match v {
        Some(Json::String(s)) => s.split_ascii_whitespace().for_each(&mut add),
        Some(list) => strings(list).into_iter().flatten().for_each(add),
        None => {}
    }
}

/// The context joins scopes with spaces and groups with commas (`shared::authorizer`): a
/// backend that splits them again must get back what the token said. A `scope` string is
/// split on ASCII whitespace, so only another kind of whitespace can be left in one of its
/// words; an `scp` entry may hold anything.
fn check_joinable(scopes: &[String], groups: &[String]) -> Result<(), Reason> {
    let group_ok = |g: &String| !g.is_empty() && !g.contains(',');
    if scopes.iter().all(|s| is_scope_word(s)) && groups.iter().all(group_ok) { Ok(()) } else { Err(JWT_CLAIM_VALUE) }
}

/// Checks the claims of a token whose signature was verified with one of `issuer`'s keys
/// and builds the identity. `now` is in seconds.
pub(crate) fn validate(
    issuer: &IssuerConfig,
    claims: &Object<'_>,
    now: u64,
    times: TimeRules,
    kept: &KeptClaims,
) -> Result<JwtIdentity, Reason> {
    check_types(issuer, claims)?;
    check_times(claims, now, times)?;
    check_audience(issuer, claims)?;
    let principal: Arc<str> = claims
        .get(&issuer.principal_claim)
        .and_then(Json::as_str)
        .filter(|p| !p.is_empty())
        .ok_or(JWT_PRINCIPAL_MISSING)?
        .into();
    // The principal claim's value is copied once, and shared where it is also `sub` or
    // `client_id`.
    let string = |name: &str| {
        if same_name(name, &issuer.principal_claim) {
            Some(Arc::clone(&principal))
        } else {
            claims.get(name).and_then(Json::as_str).map(Arc::from)
        }
    };
    let mut scopes = Vec::new();
    add_words(&mut scopes, claims.get("scope"));
    add_words(&mut scopes, claims.get("scp"));
    let mut groups = Vec::new();
    add_words(&mut groups, claims.get(&issuer.groups_claim));
    check_joinable(&scopes, &groups)?;
    let scalars = claims
        .iter()
        .filter(|(name, v)| matches!(v, Json::String(_) | Json::Number(_) | Json::Bool(_)) && kept.keeps(name));
    Ok(JwtIdentity {
        subject: string("sub"),
        client_id: string("client_id").or_else(|| string("azp")),
        issuer: Arc::clone(&issuer.issuer),
        principal,
        scopes,
        groups,
        cnf_x5t_s256: claims
            .get("cnf")
            .and_then(Json::as_object)
            .and_then(|c| c.get("x5t#S256"))
            .and_then(Json::as_str)
            .map(str::to_owned),
        require_bound_token: issuer.require_bound_token,
        claims: scalars.map(|(name, v)| (name.to_owned(), v.to_value())).collect::<Map<_, _>>(),
    })
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::Algorithm;
    use serde_json::{Value, json};

    use super::super::json::read_object;
    use super::*;

    const NOW: u64 = 1_700_000_000;

    fn issuer(kind: TokenKind) -> IssuerConfig {
        IssuerConfig {
            issuer: "https://idp.example".into(),
            audiences: vec!["api".into(), "api2".into()],
            algorithms: vec![Algorithm::RS256],
            jwks_uri: "https://idp.example/.well-known/jwks.json".into(),
            jwks_file: None,
            fetch_jwks_at_init: false,
            typ: None,
            kind,
            principal_claim: "sub".into(),
            groups_claim: "cognito:groups".into(),
            require_bound_token: false,
        }
    }

    fn cognito() -> IssuerConfig {
        issuer(TokenKind::Cognito { token_use: "access".into() })
    }

    /// A valid OIDC claim set with `changes` merged in (`null` removes a claim), as JSON text.
    fn claims(changes: Value) -> String {
        let mut base = json!({"iss": "https://idp.example", "sub": "u1", "aud": "api", "exp": NOW + 60, "iat": NOW,
            "nbf": NOW - 1});
        if let (Some(b), Some(c)) = (base.as_object_mut(), changes.as_object()) {
            for (k, v) in c {
                if v.is_null() {
                    b.remove(k);
                } else {
                    b.insert(k.clone(), v.clone());
                }
            }
        }
        base.to_string()
    }

    fn run(issuer: &IssuerConfig, claims: &str, kept: &KeptClaims) -> Result<JwtIdentity, Reason> {
        let object = read_object(claims).unwrap_or_else(|| panic!("not a claim set: {claims}"));
        validate(issuer, &object, NOW, TimeRules { leeway: 30, max_lifetime: 3600 }, kept)
    }

    #[track_caller]
    fn check(issuer: &IssuerConfig, changes: Value, expected: Result<(), Reason>) {
        let got = run(issuer, &claims(changes.clone()), &KeptClaims::All).map(|_| ());
        assert_eq!(got, expected, "{changes}");
    }

    #[test]
    fn time_claims() {
        let oidc = issuer(TokenKind::Oidc);
        let t = NOW;
        check(&oidc, json!({}), Ok(()));
        check(&oidc, json!({"exp": null}), Err(JWT_EXP_MISSING));
        check(&oidc, json!({"exp": t - 31}), Err(JWT_EXPIRED));
        check(&oidc, json!({"exp": t - 30}), Err(JWT_EXPIRED));
        check(&oidc, json!({"exp": t - 29}), Ok(()));
        check(&oidc, json!({"exp": 1.5e9}), Err(JWT_EXPIRED));
        check(&oidc, json!({"exp": (t + 60) as f64 + 0.5}), Ok(()));
        check(&oidc, json!({"exp": "9999999999"}), Err(JWT_CLAIM_TYPE));
        check(&oidc, json!({"exp": true}), Err(JWT_CLAIM_TYPE));
        check(&oidc, json!({"nbf": t + 31}), Err(JWT_NOT_YET_VALID));
        check(&oidc, json!({"nbf": t + 30}), Ok(()));
        check(&oidc, json!({"nbf": "0"}), Err(JWT_CLAIM_TYPE));
        check(&oidc, json!({"iat": t + 31}), Err(JWT_IAT_FUTURE));
        check(&oidc, json!({"iat": t + 30}), Ok(()));
        check(&oidc, json!({"iat": null, "nbf": null}), Ok(()));
        check(&oidc, json!({"iat": [1]}), Err(JWT_CLAIM_TYPE));
        // At most an hour (3600 s, leeway 30 s) from now, and from `iat`, to `exp`.
        check(&oidc, json!({"exp": t + 3630, "iat": null}), Ok(()));
        check(&oidc, json!({"exp": t + 3631, "iat": null}), Err(JWT_LIFETIME_TOO_LONG));
        check(&oidc, json!({"exp": 1e300}), Err(JWT_LIFETIME_TOO_LONG));
        check(&oidc, json!({"exp": u64::MAX}), Err(JWT_LIFETIME_TOO_LONG));
        check(&oidc, json!({"exp": t + 60, "iat": t - 3570}), Ok(()));
        check(&oidc, json!({"exp": t + 60, "iat": t - 3571}), Err(JWT_LIFETIME_TOO_LONG));
        check(&oidc, json!({"exp": t + 60, "iat": -1e300}), Err(JWT_LIFETIME_TOO_LONG));
    }

    #[test]
    fn audience_and_types() {
        let oidc = issuer(TokenKind::Oidc);
        check(&oidc, json!({"aud": null}), Err(JWT_AUD_MISSING));
        check(&oidc, json!({"aud": "other"}), Err(JWT_AUD_MISMATCH));
        check(&oidc, json!({"aud": "API"}), Err(JWT_AUD_MISMATCH));
        check(&oidc, json!({"aud": ["x", "api2"]}), Ok(()));
        check(&oidc, json!({"aud": ["x", "y"]}), Err(JWT_AUD_MISMATCH));
        check(&oidc, json!({"aud": []}), Err(JWT_AUD_MISMATCH));
        check(&oidc, json!({"aud": ["api", 1]}), Err(JWT_CLAIM_TYPE));
        check(&oidc, json!({"aud": {"api": true}}), Err(JWT_CLAIM_TYPE));
        check(&oidc, json!({"sub": 42}), Err(JWT_CLAIM_TYPE));
        check(&oidc, json!({"iss": ["https://idp.example"]}), Err(JWT_CLAIM_TYPE));
        check(&oidc, json!({"scope": ["a"]}), Err(JWT_CLAIM_TYPE));
        check(&oidc, json!({"scp": [1]}), Err(JWT_CLAIM_TYPE));
        check(&oidc, json!({"cognito:groups": "admins"}), Err(JWT_CLAIM_TYPE));
        check(&oidc, json!({"client_id": 5}), Err(JWT_CLAIM_TYPE));
        check(&oidc, json!({"cnf": "x"}), Err(JWT_CLAIM_TYPE));
        check(&oidc, json!({"cnf": {"x5t#S256": 1}}), Err(JWT_CLAIM_TYPE));
        check(&oidc, json!({"sub": null}), Err(JWT_PRINCIPAL_MISSING));
        check(&oidc, json!({"sub": ""}), Err(JWT_PRINCIPAL_MISSING));
    }

    #[test]
    fn cognito_access_tokens() {
        let c = cognito();
        let access = json!({"aud": null, "token_use": "access", "client_id": "api"});
        check(&c, access.clone(), Ok(()));
        check(&c, json!({"aud": null, "token_use": "id", "client_id": "api"}), Err(JWT_TOKEN_USE_MISMATCH));
        check(&c, json!({"aud": "api", "token_use": "id"}), Err(JWT_TOKEN_USE_MISMATCH));
        check(&c, json!({"aud": null, "client_id": "api"}), Err(JWT_TOKEN_USE_MISMATCH));
        check(&c, json!({"aud": null, "token_use": "access"}), Err(JWT_CLIENT_ID_MISSING));
        check(&c, json!({"aud": null, "token_use": "access", "client_id": "evil"}), Err(JWT_CLIENT_ID_MISMATCH));
        check(&c, json!({"aud": "other", "token_use": "access", "client_id": "api"}), Err(JWT_AUD_MISMATCH));
        check(&c, json!({"aud": null, "token_use": 1, "client_id": "api"}), Err(JWT_CLAIM_TYPE));
        let id = issuer(TokenKind::Cognito { token_use: "id".into() });
        check(&id, json!({"aud": "api", "token_use": "id"}), Ok(()));
        check(&id, json!({"aud": null, "token_use": "id"}), Err(JWT_AUD_MISSING));
        check(&id, access, Err(JWT_TOKEN_USE_MISMATCH));
    }

    /// Scopes and groups that would not survive being joined for the context.
    #[test]
    fn scopes_and_groups_must_survive_the_join() {
        let oidc = issuer(TokenKind::Oidc);
        check(&oidc, json!({"scp": ["orders:read", "orders:write"], "cognito:groups": ["ops team", "a.b"]}), Ok(()));
        check(&oidc, json!({"scope": " orders:read\torders:write  "}), Ok(()));
        check(&oidc, json!({"scp": "orders:read admin"}), Ok(()));
        check(&oidc, json!({"scp": []}), Ok(()));
        for refused in [
            json!({"scp": ["orders:read admin"]}),
            json!({"scp": ["orders:read\tadmin"]}),
            json!({"scp": ["orders:read\u{3000}admin"]}),
            json!({"scp": [""]}),
            json!({"scope": "orders:read\u{2003}admin"}),
            json!({"cognito:groups": ["ops,admins"]}),
            json!({"cognito:groups": ["ops", ""]}),
        ] {
            check(&oidc, refused, Err(JWT_CLAIM_VALUE));
        }
    }

    #[test]
    fn identity_carries_scopes_groups_and_scalar_claims() {
        let mut c = cognito();
        c.principal_claim = "client_id".into();
        c.require_bound_token = true;
        let set = claims(
            json!({"aud": null, "token_use": "access", "client_id": "api", "scope": "orders/read  orders/write",
            "scp": ["orders/read", "admin"], "cognito:groups": ["ops"], "cnf": {"x5t#S256": "abc"}, "custom": {"a": 1},
            "tenant": "t1", "level": 3, "flag": true}),
        );
        let id = run(&c, &set, &KeptClaims::All).unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(&*id.principal, "api");
        assert_eq!(id.subject.as_deref(), Some("u1"));
        assert_eq!(id.client_id.as_deref(), Some("api"));
        assert_eq!(id.scopes, vec!["orders/read", "orders/write", "admin"]);
        assert_eq!(id.groups, vec!["ops"]);
        assert_eq!(id.cnf_x5t_s256.as_deref(), Some("abc"));
        assert!(id.require_bound_token);
        assert_eq!(&*id.issuer, "https://idp.example");
        // The principal claim is `client_id` here: one string, shared.
        assert!(id.client_id.as_ref().is_some_and(|c| Arc::ptr_eq(c, &id.principal)));
        assert!(Arc::ptr_eq(&id.issuer, &c.issuer));
        let keys: Vec<&str> = id.claims.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            vec!["client_id", "exp", "flag", "iat", "iss", "level", "nbf", "scope", "sub", "tenant", "token_use"]
        );
        // Told which claims the policy tests, the identity keeps those (scalars only).
        let named = KeptClaims::Named(vec!["tenant".into(), "custom".into(), "level".into(), "absent".into()]);
        let id = run(&c, &set, &named).unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(serde_json::Value::Object(id.claims), json!({"level": 3, "tenant": "t1"}));
    }

    #[test]
    fn azp_is_the_client_id_when_client_id_is_absent() {
        let oidc = issuer(TokenKind::Oidc);
        let id = run(&oidc, &claims(json!({"azp": "web"})), &KeptClaims::All).unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(id.client_id.as_deref(), Some("web"));
    }
}
