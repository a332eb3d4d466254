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
use serde::ser::{SerializeMap, SerializeStruct, Serializer};
use serde_json::Value;

use crate::json;
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
        match self.0.iter_mut().find(|(k, _)| json::same_name(k, key)) {
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

    /// The context as a JSON object, as its `Serialize` writes it through `serde_json`.
    fn write(&self, out: &mut String) {
        out.push('{');
        for (n, (key, value)) in self.0.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            json::write_string_as_serde(out, key);
            out.push(':');
            match value {
                ContextValue::Str(s) => json::write_string_as_serde(out, s),
                ContextValue::Num(n) => json::write_i64(out, *n),
                ContextValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            }
        }
        out.push('}');
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
    /// The response as API Gateway reads it: the [`Payload`]'s text, parsed.
    pub fn to_json(&self) -> Value {
        serde_json::from_str(self.payload().as_str()).unwrap_or(Value::Null)
    }

    /// The response as JSON text, written here rather than by `serde_json`: the same bytes
    /// `serde_json::to_string(self)` writes (`tests/tests/replay.rs` compares them on every
    /// fixture), without its per-byte escaping of every key and value.
    pub fn payload(&self) -> Payload {
        let mut out = String::with_capacity(self.text_len_hint());
        match self {
            AuthorizerResponse::Policy { principal_id, policy_document, context, usage_identifier_key } => {
                out.push_str("{\"principalId\":");
                json::write_string_as_serde(&mut out, principal_id);
                out.push_str(",\"policyDocument\":{\"Version\":\"");
                out.push_str(POLICY_VERSION);
                out.push_str("\",\"Statement\":[");
                for (n, statement) in policy_document.0.iter().filter(|s| !s.resources.is_empty()).enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    out.push_str("{\"Action\":[\"");
                    out.push_str(INVOKE_ACTION);
                    out.push_str(if statement.allow {
                        "\"],\"Effect\":\"Allow\",\"Resource\":["
                    } else {
                        "\"],\"Effect\":\"Deny\",\"Resource\":["
                    });
                    for (n, resource) in statement.resources.iter().enumerate() {
                        if n > 0 {
                            out.push(',');
                        }
                        json::write_string_as_serde(&mut out, resource);
                    }
                    out.push_str("]}");
                }
                out.push_str("]},\"context\":");
                context.write(&mut out);
                if let Some(key) = usage_identifier_key {
                    out.push_str(",\"usageIdentifierKey\":");
                    json::write_string_as_serde(&mut out, key);
                }
            }
            AuthorizerResponse::Simple { is_authorized, context } => {
                out.push_str(if *is_authorized { "{\"isAuthorized\":true" } else { "{\"isAuthorized\":false" });
                out.push_str(",\"context\":");
                context.write(&mut out);
            }
        }
        out.push('}');
        Payload(out)
    }

    /// The text's length when nothing needs escaping, so that it is written without growing.
    fn text_len_hint(&self) -> usize {
        const PER_STRING: usize = 4; // quotes and separators
        let context = |c: &Context| {
            c.0.iter()
                .map(|(k, v)| k.len() + PER_STRING + if let ContextValue::Str(s) = v { s.len() + 2 } else { 20 })
                .sum::<usize>()
        };
        match self {
            AuthorizerResponse::Policy { principal_id, policy_document, context: c, usage_identifier_key } => {
                let resources: usize =
                    policy_document.0.iter().flat_map(|s| &s.resources).map(|r| r.len() + PER_STRING).sum();
                let statements = policy_document.0.len() * 64;
                128 + principal_id.len()
                    + resources
                    + statements
                    + context(c)
                    + usage_identifier_key.as_ref().map_or(0, |k| k.len() + 24)
            }
            AuthorizerResponse::Simple { context: c, .. } => 32 + context(c),
        }
    }
}

/// A response's JSON text, as the handler hands it to `lambda_runtime`, which serializes
/// whatever the handler returns with `serde_json::to_vec`.
///
/// `serde_json`'s own way to pass text through unchanged is `RawValue`, but its constructors
/// parse the text again: ~7k instructions for a 570-byte response, as much as serializing the
/// response itself. `Payload` serializes as `RawValue` does, as a struct under the name
/// `serde_json` reserves for it ([`RAW_VALUE_TOKEN`]), which `serde_json` answers by writing
/// the string as it is. That name is not a documented interface, so [`Payload::check`] makes
/// sure, once at init, that this `serde_json` still writes a payload's text and nothing else
/// (the authorizer refuses to start otherwise). The text can be trusted as JSON because it
/// only ever comes from [`AuthorizerResponse::payload`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload(String);

/// The struct and field name under which `serde_json` (with its `raw_value` feature, which
/// the workspace enables) writes a string as raw JSON: `serde_json::value::RawValue`'s.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

impl Payload {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `serde_json::to_vec` of a payload is the payload's text, as `lambda_runtime`
    /// will send it. Checked at init: a `serde_json` that wrote anything else (another
    /// version's private name) would send API Gateway malformed answers.
    pub fn check() -> Result<(), String> {
        Self::check_with(serde_json::to_vec::<Payload>)
    }

    /// [`Payload::check`] against the serializer `write`.
    fn check_with(write: impl Fn(&Payload) -> serde_json::Result<Vec<u8>>) -> Result<(), String> {
        let probe = AuthorizerResponse::Simple { is_authorized: false, context: Context::new() }.payload();
        match write(&probe) {
            Ok(bytes) if bytes == probe.0.as_bytes() => Ok(()),
            Ok(bytes) => Err(format!(
                "serde_json does not pass a response through unchanged: {} became {}",
                probe.0,
                String::from_utf8_lossy(&bytes)
            )),
            Err(e) => Err(format!("serde_json cannot write a response: {e}")),
        }
    }
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut raw = serializer.serialize_struct(RAW_VALUE_TOKEN, 1)?;
        raw.serialize_field(RAW_VALUE_TOKEN, self.0.as_str())?;
        raw.end()
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

    #[track_caller]
    fn same_bytes_as_serde(response: &AuthorizerResponse) {
        let payload = response.payload();
        let reference = serde_json::to_string(response).unwrap();
        assert_eq!(payload.as_str(), reference);
        assert_eq!(serde_json::to_vec(&payload).unwrap(), reference.as_bytes());
    }

    #[test]
    fn a_serializer_that_does_not_pass_the_text_through_is_refused() {
        // What serde_json writes for the payload without its `raw_value` feature, and a
        // serializer that fails.
        let wrapped = |p: &Payload| serde_json::to_vec(&serde_json::json!({ RAW_VALUE_TOKEN: p.as_str() }));
        let err = Payload::check_with(wrapped).unwrap_err();
        assert!(err.contains("does not pass a response through unchanged"), "{err}");
        let failing = |_: &Payload| serde_json::from_str::<Vec<u8>>("not json");
        assert!(Payload::check_with(failing).unwrap_err().contains("cannot write"));
    }

    #[test]
    fn the_payload_is_what_serde_json_writes() {
        Payload::check().unwrap();
        let awkward = ["", "a\"b\\c", "tab\tnl\nnul\u{0}\u{1f}\u{7f}", "é 日本 \u{2028} 🦀", "x".repeat(300).as_str()]
            .map(str::to_owned);
        for text in &awkward {
            for shape in [EventShape::RestToken, EventShape::RestRequest, EventShape::HttpV2] {
                for simple in [false, true] {
                    let mut p = parts(shape, simple, Some("usage\"key"));
                    p.principal = text.clone().into();
                    p.allowed = text.is_empty();
                    p.statements.push(Statement { allow: false, resources: vec![text.clone(), "b".into()] });
                    p.statements.push(Statement { allow: true, resources: vec![] });
                    p.context.str("text", text.clone()).num("min", i64::MIN).num("max", i64::MAX).bool("no", false);
                    same_bytes_as_serde(&render(p));
                }
            }
        }
        for statements in [vec![], vec![Statement { allow: true, resources: vec![] }; 2]] {
            same_bytes_as_serde(&AuthorizerResponse::Policy {
                principal_id: "p".into(),
                policy_document: PolicyDocument(statements),
                context: Context::new(),
                usage_identifier_key: None,
            });
        }
        for is_authorized in [false, true] {
            same_bytes_as_serde(&AuthorizerResponse::Simple { is_authorized, context: Context::new() });
        }
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
