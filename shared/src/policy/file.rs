//! The policy file format (TOML) as written, and load errors that point at the file, line and
//! field.
//!
//! ```toml
//! [[rule]]
//! name = "orders-frontend-reads-orders"
//! auth = "jwt"                     # jwt | mtls | jwt+mtls | any (required)
//! scopes = ["orders:read"]         # all required
//! routes = ["GET /orders", "GET /orders/{id}"]
//! ```
//!
//! Unknown keys are errors. [`crate::policy`] documents every field.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

/// A list of strings with the position of each.
pub type SpannedList = Spanned<Vec<Spanned<String>>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    #[serde(default)]
    pub rule: Vec<Spanned<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub auth: Spanned<String>,
    pub principals: Option<SpannedList>,
    pub issuers: Option<SpannedList>,
    pub scopes: Option<SpannedList>,
    pub any_scopes: Option<SpannedList>,
    pub groups: Option<SpannedList>,
    pub tenants: Option<SpannedList>,
    pub claims: Option<Spanned<BTreeMap<String, Spanned<ClaimValue>>>>,
    pub require_bound_token: Option<Spanned<bool>>,
    pub routes: SpannedList,
}

/// A claim condition: one value (equality) or a list (membership).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged, expecting = "a string, number or boolean, or a list of them")]
pub enum ClaimValue {
    One(Scalar),
    Any(Vec<Scalar>),
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged, expecting = "a string, number or boolean")]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl Scalar {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Scalar::Bool(b) => serde_json::Value::Bool(*b),
            Scalar::Int(i) => serde_json::Value::from(*i),
            Scalar::Float(f) => serde_json::Value::from(*f),
            Scalar::Str(s) => serde_json::Value::String(s.clone()),
        }
    }
}

/// Why a policy file was refused: where, which field, what was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct PolicyError {
    pub file: String,
    /// 1-based line and column; `0` when the error is about the whole file (unreadable).
    pub line: usize,
    pub column: usize,
    /// `rule[2].routes[1]`, or empty for the whole file.
    pub field: String,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.field.as_str()) {
            (0, "") => write!(f, "{}: {}", self.file, self.message),
            (0, field) => write!(f, "{}: {field}: {}", self.file, self.message),
            (line, "") => write!(f, "{}:{line}:{}: {}", self.file, self.column, self.message),
            (line, field) => write!(f, "{}:{line}:{}: {field}: {}", self.file, self.column, self.message),
        }
    }
}

/// Turns byte offsets into lines and columns, and builds errors for one source.
#[derive(Debug)]
pub struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

impl Source<'_> {
    /// 1-based (line, column) of a byte offset; columns count characters.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        (line, column)
    }

    pub fn line_of(&self, span: &Range<usize>) -> usize {
        self.position(span.start).0
    }

    pub fn error(&self, span: &Range<usize>, field: impl Into<String>, message: impl Into<String>) -> PolicyError {
        let (line, column) = self.position(span.start);
        PolicyError { file: self.name.to_owned(), line, column, field: field.into(), message: message.into() }
    }

    /// Parses the file; a syntax or shape error names the field it was found at.
    pub fn parse(&self) -> Result<RawFile, PolicyError> {
        toml::from_str::<RawFile>(self.text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let message = e.message().trim().to_owned();
            let field = self.field_at(span.start, &message);
            self.error(&span, field, message)
        })
    }

    /// The field an offset is in (`rule[1].scopes`), from the table headers and keys before
    /// it; a "missing/unknown field `x`" message names the field itself.
    fn field_at(&self, offset: usize, message: &str) -> String {
        let line_end = self.text.get(offset..).and_then(|s| s.find('\n')).map_or(self.text.len(), |i| offset + i);
        let upto = self.text.get(..line_end).unwrap_or_default();
        let rules = upto.lines().filter(|l| l.trim_start().starts_with("[[rule]]")).count();
        let named = ["missing field `", "unknown field `"]
            .iter()
            .find_map(|p| message.strip_prefix(p))
            .and_then(|rest| rest.split('`').next());
        let key = named.map(str::to_owned).or_else(|| {
            upto.lines().rev().take_while(|l| !l.trim_start().starts_with('[')).find_map(|l| {
                let (k, _) = l.split_once('=')?;
                let k = k.trim();
                (!k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                    .then(|| k.to_owned())
            })
        });
        match (rules, key) {
            (0, Some(k)) => k,
            (0, None) => String::new(),
            (n, Some(k)) => format!("rule[{}].{k}", n - 1),
            (n, None) => format!("rule[{}]", n - 1),
        }
    }
}
