//! A TCP proxy on 127.0.0.1 that holds every new connection for a while before relaying
//! it: a server that answers too slowly, for timeout tests.
//!
//! It runs on its own thread and runtime, so it works whatever runtime the test uses, and
//! it lives until the test process exits.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// A running proxy: connect to `addr` to reach the target after `delay`.
#[derive(Debug)]
pub struct SlowProxy {
    pub addr: SocketAddr,
    pub delay: Duration,
}

impl SlowProxy {
    /// Starts a proxy to `target` on a free 127.0.0.1 port.
    pub fn start(target: SocketAddr, delay: Duration) -> io::Result<SlowProxy> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        std::thread::Builder::new().name("slow-proxy".to_owned()).spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = TcpListener::from_std(listener) else { return };
                while let Ok((client, _)) = listener.accept().await {
                    tokio::spawn(relay(client, target, delay));
                }
            });
        })?;
        Ok(SlowProxy { addr, delay })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn relay(mut client: TcpStream, target: SocketAddr, delay: Duration) {
    tokio::time::sleep(delay).await;
    if let Ok(mut upstream) = TcpStream::connect(target).await {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }
}
