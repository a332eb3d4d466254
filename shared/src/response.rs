//! Writing the answer API Gateway expects: an IAM policy (REST, and HTTP API with simple
//! responses off) or the HTTP API simple response, each with an authorizer context.
//!
//! These are our own small structs rather than the `aws_lambda_events` response types: the
//! library's REST response always serialises `usageIdentifierKey` (as `null` when unset,
//! which API Gateway does not expect), and its context is a `serde_json::Value` map built
//! key by key on every decision. The JSON is the same as the library's (the replay fixtures
//! compare it); field names follow API Gateway's documentation.

use std::sync::Arc;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

use crate::request::EventShape;

pub const POLICY_VERSION: &str = "2012-10-17";
pub const INVOKE_ACTION: &str = "execute-api:Invoke";

/// A string of the response: borrowed when fixed in the code (`auth_method`, `decision`),
/// shared when the response names it more than once (the principal is `principalId`,
/// `principal` and, for a client certificate, `client_id`), else owned. Compares and
/// serializes as the string it holds.
#[derive(Clone, Debug)]
pub enum Text {
    Static(&'static str),
    Shared(Arc<str>),
    Owned(String),
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Text::Static(s) => s,
            Text::Shared(s) => s,
            Text::Owned(s) => s,
        }
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self)
    }
}

impl From<&'static str> for Text {
    fn from(s: &'static str) -> Self {
        Text::Static(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::Owned(s)
    }
}

impl From<Arc<str>> for Text {
    fn from(s: Arc<str>) -> Self {
        Text::Shared(s)
    }
}

/// One authorizer context value: API Gateway accepts strings, numbers and booleans only
/// (it rejects objects, arrays and null), so nothing else can be put in.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ContextValue {
    Str(Text),
    Num(i64),
    Bool(bool),
}

/// The authorizer context handed to the backend, keyed by names the code chooses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context(Vec<(&'static str, ContextValue)>);

impl Context {
    pub fn new() -> Self {
        Self(Vec::with_capacity(12))
    }

    /// Sets `key`, replacing an earlier value of the same key. Keys are told apart by length
    /// and first byte before their bytes are compared: the context's keys differ there, so
    /// a decision's nine keys cost no `memcmp`.
    fn set(&mut self, key: &'static str, value: ContextValue) -> &mut Self {
        let same = |k: &str| k.len() == key.len() && k.as_bytes().first() == key.as_bytes().first() && k == key;
        match self.0.iter_mut().find(|(k, _)| same(k)) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
        self
    }

    pub fn str(&mut self, key: &'static str, value: impl Into<Text>) -> &mut Self {
        self.set(key, ContextValue::Str(value.into()))
    }

    pub fn num(&mut self, key: &'static str, value: i64) -> &mut Self {
        self.set(key, ContextValue::Num(value))
    }

    pub fn bool(&mut self, key: &'static str, value: bool) -> &mut Self {
        self.set(key, ContextValue::Bool(value))
    }

    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

impl Serialize for Context {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// One policy statement: an effect on a set of `execute-api` resource ARNs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub allow: bool,
    pub resources: Vec<String>,
}

impl Serialize for Statement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("Action", &[INVOKE_ACTION])?;
        map.serialize_entry("Effect", if self.allow { "Allow" } else { "Deny" })?;
        map.serialize_entry("Resource", &self.resources)?;
        map.end()
    }
}

/// `{"Version": "2012-10-17", "Statement": [...]}`; statements without resources are left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyDocument(pub Vec<Statement>);

impl Serialize for PolicyDocument {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct NonEmpty<'a>(&'a [Statement]);
        impl Serialize for NonEmpty<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.0.iter().filter(|s| !s.resources.is_empty()))
            }
        }
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("Version", POLICY_VERSION)?;
        map.serialize_entry("Statement", &NonEmpty(&self.0))?;
        map.end()
    }
}

/// What the handler returns to API Gateway (the `Unauthorized` outcome is an error, not a response).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AuthorizerResponse {
    /// REST API (TOKEN and REQUEST), and HTTP API with simple responses off (which never
    /// carries a usage key).
    #[serde(rename_all = "camelCase")]
    Policy {
        principal_id: Text,
        policy_document: PolicyDocument,
        context: Context,
        #[serde(skip_serializing_if = "Option::is_none")]
        usage_identifier_key: Option<String>,
    },
    /// HTTP API simple response.
    #[serde(rename_all = "camelCase")]
    Simple { is_authorized: bool, context: Context },
}

impl AuthorizerResponse {
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
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
    pub principal: Text,
    pub statements: Vec<Statement>,
    pub context: Context,
    pub usage_identifier_key: Option<&'a str>,
}

/// Renders the response for the event's shape.
pub fn render(parts: ResponseParts<'_>) -> AuthorizerResponse {
    match parts.shape {
        EventShape::HttpV2 if parts.simple => {
            AuthorizerResponse::Simple { is_authorized: parts.allowed, context: parts.context }
        }
        shape => AuthorizerResponse::Policy {
            principal_id: parts.principal,
            policy_document: PolicyDocument(parts.statements),
            context: parts.context,
            // Usage plans (API keys from the authorizer) exist for REST APIs only.
            usage_identifier_key: parts.usage_identifier_key.filter(|_| shape != EventShape::HttpV2).map(str::to_owned),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parts(shape: EventShape, simple: bool, usage: Option<&'static str>) -> ResponseParts<'static> {
        let statements = vec![
            Statement { allow: true, resources: vec!["arn:aws:execute-api:r:123456789012:a/s/GET/x".into()] },
            Statement { allow: false, resources: vec![] },
        ];
        let mut context = Context::new();
        context.str("client_id", "c1").num("n", 3).bool("b", true);
        ResponseParts {
            shape,
            simple,
            allowed: true,
            principal: "c1".into(),
            statements,
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
