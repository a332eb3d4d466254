//! Strict JSON for JOSE headers, claim sets and JWKS: a duplicated member name anywhere is
//! an error instead of silently keeping the last value (RFC 8725 §3.1, RFC 7515 §5.2).
//!
//! Two readers with one rule. [`read_object`] reads a token's header and claim set on every
//! request: a borrowed [`Json`] tree over the decoded text, built with [`crate::json::Reader`]
//! (strings are borrowed unless escaped, numbers converted as `serde_json` converts them).
//! [`parse_object`] builds a `serde_json` map and reads JWKS documents (at init and on a
//! refetch); it is also the reference the tests hold the first one to.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

pub(crate) use crate::json::same_name;
use crate::json::{Invalid, Reader, Result as Read};

/// A JSON value of a token, its strings borrowed from the decoded text where they hold no
/// escapes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Object<'a>),
}

/// An object's members in document order; no two have the same (decoded) name.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Object<'a>(Vec<(Cow<'a, str>, Json<'a>)>);

impl<'a> Object<'a> {
    pub(crate) fn get(&self, name: &str) -> Option<&Json<'a>> {
        self.0.iter().find(|(n, _)| same_name(n, name)).map(|(_, v)| v)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &Json<'a>)> {
        self.0.iter().map(|(n, v)| (n.as_ref(), v))
    }

    pub(crate) fn into_members(self) -> impl Iterator<Item = (Cow<'a, str>, Json<'a>)> {
        self.0.into_iter()
    }
}

impl Json<'_> {
    pub(crate) fn as_str(&self) -> Option<&str> {
        if let Json::String(s) = self { Some(s) } else { None }
    }

    /// Any number as a float, as `serde_json::Value::as_f64` gives it.
    pub(crate) fn as_f64(&self) -> Option<f64> {
        if let Json::Number(n) = self { n.as_f64() } else { None }
    }

    pub(crate) fn as_array(&self) -> Option<&[Self]> {
        if let Json::Array(items) = self { Some(items) } else { None }
    }

    pub(crate) fn as_object(&self) -> Option<&Object<'_>> {
        if let Json::Object(o) = self { Some(o) } else { None }
    }

    /// The same value as an owned `serde_json::Value`.
    pub(crate) fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.as_ref().to_owned()),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(o) => Value::Object(o.iter().map(|(n, v)| (n.to_owned(), v.to_value())).collect()),
        }
    }
}

/// `serde_json` refuses to build values nested this deep (its recursion limit); so does
/// [`read_object`].
const DEPTH_LIMIT: usize = 128;

/// Objects with more members than this check names for repeats with a hash set rather than
/// by comparing with every earlier name (a token of 8 KiB could hold a thousand).
const LINEAR_NAMES: usize = 16;

/// Reads `text` as one JSON object whose members (at every depth) have unique names: the
/// same documents [`parse_object`] accepts, the same values it builds.
pub(crate) fn read_object(text: &str) -> Option<Object<'_>> {
    let mut reader = Reader::new(text);
    if reader.peek() != Some(b'{') {
        return None;
    }
    let object = read_value(&mut reader, 1).ok()?;
    reader.finish().ok()?;
    if let Json::Object(o) = object { Some(o) } else { None }
}

/// One value whose containers open at nesting level `depth` (1 for the outermost).
fn read_value<'a>(r: &mut Reader<'a>, depth: usize) -> Read<Json<'a>> {
    Ok(match r.peek().ok_or(Invalid)? {
        b'{' | b'[' if depth >= DEPTH_LIMIT => return Err(Invalid),
        b'{' => Json::Object(read_members(r, depth)?),
        b'[' => {
            let mut items = Vec::new();
            r.array(|r| read_value(r, depth + 1).map(|v| items.push(v)))?;
            Json::Array(items)
        }
        b'"' => Json::String(r.string()?),
        b'n' => r.null().map(|_| Json::Null)?,
        b't' | b'f' => Json::Bool(r.boolean()?),
        _ => Json::Number(number(r.number()?).ok_or(Invalid)?),
    })
}

fn read_members<'a>(r: &mut Reader<'a>, depth: usize) -> Read<Object<'a>> {
    // A header or claim set (the outermost object) is room for [`LINEAR_NAMES`] members at
    // once instead of growing from 4 to 8 to 16; nested objects are usually small.
    let mut members: Vec<(Cow<'a, str>, Json<'a>)> = Vec::with_capacity(if depth == 1 { LINEAR_NAMES } else { 0 });
    let mut names: Option<HashSet<Cow<'a, str>>> = None;
    r.object(|r, name| {
        let repeated = match &mut names {
            Some(set) => !set.insert(name.clone()),
            None => members.iter().any(|(n, _)| same_name(n, &name)),
        };
        if repeated {
            return Err(Invalid);
        }
        if names.is_none() && members.len() == LINEAR_NAMES {
            names = Some(members.iter().map(|(n, _)| n.clone()).chain([name.clone()]).collect());
        }
        members.push((name, read_value(r, depth + 1)?));
        Ok(())
    })?;
    Ok(Object(members))
}

/// A number literal converted as `serde_json` converts it: integers to `u64` or `i64`, and
/// fractions, exponents, `-0` and integers out of range to `f64`; refused when infinite.
fn number(literal: &str) -> Option<Number> {
    // The common case (a NumericDate): up to 19 digits always fit a u64, accumulated in
    // the same pass that checks they are all digits.
    if !literal.is_empty() && literal.len() <= 19 {
        let (value, digits) = literal.bytes().fold((0u64, true), |(n, digits), b| {
            let d = b.wrapping_sub(b'0');
            (n.wrapping_mul(10).wrapping_add(u64::from(d)), digits & (d < 10))
        });
        if digits {
            return Some(Number::from(value));
        }
    }
    serde_json::from_str(literal).ok()
}

/// Parses `bytes` as one JSON object whose members (at every depth) have unique names.
pub(crate) fn parse_object(bytes: &[u8]) -> Option<Map<String, Value>> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let object = StrictObject::deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(object.0)
}

struct StrictObject(Map<String, Value>);

impl<'de> Deserialize<'de> for StrictObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ObjectVisitor).map(StrictObject)
    }
}

/// A value whose nested objects are also checked for duplicate names.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a json object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value_seed(StrictValue)?;
            if map.insert(key, value).is_some() {
                return Err(de::Error::custom("duplicate member name"));
            }
        }
        Ok(map)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a json value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = access.next_element_seed(StrictValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Value, A::Error> {
        ObjectVisitor.visit_map(access).map(Value::Object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What each reader makes of `text`: the same value, or both refuse it.
    #[track_caller]
    fn agree(text: &str) {
        let borrowed = read_object(text).map(|o| Json::Object(o).to_value());
        let reference = parse_object(text.as_bytes()).map(Value::Object);
        assert_eq!(borrowed, reference, "{text:?}");
    }

    const CLAIM_SETS: &[&str] = &[
        r#"{"iss":"https://idp.example.com","sub":"user-7f3a","aud":["a","b"],"iat":1789999940,"exp":1790000600,"scope":"x y","cnf":{"x5t#S256":"abc"}}"#,
        r#"{"n":[0,-0,1.0,1e2,1E-2,-1,0.1,9999999999999999999,1000000000000000000,18446744073709551615,18446744073709551616,-9223372036854775808]}"#,
        r#"{"n":[-9223372036854775809,123456789012345678901234567890,1.7976931348623157e308,5e-324,-0.0]}"#,
        r#"{"n":1e400}"#,
        r#"{"n":-1e400}"#,
        r#"{"a":"\u0061","\u0061":1}"#,
        r#"{"a":1,"\u0061":2}"#,
        r#"{"a":{"b":1,"c":{"b":2}},"d":[{"b":1},{"b":2}]}"#,
        r#"{"a":[{"b":1,"b":2}]}"#,
        r#"{"a":true,"b":false,"c":null,"d":"\ud83d\ude00\n","e":[]}"#,
        r#" { } "#,
        r#"{"a":1}{"#,
        r#"[{"a":1}]"#,
        r#""x""#,
        r#"{"a":"\ud800"}"#,
    ];

    #[test]
    fn the_borrowed_reader_agrees_with_the_reference() {
        for doc in CLAIM_SETS {
            agree(doc);
        }
        // Many members: repeats are found past the linear scan, too.
        let many: Vec<String> = (0..40).map(|i| format!(r#""m{i}":{i}"#)).collect();
        agree(&format!("{{{}}}", many.join(",")));
        agree(&format!(r#"{{{},"m3":0}}"#, many.join(",")));
        agree(&format!(r#"{{{},"m39":0}}"#, many.join(",")));
        agree(&format!(r#"{{"m39":0,{}}}"#, many.join(",")));
        // serde_json's recursion limit, both sides of it, in arrays and objects.
        for depth in [126, 127, 128, 129] {
            agree(&format!(r#"{{"a":{}1{}}}"#, "[".repeat(depth - 1), "]".repeat(depth - 1)));
            agree(&format!(r#"{{"a":{}1{}}}"#, r#"{"b":"#.repeat(depth - 1), "}".repeat(depth - 1)));
        }
    }

    /// Every byte of the documents above deleted, doubled or replaced by a byte JSON gives
    /// meaning to: the two readers still agree.
    #[test]
    fn the_borrowed_reader_agrees_on_mutations() {
        let specials = b"{}[]\",:\\0-1.eE+ntfu \n\x01";
        let mut checked = 0;
        for doc in CLAIM_SETS.iter().take(10) {
            let bytes = doc.as_bytes();
            for i in 0..bytes.len() {
                let mut variants = vec![[&bytes[..i], &bytes[i + 1..]].concat()];
                variants.push([&bytes[..=i], &bytes[i..]].concat());
                variants.extend(specials.iter().map(|&b| [&bytes[..i], &[b], &bytes[i + 1..]].concat()));
                for v in variants.iter().filter_map(|v| std::str::from_utf8(v).ok()) {
                    agree(v);
                    checked += 1;
                }
            }
        }
        assert!(checked > 10_000, "{checked}");
    }

    #[test]
    fn strings_are_borrowed_unless_escaped() {
        let object = read_object(r#"{"a":"plain","b":"esc\n"}"#).unwrap_or_default();
        assert!(matches!(object.get("a"), Some(Json::String(Cow::Borrowed("plain")))));
        assert!(matches!(object.get("b"), Some(Json::String(Cow::Owned(s))) if s == "esc\n"));
    }

    #[track_caller]
    fn check(input: &str, expected: Option<&str>) {
        let got = parse_object(input.as_bytes()).map(|m| Value::Object(m).to_string());
        assert_eq!(got.as_deref(), expected, "{input}");
    }

    #[test]
    fn objects_with_unique_names_only() {
        check(r#"{"a":1,"b":[1,{"c":true}]}"#, Some(r#"{"a":1,"b":[1,{"c":true}]}"#));
        check(r#" {"a":"x"} "#, Some(r#"{"a":"x"}"#));
        check(r#"{"a":1,"a":2}"#, None);
        check(r#"{"a":{"b":1,"b":1}}"#, None);
        check(r#"{"a":[{"b":1,"b":1}]}"#, None);
        check(r#"{"a":1}{"b":2}"#, None);
        check(r#"{"a":1} x"#, None);
        check(r#"[1]"#, None);
        check(r#""s""#, None);
        check(r#"{"a":1"#, None);
        check("", None);
    }
}
