//! What commands print: one JSON document with stable field names (`--output json`) or
//! lines for people (`--output text`, the default). Errors go to stderr in the same format.

use serde_json::{Value, json};
use shared::mtls::registry::{RegistryItem, Status};

use crate::error::CtlError;

/// The `revoked_reason` a rotation records on the certificates it replaces.
pub const ROTATED: &str = "rotated";

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// A command's result in both formats.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub json: Value,
    pub text: String,
}

impl Report {
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => serde_json::to_string_pretty(&self.json).unwrap_or_default(),
            Format::Text => self.text.trim_end().to_owned(),
        }
    }
}

/// The error as printed on stderr.
pub fn render_error(error: &CtlError, format: Format) -> String {
    match format {
        Format::Json => {
            let body =
                json!({"error": {"kind": error.kind(), "message": error.to_string(), "exit_code": error.exit_code()}});
            serde_json::to_string_pretty(&body).unwrap_or_default()
        }
        Format::Text => format!("clientctl: {}: {error}", error.kind().replace('_', " ")),
    }
}

/// What the authorizer does with the item at `now`, as far as the registry decides it:
/// `active`, `rotating` (active until a rotation's cut-off), `rotated` (past that cut-off),
/// `expired` (past `not_after`), `suspended` or `revoked`.
pub fn effective_status(item: &RegistryItem, now: u64) -> &'static str {
    let rotated = item.revoked_reason.as_deref() == Some(ROTATED);
    match item.status {
        Status::Revoked => "revoked",
        Status::Suspended => "suspended",
        Status::Active if now > item.not_after && rotated => "rotated",
        Status::Active if now > item.not_after => "expired",
        Status::Active if rotated => "rotating",
        Status::Active => "active",
    }
}

/// An item as JSON: the registry's attribute names, plus `effective_status`.
pub fn item_json(item: &RegistryItem, now: u64) -> Value {
    json!({
        "client_id": item.client_id,
        "serial": item.serial,
        "status": item.status.as_str(),
        "effective_status": effective_status(item, now),
        "not_after": item.not_after,
        "issuer": item.issuer,
        "cert_sha256": item.cert_sha256,
        "tenant": item.tenant,
        "scopes": item.scopes,
        "created_at": item.created_at,
        "revoked_at": item.revoked_at,
        "revoked_reason": item.revoked_reason,
    })
}

/// An item on one line: client, serial, effective status, then what is set.
pub fn item_line(item: &RegistryItem, now: u64) -> String {
    let mut line = format!(
        "{}  {}  {}  not_after={}",
        item.client_id,
        item.serial,
        effective_status(item, now),
        utc(i64::try_from(item.not_after).unwrap_or(i64::MAX))
    );
    if let Some(tenant) = &item.tenant {
        line.push_str(&format!("  tenant={tenant}"));
    }
    if !item.scopes.is_empty() {
        line.push_str(&format!("  scopes={}", item.scopes.join(",")));
    }
    if let Some(reason) = &item.revoked_reason {
        line.push_str(&format!("  reason={reason:?}"));
    }
    line
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, UTC).
pub fn utc(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    // civil_from_days (H. Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        for (unix, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_748_736_000, "2025-06-01T00:00:00Z"),
            (1_790_000_000, "2026-09-21T14:13:20Z"),
            (4_102_444_799, "2099-12-31T23:59:59Z"),
            (-1, "1969-12-31T23:59:59Z"),
        ] {
            assert_eq!(utc(unix), text, "{unix}");
        }
    }

    #[test]
    fn effective_statuses() {
        let active = RegistryItem::active("c", "1", 100, 0);
        let rotating =
            RegistryItem { revoked_reason: Some(ROTATED.to_owned()), revoked_at: Some(100), ..active.clone() };
        let cases = [
            (&active, 100, "active"),
            (&active, 101, "expired"),
            (&rotating, 100, "rotating"),
            (&rotating, 101, "rotated"),
            (&RegistryItem { status: Status::Suspended, ..active.clone() }, 0, "suspended"),
            (&RegistryItem { status: Status::Revoked, ..rotating.clone() }, 0, "revoked"),
        ];
        for (item, now, expected) in cases {
            assert_eq!(effective_status(item, now), expected, "{item:?} at {now}");
        }
    }

    #[test]
    fn errors_name_their_kind() {
        let e = CtlError::NotFound("client x: no certificate with serial 1 in the registry".to_owned());
        assert_eq!(
            render_error(&e, Format::Text),
            "clientctl: not found: client x: no certificate with serial 1 in the registry"
        );
        let json: Value = serde_json::from_str(&render_error(&e, Format::Json)).unwrap();
        assert_eq!(json["error"]["kind"], "not_found");
        assert_eq!(json["error"]["exit_code"], 2);
    }
}
