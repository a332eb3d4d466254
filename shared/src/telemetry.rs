//! The decision log line and the CloudWatch Embedded Metric Format line, one of each per
//! invocation.
//!
//! Both carry only what is safe to keep: request id, event shape, auth method, principal,
//! outcome, reason code, matched rule and latency. Tokens, signatures, certificates and keys
//! never reach this module.

use std::sync::{Arc, Mutex};

use crate::decision::{Outcome, Reason};
use crate::request::EventShape;

/// The CloudWatch namespace of the decision metrics.
pub const METRICS_NAMESPACE: &str = "ZeroTrustAuthorizer";

/// What one invocation decided, for the log and the metrics.
#[derive(Clone, Copy, Debug)]
pub struct DecisionRecord<'a> {
    pub request_id: &'a str,
    pub shape: Option<EventShape>,
    pub auth_method: &'a str,
    pub principal: Option<&'a str>,
    pub method: Option<&'a str>,
    pub path: Option<&'a str>,
    pub outcome: Outcome,
    pub reason: Reason,
    pub rule: Option<&'a str>,
    pub latency_us: u64,
}

/// Writes the decision line through `tracing` (JSON in the Lambda, see `authorizer/src/main.rs`).
pub fn log_decision(r: &DecisionRecord<'_>) {
    // The message as a plain string field, where it stands in the line (first), rather than
    // as the macro's trailing format string: that one reaches the formatter as
    // `fmt::Arguments`, written through `core::fmt` (~350 instructions a line).
    tracing::info!(
        target: "decision",
        message = "decision",
        request_id = r.request_id,
        shape = r.shape.map_or("unknown", EventShape::as_str),
        auth_method = r.auth_method,
        principal = r.principal.unwrap_or("-"),
        method = r.method.unwrap_or("-"),
        path = r.path.unwrap_or("-"),
        decision = r.outcome.as_str(),
        reason = r.reason.code(),
        rule = r.rule.unwrap_or("-"),
        latency_us = r.latency_us,
    );
}

/// [`write_emf_line`] into a new string, for the tests.
#[cfg(test)]
fn emf_line(r: &DecisionRecord<'_>, timestamp_ms: u64) -> String {
    let mut s = String::with_capacity(448);
    write_emf_line(&mut s, r, timestamp_ms);
    s
}

thread_local! {
    /// The line [`emit_emf_line`] writes into, kept between invocations.
    static EMF_LINE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Writes the EMF line of `r` ([`write_emf_line`]) to `sink`, in a buffer the thread keeps.
pub fn emit_emf_line(sink: &dyn MetricsSink, r: &DecisionRecord<'_>, timestamp_ms: u64) {
    crate::json::with_scratch(&EMF_LINE, |line| {
        write_emf_line(line, r, timestamp_ms);
        sink.emit(line);
    });
}

/// One EMF line, appended to `s`: counts the decision under the dimensions (Outcome) and
/// (Outcome, Reason), and records the handler latency.
fn write_emf_line(s: &mut String, r: &DecisionRecord<'_>, timestamp_ms: u64) {
    // Every interpolated value is a reason code, an enum name or a number: no escaping
    // needed. Written piece by piece: `format!` costs more than the rest of the line.
    s.push_str(r#"{"_aws":{"Timestamp":"#);
    s.push_str(itoa::Buffer::new().format(timestamp_ms));
    s.push_str(r#","CloudWatchMetrics":[{"Namespace":""#);
    s.push_str(METRICS_NAMESPACE);
    s.push_str(concat!(
        r#"","Dimensions":[["Outcome"],["Outcome","Reason"]],"#,
        r#""Metrics":[{"Name":"Decisions","Unit":"Count"},{"Name":"LatencyMicros","Unit":"Microseconds"}]}]},"#,
        r#""Outcome":""#
    ));
    s.push_str(r.outcome.as_str());
    s.push_str(r#"","Reason":""#);
    s.push_str(r.reason.code());
    s.push_str(r#"","Shape":""#);
    s.push_str(r.shape.map_or("unknown", EventShape::as_str));
    s.push_str(r#"","Decisions":1,"LatencyMicros":"#);
    s.push_str(itoa::Buffer::new().format(r.latency_us));
    s.push('}');
}

/// Where EMF lines go: stdout in the Lambda (CloudWatch Logs extracts the metrics), a buffer
/// in tests, nowhere in benchmarks.
pub trait MetricsSink: Send + Sync + std::fmt::Debug {
    fn emit(&self, line: &str);
}

/// Prints each line to stdout, as the Lambda runtime's log capture expects.
#[derive(Debug, Default)]
pub struct StdoutSink;

impl MetricsSink for StdoutSink {
    fn emit(&self, line: &str) {
        println!("{line}");
    }
}

/// Drops every line.
#[derive(Debug, Default)]
pub struct NullSink;

impl MetricsSink for NullSink {
    fn emit(&self, _line: &str) {}
}

/// Keeps every line, for tests.
#[derive(Debug, Default, Clone)]
pub struct MemorySink(pub Arc<Mutex<Vec<String>>>);

impl MetricsSink for MemorySink {
    fn emit(&self, line: &str) {
        if let Ok(mut lines) = self.0.lock() {
            lines.push(line.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decision line, after its timestamp, byte for byte: field order and names are what
    /// CloudWatch Logs Insights queries and alarms are written against.
    #[test]
    fn decision_line_is_exactly_this() {
        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().map_err(|_| std::io::ErrorKind::Other)?.extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = crate::logging::subscriber(
            crate::logging::filter(tracing_subscriber::filter::LevelFilter::INFO),
            move || writer.clone(),
        );
        let record = DecisionRecord {
            request_id: "r-1",
            shape: Some(EventShape::HttpV2),
            auth_method: "jwt",
            principal: Some("user \"7\""),
            method: Some("GET"),
            path: Some("/orders/42"),
            outcome: Outcome::Allow,
            reason: Reason::new("policy_allowed"),
            rule: None,
            latency_us: 37,
        };
        tracing::subscriber::with_default(subscriber, || log_decision(&record));
        let bytes = buffer.0.lock().map(|b| b.clone()).unwrap_or_default();
        let line = String::from_utf8(bytes).unwrap_or_default();
        let (_, rest) = line.split_once(r#"Z","level""#).unwrap_or_default();
        assert_eq!(
            rest,
            concat!(
                r#":"INFO","target":"decision","message":"decision","request_id":"r-1","shape":"http_v2","#,
                r#""auth_method":"jwt","principal":"user \"7\"","method":"GET","#,
                r#""path":"/orders/42","decision":"allow","reason":"policy_allowed","rule":"-","latency_us":37}"#,
                "\n"
            ),
            "{line}"
        );
    }

    #[test]
    fn emf_line_is_valid_json_with_dimensions() {
        let r = DecisionRecord {
            request_id: "r1",
            shape: Some(EventShape::HttpV2),
            auth_method: "jwt",
            principal: Some("alice"),
            method: Some("GET"),
            path: Some("/x"),
            outcome: Outcome::Deny,
            reason: Reason::new("policy_no_rule"),
            rule: None,
            latency_us: 42,
        };
        let v: serde_json::Value = serde_json::from_str(&emf_line(&r, 1_700_000_000_000)).unwrap();
        assert_eq!(v["Outcome"], "deny");
        assert_eq!(v["Reason"], "policy_no_rule");
        assert_eq!(v["Decisions"], 1);
        assert_eq!(v["LatencyMicros"], 42);
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000u64);
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Namespace"], METRICS_NAMESPACE);
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Dimensions"][1][1], "Reason");
        let expected = concat!(
            r#"{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"ZeroTrustAuthorizer","#,
            r#""Dimensions":[["Outcome"],["Outcome","Reason"]],"Metrics":[{"Name":"Decisions","Unit":"Count"},"#,
            r#"{"Name":"LatencyMicros","Unit":"Microseconds"}]}]},"Outcome":"deny","Reason":"policy_no_rule","#,
            r#""Shape":"http_v2","Decisions":1,"LatencyMicros":42}"#
        );
        assert_eq!(emf_line(&r, 1_700_000_000_000), expected);
    }
}
