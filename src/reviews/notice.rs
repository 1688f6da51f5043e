//! What the bot says of reviews in Telegram: a new review's notice, moderation's verdict on an
//! answer, and the card's line. Pure: HTML out, everything Avito gave escaped.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::news::Verdict;
use super::texts::R;
use super::view::{self, ReviewLine};
use crate::avito::ratings::Review;
use crate::i18n::{self, Lang};

/// The most of a review's text a notice carries: with the heading, one Telegram message
/// (4,096 characters) holds it.
const MAX_NOTICE_TEXT: usize = 3_500;

fn escape(text: &str) -> String {
    teloxide::utils::html::escape(text)
}

/// `text` cut to `max` characters, with "…" where it was cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// "⭐ Shop: a new review ★★☆☆☆ …", the review's text escaped and cut to fit one message.
pub fn new_review(
    lang: Lang,
    profile: &str,
    review: &Review,
    tz: Tz,
    now: DateTime<Utc>,
) -> String {
    let line = ReviewLine::of(review, lang, tz, now);
    let t = |key| i18n::text(lang, key);
    let item = match (&line.item, line.item_id) {
        (Some(title), Some(id)) => format!(
            "<a href=\"https://www.avito.ru/{id}\">{}</a>",
            escape(title)
        ),
        (Some(title), None) => escape(title),
        (None, _) => t(R::NoItem).to_owned(),
    };
    let text = match line.text.trim() {
        "" => format!("<i>{}</i>", t(R::NoticeNoText)),
        text => escape(&cut(text, MAX_NOTICE_TEXT)),
    };
    i18n::format(
        lang,
        R::NoticeNew,
        &[
            ("name", &escape(profile)),
            ("stars", &view::stars(line.stars)),
            ("stage", &line.stage),
            ("item", &item),
            (
                "sender",
                &escape(line.sender.as_deref().unwrap_or(t(R::NoSender))),
            ),
            ("text", &text),
        ],
    )
}

/// Moderation's verdict on the seller's answer to a review from `sender`.
pub fn verdict(lang: Lang, profile: &str, sender: Option<&str>, verdict: &Verdict) -> String {
    let sender = escape(sender.unwrap_or(i18n::text(lang, R::NoSender)));
    let name = escape(profile);
    match verdict {
        Verdict::Published => {
            i18n::format(lang, R::Published, &[("name", &name), ("sender", &sender)])
        }
        Verdict::Rejected(reasons) => {
            let reasons = if reasons.is_empty() {
                i18n::text(lang, R::NoReasons).to_owned()
            } else {
                escape(&reasons.join("; "))
            };
            i18n::format(
                lang,
                R::Rejected,
                &[("name", &name), ("sender", &sender), ("reasons", &reasons)],
            )
        }
    }
}

/// The card's "🌟 Rating 4.7 · reviews: 12 · unanswered: 3" (`score`: `None` when there is
/// none to show).
pub fn card_line(lang: Lang, score: Option<String>, total: Option<i64>, unanswered: i64) -> String {
    let na = || "—".to_owned();
    i18n::format(
        lang,
        R::CardLine,
        &[
            ("score", &score.unwrap_or_else(na)),
            ("total", &total.map(|n| n.to_string()).unwrap_or_else(na)),
            ("unanswered", &unanswered.to_string()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avito::ratings::{ReviewItem, ReviewStage};

    fn review(text: &str) -> Review {
        Review {
            id: 9,
            score: Some(2),
            stage: ReviewStage::FellThrough,
            text: text.to_owned(),
            used_in_score: Some(true),
            can_answer: true,
            created_at: Some(1_790_000_000),
            item: Some(ReviewItem {
                id: Some(55),
                title: Some("Диван <угловой>".into()),
            }),
            sender_name: Some("Иван & Ко".into()),
            answer: None,
        }
    }

    #[test]
    fn a_notice_escapes_what_avito_gave_and_fits_one_message() {
        let now = DateTime::from_timestamp(1_790_000_100, 0).expect("time");
        let tz = chrono_tz::Europe::Moscow;
        let n = new_review(Lang::En, "Shop <1>", &review("<b>плохо</b>"), tz, now);
        assert!(n.contains("Shop &lt;1&gt;"), "{n}");
        assert!(n.contains("★★☆☆☆"), "{n}");
        assert!(n.contains("deal fell through"), "{n}");
        assert!(n.contains("https://www.avito.ru/55"), "{n}");
        assert!(
            n.contains("Диван &lt;угловой&gt;") && n.contains("Иван &amp; Ко"),
            "{n}"
        );
        assert!(n.contains("&lt;b&gt;плохо&lt;/b&gt;"), "{n}");
        let huge = new_review(Lang::Ru, "Shop", &review(&"слово ".repeat(5_000)), tz, now);
        assert!(huge.chars().count() < 4_096, "{}", huge.chars().count());
        assert!(huge.contains('…'));
        let empty = new_review(Lang::En, "Shop", &review("  "), tz, now);
        assert!(empty.contains("(no text)"), "{empty}");
    }

    #[test]
    fn verdicts_say_the_reasons_of_a_rejection() {
        let v = verdict(
            Lang::En,
            "Shop",
            Some("Анна"),
            &Verdict::Rejected(vec!["Оскорбления".into()]),
        );
        assert!(
            v.contains("rejected") && v.contains("Оскорбления") && v.contains("Анна"),
            "{v}"
        );
        let none = verdict(Lang::En, "Shop", None, &Verdict::Rejected(vec![]));
        assert!(none.contains("no reason given"), "{none}");
        let ok = verdict(Lang::Ru, "Shop", None, &Verdict::Published);
        assert!(ok.contains("опубликован"), "{ok}");
    }
}
