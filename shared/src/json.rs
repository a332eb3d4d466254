//! A strict pull reader for the JSON read on every request: the authorizer event.
//!
//! It accepts exactly the JSON that `serde_json` accepts (RFC 8259: no comments, no trailing
//! commas, no control characters in strings, no leading zeros) and decodes strings the way
//! `serde_json` decodes them into a `str` (a `\u` escape of a UTF-16 surrogate must be one half
//! of a pair). What it does not do is build anything: the caller walks objects and arrays
//! member by member, takes the strings it wants (borrowed from the input unless they hold
//! escapes) and skips the rest without decoding them. Skipped strings are checked the way
//! `serde_json` checks an ignored string (escapes well formed, surrogates not paired up).
//!
//! Nesting is limited to [`MAX_DEPTH`] levels, skipped values included (`serde_json` limits
//! only the values it builds; API Gateway events nest five levels deep).
//!
//! [`write_string`] and [`write_string_as_serde`] are the other direction: the JSON the
//! authorizer writes itself (the log line, the response) is escaped there.
//!
//! Why not `serde_json`: a borrowed serde pass over a 2.5 KB event was half of a warm mTLS
//! decision; here long strings (a token, a certificate) are scanned with `memchr` (SIMD).
//! `tests/tests/replay.rs` checks that the decoder built on this reader agrees with the
//! `aws_lambda_events` types, and the tests below that it accepts what `serde_json` accepts.

use std::borrow::Cow;

/// The input is not JSON, or not the JSON the caller expected at this point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invalid;

pub type Result<T> = std::result::Result<T, Invalid>;

/// Objects and arrays nested deeper than this are refused.
pub const MAX_DEPTH: usize = 128;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Per byte of `word`, the high bit set where the byte is `"`, `\` or below 0x20 (exact for
/// the lowest such byte, which is the only one used).
fn specials(word: u64) -> u64 {
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let zero = |x: u64| x.wrapping_sub(ONES) & !x;
    (zero(quote) | zero(backslash) | word.wrapping_sub(ONES * 0x20) & !word) & HIGHS
}

/// Bytes scanned eight at a time before a string is taken for long.
const SHORT: usize = 64;

/// Where the next `"`, `\` or control character is, from `from` on. Most strings in an event
/// are short: the first [`SHORT`] bytes are scanned eight at a time (reading on past the
/// string's end, inside the input). Past that, [`next_special_long`].
fn next_special(bytes: &[u8], from: usize) -> Option<usize> {
    let rest = bytes.get(from..)?;
    let mut at = 0;
    while at < SHORT {
        let Some(chunk) = rest.get(at..at + 8) else {
            let tail = rest.get(at..)?.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            return tail.map(|i| from + at + i);
        };
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let hits = specials(u64::from_le_bytes(word));
        if hits != 0 {
            return Some(from + at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    next_special_long(bytes, from + SHORT)
}

/// [`next_special`] for the rest of a string that is long, or that holds escapes (a
/// certificate's lines are 64 characters between `\n` escapes): `memchr` (SIMD) finds the
/// quote or backslash and one branch-free pass, which the compiler vectorises, looks for
/// control characters before it.
fn next_special_long(bytes: &[u8], from: usize) -> Option<usize> {
    let long = bytes.get(from..)?;
    let stop = memchr::memchr2(b'"', b'\\', long)?;
    let span = long.get(..stop)?;
    if span.iter().fold(false, |control, &b| control | (b < 0x20)) {
        return span.iter().position(|&b| b < 0x20).map(|i| from + i);
    }
    Some(from + stop)
}

fn hex(b: u8) -> Option<u16> {
    match b {
        b'0'..=b'9' => Some(u16::from(b - b'0')),
        b'a'..=b'f' => Some(u16::from(b - b'a' + 10)),
        b'A'..=b'F' => Some(u16::from(b - b'A' + 10)),
        _ => None,
    }
}

/// A reader over one JSON text.
#[derive(Debug)]
pub struct Reader<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    pub fn new(text: &'a str) -> Self {
        Self { text, pos: 0, depth: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.bytes().get(i).copied()
    }

    /// The next byte that is not whitespace, not consumed.
    pub fn peek(&mut self) -> Option<u8> {
        // The position is kept in a local while whitespace is skipped (stored once, not per
        // byte); compact JSON, as API Gateway sends it, leaves on the first test.
        let bytes = self.bytes();
        let mut pos = self.pos;
        while let Some(&b) = bytes.get(pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                self.pos = pos;
                return Some(b);
            }
            pos += 1;
        }
        self.pos = pos;
        None
    }

    fn expect(&mut self, b: u8) -> Result<()> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<()> {
        if self.bytes().get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH { Err(Invalid) } else { Ok(()) }
    }

    /// Consumes `null` if that is the next value.
    pub fn null(&mut self) -> Result<bool> {
        if self.peek() == Some(b'n') {
            self.literal(b"null")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Only whitespace is left.
    pub fn finish(mut self) -> Result<()> {
        if self.peek().is_none() { Ok(()) } else { Err(Invalid) }
    }

    /// A string, decoded: borrowed from the input unless it holds escapes.
    pub fn string(&mut self) -> Result<Cow<'a, str>> {
        self.expect(b'"')?;
        let start = self.pos;
        let end = next_special(self.bytes(), start).ok_or(Invalid)?;
        let piece = self.text.get(start..end).ok_or(Invalid)?;
        match self.at(end) {
            Some(b'"') => {
                self.pos = end + 1;
                Ok(Cow::Borrowed(piece))
            }
            Some(b'\\') => {
                let mut out = String::with_capacity(piece.len() + 16);
                out.push_str(piece);
                self.pos = end;
                self.escaped(&mut out)?;
                Ok(Cow::Owned(out))
            }
            _ => Err(Invalid),
        }
    }

    /// The rest of a string from a backslash at `self.pos`, decoded into `out`.
    fn escaped(&mut self, out: &mut String) -> Result<()> {
        loop {
            match self.at(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(out)?;
                }
                _ => return Err(Invalid),
            }
            let end = next_special_long(self.bytes(), self.pos).ok_or(Invalid)?;
            out.push_str(self.text.get(self.pos..end).ok_or(Invalid)?);
            self.pos = end;
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<()> {
        let b = self.at(self.pos).ok_or(Invalid)?;
        self.pos += 1;
        let c = match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => self.unicode()?,
            _ => return Err(Invalid),
        };
        out.push(c);
        Ok(())
    }

    /// Four hex digits after `\u`.
    fn hex4(&mut self) -> Result<u16> {
        let digits = self.bytes().get(self.pos..self.pos + 4).ok_or(Invalid)?;
        let n = digits.iter().try_fold(0u16, |n, &d| hex(d).map(|v| n << 4 | v)).ok_or(Invalid)?;
        self.pos += 4;
        Ok(n)
    }

    /// A `\u` escape as `serde_json` decodes it into a `str`: a surrogate must be the leading
    /// half of a pair whose trailing half follows as another `\u` escape.
    fn unicode(&mut self) -> Result<char> {
        let n = self.hex4()?;
        match n {
            0xD800..=0xDBFF => {
                self.literal(b"\\u")?;
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(Invalid);
                }
                let c = 0x1_0000 + ((u32::from(n) - 0xD800) << 10 | (u32::from(low) - 0xDC00));
                char::from_u32(c).ok_or(Invalid)
            }
            0xDC00..=0xDFFF => Err(Invalid),
            _ => char::from_u32(u32::from(n)).ok_or(Invalid),
        }
    }

    /// A string literal as it appears in the input, quotes and escapes included, checked the
    /// way [`Reader::string`] checks one (escapes well formed, a `\u` surrogate one half of a
    /// pair): the literal is accepted exactly when `string` would accept it, so a field read
    /// this way is refused where the `aws_lambda_events` types refuse it.
    pub fn raw_string(&mut self) -> Result<&'a str> {
        if self.peek() != Some(b'"') {
            return Err(Invalid);
        }
        let start = self.pos;
        self.walk_string(true)?;
        self.text.get(start..self.pos).ok_or(Invalid)
    }

    /// Skips a string as `serde_json` ignores one: escapes must be well formed, `\u` escapes
    /// are not checked for surrogate pairs.
    fn skip_string(&mut self) -> Result<()> {
        self.walk_string(false)
    }

    /// Walks a string without decoding it; `paired` also requires `\u` surrogates in pairs.
    fn walk_string(&mut self, paired: bool) -> Result<()> {
        self.expect(b'"')?;
        let mut at = next_special(self.bytes(), self.pos).ok_or(Invalid)?;
        loop {
            self.pos = at + 1;
            match self.at(at) {
                Some(b'"') => return Ok(()),
                Some(b'\\') => match self.at(self.pos) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.pos += 1,
                    Some(b'u') if paired => {
                        self.pos += 1;
                        self.unicode()?;
                    }
                    Some(b'u') => {
                        self.pos += 1;
                        self.hex4()?;
                    }
                    _ => return Err(Invalid),
                },
                _ => return Err(Invalid),
            }
            at = next_special_long(self.bytes(), self.pos).ok_or(Invalid)?;
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.at(self.pos) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// `true` or `false`.
    pub fn boolean(&mut self) -> Result<bool> {
        match self.peek() {
            Some(b't') => self.literal(b"true").map(|()| true),
            Some(b'f') => self.literal(b"false").map(|()| false),
            _ => Err(Invalid),
        }
    }

    /// A number as RFC 8259 writes one; the text, unconverted.
    pub fn number(&mut self) -> Result<&'a str> {
        self.peek();
        let start = self.pos;
        if self.at(self.pos) == Some(b'-') {
            self.pos += 1;
        }
        match self.at(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(Invalid),
        }
        if self.at(self.pos) == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(Invalid);
            }
        }
        if let Some(b'e' | b'E') = self.at(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.at(self.pos) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(Invalid);
            }
        }
        self.text.get(start..self.pos).ok_or(Invalid)
    }

    /// Skips one value of any type, checking it as `serde_json` checks an ignored value.
    pub fn skip(&mut self) -> Result<()> {
        let base = self.depth;
        // Bit `n` is set while the container `n` levels below `base` is an object.
        let mut objects: u128 = 0;
        loop {
            // A value.
            match self.peek().ok_or(Invalid)? {
                open @ (b'{' | b'[') => {
                    self.pos += 1;
                    self.enter()?;
                    let level = self.depth - base - 1;
                    let close = if open == b'{' { b'}' } else { b']' };
                    if open == b'{' {
                        objects |= 1 << level;
                    } else {
                        objects &= !(1 << level);
                    }
                    if self.peek() != Some(close) {
                        if open == b'{' {
                            self.skip_name()?;
                        }
                        continue;
                    }
                    self.pos += 1;
                    self.depth -= 1;
                }
                b'"' => self.skip_string()?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => {
                    self.number()?;
                }
            }
            // After a value: close finished containers, or go on after a comma.
            loop {
                if self.depth == base {
                    return Ok(());
                }
                let object = objects >> (self.depth - base - 1) & 1 == 1;
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if object {
                            self.skip_name()?;
                        }
                        break;
                    }
                    Some(b'}') if object => {}
                    Some(b']') if !object => {}
                    _ => return Err(Invalid),
                }
                self.pos += 1;
                self.depth -= 1;
            }
        }
    }

    /// A member's name and its colon.
    fn skip_name(&mut self) -> Result<()> {
        self.skip_string()?;
        self.expect(b':')
    }

    /// Walks an object: `member` is called with each name and must read or skip its value.
    pub fn object(&mut self, mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Result<()>) -> Result<()> {
        self.container(b'{', b'}', |r| {
            let name = r.string()?;
            r.expect(b':')?;
            member(r, name)
        })
    }

    /// Walks an array: `element` is called for each element and must read or skip it.
    pub fn array(&mut self, element: impl FnMut(&mut Self) -> Result<()>) -> Result<()> {
        self.container(b'[', b']', element)
    }

    /// `open`, items separated by commas, `close`.
    fn container(&mut self, open: u8, close: u8, mut item: impl FnMut(&mut Self) -> Result<()>) -> Result<()> {
        self.expect(open)?;
        self.enter()?;
        if self.peek() == Some(close) {
            self.pos += 1;
        } else {
            loop {
                item(self)?;
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b) if b == close => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(Invalid),
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// `null` as `None`, else the value `read` reads.
    pub fn optional<T>(&mut self, read: impl FnOnce(&mut Self) -> Result<T>) -> Result<Option<T>> {
        if self.null()? { Ok(None) } else { read(self).map(Some) }
    }
}

/// `a == b`, with the length and first byte compared before the bytes: names that differ
/// there (claim names, mostly three letters that seldom share the first; the context's keys)
/// are told apart without a call to `memcmp`.
pub fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
}

/// A line buffer kept by each thread between invocations (see [`with_scratch`]).
pub type Scratch = std::thread::LocalKey<std::cell::RefCell<String>>;

/// Lines longer than this give their buffer back rather than keep it.
const SCRATCH_KEEP: usize = 16 * 1024;

/// Runs `f` with an empty string that keeps the capacity `scratch` (the thread's buffer)
/// had, so a line written on every invocation (the decision log line, the EMF line) is not
/// allocated each time. The buffer is taken out while `f` runs: a line written while another
/// is being written gets a new buffer.
pub fn with_scratch<R>(scratch: &'static Scratch, f: impl FnOnce(&mut String) -> R) -> R {
    let taken = scratch.try_with(|cell| cell.try_borrow_mut().ok().map(|mut kept| std::mem::take(&mut *kept)));
    let mut line = taken.ok().flatten().unwrap_or_default();
    line.clear();
    let result = f(&mut line);
    if line.capacity() <= SCRATCH_KEEP {
        let _ = scratch.try_with(|cell| {
            if let Ok(mut kept) = cell.try_borrow_mut() {
                *kept = line;
            }
        });
    }
    result
}

/// `value` as a JSON string literal: quotes, backslashes and control characters escaped
/// (`\n`, `\r`, `\t` by name, the others as `\u00XX`), and so are the characters that make a
/// log line read differently from what it holds (see [`invisible`]); everything else,
/// non-ASCII included, as it is.
pub fn write_string(out: &mut String, value: &str) {
    out.push('"');
    write_escaped(out, value);
    out.push('"');
}

/// Characters written as `\uXXXX` although JSON allows them raw: DEL and the C1 controls,
/// the Unicode line and paragraph separators (line breaks to some readers), the direction
/// marks and embeddings that reorder what a viewer shows ("Trojan Source", the Arabic
/// letter mark included), and the zero-width characters that hide a difference. A
/// `principal` or `path` from a request cannot disguise itself in a log line with them.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{7f}'..='\u{9f}'
            | '\u{061c}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// The body of a JSON string literal for `value` (see [`write_string`]). Most values are
/// plain ASCII with nothing to escape: a scan eight bytes at a time finds that out and the
/// value is copied whole.
pub fn write_escaped(out: &mut String, value: &str) {
    if needs_no_escape(value.as_bytes()) {
        out.push_str(value);
        return;
    }
    let mut start = 0;
    for (i, c) in value.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if c < ' ' || invisible(c) => "",
            _ => continue,
        };
        out.push_str(value.get(start..i).unwrap_or_default());
        if escape.is_empty() {
            // Every character escaped this way is below U+10000: four hex digits.
            let code = u32::from(c);
            out.push_str("\\u");
            for shift in [12, 8, 4, 0] {
                out.push(char::from(HEX.get((code >> shift & 0xf) as usize).copied().unwrap_or(b'0')));
            }
        } else {
            out.push_str(escape);
        }
        start = i + c.len_utf8();
    }
    out.push_str(value.get(start..).unwrap_or_default());
}

const HEX: [u8; 16] = *b"0123456789abcdef";

/// Only ASCII in `bytes`, and no `"`, `\\`, control character or DEL.
fn needs_no_escape(bytes: &[u8]) -> bool {
    let del = |w: u64| {
        let x = w ^ (ONES * 0x7f);
        x.wrapping_sub(ONES) & !x & HIGHS
    };
    no_hits(bytes, |w| specials(w) | del(w) | (w & HIGHS))
}

/// Whether `hits_in` finds nothing in any eight-byte word of `bytes`. A `hits_in` exact for
/// the lowest hit of a word is exact here.
fn no_hits(bytes: &[u8], hits_in: impl Fn(u64) -> u64) -> bool {
    let word = |chunk: &[u8]| {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        u64::from_le_bytes(word)
    };
    let Some(last) = bytes.len().checked_sub(8) else {
        // Under eight bytes: one word, padded with spaces.
        let padded = bytes.iter().enumerate().fold(ONES * u64::from(b' '), |w, (i, &b)| {
            let shift = 8 * i;
            w & !(0xff << shift) | u64::from(b) << shift
        });
        return hits_in(padded) == 0;
    };
    let mut hits = 0;
    for chunk in bytes.chunks_exact(8) {
        hits |= hits_in(word(chunk));
    }
    // The last eight bytes, which overlap the last whole word unless the length is a
    // multiple of eight: bytes seen twice change nothing.
    hits | bytes.get(last..).map_or(0, |tail| hits_in(word(tail))) == 0
}

/// `value` as a JSON string literal, byte for byte as `serde_json` writes it: `"` and `\\`
/// escaped, the control characters below 0x20 as `\b`, `\t`, `\n`, `\f`, `\r` or `\u00xx`,
/// everything else (DEL and non-ASCII included) as it is. The response API Gateway reads is
/// written with it (`response::Payload`); a value with nothing to escape, which is every
/// value in practice, is found so eight bytes at a time and copied whole.
pub fn write_string_as_serde(out: &mut String, value: &str) {
    out.push('"');
    if no_hits(value.as_bytes(), specials) {
        out.push_str(value);
    } else {
        let mut start = 0;
        for (i, &b) in value.as_bytes().iter().enumerate() {
            let named = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0..0x20 => "",
                _ => continue,
            };
            // `i` is at an ASCII byte, so on a character boundary.
            out.push_str(value.get(start..i).unwrap_or_default());
            if named.is_empty() {
                out.push_str("\\u00");
                for digit in [b >> 4, b & 0xf] {
                    out.push(char::from(HEX.get(usize::from(digit)).copied().unwrap_or(b'0')));
                }
            } else {
                out.push_str(named);
            }
            start = i + 1;
        }
        out.push_str(value.get(start..).unwrap_or_default());
    }
    out.push('"');
}

/// `value` as a JSON number, as `serde_json` writes an `i64` (with the same `itoa`).
pub fn write_i64(out: &mut String, value: i64) {
    out.push_str(itoa::Buffer::new().format(value));
}

#[cfg(test)]
mod tests {
    use serde::de::IgnoredAny;

    use super::*;

    thread_local! {
        static TEST_LINE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }

    /// Each call starts empty and keeps the capacity of the last; a call inside another gets
    /// its own buffer and leaves the outer line alone; a huge line's buffer is not kept.
    #[test]
    fn scratch_lines_start_empty_and_do_not_meet() {
        let first = with_scratch(&TEST_LINE, |line| {
            line.push_str("outer");
            let inner = with_scratch(&TEST_LINE, |inner| {
                assert!(inner.is_empty());
                inner.push_str("inner");
                inner.clone()
            });
            line.push('+');
            line.push_str(&inner);
            (line.clone(), line.capacity())
        });
        assert_eq!(first.0, "outer+inner");
        with_scratch(&TEST_LINE, |line| {
            assert!(line.is_empty() && line.capacity() >= first.1, "{}", line.capacity());
            line.push_str(&"x".repeat(SCRATCH_KEEP + 1));
        });
        with_scratch(&TEST_LINE, |line| assert!(line.is_empty() && line.capacity() <= SCRATCH_KEEP));
    }

    fn skips(text: &str) -> bool {
        let mut r = Reader::new(text);
        r.skip().is_ok() && r.finish().is_ok()
    }

    fn serde_accepts(text: &str) -> bool {
        serde_json::from_str::<IgnoredAny>(text).is_ok()
    }

    fn decoded(text: &str) -> Option<String> {
        let mut r = Reader::new(text);
        let s = r.string().ok()?;
        r.finish().ok()?;
        Some(s.into_owned())
    }

    const DOCUMENTS: &[&str] = &[
        r#"{"a":1,"b":[true,false,null,"x",-0.5e+3,{"c":{}},[]],"d":"\u00e9\ud83d\ude00\n\"\\\/"}"#,
        " [ 1 , 2 ] ",
        "0",
        "-0",
        "1E5",
        "12.5e-1",
        r#""""#,
        "{}",
        "[[[]]]",
        r#"{"a":{"b":{"c":[1,{"d":null}]}}}"#,
        r#""\ud800""#,
        r#""\udc00x""#,
        r#""é ☃ 😀""#,
        "01",
        "1.",
        ".5",
        "-",
        "1e",
        "1e+",
        "+1",
        "[1,]",
        r#"{"a":1,}"#,
        r#"{"a"}"#,
        r#"{"a" 1}"#,
        "{1:2}",
        "[1 2]",
        "tru",
        "truex",
        "nul",
        "\"a\u{1}b\"",
        "\"a\tb\"",
        r#""\x""#,
        r#""\u12""#,
        r#""\u12g4""#,
        r#""abc"#,
        "",
        " ",
        "[",
        "]",
        "{",
        r#"{"a":1"#,
        r#"{"a":1}}"#,
        "[1]x",
        "NaN",
        "Infinity",
        "// c\n1",
        "\u{feff}1",
    ];

    #[test]
    fn accepts_what_serde_json_accepts() {
        for doc in DOCUMENTS {
            assert_eq!(skips(doc), serde_accepts(doc), "{doc:?}");
        }
    }

    /// Every document above with each byte deleted, doubled or replaced by a byte that JSON
    /// gives meaning to: the reader and `serde_json` still agree.
    #[test]
    fn agrees_with_serde_json_on_mutations() {
        let specials = b"{}[]\",:\\0-1.eE+ntfu \n\x01";
        let mut checked = 0;
        for doc in DOCUMENTS {
            let bytes = doc.as_bytes();
            for i in 0..bytes.len() {
                let mut variants = vec![[&bytes[..i], &bytes[i + 1..]].concat()];
                variants.push([&bytes[..=i], &bytes[i..]].concat());
                for &s in specials {
                    variants.push([&bytes[..i], &[s], &bytes[i + 1..]].concat());
                }
                for v in variants {
                    if let Ok(text) = std::str::from_utf8(&v) {
                        assert_eq!(skips(text), serde_accepts(text), "{text:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 5000, "{checked}");
    }

    #[test]
    fn decodes_strings_as_serde_json_does() {
        for doc in [
            r#""plain""#,
            r#""a\"b\\c\/d\b\f\n\r\t""#,
            r#""\u0041\u00e9\u2603\ud83d\ude00""#,
            r#""\ud800""#,
            r#""\ud800\u0041""#,
            r#""\udc00""#,
            r#""\ud800\ud800""#,
            r#""\ud800x""#,
            r#""x\u0000y""#,
            "\"é\\n😀\"",
            r#""\q""#,
            r#""unterminated"#,
        ] {
            assert_eq!(decoded(doc), serde_json::from_str::<String>(doc).ok(), "{doc}");
        }
        let mut r = Reader::new(r#""no escapes""#);
        assert!(matches!(r.string(), Ok(Cow::Borrowed("no escapes"))));
    }

    #[test]
    fn long_strings_find_their_end_in_every_position() {
        for len in 0..80 {
            for special in ["\\n", "\\u00e9", "é"] {
                for at in 0..=len {
                    let body = format!("{}{special}{}", "a".repeat(at), "b".repeat(len - at));
                    let doc = format!("\"{body}\"");
                    assert_eq!(decoded(&doc), serde_json::from_str::<String>(&doc).ok(), "{doc}");
                    assert!(skips(&doc), "{doc}");
                    let control = format!("\"{}\u{1f}{}\"", "a".repeat(at), "b".repeat(len - at));
                    assert_eq!(decoded(&control), None);
                    assert!(!skips(&control));
                    // After an escape, the rest of the string is scanned by the long path.
                    let escaped = format!("\"{special}{}\u{1f}{}\"", "a".repeat(at), "b".repeat(len - at));
                    assert_eq!(decoded(&escaped), None, "{escaped:?}");
                    assert!(!skips(&escaped), "{escaped:?}");
                }
            }
        }
    }

    #[test]
    fn walks_objects_and_arrays() {
        let mut r = Reader::new(r#" {"a": "x", "skip": {"n": [1, {"m": "\u0041"}]}, "list": ["p", "q"], "z": null} "#);
        let mut seen = Vec::new();
        let walked = r.object(|r, name| match name.as_ref() {
            "a" => r.string().map(|s| seen.push(s.into_owned())),
            "list" => r.array(|r| r.string().map(|s| seen.push(s.into_owned()))),
            "z" => r.optional(Reader::string).map(|s| assert!(s.is_none())),
            _ => r.skip(),
        });
        assert_eq!(walked, Ok(()));
        assert_eq!(r.finish(), Ok(()));
        assert_eq!(seen, ["x", "p", "q"]);
        let mut r = Reader::new(r#"{"pem": "a\nb\u0041", "n": 1}"#);
        let mut raw = "";
        let walked = r.object(|r, name| if name == "pem" { r.raw_string().map(|s| raw = s) } else { r.skip() });
        assert_eq!(walked, Ok(()));
        assert_eq!(raw, r#""a\nb\u0041""#);
    }

    #[test]
    fn raw_strings_are_checked_as_decoded_strings() {
        for literal in
            [r#""\ud800""#, r#""\udc00x""#, r#""ab\ud83d\u0041""#, r#""\ud83d\ude00""#, r#""a\nb""#, r#""\x""#]
        {
            let mut r = Reader::new(literal);
            let raw = r.raw_string();
            let serde = serde_json::from_str::<String>(literal);
            assert_eq!(raw.is_ok(), serde.is_ok(), "{literal}");
            if let Ok(raw) = raw {
                assert_eq!(raw, literal);
            }
        }
    }

    #[test]
    fn nesting_is_limited() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(skips(&ok));
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(!skips(&deep));
        let objects = format!("{}1{}", r#"{"a":"#.repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
        assert!(skips(&objects));
        let mut r = Reader::new(&deep);
        assert_eq!(r.array(|r| r.skip()), Err(Invalid));
    }

    #[test]
    fn the_escape_scan_sees_every_byte_at_every_position() {
        for len in 0..20 {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = b;
                    let expected = b != b'"' && b != b'\\' && (0x20..0x7f).contains(&b);
                    assert_eq!(needs_no_escape(&bytes), expected, "byte {b:#04x} at {at} of {len}");
                }
            }
        }
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        // Every character up to U+3000 and a few beyond, alone and among others, at every
        // offset of an eight-byte word.
        for code in (0..0x3000).chain([0xfeff, 0x1_f980]) {
            let Some(c) = char::from_u32(code) else { continue };
            for pad in 0..9 {
                for raw in [
                    format!("{}{c}{}", "a".repeat(pad), "b".repeat(9 - pad)),
                    format!("{c}{}\"x\u{1}", "é".repeat(pad)),
                ] {
                    let mut s = String::new();
                    write_string_as_serde(&mut s, &raw);
                    assert_eq!(s, serde_json::to_string(&raw).unwrap(), "{code:#x}");
                }
            }
        }
        for raw in ["", "\"", "\\", "\u{0}\u{8}\u{c}\u{1f}\u{7f}", "a\"b\\c\nd\re\tf"] {
            let mut s = String::new();
            write_string_as_serde(&mut s, raw);
            assert_eq!(s, serde_json::to_string(raw).unwrap());
        }
    }

    #[test]
    fn escaping() {
        for (raw, expected) in [
            ("plain", r#""plain""#),
            ("a\"b\\c", r#""a\"b\\c""#),
            ("line\nbreak\ttab\u{1}", r#""line\nbreak\ttab\u0001""#),
            ("é", "\"é\""),
            ("\u{7f}\u{1f}", r#""\u007f\u001f""#),
            ("日本 🦀", "\"日本 🦀\""),
            ("a\u{2028}b\u{2029}c\u{85}", r#""a\u2028b\u2029c\u0085""#),
            ("admin\u{202e}nimda\u{2066}x\u{2069}\u{200f}\u{feff}", r#""admin\u202enimda\u2066x\u2069\u200f\ufeff""#),
            ("a\u{61c}b\u{200b}c\u{2060}d\u{2064}", r#""a\u061cb\u200bc\u2060d\u2064""#),
        ] {
            let mut s = String::new();
            write_string(&mut s, raw);
            assert_eq!(s, expected);
            let back: String = serde_json::from_str(&s).unwrap();
            assert_eq!(back, raw);
        }
        // Every character up to U+3000 and a few beyond, at every offset of an eight-byte word:
        // the output reads back to the input and never holds a raw control or invisible one.
        for code in (0..0x3000).chain([0xfeff, 0x1_f980]) {
            let Some(c) = char::from_u32(code) else { continue };
            for pad in 0..9 {
                let raw = format!("{}{c}{}", "a".repeat(pad), "b".repeat(9 - pad));
                let mut s = String::new();
                write_string(&mut s, &raw);
                assert_eq!(serde_json::from_str::<String>(&s).unwrap(), raw, "{code:#x}");
                assert!(!s.chars().any(|c| c < ' ' || invisible(c)), "{code:#x}: {s:?}");
            }
        }
    }
}
