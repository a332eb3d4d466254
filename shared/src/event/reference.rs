//! The reference decoder: the `aws_lambda_events` types, parsed in full.
//!
//! These types are the event contract (issue 2). Production decodes with [`super::fast`],
//! which reads only the fields the authorizer uses, borrowed, in one pass; the replay tests
//! run this decoder over every fixture too and require both to agree exactly.

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayV2CustomAuthorizerV2Request,
};
use aws_lambda_events::http::{HeaderMap, HeaderValue};
use serde::Deserialize;

use super::*;

/// Parses and normalises one authorizer event through the `aws_lambda_events` types.
pub fn parse_event(event: &[u8], config: &EventConfig) -> Result<AuthRequest<'static>, Reason> {
    let text = checked_text(event)?;
    match shape_of(text)? {
        EventShape::RestToken => parse_token_event(text),
        EventShape::RestRequest => parse_rest_request(text, config),
        EventShape::HttpV2 => parse_http_v2(text, config),
    }
}

/// The typed parse, from text already checked to be UTF-8 (`from_str` does not check again).
fn from_json<'a, T: Deserialize<'a>>(event: &'a str) -> Result<T, Reason> {
    serde_json::from_str(event).map_err(|_| EVENT_MALFORMED)
}

/// The REST and HTTP API certificate objects are two library types with the same fields.
macro_rules! client_cert {
    ($c:expr) => {{
        let c = $c;
        ClientCert {
            pem: c.client_cert_pem.unwrap_or_default().into(),
            serial_number: c.serial_number.unwrap_or_default().into(),
        }
    }};
}

fn parse_token_event(event: &str) -> Result<AuthRequest<'static>, Reason> {
    let e: ApiGatewayCustomAuthorizerRequest = from_json(event)?;
    let arn = parse_arn(e.method_arn.as_deref())?;
    let token = match e.authorization_token.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(bearer_token(raw.as_bytes())?.into()),
    };
    Ok(AuthRequest { shape: EventShape::RestToken, arn, route: None, token, client_cert: None })
}

fn parse_rest_request(event: &str, config: &EventConfig) -> Result<AuthRequest<'static>, Reason> {
    let e: ApiGatewayCustomAuthorizerRequestTypeRequest = from_json(event)?;
    let arn = parse_arn(e.method_arn.as_deref())?;
    check_headers(&e.headers)?;
    check_headers(&e.multi_value_headers)?;
    // `headers` keeps the last value of a repeated header; `multiValueHeaders` has them all.
    if e.multi_value_headers.get_all(config.token_header.as_str()).iter().nth(1).is_some() {
        return Err(TOKEN_HEADER_REPEATED);
    }
    let token = token_from_headers(&e.headers, config)?;
    let client_cert = e.request_context.identity.and_then(|i| i.client_cert).map(|c| client_cert!(c));
    Ok(AuthRequest { shape: EventShape::RestRequest, arn, route: None, token, client_cert })
}

fn parse_http_v2(event: &str, config: &EventConfig) -> Result<AuthRequest<'static>, Reason> {
    let e: ApiGatewayV2CustomAuthorizerV2Request = from_json(event)?;
    let arn = parse_arn(e.route_arn.as_deref())?;
    check_headers(&e.headers)?;
    let token = token_from_headers(&e.headers, config)?;
    let http = &e.request_context.http;
    let route = route_of(&arn, http.method.as_str(), http.path.as_deref().or(e.raw_path.as_deref()))?;
    let client_cert = e.request_context.authentication.and_then(|a| a.client_cert).map(|c| client_cert!(c));
    Ok(AuthRequest { shape: EventShape::HttpV2, arn, route, token, client_cert })
}

/// Refuses header sets over API Gateway's 10 KiB of values. (Values that are not visible
/// ASCII matter only in the token header; [`bearer_token`] refuses them there.)
fn check_headers(headers: &HeaderMap) -> Result<(), Reason> {
    let mut total = 0usize;
    for value in headers.values() {
        total = total.saturating_add(value.len());
        if total > MAX_HEADER_BYTES {
            return Err(HEADERS_TOO_LARGE);
        }
    }
    Ok(())
}

fn token_from_headers(headers: &HeaderMap, config: &EventConfig) -> Result<Option<Cow<'static, str>>, Reason> {
    let mut values = headers.get_all(config.token_header.as_str()).iter();
    let Some(first) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(TOKEN_HEADER_REPEATED);
    }
    header_token(first)
}

fn header_token(value: &HeaderValue) -> Result<Option<Cow<'static, str>>, Reason> {
    if value.is_empty() {
        return Ok(None);
    }
    bearer_token(value.as_bytes()).map(|t| Some(t.into()))
}
