//! The one runner of both exports (chats, statistics): the status message, a progress ticker
//! that stops cleanly, a temporary directory removed on every path (a panic or a cancelled job
//! included), the documents sent, and the last status text. Each export gives only what
//! differs, as a [`Work`].

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::plan::{self, Button, Failure, Finished, Pressed, RequestPlan};
use super::ports::{Document, ExportChat, ExportStore};
use crate::db::exports::{Counters, Requested};
use crate::domain::{ChatId, ExportId};
use crate::i18n::Lang;

/// How often the status message is edited. Telegram allows about 20 messages a minute in a
/// chat; edits every few seconds leave room for the files.
const PROGRESS_EVERY: Duration = Duration::from_secs(4);

/// A reading of an export's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub text: String,
    pub counters: Counters,
    /// What changes the status line (its elapsed time alone does not).
    pub key: [u64; 4],
}

/// What differs between the exports.
#[async_trait]
pub trait Work: Send + Sync + 'static {
    /// The counters the work updates as it goes.
    type Progress: Default + Send + Sync + 'static;
    type Summary: Send;

    fn lang(&self) -> Lang;
    /// Prefix of the temporary directory's name.
    fn temp_prefix(&self) -> String;
    fn reading(&self, progress: &Self::Progress) -> Reading;
    /// Show the progress at once rather than after the first interval.
    fn show_at_start(&self) -> bool {
        false
    }
    /// Fetches and writes the workbook(s) in `dir`: the summary and the documents to send.
    async fn produce(
        &self,
        dir: &Path,
        progress: Arc<Self::Progress>,
    ) -> Result<(Self::Summary, Vec<Document>), Failure>;
    fn done_text(&self, summary: &Self::Summary, progress: &Self::Progress) -> String;
    fn failed_text(&self, reason: &str) -> String;
    /// The button that starts it again.
    fn again(&self) -> Button;
}

/// The row and chat of one export, and the ports to them.
#[derive(Clone)]
pub struct Target {
    pub export_id: ExportId,
    pub chat: ChatId,
    /// The status message (the press posted one; `None`: lost).
    pub message: Option<i32>,
    pub store: Arc<dyn ExportStore>,
    pub talk: Arc<dyn ExportChat>,
}

impl Target {
    /// Shows `text`; a status that cannot be shown does not stop the export.
    async fn show(&self, text: String, button: Option<Button>) {
        let Some(id) = self.message else {
            return;
        };
        if let Err(e) = self.talk.edit(self.chat, id, text, button).await {
            tracing::warn!(error = %e, "cannot update the export status");
        }
    }
}

/// Carries out a request the store answered: posts the status message and records it, or
/// refuses. A request whose message cannot be posted is abandoned, not left queued (it would
/// block the profile's next export).
pub async fn request(
    store: &dyn ExportStore,
    talk: &dyn ExportChat,
    lang: Lang,
    chat: ChatId,
    requested: &Requested,
    queued: String,
) -> anyhow::Result<Pressed> {
    let (export_id, text) = match plan::on_request(lang, requested, queued) {
        RequestPlan::Refuse(answer) => return Ok(answer),
        RequestPlan::Post { export_id, text } => (export_id, text),
    };
    let message = match talk.post(chat, text).await {
        Ok(m) => m,
        Err(e) => {
            store.abandon(export_id, &e.to_string()).await?;
            return Err(e);
        }
    };
    store.set_progress_message(export_id, message).await?;
    Ok(plan::queued(lang, export_id))
}

/// Runs `work` for `target` (its row marked running) to the end the user is told.
pub async fn run<W: Work>(mut target: Target, work: Arc<W>) -> anyhow::Result<Finished> {
    if target.message.is_none() {
        let first = work.reading(&W::Progress::default()).text;
        match target.talk.post(target.chat, first).await {
            Ok(m) => target.message = Some(m),
            Err(e) => tracing::warn!(error = %e, "cannot post the export status"),
        }
    }
    let progress = Arc::new(W::Progress::default());
    let cancel = CancellationToken::new();
    // Dropped on every way out of here (a panic too): the ticker stops with the export.
    let _stop = cancel.clone().drop_guard();
    let ticker = tokio::spawn(tick(
        target.clone(),
        work.clone(),
        progress.clone(),
        cancel.clone(),
    ));
    let result = produce_and_send(&target, work.as_ref(), progress.clone()).await;
    cancel.cancel();
    // The ticker ends between two edits: no progress lands after the last text.
    if let Err(e) = ticker.await {
        tracing::warn!(error = %e, "the export's progress ticker failed");
    }
    if let Err(f) = &result {
        tracing::warn!(error = %f.detail, "export failed");
    }
    let reading = work.reading(&progress);
    let done = result.map(|summary| work.done_text(&summary, &progress));
    let end = plan::end(done, |reason| work.failed_text(reason), work.again());
    // The row first: what the user reads is then already recorded.
    target
        .store
        .finish(target.export_id, reading.counters, end.row_error)
        .await?;
    target.show(end.text, end.button).await;
    Ok(end.finished)
}

/// The work in a temporary directory, removed when this returns or unwinds, and its
/// documents sent in order.
async fn produce_and_send<W: Work>(
    target: &Target,
    work: &W,
    progress: Arc<W::Progress>,
) -> Result<W::Summary, Failure> {
    let lang = work.lang();
    let dir = tempfile::Builder::new()
        .prefix(&work.temp_prefix())
        .tempdir()
        .map_err(|e| plan::internal(lang, e.to_string()))?;
    let (summary, docs) = work.produce(dir.path(), progress).await?;
    for doc in &docs {
        target
            .talk
            .send(target.chat, doc)
            .await
            .map_err(|e| plan::send_failure(lang, &doc.what, &e))?;
    }
    Ok(summary)
}

/// Shows the progress every [`PROGRESS_EVERY`] when it changed, and stores it, until
/// `cancel`.
async fn tick<W: Work>(
    target: Target,
    work: Arc<W>,
    progress: Arc<W::Progress>,
    cancel: CancellationToken,
) {
    let mut last = None;
    if work.show_at_start() {
        last = Some(show(&target, work.reading(&progress)).await);
    }
    loop {
        tokio::select! {
            biased;
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(PROGRESS_EVERY) => {}
        }
        let reading = work.reading(&progress);
        if plan::changed(last.as_ref(), &reading.key) {
            last = Some(show(&target, reading).await);
        }
    }
}

/// Shows and stores one reading; its key.
async fn show(target: &Target, reading: Reading) -> [u64; 4] {
    target.show(reading.text, None).await;
    if let Err(e) = target
        .store
        .progress(target.export_id, reading.counters)
        .await
    {
        tracing::warn!(error = %e, "cannot store export progress");
    }
    reading.key
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Mutex;

    use super::*;
    use crate::export::plan::Cause;

    /// What the fake ports were asked, in order.
    #[derive(Default)]
    struct Seen(Mutex<Vec<String>>);

    impl Seen {
        fn push(&self, s: String) {
            self.0.lock().expect("seen").push(s);
        }
        fn all(&self) -> Vec<String> {
            self.0.lock().expect("seen").clone()
        }
    }

    #[async_trait]
    impl ExportStore for Seen {
        async fn set_progress_message(&self, _: ExportId, m: i32) -> anyhow::Result<()> {
            self.push(format!("message {m}"));
            Ok(())
        }
        async fn abandon(&self, _: ExportId, e: &str) -> anyhow::Result<()> {
            self.push(format!("abandon {e}"));
            Ok(())
        }
        async fn progress(&self, _: ExportId, _: Counters) -> anyhow::Result<()> {
            self.push("progress".into());
            Ok(())
        }
        async fn finish(&self, _: ExportId, _: Counters, e: Option<String>) -> anyhow::Result<()> {
            self.push(format!("finish {e:?}"));
            Ok(())
        }
    }

    #[async_trait]
    impl ExportChat for Seen {
        async fn post(&self, _: ChatId, text: String) -> anyhow::Result<i32> {
            self.push(format!("post {text}"));
            Ok(5)
        }
        async fn edit(
            &self,
            _: ChatId,
            m: i32,
            t: String,
            b: Option<Button>,
        ) -> anyhow::Result<()> {
            self.push(format!("edit {m} {t} {:?}", b.map(|b| b.data)));
            Ok(())
        }
        async fn send(&self, _: ChatId, doc: &Document) -> anyhow::Result<()> {
            if doc.what == "refused" {
                anyhow::bail!("too big");
            }
            self.push(format!("send {}", doc.file_name));
            Ok(())
        }
    }

    /// Writes one file, or fails with `fail`; remembers its directory.
    struct Fake {
        fail: Option<Failure>,
        what: &'static str,
        dir: Mutex<Option<PathBuf>>,
    }

    #[async_trait]
    impl Work for Fake {
        type Progress = ();
        type Summary = u32;
        fn lang(&self) -> Lang {
            Lang::En
        }
        fn temp_prefix(&self) -> String {
            "avito-reports-runner-test-".into()
        }
        fn reading(&self, _: &()) -> Reading {
            Reading {
                text: "working".into(),
                counters: Counters::default(),
                key: [0; 4],
            }
        }
        async fn produce(&self, dir: &Path, _: Arc<()>) -> Result<(u32, Vec<Document>), Failure> {
            *self.dir.lock().expect("dir") = Some(dir.to_path_buf());
            if let Some(f) = &self.fail {
                return Err(f.clone());
            }
            let path = dir.join("a.xlsx");
            std::fs::write(&path, b"x").map_err(|e| plan::internal(Lang::En, e.to_string()))?;
            let doc = Document {
                path,
                file_name: "a.xlsx".into(),
                caption: String::new(),
                what: self.what.into(),
            };
            Ok((3, vec![doc]))
        }
        fn done_text(&self, n: &u32, _: &()) -> String {
            format!("done {n}")
        }
        fn failed_text(&self, reason: &str) -> String {
            format!("failed {reason}")
        }
        fn again(&self) -> Button {
            Button {
                label: "again".into(),
                data: "again".into(),
            }
        }
    }

    async fn run_fake(
        fail: Option<Failure>,
        what: &'static str,
    ) -> (Finished, Vec<String>, PathBuf) {
        let seen = Arc::new(Seen::default());
        let target = Target {
            export_id: ExportId(1),
            chat: ChatId(2),
            message: None,
            store: seen.clone(),
            talk: seen.clone(),
        };
        let work = Arc::new(Fake {
            fail,
            what,
            dir: Mutex::new(None),
        });
        let finished = run(target, work.clone()).await.expect("runs");
        let dir = work.dir.lock().expect("dir").clone().expect("produced");
        (finished, seen.all(), dir)
    }

    #[tokio::test]
    async fn a_sent_export_posts_a_lost_status_sends_the_file_and_leaves_no_directory() {
        let (finished, seen, dir) = run_fake(None, "the workbook").await;
        assert_eq!(finished, Finished::Done);
        assert_eq!(
            seen,
            [
                "post working",
                "send a.xlsx",
                "finish None",
                "edit 5 done 3 None"
            ]
        );
        assert!(!dir.exists(), "the temporary directory is gone");
    }

    #[tokio::test]
    async fn a_failure_is_recorded_then_told_with_a_restart_and_leaves_no_directory() {
        let (finished, seen, dir) = run_fake(None, "refused").await;
        assert_eq!(
            finished,
            Finished::Failed {
                detail: "sending refused: too big".into(),
                cause: Cause::Telegram
            }
        );
        assert_eq!(seen[1], "finish Some(\"sending refused: too big\")");
        assert!(seen[2].starts_with("edit 5 failed ") && seen[2].ends_with("Some(\"again\")"));
        assert!(!dir.exists());
        let keys =
            plan::avito_failure(Lang::En, "x", &crate::avito::AvitoError::InvalidCredentials);
        let (finished, _, dir) = run_fake(Some(keys), "the workbook").await;
        assert!(matches!(
            finished,
            Finished::Failed {
                cause: Cause::KeysRefused,
                ..
            }
        ));
        assert!(!dir.exists());
    }
}
