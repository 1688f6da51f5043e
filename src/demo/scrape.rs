//! The worker's `/metrics`, scraped over HTTP as Prometheus would, and read back.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;

/// Scrapes `http://ADDR/metrics`.
#[derive(Debug, Clone)]
pub struct Scraper {
    client: reqwest::Client,
    url: String,
}

impl Scraper {
    pub fn new(addr: SocketAddr) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .context("building the HTTP client for /metrics")?;
        Ok(Self {
            client,
            url: format!("http://{addr}/metrics"),
        })
    }

    /// The exposition text.
    pub async fn scrape(&self) -> anyhow::Result<String> {
        let response = self
            .client
            .get(&self.url)
            .send()
            .await
            .with_context(|| format!("GET {}", self.url))?;
        let status = response.status();
        anyhow::ensure!(status.is_success(), "GET {} answered {status}", self.url);
        response
            .text()
            .await
            .with_context(|| format!("reading the body of GET {}", self.url))
    }
}

/// The value of one series, e.g. `avito_reports_reports_sent_total{kind="now"}`; 0 when the
/// series is absent (a counter that never moved).
pub fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .filter_map(|line| line.rsplit_once(' '))
        .find(|(name, _)| *name == series)
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0.0)
}

/// The sum of every series of a metric (all label values), e.g. all Avito requests.
pub fn sum(text: &str, metric: &str) -> f64 {
    let prefix = format!("{metric}{{");
    text.lines()
        .filter(|line| line.starts_with(&prefix))
        .filter_map(|line| line.rsplit_once(' '))
        .filter_map(|(_, value)| value.parse::<f64>().ok())
        .sum()
}

/// The series of a metric whose value is not zero, as exposed (`name{labels} value`).
pub fn nonzero_series<'a>(text: &'a str, metric: &str) -> Vec<&'a str> {
    let labelled = format!("{metric}{{");
    let bare = format!("{metric} ");
    text.lines()
        .filter(|line| line.starts_with(&labelled) || line.starts_with(&bare))
        .filter(|line| {
            line.rsplit_once(' ')
                .and_then(|(_, v)| v.parse::<f64>().ok())
                .is_some_and(|v| v != 0.0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# HELP avito_reports_reports_sent Reports delivered\n\
        # TYPE avito_reports_reports_sent counter\n\
        avito_reports_reports_sent_total{kind=\"now\"} 1\n\
        avito_reports_reports_sent_total{kind=\"stats\"} 0\n\
        avito_reports_avito_requests_total{operation=\"getAccessToken\",status=\"200\"} 2\n\
        avito_reports_avito_requests_total{operation=\"itemAnalytics\",status=\"200\"} 1\n\
        avito_reports_telegram_messages_sent_total 3\n\
        # EOF\n";

    #[test]
    fn samples_sums_and_nonzero_series_are_read_from_the_exposition() {
        assert_eq!(
            sample(TEXT, "avito_reports_reports_sent_total{kind=\"now\"}"),
            1.0
        );
        assert_eq!(
            sample(
                TEXT,
                "avito_reports_reports_sent_total{kind=\"historical\"}"
            ),
            0.0
        );
        assert_eq!(sum(TEXT, "avito_reports_avito_requests_total"), 3.0);
        assert_eq!(
            nonzero_series(TEXT, "avito_reports_reports_sent_total"),
            ["avito_reports_reports_sent_total{kind=\"now\"} 1"]
        );
        assert_eq!(
            nonzero_series(TEXT, "avito_reports_telegram_messages_sent_total"),
            ["avito_reports_telegram_messages_sent_total 3"]
        );
    }
}
