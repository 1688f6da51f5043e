//! What the bot and the scheduler call: build a report for one or many profiles and render it
//! as Telegram HTML messages. Failures never escape as errors: a profile that cannot be
//! reported gets a section saying what went wrong.

use chrono_tz::Tz;

use crate::avito::{AvitoClient, Credentials};
use crate::i18n::Lang;

use super::render::{self, Markup};
use super::split::{TELEGRAM_LIMIT, split_message};
use super::{MetricSet, Period, engine};

/// A profile to report on, with its decrypted credentials.
#[derive(Debug, Clone)]
pub struct ProfileSource {
    pub profile_id: i64,
    pub name: String,
    pub credentials: Credentials,
    /// Known after the profile was validated; fetched from Avito when missing.
    pub avito_user_id: Option<i64>,
}

/// What a report covers and how it is written.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub period: Period,
    pub metrics: MetricSet,
    pub tz: Tz,
    pub lang: Lang,
}

#[derive(Clone)]
pub struct ReportService {
    client: AvitoClient,
}

impl ReportService {
    pub fn new(client: AvitoClient) -> Self {
        Self { client }
    }

    pub fn client(&self) -> &AvitoClient {
        &self.client
    }

    /// The report of one profile, as Telegram HTML messages of at most 4096 characters.
    pub async fn profile_report_html(
        &self,
        source: &ProfileSource,
        options: &ReportOptions,
    ) -> Vec<String> {
        self.combined_report_html(std::slice::from_ref(source), options)
            .await
    }

    /// The report of one profile as Telegram HTML messages, or why it could not be made
    /// (the scheduler retries or tells the owner instead of sending a failure section).
    pub async fn profile_report_checked(
        &self,
        source: &ProfileSource,
        options: &ReportOptions,
    ) -> crate::avito::AvitoResult<Vec<String>> {
        let report = engine::profile_report(&self.client, source, options).await?;
        let text = render::profile(&report, options.lang, Markup::Html);
        Ok(split_message(&text, TELEGRAM_LIMIT))
    }

    /// One combined report over `sources` (a section each and a total), as Telegram HTML
    /// messages of at most 4096 characters. A single source gives that profile's own report.
    pub async fn combined_report_html(
        &self,
        sources: &[ProfileSource],
        options: &ReportOptions,
    ) -> Vec<String> {
        let text = self.render(sources, options, Markup::Html).await;
        split_message(&text, TELEGRAM_LIMIT)
    }

    /// The report rendered in `markup` (one string, not yet split).
    pub async fn render(
        &self,
        sources: &[ProfileSource],
        options: &ReportOptions,
        markup: Markup,
    ) -> String {
        if let [source] = sources {
            return match engine::profile_report(&self.client, source, options).await {
                Ok(report) => render::profile(&report, options.lang, markup),
                // The section form says what went wrong, without fetching again.
                Err(e) => {
                    render::combined(&engine::failed(source, &e, options), options.lang, markup)
                }
            };
        }
        let combined = engine::combined_report(&self.client, sources, options).await;
        render::combined(&combined, options.lang, markup)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Handlers and jobs run in `Send + 'static` futures: the service's must be `Send`.
    #[allow(dead_code)]
    fn report_futures_are_send(
        service: ReportService,
        sources: Vec<ProfileSource>,
        options: ReportOptions,
    ) {
        fn spawnable<F: std::future::Future + Send + 'static>(_: F) {}
        spawnable(async move { service.combined_report_html(&sources, &options).await });
    }
}
