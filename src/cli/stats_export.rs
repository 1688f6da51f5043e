//! `avito-reports stats-export`: an account's statistics over a period to an .xlsx workbook
//! (per-day totals with charts, per-item rows), without Telegram. The same workbook as the
//! bot's "📊 Statistics to Excel"; a progress bar when stderr is a terminal.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::export::LiveBar;
use super::lang::LangArg;
use super::report::{PeriodArg, parse_tz, resolve_period};
use crate::avito::{AvitoClient, Credentials};
use crate::config::Config;
use crate::export::stats::{self, Stage, StatsOptions, StatsProgress, StatsSnapshot};

#[derive(Debug, Args)]
pub struct StatsExportArgs {
    /// The application's client_id (Avito Pro → Settings → API access).
    #[arg(long)]
    pub client_id: String,
    /// The application's client_secret; prefer the environment variable, which stays out of
    /// the shell history and the process list.
    #[arg(long, env = "AVITO_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: String,
    /// The workbook to write (.xlsx).
    #[arg(long)]
    pub out: PathBuf,
    /// The period (default: yesterday). Not together with --from/--to.
    #[arg(long, value_enum, conflicts_with_all = ["from", "to"])]
    pub period: Option<PeriodArg>,
    /// First day of a custom range, YYYY-MM-DD (with --to).
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// Last day of a custom range, YYYY-MM-DD (with --from).
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// IANA time zone the period's days are counted in ("yesterday" and "today").
    #[arg(long, default_value = "Europe/Moscow")]
    pub tz: String,
    /// Language of the sheets, headers and charts.
    #[arg(long, value_enum, default_value = "ru")]
    pub lang: LangArg,
}

pub async fn run(args: StatsExportArgs, config: &Config) -> anyhow::Result<()> {
    let tz = parse_tz(&args.tz)?;
    let period = resolve_period(args.period, args.from.as_deref(), args.to.as_deref(), tz)?;
    if args.out.extension().and_then(|e| e.to_str()) != Some("xlsx") {
        anyhow::bail!("--out '{}' must name an .xlsx file", args.out.display());
    }
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        anyhow::bail!("--out: the directory '{}' does not exist", dir.display());
    }
    let creds = Credentials::new(&args.client_id, &args.client_secret)?;
    let client = AvitoClient::new(config.avito_client())?;
    let account = client.account(creds);
    let me = account
        .self_info()
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the Avito account: {e}"))?;
    let Some(user_id) = me.id else {
        anyhow::bail!("Avito did not say which account these credentials belong to");
    };
    let name = me
        .name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| args.client_id.trim().to_owned());
    let opts = StatsOptions {
        period,
        lang: args.lang.into(),
        name,
    };
    let progress = Arc::new(StatsProgress::default());
    let live = LiveBar::start("pages of items", {
        let progress = progress.clone();
        move |bar| show(bar, progress.snapshot())
    });
    let result = stats::export_stats(&account, user_id, &opts, progress.clone(), &args.out).await;
    live.finish(|bar| show(bar, progress.snapshot()));
    let summary = result?;
    println!("{} ({} bytes)", args.out.display(), summary.size);
    println!(
        "{} – {}: {} days, {} items, {} item rows in {:.1} s",
        period.from,
        period.to,
        summary.days,
        summary.items,
        summary.rows,
        progress.snapshot().elapsed.as_secs_f64()
    );
    if let Some(reason) = &summary.listings_failed {
        println!(
            "note: Avito did not give each listing's impressions and spending ({reason}); the Listings sheet has views, contacts and statuses only"
        );
    }
    if summary.truncated {
        println!(
            "note: the Items sheet stops at {} rows (Excel's limit); the per-day totals are complete",
            stats::MAX_ITEM_ROWS
        );
    }
    Ok(())
}

fn show(bar: &indicatif::ProgressBar, s: StatsSnapshot) {
    bar.set_length(s.pages_known);
    bar.set_position(s.pages_done);
    bar.set_message(match s.stage {
        Stage::Totals => "daily totals (Avito allows one request a minute)".to_owned(),
        Stage::Listing => "listing items".to_owned(),
        Stage::Items => format!("{} items, {} rows", s.items, s.rows),
        Stage::Figures => format!(
            "impressions and spending of {} listings (Avito allows one request a minute)",
            s.items
        ),
        Stage::Writing => "writing the workbook".to_owned(),
    });
}
