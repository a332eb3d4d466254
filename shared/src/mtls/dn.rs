//! The one distinguished-name normalisation used for trusted issuers, certificates and the
//! registry's `issuer` attribute.
//!
//! **Normalised DN**: the attributes in the order the certificate encodes them (the order
//! API Gateway's `issuerDN` and `openssl x509 -noout -issuer` print, root-most first, e.g.
//! `C=US,O=Example,CN=Example Issuing CA`), each written `TYPE=value`:
//! - `TYPE` is the upper-case short name for `C`, `ST`, `L`, `O`, `OU`, `CN`,
//!   `SERIALNUMBER`, `DC`, `UID`, `EMAILADDRESS`, `STREET`, `TITLE`, `GIVENNAME`, `SN`
//!   (surname), `POSTALCODE`, `ORGANIZATIONIDENTIFIER`, otherwise the dotted OID; configured
//!   DNs may also use long names (`commonName`, `organizationName`...), `S` for `ST` and `E`
//!   for `EMAILADDRESS`, in any case;
//! - `value` is trimmed, runs of ASCII whitespace become one space, and ASCII letters are
//!   lower-cased (only ASCII: Unicode case folding would make `\u{212A}elvin`, with a
//!   Kelvin sign, the same name as `Kelvin`); `\ , + = " ; < >` inside a value, and a
//!   leading `#`, are escaped with a backslash;
//! - a value that is not a string type (or a BMPString/UniversalString of the wrong length)
//!   is `#` and the hex of its content, which no text value can spell;
//! - attributes are separated by `,` (no spaces); members of a multi-valued RDN are
//!   sorted and joined by `+`.
//!
//! So `C = US, O = Example,  CN = Example   Issuing CA` and `c=us,o=example,cn=example
//! issuing ca` normalise to the same string. The order of attributes matters: a DN written
//! in reverse (RFC 4514, `CN=...` first) does not match.

use x509_parser::asn1_rs::Tag;
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

/// (short name or dotted OID, long names accepted in configuration).
const TYPES: &[(&str, &str, &[&str])] = &[
    ("2.5.4.6", "C", &["COUNTRYNAME"]),
    ("2.5.4.8", "ST", &["S", "STATEORPROVINCENAME"]),
    ("2.5.4.7", "L", &["LOCALITYNAME"]),
    ("2.5.4.10", "O", &["ORGANIZATIONNAME"]),
    ("2.5.4.11", "OU", &["ORGANIZATIONALUNITNAME"]),
    ("2.5.4.3", "CN", &["COMMONNAME"]),
    ("2.5.4.5", "SERIALNUMBER", &[]),
    ("0.9.2342.19200300.100.1.25", "DC", &["DOMAINCOMPONENT"]),
    ("0.9.2342.19200300.100.1.1", "UID", &["USERID"]),
    ("1.2.840.113549.1.9.1", "EMAILADDRESS", &["E", "EMAIL"]),
    ("2.5.4.9", "STREET", &["STREETADDRESS"]),
    ("2.5.4.12", "TITLE", &[]),
    ("2.5.4.42", "GIVENNAME", &[]),
    ("2.5.4.4", "SN", &["SURNAME"]),
    ("2.5.4.17", "POSTALCODE", &[]),
    ("2.5.4.97", "ORGANIZATIONIDENTIFIER", &[]),
];

const ESCAPED: &[char] = &['\\', ',', '+', '=', '"', ';', '<', '>'];

/// An attribute value: text, or the hex form of a value that is not text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Value {
    Text(String),
    Hex(String),
}

/// The normalised form of a certificate's name.
pub fn normalise_name(name: &X509Name<'_>) -> String {
    let rdns: Vec<Vec<(String, Value)>> = name
        .iter()
        .map(|rdn| rdn.iter().map(|atv| (type_name_of_oid(&atv.attr_type().to_id_string()), value_of(atv))).collect())
        .collect();
    render(rdns)
}

/// The normalised form of a DN written by a person (configuration, registry item).
pub fn normalise_str(dn: &str) -> Result<String, String> {
    let mut rdns = Vec::new();
    for rdn in split_unescaped(dn, ',') {
        let mut members = Vec::new();
        for member in split_unescaped(rdn, '+') {
            let Some((kind, value)) = split_once_unescaped(member, '=') else {
                return Err(format!("expected TYPE=value, got {:?}", member.trim()));
            };
            let kind = type_name_of_config(kind.trim())?;
            members.push((kind, Value::Text(normalise_value(&unescape(value)?))));
        }
        rdns.push(members);
    }
    if rdns.is_empty() {
        return Err("expected a distinguished name such as C=US,O=Example,CN=Example CA".to_owned());
    }
    Ok(render(rdns))
}

fn render(rdns: Vec<Vec<(String, Value)>>) -> String {
    let mut out = String::new();
    for (i, mut rdn) in rdns.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        rdn.sort();
        for (j, (kind, value)) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            out.push_str(kind);
            out.push('=');
            match value {
                Value::Hex(hex) => out.push_str(hex),
                Value::Text(text) => {
                    for (k, c) in text.chars().enumerate() {
                        if ESCAPED.contains(&c) || (k == 0 && c == '#') {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                }
            }
        }
    }
    out
}

fn type_name_of_oid(oid: &str) -> String {
    TYPES.iter().find(|(o, _, _)| *o == oid).map_or_else(|| oid.to_owned(), |(_, short, _)| (*short).to_owned())
}

fn type_name_of_config(kind: &str) -> Result<String, String> {
    let upper = kind.to_ascii_uppercase();
    if let Some((_, short, _)) =
        TYPES.iter().find(|(oid, short, long)| *short == upper || *oid == kind || long.contains(&upper.as_str()))
    {
        return Ok((*short).to_owned());
    }
    let is_oid = !kind.is_empty()
        && kind.split('.').count() >= 2
        && kind.split('.').all(|arc| !arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit()));
    if is_oid { Ok(kind.to_owned()) } else { Err(format!("unknown attribute type {kind:?}")) }
}

/// The attribute's value as text: the string types directly, BMPString and
/// UniversalString decoded, anything else as `#` and the hex of its content.
fn value_of(atv: &AttributeTypeAndValue<'_>) -> Value {
    if let Ok(s) = atv.as_str() {
        return Value::Text(normalise_value(s));
    }
    let data = atv.as_slice();
    let decoded = match atv.attr_value().tag() {
        Tag::BmpString => decode_bmp(data),
        Tag::UniversalString => decode_universal(data),
        Tag::TeletexString => Some(data.iter().map(|b| char::from(*b)).collect()),
        _ => None,
    };
    match decoded {
        Some(s) => Value::Text(normalise_value(&s)),
        None => Value::Hex(format!("#{}", super::serial::lower_hex(data))),
    }
}

/// UTF-16BE; `None` for an odd length or an unpaired surrogate (no byte is dropped).
fn decode_bmp(data: &[u8]) -> Option<String> {
    if !data.len().is_multiple_of(2) {
        return None;
    }
    let units = data.chunks_exact(2).filter_map(|c| <[u8; 2]>::try_from(c).ok()).map(u16::from_be_bytes);
    char::decode_utf16(units).collect::<Result<String, _>>().ok()
}

/// UTF-32BE; `None` for a length that is not a multiple of four or a non-character.
fn decode_universal(data: &[u8]) -> Option<String> {
    if !data.len().is_multiple_of(4) {
        return None;
    }
    data.chunks_exact(4)
        .map(|c| <[u8; 4]>::try_from(c).ok().and_then(|c| char::from_u32(u32::from_be_bytes(c))))
        .collect()
}

fn normalise_value(value: &str) -> String {
    value.split_ascii_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase()
}

/// Splits at `sep` where it is not escaped by a backslash; empty pieces are dropped.
fn split_unescaped(s: &str, sep: char) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            pieces.extend(s.get(start..i));
            start = i + c.len_utf8();
        }
    }
    pieces.extend(s.get(start..));
    pieces.retain(|p| !p.trim().is_empty());
    pieces
}

fn split_once_unescaped(s: &str, sep: char) -> Option<(&str, &str)> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            return Some((s.get(..i)?, s.get(i + c.len_utf8()..)?));
        }
    }
    None
}

/// Resolves RFC 4514 escapes: `\,` style and `\HH` hex pairs (UTF-8 bytes).
fn unescape(value: &str) -> Result<String, String> {
    let mut bytes = Vec::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some(h) if h.is_ascii_hexdigit() => {
                let l = chars.next().filter(char::is_ascii_hexdigit).ok_or("expected two hex digits after \\")?;
                let byte = h.to_digit(16).zip(l.to_digit(16)).map(|(h, l)| h * 16 + l);
                bytes.push(byte.and_then(|b| u8::try_from(b).ok()).ok_or("expected two hex digits after \\")?);
            }
            Some(other) => {
                let mut buf = [0; 4];
                bytes.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
            }
            None => return Err("a value ends with a lone backslash".to_owned()),
        }
    }
    String::from_utf8(bytes).map_err(|_| "an escaped value is not UTF-8".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: Result<&str, &str>) {
        assert_eq!(normalise_str(input), expected.map(str::to_owned).map_err(str::to_owned));
    }

    #[test]
    fn configured_names() {
        check("C=US,O=Example,CN=Example Issuing CA", Ok("C=us,O=example,CN=example issuing ca"));
        check(" c = US ,  o=Example ,cn =  Example   Issuing\tCA ", Ok("C=us,O=example,CN=example issuing ca"));
        check("countryName=US,organizationName=Example,commonName=X", Ok("C=us,O=example,CN=x"));
        check("S=WA,E=ca@example.org", Ok("ST=wa,EMAILADDRESS=ca@example.org"));
        check("CN=Acme\\, Inc.", Ok("CN=acme\\, inc."));
        check("CN=Acme\\2C Inc.", Ok("CN=acme\\, inc."));
        check("CN=b+OU=a", Ok("CN=b+OU=a"));
        check("OU=a+CN=b", Ok("CN=b+OU=a"));
        check("2.5.4.3=x,1.2.3.4=y", Ok("CN=x,1.2.3.4=y"));
        check("DC=org,DC=example", Ok("DC=org,DC=example"));
        check("", Err("expected a distinguished name such as C=US,O=Example,CN=Example CA"));
        check("CN", Err("expected TYPE=value, got \"CN\""));
        check("FOO=bar", Err("unknown attribute type \"FOO\""));
        check("CN=x\\", Err("a value ends with a lone backslash"));
        check("CN=x\\4", Err("expected two hex digits after \\"));
    }

    #[test]
    fn only_ascii_is_folded_and_a_leading_hash_is_escaped() {
        check("CN=\u{212A}elvin CA", Ok("CN=\u{212A}elvin ca"));
        check("CN=Kelvin CA", Ok("CN=kelvin ca"));
        check("CN=ÉCOLE", Ok("CN=École"));
        check("CN=a\u{3000}b", Ok("CN=a\u{3000}b"));
        check("CN=\\#616263", Ok("CN=\\#616263"));
        check("CN=#616263", Ok("CN=\\#616263"));
        check("CN=a#b", Ok("CN=a#b"));
        assert_eq!(decode_bmp(&[0, 0x41, 0]), None);
        assert_eq!(decode_bmp(&[0, 0x41]).as_deref(), Some("A"));
        assert_eq!(decode_bmp(&[0xd8, 0x00]), None);
        assert_eq!(decode_universal(&[0, 0, 0, 0x41, 0]), None);
        assert_eq!(decode_universal(&[0, 0, 0, 0x41]).as_deref(), Some("A"));
    }

    #[test]
    fn normalisation_is_idempotent() {
        for dn in ["C=US,O=Example,CN=Acme\\, Inc.", "CN=a\\+b+OU=x\\=y", "CN=quote\\\"s;<>", "CN=#x", "CN=É\u{212A}"]
        {
            let once = normalise_str(dn).unwrap();
            assert_eq!(normalise_str(&once).unwrap(), once, "{dn}");
        }
    }
}
