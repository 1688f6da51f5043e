//! The new-review rule's check: the rating (a daily snapshot for reports, the card's figure),
//! then the reviews a page at a time — each one the rule has not dealt with is told once,
//! marked seen or left for after quiet hours ([`crate::reviews::news`]); answers written in
//! Telegram are followed to moderation's verdict, told once in the chat they were written in;
//! and the card's count of unanswered reviews is kept.

use chrono::{DateTime, Utc};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::watch::{Audience, Stopped, Watch};
use crate::avito::Account;
use crate::avito::ratings::Review;
use crate::context::JobContext;
use crate::db::entities::review_answer;
use crate::db::reviews::{self as store, Move};
use crate::domain::{AnswerState, ChatId, ReviewId, dates};
use crate::i18n;
use crate::report::rating::snapshot_of;
use crate::reviews::answer::SENDING_LEASE_SECS;
use crate::reviews::news::{self, News, Verdict, Watching};
use crate::reviews::notice;
use crate::reviews::texts::R;
use crate::telegram::callback::ProfileAction;
use crate::telegram::send_buttons_marked;

/// Runs one check. `Ok(Err(_))`: Avito stopped it (what was done stays done: a review told is
/// recorded, the next check goes on from there). The outer error is the database's.
pub async fn check(
    ctx: &JobContext,
    watch: &Watch<'_>,
    account: &Account,
    now: DateTime<Utc>,
) -> anyhow::Result<Result<(), Stopped>> {
    let db = &ctx.state.db;
    let Watch {
        profile,
        rule,
        audience,
    } = *watch;
    match account.rating_info().await {
        Ok(info) => {
            if let Some(snapshot) = snapshot_of(&info, dates::avito_today(), now.timestamp()) {
                crate::db::ratings::record(db, profile.id, &snapshot).await?;
            }
        }
        Err(e) => return Ok(Err(e.into())),
    }
    let followed = store::followed(db, profile.id).await?;
    let watching = Watching {
        first_pass: rule.seen_day.is_none(),
        since: rule.watching_since,
        max_stars: rule.param,
        quiet: audience.quiet,
    };
    let mut pages = account.review_pages();
    let (mut total, mut unanswered) = (None, 0);
    loop {
        let page = match pages.next().await {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(e) => return Ok(Err(e.into())),
        };
        total = page.checked_total().plausible().or(total);
        let ids: Vec<ReviewId> = page.reviews.iter().map(|r| ReviewId(r.id)).collect();
        let seen = store::seen_among(db, profile.id, &ids).await?;
        let mut mark = Vec::new();
        for review in &page.reviews {
            unanswered += i64::from(news::unanswered(review));
            for answer in followed.iter().filter(|a| a.review_id.0 == review.id) {
                follow(ctx, watch, answer, review, now).await?;
            }
            if seen.contains(&ReviewId(review.id)) {
                continue;
            }
            match news::decide(review, watching, now) {
                News::Mark => mark.push(ReviewId(review.id)),
                News::Wait => {}
                News::Tell => tell(ctx, watch, review, now).await?,
            }
        }
        store::mark_seen(db, profile.id, &mark).await?;
    }
    if watching.first_pass {
        crate::db::alerts::first_pass_done(db, rule, dates::avito_today()).await?;
    }
    store::record_watch(db, profile.id, total, unanswered).await?;
    Ok(Ok(()))
}

/// A new review's notice, once (the claim is the review's record), with "✍️ Answer" when it
/// can be answered.
async fn tell(
    ctx: &JobContext,
    watch: &Watch<'_>,
    review: &Review,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Watch {
        profile, audience, ..
    } = *watch;
    if !store::claim_notice(&ctx.state.db, profile.id, ReviewId(review.id)).await? {
        return Ok(());
    }
    let text = notice::new_review(audience.lang, &profile.name, review, audience.tz, now);
    let buttons = review.can_answer.then(|| {
        let data = ProfileAction::ReviewAnswer(ReviewId(review.id))
            .on(profile.id)
            .encode();
        InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
            i18n::text(audience.lang, R::BtnAnswer),
            data,
        )]])
    });
    tracing::info!(
        review_id = review.id,
        chat = audience.chat.0,
        "new review notice"
    );
    say(ctx, audience, audience.chat, text, buttons.as_ref()).await;
    Ok(())
}

/// An answer written in Telegram, as the review now shows it: one left `sending` whose reply
/// was lost is sent if the review has an answer; a sent one gets moderation's verdict, told
/// once where it was written.
async fn follow(
    ctx: &JobContext,
    watch: &Watch<'_>,
    answer: &review_answer::Model,
    review: &Review,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let db = &ctx.state.db;
    let Some(on_review) = &review.answer else {
        return Ok(());
    };
    let mut state = answer.state;
    if state == AnswerState::Sending {
        // Only past the lease: a fresh `sending` belongs to the press sending it.
        let m = Move {
            unchanged_since: Some(now.timestamp() - SENDING_LEASE_SECS),
            answer_id: on_review.id,
            ..Move::new(AnswerState::Sending, AnswerState::Sent)
        };
        if !store::move_state(db, answer.id, m).await? {
            return Ok(());
        }
        state = AnswerState::Sent;
    }
    let Some(verdict) = news::verdict(review).filter(|_| state == AnswerState::Sent) else {
        return Ok(());
    };
    let (to, detail) = match &verdict {
        Verdict::Published => (AnswerState::Published, None),
        Verdict::Rejected(reasons) => (AnswerState::Rejected, Some(reasons.join("; "))),
    };
    let m = Move {
        detail,
        ..Move::new(AnswerState::Sent, to)
    };
    if store::move_state(db, answer.id, m).await? {
        let Watch {
            profile, audience, ..
        } = *watch;
        let text = notice::verdict(
            audience.lang,
            &profile.name,
            review.sender_name.as_deref(),
            &verdict,
        );
        tracing::info!(review_id = review.id, state = %to, "answer moderated");
        say(ctx, audience, answer.chat_id, text, None).await;
    }
    Ok(())
}

/// Sends one notice; a failure is logged (the record already moved: it is not sent twice). A
/// notice whose outcome Telegram left unknown goes again only after the 🔁 line.
async fn say(
    ctx: &JobContext,
    audience: &Audience,
    chat: ChatId,
    text: String,
    buttons: Option<&InlineKeyboardMarkup>,
) {
    let sent = send_buttons_marked(&ctx.bot, chat.into(), vec![text], buttons, audience.lang).await;
    if let Err(e) = sent {
        tracing::warn!(chat = chat.0, error = %e, "could not send a review notice");
    }
}
