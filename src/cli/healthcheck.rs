//! `avito-reports healthcheck`: asks the running worker's `/healthz` and exits 0 when it
//! answers 200, 1 otherwise. The container image has no curl; its HEALTHCHECK runs this.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;

use crate::config::Settings;

#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// URL to ask; default: /healthz on the port of HTTP_ADDR, on loopback.
    #[arg(long)]
    pub url: Option<url::Url>,
    /// How long to wait for the answer, in seconds.
    #[arg(long, default_value_t = 3.0)]
    pub timeout: f64,
}

/// The URL the health check asks when none is given: the endpoint's port on loopback (the
/// worker may listen on 0.0.0.0, which is not an address to connect to).
pub fn default_url(http_addr: SocketAddr) -> String {
    let host = match http_addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/healthz", SocketAddr::new(host, http_addr.port()))
}

pub async fn run(args: HealthcheckArgs, settings: &Settings) -> anyhow::Result<()> {
    let url = match (&args.url, settings.http_addr) {
        (Some(url), _) => url.to_string(),
        (None, Some(addr)) => default_url(addr),
        (None, None) => bail!("HTTP_ADDR is not set and no --url was given: nothing to check"),
    };
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        bail!("--timeout must be a positive number of seconds");
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs_f64(args.timeout))
        .build()
        .context("building the HTTP client")?;
    let response = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("{url} did not answer"))?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        bail!("{url} answered {status}: {}", body.trim());
    }
    println!("ok");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unspecified_listen_address_is_checked_on_loopback() {
        let addr: SocketAddr = "0.0.0.0:8080".parse().expect("addr");
        assert_eq!(default_url(addr), "http://127.0.0.1:8080/healthz");
        let addr: SocketAddr = "[::]:9090".parse().expect("addr");
        assert_eq!(default_url(addr), "http://[::1]:9090/healthz");
        let addr: SocketAddr = "10.1.2.3:81".parse().expect("addr");
        assert_eq!(default_url(addr), "http://10.1.2.3:81/healthz");
    }
}
