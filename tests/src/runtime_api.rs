//! A Lambda Runtime API on 127.0.0.1, speaking the same protocol AWS does, so the real
//! `authorizer` binary can be run and fed events outside Lambda.
//!
//! Implements `GET /2018-06-01/runtime/invocation/next`, `POST .../invocation/{id}/response`,
//! `POST .../invocation/{id}/error` and `POST .../init/error` over HTTP/1.1 keep-alive.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, mpsc};

/// Invocations waiting to be handed out: (request id, event).
type Queue = Arc<Mutex<mpsc::UnboundedReceiver<(String, Vec<u8>)>>>;

/// What the runtime client did.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiEvent {
    /// The client asked for the next invocation (it is ready).
    Next(Instant),
    Response {
        id: String,
        body: Vec<u8>,
        at: Instant,
    },
    Error {
        id: String,
        body: Vec<u8>,
        at: Instant,
    },
    InitError {
        body: Vec<u8>,
    },
}

/// The server: push invocations in, read what the client did out.
#[derive(Debug)]
pub struct RuntimeApi {
    pub addr: SocketAddr,
    invocations: mpsc::UnboundedSender<(String, Vec<u8>)>,
    pub events: mpsc::UnboundedReceiver<ApiEvent>,
}

impl RuntimeApi {
    pub async fn start() -> std::io::Result<RuntimeApi> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (inv_tx, inv_rx) = mpsc::unbounded_channel::<(String, Vec<u8>)>();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let queue = Arc::new(Mutex::new(inv_rx));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, Arc::clone(&queue), ev_tx.clone()));
            }
        });
        Ok(RuntimeApi { addr, invocations: inv_tx, events: ev_rx })
    }

    /// Queues one invocation.
    pub fn invoke(&self, request_id: &str, event: &[u8]) {
        let _ = self.invocations.send((request_id.to_owned(), event.to_vec()));
    }

    /// The next response, error or init error (skipping `Next`), or `None` after `timeout`.
    pub async fn answer(&mut self, timeout: std::time::Duration) -> Option<ApiEvent> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(ApiEvent::Next(_))) => continue,
                Ok(other) => return other,
                Err(_) => return None,
            }
        }
    }
}

async fn serve(stream: TcpStream, queue: Queue, events: mpsc::UnboundedSender<ApiEvent>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut content_length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                content_length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; content_length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let response = if method == "GET" && path.ends_with("/runtime/invocation/next") {
            let _ = events.send(ApiEvent::Next(Instant::now()));
            let next = queue.lock().await.recv().await;
            let Some((id, event)) = next else { return };
            let deadline_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() + 10_000);
            let mut head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 lambda-runtime-aws-request-id: {id}\r\nlambda-runtime-deadline-ms: {deadline_ms}\r\n\
                 lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:authorizer\r\n\
                 lambda-runtime-trace-id: Root=1-00000000-000000000000000000000000\r\n\r\n",
                event.len()
            )
            .into_bytes();
            head.extend_from_slice(&event);
            head
        } else if method == "POST" && path.contains("/runtime/invocation/") {
            let id = path.split('/').nth(4).unwrap_or_default().to_owned();
            let at = Instant::now();
            let _ = if path.ends_with("/response") {
                events.send(ApiEvent::Response { id, body, at })
            } else {
                events.send(ApiEvent::Error { id, body, at })
            };
            b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n".to_vec()
        } else if method == "POST" && path.ends_with("/runtime/init/error") {
            let _ = events.send(ApiEvent::InitError { body });
            b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n".to_vec()
        } else {
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_vec()
        };
        if write.write_all(&response).await.is_err() {
            return;
        }
    }
}

/// The `authorizer` binary built next to this test (`target/<profile>/authorizer`), or
/// `$AUTHORIZER_BIN`.
pub fn authorizer_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("AUTHORIZER_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    // target/<profile>/deps/<test> -> target/<profile>/authorizer
    exe.parent().and_then(|deps| deps.parent()).map(|p| p.join("authorizer")).unwrap_or_default()
}

/// Starts `binary` as Lambda would, pointed at `api`, with `env` on top of the Lambda
/// variables. Killed when the returned child is dropped.
pub fn spawn_function(
    binary: &std::path::Path,
    api: SocketAddr,
    env: &[(String, String)],
) -> std::io::Result<tokio::process::Child> {
    spawn_wrapped(binary, &[], api, env)
}

/// [`spawn_function`] for `program args...`, where `program` runs the function (a profiler
/// such as `valgrind` whose last argument is the binary), with the same environment.
pub fn spawn_wrapped(
    program: &std::path::Path,
    args: &[&std::ffi::OsStr],
    api: SocketAddr,
    env: &[(String, String)],
) -> std::io::Result<tokio::process::Child> {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "authorizer")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/authorizer")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd.spawn()
}

/// The `reason` of the next decision log line on a function's stdout (`lines`, from the
/// child [`spawn_function`] returned), checked to be the line of `request_id`; every line
/// read on the way is kept in `seen`. Panics when no decision line comes within `wait`.
pub async fn logged_reason(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    seen: &mut Vec<String>,
    request_id: &str,
    wait: std::time::Duration,
) -> String {
    loop {
        let line = match tokio::time::timeout(wait, lines.next_line()).await {
            Ok(Ok(Some(line))) => line,
            other => panic!("no decision line for {request_id} within {wait:?}: {other:?}; read so far: {seen:#?}"),
        };
        seen.push(line.clone());
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
        if v["target"] == "decision" {
            assert_eq!(v["request_id"], request_id, "{line}");
            return v["reason"].as_str().unwrap_or_default().to_owned();
        }
    }
}
