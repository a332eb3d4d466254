//! The pipeline: event in, credentials verified, policy applied, response out.
//!
//! [`Authorizer::evaluate`] is the whole decision as a value ([`Verdict`]); it never fails
//! and never panics on request data. [`Authorizer::handle`] adds the decision log line and
//! the metric, and turns the verdict into what API Gateway expects: a response, or the
//! `Unauthorized` error. There is one path to Allow: every configured check passed and the
//! policy allowed the route.

use std::sync::Arc;
use std::time::Instant;

use base64::Engine as _;

use crate::config::{ConfigError, Env};
use crate::decision::{Identity, MtlsIdentity, Outcome, Reason, Rejection};
use crate::event::{EventConfig, parse_event};
use crate::jwt::{JwtConfig, JwtInitError, JwtVerifier, KeptClaims};
use crate::mtls::{ClientRegistry, MtlsConfig, MtlsVerifier};
use crate::policy::{Policy, PolicyVerdict};
use crate::request::{AuthRequest, EventShape};
use crate::response::{AuthorizerResponse, Context, Payload, ResponseParts, Statement, Text, render};
use crate::telemetry::{DecisionRecord, MetricsSink, emit_emf_line, log_decision};

pub const NO_CREDENTIALS: Reason = Reason::new("no_credentials");
pub const CLIENT_CERT_REQUIRED: Reason = Reason::new("client_cert_required");
pub const JWT_DISABLED: Reason = Reason::new("jwt_not_configured");
pub const MTLS_DISABLED: Reason = Reason::new("mtls_not_configured");
pub const TOKEN_NOT_BOUND: Reason = Reason::new("token_not_bound");
pub const TOKEN_BINDING_CERT_MISSING: Reason = Reason::new("token_binding_cert_missing");
pub const TOKEN_BINDING_MISMATCH: Reason = Reason::new("token_binding_mismatch");

/// The pipeline's own settings (the checks have theirs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub event: EventConfig,
    /// Answer HTTP API events with `{"isAuthorized": ..}` instead of an IAM policy.
    pub simple_responses: bool,
    /// A request without a client certificate is `Unauthorized` (from the mTLS configuration).
    pub require_client_cert: bool,
}

/// Everything read from the environment at init.
#[derive(Clone, Debug)]
pub struct AuthorizerConfig {
    pub settings: Settings,
    pub jwt: Option<JwtConfig>,
    pub mtls: Option<MtlsConfig>,
    pub policy: Policy,
}

impl AuthorizerConfig {
    /// Reads and validates every `AUTHZ_*` variable. Refuses a configuration with no way to
    /// authenticate anyone.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        refuse_unknown_variables(env)?;
        crate::logging::level(env)?;
        let token_header = env.string(TOKEN_HEADER_VAR, "authorization").to_ascii_lowercase();
        if token_header.is_empty() || !token_header.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ConfigError::new(TOKEN_HEADER_VAR, format!("expected a header name, got {token_header:?}")));
        }
        let jwt = JwtConfig::from_env(env)?;
        let mtls = MtlsConfig::from_env(env)?;
        let settings = Settings {
            event: EventConfig { token_header },
            simple_responses: env.bool(SIMPLE_RESPONSES_VAR, false)?,
            require_client_cert: mtls.as_ref().is_some_and(|m| m.require_client_cert),
        };
        if jwt.is_none() && mtls.is_none() {
            return Err(ConfigError::new(
                "AUTHZ_JWT_ISSUERS",
                "no authentication method configured: set AUTHZ_JWT_ISSUERS (JWT) and/or AUTHZ_REGISTRY_TABLE (mTLS)",
            ));
        }
        let policy = Policy::from_env(env)?;
        Ok(Self { settings, jwt, mtls, policy })
    }
}

const TOKEN_HEADER_VAR: &str = "AUTHZ_TOKEN_HEADER";
const SIMPLE_RESPONSES_VAR: &str = "AUTHZ_HTTP_API_SIMPLE_RESPONSES";

/// The pipeline's own variables and the policy's and the log's; with the JWT and mTLS ones,
/// every variable the authorizer reads.
const PIPELINE_VARIABLES: &[&str] =
    &[TOKEN_HEADER_VAR, SIMPLE_RESPONSES_VAR, crate::policy::POLICY_FILE_VAR, crate::logging::LOG_LEVEL_VAR];

/// Refuses any `AUTHZ_*` variable (in any letter case) that the authorizer does not read. A
/// misspelt name is otherwise ignored and leaves its setting at the default, which can be
/// the weaker one: `AUTHZ_MTLS_TRUSTED_ISSUER` (singular) would leave every CA of API
/// Gateway's truststore trusted, and `AUTHZ_REGISTRY_TABLES` would leave mTLS off.
fn refuse_unknown_variables(env: &Env) -> Result<(), ConfigError> {
    let known = || PIPELINE_VARIABLES.iter().chain(&crate::jwt::config::VARIABLES).chain(crate::mtls::VARIABLES);
    let mut names: Vec<&str> = env.names().filter(|n| crate::config::is_authz_name(n)).collect();
    names.sort_unstable();
    let Some(unknown) = names.into_iter().find(|n| !known().any(|k| k == n)) else { return Ok(()) };
    let problem = match known().find(|k| k.eq_ignore_ascii_case(unknown)) {
        Some(k) => format!("unknown variable: names are case-sensitive, did you mean {k}?"),
        None => {
            "unknown variable: the authorizer does not read it (README, Configuration, lists those it reads)".to_owned()
        }
    };
    Err(ConfigError::new(unknown, problem))
}

/// Why the authorizer could not be built at init.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("jwt: {0}")]
    Jwt(#[from] JwtInitError),
    #[error("mtls is configured but no client registry was given")]
    RegistryMissing,
    #[error("response: {0}")]
    Response(String),
}

/// A whole decision, as a value: what the event was (borrowed from it), who the caller
/// proved to be, what they may call, and the outcome with its reason.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict<'a> {
    pub request: Option<AuthRequest<'a>>,
    pub identity: Identity,
    pub outcome: Outcome,
    pub reason: Reason,
    pub policy: Option<PolicyVerdict>,
    /// When it was decided (Unix seconds).
    pub at: u64,
}

impl<'a> Verdict<'a> {
    fn unauthorized(request: Option<AuthRequest<'a>>, reason: Reason, at: u64) -> Self {
        Self { request, identity: Identity::default(), outcome: Outcome::Unauthorized, reason, policy: None, at }
    }

    fn rejected(request: AuthRequest<'a>, identity: Identity, rejection: Rejection, at: u64) -> Self {
        let (outcome, reason) = (rejection.outcome(), rejection.reason);
        Self { request: Some(request), identity, outcome, reason, policy: None, at }
    }

    pub fn shape(&self) -> Option<EventShape> {
        self.request.as_ref().map(|r| r.shape)
    }
}

/// The `Unauthorized` answer: the invocation fails with exactly this message (API Gateway: 401).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Unauthorized")]
pub struct Unauthorized;

/// Per-invocation facts that come from outside the event.
#[derive(Clone, Copy, Debug)]
pub struct Invocation<'a> {
    /// The Lambda request id.
    pub request_id: &'a str,
    /// Unix seconds.
    pub now: u64,
}

/// The authorizer, built once at init and shared by every invocation.
#[derive(Debug)]
pub struct Authorizer {
    settings: Settings,
    jwt: Option<JwtVerifier>,
    mtls: Option<MtlsVerifier>,
    policy: Policy,
    metrics: Arc<dyn MetricsSink>,
}

impl Authorizer {
    /// Builds the verifiers from the configuration: loads bundled JWKS, prefetches keys when
    /// asked. `registry` is the client registry adapter the binary built (DynamoDB in the
    /// Lambda); it is required when mTLS is configured.
    pub async fn from_config(
        config: AuthorizerConfig,
        registry: Option<Arc<dyn ClientRegistry>>,
        metrics: Arc<dyn MetricsSink>,
    ) -> Result<Self, InitError> {
        Payload::check().map_err(InitError::Response)?;
        let jwt = match config.jwt {
            Some(c) => Some(JwtVerifier::new(c).await?),
            None => None,
        };
        let mtls = match (config.mtls, registry) {
            (Some(c), Some(r)) => Some(MtlsVerifier::new(c, r)),
            (Some(_), None) => return Err(InitError::RegistryMissing),
            (None, _) => None,
        };
        Ok(Self::new(config.settings, jwt, mtls, config.policy, metrics))
    }

    /// Puts the parts together. The JWT verifier is told which claims the policy tests, so
    /// identities carry those and no others.
    pub fn new(
        settings: Settings,
        mut jwt: Option<JwtVerifier>,
        mtls: Option<MtlsVerifier>,
        policy: Policy,
        metrics: Arc<dyn MetricsSink>,
    ) -> Self {
        if let Some(verifier) = &mut jwt {
            verifier.keep_claims(KeptClaims::Named(policy.claim_names()));
        }
        Self { settings, jwt, mtls, policy, metrics }
    }

    /// Decides one event at `now` (Unix seconds). Pure apart from the checks' caches and the
    /// registry and JWKS lookups they make.
    pub async fn evaluate<'e>(&self, event: &'e [u8], now: u64) -> Verdict<'e> {
        let request = match parse_event(event, &self.settings.event) {
            Ok(r) => r,
            Err(reason) => return Verdict::unauthorized(None, reason, now),
        };
        let token = request.token.as_deref().filter(|_| self.jwt.is_some());
        let cert = request.client_cert.as_ref().filter(|_| self.mtls.is_some());
        if self.settings.require_client_cert && cert.is_none() {
            return Verdict::unauthorized(Some(request), CLIENT_CERT_REQUIRED, now);
        }
        if token.is_none() && cert.is_none() {
            let reason = if request.token.is_some() {
                JWT_DISABLED
            } else if request.client_cert.is_some() {
                MTLS_DISABLED
            } else {
                NO_CREDENTIALS
            };
            return Verdict::unauthorized(Some(request), reason, now);
        }

        let mut identity = Identity::default();
        if let (Some(verifier), Some(token)) = (&self.jwt, token) {
            match verifier.verify(token, now).await {
                Ok(id) => identity.jwt = Some(id),
                Err(rejection) => return Verdict::rejected(request, identity, rejection, now),
            }
        }
        if let (Some(verifier), Some(cert)) = (&self.mtls, cert) {
            match verifier.verify(cert, now).await {
                Ok(id) => identity.mtls = Some(id),
                Err(rejection) => return Verdict::rejected(request, identity, rejection, now),
            }
        }
        if let Err(reason) = check_token_binding(&identity) {
            return Verdict::rejected(request, identity, Rejection::unauthenticated(reason), now);
        }

        let verdict = self.policy.evaluate(&identity, &request);
        let outcome = if verdict.allowed { Outcome::Allow } else { Outcome::Deny };
        Verdict { request: Some(request), identity, outcome, reason: verdict.reason, policy: Some(verdict), at: now }
    }

    /// Turns a verdict into API Gateway's answer.
    pub fn respond(&self, verdict: &Verdict) -> Result<AuthorizerResponse, Unauthorized> {
        let Some(request) = verdict.request.as_ref().filter(|_| verdict.outcome != Outcome::Unauthorized) else {
            return Err(Unauthorized);
        };
        let statements = statements(request, verdict);
        // One copy of the principal, shared by `principalId` and the context.
        let principal: Option<Arc<str>> = verdict.identity.shared_principal();
        let context = context(verdict, principal.as_ref());
        Ok(render(ResponseParts {
            shape: request.shape,
            simple: self.settings.simple_responses,
            allowed: verdict.outcome == Outcome::Allow,
            principal: principal.map_or(Text::Static("unknown"), Text::Shared),
            statements,
            context,
            usage_identifier_key: if verdict.outcome == Outcome::Allow {
                verdict.identity.mtls.as_ref().and_then(MtlsIdentity::usage_plan_key)
            } else {
                None
            },
        }))
    }

    /// Decides, logs, counts and answers one invocation.
    pub async fn handle(&self, event: &[u8], invocation: Invocation<'_>) -> Result<AuthorizerResponse, Unauthorized> {
        crate::logging::with_request_id(invocation.request_id, self.handle_logged(event, invocation)).await
    }

    /// [`Authorizer::handle`] inside the invocation's logging scope.
    async fn handle_logged(
        &self,
        event: &[u8],
        invocation: Invocation<'_>,
    ) -> Result<AuthorizerResponse, Unauthorized> {
        let started = Instant::now();
        let verdict = self.evaluate(event, invocation.now).await;
        let response = self.respond(&verdict);
        let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let record = DecisionRecord {
            request_id: invocation.request_id,
            shape: verdict.shape(),
            auth_method: verdict.identity.method(),
            principal: verdict.identity.principal(),
            method: verdict.request.as_ref().map(AuthRequest::method),
            path: verdict.request.as_ref().map(AuthRequest::path),
            outcome: verdict.outcome,
            reason: verdict.reason,
            rule: verdict.policy.as_ref().and_then(|p| p.rule.as_deref()),
            latency_us,
        };
        log_decision(&record);
        emit_emf_line(self.metrics.as_ref(), &record, invocation.now.saturating_mul(1000));
        response
    }
}

/// RFC 8705 certificate-bound tokens: a token with `cnf.x5t#S256` is only good together with
/// the certificate it names; an issuer may require every token to be bound.
fn check_token_binding(identity: &Identity) -> Result<(), Reason> {
    let Some(jwt) = &identity.jwt else { return Ok(()) };
    match (&jwt.cnf_x5t_s256, &identity.mtls) {
        (None, _) if jwt.require_bound_token => Err(TOKEN_NOT_BOUND),
        (None, _) => Ok(()),
        (Some(_), None) => Err(TOKEN_BINDING_CERT_MISSING),
        (Some(thumbprint), Some(mtls)) => {
            let presented = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mtls.cert_sha256);
            if aws_lc_rs::constant_time::verify_slices_are_equal(presented.as_bytes(), thumbprint.as_bytes()).is_ok() {
                Ok(())
            } else {
                Err(TOKEN_BINDING_MISMATCH)
            }
        }
    }
}

/// The policy statements for a verdict. Allow lists every route the caller may call in this
/// API stage (so a cached policy answers every route correctly); a denied route is named in
/// an explicit Deny; a caller with no route at all, or a fault, gets Deny on the whole stage.
fn statements(request: &AuthRequest, verdict: &Verdict) -> Vec<Statement> {
    let arn = &request.arn;
    let grants = verdict.policy.as_ref().map(|p| p.grants.as_slice()).unwrap_or_default();
    if grants.is_empty() {
        return vec![Statement { allow: false, resources: vec![arn.route("*", "/*")] }];
    }
    let allow = Statement { allow: true, resources: crate::policy::resource_arns(arn, grants) };
    if verdict.outcome == Outcome::Allow {
        vec![allow]
    } else {
        vec![allow, Statement { allow: false, resources: vec![arn.this_route()] }]
    }
}

/// The authorizer context the backend reads (`$context.authorizer.<key>`); `principal` is
/// `verdict.identity.principal()`, already copied once for the response.
fn context(verdict: &Verdict, principal: Option<&Arc<str>>) -> Context {
    let mut ctx = Context::new();
    let id = &verdict.identity;
    ctx.str("auth_method", id.method());
    if let Some(p) = principal {
        ctx.str("principal", Arc::clone(p));
    }
    if let Some(m) = &id.mtls {
        // A certificate's client_id is the principal.
        let client_id = match principal {
            Some(p) if **p == *m.client_id() => Text::Shared(Arc::clone(p)),
            _ => Text::Owned(m.client_id().to_owned()),
        };
        ctx.str("client_id", client_id).str("cert_serial", m.serial().to_owned());
        if let Some(t) = m.tenant() {
            ctx.str("tenant", t.to_owned());
        }
    }
    if let Some(j) = &id.jwt {
        ctx.str("issuer", Arc::clone(&j.issuer));
        if let Some(sub) = &j.subject {
            ctx.str("sub", Arc::clone(sub));
        }
        if let (Some(c), None) = (&j.client_id, &id.mtls) {
            ctx.str("client_id", Arc::clone(c));
        }
        if !j.groups.is_empty() {
            ctx.str("groups", j.groups.join(","));
        }
        ctx.bool("token_bound", id.token_bound());
    }
    ctx.str("scopes", scope_list(id));
    if let Some(rule) = verdict.policy.as_ref().and_then(|p| p.rule.as_ref()) {
        ctx.str("policy_rule", Arc::clone(rule));
    }
    ctx.str("decision", verdict.outcome.as_str());
    ctx.num("authorized_at", i64::try_from(verdict.at).unwrap_or(i64::MAX));
    ctx
}

/// The principal's scopes, separated by spaces: the certificate's, then, when the token is
/// bound to it (the same caller), the token's that the certificate does not have (a
/// token's scopes are distinct already). An unbound token's scopes are another party's.
fn scope_list(id: &Identity) -> String {
    match (&id.mtls, &id.jwt) {
        (None, None) => String::new(),
        (Some(m), None) => m.scopes().join(" "),
        (None, Some(j)) => j.scopes.join(" "),
        (Some(m), Some(_)) if !id.token_bound() => m.scopes().join(" "),
        (Some(m), Some(j)) => {
            let mut scopes: Vec<&str> = m.scopes().iter().map(String::as_str).collect();
            for s in &j.scopes {
                if !scopes.contains(&s.as_str()) {
                    scopes.push(s);
                }
            }
            scopes.join(" ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::JwtIdentity;
    use crate::mtls::RegistryItem;

    fn identity(cnf: Option<&str>, required: bool, cert: Option<[u8; 32]>) -> Identity {
        Identity {
            jwt: Some(JwtIdentity {
                cnf_x5t_s256: cnf.map(str::to_owned),
                require_bound_token: required,
                ..JwtIdentity::default()
            }),
            mtls: cert.map(|cert_sha256| MtlsIdentity {
                item: Arc::new(RegistryItem::active("c1", "01", 0, 0)),
                uri_sans: Vec::new(),
                cert_sha256,
            }),
        }
    }

    #[test]
    fn only_the_variables_the_authorizer_reads_are_accepted() {
        let refused = |name: &str| refuse_unknown_variables(&Env::from_pairs([(name, "x")])).err();
        for known in PIPELINE_VARIABLES.iter().chain(&crate::jwt::config::VARIABLES).chain(crate::mtls::VARIABLES) {
            assert_eq!(refused(known), None, "{known}");
        }
        assert_eq!(refused("AWS_REGION"), None, "only AUTHZ_* names are the authorizer's");
        for (name, problem) in [
            ("AUTHZ_MTLS_TRUSTED_ISSUER", "the authorizer does not read it"),
            ("AUTHZ_REGISTRY_TABLES", "the authorizer does not read it"),
            ("AUTHZ_POLICYFILE", "the authorizer does not read it"),
            ("authz_registry_table", "did you mean AUTHZ_REGISTRY_TABLE?"),
            ("Authz_JWT_ISSUERS", "did you mean AUTHZ_JWT_ISSUERS?"),
        ] {
            let err = refused(name).unwrap_or_else(|| panic!("{name} accepted"));
            assert_eq!(err.var, name);
            assert!(err.problem.contains(problem), "{name}: {err}");
        }
    }

    #[track_caller]
    fn check_binding(identity: Identity, expected: Result<(), Reason>) {
        assert_eq!(check_token_binding(&identity), expected);
    }

    #[test]
    fn certificate_bound_tokens() {
        let cert = [7u8; 32];
        let thumbprint = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(cert);
        check_binding(Identity::default(), Ok(()));
        check_binding(identity(None, false, None), Ok(()));
        check_binding(identity(None, false, Some(cert)), Ok(()));
        check_binding(identity(None, true, Some(cert)), Err(TOKEN_NOT_BOUND));
        check_binding(identity(Some(&thumbprint), false, None), Err(TOKEN_BINDING_CERT_MISSING));
        check_binding(identity(Some(&thumbprint), true, Some(cert)), Ok(()));
        check_binding(identity(Some(&thumbprint), false, Some([8u8; 32])), Err(TOKEN_BINDING_MISMATCH));
        check_binding(identity(Some(&format!("{thumbprint}=")), false, Some(cert)), Err(TOKEN_BINDING_MISMATCH));
        check_binding(identity(Some(""), false, Some(cert)), Err(TOKEN_BINDING_MISMATCH));
    }

    fn verdict(outcome: Outcome, grants: &[(&str, &str)]) -> (AuthRequest<'static>, Verdict<'static>) {
        let arn = crate::arn::ApiArn::parse("arn:aws:execute-api:eu-west-1:123456789012:api1/prod/GET/orders/42")
            .unwrap_or_else(|| unreachable!());
        let request = AuthRequest { shape: EventShape::RestRequest, arn, route: None, token: None, client_cert: None };
        let policy = PolicyVerdict {
            allowed: outcome == Outcome::Allow,
            grants: grants
                .iter()
                .map(|(m, p)| crate::policy::Grant { method: (*m).into(), path: (*p).into() })
                .collect(),
            rule: None,
            reason: Reason::new("test"),
        };
        let v = Verdict {
            request: Some(request.clone()),
            identity: Identity::default(),
            outcome,
            reason: Reason::new("test"),
            policy: Some(policy),
            at: 0,
        };
        (request, v)
    }

    #[track_caller]
    fn check_statements(outcome: Outcome, grants: &[(&str, &str)], expected: &[(bool, &[&str])]) {
        let (request, v) = verdict(outcome, grants);
        let got = statements(&request, &v);
        let expected: Vec<Statement> = expected
            .iter()
            .map(|(allow, rs)| Statement {
                allow: *allow,
                resources: rs
                    .iter()
                    .map(|r| format!("arn:aws:execute-api:eu-west-1:123456789012:api1/prod/{r}"))
                    .collect(),
            })
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn statements_list_grants_and_deny_the_rest() {
        check_statements(
            Outcome::Allow,
            &[("GET", "/orders/*"), ("POST", "/payments")],
            &[(true, &["GET/orders/*", "POST/payments"])],
        );
        check_statements(
            Outcome::Deny,
            &[("POST", "/payments")],
            &[(true, &["POST/payments"]), (false, &["GET/orders/42"])],
        );
        check_statements(Outcome::Deny, &[], &[(false, &["*/*"])]);
    }
}
