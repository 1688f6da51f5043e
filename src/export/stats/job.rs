//! "Statistics to Excel" as a job of the bot, on the chat export's machinery: the same
//! `exports` table (kind `stats`, the period in `since`/`until`), queue, status message and
//! runner. The period dialogue queues it ([`request_from_hub`]); the export job hands a
//! statistics row to [`execute`].

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use teloxide::prelude::*;

use super::model::{StatsOptions, StatsProgress, StatsSummary};
use super::plan::{self as stats_plan, Names};
use crate::context::AppState;
use crate::db::entities::{avito_profile, export};
use crate::db::exports as store;
use crate::domain::{ExportId, Period};
use crate::export::adapters::{AvitoAccess, DbStore, TgChat};
use crate::export::plan::{self, Button, Failure, Finished, Pressed};
use crate::export::ports::Document;
use crate::export::runner::{self, Reading, Target, Work};
use crate::export::texts::{X, x};
use crate::i18n::Lang;
use crate::telegram::TgBot;
use crate::telegram::callback::ProfileAction;

/// Records a statistics export of `profile` over `period` to `chat` and posts its status
/// message. The caller enqueues the job when the answer is [`Pressed::Queued`].
pub async fn request_from_hub(
    state: &AppState,
    bot: &TgBot,
    lang: Lang,
    profile: &avito_profile::Model,
    chat: ChatId,
    period: Period,
) -> anyhow::Result<Pressed> {
    let requested = store::request_stats(&state.db, profile.id, chat.into(), period).await?;
    let queued = stats_plan::queued_text(lang, &Names::new(&profile.name, period));
    let (db, tg) = (DbStore(state.db.clone()), TgChat(bot.clone()));
    runner::request(&db, &tg, lang, chat.into(), &requested, queued).await
}

/// Runs the statistics export of `row` (marked running): the job body.
pub(in crate::export) async fn execute(
    state: &AppState,
    target: Target,
    avito: AvitoAccess,
    row: &export::Model,
    profile: &avito_profile::Model,
    lang: Lang,
) -> anyhow::Result<Finished> {
    let Some(period) = stats_plan::period_of(row.since, row.until) else {
        let detail = stats_plan::NO_PERIOD;
        store::finish(&state.db, row.id, Default::default(), Some(detail.into())).await?;
        return Ok(plan::unrunnable(detail));
    };
    let work = StatsWork {
        avito,
        profile: profile.clone(),
        names: Names::new(&profile.name, period),
        export_id: row.id,
        opts: StatsOptions {
            period,
            lang,
            name: profile.name.clone(),
        },
    };
    runner::run(target, Arc::new(work)).await
}

/// The statistics export, for the runner.
struct StatsWork {
    avito: AvitoAccess,
    profile: avito_profile::Model,
    names: Names,
    export_id: ExportId,
    opts: StatsOptions,
}

#[async_trait]
impl Work for StatsWork {
    type Progress = StatsProgress;
    type Summary = StatsSummary;

    fn lang(&self) -> Lang {
        self.opts.lang
    }

    fn temp_prefix(&self) -> String {
        format!("avito-reports-stats-{}-", self.export_id)
    }

    fn reading(&self, progress: &StatsProgress) -> Reading {
        let s = progress.snapshot();
        Reading {
            text: stats_plan::progress_text(self.opts.lang, &self.names, &s),
            counters: s.into(),
            key: stats_plan::progress_key(&s),
        }
    }

    /// The totals stage may wait a minute for Avito's pace: say so at once.
    fn show_at_start(&self) -> bool {
        true
    }

    async fn produce(
        &self,
        dir: &Path,
        progress: Arc<StatsProgress>,
    ) -> Result<(StatsSummary, Vec<Document>), Failure> {
        let lang = self.opts.lang;
        let (account, user_id) = self.avito.account(&self.profile, lang).await?;
        let file_name = stats_plan::file_name(&self.profile.name, self.opts.period);
        let out = dir.join(&file_name);
        let summary = super::export_stats(&account, user_id, &self.opts, progress, &out)
            .await
            .map_err(|e| stats_plan::failure(lang, e))?;
        let doc = Document {
            path: out,
            file_name,
            caption: stats_plan::caption(lang, &self.profile.name, self.opts.period),
            what: "the workbook".to_owned(),
        };
        Ok((summary, vec![doc]))
    }

    fn done_text(&self, summary: &StatsSummary, progress: &StatsProgress) -> String {
        tracing::info!(
            days = summary.days,
            rows = summary.rows,
            "statistics export sent"
        );
        stats_plan::done_text(self.opts.lang, &self.names, summary, &progress.snapshot())
    }

    fn failed_text(&self, reason: &str) -> String {
        stats_plan::failed_text(self.opts.lang, &self.names, reason)
    }

    /// The period is asked again: "today" may have moved since.
    fn again(&self) -> Button {
        Button {
            label: x(self.opts.lang, X::StatsBtnAgain).to_owned(),
            data: ProfileAction::ExportStats.on(self.profile.id).encode(),
        }
    }
}
