//! Test harness shared by the integration tests: event fixtures, log capture, local servers
//! (moto DynamoDB, JWKS, a Lambda Runtime API) and generated keys and certificates.

pub mod fixtures;
pub mod logs;
pub mod runtime_api;
pub mod registry;
pub mod moto;
pub mod certs;
pub mod slow_proxy;
