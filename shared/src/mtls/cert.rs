//! The client certificate: strict PEM, X.509 parsing, and the facts the verifier needs
//! (canonical serial, validity, normalised issuer, URI SANs, client_id, SHA-256).
//!
//! PEM rules: at most [`MAX_PEM_BYTES`]; only whitespace before `-----BEGIN CERTIFICATE-----`;
//! then base64 lines (the standard alphabet with padding, decoded strictly, no headers, no
//! blank lines) and `-----END CERTIFICATE-----`; only whitespace after it. So a second
//! block, trailing data, a `PRIVATE KEY` (or any other) label, and a PEM whose newlines
//! arrived as the two characters `\n` are all malformed. The DER must be one certificate
//! with no trailing bytes.

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::OID_X509_EXT_BASIC_CONSTRAINTS;
use x509_parser::prelude::FromDer;

use super::serial::{Serial, lower_hex};
use super::{
    MTLS_CERT_IS_CA, MTLS_CERT_MALFORMED, MTLS_CLIENT_ID_UNMATCHED, MTLS_PEM_MALFORMED, MTLS_PEM_TOO_LARGE, dn,
};
use crate::decision::Reason;

/// `clientCertPem` values longer than this are refused before any parsing.
pub const MAX_PEM_BYTES: usize = 16 * 1024;

/// Longest client_id accepted, in bytes.
pub const MAX_CLIENT_ID_BYTES: usize = 256;

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

/// Where the client_id comes from (`AUTHZ_MTLS_CLIENT_ID_FROM`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientIdRule {
    /// `subject_cn`: the subject's common name; exactly one CN.
    SubjectCn,
    /// `uri_san:<prefix>`: the rest of the one URI SAN that starts with `prefix`, e.g.
    /// prefix `spiffe://example.org/client/` and SAN `spiffe://example.org/client/billing`
    /// give `billing`. The rest may not contain `/`, `?` or `#`.
    UriSan { prefix: String },
}

impl ClientIdRule {
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value == "subject_cn" {
            return Ok(ClientIdRule::SubjectCn);
        }
        let Some(prefix) = value.strip_prefix("uri_san:") else {
            return Err(format!("expected subject_cn or uri_san:<prefix>, got {value:?}"));
        };
        let scheme = prefix.split(':').next().unwrap_or_default();
        let scheme_ok = prefix.contains(':')
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !scheme_ok || prefix.len() <= scheme.len() + 1 || !(prefix.ends_with('/') || prefix.ends_with(':')) {
            return Err(format!(
                "expected a URI prefix ending in / or : after uri_san:, such as spiffe://example.org/client/, got {prefix:?}"
            ));
        }
        Ok(ClientIdRule::UriSan { prefix: prefix.to_owned() })
    }
}

/// What the verifier needs from one certificate; computed once per distinct PEM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertFacts {
    pub serial: Serial,
    /// Unix seconds, inclusive on both ends.
    pub not_before: i64,
    pub not_after: i64,
    /// The issuer DN, normalised (see `mtls::dn`).
    pub issuer: String,
    pub uri_sans: Vec<String>,
    pub client_id: String,
    pub cert_sha256: [u8; 32],
    /// `cert_sha256` in lower-case hex: what a registry item's `cert_sha256` pin must equal
    /// (computed here, once per parsed and cached certificate, not per request).
    pub pin: String,
    /// `client_id`, NUL, canonical serial: the registry cache key.
    pub(crate) registry_key: String,
}

/// Parses the PEM and extracts the facts; every failure is a reason code (Unauthorized).
pub fn cert_facts(pem: &str, rule: &ClientIdRule) -> Result<CertFacts, Reason> {
    let der = pem_to_der(pem)?;
    let (rest, cert) = X509Certificate::from_der(&der).map_err(|_| MTLS_CERT_MALFORMED)?;
    if !rest.is_empty() {
        return Err(MTLS_CERT_MALFORMED);
    }
    let serial = Serial::from_der_bytes(cert.raw_serial()).ok_or(MTLS_CERT_MALFORMED)?;
    if is_ca(&cert)? {
        return Err(MTLS_CERT_IS_CA);
    }
    let uri_sans: Vec<String> = match cert.subject_alternative_name().map_err(|_| MTLS_CERT_MALFORMED)? {
        None => Vec::new(),
        Some(san) => san
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::URI(uri) => Some((*uri).to_owned()),
                _ => None,
            })
            .collect(),
    };
    let client_id = client_id(&cert, &uri_sans, rule).ok_or(MTLS_CLIENT_ID_UNMATCHED)?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der);
    let cert_sha256 = <[u8; 32]>::try_from(digest.as_ref()).map_err(|_| MTLS_CERT_MALFORMED)?;
    let registry_key = format!("{client_id}\0{}", serial.hex);
    Ok(CertFacts {
        serial,
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        issuer: dn::normalise_name(cert.issuer()),
        uri_sans,
        client_id,
        pin: lower_hex(&cert_sha256),
        cert_sha256,
        registry_key,
    })
}

/// The DER inside exactly one strict `CERTIFICATE` PEM block.
pub fn pem_to_der(pem: &str) -> Result<Vec<u8>, Reason> {
    use base64::Engine as _;
    if pem.len() > MAX_PEM_BYTES {
        return Err(MTLS_PEM_TOO_LARGE);
    }
    let mut lines = pem.trim_start().lines().map(|l| l.trim_end_matches([' ', '\t', '\r']));
    if lines.next() != Some(BEGIN) {
        return Err(MTLS_PEM_MALFORMED);
    }
    let mut body = String::with_capacity(pem.len());
    let mut ended = false;
    for line in lines.by_ref() {
        if line == END {
            ended = true;
            break;
        }
        if line.is_empty() {
            return Err(MTLS_PEM_MALFORMED);
        }
        body.push_str(line);
    }
    if !ended || body.is_empty() || lines.any(|l| !l.trim().is_empty()) {
        return Err(MTLS_PEM_MALFORMED);
    }
    base64::engine::general_purpose::STANDARD.decode(body.as_bytes()).map_err(|_| MTLS_PEM_MALFORMED)
}

/// Whether basicConstraints says CA. Fails closed where `X509Certificate::is_ca` would say
/// "not a CA": a repeated or unparseable basicConstraints is a malformed certificate.
fn is_ca(cert: &X509Certificate<'_>) -> Result<bool, Reason> {
    match cert.get_extension_unique(&OID_X509_EXT_BASIC_CONSTRAINTS) {
        Err(_) => Err(MTLS_CERT_MALFORMED),
        Ok(None) => Ok(false),
        Ok(Some(ext)) => match ext.parsed_extension() {
            ParsedExtension::BasicConstraints(bc) => Ok(bc.ca),
            _ => Err(MTLS_CERT_MALFORMED),
        },
    }
}

fn client_id(cert: &X509Certificate<'_>, uri_sans: &[String], rule: &ClientIdRule) -> Option<String> {
    match rule {
        ClientIdRule::SubjectCn => {
            let mut cns = cert.subject().iter_common_name();
            let cn = cns.next()?.as_str().ok()?;
            if cns.next().is_some() || !valid_client_id(cn) {
                return None;
            }
            Some(cn.to_owned())
        }
        ClientIdRule::UriSan { prefix } => {
            let mut ids = uri_sans.iter().filter_map(|uri| uri.strip_prefix(prefix.as_str()));
            let id = ids.next()?;
            // The id is one path segment: not `.` or `..`, no separator, query, fragment or
            // percent-escape (which could spell any of them).
            let segment = !id.contains(['/', '?', '#', '%']) && id != "." && id != "..";
            if ids.any(|other| other != id) || !segment || !valid_client_id(id) {
                return None;
            }
            Some(id.to_owned())
        }
    }
}

/// Non-empty, bounded, no surrounding whitespace, no control characters.
fn valid_client_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_CLIENT_ID_BYTES && id.trim() == id && !id.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_rule(value: &str, expected: Result<ClientIdRule, &str>) {
        assert_eq!(ClientIdRule::parse(value), expected.map_err(str::to_owned));
    }

    #[test]
    fn client_id_rules() {
        check_rule("subject_cn", Ok(ClientIdRule::SubjectCn));
        check_rule(
            "uri_san:spiffe://example.org/client/",
            Ok(ClientIdRule::UriSan { prefix: "spiffe://example.org/client/".to_owned() }),
        );
        check_rule(
            "uri_san:urn:example:client:",
            Ok(ClientIdRule::UriSan { prefix: "urn:example:client:".to_owned() }),
        );
        check_rule("cn", Err("expected subject_cn or uri_san:<prefix>, got \"cn\""));
        for bad in ["uri_san:", "uri_san:spiffe://example.org/client", "uri_san:/client/", "uri_san:spiffe:"] {
            let prefix = bad.trim_start_matches("uri_san:");
            check_rule(
                bad,
                Err(&format!(
                    "expected a URI prefix ending in / or : after uri_san:, such as spiffe://example.org/client/, got {prefix:?}"
                )),
            );
        }
    }

    fn sample_pem() -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, "billing");
        params.serial_number = Some(rcgen::SerialNumber::from(vec![0x10, 0x00]));
        params.self_signed(&key).unwrap().pem()
    }

    #[track_caller]
    fn check_pem(pem: &str, expected: Result<(), Reason>) {
        assert_eq!(pem_to_der(pem).map(|_| ()), expected, "{pem:?}");
    }

    #[test]
    fn pem_strictness() {
        let pem = sample_pem();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        check_pem(&pem, Ok(()));
        check_pem(&format!("\n  {pem}\n\n  "), Ok(()));
        check_pem(&pem.replace('\n', "\r\n"), Ok(()));
        check_pem(&format!("{BEGIN}\n{body}\n{END}"), Ok(()));
        check_pem("", Err(MTLS_PEM_MALFORMED));
        check_pem(&pem.replace('\n', "\\n"), Err(MTLS_PEM_MALFORMED));
        check_pem(&format!("{pem}{pem}"), Err(MTLS_PEM_MALFORMED));
        check_pem(&format!("{pem}trailing"), Err(MTLS_PEM_MALFORMED));
        check_pem(&format!("text before\n{pem}"), Err(MTLS_PEM_MALFORMED));
        check_pem(&pem.replace("CERTIFICATE", "PRIVATE KEY"), Err(MTLS_PEM_MALFORMED));
        check_pem(&pem[..pem.len() / 2], Err(MTLS_PEM_MALFORMED));
        check_pem(&format!("{BEGIN}\n{END}\n"), Err(MTLS_PEM_MALFORMED));
        check_pem(&format!("{BEGIN}\n{body}\n\n{END}\n"), Err(MTLS_PEM_MALFORMED));
        check_pem(&format!("{BEGIN}\n{}*\n{END}\n", &body[1..]), Err(MTLS_PEM_MALFORMED));
        check_pem(&format!("{BEGIN}\n=={body}\n{END}\n"), Err(MTLS_PEM_MALFORMED));
        check_pem(&format!("{BEGIN}\n{}\n{END}\n", "A".repeat(MAX_PEM_BYTES)), Err(MTLS_PEM_TOO_LARGE));
    }

    #[test]
    fn facts_of_a_certificate() {
        let facts = cert_facts(&sample_pem(), &ClientIdRule::SubjectCn).unwrap();
        assert_eq!((facts.client_id.as_str(), facts.serial.hex.as_str()), ("billing", "1000"));
        assert_eq!(facts.registry_key, "billing\u{0}1000");
        assert_eq!(facts.issuer, "CN=billing");
        let uri_rule = ClientIdRule::UriSan { prefix: "spiffe://example.org/client/".to_owned() };
        assert_eq!(cert_facts(&sample_pem(), &uri_rule), Err(MTLS_CLIENT_ID_UNMATCHED));
    }
}
