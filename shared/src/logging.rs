//! The JSON log format of the Lambda: one object per line, written straight from the event's
//! fields (no intermediate map, no serde), in the shape CloudWatch Logs Insights reads:
//!
//! `{"timestamp":"2026-11-23T10:00:00.123456Z","level":"INFO","target":"decision","message":"decision","request_id":"...",...}`
//!
//! Fields are flattened into the object in the order the event names them; strings are
//! JSON-escaped, integers and booleans are written as JSON numbers and booleans. Span context
//! is not written (the authorizer opens no spans on the decision path). Every line written
//! while an invocation is handled carries its `request_id` ([`with_request_id`], which
//! `Authorizer::handle` sets): a registry fault's WARN can be joined to its decision line.
//! The Lambda, the benchmarks and the tests all install this same subscriber, so what the
//! tests read is what CloudWatch gets.

use std::fmt::{self, Write as _};
use std::future::Future;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};

use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::layer::{self, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

use crate::json;

tokio::task_local! {
    /// The request id of the invocation whose future is running, for [`JsonLine`].
    static REQUEST_ID: RequestId;
}

/// A request id, held inline when it fits (Lambda's are 36-byte UUIDs): setting the scope
/// of every invocation should not cost an allocation.
enum RequestId {
    Inline { len: usize, bytes: [u8; INLINE_ID] },
    Long(Box<str>),
}

const INLINE_ID: usize = 48;

impl RequestId {
    fn new(id: &str) -> Self {
        let mut bytes = [0u8; INLINE_ID];
        match bytes.get_mut(..id.len()) {
            Some(head) => {
                head.copy_from_slice(id.as_bytes());
                RequestId::Inline { len: id.len(), bytes }
            }
            None => RequestId::Long(id.into()),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            // Copied whole from a `str`, so always UTF-8.
            RequestId::Inline { len, bytes } => bytes.get(..*len).and_then(|b| std::str::from_utf8(b).ok()),
            RequestId::Long(id) => Some(&**id),
        }
        .unwrap_or_default()
    }
}

/// Runs `f` with every line it logs carrying `request_id` (lines that name a `request_id`
/// field themselves keep theirs). Scoped to `f`'s future, so concurrent invocations on one
/// runtime each see their own.
pub async fn with_request_id<F: Future>(request_id: &str, f: F) -> F::Output {
    REQUEST_ID.scope(RequestId::new(request_id), f).await
}

/// Targets that stay quiet whatever the level: the SDK's signing and wire logs are not
/// decisions, and the signer's could quote credentials.
const QUIET: &str = "aws_sigv4=off,aws_smithy_runtime=warn,hyper=warn,h2=warn,rustls=warn";

/// The variable that sets the log level.
pub const LOG_LEVEL_VAR: &str = "AUTHZ_LOG_LEVEL";

/// `AUTHZ_LOG_LEVEL`: one of `error`, `warn`, `info`, `debug`, `trace` (any letter case),
/// `info` when unset. Anything else is refused: `tracing`'s directive syntax would read a
/// typo such as `warning` as a target name and silently drop every line of every other
/// target (the decision lines included), and a directive list such as
/// `trace,aws_sigv4=trace` would re-enable the targets [`filter`] holds down.
pub fn level(env: &crate::config::Env) -> Result<LevelFilter, crate::config::ConfigError> {
    let raw = env.string(LOG_LEVEL_VAR, "info");
    match raw.to_ascii_lowercase().as_str() {
        "error" => Ok(LevelFilter::ERROR),
        "warn" => Ok(LevelFilter::WARN),
        "info" => Ok(LevelFilter::INFO),
        "debug" => Ok(LevelFilter::DEBUG),
        "trace" => Ok(LevelFilter::TRACE),
        _ => Err(crate::config::ConfigError::new(
            LOG_LEVEL_VAR,
            format!("expected one of error, warn, info, debug, trace, got {raw:?}"),
        )),
    }
}

/// The filter for `level`, with the noisy targets above held down whatever the level.
pub fn filter(level: LevelFilter) -> EnvFilter {
    EnvFilter::builder().parse_lossy(QUIET).add_directive(level.into())
}

/// The subscriber the Lambda installs: [`JsonLine`] events through `filter` and
/// [`QuietRefusals`], written to `writer`.
pub fn subscriber<W>(filter: EnvFilter, writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .event_format(JsonLine)
        .with_env_filter(filter)
        .with_writer(writer)
        .finish()
        .with(QuietRefusals)
}

/// How the binary's handler error prints (`Debug`). `lambda_runtime` logs every error a
/// handler returns at ERROR, as `{error:?}`, under [`RUNTIME_ERROR_TARGET`]; the binary's only
/// error is the deliberate `Unauthorized` answer (a 401), which the decision line has already
/// logged at INFO with its reason.
pub const REFUSAL_RESTATED: &str = "unauthorized: answered with a 401, see the decision line";

/// Where `lambda_runtime` logs handler errors and handler panics.
pub const RUNTIME_ERROR_TARGET: &str = "lambda_runtime::layers::panic";

/// Drops `lambda_runtime`'s restatement of a refusal: an event under [`RUNTIME_ERROR_TARGET`]
/// whose only field is the message [`REFUSAL_RESTATED`]. Without it every 401 also wrote an
/// ERROR line, which log alarms count as faults. Panics (same target, an `error` field and
/// their own message) and any other handler error still log.
#[derive(Clone, Copy, Debug, Default)]
pub struct QuietRefusals;

impl<S: Subscriber> Layer<S> for QuietRefusals {
    fn event_enabled(&self, event: &Event<'_>, _: layer::Context<'_, S>) -> bool {
        if event.metadata().target() != RUNTIME_ERROR_TARGET {
            return true;
        }
        let mut seen = Restated::default();
        event.record(&mut seen);
        !seen.refusal || seen.other
    }
}

/// What an event under [`RUNTIME_ERROR_TARGET`] holds: the refusal's message, anything else.
#[derive(Default)]
struct Restated {
    refusal: bool,
    other: bool,
}

impl Visit for Restated {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" && !self.refusal {
            let mut text = String::new();
            let _ = write!(text, "{value:?}");
            if text == REFUSAL_RESTATED {
                self.refusal = true;
                return;
            }
        }
        self.other = true;
    }
}

/// The event formatter: see the module documentation.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsonLine;

impl<S, N> FormatEvent<S, N> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, _: &FmtContext<'_, S, N>, mut out: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        json::with_scratch(&LINE, |line| {
            line.push_str("{\"timestamp\":\"");
            rfc3339_micros(line, SystemTime::now());
            line.push_str("\",\"level\":\"");
            line.push_str(event.metadata().level().as_str());
            line.push_str("\",\"target\":");
            json::write_string(line, event.metadata().target());
            if event.metadata().fields().field("request_id").is_none() {
                let _ = REQUEST_ID.try_with(|id| {
                    line.push_str(",\"request_id\":");
                    json::write_string(line, id.as_str());
                });
            }
            event.record(&mut Fields { line: &mut *line });
            line.push_str("}\n");
            out.write_str(line)
        })
    }
}

thread_local! {
    /// The line [`JsonLine`] writes into, kept between events.
    static LINE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

struct Fields<'l> {
    line: &'l mut String,
}

/// The bytes a field name may hold to be written without escaping: ASCII letters, digits, `_`
/// and `.`.
#[allow(clippy::indexing_slicing, reason = "a u8 below 128 indexes a 256-entry table")]
const PLAIN_NAME: [bool; 256] = {
    let mut set = [false; 256];
    let mut b = 0u8;
    while b < 128 {
        set[b as usize] = b.is_ascii_alphanumeric() || b == b'_' || b == b'.';
        b += 1;
    }
    set
};

impl Fields<'_> {
    fn key(&mut self, field: &Field) {
        let name = field.name();
        // Field names are Rust identifiers (or dotted paths of them): nothing to escape. A
        // branch-free fold over a table, which the compiler vectorises.
        if name.bytes().fold(true, |plain, b| plain & PLAIN_NAME.get(usize::from(b)).copied().unwrap_or(false)) {
            self.line.push_str(",\"");
            self.line.push_str(name);
            self.line.push_str("\":");
        } else {
            self.line.push(',');
            json::write_string(self.line, name);
            self.line.push(':');
        }
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.key(field);
        json::write_string(self.line, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field);
        push_digits(self.line, value, 1);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        json::write_i64(self.line, value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        self.line.push_str(if value { "true" } else { "false" });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.key(field);
        self.line.push('"');
        let _ = write!(Escaped(&mut *self.line), "{value:?}");
        self.line.push('"');
    }
}

/// A `fmt::Write` that JSON-escapes what is written into the string it wraps.
struct Escaped<'a>(&'a mut String);

impl fmt::Write for Escaped<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        json::write_escaped(self.0, s);
        Ok(())
    }
}

/// `value` in decimal, left-padded with zeros to at least `width` digits (at most 20).
fn push_digits(out: &mut String, mut value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut n = 0;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (value % 10) as u8;
        value /= 10;
        n += 1;
        if value == 0 && n >= width {
            break;
        }
    }
    // Only ASCII digits were written.
    out.push_str(digits.get(digits.len() - n..).and_then(|d| std::str::from_utf8(d).ok()).unwrap_or_default());
}

/// `2026-11-23T10:00:00.123456Z` (UTC, microseconds), as the `tracing-subscriber` JSON format
/// wrote it.
fn rfc3339_micros(out: &mut String, at: SystemTime) {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    // The date and time to the second change once a second: written once, then copied.
    let copied = SECOND
        .try_with(|second| {
            let mut second = second.try_borrow_mut().ok()?;
            if second.0 != Some(secs) {
                second.1.clear();
                date_time(&mut second.1, secs);
                second.0 = Some(secs);
            }
            out.push_str(&second.1);
            Some(())
        })
        .ok()
        .flatten();
    if copied.is_none() {
        date_time(out, secs);
    }
    out.push('.');
    push_digits(out, u64::from(since.subsec_micros()), 6);
    out.push('Z');
}

thread_local! {
    /// The second [`rfc3339_micros`] last wrote, and its text (`2026-11-23T10:00:00`).
    static SECOND: std::cell::RefCell<(Option<u64>, String)> =
        const { std::cell::RefCell::new((None, String::new())) };
}

/// `secs` after the epoch as `YYYY-MM-DDTHH:MM:SS`.
fn date_time(out: &mut String, secs: u64) {
    let (days, in_day) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(i64::try_from(days).unwrap_or(0));
    push_digits(out, u64::try_from(y).unwrap_or(0), 4);
    for (sep, value, width) in [
        ('-', u64::from(m), 2),
        ('-', u64::from(d), 2),
        ('T', in_day / 3600, 2),
        (':', in_day % 3600 / 60, 2),
        (':', in_day % 60, 2),
    ] {
        out.push(sep);
        push_digits(out, value, width);
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;

    #[test]
    fn dates() {
        for (secs, expected) in [
            (0, "1970-01-01T00:00:00.000000Z"),
            (951_782_400, "2000-02-29T00:00:00.000000Z"),
            (1_790_000_000, "2026-09-21T14:13:20.000000Z"),
            (4_107_542_399, "2100-02-28T23:59:59.000000Z"),
        ] {
            let mut s = String::new();
            rfc3339_micros(&mut s, UNIX_EPOCH + Duration::from_secs(secs));
            assert_eq!(s, expected, "{secs}");
        }
        // The same second again, with its microseconds, then the next one (the cached text of
        // the second is used, then replaced).
        let at = |secs, micros| UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros);
        for (time, expected) in [
            (at(1_790_000_000, 7), "2026-09-21T14:13:20.000007Z"),
            (at(1_790_000_000, 999_999), "2026-09-21T14:13:20.999999Z"),
            (at(1_790_000_001, 0), "2026-09-21T14:13:21.000000Z"),
            (at(0, 1), "1970-01-01T00:00:00.000001Z"),
        ] {
            let mut s = String::from("head:");
            rfc3339_micros(&mut s, time);
            assert_eq!(s, format!("head:{expected}"));
        }
    }

    #[test]
    fn numbers() {
        for (value, width, expected) in
            [(0, 1, "0"), (7, 2, "07"), (42, 6, "000042"), (2026, 4, "2026"), (u64::MAX, 1, "18446744073709551615")]
        {
            let mut s = String::new();
            push_digits(&mut s, value, width);
            assert_eq!(s, expected);
        }
    }

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn one_json_object_per_event_with_typed_fields() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = subscriber(filter(LevelFilter::INFO), move || writer.clone());
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "decision", request_id = "r-1", latency_us = 42u64, ok = true, "decision");
            tracing::warn!(reason = "x\"y", "odd \"n\u{1}a\nm\u{e9}" = 7u64, "registry lookup failed");
            tracing::debug!("filtered out at info");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(lines[0]["level"], "INFO");
        assert_eq!(lines[0]["target"], "decision");
        assert_eq!(lines[0]["message"], "decision");
        assert_eq!(lines[0]["request_id"], "r-1");
        assert_eq!(lines[0]["latency_us"], 42);
        assert_eq!(lines[0]["ok"], true);
        assert_eq!(lines[1]["level"], "WARN");
        assert_eq!(lines[1]["reason"], "x\"y");
        // A field name that is not an identifier is escaped like any string.
        assert_eq!(lines[1]["odd \"n\u{1}a\nm\u{e9}"], 7, "{text}");
        assert!(text.contains(r#","odd \"n\u0001a\nmé":7"#), "{text}");
        assert!(lines[0]["timestamp"].as_str().unwrap().ends_with('Z'));
    }

    fn level_of(value: &str) -> Result<LevelFilter, crate::config::ConfigError> {
        level(&crate::config::Env::from_pairs([(LOG_LEVEL_VAR, value)]))
    }

    #[test]
    fn log_level_is_one_word_of_five() {
        assert_eq!(level_of(""), Ok(LevelFilter::INFO));
        assert_eq!(level_of("DEBUG"), Ok(LevelFilter::DEBUG));
        assert_eq!(level_of(" warn "), Ok(LevelFilter::WARN));
        // A typo would be a target name to `tracing` (every other target silenced), and a
        // directive list could re-enable the signer's logs.
        for bad in ["warning", "verbose", "info,aws_sigv4=trace", "aws_sigv4=trace", "off"] {
            let err = level_of(bad).unwrap_err();
            assert_eq!(err.var, LOG_LEVEL_VAR);
            assert!(err.problem.contains("expected one of error, warn, info, debug, trace"), "{err}");
        }
    }

    /// At every level the other targets log at it, and the quiet ones stay down.
    #[test]
    fn filter_holds_the_quiet_targets_down_at_trace() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = subscriber(filter(LevelFilter::TRACE), move || writer.clone());
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "shared::authorizer", "ours");
            tracing::error!(target: "aws_sigv4::sign", "signer");
            tracing::info!(target: "hyper::proto", "wire");
            tracing::warn!(target: "hyper::proto", "wire warning");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let messages: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["message"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(messages, ["ours", "wire warning"], "{text}");
    }

    /// Inside an invocation's scope every line carries its request id, once; outside, none.
    #[test]
    fn lines_inside_an_invocation_carry_its_request_id() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = subscriber(filter(LevelFilter::INFO), move || writer.clone());
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        tracing::subscriber::with_default(subscriber, || {
            runtime.block_on(async {
                tracing::warn!("before");
                with_request_id(&"long-".repeat(20), async { tracing::warn!("long id") }).await;
                with_request_id("r-\"7", async {
                    tracing::warn!(reason = "registry_timeout", "registry lookup failed");
                    tokio::task::yield_now().await;
                    tracing::info!(target: "decision", request_id = "own", "decision");
                })
                .await;
                tracing::warn!("after");
            });
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        let ids: Vec<serde_json::Value> =
            lines.iter().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["request_id"].clone()).collect();
        let null = serde_json::Value::Null;
        assert_eq!(ids, [null.clone(), "long-".repeat(20).into(), "r-\"7".into(), "own".into(), null], "{text}");
        assert_eq!(lines[3].matches("request_id").count(), 1, "{}", lines[3]);
    }

    /// The lines `lambda_runtime` writes under its error target, in the shapes it writes
    /// them (`error!("{error:?}")` for a returned error, `error!(?error, "user handler
    /// panicked")` for a panic): only the restated refusal is dropped.
    #[test]
    fn refusals_restated_by_the_runtime_are_dropped_and_nothing_else() {
        struct Refusal;
        impl fmt::Debug for Refusal {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(REFUSAL_RESTATED)
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = subscriber(filter(LevelFilter::INFO), move || writer.clone());
        tracing::subscriber::with_default(subscriber, || {
            let error = Refusal;
            tracing::error!(target: "lambda_runtime::layers::panic", "{error:?}");
            tracing::error!(target: "lambda_runtime::layers::panic", ?error, "user handler panicked");
            tracing::error!(target: "lambda_runtime::layers::panic", "{:?}", "something else");
            tracing::error!(target: "lambda_runtime::layers::panic", detail = 1, "{error:?}");
            tracing::error!(target: "elsewhere", "{error:?}");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let messages: Vec<&str> = lines.iter().map(|l| l["message"].as_str().unwrap()).collect();
        assert_eq!(
            messages,
            ["user handler panicked", "\"something else\"", REFUSAL_RESTATED, REFUSAL_RESTATED],
            "{text}"
        );
        assert_eq!(lines[0]["error"], REFUSAL_RESTATED);
        assert_eq!(lines[3]["target"], "elsewhere");
    }
}
