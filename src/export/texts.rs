//! Typed keys of the `export` locale area (`locales/<lang>/export.toml`): the workbook's sheet
//! names, headers and message renderings, and the bot's export messages.

use crate::i18n::{self, Lang};

crate::text_keys!(pub enum X in "export" {
    SheetChats => "sheet_chats",
    SheetMessages => "sheet_messages",
    ColChatId => "col_chat_id",
    ColItemId => "col_item_id",
    ColItemTitle => "col_item_title",
    ColItemUrl => "col_item_url",
    ColCounterparty => "col_counterparty",
    ColCounterpartyUrl => "col_counterparty_url",
    ColCreated => "col_created",
    ColUpdated => "col_updated",
    ColMessageCount => "col_message_count",
    ColLastMessage => "col_last_message",
    ColTime => "col_time",
    ColDirection => "col_direction",
    ColAuthor => "col_author",
    ColType => "col_type",
    ColText => "col_text",
    ColRead => "col_read",
    DirIn => "dir_in",
    DirOut => "dir_out",
    AuthorSystem => "author_system",
    AuthorMe => "author_me",
    MsgImage => "msg_image",
    MsgLink => "msg_link",
    MsgItem => "msg_item",
    MsgLocation => "msg_location",
    MsgCall => "msg_call",
    MsgCallMissed => "msg_call_missed",
    MsgVoice => "msg_voice",
    MsgDeleted => "msg_deleted",
    MsgSystem => "msg_system",
    MsgUnsupported => "msg_unsupported",
    MsgQuote => "msg_quote",
    Queued => "queued",
    SinceNote => "since_note",
    Progress => "progress",
    ProgressMore => "progress_more",
    Done => "done",
    DoneOneFile => "done_one_file",
    DoneParts => "done_parts",
    NoteTruncated => "note_truncated",
    NoteUnlisted => "note_unlisted",
    PartCaption => "part_caption",
    FileCaption => "file_caption",
    Failed => "failed",
    BtnRestart => "btn_restart",
    AlreadyRunning => "already_running",
    Started => "started",
    ReasonAvito => "reason_avito",
    ReasonCredentials => "reason_credentials",
    ReasonForbidden => "reason_forbidden",
    ReasonNoMessenger => "reason_no_messenger",
    ReasonFile => "reason_file",
    ReasonTelegram => "reason_telegram",
    ReasonInternal => "reason_internal",
    StatsSheetSummary => "stats_sheet_summary",
    StatsSheetDays => "stats_sheet_days",
    StatsSheetItems => "stats_sheet_items",
    StatsSheetReviews => "stats_sheet_reviews",
    StatsColWritten => "stats_col_written",
    StatsColStars => "stats_col_stars",
    StatsColStage => "stats_col_stage",
    StatsColSender => "stats_col_sender",
    StatsColReview => "stats_col_review",
    StatsColAnswer => "stats_col_answer",
    StatsColAnswerStatus => "stats_col_answer_status",
    StatsReviewsNone => "stats_reviews_none",
    StatsReviewsFailed => "stats_reviews_failed",
    StatsColDate => "stats_col_date",
    StatsColViews => "stats_col_views",
    StatsColContacts => "stats_col_contacts",
    StatsColFavorites => "stats_col_favorites",
    StatsColSpending => "stats_col_spending",
    StatsTitle => "stats_title",
    StatsPeriod => "stats_period",
    StatsTotal => "stats_total",
    StatsItemsCount => "stats_items_count",
    StatsNote => "stats_note",
    StatsNoteRows => "stats_note_rows",
    StatsChartDemand => "stats_chart_demand",
    StatsChartSpending => "stats_chart_spending",
    StatsQueued => "stats_queued",
    StatsProgress => "stats_progress",
    StatsStageTotals => "stats_stage_totals",
    StatsStageListing => "stats_stage_listing",
    StatsStageItems => "stats_stage_items",
    StatsDone => "stats_done",
    StatsFailed => "stats_failed",
    StatsFileCaption => "stats_file_caption",
    StatsAlreadyRunning => "stats_already_running",
    StatsBtnAgain => "stats_btn_again",
});

/// The text of `key` in `lang`.
pub fn x(lang: Lang, key: X) -> &'static str {
    i18n::text(lang, key)
}

/// The text with `{name}` placeholders filled in.
pub fn xf(lang: Lang, key: X, args: &[(&str, &str)]) -> String {
    i18n::format(lang, key, args)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_export_text_exists_in_every_language() {
        crate::i18n::check_area("export", super::X::ALL).expect("export texts complete");
    }
}
