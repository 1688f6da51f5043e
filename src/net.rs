//! Whether a server's address takes a TCP connection. A refused port or an unknown host is
//! named with its cause within seconds, where a client library would say "pool timed out" or
//! "error sending request" only after its own timeouts.

use std::time::Duration;

/// How long one probe waits for a connection.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// An address that took no connection, and why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot connect to {addr}: {cause}")]
pub struct Unreachable {
    pub addr: String,
    pub cause: String,
}

/// Opens (and drops) one TCP connection to `host:port`.
pub async fn probe(host: &str, port: u16) -> Result<(), Unreachable> {
    let unreachable = |cause: String| Unreachable {
        addr: format!("{host}:{port}"),
        cause,
    };
    match tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable(format!("no answer within {PROBE_TIMEOUT:?}"))),
    }
}

/// [`probe`] of an http(s) URL's host and port; a URL without a host passes.
pub async fn probe_url(url: &url::Url) -> Result<(), Unreachable> {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => probe(host.trim_matches(['[', ']']), port).await,
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_listening_port_passes_and_a_closed_one_is_named() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let open = listener.local_addr().expect("addr").port();
        probe("127.0.0.1", open).await.expect("open port");
        drop(listener);
        let err = probe("127.0.0.1", open).await.expect_err("closed port");
        assert_eq!(err.addr, format!("127.0.0.1:{open}"));
        assert!(err.to_string().contains("refused"), "{err}");
    }
}
