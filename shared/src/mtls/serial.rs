//! The canonical form of a certificate serial number, and the formats accepted in events.
//!
//! **Canonical form**: the lower-case hexadecimal digits of the serial's unsigned integer
//! value, without separators, prefix or leading zeros (`"0"` for zero). The DER `INTEGER`
//! content of the certificate must be a minimal two's-complement encoding of a non-negative
//! number (RFC 5280 §4.1.2.2 asks for a positive one); a negative serial (`ff` is -1) or a
//! padded one (`00 01`) is a malformed certificate, so no two encodings of one certificate
//! chain can share a registry item. The content is then read as an unsigned big-endian
//! number (the leading `00` sign byte of a serial like `00 ff` disappears). Examples:
//! serial 1 is `"1"`, serial 0x00A1B2 is `"a1b2"`, serial 4096 is `"1000"`. This form is the
//! registry's sort key `serial` and the `serial` in the authorizer context.
//!
//! **Event cross-check**: API Gateway's `serialNumber` format is undocumented, so the
//! certificate in `clientCertPem` is authoritative and the event's value is accepted only
//! when it denotes the same number read as decimal (`4096`), as hex (`1000`, `0x` prefix
//! not accepted, case-insensitive) or as colon-separated hex pairs (`10:00`, `00:10:00`);
//! leading zeros are ignored. Anything else, including an empty value, is a mismatch
//! (`mtls_serial_mismatch`, Unauthorized).

/// Serials longer than this (in DER content bytes) are refused as malformed certificates;
/// RFC 5280 allows 20 octets.
pub const MAX_SERIAL_BYTES: usize = 32;

/// A certificate serial in the two spellings the event cross-check needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Serial {
    /// The canonical form (see the module documentation).
    pub hex: String,
    /// The same value in decimal, without leading zeros.
    pub decimal: String,
}

impl Serial {
    /// From the DER `INTEGER` content bytes (big-endian two's complement). `None` when empty,
    /// longer than [`MAX_SERIAL_BYTES`], negative, or not minimally encoded.
    pub fn from_der_bytes(raw: &[u8]) -> Option<Serial> {
        let (&first, rest) = raw.split_first()?;
        let negative = first & 0x80 != 0;
        let padded = first == 0 && rest.first().is_some_and(|next| next & 0x80 == 0);
        if raw.len() > MAX_SERIAL_BYTES || negative || padded {
            return None;
        }
        Some(Serial { hex: canonical_hex(raw), decimal: decimal(raw) })
    }

    /// Whether the event's `serialNumber` denotes this serial (decimal, hex or colon hex).
    pub fn matches_event(&self, event: &str) -> bool {
        let s = event.trim();
        if s.is_empty() {
            return false;
        }
        if s.bytes().all(|b| b.is_ascii_digit()) && same_digits(s.bytes(), &self.decimal) {
            return true;
        }
        if s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return same_digits(s.bytes().map(|b| b.to_ascii_lowercase()), &self.hex);
        }
        if is_colon_hex(s) {
            return same_digits(s.bytes().filter(|b| *b != b':').map(|b| b.to_ascii_lowercase()), &self.hex);
        }
        false
    }
}

/// Two lower-case hex digits per byte: the spelling of serials, certificate pins and
/// non-text DN values.
pub fn lower_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for nibble in bytes.iter().flat_map(|b| [b >> 4, b & 0x0f]) {
        out.extend(char::from_digit(u32::from(nibble), 16));
    }
    out
}

/// Lower-case hex without leading zeros.
fn canonical_hex(raw: &[u8]) -> String {
    let out = lower_hex(raw);
    let trimmed = out.trim_start_matches('0');
    if trimmed.is_empty() { "0".to_owned() } else { trimmed.to_owned() }
}

/// Decimal digits of a big-endian unsigned number, by repeated division by 10.
fn decimal(raw: &[u8]) -> String {
    let mut number: Vec<u8> = raw.iter().copied().skip_while(|b| *b == 0).collect();
    let mut digits = Vec::new();
    while !number.is_empty() {
        let mut remainder: u16 = 0;
        for byte in &mut number {
            let acc = (remainder << 8) | u16::from(*byte);
            // acc < 2560, so the quotient fits in a byte
            *byte = u8::try_from(acc / 10).unwrap_or(u8::MAX);
            remainder = acc % 10;
        }
        digits.push(char::from(b'0' + u8::try_from(remainder).unwrap_or(0)));
        let zeros = number.iter().take_while(|b| **b == 0).count();
        number.drain(..zeros);
    }
    if digits.is_empty() {
        return "0".to_owned();
    }
    digits.iter().rev().collect()
}

/// `aa:bb:cc`: two hex digits per group, single colons, at least one colon.
fn is_colon_hex(s: &str) -> bool {
    // Byte by byte: every third byte a colon, the others hex digits (`split(':')` and its
    // char searches cost ~1.2k instructions per warm mTLS decision).
    let len = s.len();
    len >= 5
        && (len + 1).is_multiple_of(3)
        && s.bytes().enumerate().all(|(i, b)| if i % 3 == 2 { b == b':' } else { b.is_ascii_hexdigit() })
}

/// Compares a digit sequence, ignoring its leading zeros, with a canonical (zero-free
/// prefix) digit string.
fn same_digits(digits: impl Iterator<Item = u8>, canonical: &str) -> bool {
    let mut digits = digits.skip_while(|d| *d == b'0').peekable();
    if digits.peek().is_none() {
        return canonical == "0";
    }
    digits.eq(canonical.bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-wise rule against its definition (two hex digits per group, groups joined
    /// by single colons, at least two groups): every string of up to 6 characters from an
    /// alphabet of the edge cases, and long ones.
    #[test]
    fn colon_hex_rule() {
        let by_split =
            |s: &str| s.contains(':') && s.split(':').all(|g| g.len() == 2 && g.bytes().all(|b| b.is_ascii_hexdigit()));
        let alphabet = ['0', 'a', 'F', 'g', ':', ' ', 'é'];
        let mut level = vec![String::new()];
        let mut strings = level.clone();
        for _ in 0..6 {
            level = level.iter().flat_map(|s| alphabet.map(|c| format!("{s}{c}"))).collect();
            strings.extend(level.iter().cloned());
        }
        strings.extend(
            ["1a:2b:3c:4d:5e:6f:01", "1a:2b:3c:4d:5e:6f:0", "1a:2b:3c:4d:5e:6f:", "1a::2b", ":1a:2b"].map(String::from),
        );
        for s in &strings {
            assert_eq!(is_colon_hex(s), by_split(s), "{s:?}");
        }
    }

    #[track_caller]
    fn check_der(raw: &[u8], hex: &str, decimal: &str) {
        let serial = Serial::from_der_bytes(raw).unwrap();
        assert_eq!((serial.hex.as_str(), serial.decimal.as_str()), (hex, decimal));
    }

    #[test]
    fn canonical_forms() {
        check_der(&[0x00], "0", "0");
        check_der(&[0x01], "1", "1");
        check_der(&[0x00, 0xa1, 0xb2], "a1b2", "41394");
        check_der(&[0x10, 0x00], "1000", "4096");
        check_der(&[0x0f], "f", "15");
        check_der(&[0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], "ffffffffffffffff", "18446744073709551615");
        check_der(&[0x00, 0x80], "80", "128");
        check_der(&[0x01, 0, 0, 0, 0, 0, 0, 0, 0], "10000000000000000", "18446744073709551616");
        check_der(
            &[0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            "7fffffffffffffffffffffffffffffff",
            "170141183460469231731687303715884105727",
        );
    }

    #[test]
    fn bounds() {
        assert_eq!(Serial::from_der_bytes(&[]), None);
        assert_eq!(Serial::from_der_bytes(&[1; MAX_SERIAL_BYTES + 1]), None);
        assert!(Serial::from_der_bytes(&[1; MAX_SERIAL_BYTES]).is_some());
        // Negative (two's complement): -1, -128, and -1 spelled long.
        assert_eq!(Serial::from_der_bytes(&[0xff]), None);
        assert_eq!(Serial::from_der_bytes(&[0x80, 0x00]), None);
        assert_eq!(Serial::from_der_bytes(&[0xff, 0xff]), None);
        // Not minimal: 1 and 255 with extra leading zeros (255 = 00 ff is minimal).
        assert_eq!(Serial::from_der_bytes(&[0x00, 0x01]), None);
        assert_eq!(Serial::from_der_bytes(&[0x00, 0x00, 0xff]), None);
        assert_eq!(Serial::from_der_bytes(&[0x00, 0x00]), None);
    }

    #[track_caller]
    fn check_event(raw: &[u8], event: &str, expected: bool) {
        let serial = Serial::from_der_bytes(raw).unwrap();
        assert_eq!(serial.matches_event(event), expected, "{event:?} against {serial:?}");
    }

    #[test]
    fn event_formats() {
        let s = [0x10, 0x00]; // 4096
        check_event(&s, "4096", true);
        check_event(&s, "004096", true);
        check_event(&s, "1000", true);
        check_event(&s, "10:00", true);
        check_event(&s, "00:10:00", true);
        check_event(&s, " 10:00 ", true);
        check_event(&s, "4097", false);
        check_event(&s, "1001", false);
        check_event(&s, "0x1000", false);
        check_event(&s, "1:0:0", false);
        check_event(&s, "10::00", false);
        check_event(&s, "10-00", false);
        check_event(&s, "", false);
        check_event(&s, "   ", false);
        let s = [0x00, 0xa1, 0xb2];
        check_event(&s, "A1B2", true);
        check_event(&s, "00:A1:b2", true);
        check_event(&s, "41394", true);
        check_event(&s, "a1b3", false);
        check_event(&[0x00], "0", true);
        check_event(&[0x00], "00", true);
        check_event(&[0x00], "00:00", true);
        check_event(&[0x00], "1", false);
        check_event(&[0x01], "0", false);
    }
}
