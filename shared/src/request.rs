//! The one internal request every event shape is normalised into. Its token and certificate
//! are borrowed from the event where the event holds them unescaped (a JWT and a PEM are
//! hundreds of bytes, copied on every request otherwise).

use std::borrow::Cow;

use crate::arn::ApiArn;

/// Which of the three API Gateway authorizer payloads the event was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventShape {
    /// REST API `TOKEN` authorizer: `type`, `authorizationToken`, `methodArn` only.
    RestToken,
    /// REST API `REQUEST` authorizer (payload 1.0).
    RestRequest,
    /// HTTP API `REQUEST` authorizer (payload 2.0).
    HttpV2,
}

impl EventShape {
    pub const fn as_str(self) -> &'static str {
        match self {
            EventShape::RestToken => "rest_token",
            EventShape::RestRequest => "rest_request",
            EventShape::HttpV2 => "http_v2",
        }
    }
}

/// The mTLS client certificate as API Gateway describes it in the request context. Nothing
/// here is trusted until `mtls::MtlsVerifier` has parsed the PEM and cross-checked it.
///
/// Only what the verifier reads is kept. The event's `subjectDN`, `issuerDN` and `validity`
/// are API Gateway's printout of the same certificate: the decoders check their types (an
/// event the `aws_lambda_events` types refuse is refused) and drop them, and the verifier
/// takes names and dates from the certificate itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientCert<'a> {
    /// `clientCertPem`. Never log it.
    pub pem: PemText<'a>,
    /// `serialNumber` as API Gateway printed it (format undocumented: decimal, hex or
    /// colon-separated hex), cross-checked against the certificate's serial.
    pub serial_number: Cow<'a, str>,
}

/// One authorizer invocation, whatever shape it arrived in. `Debug` shows the token's
/// length only.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthRequest<'a> {
    pub shape: EventShape,
    /// The `methodArn` (REST) or `routeArn` (HTTP API), parsed.
    pub arn: ApiArn,
    /// The upper-case method and the path relative to the stage of a request whose ARN does
    /// not name them (an HTTP API's `$default` route), from the request itself; `None` when
    /// the ARN names them. See [`AuthRequest::method`] and [`AuthRequest::path`].
    pub route: Option<(String, String)>,
    /// The bearer token without its scheme. Never log it.
    pub token: Option<Cow<'a, str>>,
    pub client_cert: Option<ClientCert<'a>>,
}

impl std::fmt::Debug for AuthRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthRequest")
            .field("shape", &self.shape)
            .field("arn", &self.arn)
            .field("route", &self.route)
            .field("token", &self.token.as_ref().map(|t| format!("{} bytes", t.len())))
            .field("client_cert", &self.client_cert)
            .finish()
    }
}

impl AuthRequest<'_> {
    /// The request's upper-case HTTP method.
    pub fn method(&self) -> &str {
        self.route.as_ref().map_or_else(|| self.arn.method(), |(method, _)| method)
    }

    /// The request path relative to the stage (`/orders/42`).
    pub fn path(&self) -> &str {
        self.route.as_ref().map_or_else(|| self.arn.path(), |(_, path)| path)
    }
}

/// `clientCertPem` as it arrived: the JSON string literal, escapes and quotes included. The
/// warm path keys its certificate cache on this text and decodes it only on a miss, which
/// saves unescaping and copying the whole certificate on every request.
///
/// Two values are equal when they decode to the same text, however each was escaped. `Debug`
/// shows the length only: the certificate does not belong in logs or test output.
#[derive(Clone)]
pub struct PemText<'a> {
    json: Cow<'a, str>,
}

/// The empty string, as API Gateway would send a certificate object without a PEM.
impl Default for PemText<'_> {
    fn default() -> Self {
        Self { json: Cow::Borrowed("\"\"") }
    }
}

impl<'a> PemText<'a> {
    /// From a JSON string literal taken from the event (the caller checked it is one),
    /// borrowed.
    pub fn from_json_literal(literal: &'a str) -> Self {
        Self { json: Cow::Borrowed(literal) }
    }

    /// The literal, as received: the cache key.
    pub fn literal(&self) -> &str {
        &self.json
    }

    /// The PEM text itself; `None` if the literal is not a JSON string (never the case for
    /// values the event decoders build).
    pub fn decode(&self) -> Option<String> {
        serde_json::from_str(&self.json).ok()
    }
}

impl From<&str> for PemText<'_> {
    fn from(pem: &str) -> Self {
        Self { json: Cow::Owned(serde_json::Value::from(pem).to_string()) }
    }
}

impl From<String> for PemText<'_> {
    fn from(pem: String) -> Self {
        Self::from(pem.as_str())
    }
}

impl PartialEq for PemText<'_> {
    fn eq(&self, other: &Self) -> bool {
        // Two literals that do not decode are not the same certificate.
        self.json == other.json || matches!((self.decode(), other.decode()), (Some(a), Some(b)) if a == b)
    }
}

impl Eq for PemText<'_> {}

impl std::fmt::Debug for PemText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PemText({} bytes as JSON)", self.json.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token_or_the_certificate() {
        let arn = ApiArn::parse("arn:aws:execute-api:eu-west-1:123456789012:api1/prod/GET/orders")
            .unwrap_or_else(|| unreachable!());
        let request = AuthRequest {
            shape: EventShape::RestRequest,
            arn,
            route: None,
            token: Some(Cow::Borrowed("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl")),
            client_cert: Some(ClientCert {
                pem: PemText::from_json_literal("\"-----BEGIN CERTIFICATE-----\\nMIIB\\n\""),
                serial_number: Cow::Borrowed("01"),
            }),
        };
        let shown = format!("{request:?}");
        assert!(!shown.contains("eyJ") && !shown.contains("MIIB"), "{shown}");
        assert!(shown.contains("token: Some(\"49 bytes\")"), "{shown}");
    }
}
