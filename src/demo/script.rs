//! The user's steps: a seller meets the bot, connects an Avito account, looks around the hub,
//! asks for a report, sets a schedule, gets `/stats` in the team group, exports the chats,
//! gets an alert and answers a review.
//!
//! Buttons are found by their callback data in the messages the user sees (never by a
//! remembered message id), and every wait is bounded (see [`Session`]).

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;
use sandbox::avito::{AvitoEmulator, NewReview, Verdict};
use sandbox::telegram::{BOT_USERNAME, SeenMessage};

use super::session::{Session, button_data, report_counters};
use crate::alerts::texts::{self as alerts_texts, A};
use crate::domain::alerts::AlertRule;
use crate::domain::{AccountId, ChatId, UserId};
use crate::export::texts::X;
use crate::i18n::{self, Lang};
use crate::reviews::texts::R;

/// A reply to a message or a press.
const REPLY_WAIT: Duration = Duration::from_secs(30);
/// A report: Avito's statistics operations allow one request a minute, which a report may
/// have to wait for.
const REPORT_WAIT: Duration = Duration::from_secs(150);
/// The whole export, from the press to the workbook.
const EXPORT_WAIT: Duration = Duration::from_secs(180);
/// An alert after the balance moves: the demo's worker checks the wallet every
/// [`super::ALERT_CHECK_SPEEDUP`]-th of its 10 minutes.
const ALERT_WAIT: Duration = Duration::from_secs(90);
/// The wallet balances the demo moves between: below and above the default 1,000 ₽ threshold.
const WALLET_LOW: f64 = 450.0;
const WALLET_TOPPED_UP: f64 = 5_000.0;

/// Who plays the user, in the language the demo runs in.
#[derive(Debug, Clone)]
pub struct Persona {
    pub user_id: UserId,
    pub first_name: &'static str,
    pub lang: Lang,
    pub profile_name: &'static str,
    pub group_id: ChatId,
    pub group_title: &'static str,
}

impl Persona {
    pub fn new(lang: Lang) -> Self {
        let (first_name, profile_name, group_title) = match lang {
            Lang::En => ("Anna", "My shop", "Shop team"),
            Lang::Ru => ("Анна", "Мой магазин", "Команда магазина"),
        };
        Self {
            user_id: UserId(1001),
            first_name,
            lang,
            profile_name,
            group_id: ChatId(-4_001),
            group_title,
        }
    }
}

/// The Avito credentials the user types (the emulator's account).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

/// The seller's Avito account as the demo moves it (the emulator's live changes): her wallet.
pub struct Account<'a> {
    pub avito: &'a AvitoEmulator,
    pub user_id: AccountId,
}

impl Account<'_> {
    fn set_wallet(&self, roubles: f64) -> anyhow::Result<()> {
        self.avito
            .set_wallet_balance(self.user_id.0, roubles)
            .map_err(|e| anyhow::anyhow!("moving the emulator's wallet: {e}"))
    }
}

/// What the demo leaves behind.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The on-demand report as delivered (its messages' text).
    pub report: String,
    /// The group's `/stats` report as delivered.
    pub stats: String,
    /// The workbook's file name and bytes, as the bot uploaded it.
    pub workbook: (String, Vec<u8>),
    /// `/metrics` after the journey.
    pub metrics: String,
    /// The report's charts as delivered with it: (file name, PNG bytes).
    pub charts: Vec<(String, Vec<u8>)>,
    /// The low-wallet alert and its "back to normal", as delivered to the group.
    pub alerts: String,
    /// A review's notice, the answer written to it, and moderation's verdict, as delivered.
    pub review: String,
}

/// Plays the whole journey, one step after another.
pub async fn play(
    s: &mut Session,
    who: &Persona,
    credentials: &Credentials,
    account: &Account<'_>,
) -> anyhow::Result<Outcome> {
    start(s).await?;
    let profile = add_profile(s, who, credentials).await?;
    let hub = tour_the_hub(s, &profile).await?;
    let (report, charts) = report_now(s, &profile, hub).await?;
    schedule_daily(s, &profile, hub).await?;
    let stats = stats_in_the_group(s, who, &profile).await?;
    let workbook = export_chats(s, who, &profile).await?;
    let alerts = wallet_alert(s, who, account, &profile).await?;
    let review = answer_a_review(s, who, account, &profile).await?;
    s.sync();
    let metrics = s.metrics().await?;
    Ok(Outcome {
        report,
        stats,
        workbook,
        metrics,
        charts,
        alerts,
        review,
    })
}

/// The profile the seller added, as its buttons name it.
struct Profile(String);

impl Profile {
    /// The callback data of `action` on this profile.
    fn data(&self, action: &str) -> String {
        format!("{action}:{}", self.0)
    }
}

/// Step 1: `/start` and the greeting.
async fn start(s: &mut Session) -> anyhow::Result<()> {
    let me = s.me();
    s.step(1, "/start");
    let after = s.last_bot_id(me);
    s.say("/start").await?;
    s.reply(me, after, "the greeting", REPLY_WAIT, |_| true)
        .await?;
    Ok(())
}

/// Step 2: `/add_profile`, answering the bot's questions; the profile it confirms.
async fn add_profile(
    s: &mut Session,
    who: &Persona,
    credentials: &Credentials,
) -> anyhow::Result<Profile> {
    let me = s.me();
    s.step(2, "Adding an Avito profile");
    let mut asked = s.last_bot_id(me);
    s.say("/add_profile").await?;
    for (question, answer) in [
        ("the question for the profile's name", who.profile_name),
        (
            "the question for the client_id",
            credentials.client_id.as_str(),
        ),
    ] {
        asked = s
            .reply(me, asked, question, REPLY_WAIT, |_| true)
            .await?
            .message_id;
        s.say(answer).await?;
    }
    let asked = s
        .reply(
            me,
            asked,
            "the question for the client_secret",
            REPLY_WAIT,
            |_| true,
        )
        .await?
        .message_id;
    s.say_secret(&credentials.client_secret).await?;
    let added = s
        .wait_in(
            me,
            "the confirmation that the profile was added",
            REPLY_WAIT,
            |messages| added_profile(messages, asked),
        )
        .await?;
    let id = added
        .strip_prefix("profile_view:")
        .context("the profile button's data")?;
    Ok(Profile(id.to_owned()))
}

/// The new profile's button after the secret was sent, or the bot's word that it could not
/// check the account.
fn added_profile(messages: &[SeenMessage], asked: i32) -> Option<anyhow::Result<String>> {
    let new = messages
        .iter()
        .filter(|m| m.from_bot && m.message_id > asked);
    for m in new {
        if let Some(data) = button_data(m, "profile_view:") {
            return Some(Ok(data));
        }
        if button_data(m, "add_retry").is_some() {
            return Some(Err(anyhow::anyhow!(
                "the bot could not check the account with Avito: “{}”",
                m.text_or_caption()
            )));
        }
    }
    None
}

/// Step 3: `/profiles` and the profile's card; the hub message's id.
async fn tour_the_hub(s: &mut Session, profile: &Profile) -> anyhow::Result<i32> {
    s.step(3, "The /profiles hub");
    let me = s.me();
    let hub = open_hub(s, &profile.data("profile_view")).await?;
    s.press(me, hub, &profile.data("profile_view"), REPLY_WAIT)
        .await?;
    Ok(hub)
}

/// Step 4: "Report now"; the report's text and its charts.
async fn report_now(
    s: &mut Session,
    profile: &Profile,
    hub: i32,
) -> anyhow::Result<(String, Vec<(String, Vec<u8>)>)> {
    s.step(4, "A report now");
    let me = s.me();
    let before = report_counters(&s.metrics().await?, "now");
    let after = s.last_bot_id(me);
    s.press(me, hub, &profile.data("report_now"), REPLY_WAIT)
        .await?;
    s.report_counted("now", before, me, REPORT_WAIT).await?;
    s.sync();
    let report = texts_after(&s.messages(me), after);
    if report.is_empty() {
        return Err(s.error("the report was counted as sent but no message arrived"));
    }
    Ok((report, pictures_after(&s.messages(me), after)))
}

/// Step 5: a daily report to this chat at a time that will not fire during the demo.
async fn schedule_daily(s: &mut Session, profile: &Profile, hub: i32) -> anyhow::Result<()> {
    s.step(5, "A daily schedule");
    let me = s.me();
    for action in [
        "profile_report",
        "report_set_chat",
        "report_chat_here",
        "report_set_time",
    ] {
        s.press(me, hub, &profile.data(action), REPLY_WAIT).await?;
    }
    let time = report_time(Utc::now(), chrono_tz::Europe::Moscow);
    let time_set = format!("time_set:{}:{}", profile.0, time.replace(':', ""));
    s.press(me, hub, &time_set, REPLY_WAIT).await?;
    // Back to the card: its "next report" line shows the schedule at work.
    s.press(me, hub, &profile.data("profile_view"), REPLY_WAIT)
        .await?;
    Ok(())
}

/// Step 6: the bot in the team's group, the profile reporting there, and `/stats`; its text.
async fn stats_in_the_group(
    s: &mut Session,
    who: &Persona,
    profile: &Profile,
) -> anyhow::Result<String> {
    s.step(6, "/stats in the team group");
    s.transcript.narrate(&format!(
        "{} adds the bot to her team's group «{}»",
        who.first_name, who.group_title
    ));
    let group = s.emulator().group(who.group_id.0, who.group_title);
    let team = who.group_id;
    s.watch_group(&group);
    let after = s.last_bot_id(team);
    s.say_in(&group, &format!("/profiles@{BOT_USERNAME}"))
        .await?;
    let view = profile.data("profile_view");
    let group_hub = s
        .reply(team, after, "the hub in the group", REPLY_WAIT, |m| {
            button_data(m, &view).is_some()
        })
        .await?
        .message_id;
    for action in [
        "profile_view",
        "profile_report",
        "report_set_chat",
        "report_chat_here",
    ] {
        s.press(team, group_hub, &profile.data(action), REPLY_WAIT)
            .await?;
    }
    let before = report_counters(&s.metrics().await?, "stats");
    let after = s.last_bot_id(team);
    s.say_in(&group, &format!("/stats@{BOT_USERNAME}")).await?;
    s.report_counted("stats", before, team, REPORT_WAIT).await?;
    s.sync();
    let stats = texts_after(&s.messages(team), after);
    if stats.is_empty() {
        return Err(s.error("/stats was counted as sent but no message arrived"));
    }
    Ok(stats)
}

/// Step 7: the chats exported to Excel; the workbook's name and bytes.
async fn export_chats(
    s: &mut Session,
    who: &Persona,
    profile: &Profile,
) -> anyhow::Result<(String, Vec<u8>)> {
    s.step(7, "Chats to Excel");
    let me = s.me();
    let hub = open_hub(s, &profile.data("profile_view")).await?;
    s.press(me, hub, &profile.data("profile_view"), REPLY_WAIT)
        .await?;
    let after = s.last_bot_id(me);
    s.press(me, hub, &profile.data("export_messenger"), REPLY_WAIT)
        .await?;
    let done = locale_prefix(i18n::text(who.lang, X::Done));
    let failed = locale_prefix(i18n::text(who.lang, X::Failed));
    s.wait_in(me, "the exported workbook", EXPORT_WAIT, |messages| {
        exported_workbook(messages, after, &done, &failed)
    })
    .await
}

/// The workbook once the bot said the export is done, or its word that it failed.
fn exported_workbook(
    messages: &[SeenMessage],
    after: i32,
    done: &str,
    failed: &str,
) -> Option<anyhow::Result<(String, Vec<u8>)>> {
    let new: Vec<&SeenMessage> = messages
        .iter()
        .filter(|m| m.from_bot && m.message_id > after)
        .collect();
    if let Some(m) = new.iter().find(|m| m.text_or_caption().starts_with(failed)) {
        return Some(Err(anyhow::anyhow!(
            "the export failed: “{}”",
            m.text_or_caption()
        )));
    }
    let finished = new.iter().any(|m| m.text_or_caption().starts_with(done));
    let document = new.iter().find_map(|m| m.document.as_ref());
    match (finished, document) {
        (true, Some(doc)) => Some(Ok((
            doc.file_name
                .clone()
                .unwrap_or_else(|| "avito-chats.xlsx".to_owned()),
            doc.bytes.clone(),
        ))),
        _ => None,
    }
}

/// Step 8: the low-wallet alert on, the wallet down and up again; the alert and its "back to
/// normal" as the group got them.
async fn wallet_alert(
    s: &mut Session,
    who: &Persona,
    account: &Account<'_>,
    profile: &Profile,
) -> anyhow::Result<String> {
    s.step(8, "An alert: the wallet runs low, then is topped up");
    account.set_wallet(WALLET_TOPPED_UP)?;
    watch_the_wallet(s, profile).await?;
    let team = who.group_id;
    let after = s.last_bot_id(team);
    let roubles = |r: f64| crate::report::format::integer(r as i64, who.lang);
    s.transcript.narrate(&format!(
        "Her Avito wallet drops to {} ₽ (the emulator's balance is moved)",
        roubles(WALLET_LOW)
    ));
    account.set_wallet(WALLET_LOW)?;
    let fired = locale_prefix(i18n::text(who.lang, A::Fire));
    let low = locale_prefix(i18n::text(who.lang, A::WalletLow));
    let alert = s
        .reply(team, after, "the low-wallet alert", ALERT_WAIT, |m| {
            let text = m.text_or_caption();
            text.starts_with(&fired) && text.contains(&low)
        })
        .await?;
    s.transcript.narrate(&format!(
        "She tops the wallet up to {} ₽",
        roubles(WALLET_TOPPED_UP)
    ));
    account.set_wallet(WALLET_TOPPED_UP)?;
    let recovered = locale_prefix(i18n::text(who.lang, A::Recover));
    let rule = alerts_texts::rule_name(who.lang, AlertRule::WalletLow);
    let back = s
        .reply(
            team,
            alert.message_id,
            "“back to normal”",
            ALERT_WAIT,
            |m| {
                let text = m.text_or_caption();
                text.starts_with(&recovered) && text.contains(rule)
            },
        )
        .await?;
    Ok([alert, back]
        .iter()
        .map(|m| m.text_or_caption().trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n\n"))
}

/// Step 9: a 2★ review reaches the group; the seller answers it from Telegram (the text asked
/// for and shown back in her private chat) and moderation publishes it. The notice, the
/// answer shown back, "sent" and "published", as she got them.
async fn answer_a_review(
    s: &mut Session,
    who: &Persona,
    account: &Account<'_>,
    profile: &Profile,
) -> anyhow::Result<String> {
    s.step(
        9,
        "A review: a 2★ review arrives and is answered from Telegram",
    );
    let (team, me) = (who.group_id, s.me());
    let after = s.last_bot_id(team);
    s.transcript
        .narrate("A buyer leaves a 2★ review on Avito (the emulator adds it)");
    let mut review = NewReview::new(2, "Продавец опоздал на час, а на столе царапина.");
    review.sender = Some("Игорь".to_owned());
    let review_id = account
        .avito
        .add_review(account.user_id.0, review)
        .map_err(|e| anyhow::anyhow!("adding the emulator's review: {e}"))?;
    let answer = format!("review_answer:{}:{review_id}", profile.0);
    let notice = s
        .reply(team, after, "the new review's notice", ALERT_WAIT, |m| {
            button_data(m, &answer).is_some()
        })
        .await?;
    let asked = s.last_bot_id(me);
    s.press(team, notice.message_id, &answer, REPLY_WAIT)
        .await?;
    let question = locale_prefix(i18n::text(who.lang, R::AskAnswer));
    s.reply(me, asked, "the question for the answer", REPLY_WAIT, |m| {
        m.text_or_caption().starts_with(&question)
    })
    .await?;
    let shown = s.last_bot_id(me);
    s.say(match who.lang {
        Lang::Ru => "Игорь, простите за опоздание! Царапину исправим бесплатно — напишите нам.",
        Lang::En => "Igor, sorry for the delay! We will fix the scratch for free: write to us.",
    })
    .await?;
    let preview = s
        .reply(me, shown, "the answer shown back", REPLY_WAIT, |m| {
            button_data(m, "answer_send:").is_some()
        })
        .await?;
    let send = button_data(&preview, "answer_send:")
        .ok_or_else(|| s.error("the answer shown back has no “Send”"))?;
    let before = s.last_bot_id(me);
    s.press(me, preview.message_id, &send, REPLY_WAIT).await?;
    let sent_text = locale_prefix(i18n::text(who.lang, R::Sent));
    let sent = s
        .reply(me, before, "“sent to Avito”", REPLY_WAIT, |m| {
            m.text_or_caption().starts_with(&sent_text)
        })
        .await?;
    s.transcript
        .narrate("Avito's moderation publishes the answer (the emulator moderates it)");
    account
        .avito
        .moderate_answer(account.user_id.0, review_id, Verdict::Published)
        .map_err(|e| anyhow::anyhow!("moderating the emulator's answer: {e}"))?;
    let published_text = locale_prefix(i18n::text(who.lang, R::Published));
    let published = s
        .reply(me, sent.message_id, "“published”", ALERT_WAIT, |m| {
            m.text_or_caption().starts_with(&published_text)
        })
        .await?;
    Ok([notice, preview, sent, published]
        .iter()
        .map(|m| m.text_or_caption().trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n\n"))
}

/// The hub's alerts screen: the low-wallet rule on, and no quiet hours (they would hold the
/// alert when the demo runs at night: default → shorter → none).
async fn watch_the_wallet(s: &mut Session, profile: &Profile) -> anyhow::Result<()> {
    let me = s.me();
    let hub = open_hub(s, &profile.data("profile_view")).await?;
    for action in ["profile_view", "alerts"] {
        s.press(me, hub, &profile.data(action), REPLY_WAIT).await?;
    }
    let toggle = format!("alert_toggle:{}:{}", profile.0, AlertRule::WalletLow.slug());
    s.press(me, hub, &toggle, REPLY_WAIT).await?;
    for _ in 0..2 {
        s.press(me, hub, &profile.data("alert_quiet"), REPLY_WAIT)
            .await?;
    }
    Ok(())
}

/// `/profiles` in the private chat; the new hub message's id.
async fn open_hub(s: &mut Session, view: &str) -> anyhow::Result<i32> {
    let me = s.me();
    let after = s.last_bot_id(me);
    s.say("/profiles").await?;
    Ok(s.reply(me, after, "the /profiles hub", REPLY_WAIT, |m| {
        button_data(m, view).is_some()
    })
    .await?
    .message_id)
}

/// The text of the bot's messages after `after`, one blank line between messages.
fn texts_after(messages: &[SeenMessage], after: i32) -> String {
    messages
        .iter()
        .filter(|m| m.from_bot && m.message_id > after)
        .map(|m| m.text_or_caption().trim_end())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The pictures the bot sent after `after`: (the name they were uploaded under, bytes).
fn pictures_after(messages: &[SeenMessage], after: i32) -> Vec<(String, Vec<u8>)> {
    messages
        .iter()
        .filter(|m| m.from_bot && m.message_id > after)
        .filter_map(|m| m.photo.as_ref())
        .enumerate()
        .map(|(i, p)| {
            let name = p
                .file_name
                .as_deref()
                .and_then(|n| std::path::Path::new(n).file_name())
                .and_then(|n| n.to_str())
                .filter(|n| n.ends_with(".png"))
                .map_or_else(|| format!("chart-{}.png", i + 1), str::to_owned);
            (name, p.bytes.clone())
        })
        .collect()
}

/// The fixed start of a locale text (before its first placeholder), as displayed: the needle
/// that tells one bot message from another in any language.
fn locale_prefix(template: &str) -> String {
    let head = template.split('{').next().unwrap_or("");
    let mut shown = String::with_capacity(head.len());
    let mut in_tag = false;
    for c in head.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => shown.push(c),
            _ => {}
        }
    }
    shown.trim().to_owned()
}

/// The daily report time the user picks: 18:00, or 20:00 when 18:00 is less than a quarter of
/// an hour away (a scheduled report in the middle of the demo would only confuse it).
pub fn report_time(now: DateTime<Utc>, tz: Tz) -> &'static str {
    let local = now.with_timezone(&tz).time();
    let soon = |at: NaiveTime| {
        let until = (at.num_seconds_from_midnight() as i64
            - local.num_seconds_from_midnight() as i64)
            .rem_euclid(24 * 3600);
        until < 15 * 60
    };
    match NaiveTime::from_hms_opt(18, 0, 0) {
        Some(six) if soon(six) => "20:00",
        _ => "18:00",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn locale_prefixes_are_the_displayed_start_of_a_text() {
        assert_eq!(
            locale_prefix("✅ <b>Export of {name} is ready</b>\nChats: {chats}"),
            "✅ Export of"
        );
        assert_eq!(
            locale_prefix(i18n::text(Lang::Ru, X::Done)),
            "✅ Выгрузка «"
        );
        assert_eq!(
            locale_prefix(i18n::text(Lang::En, X::Failed)),
            "❌ Export of"
        );
    }

    #[test]
    fn the_report_time_is_never_about_to_fire() {
        let moscow = chrono_tz::Europe::Moscow;
        let at = |h, m| {
            moscow
                .with_ymd_and_hms(2025, 3, 10, h, m, 0)
                .single()
                .map(|t| t.with_timezone(&Utc))
                .expect("a valid time")
        };
        assert_eq!(report_time(at(9, 0), moscow), "18:00");
        assert_eq!(report_time(at(17, 50), moscow), "20:00");
        assert_eq!(report_time(at(18, 0), moscow), "20:00");
        assert_eq!(report_time(at(18, 1), moscow), "18:00");
        assert_eq!(report_time(at(18, 30), moscow), "18:00");
    }

    #[test]
    fn report_texts_are_the_bot_messages_after_the_press() {
        let m = |id, from_bot, text: &str| SeenMessage {
            message_id: id,
            chat_id: 1,
            from_bot,
            from_user: None,
            text: Some(text.to_owned()),
            raw_text: None,
            parse_mode: None,
            buttons: vec![],
            document: None,
            photo: None,
            media_group_id: None,
            forwarded_from_channel: None,
            edited: false,
            edit_count: 0,
            sent_at: None,
        };
        let chat = [
            m(1, true, "hub"),
            m(2, false, "typed"),
            m(3, true, "part 1\n"),
            m(4, true, "part 2"),
        ];
        assert_eq!(texts_after(&chat, 1), "part 1\n\npart 2");
    }
}
