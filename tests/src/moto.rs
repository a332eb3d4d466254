//! Starts moto_server (a DynamoDB-compatible server from PyPI `moto[server]`) on a free
//! 127.0.0.1 port and creates registry tables on it.
//!
//! The server runs under `sh`, which waits on a pipe from this process and kills the
//! server when the pipe closes. The pipe closes when the [`MotoServer`] is stopped or
//! dropped, and also when the test process exits in any way (statics are never dropped),
//! so no server outlives its tests.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use shared::mtls::MtlsConfig;
use shared::mtls::dynamodb::{DynamoRegistry, LocalEndpoint};
use shared::mtls::registry::RegistryItem;

/// How long a starting server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// `MOTO_SERVER`, or `.venv/bin/moto_server` at the workspace root.
pub fn moto_server_path() -> String {
    std::env::var("MOTO_SERVER")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/moto_server").to_owned())
}

/// A free TCP port on 127.0.0.1 (free when asked; another process could take it after).
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A running moto_server.
#[derive(Debug)]
pub struct MotoServer {
    pub addr: SocketAddr,
    child: Child,
    /// Closing this pipe makes the wrapper kill the server.
    lifeline: Option<ChildStdin>,
}

impl MotoServer {
    /// Starts a server on a free port and waits until it accepts connections.
    pub fn start() -> io::Result<MotoServer> {
        let port = free_port()?;
        let script = r#"server="$1"; shift; "$server" "$@" >/dev/null 2>&1 & pid=$!; read -r _; kill "$pid" 2>/dev/null; wait "$pid""#;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("moto-wrapper")
            .arg(moto_server_path())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let lifeline = child.stdin.take();
        let mut server = MotoServer { addr: SocketAddr::from(([127, 0, 0, 1], port)), child, lifeline };
        server.wait_until_accepting()?;
        Ok(server)
    }

    fn wait_until_accepting(&mut self) -> io::Result<()> {
        let started = Instant::now();
        loop {
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(io::Error::other(format!(
                    "moto_server ({}) exited with {status} before accepting connections",
                    moto_server_path()
                )));
            }
            if started.elapsed() > START_TIMEOUT {
                self.stop();
                return Err(io::Error::other("moto_server did not accept connections within 60 s"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_DYNAMODB`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn endpoint(&self) -> LocalEndpoint {
        LocalEndpoint::dummy(&self.endpoint_url())
    }

    /// Stops the server and waits for it to be gone.
    pub fn stop(&mut self) {
        drop(self.lifeline.take());
        let _ = self.child.wait();
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One server shared by every test of the process, started on first use (a failed start
/// is remembered and reported to every caller).
pub fn shared_server() -> Result<&'static MotoServer, String> {
    static SERVER: OnceLock<Result<MotoServer, String>> = OnceLock::new();
    SERVER
        .get_or_init(|| MotoServer::start().map_err(|e| format!("start moto_server: {e}")))
        .as_ref()
        .map_err(Clone::clone)
}

/// Creates `config.table_name` on `endpoint` and writes `items`, through the same adapter
/// the authorizer uses but with generous timeouts (moto is slow on its first calls).
/// Returns that admin registry, for changing items later in a test.
pub async fn seeded_registry(
    endpoint: &LocalEndpoint,
    config: &MtlsConfig,
    items: &[RegistryItem],
) -> Result<DynamoRegistry, shared::mtls::RegistryError> {
    let admin = MtlsConfig {
        attempt_timeout: Duration::from_secs(10),
        operation_timeout: Duration::from_secs(30),
        max_attempts: 3,
        ..config.clone()
    };
    let registry = DynamoRegistry::with_endpoint(&admin, endpoint);
    registry.create_table().await?;
    for item in items {
        registry.put(item).await?;
    }
    Ok(registry)
}
