//! The client registry: the item format (the one definition the authorizer and the
//! provisioning tool share), its DynamoDB attribute map, and the lookup port.
//!
//! Table: partition key `client_id` (S), sort key `serial` (S, canonical serial, see
//! `mtls::serial`); one item per certificate, so two certificates of one client can be
//! active during a rotation and one can be revoked alone.
//!
//! | attribute | type | meaning |
//! |---|---|---|
//! | `client_id` | S | partition key |
//! | `serial` | S | sort key, canonical serial |
//! | `status` | S | `active`, `revoked` or `suspended` (required) |
//! | `not_after` | N | Unix seconds after which the registration no longer allows (required) |
//! | `issuer` | S | normalised issuer DN (`mtls::dn`); when present the certificate's issuer must match |
//! | `cert_sha256` | S | SHA-256 of the certificate's DER, 64 lower-case hex digits; the presented certificate must be exactly this one; required unless `AUTHZ_MTLS_REQUIRE_CERT_PIN=false` (`clientctl` always writes it) |
//! | `tenant` | S | optional, copied to the context |
//! | `scopes` | L of S, or SS | optional, copied to the context (no whitespace, none empty) |
//! | `routes` | L of S, or SS | optional `METHOD /path` patterns this client may call |
//! | `usage_plan_key` | S | optional REST usage-plan API key (`usageIdentifierKey`) |
//! | `created_at` | N | Unix seconds |
//! | `revoked_at` | N | optional, Unix seconds |
//! | `revoked_reason` | S | optional |
//! | `expires_at` | N | DynamoDB TTL attribute: `not_after` + 90 days |
//!
//! Unknown attributes are ignored. An item with a missing or mistyped required attribute,
//! a mistyped optional one, or an unknown status is malformed: a fault, never an allow.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use aws_sdk_dynamodb::types::AttributeValue;

use super::{REGISTRY_ERROR, REGISTRY_ITEM_MALFORMED, REGISTRY_THROTTLED, REGISTRY_TIMEOUT, REGISTRY_UNAVAILABLE, dn};
use crate::decision::{Reason, is_scope_word};

pub const PARTITION_KEY: &str = "client_id";
pub const SORT_KEY: &str = "serial";
/// The DynamoDB TTL attribute.
pub const EXPIRES_AT: &str = "expires_at";
/// How long after `not_after` the DynamoDB TTL removes an item.
pub const EXPIRES_AFTER_NOT_AFTER_SECS: u64 = 90 * 24 * 3600;

/// A registration's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Allowed while `not_after` has not passed.
    Active,
    /// Permanently withdrawn: Unauthorized.
    Revoked,
    /// Known but temporarily not permitted: Deny (403).
    Suspended,
}

impl Status {
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Revoked => "revoked",
            Status::Suspended => "suspended",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "active" => Some(Status::Active),
            "revoked" => Some(Status::Revoked),
            "suspended" => Some(Status::Suspended),
            _ => None,
        }
    }
}

/// One registered certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryItem {
    pub client_id: String,
    /// Canonical serial.
    pub serial: String,
    pub status: Status,
    pub not_after: u64,
    /// Normalised issuer DN; read items are normalised on the way in.
    pub issuer: Option<String>,
    /// SHA-256 of the registered certificate's DER, lower-case hex.
    pub cert_sha256: Option<String>,
    pub tenant: Option<String>,
    pub scopes: Vec<String>,
    pub routes: Vec<String>,
    pub usage_plan_key: Option<String>,
    pub created_at: Option<u64>,
    pub revoked_at: Option<u64>,
    pub revoked_reason: Option<String>,
    /// DynamoDB TTL; [`RegistryItem::active`] sets it to `not_after` + 90 days.
    pub expires_at: Option<u64>,
}

impl RegistryItem {
    /// An active registration with nothing optional set.
    pub fn active(client_id: &str, serial: &str, not_after: u64, created_at: u64) -> Self {
        RegistryItem {
            client_id: client_id.to_owned(),
            serial: serial.to_owned(),
            status: Status::Active,
            not_after,
            issuer: None,
            cert_sha256: None,
            tenant: None,
            scopes: Vec::new(),
            routes: Vec::new(),
            usage_plan_key: None,
            created_at: Some(created_at),
            revoked_at: None,
            revoked_reason: None,
            expires_at: Some(not_after.saturating_add(EXPIRES_AFTER_NOT_AFTER_SECS)),
        }
    }

    /// The key of an item, as `GetItem` wants it.
    pub fn key(client_id: &str, serial: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (PARTITION_KEY.to_owned(), AttributeValue::S(client_id.to_owned())),
            (SORT_KEY.to_owned(), AttributeValue::S(serial.to_owned())),
        ])
    }

    /// The attribute map `PutItem` writes. Empty lists and unset options are left out.
    pub fn to_attributes(&self) -> HashMap<String, AttributeValue> {
        let mut item = Self::key(&self.client_id, &self.serial);
        let mut put = |name: &str, value: AttributeValue| {
            item.insert(name.to_owned(), value);
        };
        put("status", AttributeValue::S(self.status.as_str().to_owned()));
        put("not_after", AttributeValue::N(self.not_after.to_string()));
        let strings = [
            ("issuer", &self.issuer),
            ("cert_sha256", &self.cert_sha256),
            ("tenant", &self.tenant),
            ("usage_plan_key", &self.usage_plan_key),
            ("revoked_reason", &self.revoked_reason),
        ];
        for (name, value) in strings {
            if let Some(v) = value {
                put(name, AttributeValue::S(v.clone()));
            }
        }
        let numbers = [("created_at", self.created_at), ("revoked_at", self.revoked_at), (EXPIRES_AT, self.expires_at)];
        for (name, value) in numbers {
            if let Some(v) = value {
                put(name, AttributeValue::N(v.to_string()));
            }
        }
        for (name, list) in [("scopes", &self.scopes), ("routes", &self.routes)] {
            if !list.is_empty() {
                put(name, AttributeValue::L(list.iter().cloned().map(AttributeValue::S).collect()));
            }
        }
        item
    }

    /// Reads an item; any missing or mistyped attribute is an error naming it.
    pub fn from_attributes(item: &HashMap<String, AttributeValue>) -> Result<Self, RegistryError> {
        let client_id = required(item, PARTITION_KEY, string)?;
        let serial = required(item, SORT_KEY, string)?;
        let status_text = required(item, "status", string)?;
        let status = Status::parse(&status_text).ok_or_else(|| malformed("status", "active, revoked or suspended"))?;
        let issuer = match optional(item, "issuer", string)? {
            None => None,
            Some(dn) => Some(dn::normalise_str(&dn).map_err(|_| malformed("issuer", "a distinguished name"))?),
        };
        let cert_sha256 = optional(item, "cert_sha256", string)?;
        if cert_sha256
            .as_ref()
            .is_some_and(|h| h.len() != 64 || !h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        {
            return Err(malformed("cert_sha256", "64 lower-case hex digits"));
        }
        Ok(RegistryItem {
            client_id,
            serial,
            status,
            not_after: required(item, "not_after", number)?,
            issuer,
            cert_sha256,
            tenant: optional(item, "tenant", string)?,
            scopes: optional(item, "scopes", strings)?.map(words).transpose()?.unwrap_or_default(),
            routes: optional(item, "routes", strings)?.unwrap_or_default(),
            usage_plan_key: optional(item, "usage_plan_key", string)?,
            created_at: optional(item, "created_at", number)?,
            revoked_at: optional(item, "revoked_at", number)?,
            revoked_reason: optional(item, "revoked_reason", string)?,
            expires_at: optional(item, EXPIRES_AT, number)?,
        })
    }
}

/// Scopes reach the authorizer context joined with spaces ([`is_scope_word`]; `clientctl`
/// writes no other kind).
fn words(scopes: Vec<String>) -> Result<Vec<String>, RegistryError> {
    if scopes.iter().all(|s| is_scope_word(s)) {
        Ok(scopes)
    } else {
        Err(malformed("scopes", "scopes without whitespace"))
    }
}

fn malformed(name: &str, expected: &str) -> RegistryError {
    RegistryError::MalformedItem(format!("attribute {name}: expected {expected}"))
}

fn required<T>(
    item: &HashMap<String, AttributeValue>,
    name: &str,
    read: fn(&AttributeValue) -> Result<T, &'static str>,
) -> Result<T, RegistryError> {
    optional(item, name, read)?.ok_or_else(|| RegistryError::MalformedItem(format!("attribute {name}: missing")))
}

fn optional<T>(
    item: &HashMap<String, AttributeValue>,
    name: &str,
    read: fn(&AttributeValue) -> Result<T, &'static str>,
) -> Result<Option<T>, RegistryError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(value) => read(value).map(Some).map_err(|expected| malformed(name, expected)),
    }
}

fn string(value: &AttributeValue) -> Result<String, &'static str> {
    match value {
        AttributeValue::S(s) => Ok(s.clone()),
        _ => Err("a string (S)"),
    }
}

fn number(value: &AttributeValue) -> Result<u64, &'static str> {
    const EXPECTED: &str = "a whole non-negative number (N)";
    match value {
        AttributeValue::N(n) => n.trim().parse().map_err(|_| EXPECTED),
        _ => Err(EXPECTED),
    }
}

fn strings(value: &AttributeValue) -> Result<Vec<String>, &'static str> {
    const EXPECTED: &str = "a list of strings (L of S, or SS)";
    match value {
        AttributeValue::Ss(list) => Ok(list.clone()),
        AttributeValue::L(list) => list.iter().map(|v| string(v).map_err(|_| EXPECTED)).collect(),
        _ => Err(EXPECTED),
    }
}

/// Why a lookup could not be completed. Every variant is a fault: the request is denied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("registry throttled the lookup")]
    Throttled,
    #[error("registry lookup timed out")]
    Timeout,
    #[error("registry unreachable: {0}")]
    Unavailable(String),
    #[error("registry item malformed: {0}")]
    MalformedItem(String),
    #[error("registry lookup failed: {0}")]
    Other(String),
}

impl RegistryError {
    pub const fn reason(&self) -> Reason {
        match self {
            RegistryError::Throttled => REGISTRY_THROTTLED,
            RegistryError::Timeout => REGISTRY_TIMEOUT,
            RegistryError::Unavailable(_) => REGISTRY_UNAVAILABLE,
            RegistryError::MalformedItem(_) => REGISTRY_ITEM_MALFORMED,
            RegistryError::Other(_) => REGISTRY_ERROR,
        }
    }
}

/// A boxed, sendable future, so [`ClientRegistry`] stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The registry port: at most one call per decision, for one (client_id, canonical serial).
pub trait ClientRegistry: Send + Sync + std::fmt::Debug {
    /// `Ok(None)` when no item has this key.
    fn get<'a>(
        &'a self,
        client_id: &'a str,
        serial: &'a str,
    ) -> BoxFuture<'a, Result<Option<RegistryItem>, RegistryError>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.to_owned())
    }

    fn n(v: &str) -> AttributeValue {
        AttributeValue::N(v.to_owned())
    }

    fn full() -> RegistryItem {
        RegistryItem {
            issuer: Some("C=us,O=example,CN=example issuing ca".to_owned()),
            cert_sha256: Some("0f".repeat(32)),
            tenant: Some("t1".to_owned()),
            scopes: vec!["orders:read".to_owned(), "orders:write".to_owned()],
            routes: vec!["GET /orders/*".to_owned()],
            usage_plan_key: Some("key-1".to_owned()),
            revoked_at: Some(5),
            revoked_reason: Some("key compromise".to_owned()),
            ..RegistryItem::active("billing", "1000", 2_000_000_000, 1_700_000_000)
        }
    }

    #[test]
    fn round_trip() {
        for item in [full(), RegistryItem::active("a", "0", 1, 0)] {
            assert_eq!(RegistryItem::from_attributes(&item.to_attributes()), Ok(item));
        }
        assert_eq!(full().to_attributes().get("expires_at"), Some(&n("2007776000")));
    }

    #[track_caller]
    fn check(changes: &[(&str, Option<AttributeValue>)], expected: Result<RegistryItem, &str>) {
        let mut attrs = RegistryItem::active("billing", "1000", 10, 1).to_attributes();
        for (name, value) in changes {
            match value {
                Some(v) => attrs.insert((*name).to_owned(), v.clone()),
                None => attrs.remove(*name),
            };
        }
        let expected = expected.map_err(|m| RegistryError::MalformedItem(m.to_owned()));
        assert_eq!(RegistryItem::from_attributes(&attrs), expected);
    }

    #[test]
    fn reading_items() {
        let base = RegistryItem::active("billing", "1000", 10, 1);
        check(&[], Ok(base.clone()));
        check(&[("unknown", Some(s("x")))], Ok(base.clone()));
        check(
            &[("scopes", Some(AttributeValue::Ss(vec!["a".to_owned()]))), ("issuer", Some(s(" cn = X ")))],
            Ok(RegistryItem { scopes: vec!["a".to_owned()], issuer: Some("CN=x".to_owned()), ..base.clone() }),
        );
        check(&[("tenant", Some(AttributeValue::Null(true)))], Ok(base.clone()));
        check(&[("status", None)], Err("attribute status: missing"));
        check(&[("status", Some(s("Active")))], Err("attribute status: expected active, revoked or suspended"));
        check(&[("status", Some(n("1")))], Err("attribute status: expected a string (S)"));
        check(&[("not_after", None)], Err("attribute not_after: missing"));
        check(&[("not_after", Some(s("10")))], Err("attribute not_after: expected a whole non-negative number (N)"));
        check(&[("not_after", Some(n("-1")))], Err("attribute not_after: expected a whole non-negative number (N)"));
        check(&[("tenant", Some(n("1")))], Err("attribute tenant: expected a string (S)"));
        let pin = "ab".repeat(32);
        check(&[("cert_sha256", Some(s(&pin)))], Ok(RegistryItem { cert_sha256: Some(pin.clone()), ..base.clone() }));
        for bad in ["AB".repeat(32), "ab".repeat(31), "ab".repeat(33), format!("{}zz", "ab".repeat(31))] {
            check(&[("cert_sha256", Some(s(&bad)))], Err("attribute cert_sha256: expected 64 lower-case hex digits"));
        }
        check(&[("scopes", Some(s("a b")))], Err("attribute scopes: expected a list of strings (L of S, or SS)"));
        for bad in ["a b", "", "a\u{3000}b"] {
            let list = AttributeValue::L(vec![s("orders:read"), s(bad)]);
            check(&[("scopes", Some(list))], Err("attribute scopes: expected scopes without whitespace"));
        }
        check(
            &[("routes", Some(AttributeValue::L(vec![n("1")])))],
            Err("attribute routes: expected a list of strings (L of S, or SS)"),
        );
        check(&[("issuer", Some(s("nonsense")))], Err("attribute issuer: expected a distinguished name"));
    }
}
