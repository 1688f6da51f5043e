//! `avito-reports reviews`: an account's rating and reviews, newest first, with where each
//! answer stands — without Telegram.

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::lang::LangArg;
use super::report::{ArgError, parse_tz};
use crate::avito::ratings::RatingInfo;
use crate::avito::{AvitoClient, Credentials};
use crate::config::Config;
use crate::domain::clock;
use crate::i18n;
use crate::report::rating::{self, RatingContext, RatingFetch};
use crate::report::render::{self, Markup};
use crate::reviews::texts::R;
use crate::reviews::view::{self, ReviewLine};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReviewsFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ReviewsArgs {
    /// The application's client_id.
    #[arg(long)]
    pub client_id: String,
    /// The application's client_secret; prefer the environment variable, which stays out of
    /// the shell history and the process list.
    #[arg(long, env = "AVITO_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: String,
    /// Only reviews written on this day (YYYY-MM-DD, in --tz) or later.
    #[arg(long)]
    pub since: Option<String>,
    /// IANA time zone of --since and of the times shown.
    #[arg(long, default_value = "Europe/Moscow")]
    pub tz: String,
    #[arg(long, value_enum, default_value = "ru")]
    pub lang: LangArg,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReviewsFormat,
}

/// `--format json`.
#[derive(Serialize)]
struct Listing<'a> {
    rating: &'a RatingInfo,
    total: usize,
    reviews: Vec<ReviewLine>,
}

fn parse_since(raw: Option<&str>) -> Result<Option<NaiveDate>, ArgError> {
    raw.map(|s| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| ArgError(format!("--since '{s}' is not a date; expected YYYY-MM-DD")))
    })
    .transpose()
}

pub async fn run(args: ReviewsArgs, config: &Config) -> anyhow::Result<()> {
    let tz = parse_tz(&args.tz)?;
    let since = parse_since(args.since.as_deref())?;
    let lang: i18n::Lang = args.lang.into();
    let creds = Credentials::new(&args.client_id, &args.client_secret)?;
    let client = AvitoClient::new(config.avito_client())?;
    let account = client.account(creds);
    let rating = account
        .rating_info()
        .await
        .context("reading the rating from Avito")?;
    let mut reviews = account
        .all_reviews()
        .await
        .context("reading the reviews from Avito")?;
    let total = reviews.len();
    let now = clock::now();
    if let Some(day) = since {
        reviews.retain(|r| view::written_since(r, day, tz, now));
    }
    view::newest_first(&mut reviews);
    let lines: Vec<ReviewLine> = reviews
        .iter()
        .map(|r| ReviewLine::of(r, lang, tz, now))
        .collect();
    match args.format {
        ReviewsFormat::Json => {
            let listing = Listing {
                rating: &rating,
                total,
                reviews: lines,
            };
            println!("{}", serde_json::to_string_pretty(&listing)?);
        }
        ReviewsFormat::Text => println!("{}", text(lang, &rating, total, since, &lines)),
    }
    Ok(())
}

fn text(
    lang: i18n::Lang,
    rating: &RatingInfo,
    total: usize,
    since: Option<NaiveDate>,
    lines: &[ReviewLine],
) -> String {
    let shown = lines.len().to_string();
    let total = total.to_string();
    let count = match since {
        Some(day) => i18n::format(
            lang,
            R::CountSince,
            &[
                ("shown", &shown),
                ("since", &day.to_string()),
                ("total", &total),
            ],
        ),
        None => i18n::format(lang, R::Count, &[("shown", &shown), ("total", &total)]),
    };
    let line = rating::rating_line(
        &RatingFetch {
            info: rating.clone(),
            reviews: None,
        },
        &RatingContext::default(),
    );
    let mut out = format!(
        "{}\n{count}",
        render::metric_text(&line, lang, Markup::Text)
    );
    if lines.is_empty() {
        out.push_str(&format!("\n\n{}", i18n::text(lang, R::None)));
    }
    for line in lines {
        out.push_str("\n\n");
        out.push_str(&view::text(line, lang));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_a_date_or_a_clear_error() {
        assert_eq!(
            parse_since(Some("2026-12-01")).ok().flatten(),
            NaiveDate::from_ymd_opt(2026, 12, 1)
        );
        let err = parse_since(Some("1 Dec")).expect_err("not a date");
        assert!(err.to_string().contains("expected YYYY-MM-DD"), "{err}");
        assert!(matches!(parse_since(None), Ok(None)));
    }
}
