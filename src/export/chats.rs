//! The chat export's texts and choices, without I/O: the name it shows, its status lines,
//! its file name, the time zone of its workbook and how its errors are told.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::collect::{LISTING_CEILING, MESSAGES_CEILING, Snapshot};
use super::error::ExportError;
use super::plan::{self, Failure, count, elapsed};
use super::texts::{X, x, xf};
use super::{ExportSummary, Gaps};
use crate::domain::Zone;
use crate::i18n::Lang;
use crate::report::html_escape;

/// Chat ids named in the final note at most (the message must stay under 4096 characters).
const NOTE_MAX_CHATS: usize = 20;

/// The profile's name (HTML-escaped) as the status message shows it, with the period when
/// only recent chats are exported.
pub fn shown_name(lang: Lang, name: &str, since: Option<NaiveDate>) -> String {
    let name = html_escape(name);
    match since {
        Some(date) => {
            let note = xf(
                lang,
                X::SinceNote,
                &[("date", &date.format("%Y-%m-%d").to_string())],
            );
            format!("{name} ({note})")
        }
        None => name,
    }
}

/// The zone of the workbook's times: the profile's, or UTC when its setting is damaged (the
/// hub asks the owner to set it again; a guess would be worse), and whether it was damaged
/// (for the log).
pub fn zone(setting: Option<Zone>) -> (Tz, bool) {
    match setting {
        Some(z) => (z.tz(), false),
        None => (chrono_tz::UTC, true),
    }
}

/// The status line while chats are collected.
pub fn progress_text(lang: Lang, name: &str, s: &Snapshot) -> String {
    xf(
        lang,
        X::Progress,
        &[
            ("name", name),
            ("done", &count(lang, s.chats_done)),
            ("known", &count(lang, s.chats_known)),
            (
                "more",
                if s.listing_done {
                    ""
                } else {
                    x(lang, X::ProgressMore)
                },
            ),
            ("messages", &count(lang, s.messages)),
            ("elapsed", &elapsed(s.elapsed)),
        ],
    )
}

/// What changes the status line (its elapsed time alone does not).
pub fn progress_key(s: &Snapshot) -> [u64; 4] {
    [
        s.chats_done,
        s.chats_known,
        s.messages,
        u64::from(s.listing_done),
    ]
}

/// The last status text of a sent export, with what Avito would not give.
pub fn done_text(lang: Lang, name: &str, summary: &ExportSummary, s: &Snapshot) -> String {
    let files = if summary.parts.len() > 1 {
        xf(
            lang,
            X::DoneParts,
            &[("parts", &summary.parts.len().to_string())],
        )
    } else {
        x(lang, X::DoneOneFile).to_owned()
    };
    let mut text = xf(
        lang,
        X::Done,
        &[
            ("name", name),
            ("chats", &count(lang, summary.chats)),
            ("messages", &count(lang, summary.messages)),
            ("elapsed", &elapsed(s.elapsed)),
            ("files", &files),
        ],
    );
    for note in gap_notes(lang, &summary.gaps) {
        text.push_str("\n\n");
        text.push_str(&note);
    }
    text
}

fn gap_notes(lang: Lang, gaps: &Gaps) -> Vec<String> {
    let mut notes = Vec::new();
    let truncated = &gaps.truncated_chats;
    if !truncated.is_empty() {
        let mut named: Vec<String> = truncated
            .iter()
            .take(NOTE_MAX_CHATS)
            .map(|id| html_escape(id))
            .collect();
        if truncated.len() > NOTE_MAX_CHATS {
            named.push(format!("… (+{})", truncated.len() - NOTE_MAX_CHATS));
        }
        notes.push(xf(
            lang,
            X::NoteTruncated,
            &[
                ("limit", &MESSAGES_CEILING.to_string()),
                ("chats", &named.join(", ")),
            ],
        ));
    }
    if !gaps.unlisted.is_empty() {
        notes.push(xf(
            lang,
            X::NoteUnlisted,
            &[
                ("limit", &LISTING_CEILING.to_string()),
                ("what", &html_escape(&gaps.unlisted.join(", "))),
            ],
        ));
    }
    notes
}

/// The caption of part `i` (from 0) of `parts`; captions are plain text, the name as it is.
pub fn caption(lang: Lang, name: &str, i: usize, parts: usize) -> String {
    if parts > 1 {
        xf(
            lang,
            X::PartCaption,
            &[
                ("name", name),
                ("part", &(i + 1).to_string()),
                ("parts", &parts.to_string()),
            ],
        )
    } else {
        xf(lang, X::FileCaption, &[("name", name)])
    }
}

/// `avito-chats-<profile>-<date>.xlsx`, with the profile name reduced to safe characters.
pub fn file_name(name: &str, now: DateTime<Utc>) -> String {
    format!(
        "avito-chats-{}-{}.xlsx",
        plan::safe_name(name),
        now.format("%Y-%m-%d")
    )
}

/// How a failed export is told.
pub fn failure(lang: Lang, e: ExportError) -> Failure {
    match e {
        ExportError::Avito { what, source } => plan::avito_failure(lang, &what, &source),
        ExportError::NoMessengerAccess => Failure {
            reason: x(lang, X::ReasonNoMessenger).to_owned(),
            detail: ExportError::NoMessengerAccess.to_string(),
            cause: plan::Cause::NoAccess,
        },
        ExportError::Write(w) => plan::file_failure(lang, &w),
        ExportError::WriterGone => plan::internal(lang, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::export::PartFile;

    fn snapshot(done: u64, known: u64, listing_done: bool) -> Snapshot {
        Snapshot {
            chats_known: known,
            chats_done: done,
            messages: 12_345,
            listing_done,
            elapsed: Duration::from_secs(61),
        }
    }

    fn summary(parts: usize, chats: u64, gaps: Gaps) -> ExportSummary {
        let part = |i: usize| PartFile {
            path: PathBuf::from(format!("p{i}.xlsx")),
            size: 1,
            chats: chats / parts.max(1) as u64,
            messages: 0,
        };
        ExportSummary {
            parts: (0..parts).map(part).collect(),
            chats,
            messages: 0,
            gaps,
        }
    }

    #[test]
    fn the_status_line_counts_chats_done_of_known_and_says_when_listing_goes_on() {
        let listing = progress_text(Lang::En, "Shop", &snapshot(1_200, 3_400, false));
        assert!(
            listing.contains("1,200") && listing.contains("3,400"),
            "{listing}"
        );
        assert!(listing.contains(x(Lang::En, X::ProgressMore)), "{listing}");
        assert!(
            listing.contains("12,345") && listing.contains("1:01"),
            "{listing}"
        );
        let listed = progress_text(Lang::En, "Shop", &snapshot(3_400, 3_400, true));
        assert!(!listed.contains(x(Lang::En, X::ProgressMore)), "{listed}");
    }

    #[test]
    fn the_status_line_changes_with_the_counts_not_the_clock() {
        let a = snapshot(1, 2, false);
        let later = Snapshot {
            elapsed: Duration::from_secs(99),
            ..a
        };
        assert_eq!(progress_key(&a), progress_key(&later));
        assert_ne!(progress_key(&a), progress_key(&snapshot(2, 2, false)));
    }

    #[test]
    fn an_empty_export_is_done_with_one_file_and_no_notes() {
        let text = done_text(
            Lang::En,
            "Shop",
            &summary(1, 0, Gaps::default()),
            &snapshot(0, 0, true),
        );
        assert!(text.contains(x(Lang::En, X::DoneOneFile)), "{text}");
        assert!(!text.contains("\n\n"), "no notes: {text}");
    }

    #[test]
    fn the_notes_name_at_most_twenty_cut_chats_and_every_listing_out_of_reach() {
        let gaps = Gaps {
            truncated_chats: (0..25).map(|i| format!("c{i}")).collect(),
            unlisted: vec!["chats of item 5".into()],
        };
        let text = done_text(
            Lang::En,
            "Shop",
            &summary(3, 30, gaps),
            &snapshot(30, 30, true),
        );
        assert!(text.contains("c19") && !text.contains("c20,"), "{text}");
        assert!(
            text.contains("… (+5)") && text.contains("chats of item 5"),
            "{text}"
        );
        assert!(
            !text.contains(x(Lang::En, X::DoneOneFile)),
            "three parts: {text}"
        );
    }

    #[test]
    fn names_captions_files_and_zones() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
        let shown = shown_name(Lang::En, "A&B", Some(date));
        assert!(
            shown.starts_with("A&amp;B (") && shown.contains("2026-03-01"),
            "{shown}"
        );
        assert_eq!(shown_name(Lang::En, "A&B", None), "A&amp;B");
        assert_ne!(caption(Lang::En, "S", 0, 1), caption(Lang::En, "S", 0, 2));
        assert!(caption(Lang::En, "S", 1, 2).contains('2'));
        let now = DateTime::parse_from_rfc3339("2026-03-05T10:00:00Z").expect("time");
        assert_eq!(
            file_name("My shop", now.with_timezone(&Utc)),
            "avito-chats-My_shop-2026-03-05.xlsx"
        );
        assert_eq!(zone(None), (chrono_tz::UTC, true));
    }

    #[test]
    fn export_errors_are_told_by_their_type() {
        let f = failure(Lang::En, ExportError::NoMessengerAccess);
        assert_eq!(f.cause, plan::Cause::NoAccess);
        assert_eq!(f.reason, x(Lang::En, X::ReasonNoMessenger));
        assert_eq!(
            failure(Lang::En, ExportError::WriterGone).cause,
            plan::Cause::Internal
        );
    }
}
