//! A TCP proxy a test can cut and restore: a database outage without stopping the shared
//! server.
//!
//! Cut, it closes the connections it carries and resets every new one as soon as it is
//! accepted, as a load balancer or a connection pooler in front of a stopped server does: the
//! client learns of the failure at once, the worst case for anything that retries in a loop
//! (a closed port would instead keep sqlx's pool retrying quietly until its acquire timeout).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct TcpProxy {
    addr: SocketAddr,
    up: watch::Sender<bool>,
    reset: Arc<AtomicU64>,
    accept: tokio::task::JoinHandle<()>,
}

impl TcpProxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let addr = listener.local_addr().expect("proxy address");
        let (up, _) = watch::channel(true);
        let reset = Arc::new(AtomicU64::new(0));
        let accept = tokio::spawn(accept_loop(listener, upstream, up.clone(), reset.clone()));
        Self {
            addr,
            up,
            reset,
            accept,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes the open connections and resets new ones until [`TcpProxy::restore`].
    pub fn cut(&self) {
        self.up.send_replace(false);
    }

    /// Carries new connections again.
    pub fn restore(&self) {
        self.up.send_replace(true);
    }

    /// Connections reset while cut: how hard the client knocked during the outage.
    pub fn reset_connections(&self) -> u64 {
        self.reset.load(Ordering::SeqCst)
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.accept.abort();
        // The piping tasks end with their connections.
        self.up.send_replace(false);
    }
}

async fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    up: watch::Sender<bool>,
    reset: Arc<AtomicU64>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        if !*up.borrow() {
            reset.fetch_add(1, Ordering::SeqCst);
            // SO_LINGER 0: dropping sends RST, a refusal, not an orderly close.
            let _ = client.set_zero_linger();
            drop(client);
            continue;
        }
        tokio::spawn(pipe(client, upstream, up.subscribe()));
    }
}

/// Carries one connection until either side closes it or the proxy is cut.
async fn pipe(mut client: TcpStream, upstream: SocketAddr, mut up: watch::Receiver<bool>) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        let _ = client.set_zero_linger();
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = up.wait_for(|up| !*up) => {
            let _ = client.set_zero_linger();
        }
    }
}
