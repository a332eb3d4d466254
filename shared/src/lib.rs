//! The zero-trust authorizer's library: every decision lives here, as plain functions and
//! types a test can call without Lambda.
//!
//! The pipeline ([`authorizer::Authorizer`]) turns an API Gateway authorizer event into a
//! response: [`event`] normalises the three event shapes into a [`request::AuthRequest`],
//! [`jwt`] and [`mtls`] turn credentials into a [`decision::Identity`] or a
//! [`decision::Rejection`], [`policy`] decides which routes that identity may call, and
//! [`response`] writes the IAM policy or the HTTP API simple response.

pub mod arn;
pub mod authorizer;
pub mod config;
pub mod decision;
pub mod event;
mod json;
pub mod jwt;
pub mod logging;
pub mod mtls;
pub mod policy;
pub mod request;
pub mod response;
pub mod telemetry;
