//! The certificate authority: a root and an issuing intermediate made with rcgen (ECDSA
//! P-256), and the client certificates the intermediate signs.
//!
//! - Root: self-signed, `basicConstraints` CA with path length 1, key usage `keyCertSign`
//!   and `cRLSign`.
//! - Intermediate: signed by the root, CA with path length 0 (it may sign only end-entity
//!   certificates), `keyCertSign` and `cRLSign`, authority key identifier.
//! - Client: signed by the intermediate, `CA:FALSE`, `digitalSignature`, extended key usage
//!   `clientAuth`, a random positive 128-bit serial, the client_id in the subject CN and,
//!   with the `uri_san:<prefix>` rule, also in the URI SAN `<prefix><client_id>`. Every new
//!   certificate is read back with the authorizer's own parser (`mtls::cert::cert_facts`),
//!   so a certificate the authorizer would not map to its client_id is never handed out.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use shared::mtls::cert::{CertFacts, ClientIdRule, cert_facts, pem_to_der};
use shared::mtls::dn;
use time::OffsetDateTime;
use x509_parser::asn1_rs::Tag;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use crate::error::{CtlError, Result};
use crate::state::{State, read_text};

/// Longest client_id `issue` and `rotate` accept (it names a directory).
pub const MAX_NEW_CLIENT_ID: usize = 128;
/// Certificates start this long before "now", for clocks that run a little behind.
const BACKDATE_SECS: i64 = 300;
const DAY: i64 = 86_400;

/// What `ca init` makes.
#[derive(Clone, Debug)]
pub struct CaSpec {
    pub org: String,
    pub root_days: u32,
    pub intermediate_days: u32,
}

/// What `ca init` made.
#[derive(Clone, Debug)]
pub struct CaSummary {
    /// Normalised subject DNs (`mtls::dn`); the intermediate's is the `issuer` of every item.
    pub root_subject: String,
    pub intermediate_subject: String,
    pub root_not_after: i64,
    pub intermediate_not_after: i64,
}

/// Makes the root and the intermediate and writes them to `state`; an existing CA is a conflict.
pub fn init(state: &State, spec: &CaSpec, now: i64) -> Result<CaSummary> {
    let org = spec.org.trim();
    if org.is_empty() || org.len() > 64 || org.chars().any(char::is_control) {
        return Err(CtlError::Usage(format!("--org {:?}: expected 1 to 64 printable characters", spec.org)));
    }
    if spec.intermediate_days > spec.root_days {
        return Err(CtlError::Usage(format!(
            "--intermediate-days {}: expected at most --root-days ({})",
            spec.intermediate_days, spec.root_days
        )));
    }
    let (root, intermediate) = (state.root(), state.intermediate());
    if [&root.cert, &root.key, &intermediate.cert, &intermediate.key].iter().any(|p| p.exists()) {
        return Err(CtlError::Conflict(format!(
            "a CA already exists in {}: use another --dir, or remove it to start over",
            state.dir().display()
        )));
    }
    let failed = |e: rcgen::Error| CtlError::Local(format!("cannot make the CA: {e}"));
    let root_not_after = now + i64::from(spec.root_days) * DAY;
    let intermediate_not_after = now + i64::from(spec.intermediate_days) * DAY;
    let root_params = ca_params(org, &format!("{org} Root CA"), 1, now, root_not_after)?;
    let root_key = KeyPair::generate().map_err(failed)?;
    let root_cert = root_params.self_signed(&root_key).map_err(failed)?;
    let root_issuer = Issuer::new(root_params, root_key);
    let mut params = ca_params(org, &format!("{org} Issuing CA"), 0, now, intermediate_not_after)?;
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().map_err(failed)?;
    let cert = params.signed_by(&key, &root_issuer).map_err(failed)?;
    state.save(&root, &root_cert.pem(), &root_issuer.key().serialize_pem())?;
    state.save(&intermediate, &cert.pem(), &key.serialize_pem())?;
    Ok(CaSummary {
        root_subject: subject_of(&root_cert.pem())?,
        intermediate_subject: subject_of(&cert.pem())?,
        root_not_after,
        intermediate_not_after,
    })
}

fn ca_params(org: &str, cn: &str, path_len: u8, now: i64, not_after: i64) -> Result<CertificateParams> {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::OrganizationName, org);
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(path_len));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.serial_number = Some(random_serial()?);
    params.not_before = datetime(now - BACKDATE_SECS)?;
    params.not_after = datetime(not_after)?;
    Ok(params)
}

/// The normalised subject DN of a PEM certificate.
fn subject_of(pem: &str) -> Result<String> {
    let der = pem_to_der(pem).map_err(|r| CtlError::Local(format!("cannot read back a new CA certificate: {r}")))?;
    let (_, cert) = X509Certificate::from_der(&der)
        .map_err(|e| CtlError::Local(format!("cannot read back a new CA certificate: {e}")))?;
    Ok(dn::normalise_name(cert.subject()))
}

/// The intermediate CA, ready to sign.
#[derive(Debug)]
pub struct Signer {
    issuer: Issuer<'static, KeyPair>,
    /// The intermediate's `notAfter` (Unix seconds); no client certificate outlives it.
    pub not_after: i64,
    /// The intermediate's normalised subject DN.
    pub subject: String,
}

/// Loads the intermediate's certificate and key from `state` and checks that they belong
/// together.
pub fn load_signer(state: &State) -> Result<Signer> {
    let files = state.intermediate();
    let cert_pem = read_text(&files.cert, "intermediate CA certificate")?;
    let key_pem = state.read_key(&files.key, "intermediate CA key")?;
    let cert_path = files.cert.display();
    let bad_cert = |what: &str| CtlError::Local(format!("intermediate CA certificate {cert_path}: {what}"));
    let der = pem_to_der(&cert_pem).map_err(|_| bad_cert("expected one PEM CERTIFICATE block"))?;
    let (_, cert) = X509Certificate::from_der(&der).map_err(|_| bad_cert("not an X.509 certificate"))?;
    if !cert.is_ca() {
        return Err(bad_cert("not a CA certificate"));
    }
    let key_path = files.key.display();
    let key = KeyPair::from_pem(&key_pem).map_err(|_| {
        CtlError::Local(format!("intermediate CA key {key_path}: expected a PEM private key (PKCS#8) rcgen can use"))
    })?;
    if key.public_key_raw() != cert.public_key().subject_public_key.data.as_ref() {
        return Err(CtlError::Local(format!("intermediate CA key {key_path}: does not belong to {cert_path}")));
    }
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen_name(cert.subject()).map_err(|e| bad_cert(&e))?;
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    Ok(Signer {
        issuer: Issuer::new(params, key),
        not_after: cert.validity().not_after.timestamp(),
        subject: dn::normalise_name(cert.subject()),
    })
}

/// The same name, attribute for attribute and string type for string type, so the issuer
/// of a new certificate is byte for byte the intermediate's subject.
fn rcgen_name(name: &X509Name<'_>) -> std::result::Result<DistinguishedName, String> {
    let mut out = DistinguishedName::new();
    for atv in name.iter_attributes() {
        let oid = atv.attr_type().to_id_string();
        let kind = match oid.as_str() {
            "2.5.4.3" => DnType::CommonName,
            "2.5.4.10" => DnType::OrganizationName,
            "2.5.4.11" => DnType::OrganizationalUnitName,
            "2.5.4.6" => DnType::CountryName,
            "2.5.4.7" => DnType::LocalityName,
            "2.5.4.8" => DnType::StateOrProvinceName,
            _ => return Err(format!("subject attribute {oid} is not supported")),
        };
        let text = atv.as_str().map_err(|_| format!("subject attribute {oid} is not a string"))?.to_owned();
        let value = match atv.attr_value().tag() {
            Tag::Utf8String => DnValue::Utf8String(text),
            Tag::PrintableString => DnValue::PrintableString(
                text.try_into().map_err(|_| format!("subject attribute {oid} is not a printable string"))?,
            ),
            _ => return Err(format!("subject attribute {oid} has an unsupported string type")),
        };
        out.push(kind, value);
    }
    Ok(out)
}

/// Refuses a client_id `issue` or `rotate` cannot use: 1 to 128 of `A-Z a-z 0-9 . _ - @`,
/// starting with a letter or digit (it names the directory of the client's files).
pub fn check_new_client_id(client_id: &str) -> Result<()> {
    let ok = !client_id.is_empty()
        && client_id.len() <= MAX_NEW_CLIENT_ID
        && client_id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && client_id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'));
    if ok {
        Ok(())
    } else {
        Err(CtlError::Usage(format!(
            "--client-id {client_id:?}: expected 1 to {MAX_NEW_CLIENT_ID} of A-Z a-z 0-9 . _ - @, starting with a letter or digit"
        )))
    }
}

/// A new client certificate, its key, and what the authorizer will read from it.
#[derive(Debug)]
pub struct IssuedClient {
    pub cert_pem: String,
    pub key_pem: String,
    pub facts: CertFacts,
}

/// Issues a certificate for `client_id`, valid `days` days from `now`.
pub fn issue_client(
    signer: &Signer,
    client_id: &str,
    rule: &ClientIdRule,
    days: u32,
    now: i64,
) -> Result<IssuedClient> {
    check_new_client_id(client_id)?;
    let not_after = now + i64::from(days) * DAY;
    if not_after > signer.not_after {
        return Err(CtlError::Usage(format!(
            "--days {days}: the certificate would outlive the intermediate CA (valid until {})",
            crate::output::utc(signer.not_after)
        )));
    }
    let failed = |e: rcgen::Error| CtlError::Local(format!("cannot make the certificate: {e}"));
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, client_id);
    if let ClientIdRule::UriSan { prefix } = rule {
        let uri = format!("{prefix}{client_id}");
        let uri = uri.try_into().map_err(|_| CtlError::Usage(format!("--client-id {client_id:?}: not URI-safe")))?;
        params.subject_alt_names = vec![SanType::URI(uri)];
    }
    params.serial_number = Some(random_serial()?);
    params.not_before = datetime(now - BACKDATE_SECS)?;
    params.not_after = datetime(not_after)?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().map_err(failed)?;
    let cert = params.signed_by(&key, &signer.issuer).map_err(failed)?;
    let cert_pem = cert.pem();
    let facts = cert_facts(&cert_pem, rule).ok().filter(|f| f.client_id == client_id).ok_or_else(|| {
        CtlError::Usage(format!("--client-id {client_id:?}: the client_id rule would not read it back"))
    })?;
    Ok(IssuedClient { cert_pem, key_pem: key.serialize_pem(), facts })
}

/// 16 random bytes, the first in `0x40..=0x7f`: positive, never zero, always 16 bytes.
fn random_serial() -> Result<SerialNumber> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| CtlError::Local("no random numbers for a serial".to_owned()))?;
    bytes[0] = (bytes[0] & 0x3f) | 0x40;
    Ok(SerialNumber::from_slice(&bytes))
}

fn datetime(unix: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(unix).map_err(|_| CtlError::Usage(format!("time {unix} is out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(client_id: &str, ok: bool) {
        assert_eq!(check_new_client_id(client_id).is_ok(), ok, "{client_id:?}");
    }

    #[test]
    fn new_client_ids() {
        for good in ["billing", "payments-frontend", "a", "svc.orders_v2@eu", &"a".repeat(MAX_NEW_CLIENT_ID)] {
            check(good, true);
        }
        let long = "a".repeat(MAX_NEW_CLIENT_ID + 1);
        for bad in ["", ".hidden", "-x", "../etc", "a/b", "a b", "é", "a\n", long.as_str()] {
            check(bad, false);
        }
    }
}
