//! `avito-reports export`: every Avito Messenger chat of an account to an .xlsx file, without
//! Telegram. The same workbook as the bot's export; a progress bar when stderr is a terminal.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use chrono_tz::Tz;
use clap::Args;

use super::lang::LangArg;
use crate::avito::{AvitoClient, Credentials};
use crate::config::Config;
use crate::export::{self, ExportOptions, Progress, Snapshot};

/// A bad argument, said in one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ArgError(String);

impl ArgError {
    fn new(msg: String) -> Self {
        Self(msg)
    }
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The application's client_id (Avito Pro → Settings → API access).
    #[arg(long)]
    pub client_id: String,
    /// The application's client_secret; prefer the environment variable, which stays out of
    /// the shell history and the process list.
    #[arg(long, env = "AVITO_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: String,
    /// The workbook to write (.xlsx). A split export writes NAME-1.xlsx, NAME-2.xlsx, ….
    #[arg(long)]
    pub out: PathBuf,
    /// Only chats updated on or after this day, YYYY-MM-DD (in --tz).
    #[arg(long)]
    pub since: Option<String>,
    /// IANA time zone of the times in the workbook.
    #[arg(long, default_value = "Europe/Moscow")]
    pub tz: String,
    /// Language of the headers and message texts.
    #[arg(long, value_enum, default_value = "ru")]
    pub lang: LangArg,
    /// Split into numbered files of at most this size: bytes, or with K / M (default 50M less
    /// room for an upload envelope, Telegram's bot limit).
    #[arg(long, value_name = "SIZE")]
    pub max_file_size: Option<String>,
    /// Chats whose messages are fetched at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub concurrency: u16,
}

fn parse_size(raw: &str) -> Result<u64, ArgError> {
    let s = raw.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, 'k' | 'K')) => (&s[..i], 1024),
        Some((i, 'm' | 'M')) => (&s[..i], 1024 * 1024),
        _ => (s, 1),
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            ArgError::new(format!(
                "--max-file-size '{raw}' is not a size: give bytes, or a number with K or M (e.g. 500K, 20M)"
            ))
        })
}

fn options(args: &ExportArgs) -> Result<ExportOptions, ArgError> {
    let tz: Tz = args.tz.parse().map_err(|_| {
        ArgError::new(format!(
            "--tz '{}' is not an IANA time zone (e.g. Europe/Moscow, Asia/Yekaterinburg)",
            args.tz
        ))
    })?;
    let mut opts = ExportOptions::new(tz, args.lang.into());
    if let Some(since) = &args.since {
        opts.since = Some(
            NaiveDate::parse_from_str(since.trim(), "%Y-%m-%d").map_err(|_| {
                ArgError::new(format!(
                    "--since '{since}' is not a date: expected YYYY-MM-DD, e.g. 2025-01-31"
                ))
            })?,
        );
    }
    if let Some(size) = &args.max_file_size {
        opts.part_limit = parse_size(size)?;
    }
    opts.collect.concurrency = usize::from(args.concurrency);
    Ok(opts)
}

pub async fn run(args: ExportArgs, config: &Config) -> anyhow::Result<()> {
    let opts = options(&args)?;
    if args.out.extension().and_then(|e| e.to_str()) != Some("xlsx") {
        return Err(ArgError::new(format!(
            "--out '{}' must name an .xlsx file",
            args.out.display()
        ))
        .into());
    }
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(ArgError::new(format!(
            "--out: the directory '{}' does not exist",
            dir.display()
        ))
        .into());
    }
    let creds = Credentials::new(&args.client_id, &args.client_secret)?;
    let client = AvitoClient::new(config.avito_client())?;
    let account = client.account(creds);
    let account_id = account
        .account_id()
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the Avito account: {e}"))?;
    let progress = Arc::new(Progress::default());
    let live = LiveBar::start("chats", {
        let progress = progress.clone();
        move |bar| show(bar, progress.snapshot())
    });
    let result = export::export(&account, account_id, &opts, progress.clone(), &args.out).await;
    live.finish(|bar| show(bar, progress.snapshot()));
    let summary = result?;
    for part in &summary.parts {
        println!("{} ({} bytes)", part.path.display(), part.size);
    }
    println!(
        "{} chats, {} messages in {:.1} s",
        summary.chats,
        summary.messages,
        progress.snapshot().elapsed.as_secs_f64()
    );
    if !summary.gaps.truncated_chats.is_empty() {
        println!(
            "note: Avito gives only the latest {} messages of a chat; older messages of these chats are missing: {}",
            export::collect::MESSAGES_CEILING,
            summary.gaps.truncated_chats.join(", ")
        );
    }
    if !summary.gaps.unlisted.is_empty() {
        println!(
            "note: Avito lists at most {} chats per query; not every chat could be reached for: {}",
            export::collect::LISTING_CEILING,
            summary.gaps.unlisted.join(", ")
        );
    }
    Ok(())
}

/// A progress bar on stderr, when stderr is a terminal, redrawn every 200 ms from the work's
/// counters by `show`.
pub(super) struct LiveBar {
    bar: Option<indicatif::ProgressBar>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl LiveBar {
    /// `unit` names what the bar counts ("chats").
    pub(super) fn start(
        unit: &str,
        show: impl Fn(&indicatif::ProgressBar) + Send + 'static,
    ) -> LiveBar {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(&format!(
                    "{{elapsed_precise}} [{{bar:30}}] {{pos}}/{{len}} {unit}, {{msg}}"
                ))
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        });
        let ticker = bar.clone().map(|bar| {
            tokio::spawn(async move {
                loop {
                    show(&bar);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            })
        });
        LiveBar { bar, ticker }
    }

    /// Stops redrawing, shows the last state once and clears the bar.
    pub(super) fn finish(self, show: impl Fn(&indicatif::ProgressBar)) {
        if let Some(t) = self.ticker {
            t.abort();
        }
        if let Some(bar) = &self.bar {
            show(bar);
            bar.finish_and_clear();
        }
    }
}

fn show(bar: &indicatif::ProgressBar, s: Snapshot) {
    bar.set_length(s.chats_known);
    bar.set_position(s.chats_done);
    bar.set_message(format!(
        "{} messages{}",
        s.messages,
        if s.listing_done {
            ""
        } else {
            " (still listing)"
        }
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_bytes_and_k_or_m() {
        assert_eq!(parse_size("1000").ok(), Some(1000));
        assert_eq!(parse_size("500K").ok(), Some(512_000));
        assert_eq!(parse_size("20m").ok(), Some(20 * 1024 * 1024));
        for bad in ["", "0", "abc", "5G", "-1"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
