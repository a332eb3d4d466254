//! Writing the answer API Gateway expects: an IAM policy (REST, and HTTP API with simple
//! responses off) or the HTTP API simple response, each with an authorizer context.
//!
//! The policy document and statements are the `aws_lambda_events` types. The REST
//! top-level response is our own small struct because the library's
//! `ApiGatewayCustomAuthorizerResponse` always serialises `usageIdentifierKey`, as `null`
//! when unset, which API Gateway does not expect.

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayV2CustomAuthorizerIamPolicyResponse,
    ApiGatewayV2CustomAuthorizerSimpleResponse,
};
use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::request::EventShape;

pub const POLICY_VERSION: &str = "2012-10-17";
pub const INVOKE_ACTION: &str = "execute-api:Invoke";

/// The authorizer context handed to the backend. Only strings, numbers and booleans can be
/// put in (API Gateway rejects objects, arrays and null), which the methods enforce.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context(Map<String, Value>);

impl Context {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn str(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.0.insert(key.to_owned(), Value::String(value.into()));
        self
    }

    pub fn num(&mut self, key: &str, value: i64) -> &mut Self {
        self.0.insert(key.to_owned(), Value::from(value));
        self
    }

    pub fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.0.insert(key.to_owned(), Value::Bool(value));
        self
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

/// One policy statement: an effect on a set of `execute-api` resource ARNs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub allow: bool,
    pub resources: Vec<String>,
}

/// REST API authorizer response (TOKEN and REQUEST).
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RestPolicyResponse {
    pub principal_id: String,
    pub policy_document: ApiGatewayCustomAuthorizerPolicy,
    pub context: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_identifier_key: Option<String>,
}

/// What the handler returns to API Gateway (the `Unauthorized` outcome is an error, not a response).
#[derive(Debug, Serialize, PartialEq)]
#[serde(untagged)]
pub enum AuthorizerResponse {
    Rest(RestPolicyResponse),
    HttpIam(ApiGatewayV2CustomAuthorizerIamPolicyResponse),
    HttpSimple(ApiGatewayV2CustomAuthorizerSimpleResponse),
}

impl AuthorizerResponse {
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

fn policy_document(statements: &[Statement]) -> ApiGatewayCustomAuthorizerPolicy {
    let mut doc = ApiGatewayCustomAuthorizerPolicy::default();
    doc.version = Some(POLICY_VERSION.to_owned());
    doc.statement = statements
        .iter()
        .filter(|s| !s.resources.is_empty())
        .map(|s| {
            let mut st = IamPolicyStatement::default();
            st.action = vec![INVOKE_ACTION.to_owned()];
            st.effect = if s.allow { IamPolicyEffect::Allow } else { IamPolicyEffect::Deny };
            st.resource = s.resources.clone();
            st
        })
        .collect();
    doc
}

/// Everything a response is made of.
#[derive(Debug)]
pub struct ResponseParts<'a> {
    pub shape: EventShape,
    /// HTTP API simple responses (`AUTHZ_HTTP_API_SIMPLE_RESPONSES`).
    pub simple: bool,
    /// Whether this request is allowed (used by simple responses only: policies speak for
    /// themselves).
    pub allowed: bool,
    pub principal: &'a str,
    pub statements: &'a [Statement],
    pub context: Context,
    pub usage_identifier_key: Option<&'a str>,
}

/// Renders the response for the event's shape.
pub fn render(parts: ResponseParts<'_>) -> AuthorizerResponse {
    match parts.shape {
        EventShape::HttpV2 if parts.simple => {
            let mut r = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
            r.is_authorized = parts.allowed;
            r.context = parts.context.into_value();
            AuthorizerResponse::HttpSimple(r)
        }
        EventShape::HttpV2 => {
            let mut r = ApiGatewayV2CustomAuthorizerIamPolicyResponse::default();
            r.principal_id = Some(parts.principal.to_owned());
            r.policy_document = policy_document(parts.statements);
            r.context = parts.context.into_value();
            AuthorizerResponse::HttpIam(r)
        }
        EventShape::RestToken | EventShape::RestRequest => AuthorizerResponse::Rest(RestPolicyResponse {
            principal_id: parts.principal.to_owned(),
            policy_document: policy_document(parts.statements),
            context: parts.context.into_value(),
            usage_identifier_key: parts.usage_identifier_key.map(str::to_owned),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parts(shape: EventShape, simple: bool, usage: Option<&'static str>) -> ResponseParts<'static> {
        static STATEMENTS: std::sync::LazyLock<Vec<Statement>> = std::sync::LazyLock::new(|| {
            vec![
                Statement { allow: true, resources: vec!["arn:aws:execute-api:r:123456789012:a/s/GET/x".into()] },
                Statement { allow: false, resources: vec![] },
            ]
        });
        let mut context = Context::new();
        context.str("client_id", "c1").num("n", 3).bool("b", true);
        ResponseParts {
            shape,
            simple,
            allowed: true,
            principal: "c1",
            statements: &STATEMENTS,
            context,
            usage_identifier_key: usage,
        }
    }

    #[track_caller]
    fn check(p: ResponseParts<'_>, expected: Value) {
        assert_eq!(render(p).to_json(), expected);
    }

    #[test]
    fn shapes_render_without_nulls() {
        let policy = json!({"Version": "2012-10-17", "Statement": [
            {"Action": ["execute-api:Invoke"], "Effect": "Allow", "Resource": ["arn:aws:execute-api:r:123456789012:a/s/GET/x"]}
        ]});
        let ctx = json!({"client_id": "c1", "n": 3, "b": true});
        check(
            parts(EventShape::RestToken, false, None),
            json!({"principalId": "c1", "policyDocument": policy, "context": ctx}),
        );
        check(
            parts(EventShape::RestRequest, true, Some("key-1")),
            json!({"principalId": "c1", "policyDocument": policy, "context": ctx, "usageIdentifierKey": "key-1"}),
        );
        check(
            parts(EventShape::HttpV2, false, Some("ignored")),
            json!({"principalId": "c1", "policyDocument": policy, "context": ctx}),
        );
        check(parts(EventShape::HttpV2, true, None), json!({"isAuthorized": true, "context": ctx}));
    }
}
