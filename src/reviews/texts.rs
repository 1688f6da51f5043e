//! What the reviews say, in a person's language (`locales/<lang>/reviews.toml`).

crate::text_keys!(pub enum R in "reviews" {
    Count => "count",
    CountSince => "count_since",
    None => "none",
    StageDone => "stage_done",
    StageFellThrough => "stage_fell_through",
    StageNotAgree => "stage_not_agree",
    StageNotCommunicate => "stage_not_communicate",
    StageUnknown => "stage_unknown",
    NoItem => "no_item",
    NoSender => "no_sender",
    AnswerModeration => "answer_moderation",
    AnswerPublished => "answer_published",
    AnswerRejected => "answer_rejected",
    AnswerUnknown => "answer_unknown",
    RejectedFor => "rejected_for",
    Unanswered => "unanswered",
    CannotAnswer => "cannot_answer",
    NoticeNew => "notice_new",
    NoticeNoText => "notice_no_text",
    BtnAnswer => "btn_answer",
    BtnSend => "btn_send",
    BtnEdit => "btn_edit",
    BtnCancel => "btn_cancel",
    AskAnswer => "ask_answer",
    AskedInPrivate => "asked_in_private",
    PrivateFirst => "private_first",
    Preview => "preview",
    Empty => "empty",
    TooLong => "too_long",
    Sent => "sent",
    AlreadySent => "already_sent",
    InProgress => "in_progress",
    Closed => "closed",
    AnsweredBefore => "answered_before",
    Unknown => "unknown",
    FoundSent => "found_sent",
    NotTaken => "not_taken",
    Refused => "refused",
    Cancelled => "cancelled",
    Published => "published",
    Rejected => "rejected",
    NoReasons => "no_reasons",
    ReviewGone => "review_gone",
    CardLine => "card_line",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reviews_texts_exist_in_every_language_with_the_same_placeholders() {
        crate::i18n::check_area("reviews", R::ALL).expect("reviews texts complete");
    }
}
