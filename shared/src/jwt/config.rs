//! JWT configuration from `AUTHZ_JWT_*` and `AUTHZ_JWKS_*` variables: the trusted issuers (a JSON array in
//! `AUTHZ_JWT_ISSUERS`) and the verification, cache and JWKS fetch settings.
//!
//! Secure by default: every issuer needs at least one audience, only asymmetric algorithms
//! are accepted, JWKS are fetched over HTTPS only (plain HTTP only to a loopback address, and
//! only when `AUTHZ_JWT_ALLOW_LOOPBACK_HTTP` says so, for local runs and tests).

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Algorithm;
use serde::Deserialize;

use crate::config::{ConfigError, Env};

pub const VAR_ISSUERS: &str = "AUTHZ_JWT_ISSUERS";
/// The same JSON array in a file bundled with the function (Lambda environment variables
/// are limited to 4 KB in all).
pub const VAR_ISSUERS_FILE: &str = "AUTHZ_JWT_ISSUERS_FILE";
pub const VAR_LEEWAY: &str = "AUTHZ_JWT_LEEWAY_SECS";
pub const VAR_MAX_LIFETIME: &str = "AUTHZ_JWT_MAX_LIFETIME_SECS";
pub const VAR_REFRESH: &str = "AUTHZ_JWKS_REFETCH_INTERVAL_SECS";
pub const VAR_MAX_AGE: &str = "AUTHZ_JWKS_MAX_AGE_SECS";
pub const VAR_CONNECT_TIMEOUT: &str = "AUTHZ_JWKS_CONNECT_TIMEOUT_MS";
pub const VAR_TIMEOUT: &str = "AUTHZ_JWKS_TIMEOUT_MS";
pub const VAR_MAX_BYTES: &str = "AUTHZ_JWKS_MAX_BYTES";
pub const VAR_LOOPBACK_HTTP: &str = "AUTHZ_JWT_ALLOW_LOOPBACK_HTTP";

/// Every variable this module reads; any other `AUTHZ_JWT_*` or `AUTHZ_JWKS_*` variable is a
/// typo and refused.
pub const VARIABLES: [&str; 10] = [
    VAR_ISSUERS,
    VAR_ISSUERS_FILE,
    VAR_LEEWAY,
    VAR_MAX_LIFETIME,
    VAR_REFRESH,
    VAR_MAX_AGE,
    VAR_CONNECT_TIMEOUT,
    VAR_TIMEOUT,
    VAR_MAX_BYTES,
    VAR_LOOPBACK_HTTP,
];

/// Default clock leeway for `exp`, `nbf` and `iat`, in seconds.
pub const DEFAULT_LEEWAY_SECS: u64 = 30;
/// Default longest a token may be good for, in seconds: from now to `exp`, and from `iat` to
/// `exp`. Access tokens of the usual issuers live an hour (Cognito: 5 minutes to 1 day); a
/// token good for longer is a misconfigured or compromised issuer, and revocation cannot
/// reach it.
pub const DEFAULT_MAX_LIFETIME_SECS: u64 = 86_400;
/// The range [`VAR_MAX_LIFETIME`] accepts: a minute to a week.
pub const MAX_LIFETIME_RANGE: std::ops::RangeInclusive<u64> = 60..=604_800;
/// Default minimum time between two JWKS refetches of one issuer caused by unknown `kid`s.
pub const DEFAULT_REFRESH_SECS: u64 = 60;
/// Default age after which a cached JWKS is fetched again although every `kid` asked for is
/// known, in seconds: a key the issuer withdrew stops verifying within this long.
pub const DEFAULT_MAX_AGE_SECS: u64 = 900;
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 300;
pub const DEFAULT_TIMEOUT_MS: u64 = 1000;
/// Upper bound of the whole JWKS fetch; the authorizer's budget.
pub const MAX_TIMEOUT_MS: u64 = 1500;
pub const DEFAULT_MAX_JWKS_BYTES: u64 = 64 * 1024;

/// The algorithms an issuer may be configured to accept: asymmetric only.
pub const SUPPORTED_ALGORITHMS: [(&str, Algorithm); 9] = [
    ("RS256", Algorithm::RS256),
    ("RS384", Algorithm::RS384),
    ("RS512", Algorithm::RS512),
    ("PS256", Algorithm::PS256),
    ("PS384", Algorithm::PS384),
    ("PS512", Algorithm::PS512),
    ("ES256", Algorithm::ES256),
    ("ES384", Algorithm::ES384),
    ("EdDSA", Algorithm::EdDSA),
];

/// How the issuer's tokens say who they are for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// OIDC / RFC 9068: `aud` is required and must be one of the audiences.
    Oidc,
    /// Amazon Cognito: `token_use` must equal this value (`access` or `id`). Access tokens
    /// carry no `aud`: their `client_id` must be one of the audiences (the app client ids);
    /// ID tokens carry the app client id in `aud`.
    Cognito { token_use: String },
}

/// One trusted issuer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerConfig {
    /// Compared byte for byte with the token's `iss`; shared by every identity it verifies.
    pub issuer: Arc<str>,
    /// Accepted `aud` values (app client ids in Cognito access-token mode). Never empty.
    pub audiences: Vec<String>,
    /// Accepted `alg` values. Never empty, never symmetric.
    pub algorithms: Vec<Algorithm>,
    pub jwks_uri: String,
    /// JWKS bundled with the function, loaded at init.
    pub jwks_file: Option<PathBuf>,
    /// Fetch `jwks_uri` at init instead of on the first token.
    pub fetch_jwks_at_init: bool,
    /// Required `typ` header (e.g. `at+jwt`), normalised by [`normalize_typ`].
    pub typ: Option<String>,
    pub kind: TokenKind,
    /// The claim that names the principal (default `sub`).
    pub principal_claim: String,
    /// The claim holding the caller's groups (default `cognito:groups`).
    pub groups_claim: String,
    /// Tokens must be bound to the client certificate (RFC 8705 `cnf.x5t#S256`).
    pub require_bound_token: bool,
}

/// The trusted issuers and verification settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtConfig {
    pub issuers: Vec<IssuerConfig>,
    pub leeway_secs: u64,
    /// Longest a token may be good for (see [`DEFAULT_MAX_LIFETIME_SECS`]).
    pub max_lifetime_secs: u64,
    /// Minimum seconds between two refetches of one issuer's JWKS.
    pub jwks_refresh_secs: u64,
    /// Age of a JWKS (seconds since it was loaded) after which the next token refetches it.
    pub jwks_max_age_secs: u64,
    pub connect_timeout: Duration,
    /// Whole fetch, connect to last body byte.
    pub timeout: Duration,
    pub max_jwks_bytes: usize,
    pub allow_loopback_http: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIssuer {
    issuer: String,
    #[serde(default)]
    audiences: Vec<String>,
    algorithms: Option<Vec<String>>,
    jwks_uri: Option<String>,
    jwks_file: Option<String>,
    #[serde(default)]
    fetch_jwks_at_init: bool,
    typ: Option<String>,
    #[serde(default)]
    cognito: bool,
    token_use: Option<String>,
    principal_claim: Option<String>,
    groups_claim: Option<String>,
    #[serde(default)]
    require_bound_token: bool,
}

/// `typ` values compare case-insensitively, with or without the `application/` prefix
/// (RFC 7515 §4.1.9). Whitespace is not trimmed here: a token's `typ` with any around it is
/// not the pinned media type (the configured pin is trimmed where it is read).
pub fn normalize_typ(typ: &str) -> String {
    let lower = typ.to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) => rest.to_owned(),
        None => lower,
    }
}

/// Whether a token's `typ` header normalises to `pin` (itself normalised by
/// [`normalize_typ`]), compared without building the normalised string.
pub fn typ_matches(pin: &str, typ: &str) -> bool {
    const PREFIX: &str = "application/";
    let typ = match typ.get(..PREFIX.len()) {
        Some(head) if head.eq_ignore_ascii_case(PREFIX) => typ.get(PREFIX.len()..).unwrap_or_default(),
        _ => typ,
    };
    typ.eq_ignore_ascii_case(pin)
}

pub(crate) fn algorithm_from_name(name: &str) -> Option<Algorithm> {
    SUPPORTED_ALGORITHMS.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
}

/// Accepts `https://` URLs, and `http://` ones on a loopback address when allowed; never
/// one with credentials (`user:password@`, not echoed in the error) or a fragment, nor one
/// with whitespace or control characters, which the URL parser would strip or drop (an
/// issuer `"https://idp.example.com/ "` would load its keys and then match no token's `iss`).
/// An issuer has no query either (OpenID Connect Discovery 1.0, section 3).
fn check_url(what: &str, url: &str, allow_loopback_http: bool) -> Result<(), String> {
    let shown = if url.contains('@') { "(not shown: it holds '@')" } else { url };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{what} {shown:?} holds whitespace or a control character"));
    }
    let parsed = reqwest::Url::parse(url).map_err(|_| format!("{what} {shown:?} is not a url"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!("{what} must not hold credentials (user:password@)"));
    }
    if parsed.fragment().is_some() || (what == "issuer" && parsed.query().is_some()) {
        return Err(format!(
            "{what} {shown:?} must not have a {}",
            if what == "issuer" { "query or fragment" } else { "fragment" }
        ));
    }
    let host = parsed.host_str().unwrap_or_default();
    if host.is_empty() {
        return Err(format!("{what} {shown:?} has no host"));
    }
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if allow_loopback_http && is_loopback(host) => Ok(()),
        "http" if is_loopback(host) => {
            Err(format!("{what} {shown:?} uses http: set {VAR_LOOPBACK_HTTP}=true for a local run"))
        }
        _ => Err(format!("{what} {shown:?} must use https")),
    }
}

/// A configured name compared byte for byte with a token's (an audience, a claim name):
/// non-empty, without whitespace or control characters, which would make it match nothing.
fn check_word(issuer: &str, what: &str, value: &str) -> Result<(), String> {
    if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "issuer {issuer:?} {what} {value:?} must be non-empty, without whitespace or control characters"
        ));
    }
    Ok(())
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn claim_name(issuer: &str, what: &str, value: Option<String>, default: &str) -> Result<String, String> {
    let value = value.unwrap_or_else(|| default.to_owned());
    check_word(issuer, what, &value)?;
    Ok(value)
}

fn issuer_from_raw(raw: RawIssuer, allow_loopback_http: bool) -> Result<IssuerConfig, String> {
    check_url("issuer", &raw.issuer, allow_loopback_http)?;
    let name = &raw.issuer;
    if raw.audiences.is_empty() {
        return Err(format!("issuer {name:?} has no audiences: list the accepted aud values (or app client ids)"));
    }
    if let Some(bad) = raw.audiences.iter().find(|a| a.trim().is_empty() || a.contains('*')) {
        return Err(format!("issuer {name:?} audience {bad:?} must be a non-empty value without wildcards"));
    }
    for audience in &raw.audiences {
        check_word(name, "audience", audience)?;
    }
    let names = raw.algorithms.unwrap_or_else(|| vec!["RS256".to_owned()]);
    if names.is_empty() {
        return Err(format!("issuer {name:?} has an empty algorithms list"));
    }
    let mut algorithms = Vec::with_capacity(names.len());
    for alg in &names {
        let parsed = algorithm_from_name(alg).ok_or_else(|| {
            format!("issuer {name:?} algorithm {alg:?} is not accepted: use RS256/384/512, PS256/384/512, ES256/384 or EdDSA")
        })?;
        if !algorithms.contains(&parsed) {
            algorithms.push(parsed);
        }
    }
    let jwks_uri = match raw.jwks_uri {
        Some(uri) => uri,
        None => format!("{}/.well-known/jwks.json", raw.issuer.trim_end_matches('/')),
    };
    check_url("jwks_uri", &jwks_uri, allow_loopback_http)?;
    let typ = match raw.typ {
        Some(t) if t.trim().is_empty() => return Err(format!("issuer {name:?} typ must not be empty")),
        Some(t) => Some(normalize_typ(t.trim())),
        None => None,
    };
    let kind = match (raw.cognito, raw.token_use) {
        (false, None) => TokenKind::Oidc,
        (false, Some(_)) => return Err(format!("issuer {name:?} sets token_use without cognito: true")),
        (true, use_) => {
            let token_use = use_.unwrap_or_else(|| "access".to_owned());
            if token_use != "access" && token_use != "id" {
                return Err(format!("issuer {name:?} token_use must be access or id, got {token_use:?}"));
            }
            TokenKind::Cognito { token_use }
        }
    };
    let jwks_file = match raw.jwks_file {
        Some(f) if f.trim().is_empty() => None,
        Some(f) => Some(PathBuf::from(f)),
        None => None,
    };
    Ok(IssuerConfig {
        audiences: raw.audiences,
        algorithms,
        jwks_uri,
        jwks_file,
        fetch_jwks_at_init: raw.fetch_jwks_at_init,
        typ,
        kind,
        principal_claim: claim_name(&raw.issuer, "principal_claim", raw.principal_claim, "sub")?,
        groups_claim: claim_name(&raw.issuer, "groups_claim", raw.groups_claim, "cognito:groups")?,
        require_bound_token: raw.require_bound_token,
        issuer: raw.issuer.into(),
    })
}

impl JwtConfig {
    /// `Ok(None)` when no `AUTHZ_JWT_*`/`AUTHZ_JWKS_*` variable is set (JWT authentication
    /// off). Once any is set, `AUTHZ_JWT_ISSUERS` must name at least one issuer, each with an
    /// audience.
    pub fn from_env(env: &Env) -> Result<Option<JwtConfig>, ConfigError> {
        let mut names: Vec<&str> =
            env.names().filter(|n| n.starts_with("AUTHZ_JWT_") || n.starts_with("AUTHZ_JWKS_")).collect();
        names.sort_unstable();
        if let Some(unknown) = names.iter().find(|n| !VARIABLES.contains(n)) {
            return Err(ConfigError::new(
                unknown,
                format!("unknown variable: expected one of {}", VARIABLES.join(", ")),
            ));
        }
        if names.iter().all(|n| env.get(n).is_none()) {
            return Ok(None);
        }
        let allow_loopback_http = env.bool(VAR_LOOPBACK_HTTP, false)?;
        let from_file;
        let (var, raw) = match (env.get(VAR_ISSUERS), env.get(VAR_ISSUERS_FILE)) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::new(
                    VAR_ISSUERS_FILE,
                    format!("set either {VAR_ISSUERS} or {VAR_ISSUERS_FILE}, not both"),
                ));
            }
            (Some(raw), None) => (VAR_ISSUERS, raw),
            (None, Some(path)) => {
                from_file = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError::new(VAR_ISSUERS_FILE, format!("cannot read {path}: {e}")))?;
                (VAR_ISSUERS_FILE, from_file.as_str())
            }
            (None, None) => {
                return Err(ConfigError::new(
                    VAR_ISSUERS,
                    "no issuer: expected a json array of trusted issuers when AUTHZ_JWT_*/AUTHZ_JWKS_* is set",
                ));
            }
        };
        let raws: Vec<RawIssuer> = serde_json::from_str(raw)
            .map_err(|e| ConfigError::new(var, format!("expected a json array of issuer objects: {e}")))?;
        if raws.is_empty() {
            return Err(ConfigError::new(var, "no issuer: expected at least one trusted issuer"));
        }
        let mut issuers: Vec<IssuerConfig> = Vec::with_capacity(raws.len());
        for raw in raws {
            let issuer = issuer_from_raw(raw, allow_loopback_http).map_err(|p| ConfigError::new(var, p))?;
            if issuers.iter().any(|i| i.issuer == issuer.issuer) {
                return Err(ConfigError::new(var, format!("issuer {:?} is listed twice", issuer.issuer)));
            }
            issuers.push(issuer);
        }
        let timeout = env.millis_in(VAR_TIMEOUT, DEFAULT_TIMEOUT_MS, 100..=MAX_TIMEOUT_MS)?;
        let default_connect = DEFAULT_CONNECT_TIMEOUT_MS.min(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
        let connect_timeout = env.millis_in(VAR_CONNECT_TIMEOUT, default_connect, 50..=MAX_TIMEOUT_MS)?;
        if connect_timeout > timeout {
            return Err(ConfigError::new(VAR_CONNECT_TIMEOUT, format!("expected at most {VAR_TIMEOUT}")));
        }
        let max_jwks_bytes = env.u64_in(VAR_MAX_BYTES, DEFAULT_MAX_JWKS_BYTES, 1024..=1024 * 1024)?;
        Ok(Some(JwtConfig {
            issuers,
            leeway_secs: env.u64_in(VAR_LEEWAY, DEFAULT_LEEWAY_SECS, 0..=120)?,
            max_lifetime_secs: env.u64_in(VAR_MAX_LIFETIME, DEFAULT_MAX_LIFETIME_SECS, MAX_LIFETIME_RANGE)?,
            jwks_refresh_secs: env.u64_in(VAR_REFRESH, DEFAULT_REFRESH_SECS, 1..=86_400)?,
            jwks_max_age_secs: env.u64_in(VAR_MAX_AGE, DEFAULT_MAX_AGE_SECS, 60..=86_400)?,
            connect_timeout,
            timeout,
            max_jwks_bytes: usize::try_from(max_jwks_bytes).unwrap_or(usize::MAX),
            allow_loopback_http,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Option<JwtConfig>, ConfigError> {
        JwtConfig::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    #[track_caller]
    fn check_err(pairs: &[(&str, &str)], var: &str, problem_contains: &str) {
        match config(pairs) {
            Err(e) => {
                assert_eq!(e.var, var, "{e}");
                assert!(e.problem.contains(problem_contains), "{e}");
            }
            Ok(c) => panic!("expected an error naming {var}, got {c:?}"),
        }
    }

    const ONE: &str = r#"[{"issuer":"https://idp.example.com/","audiences":["api"]}]"#;

    #[test]
    fn issuers_can_come_from_a_bundled_file() {
        let path = std::env::temp_dir().join(format!("authz-issuers-{}.json", std::process::id()));
        std::fs::write(&path, ONE).unwrap();
        let file = path.to_string_lossy().into_owned();
        let from_file = config(&[(VAR_ISSUERS_FILE, file.as_str())]).ok().flatten().map(|c| c.issuers);
        let inline = config(&[(VAR_ISSUERS, ONE)]).ok().flatten().map(|c| c.issuers);
        let _ = std::fs::remove_file(&path);
        assert!(from_file.is_some());
        assert_eq!(from_file, inline);
    }

    #[test]
    fn off_when_nothing_is_set() {
        assert_eq!(config(&[]), Ok(None));
        assert_eq!(config(&[("AUTHZ_OTHER", "x"), (VAR_ISSUERS, "")]), Ok(None));
    }

    #[test]
    fn defaults_are_secure() {
        let c = config(&[(VAR_ISSUERS, ONE)]).ok().flatten().unwrap_or_else(|| unreachable!());
        assert_eq!(c.leeway_secs, 30);
        assert_eq!(c.max_lifetime_secs, 86_400);
        assert_eq!(c.jwks_refresh_secs, 60);
        assert_eq!(c.jwks_max_age_secs, 900);
        assert_eq!(c.timeout, Duration::from_millis(1000));
        assert_eq!(c.connect_timeout, Duration::from_millis(300));
        assert_eq!(c.max_jwks_bytes, 65_536);
        assert!(!c.allow_loopback_http);
        let i = &c.issuers[0];
        assert_eq!(i.jwks_uri, "https://idp.example.com/.well-known/jwks.json");
        assert_eq!(i.algorithms, vec![Algorithm::RS256]);
        assert_eq!(i.kind, TokenKind::Oidc);
        assert_eq!((i.principal_claim.as_str(), i.groups_claim.as_str()), ("sub", "cognito:groups"));
        assert_eq!(i.typ, None);
    }

    #[test]
    fn full_issuer() {
        let issuers = r#"[{"issuer":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc","audiences":["c1","c2"],
            "algorithms":["RS256","ES256","EdDSA"],"cognito":true,"typ":"application/AT+JWT","principal_claim":"client_id",
            "jwks_file":"jwks/pool.json","fetch_jwks_at_init":true,"require_bound_token":true},
            {"issuer":"http://127.0.0.1:8080","audiences":["x"],"jwks_uri":"http://localhost:8080/keys"}]"#;
        let c = config(&[(VAR_ISSUERS, issuers), (VAR_LOOPBACK_HTTP, "true"), (VAR_LEEWAY, "0")])
            .ok()
            .flatten()
            .unwrap_or_else(|| unreachable!());
        let i = &c.issuers[0];
        assert_eq!(i.kind, TokenKind::Cognito { token_use: "access".into() });
        assert_eq!(i.typ.as_deref(), Some("at+jwt"));
        assert_eq!(i.algorithms, vec![Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA]);
        assert_eq!(i.jwks_file, Some(PathBuf::from("jwks/pool.json")));
        assert!(i.fetch_jwks_at_init && i.require_bound_token);
        assert_eq!(c.issuers[1].jwks_uri, "http://localhost:8080/keys");
        assert_eq!(c.leeway_secs, 0);
    }

    #[test]
    fn refuses_insecure_or_incomplete_configurations() {
        check_err(&[(VAR_LEEWAY, "10")], VAR_ISSUERS, "no issuer");
        check_err(&[(VAR_ISSUERS, "[]")], VAR_ISSUERS, "no issuer");
        check_err(&[(VAR_ISSUERS, ONE), (VAR_ISSUERS_FILE, "/x.json")], VAR_ISSUERS_FILE, "not both");
        check_err(&[(VAR_ISSUERS_FILE, "/nonexistent/issuers.json")], VAR_ISSUERS_FILE, "cannot read");
        check_err(&[(VAR_ISSUERS, "{}")], VAR_ISSUERS, "json array");
        check_err(&[(VAR_ISSUERS, r#"[{"issuer":"https://a.example"}]"#)], VAR_ISSUERS, "no audiences");
        check_err(&[(VAR_ISSUERS, r#"[{"issuer":"https://a.example","audiences":[]}]"#)], VAR_ISSUERS, "no audiences");
        check_err(&[(VAR_ISSUERS, r#"[{"issuer":"https://a.example","audiences":["*"]}]"#)], VAR_ISSUERS, "wildcards");
        check_err(&[(VAR_ISSUERS, r#"[{"issuer":"https://a.example","audiences":[" "]}]"#)], VAR_ISSUERS, "non-empty");
        check_err(
            &[(VAR_ISSUERS, r#"[{"issuer":"https://a.example","audiences":["a"],"algorithms":["HS256"]}]"#)],
            VAR_ISSUERS,
            "\"HS256\" is not accepted",
        );
        check_err(
            &[(VAR_ISSUERS, r#"[{"issuer":"https://a.example","audiences":["a"],"algorithms":["none"]}]"#)],
            VAR_ISSUERS,
            "not accepted",
        );
        check_err(
            &[(VAR_ISSUERS, r#"[{"issuer":"https://a.example","audiences":["a"],"algorithms":[]}]"#)],
            VAR_ISSUERS,
            "empty algorithms",
        );
        check_err(&[(VAR_ISSUERS, r#"[{"issuer":"http://a.example","audiences":["a"]}]"#)], VAR_ISSUERS, "https");
        // Values compared byte for byte with a token's that the URL parser or a careless
        // copy would change: refused, not left to match nothing.
        let issuer = |fields: &str| format!(r#"[{{"issuer":"https://a.example","audiences":["a"]{fields}}}]"#);
        for (issuers, problem) in [
            (r#"[{"issuer":"https://a.example/ ","audiences":["a"]}]"#.to_owned(), "whitespace or a control character"),
            (r#"[{"issuer":"https://a.exa\tmple","audiences":["a"]}]"#.to_owned(), "whitespace or a control character"),
            (r#"[{"issuer":"https://a.example?x=1","audiences":["a"]}]"#.to_owned(), "query or fragment"),
            (r#"[{"issuer":"https://a.example#f","audiences":["a"]}]"#.to_owned(), "query or fragment"),
            (
                issuer(r#","jwks_uri":"https://a.example/keys#k""#),
                "jwks_uri \"https://a.example/keys#k\" must not have a fragment",
            ),
            (
                r#"[{"issuer":"https://a.example","audiences":[" api"]}]"#.to_owned(),
                "audience \" api\" must be non-empty, without whitespace",
            ),
            (issuer(r#","principal_claim":"sub ""#), "principal_claim \"sub \" must be non-empty"),
            (issuer(r#","groups_claim":"""#), "groups_claim \"\" must be non-empty"),
        ] {
            check_err(&[(VAR_ISSUERS, &issuers)], VAR_ISSUERS, problem);
        }
        // Credentials in a URL are refused and never echoed.
        for issuers in [
            r#"[{"issuer":"https://u:secret@a.example","audiences":["a"]}]"#.to_owned(),
            issuer(r#","jwks_uri":"https://u:secret@a.example/keys""#),
            r#"[{"issuer":"https://u:se cret@a.example","audiences":["a"]}]"#.to_owned(),
        ] {
            let err = config(&[(VAR_ISSUERS, &issuers)]).err().unwrap_or_else(|| panic!("{issuers}"));
            assert!(!err.to_string().contains("secret"), "{err}");
        }
        check_err(&[(VAR_ISSUERS, &issuer(r#","jwks_uri":"https://u@a.example/k""#))], VAR_ISSUERS, "credentials");
        check_err(
            &[(VAR_ISSUERS, r#"[{"issuer":"http://127.0.0.1:1","audiences":["a"]}]"#)],
            VAR_ISSUERS,
            VAR_LOOPBACK_HTTP,
        );
        check_err(
            &[(VAR_ISSUERS, r#"[{"issuer":"https://a.example","audiences":["a"],"jwks_uri":"http://a.example/k"}]"#)],
            VAR_ISSUERS,
            "https",
        );
        check_err(
            &[(VAR_ISSUERS, r#"[{"issuer":"http://10.0.0.1","audiences":["a"]}]"#), (VAR_LOOPBACK_HTTP, "true")],
            VAR_ISSUERS,
            "https",
        );
        check_err(&[(VAR_ISSUERS, r#"[{"issuer":"not a url","audiences":["a"]}]"#)], VAR_ISSUERS, "not a url");
        check_err(
            &[(VAR_ISSUERS, r#"[{"issuer":"https://a.example","audiences":["a"],"audience":"typo"}]"#)],
            VAR_ISSUERS,
            "unknown field",
        );
        check_err(
            &[(VAR_ISSUERS, r#"[{"issuer":"https://a.example","audiences":["a"],"token_use":"id"}]"#)],
            VAR_ISSUERS,
            "without cognito",
        );
        check_err(
            &[(
                VAR_ISSUERS,
                r#"[{"issuer":"https://a.example","audiences":["a"],"cognito":true,"token_use":"refresh"}]"#,
            )],
            VAR_ISSUERS,
            "access or id",
        );
        check_err(
            &[(
                VAR_ISSUERS,
                r#"[{"issuer":"https://a.example","audiences":["a"]},{"issuer":"https://a.example","audiences":["b"]}]"#,
            )],
            VAR_ISSUERS,
            "twice",
        );
        check_err(&[(VAR_ISSUERS, ONE), ("AUTHZ_JWT_ISSUER", "x")], "AUTHZ_JWT_ISSUER", "unknown variable");
        check_err(&[(VAR_ISSUERS, ONE), ("AUTHZ_JWKS_TTL", "x")], "AUTHZ_JWKS_TTL", "unknown variable");
        check_err(&[(VAR_TIMEOUT, "500")], VAR_ISSUERS, "no issuer");
        check_err(&[(VAR_ISSUERS, ONE), (VAR_LEEWAY, "600")], VAR_LEEWAY, "from 0 to 120");
        check_err(&[(VAR_ISSUERS, ONE), (VAR_MAX_LIFETIME, "0")], VAR_MAX_LIFETIME, "from 60 to 604800");
        check_err(&[(VAR_ISSUERS, ONE), (VAR_MAX_LIFETIME, "2592000")], VAR_MAX_LIFETIME, "from 60 to 604800");
        check_err(&[(VAR_ISSUERS, ONE), (VAR_TIMEOUT, "5000")], VAR_TIMEOUT, "from 100 to 1500");
        check_err(&[(VAR_ISSUERS, ONE), (VAR_REFRESH, "0")], VAR_REFRESH, "from 1 to 86400");
        check_err(&[(VAR_ISSUERS, ONE), (VAR_MAX_AGE, "59")], VAR_MAX_AGE, "from 60 to 86400");
        check_err(&[(VAR_ISSUERS, ONE), (VAR_MAX_AGE, "86401")], VAR_MAX_AGE, "from 60 to 86400");
        check_err(
            &[(VAR_ISSUERS, ONE), (VAR_CONNECT_TIMEOUT, "900"), (VAR_TIMEOUT, "500")],
            VAR_CONNECT_TIMEOUT,
            "at most",
        );
    }

    #[test]
    fn typ_normalisation() {
        for (raw, want) in [("at+jwt", "at+jwt"), ("application/at+JWT", "at+jwt"), ("JWT", "jwt")] {
            assert_eq!(normalize_typ(raw), want, "{raw}");
        }
    }

    /// `typ_matches` says what comparing the two normalised strings says, on every pair.
    #[test]
    fn typ_matching_is_normalised_equality() {
        let variants = [
            "at+jwt",
            "AT+JWT",
            " at+jwt ",
            "application/at+jwt",
            "Application/AT+jwt",
            "application/",
            "APPLICATION/",
            "application/application/at+jwt",
            "jwt",
            "JWT",
            "application/jwt",
            "application",
            "",
            " ",
            "at+jwt2",
            "applicatio/at+jwt",
            "\u{e9}/jwt",
            "application/\u{e9}",
            "applicati\u{e9}/jwt",
        ];
        for typ in [" at+jwt", "at+jwt ", "at+jwt\u{2003}", "\tapplication/at+jwt"] {
            assert!(!typ_matches("at+jwt", typ), "{typ:?}");
        }
        for pin in variants {
            let pin = normalize_typ(pin);
            for typ in variants {
                assert_eq!(typ_matches(&pin, typ), normalize_typ(typ) == pin, "pin {pin:?}, typ {typ:?}");
            }
        }
    }
}
