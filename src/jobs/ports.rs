//! The narrow doors a delivery goes through: where its run is recorded ([`SlotStore`]), where
//! its messages go ([`Sender`]), where its report comes from ([`Reports`]). The delivery's
//! steps work over these rather than the whole state, so fakes stand in for them in tests.

use sea_orm::DatabaseConnection;

use super::slot::{Sending, Trouble};
use crate::avito::AvitoResult;
use crate::db::DbError;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::db::slots::{self, ClaimToken, Fenced};
use crate::domain::{ChatId, RunStatus};
use crate::i18n::Lang;
use crate::report::ReportOptions;
use crate::report::charts::NamedChart;
use crate::report::service::{CheckedReport, ProfileSource, ReportService};
use crate::telegram::{Progress, TgBot, destination_lost, send_marked, send_pictures};

/// Where a slot's run is recorded. Every write carries the claim's token and fails with
/// [`DbError::ClaimLost`], writing nothing, once another delivery took the claim over: the
/// `?` of the caller then stops the delivery before its next send.
#[async_trait::async_trait]
pub trait SlotStore: Send + Sync {
    /// Keeps the report's messages on the run: a later attempt sends the rest of them.
    async fn freeze(&self, run: ClaimToken, chunks: &[String]) -> Result<(), DbError>;
    /// `count` messages accepted; `sending`: the next one's outcome is not known yet.
    async fn progress(&self, run: ClaimToken, count: usize, sending: bool) -> Result<(), DbError>;
    async fn finish(
        &self,
        run: ClaimToken,
        outcome: RunStatus,
        error: Option<String>,
    ) -> Result<(), DbError>;
}

/// Where a slot's messages go.
#[async_trait::async_trait]
pub trait Sender: Send + Sync {
    /// Sends `sending` to `chat` with progress told to `progress`. The outer error is the
    /// record's; the inner one Telegram's, typed for the slot.
    async fn send<P: Progress<Error = DbError>>(
        &self,
        chat: ChatId,
        sending: &Sending,
        lang: Lang,
        progress: &mut P,
    ) -> Result<Result<(), Trouble>, DbError>;
    /// The report's pictures; a failure is the caller's to log (the text goes anyway).
    async fn pictures(&self, chat: ChatId, pictures: &[(String, Vec<u8>)]) -> Result<(), String>;
}

/// Where a slot's report comes from.
#[async_trait::async_trait]
pub trait Reports: Send + Sync {
    async fn report(
        &self,
        source: &ProfileSource,
        options: &ReportOptions,
    ) -> AvitoResult<CheckedReport>;
    /// Draws the report's charts.
    async fn pictures(&self, charts: Vec<NamedChart>) -> Vec<(String, Vec<u8>)>;
}

/// A delivery's progress, kept in its run (see [`send_marked`]).
pub struct RunProgress<'a, S> {
    pub store: &'a S,
    pub run: ClaimToken,
}

#[async_trait::async_trait]
impl<S: SlotStore> Progress for RunProgress<'_, S> {
    type Error = DbError;
    async fn sending(&mut self, index: usize) -> Result<(), Self::Error> {
        self.store.progress(self.run, index, true).await
    }
    async fn accepted(&mut self, count: usize) -> Result<(), Self::Error> {
        self.store.progress(self.run, count, false).await
    }
    async fn refused(&mut self, index: usize) -> Result<(), Self::Error> {
        self.store.progress(self.run, index, false).await
    }
}

/// The run rows of the database, written while `lost` is down. `lost` is shared with the
/// claim's renewal, which raises it when it finds the claim taken over; a write that finds
/// it so raises it too.
pub struct DbSlots<'a> {
    pub db: &'a DatabaseConnection,
    pub lost: &'a AtomicBool,
}

impl DbSlots<'_> {
    /// Carries out a fenced write unless the claim is known lost already.
    async fn write(
        &self,
        write: impl Future<Output = Result<Fenced, DbError>> + Send,
    ) -> Result<(), DbError> {
        if self.lost.load(Ordering::Acquire) {
            return Err(DbError::ClaimLost);
        }
        let fenced = write.await?;
        if fenced == Fenced::ClaimLost {
            self.lost.store(true, Ordering::Release);
        }
        fenced.applied()
    }
}

#[async_trait::async_trait]
impl SlotStore for DbSlots<'_> {
    async fn freeze(&self, run: ClaimToken, chunks: &[String]) -> Result<(), DbError> {
        self.write(slots::freeze_chunks(self.db, run, chunks)).await
    }
    async fn progress(&self, run: ClaimToken, count: usize, sending: bool) -> Result<(), DbError> {
        self.write(slots::record_progress(self.db, run, count, sending))
            .await
    }
    async fn finish(
        &self,
        run: ClaimToken,
        outcome: RunStatus,
        error: Option<String>,
    ) -> Result<(), DbError> {
        self.write(slots::finish(self.db, run, outcome, error))
            .await
    }
}

/// The bot, paced at Telegram's limits.
pub struct BotSender<'a>(pub &'a TgBot);

#[async_trait::async_trait]
impl Sender for BotSender<'_> {
    async fn send<P: Progress<Error = DbError>>(
        &self,
        chat: ChatId,
        sending: &Sending,
        lang: Lang,
        progress: &mut P,
    ) -> Result<Result<(), Trouble>, DbError> {
        let at = (sending.from, sending.marked);
        let sent = send_marked(self.0, chat.into(), &sending.chunks, at, lang, progress).await?;
        Ok(sent.map_err(|e| {
            if destination_lost(&e) {
                Trouble::DestinationLost(e.to_string())
            } else {
                // Telegram's own retries are behind `send_marked`; what is left may pass.
                Trouble::Passing(e.to_string())
            }
        }))
    }

    async fn pictures(&self, chat: ChatId, pictures: &[(String, Vec<u8>)]) -> Result<(), String> {
        send_pictures(self.0, chat.into(), pictures)
            .await
            .map_err(|e| e.to_string())
    }
}

#[async_trait::async_trait]
impl Reports for ReportService {
    async fn report(
        &self,
        source: &ProfileSource,
        options: &ReportOptions,
    ) -> AvitoResult<CheckedReport> {
        self.profile_report_checked(source, options).await
    }
    async fn pictures(&self, charts: Vec<NamedChart>) -> Vec<(String, Vec<u8>)> {
        crate::report::service::chart_pictures(charts).await
    }
}
