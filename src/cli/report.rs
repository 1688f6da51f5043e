//! `avito-reports report`: one report (or a combined one) printed without Telegram, e.g. from
//! cron.

use anyhow::Context;
use chrono_tz::Tz;
use clap::{Args, ValueEnum};

use super::lang::LangArg;
use crate::avito::{AvitoClient, Credentials};
use crate::config::Config;
use crate::domain::{ProfileId, clock};
use crate::report::charts;
use crate::report::engine;
use crate::report::model::{CombinedReport, ProfileReport};
use crate::report::period::today_in;
use crate::report::render::{self, Markup};
use crate::report::{MetricSet, Period, PeriodKind, ProfileSource, ReportOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Html,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PeriodArg {
    Yesterday,
    #[value(name = "last-7-days")]
    Last7Days,
    #[value(name = "last-30-days")]
    Last30Days,
    #[value(name = "previous-month")]
    PreviousMonth,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// An application's client_id; repeat together with --client-secret for a combined report.
    #[arg(long = "client-id", required = true)]
    pub client_ids: Vec<String>,
    /// The client_secret for the --client-id at the same position (or AVITO_CLIENT_SECRET for a
    /// single profile, which keeps it out of the process list).
    #[arg(
        long = "client-secret",
        env = "AVITO_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub client_secrets: Vec<String>,
    /// The period (default: yesterday). Not together with --from/--to.
    #[arg(long, value_enum, conflicts_with_all = ["from", "to"])]
    pub period: Option<PeriodArg>,
    /// First day of a custom range, YYYY-MM-DD (with --to).
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// Last day of a custom range, YYYY-MM-DD (with --from).
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// Metrics, comma-separated: views, contacts, favorites, conversion, calls, spending,
    /// cost_per_contact, balance, cpa_balance, active_items, rating (default: all).
    #[arg(long)]
    pub metrics: Option<String>,
    /// IANA time zone the period is counted in.
    #[arg(long, default_value = "Europe/Moscow")]
    pub tz: String,
    #[arg(long, value_enum, default_value = "ru")]
    pub lang: LangArg,
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
    /// Also write the report's charts as PNG files into this folder (created if missing):
    /// daily.png and spending.png for one profile, profiles.png for several.
    #[arg(long, value_name = "DIR")]
    pub charts: Option<std::path::PathBuf>,
}

/// A bad argument, said in one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ArgError(pub(super) String);

/// `--tz` as a zone.
pub(super) fn parse_tz(raw: &str) -> Result<Tz, ArgError> {
    raw.parse().map_err(|_| {
        ArgError(format!(
            "--tz '{raw}' is not an IANA time zone (e.g. Europe/Moscow, Asia/Yekaterinburg)"
        ))
    })
}

/// The period of `--period` or `--from`/`--to` (default: yesterday), days counted in `tz`.
pub(super) fn resolve_period(
    period: Option<PeriodArg>,
    from: Option<&str>,
    to: Option<&str>,
    tz: Tz,
) -> Result<Period, ArgError> {
    let now = clock::now();
    Ok(match (from, to, period) {
        (Some(from), Some(to), _) => Period::parse_range(from, to, today_in(tz, now))
            .map_err(|e| ArgError(format!("--from/--to: {e}")))?,
        (_, _, Some(p)) => Period::resolve(
            match p {
                PeriodArg::Yesterday => PeriodKind::Yesterday,
                PeriodArg::Last7Days => PeriodKind::Last7Days,
                PeriodArg::Last30Days => PeriodKind::Last30Days,
                PeriodArg::PreviousMonth => PeriodKind::PreviousMonth,
            },
            tz,
            now,
        ),
        _ => Period::resolve(PeriodKind::Yesterday, tz, now),
    })
}

fn options(args: &ReportArgs, deadline: std::time::Duration) -> Result<ReportOptions, ArgError> {
    let tz = parse_tz(&args.tz)?;
    let period = resolve_period(args.period, args.from.as_deref(), args.to.as_deref(), tz)?;
    let metrics = match &args.metrics {
        Some(list) => {
            MetricSet::parse_list(list).map_err(|e| ArgError(format!("--metrics: {e}")))?
        }
        None => MetricSet::all(),
    };
    Ok(ReportOptions {
        period,
        metrics,
        tz,
        lang: args.lang.into(),
        deadline: Some(deadline),
        listings: crate::listings::fetch::Reuse::Ask,
    })
}

fn sources(args: &ReportArgs) -> Result<Vec<ProfileSource>, ArgError> {
    if args.client_ids.len() != args.client_secrets.len() {
        return Err(ArgError(format!(
            "{} --client-id but {} --client-secret: give one secret per client id, in the same order",
            args.client_ids.len(),
            args.client_secrets.len()
        )));
    }
    args.client_ids
        .iter()
        .zip(&args.client_secrets)
        .enumerate()
        .map(|(i, (id, secret))| {
            let credentials = Credentials::new(id, secret)
                .map_err(|e| ArgError(format!("profile {}: {e}", i + 1)))?;
            Ok(ProfileSource {
                profile_id: ProfileId(i as i64 + 1),
                name: id.trim().to_owned(),
                credentials,
                avito_user_id: None,
            })
        })
        .collect()
}

/// Names each profile after its Avito account where Avito tells us, and keeps the account id
/// so the report does not ask again. All profiles at once (bounded like the report itself):
/// one after another, 50 profiles took 20 times as long as one.
/// Lookups still unanswered at `deadline` are given up (the report then says why).
async fn name_after_accounts(
    client: &AvitoClient,
    sources: &mut [ProfileSource],
    deadline: tokio::time::Instant,
) {
    let permits = tokio::sync::Semaphore::new(engine::CONCURRENT_PROFILES);
    let lookups = sources.iter().map(|source| {
        let account = client.account(source.credentials.clone());
        let permits = &permits;
        async move {
            let lookup = async {
                let _permit = permits.acquire().await.ok();
                account.self_info().await.ok()
            };
            tokio::time::timeout_at(deadline, lookup)
                .await
                .ok()
                .flatten()
        }
    });
    let found = futures::future::join_all(lookups).await;
    for (source, me) in sources.iter_mut().zip(found) {
        let Some(me) = me else { continue };
        source.avito_user_id = me.id;
        if let Some(name) = me.name.filter(|n| !n.trim().is_empty()) {
            source.name = name;
        }
    }
}

/// The report as made, before it is written out.
enum Made {
    Profile(ProfileReport),
    Combined(CombinedReport),
    /// The single profile could not be reported: JSON shows the failure section, text
    /// formats fail the command with the error.
    Failed {
        report: CombinedReport,
        error: String,
    },
}

pub async fn run(args: ReportArgs, config: &Config) -> anyhow::Result<()> {
    // The whole command answers by the deadline: the account lookups and the report share it.
    let deadline = tokio::time::Instant::now() + config.settings.report_deadline;
    let mut options = options(&args, config.settings.report_deadline)?;
    let mut sources = sources(&args)?;
    let client = AvitoClient::new(config.avito_client())?;
    name_after_accounts(&client, &mut sources, deadline).await;
    options.deadline = Some(deadline.saturating_duration_since(tokio::time::Instant::now()));
    let made = if let [source] = sources.as_slice() {
        match engine::profile_report(&client, source, &options).await {
            Ok(report) => Made::Profile(report),
            Err(e) => Made::Failed {
                report: engine::failed(source, &e, &options),
                error: format!("{}: {e}", source.name),
            },
        }
    } else {
        Made::Combined(engine::combined_report(&client, &sources, &options).await)
    };
    let output = match args.format {
        OutputFormat::Json => {
            let value = match &made {
                Made::Profile(report) => serde_json::to_value(report)?,
                Made::Combined(report) | Made::Failed { report, .. } => {
                    serde_json::to_value(report)?
                }
            };
            serde_json::to_string_pretty(&value)?
        }
        OutputFormat::Text | OutputFormat::Html => {
            let markup = if args.format == OutputFormat::Html {
                Markup::Html
            } else {
                Markup::Text
            };
            match &made {
                Made::Profile(report) => render::profile(report, options.lang, markup),
                Made::Combined(report) => render::combined(report, options.lang, markup),
                Made::Failed { error, .. } => return Err(anyhow::anyhow!("{error}")),
            }
        }
    };
    println!("{output}");
    if let Some(dir) = &args.charts {
        write_charts(dir, &made, options.lang)?;
    }
    Ok(())
}

/// Writes the report's charts into `dir`, naming each on stderr (stdout is the report). A
/// chart with nothing to draw is left out; a report with no chart at all says so.
fn write_charts(dir: &std::path::Path, made: &Made, lang: crate::i18n::Lang) -> anyhow::Result<()> {
    let named = match made {
        Made::Profile(report) => charts::profile_charts(report, lang),
        Made::Combined(report) => charts::combined_charts(report, lang),
        Made::Failed { .. } => Vec::new(),
    };
    let rendered = charts::render_all(&named);
    if rendered.is_empty() {
        eprintln!("no charts: nothing in this report to draw");
        return Ok(());
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the charts folder {}", dir.display()))?;
    for chart in rendered {
        let path = dir.join(&chart.file_name);
        std::fs::write(&path, &chart.png.bytes)
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("{} ({} bytes)", path.display(), chart.png.bytes.len());
    }
    Ok(())
}
