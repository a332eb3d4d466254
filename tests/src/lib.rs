//! Test harness shared by the integration tests: event fixtures, log capture, local servers
//! (moto DynamoDB, JWKS, a Lambda Runtime API) and generated keys and certificates.
//!
//! This is test support: a fixture that cannot be read or a server that cannot start must
//! fail the test loudly, so panicking is allowed here (and only here).
#![allow(clippy::panic, clippy::indexing_slicing)]

pub mod certs;
pub mod fixtures;
pub mod logs;
pub mod moto;
pub mod registry;
pub mod runtime_api;
pub mod slow_proxy;
