//! Test certificates made with rcgen: a root CA, intermediates, client certificates with a
//! CN and/or URI SANs, chosen serials and validity windows, and the API Gateway
//! `clientCert` object that describes one.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
    SerialNumber,
};
use serde_json::{Value, json};
use shared::request::ClientCert;

/// A calendar day (UTC midnight).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Day {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

pub const fn day(year: i32, month: u8, day: u8) -> Day {
    Day { year, month, day }
}

impl Day {
    /// Unix seconds at midnight UTC (proleptic Gregorian, days-from-civil).
    pub fn unix(self) -> u64 {
        let (y, m, d) = (i64::from(self.year), i64::from(self.month), i64::from(self.day));
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        u64::try_from(days * 86_400).unwrap_or(0)
    }

    /// OpenSSL's printing, as API Gateway's `validity` shows it: `Jan  5 00:00:00 2030 GMT`.
    pub fn openssl(self) -> String {
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let month = MONTHS.get(usize::from(self.month.saturating_sub(1))).unwrap_or(&"Jan");
        format!("{month} {:>2} 00:00:00 {} GMT", self.day, self.year)
    }
}

/// Subject DN of the test CAs, in API Gateway's printing (root-most first).
fn ca_dn(cn: &str) -> String {
    format!("C=US,O=Authz Tests,CN={cn}")
}

/// A certificate authority that can issue intermediates and client certificates.
#[derive(Debug)]
pub struct Ca {
    pub cn: String,
    /// The CA's own certificate.
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    /// A self-signed root.
    pub fn root(cn: &str) -> Result<Ca, rcgen::Error> {
        let key = KeyPair::generate()?;
        let params = ca_params(cn);
        let cert = params.self_signed(&key)?;
        Ok(Ca { cn: cn.to_owned(), pem: cert.pem(), issuer: Issuer::new(params, key) })
    }

    /// An intermediate CA signed by this one.
    pub fn intermediate(&self, cn: &str) -> Result<Ca, rcgen::Error> {
        let key = KeyPair::generate()?;
        let params = ca_params(cn);
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(Ca { cn: cn.to_owned(), pem: cert.pem(), issuer: Issuer::new(params, key) })
    }

    /// This CA's subject DN as API Gateway prints it (`C=US,O=Authz Tests,CN=...`).
    pub fn dn(&self) -> String {
        ca_dn(&self.cn)
    }

    /// A client certificate issued by this CA.
    pub fn issue(&self, spec: &ClientSpec) -> Result<IssuedCert, rcgen::Error> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CountryName, "US");
        params.distinguished_name.push(DnType::OrganizationName, "Authz Tests");
        if let Some(cn) = &spec.cn {
            params.distinguished_name.push(DnType::CommonName, cn.as_str());
        }
        params.subject_alt_names =
            spec.uri_sans.iter().map(|uri| uri.as_str().try_into().map(SanType::URI)).collect::<Result<_, _>>()?;
        params.serial_number = Some(SerialNumber::from_slice(&spec.serial));
        params.not_before = rcgen::date_time_ymd(spec.not_before.year, spec.not_before.month, spec.not_before.day);
        params.not_after = rcgen::date_time_ymd(spec.not_after.year, spec.not_after.month, spec.not_after.day);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        params.custom_extensions = spec
            .extensions
            .iter()
            .map(|(oid, der)| rcgen::CustomExtension::from_oid_content(oid, der.clone()))
            .collect();
        let cert = params.signed_by(&key, &self.issuer)?;
        let subject_dn = match &spec.cn {
            Some(cn) => format!("C=US,O=Authz Tests,CN={cn}"),
            None => "C=US,O=Authz Tests".to_owned(),
        };
        Ok(IssuedCert {
            pem: cert.pem(),
            serial_hex: canonical_hex(&spec.serial),
            serial_colon: spec.serial.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":"),
            subject_dn,
            issuer_dn: self.dn(),
            not_before: spec.not_before,
            not_after: spec.not_after,
        })
    }
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CountryName, "US");
    params.distinguished_name.push(DnType::OrganizationName, "Authz Tests");
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = rcgen::date_time_ymd(2000, 1, 1);
    params.not_after = rcgen::date_time_ymd(2099, 1, 1);
    params
}

/// Lower-case hex without leading zeros, `"0"` for zero: the canonical serial.
pub fn canonical_hex(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let trimmed = hex.trim_start_matches('0');
    if trimmed.is_empty() { "0".to_owned() } else { trimmed.to_owned() }
}

/// What to put in a client certificate.
#[derive(Clone, Debug)]
pub struct ClientSpec {
    pub cn: Option<String>,
    pub uri_sans: Vec<String>,
    /// Big-endian serial bytes.
    pub serial: Vec<u8>,
    pub not_before: Day,
    pub not_after: Day,
    /// Extra extensions as (OID arcs, DER content), added as they are (duplicates included).
    pub extensions: Vec<(Vec<u64>, Vec<u8>)>,
}

impl ClientSpec {
    /// A client certificate with this CN and serial, valid 2020-01-01 to 2040-01-01.
    pub fn cn(cn: &str, serial: &[u8]) -> Self {
        Self {
            cn: Some(cn.to_owned()),
            uri_sans: Vec::new(),
            serial: serial.to_vec(),
            not_before: day(2020, 1, 1),
            not_after: day(2040, 1, 1),
            extensions: Vec::new(),
        }
    }

    /// No CN, one URI SAN.
    pub fn uri(uri: &str, serial: &[u8]) -> Self {
        Self { cn: None, uri_sans: vec![uri.to_owned()], ..Self::cn("", serial) }
    }

    pub fn valid(mut self, not_before: Day, not_after: Day) -> Self {
        self.not_before = not_before;
        self.not_after = not_after;
        self
    }

    pub fn with_extension(mut self, oid: &[u64], der: &[u8]) -> Self {
        self.extensions.push((oid.to_vec(), der.to_vec()));
        self
    }

    pub fn with_uri(mut self, uri: &str) -> Self {
        self.uri_sans.push(uri.to_owned());
        self
    }
}

/// A client certificate and what API Gateway would say about it.
#[derive(Clone, Debug)]
pub struct IssuedCert {
    pub pem: String,
    /// The canonical serial (what the registry stores).
    pub serial_hex: String,
    /// The serial as colon-separated hex pairs of the bytes given.
    pub serial_colon: String,
    pub subject_dn: String,
    pub issuer_dn: String,
    pub not_before: Day,
    pub not_after: Day,
}

impl IssuedCert {
    /// The certificate as the pipeline hands it to the verifier, serial in colon hex.
    pub fn client_cert(&self) -> ClientCert<'static> {
        ClientCert { pem: self.pem.clone().into(), serial_number: self.serial_colon.clone().into() }
    }

    /// The `clientCert` object of an API Gateway event (REST `identity.clientCert`, HTTP API
    /// `authentication.clientCert`).
    pub fn event_json(&self) -> Value {
        json!({
            "clientCertPem": self.pem,
            "subjectDN": self.subject_dn,
            "issuerDN": self.issuer_dn,
            "serialNumber": self.serial_colon,
            "validity": { "notBefore": self.not_before.openssl(), "notAfter": self.not_after.openssl() },
        })
    }
}
