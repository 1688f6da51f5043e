//! What an export does, decided without I/O: whether a requested export may start, what a
//! failure tells the owner and what follows it (an alert, marked keys), how the job ends. The
//! runner (`runner`) carries the plans out; the texts of each export are in `chats` and
//! `stats::plan`.

use std::fmt::Display;
use std::time::Duration;

use super::texts::{X, x, xf};
use crate::avito::AvitoError;
use crate::db::exports::Requested;
use crate::domain::{ExportId, ExportKind, ProfileId};
use crate::i18n::Lang;
use crate::report::html_escape;

/// What a press of "export chats" (or "statistics to Excel") did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pressed {
    /// Queued: the export with this id is to be enqueued; tell the user with this toast.
    Queued { export_id: ExportId, toast: String },
    /// One is already running: say so (an alert).
    AlreadyRunning(String),
}

/// What to do with a request the store has answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestPlan {
    /// One export of this kind already runs for the profile: this answer, nothing posted.
    Refuse(Pressed),
    /// Post the status message `text` for the new export.
    Post { export_id: ExportId, text: String },
}

/// Whether a requested export may start: one queued or running export per profile and kind
/// (the store has looked); `queued` is the new export's first status text.
pub fn on_request(lang: Lang, requested: &Requested, queued: String) -> RequestPlan {
    match requested {
        Requested::AlreadyRunning(row) => {
            let key = match row.kind {
                ExportKind::Chats => X::AlreadyRunning,
                ExportKind::Stats => X::StatsAlreadyRunning,
            };
            RequestPlan::Refuse(Pressed::AlreadyRunning(xf(
                lang,
                key,
                &[
                    ("done", &count(lang, row.chats_done)),
                    ("known", &count(lang, row.chats_total.unwrap_or(0))),
                ],
            )))
        }
        Requested::Created(row) => RequestPlan::Post {
            export_id: row.id,
            text: queued,
        },
    }
}

/// The answer to a press once the status message is posted.
pub fn queued(lang: Lang, export_id: ExportId) -> Pressed {
    Pressed::Queued {
        export_id,
        toast: x(lang, X::Started).to_owned(),
    }
}

/// Why an export failed, as far as what follows depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// Avito refused the profile's keys: the owner must replace them.
    KeysRefused,
    /// Valid keys without access to what is exported (Messenger, an operation).
    NoAccess,
    /// Avito failed after the client's retries; `transient`: trying later may pass.
    Avito { transient: bool },
    /// The workbook could not be written.
    File,
    /// Telegram refused the document.
    Telegram,
    /// A failure of ours.
    Internal,
}

/// A failed export: what the user reads, what the row records, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub reason: String,
    pub detail: String,
    pub cause: Cause,
}

/// A failure of ours (not Avito's), told with its detail.
pub fn internal(lang: Lang, e: String) -> Failure {
    Failure {
        reason: xf(lang, X::ReasonInternal, &[("error", &html_escape(&e))]),
        detail: e,
        cause: Cause::Internal,
    }
}

/// The workbook could not be written.
pub fn file_failure(lang: Lang, e: &impl Display) -> Failure {
    let e = e.to_string();
    Failure {
        reason: xf(lang, X::ReasonFile, &[("error", &html_escape(&e))]),
        detail: e,
        cause: Cause::File,
    }
}

/// Telegram refused `what` ("part 1 of 2", "the workbook").
pub fn send_failure(lang: Lang, what: &str, e: &impl Display) -> Failure {
    let e = e.to_string();
    Failure {
        reason: xf(lang, X::ReasonTelegram, &[("error", &html_escape(&e))]),
        detail: format!("sending {what}: {e}"),
        cause: Cause::Telegram,
    }
}

/// Avito failed on `what` (the client has retried what may pass).
pub fn avito_failure(lang: Lang, what: &str, e: &AvitoError) -> Failure {
    let error = html_escape(&e.to_string());
    let (reason, cause) = match e {
        AvitoError::InvalidCredentials => {
            (x(lang, X::ReasonCredentials).to_owned(), Cause::KeysRefused)
        }
        AvitoError::Forbidden { .. } => (
            xf(lang, X::ReasonForbidden, &[("error", &error)]),
            Cause::NoAccess,
        ),
        _ => (
            xf(
                lang,
                X::ReasonAvito,
                &[("what", &html_escape(what)), ("error", &error)],
            ),
            Cause::Avito {
                transient: e.is_transient(),
            },
        ),
    };
    Failure {
        reason,
        detail: format!("{what}: {e}"),
        cause,
    }
}

/// How an export job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    /// Sent, or nothing to do (already finished, profile gone).
    Done,
    /// The user was told what failed and offered a restart.
    Failed { detail: String, cause: Cause },
}

/// What follows a finished export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowUp {
    Nothing,
    /// Refused keys are the owner's to fix; the operator hears of them once there.
    KeysRefused,
    /// A failure the admin hears of (the job's dead-job alert).
    Alert(String),
}

/// What follows export `export_id` of `profile` that ended so.
pub fn follow_up(export_id: ExportId, profile: ProfileId, finished: &Finished) -> FollowUp {
    match finished {
        Finished::Done => FollowUp::Nothing,
        Finished::Failed {
            cause: Cause::KeysRefused,
            ..
        } => FollowUp::KeysRefused,
        Finished::Failed { detail, .. } => FollowUp::Alert(format!(
            "Export #{export_id} of profile #{profile} failed: {}",
            html_escape(detail)
        )),
    }
}

/// A button under the last status text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub label: String,
    /// The callback data.
    pub data: String,
}

/// How the job ends: what the row records, the last status text, and the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    /// The row's error (`None`: done).
    pub row_error: Option<String>,
    pub text: String,
    pub button: Option<Button>,
    pub finished: Finished,
}

/// The end of an export from its result: the done text, or the failure told with
/// `failed_text(reason)` and a button to try `again`.
pub fn end(
    result: Result<String, Failure>,
    failed_text: impl FnOnce(&str) -> String,
    again: Button,
) -> End {
    match result {
        Ok(text) => End {
            row_error: None,
            text,
            button: None,
            finished: Finished::Done,
        },
        Err(f) => End {
            row_error: Some(f.detail.clone()),
            text: failed_text(&f.reason),
            button: Some(again),
            finished: Finished::Failed {
                detail: f.detail,
                cause: f.cause,
            },
        },
    }
}

/// A row that cannot run as it is (a statistics export without its period): recorded as
/// failed, nothing to show.
pub fn unrunnable(detail: &str) -> Finished {
    Finished::Failed {
        detail: detail.to_owned(),
        cause: Cause::Internal,
    }
}

/// A count as the reports write numbers (1,250 / 1 250).
pub fn count(lang: Lang, n: impl TryInto<i64>) -> String {
    crate::report::format::integer(n.try_into().unwrap_or(i64::MAX), lang)
}

/// `m:ss`.
pub fn elapsed(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}", s / 60, s % 60)
}

/// `name` reduced to characters safe in a file name, at most 40.
pub fn safe_name(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .take(40)
        .collect()
}

/// Whether a running row's progress is worth showing again: it changed since `last`.
pub fn changed<K: PartialEq>(last: Option<&K>, now: &K) -> bool {
    last != Some(now)
}

/// The row loaded to run, for the tests' rows.
#[cfg(test)]
pub(crate) fn row(
    kind: ExportKind,
    done: i32,
    known: Option<i32>,
) -> crate::db::entities::export::Model {
    use crate::db::entities::export;
    use chrono::Utc;
    export::Model {
        id: ExportId(7),
        profile_id: ProfileId(3),
        chat_id: crate::domain::ChatId(42),
        status: crate::domain::ExportStatus::Running,
        kind,
        chats_done: done,
        chats_total: known,
        messages_done: 0,
        progress_message_id: None,
        since: None,
        until: None,
        error: None,
        started_at: None,
        finished_at: None,
        created_at: Utc::now(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avito::Operation;

    #[test]
    fn a_second_export_of_a_kind_is_refused_with_the_running_ones_progress() {
        let running = Requested::AlreadyRunning(row(ExportKind::Chats, 1250, Some(3000)));
        let plan = on_request(Lang::En, &running, "queued".into());
        let RequestPlan::Refuse(Pressed::AlreadyRunning(text)) = plan else {
            panic!("refused: {plan:?}");
        };
        assert!(text.contains("1,250") && text.contains("3,000"), "{text}");
        let stats = Requested::AlreadyRunning(row(ExportKind::Stats, 2, None));
        let RequestPlan::Refuse(Pressed::AlreadyRunning(stats_text)) =
            on_request(Lang::En, &stats, "queued".into())
        else {
            panic!("refused");
        };
        assert_ne!(stats_text, text, "each kind says its own");
    }

    #[test]
    fn a_new_export_posts_its_queued_text() {
        let created = Requested::Created(row(ExportKind::Chats, 0, None));
        assert_eq!(
            on_request(Lang::Ru, &created, "queued".into()),
            RequestPlan::Post {
                export_id: ExportId(7),
                text: "queued".into()
            }
        );
    }

    #[test]
    fn avito_failures_are_told_by_their_type() {
        let keys = avito_failure(Lang::En, "the account", &AvitoError::InvalidCredentials);
        assert_eq!(keys.cause, Cause::KeysRefused);
        assert_eq!(keys.reason, x(Lang::En, X::ReasonCredentials));
        let down = AvitoError::Unavailable {
            operation: Operation::GetMessagesV3,
            attempts: 4,
            detail: "HTTP 503 <x>".into(),
        };
        let f = avito_failure(Lang::En, "messages of chat a&b", &down);
        assert_eq!(f.cause, Cause::Avito { transient: true });
        assert!(
            f.detail.starts_with("messages of chat a&b: "),
            "{}",
            f.detail
        );
        assert!(f.reason.contains("a&amp;b") && f.reason.contains("&lt;x&gt;"));
        let garbled = AvitoError::Unexpected {
            operation: Operation::GetMessagesV3,
            status: 200,
            detail: "bad json".into(),
        };
        assert_eq!(
            avito_failure(Lang::En, "x", &garbled).cause,
            Cause::Avito { transient: false }
        );
    }

    #[test]
    fn refused_keys_mark_the_profile_and_other_failures_alert_the_admin() {
        let failed = |cause| Finished::Failed {
            detail: "a <b>".into(),
            cause,
        };
        let (id, profile) = (ExportId(5), ProfileId(9));
        assert_eq!(
            follow_up(id, profile, &failed(Cause::KeysRefused)),
            FollowUp::KeysRefused
        );
        assert_eq!(
            follow_up(id, profile, &failed(Cause::Avito { transient: true })),
            FollowUp::Alert("Export #5 of profile #9 failed: a &lt;b&gt;".into())
        );
        assert_eq!(follow_up(id, profile, &Finished::Done), FollowUp::Nothing);
    }

    #[test]
    fn a_failed_export_records_the_detail_and_offers_a_restart() {
        let again = Button {
            label: "again".into(),
            data: "x".into(),
        };
        let f = send_failure(Lang::En, "part 2 of 3", &"too big");
        let e = end(Err(f), |reason| format!("failed: {reason}"), again.clone());
        assert_eq!(e.row_error.as_deref(), Some("sending part 2 of 3: too big"));
        assert!(e.text.starts_with("failed: ") && e.text.contains("too big"));
        assert_eq!(e.button, Some(again.clone()));
        let ok = end(Ok("done".into()), |_| unreachable!(), again);
        assert_eq!((ok.row_error, ok.button), (None, None));
        assert_eq!((ok.text.as_str(), ok.finished), ("done", Finished::Done));
    }

    #[test]
    fn counts_times_and_names_are_shown_plainly() {
        assert_eq!(count(Lang::En, 1_250u64), "1,250");
        assert_eq!(elapsed(Duration::from_secs(125)), "2:05");
        assert_eq!(safe_name("Мой магазин / 2"), "Мой_магазин___2");
        assert_eq!(safe_name(&"a".repeat(60)).len(), 40);
        assert!(changed(None, &1) && changed(Some(&1), &2) && !changed(Some(&2), &2));
    }
}
