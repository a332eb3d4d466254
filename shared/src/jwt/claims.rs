//! Claim checks after the signature is verified (RFC 7519, RFC 8725, RFC 9068, Cognito), and
//! the identity the policy step receives.

use serde_json::{Map, Value};

use super::config::{IssuerConfig, TokenKind};
use super::reasons::*;
use crate::decision::{JwtIdentity, Reason};

/// Claims that, when present, must be strings.
const STRING_CLAIMS: [&str; 7] = ["iss", "sub", "client_id", "azp", "token_use", "jti", "scope"];
/// NumericDate claims.
const TIME_CLAIMS: [&str; 3] = ["exp", "nbf", "iat"];

fn numeric_date(v: &Value) -> Option<f64> {
    v.as_f64().filter(|f| f.is_finite())
}

fn string_list(v: &Value) -> Option<Vec<&str>> {
    v.as_array()?.iter().map(Value::as_str).collect()
}

/// `aud`: a string or an array of strings.
fn audiences(v: &Value) -> Option<Vec<&str>> {
    match v {
        Value::String(s) => Some(vec![s.as_str()]),
        other => string_list(other),
    }
}

/// Rejects any claim we read whose JSON type is wrong, before any of them is interpreted.
fn check_types(issuer: &IssuerConfig, claims: &Map<String, Value>) -> Result<(), Reason> {
    let bad_type = |name: &str, ok: fn(&Value) -> bool| claims.get(name).is_some_and(|v| !ok(v));
    let numeric = |v: &Value| numeric_date(v).is_some();
    let string = |v: &Value| v.is_string();
    let strings = |v: &Value| string_list(v).is_some();
    let string_or_strings = |v: &Value| v.is_string() || string_list(v).is_some();
    let cnf = |v: &Value| v.as_object().is_some_and(|o| o.get("x5t#S256").is_none_or(Value::is_string));
    if TIME_CLAIMS.iter().any(|c| bad_type(c, numeric))
        || STRING_CLAIMS.iter().any(|c| bad_type(c, string))
        || bad_type("aud", string_or_strings)
        || bad_type("scp", string_or_strings)
        || bad_type(&issuer.groups_claim, strings)
        || bad_type(&issuer.principal_claim, string)
        || bad_type("cnf", cnf)
    {
        return Err(JWT_CLAIM_TYPE);
    }
    Ok(())
}

fn check_times(claims: &Map<String, Value>, now: u64, leeway: u64) -> Result<(), Reason> {
    // Precision below a second does not matter for any of these comparisons.
    #[allow(clippy::cast_precision_loss)]
    let (now, leeway) = (now as f64, leeway as f64);
    let exp = claims.get("exp").and_then(numeric_date).ok_or(JWT_EXP_MISSING)?;
    if now >= exp + leeway {
        return Err(JWT_EXPIRED);
    }
    if claims.get("nbf").and_then(numeric_date).is_some_and(|nbf| nbf > now + leeway) {
        return Err(JWT_NOT_YET_VALID);
    }
    if claims.get("iat").and_then(numeric_date).is_some_and(|iat| iat > now + leeway) {
        return Err(JWT_IAT_FUTURE);
    }
    Ok(())
}

fn check_aud(issuer: &IssuerConfig, claims: &Map<String, Value>, required: bool) -> Result<(), Reason> {
    match claims.get("aud").and_then(audiences) {
        None if required => Err(JWT_AUD_MISSING),
        None => Ok(()),
        Some(auds) if auds.iter().any(|a| issuer.audiences.iter().any(|ok| ok == a)) => Ok(()),
        Some(_) => Err(JWT_AUD_MISMATCH),
    }
}

fn check_audience(issuer: &IssuerConfig, claims: &Map<String, Value>) -> Result<(), Reason> {
    match &issuer.kind {
        TokenKind::Oidc => check_aud(issuer, claims, true),
        TokenKind::Cognito { token_use } => {
            if claims.get("token_use").and_then(Value::as_str) != Some(token_use.as_str()) {
                return Err(JWT_TOKEN_USE_MISMATCH);
            }
            if token_use != "access" {
                return check_aud(issuer, claims, true);
            }
            let client_id = claims.get("client_id").and_then(Value::as_str).ok_or(JWT_CLIENT_ID_MISSING)?;
            if !issuer.audiences.iter().any(|ok| ok == client_id) {
                return Err(JWT_CLIENT_ID_MISMATCH);
            }
            // Cognito access tokens carry no `aud`; one that does must still match.
            check_aud(issuer, claims, false)
        }
    }
}

fn words(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => s.split_ascii_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

/// Checks the claims of a token whose signature was verified with one of `issuer`'s keys
/// and builds the identity. `now` and `leeway` are in seconds.
pub(crate) fn validate(
    issuer: &IssuerConfig,
    mut claims: Map<String, Value>,
    now: u64,
    leeway: u64,
) -> Result<JwtIdentity, Reason> {
    check_types(issuer, &claims)?;
    check_times(&claims, now, leeway)?;
    check_audience(issuer, &claims)?;
    let principal = claims
        .get(&issuer.principal_claim)
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
        .ok_or(JWT_PRINCIPAL_MISSING)?
        .to_owned();
    let string = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    let mut scopes = words(claims.get("scope"));
    for scope in words(claims.get("scp")) {
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    let identity = JwtIdentity {
        issuer: issuer.issuer.clone(),
        principal,
        subject: string("sub"),
        client_id: string("client_id").or_else(|| string("azp")),
        scopes,
        groups: words(claims.get(&issuer.groups_claim)),
        cnf_x5t_s256: claims.get("cnf").and_then(|c| c.get("x5t#S256")).and_then(Value::as_str).map(str::to_owned),
        require_bound_token: issuer.require_bound_token,
        claims: Map::new(),
    };
    claims.retain(|_, v| v.is_string() || v.is_number() || v.is_boolean());
    Ok(JwtIdentity { claims, ..identity })
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::Algorithm;
    use serde_json::json;

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

    /// A valid OIDC claim set with `changes` merged in (`null` removes a claim).
    fn claims(changes: Value) -> Map<String, Value> {
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
        base.as_object().cloned().unwrap_or_default()
    }

    #[track_caller]
    fn check(issuer: &IssuerConfig, changes: Value, expected: Result<(), Reason>) {
        let got = validate(issuer, claims(changes.clone()), NOW, 30).map(|_| ());
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
        let id = validate(&c, set, NOW, 30).unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(id.principal, "api");
        assert_eq!(id.subject.as_deref(), Some("u1"));
        assert_eq!(id.client_id.as_deref(), Some("api"));
        assert_eq!(id.scopes, vec!["orders/read", "orders/write", "admin"]);
        assert_eq!(id.groups, vec!["ops"]);
        assert_eq!(id.cnf_x5t_s256.as_deref(), Some("abc"));
        assert!(id.require_bound_token);
        assert_eq!(id.issuer, "https://idp.example");
        let keys: Vec<&str> = id.claims.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            vec!["client_id", "exp", "flag", "iat", "iss", "level", "nbf", "scope", "sub", "tenant", "token_use"]
        );
    }

    #[test]
    fn azp_is_the_client_id_when_client_id_is_absent() {
        let oidc = issuer(TokenKind::Oidc);
        let id = validate(&oidc, claims(json!({"azp": "web"})), NOW, 30).unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(id.client_id.as_deref(), Some("web"));
    }
}
