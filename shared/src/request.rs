//! The one internal request every event shape is normalised into.

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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientCert {
    /// `clientCertPem`. Never log it.
    pub pem: String,
    /// `subjectDN` as API Gateway printed it.
    pub subject_dn: String,
    /// `issuerDN` as API Gateway printed it.
    pub issuer_dn: String,
    /// `serialNumber` as API Gateway printed it (format undocumented: decimal, hex or
    /// colon-separated hex).
    pub serial_number: String,
    /// `validity.notBefore` / `validity.notAfter`, as printed (e.g. `May 28 12:30:02 2019 GMT`).
    pub not_before: String,
    pub not_after: String,
}

/// One authorizer invocation, whatever shape it arrived in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthRequest {
    pub shape: EventShape,
    /// The `methodArn` (REST) or `routeArn` (HTTP API), parsed.
    pub arn: ApiArn,
    /// Upper-case HTTP method, or `None` for TOKEN events (which do not carry one beyond
    /// the ARN; the ARN's method is used then).
    pub method: String,
    /// The request path relative to the stage (`/orders/42`), or the ARN's resource path.
    pub path: String,
    /// The bearer token without its scheme. Never log it.
    pub token: Option<String>,
    pub client_cert: Option<ClientCert>,
}
