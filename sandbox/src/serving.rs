//! Serving a router on a bound loopback listener until told to stop: what every emulator
//! here shares.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::sync::lock;

/// A server task and its stop switch. Cheap to clone; all clones control one server.
#[derive(Clone)]
pub(crate) struct Serving {
    stop: Arc<watch::Sender<bool>>,
    server: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl Serving {
    /// A stop switch for a server not started yet (its receiver lets handlers see shutdown).
    pub(crate) fn switch() -> (watch::Sender<bool>, watch::Receiver<bool>) {
        watch::channel(false)
    }

    /// Serves `app` on `listener` until `stop` turns true.
    pub(crate) fn spawn(
        listener: tokio::net::TcpListener,
        app: Router,
        (stop, mut stopped): (watch::Sender<bool>, watch::Receiver<bool>),
        what: &'static str,
    ) -> Self {
        let server = tokio::spawn(async move {
            let graceful = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(graceful)
                .await
            {
                tracing::warn!(error = %e, server = what, "server stopped with an error");
            }
        });
        Self {
            stop: Arc::new(stop),
            server: Arc::new(Mutex::new(Some(server))),
        }
    }

    /// Stops the server: waits up to 5 s for open connections, then aborts them.
    pub(crate) async fn shutdown(&self) {
        self.stop.send_replace(true);
        let handle = lock(&self.server).take();
        if let Some(mut handle) = handle
            && tokio::time::timeout(Duration::from_secs(5), &mut handle)
                .await
                .is_err()
        {
            handle.abort();
        }
    }
}
