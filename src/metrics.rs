//! The process' metrics: one registry for the whole process, written to by typed recording
//! functions and read by `/metrics` (see the `ops::http` endpoint).
//!
//! Every metric is named `avito_reports_*`. Recording is a few atomic operations, so it is done
//! inline wherever the event happens; nothing here blocks or allocates much.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The content type of [`encode`]'s output (OpenMetrics text, which Prometheus scrapes natively).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Which kind of report a delivery was; the label values are the `report_runs.kind` slugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportKind {
    Scheduled,
    Now,
    Historical,
    Stats,
}

impl ReportKind {
    pub fn label(self) -> &'static str {
        match self {
            ReportKind::Scheduled => "scheduled",
            ReportKind::Now => "now",
            ReportKind::Historical => "historical",
            ReportKind::Stats => "stats",
        }
    }
}

impl From<crate::domain::RunKind> for ReportKind {
    fn from(kind: crate::domain::RunKind) -> Self {
        use crate::domain::RunKind;
        match kind {
            RunKind::Scheduled => ReportKind::Scheduled,
            RunKind::Now => ReportKind::Now,
            RunKind::Historical => ReportKind::Historical,
            RunKind::Stats => ReportKind::Stats,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct AvitoLabels {
    operation: &'static str,
    /// The HTTP status code, or `error` when no answer came (timeout, connection refused).
    status: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OperationLabel {
    operation: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct QueueLabel {
    queue: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct WorkerLabel {
    worker: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct VersionLabel {
    version: &'static str,
}

fn latency_histogram() -> Histogram {
    // 25 ms … 25.6 s: Avito answers in tens of milliseconds to seconds; the client gives up
    // at its request timeout (30 s), which lands in +Inf.
    Histogram::new(exponential_buckets(0.025, 2.0, 11))
}

struct Metrics {
    registry: Registry,
    updates: Family<KindLabel, Counter>,
    reports_sent: Family<KindLabel, Counter>,
    reports_failed: Family<KindLabel, Counter>,
    avito_requests: Family<AvitoLabels, Counter>,
    avito_latency: Family<OperationLabel, Histogram, fn() -> Histogram>,
    queue_depth: Family<QueueLabel, Gauge>,
    exports_running: Gauge,
    telegram_sends: Counter,
    telegram_rate_limited: Counter,
    admin_alerts: Family<OutcomeLabel, Counter>,
    job_worker_restarts: Family<WorkerLabel, Counter>,
}

impl Metrics {
    fn new() -> Self {
        let metrics = Self {
            registry: Registry::with_prefix("avito_reports"),
            updates: Family::default(),
            reports_sent: Family::default(),
            reports_failed: Family::default(),
            avito_requests: Family::default(),
            avito_latency: Family::new_with_constructor(latency_histogram),
            queue_depth: Family::default(),
            exports_running: Gauge::default(),
            telegram_sends: Counter::default(),
            telegram_rate_limited: Counter::default(),
            admin_alerts: Family::default(),
            job_worker_restarts: Family::default(),
        };
        metrics.start_known_series();
        metrics.registered()
    }

    /// The metrics with every one of them in the registry.
    fn registered(mut self) -> Self {
        let build_info = Family::<VersionLabel, Gauge>::default();
        build_info
            .get_or_create(&VersionLabel {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);

        self.registry
            .register("build_info", "The running version (always 1)", build_info);
        self.registry.register(
            "updates_handled",
            "Telegram updates handed to the bot's handlers, by update kind",
            self.updates.clone(),
        );
        self.registry.register(
            "reports_sent",
            "Reports delivered to a chat, by kind (scheduled, now, historical, stats)",
            self.reports_sent.clone(),
        );
        self.registry.register(
            "reports_failed",
            "Reports that could not be delivered, by kind",
            self.reports_failed.clone(),
        );
        self.registry.register(
            "avito_requests",
            "Avito API requests sent, by operation and HTTP status (`error`: no answer)",
            self.avito_requests.clone(),
        );
        self.registry.register_with_unit(
            "avito_request_duration",
            "Time from sending an Avito request to its answer's headers, by operation",
            prometheus_client::registry::Unit::Seconds,
            self.avito_latency.clone(),
        );
        self.registry.register(
            "queue_depth",
            "Jobs waiting in a queue, as last reported",
            self.queue_depth.clone(),
        );
        self.registry.register(
            "exports_running",
            "Chat exports running now",
            self.exports_running.clone(),
        );
        self.registry.register(
            "telegram_messages_sent",
            "Report messages Telegram accepted",
            self.telegram_sends.clone(),
        );
        self.registry.register(
            "telegram_rate_limited",
            "Telegram answers of 429 Too Many Requests to report messages",
            self.telegram_rate_limited.clone(),
        );
        self.registry.register(
            "admin_alerts",
            "Admin alerts raised, by outcome (sent, suppressed, failed, disabled)",
            self.admin_alerts.clone(),
        );
        self.registry.register(
            "job_worker_restarts",
            "Job workers started again after a failure (their database went away), by worker",
            self.job_worker_restarts.clone(),
        );
        self
    }

    fn start_known_series(&self) {
        // Known series start at 0, so that dashboards and rate() see them before the first
        // event (an empty family is left out of the exposition).
        for kind in ["message", "callback_query", "my_chat_member"] {
            let _ = self.updates.get_or_create(&KindLabel { kind });
        }
        for kind in [
            ReportKind::Scheduled,
            ReportKind::Now,
            ReportKind::Historical,
            ReportKind::Stats,
        ] {
            let label = KindLabel { kind: kind.label() };
            let _ = self.reports_sent.get_or_create(&label);
            let _ = self.reports_failed.get_or_create(&label);
        }
        for outcome in ["sent", "suppressed", "failed", "disabled"] {
            let _ = self.admin_alerts.get_or_create(&OutcomeLabel { outcome });
        }
        for worker in JOB_WORKERS {
            let _ = self
                .job_worker_restarts
                .get_or_create(&WorkerLabel { worker });
        }
    }
}

/// The job workers' label values (`jobs::workers` names its workers so).
const JOB_WORKERS: [&str; 3] = ["reports", "exports", "checks"];

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The registry in the text exposition format, as `/metrics` serves it.
pub fn encode() -> String {
    let mut out = String::with_capacity(8 * 1024);
    // Writing into a String cannot fail; an error here could only come from a label's own
    // encoder, and ours are plain strings.
    if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &METRICS.registry) {
        tracing::error!(error = %e, "cannot encode the metrics");
    }
    out
}

/// The kind of a Telegram update as a label value (`message`, `callback_query`, …).
pub fn update_kind(update: &teloxide::types::Update) -> &'static str {
    use teloxide::types::UpdateKind as K;
    match &update.kind {
        K::Message(_) => "message",
        K::EditedMessage(_) => "edited_message",
        K::ChannelPost(_) => "channel_post",
        K::EditedChannelPost(_) => "edited_channel_post",
        K::CallbackQuery(_) => "callback_query",
        K::MyChatMember(_) => "my_chat_member",
        K::ChatMember(_) => "chat_member",
        K::InlineQuery(_) => "inline_query",
        _ => "other",
    }
}

/// One Telegram update reached the handlers. Call it from the dispatcher (see the module docs
/// of the `ops` module).
pub fn update_handled(update: &teloxide::types::Update) {
    METRICS
        .updates
        .get_or_create(&KindLabel {
            kind: update_kind(update),
        })
        .inc();
}

/// A report reached its chat.
pub fn report_sent(kind: impl Into<ReportKind>) {
    let kind = kind.into().label();
    METRICS
        .reports_sent
        .get_or_create(&KindLabel { kind })
        .inc();
}

/// A report could not be delivered (Avito, Telegram or the database failed).
pub fn report_failed(kind: impl Into<ReportKind>) {
    let kind = kind.into().label();
    METRICS
        .reports_failed
        .get_or_create(&KindLabel { kind })
        .inc();
}

/// One Avito request finished: `status` is the HTTP status, `None` when no answer came.
pub fn avito_request(operation: &'static str, status: Option<u16>, elapsed: Duration) {
    METRICS
        .avito_requests
        .get_or_create(&AvitoLabels {
            operation,
            status: status_label(status),
        })
        .inc();
    METRICS
        .avito_latency
        .get_or_create(&OperationLabel { operation })
        .observe(elapsed.as_secs_f64());
}

/// The Avito client's [`Observer`](crate::avito::Observer): every request counted and timed.
pub struct AvitoRequests;

impl crate::avito::Observer for AvitoRequests {
    fn request(&self, operation: crate::avito::Operation, status: Option<u16>, elapsed: Duration) {
        avito_request(operation.id(), status, elapsed);
    }
}

/// Status codes as static label values, so recording a request allocates nothing.
fn status_label(status: Option<u16>) -> &'static str {
    match status {
        None => "error",
        Some(200) => "200",
        Some(201) => "201",
        Some(204) => "204",
        Some(400) => "400",
        Some(401) => "401",
        Some(403) => "403",
        Some(404) => "404",
        Some(405) => "405",
        Some(409) => "409",
        Some(422) => "422",
        Some(429) => "429",
        Some(500) => "500",
        Some(502) => "502",
        Some(503) => "503",
        Some(504) => "504",
        Some(code) => match code / 100 {
            1 => "1xx",
            2 => "2xx",
            3 => "3xx",
            4 => "4xx",
            _ => "5xx",
        },
    }
}

/// The number of jobs waiting in `queue`, e.g. from a periodic count or a scrape hook
/// (`ops::http::Probes::on_scrape`).
pub fn set_queue_depth(queue: &str, depth: i64) {
    METRICS
        .queue_depth
        .get_or_create(&QueueLabel {
            queue: queue.to_owned(),
        })
        .set(depth);
}

/// Counts an export as running until the guard is dropped (also on a panic or an early
/// return), so the gauge cannot drift.
#[must_use = "the export counts as running only while the guard lives"]
pub struct ExportRunning(());

impl Drop for ExportRunning {
    fn drop(&mut self) {
        METRICS.exports_running.dec();
    }
}

/// Marks an export as running; see [`ExportRunning`].
pub fn export_started() -> ExportRunning {
    METRICS.exports_running.inc();
    ExportRunning(())
}

/// Telegram accepted a report message.
pub fn telegram_sent() {
    METRICS.telegram_sends.inc();
}

/// Telegram answered 429 to a report message.
pub fn telegram_rate_limited() {
    METRICS.telegram_rate_limited.inc();
}

/// An admin alert was sent, suppressed as a duplicate, failed, or had nowhere to go.
pub(crate) fn admin_alert(outcome: &'static str) {
    METRICS
        .admin_alerts
        .get_or_create(&OutcomeLabel { outcome })
        .inc();
}

/// A job worker (`reports`, `exports` or `checks`) failed and is started again.
pub fn job_worker_restarted(worker: &'static str) {
    METRICS
        .job_worker_restarts
        .get_or_create(&WorkerLabel { worker })
        .inc();
}

#[cfg(test)]
mod tests {
    use super::*;

    // The registry is process-wide and unit tests share the process: assertions look for
    // label sets no other test records.

    fn sample(text: &str, prefix: &str) -> Option<f64> {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    }

    #[test]
    fn reports_are_counted_by_kind_and_outcome() {
        report_sent(ReportKind::Historical);
        report_sent(ReportKind::Historical);
        report_failed(crate::domain::RunKind::Historical);
        let text = encode();
        assert!(
            sample(
                &text,
                "avito_reports_reports_sent_total{kind=\"historical\"}"
            )
            .is_some_and(|v| v >= 2.0),
            "{text}"
        );
        assert!(
            sample(
                &text,
                "avito_reports_reports_failed_total{kind=\"historical\"}"
            )
            .is_some_and(|v| v >= 1.0),
            "{text}"
        );
    }

    #[test]
    fn avito_requests_have_a_count_and_a_latency_histogram() {
        avito_request("getChatByIdV2", Some(418), Duration::from_millis(30));
        avito_request("getChatByIdV2", None, Duration::from_millis(30));
        let text = encode();
        assert!(
            text.contains(
                "avito_reports_avito_requests_total{operation=\"getChatByIdV2\",status=\"4xx\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "avito_reports_avito_requests_total{operation=\"getChatByIdV2\",status=\"error\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "avito_reports_avito_request_duration_seconds_count{operation=\"getChatByIdV2\"} 2"
            ),
            "{text}"
        );
    }

    #[test]
    fn export_gauge_goes_back_down_when_the_guard_drops() {
        let before = METRICS.exports_running.get();
        let guard = export_started();
        assert_eq!(METRICS.exports_running.get(), before + 1);
        drop(guard);
        assert_eq!(METRICS.exports_running.get(), before);
    }

    #[test]
    fn queue_depth_shows_the_last_value_set() {
        set_queue_depth("unit-test-queue", 7);
        set_queue_depth("unit-test-queue", 3);
        let text = encode();
        assert!(
            text.contains("avito_reports_queue_depth{queue=\"unit-test-queue\"} 3"),
            "{text}"
        );
    }

    #[test]
    fn job_worker_restarts_start_at_zero_and_count_by_worker() {
        let text = encode();
        for worker in JOB_WORKERS {
            let series = format!("avito_reports_job_worker_restarts_total{{worker=\"{worker}\"}}");
            assert!(sample(&text, &series).is_some(), "{series} in {text}");
        }
        let series = "avito_reports_job_worker_restarts_total{worker=\"exports\"}";
        let before = sample(&encode(), series).unwrap_or_default();
        job_worker_restarted("exports");
        assert!(sample(&encode(), series).is_some_and(|v| v >= before + 1.0));
    }

    #[test]
    fn exposition_ends_with_eof() {
        assert!(encode().ends_with("# EOF\n"));
    }
}
