//! Configuration from environment variables: read once at init, validated, never re-read.
//!
//! Every variable is named `AUTHZ_*`. Parsing goes through [`Env`], so tests pass a map
//! instead of touching the process environment. A bad value is a [`ConfigError`] that names
//! the variable and says what was expected; the binary prints it and exits before serving.

use std::collections::HashMap;
use std::time::Duration;

/// A configuration error: which variable, and what was wrong with it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: String,
    pub problem: String,
}

impl ConfigError {
    pub fn new(var: &str, problem: impl Into<String>) -> Self {
        Self { var: var.to_owned(), problem: problem.into() }
    }
}

/// Whether `name` is one of the authorizer's (`AUTHZ_` in any letter case).
pub fn is_authz_name(name: &str) -> bool {
    name.get(..6).is_some_and(|prefix| prefix.eq_ignore_ascii_case("AUTHZ_"))
}

/// A source of configuration values: the process environment or, in tests, a map.
/// `Debug` lists the names only: some values (AWS credentials) are secrets.
#[derive(Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&str> = self.names().collect();
        names.sort_unstable();
        f.debug_struct("Env").field("names", &names).finish()
    }
}

impl Env {
    /// The `AUTHZ_*` variables of this process, in any letter case, so that a name in the
    /// wrong case is refused rather than ignored (others are never looked at).
    pub fn from_process() -> Self {
        Self::from_pairs(std::env::vars().filter(|(k, _)| is_authz_name(k)))
    }

    /// The variables of this process named in `names` (e.g. the `AWS_*` ones the registry
    /// client reads, `mtls::dynamodb::AWS_VARS`).
    pub fn from_process_vars(names: &[&str]) -> Self {
        Self::from_pairs(names.iter().filter_map(|k| std::env::var(k).ok().map(|v| (*k, v))))
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        Self { vars: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }

    /// The value, or `None` when unset or set to the empty string (Terraform often sets
    /// optional variables to "").
    pub fn get(&self, var: &str) -> Option<&str> {
        self.vars.get(var).map(String::as_str).filter(|v| !v.trim().is_empty())
    }

    pub fn string(&self, var: &str, default: &str) -> String {
        self.get(var).unwrap_or(default).trim().to_owned()
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`), case-insensitive.
    pub fn bool(&self, var: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(var).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) => match v.as_str() {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err(ConfigError::new(var, format!("expected true or false, got {v:?}"))),
            },
        }
    }

    /// An unsigned integer within `range` (inclusive).
    pub fn u64_in(&self, var: &str, default: u64, range: std::ops::RangeInclusive<u64>) -> Result<u64, ConfigError> {
        let Some(raw) = self.get(var) else { return Ok(default) };
        let value: u64 =
            raw.trim().parse().map_err(|_| ConfigError::new(var, format!("expected a whole number, got {raw:?}")))?;
        if !range.contains(&value) {
            return Err(ConfigError::new(
                var,
                format!("expected a value from {} to {}, got {value}", range.start(), range.end()),
            ));
        }
        Ok(value)
    }

    /// A duration in milliseconds within `range` (inclusive, in milliseconds).
    pub fn millis_in(
        &self,
        var: &str,
        default_ms: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Duration, ConfigError> {
        self.u64_in(var, default_ms, range).map(Duration::from_millis)
    }

    /// A duration in seconds within `range` (inclusive, in seconds).
    pub fn secs_in(
        &self,
        var: &str,
        default_s: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Duration, ConfigError> {
        self.u64_in(var, default_s, range).map(Duration::from_secs)
    }

    /// A comma-separated list; items are trimmed and empty items dropped.
    pub fn list(&self, var: &str) -> Vec<String> {
        self.get(var)
            .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// The names of the variables that are set, for reporting unknown ones.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_bool(value: &str, expected: Result<bool, ConfigError>) {
        let env = Env::from_pairs([("AUTHZ_X", value)]);
        assert_eq!(env.bool("AUTHZ_X", false), expected);
    }

    #[test]
    fn bools() {
        check_bool("true", Ok(true));
        check_bool("TRUE", Ok(true));
        check_bool("1", Ok(true));
        check_bool("no", Ok(false));
        check_bool("", Ok(false));
        check_bool("maybe", Err(ConfigError::new("AUTHZ_X", "expected true or false, got \"maybe\"")));
    }

    #[test]
    fn numbers_are_range_checked() {
        let env = Env::from_pairs([("AUTHZ_N", "5000"), ("AUTHZ_BAD", "ten")]);
        assert_eq!(env.u64_in("AUTHZ_N", 1, 0..=10_000), Ok(5000));
        assert_eq!(env.u64_in("AUTHZ_UNSET", 7, 0..=10), Ok(7));
        assert_eq!(
            env.u64_in("AUTHZ_N", 1, 0..=100),
            Err(ConfigError::new("AUTHZ_N", "expected a value from 0 to 100, got 5000"))
        );
        assert_eq!(
            env.u64_in("AUTHZ_BAD", 1, 0..=100),
            Err(ConfigError::new("AUTHZ_BAD", "expected a whole number, got \"ten\""))
        );
    }

    #[test]
    fn lists_trim_and_drop_empties() {
        let env = Env::from_pairs([("AUTHZ_L", " a, b ,,c ")]);
        assert_eq!(env.list("AUTHZ_L"), vec!["a", "b", "c"]);
        assert!(env.list("AUTHZ_NONE").is_empty());
    }
}
