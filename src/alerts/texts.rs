//! What alerts say, in the owner's language (`locales/<lang>/alerts.toml`).

use crate::avito::money::Kopecks;
use crate::domain::alerts::{
    AlertRule, DemandDrop, DemandMetric, Finding, NoticeKind, WaitingChat,
};
use crate::i18n::{self, Lang};
use crate::report::format::{decimal, integer, money};
use crate::report::html_escape;

crate::text_keys!(pub enum A in "alerts" {
    Fire => "fire",
    Remind => "remind",
    Recover => "recover",
    WalletLow => "wallet_low",
    CpaLow => "cpa_low",
    SpendSpike => "spend_spike",
    DemandDrop => "demand_drop",
    DropViews => "drop_views",
    DropContacts => "drop_contacts",
    Unanswered => "unanswered",
    ChatLine => "chat_line",
    ChatUnknownItem => "chat_unknown_item",
    ChatUnknownWho => "chat_unknown_who",
    MissedCalls => "missed_calls",
    RuleWalletLow => "rule_wallet_low",
    RuleCpaLow => "rule_cpa_low",
    RuleSpendSpike => "rule_spend_spike",
    RuleDemandDrop => "rule_demand_drop",
    RuleUnanswered => "rule_unanswered_chats",
    RuleMissedCalls => "rule_missed_calls",
    RuleNewReviews => "rule_new_reviews",
    RuleRatingLow => "rule_rating_low",
    RuleListingBlocked => "rule_listing_blocked",
    ListingBlocked => "listing_blocked",
    ListingRejected => "listing_rejected",
    RatingLow => "rating_low",
    AdminCheckFailed => "admin_check_failed",
});

/// A rule's name in running text ("wallet balance").
pub fn rule_name(lang: Lang, rule: AlertRule) -> &'static str {
    i18n::text(
        lang,
        match rule {
            AlertRule::WalletLow => A::RuleWalletLow,
            AlertRule::CpaLow => A::RuleCpaLow,
            AlertRule::SpendSpike => A::RuleSpendSpike,
            AlertRule::DemandDrop => A::RuleDemandDrop,
            AlertRule::Unanswered => A::RuleUnanswered,
            AlertRule::MissedCalls => A::RuleMissedCalls,
            AlertRule::NewReviews => A::RuleNewReviews,
            AlertRule::RatingLow => A::RuleRatingLow,
            AlertRule::ListingBlocked => A::RuleListingBlocked,
        },
    )
}

/// Where a buyer's chat opens in Avito.
pub fn chat_link(chat_id: &str) -> String {
    format!(
        "https://www.avito.ru/profile/messenger/channel/{}",
        url::form_urlencoded::byte_serialize(chat_id.as_bytes()).collect::<String>()
    )
}

/// What a finding of `rule` says, without the profile's name.
pub fn finding(lang: Lang, rule: AlertRule, f: &Finding) -> String {
    match f {
        // One shape for both balances; the rule tells which one ran low.
        Finding::Balance { balance, threshold } => {
            let key = if rule == AlertRule::CpaLow {
                A::CpaLow
            } else {
                A::WalletLow
            };
            let m = |k: i64| money(Kopecks(k), lang);
            i18n::format(
                lang,
                key,
                &[("balance", &m(*balance)), ("threshold", &m(*threshold))],
            )
        }
        Finding::SpendSpike {
            today,
            average,
            hour,
            factor_percent,
        } => spend_spike(lang, *today, *average, *hour, *factor_percent),
        Finding::DemandDrop { drops, percent } => demand_drop(lang, drops, *percent),
        Finding::Unanswered { chats, minutes } => unanswered(lang, chats, *minutes),
        Finding::MissedCalls { .. } => String::new(),
        Finding::RatingLow {
            score,
            threshold_tenths,
        } => i18n::format(
            lang,
            A::RatingLow,
            &[
                ("score", &decimal(*score, 1, lang)),
                (
                    "threshold",
                    &decimal(*threshold_tenths as f64 / 10.0, 1, lang),
                ),
            ],
        ),
    }
}

fn spend_spike(lang: Lang, today: i64, average: i64, hour: u32, factor_percent: i64) -> String {
    let m = |k: i64| money(Kopecks(k), lang);
    i18n::format(
        lang,
        A::SpendSpike,
        &[
            ("today", &m(today)),
            ("hour", &format!("{hour:02}")),
            (
                "times",
                &decimal(today as f64 / average.max(1) as f64, 1, lang),
            ),
            ("average", &m(average)),
            ("factor", &decimal(factor_percent as f64 / 100.0, 1, lang)),
        ],
    )
}

fn demand_drop(lang: Lang, drops: &[DemandDrop], percent: i64) -> String {
    let drops = drops
        .iter()
        .map(|d| {
            let key = match d.metric {
                DemandMetric::Views => A::DropViews,
                DemandMetric::Contacts => A::DropContacts,
            };
            i18n::format(
                lang,
                key,
                &[
                    ("value", &integer(d.yesterday, lang)),
                    ("average", &decimal(d.average, 1, lang)),
                ],
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    i18n::format(
        lang,
        A::DemandDrop,
        &[("drops", &drops), ("percent", &percent.to_string())],
    )
}

/// The chats waiting for an answer, ten at most listed.
fn unanswered(lang: Lang, chats: &[WaitingChat], minutes: i64) -> String {
    let lines = chats
        .iter()
        .take(10)
        .map(|c| chat_line(lang, c))
        .collect::<Vec<_>>()
        .join("\n");
    i18n::format(
        lang,
        A::Unanswered,
        &[
            ("count", &chats.len().to_string()),
            ("minutes", &minutes.to_string()),
            ("chats", &lines),
        ],
    )
}

fn chat_line(lang: Lang, c: &WaitingChat) -> String {
    let title = c
        .item_title
        .as_deref()
        .unwrap_or(i18n::text(lang, A::ChatUnknownItem));
    let who = c
        .counterpart
        .as_deref()
        .unwrap_or(i18n::text(lang, A::ChatUnknownWho));
    i18n::format(
        lang,
        A::ChatLine,
        &[
            ("title", &html_escape(title)),
            ("who", &html_escape(who)),
            ("waited", &c.waiting_minutes.to_string()),
            ("link", &chat_link(&c.chat_id)),
        ],
    )
}

/// The first notice of an episode of `rule` of profile `name` (`Fire`), or a reminder that it
/// lasts (`Remind`); "back to normal" is [`back_to_normal`].
pub fn notice(lang: Lang, kind: NoticeKind, rule: AlertRule, name: &str, f: &Finding) -> String {
    let key = match kind {
        NoticeKind::Remind => A::Remind,
        NoticeKind::Fire | NoticeKind::Recover => A::Fire,
    };
    let what = finding(lang, rule, f);
    i18n::format(lang, key, &[("name", &html_escape(name)), ("what", &what)])
}

/// The episode of `rule` of profile `name` has ended.
pub fn back_to_normal(lang: Lang, rule: AlertRule, name: &str) -> String {
    i18n::format(
        lang,
        A::Recover,
        &[
            ("name", &html_escape(name)),
            ("rule", rule_name(lang, rule)),
        ],
    )
}

/// The operator's line when a profile's checks cannot reach Avito.
pub fn admin_check_failed(
    lang: Lang,
    profile: &crate::db::entities::avito_profile::Model,
    reason: &str,
) -> String {
    i18n::format(
        lang,
        A::AdminCheckFailed,
        &[
            ("profile", &profile.id.to_string()),
            ("name", &html_escape(&profile.name)),
            ("reason", &html_escape(reason)),
        ],
    )
}

/// New missed calls of profile `name`.
pub fn missed_calls(lang: Lang, name: &str, new: i64, today: i64) -> String {
    i18n::format(
        lang,
        A::MissedCalls,
        &[
            ("name", &html_escape(name)),
            ("new", &integer(new, lang)),
            ("today", &integer(today, lang)),
        ],
    )
}

/// "🚫 Shop: Avito blocked the listing <a>Sofa</a>." — the title and link escaped.
pub fn listing_flagged(
    lang: Lang,
    profile: &str,
    item: &crate::avito::model::Item,
    flag: crate::domain::ListingFlag,
) -> String {
    let link = crate::listings::link::page(item.id, item.url.as_deref());
    let title = item
        .title
        .clone()
        .unwrap_or_else(|| format!("#{}", item.id));
    let listing = format!(
        "<a href=\"{}\">{}</a>",
        html_escape(&link),
        html_escape(&title)
    );
    let key = match flag {
        crate::domain::ListingFlag::Blocked => A::ListingBlocked,
        crate::domain::ListingFlag::Rejected => A::ListingRejected,
    };
    i18n::format(
        lang,
        key,
        &[("name", &html_escape(profile)), ("listing", &listing)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_texts_exist_in_every_language_with_the_same_placeholders() {
        crate::i18n::check_area("alerts", A::ALL).expect("alerts texts complete");
    }

    #[test]
    fn notices_name_the_profile_and_the_figures() {
        let f = Finding::Balance {
            balance: 45_000,
            threshold: 100_000,
        };
        let text = notice(
            Lang::En,
            NoticeKind::Fire,
            AlertRule::WalletLow,
            "Shop <1>",
            &f,
        );
        assert!(text.contains("Shop &lt;1&gt;") && text.contains("450") && text.contains("1,000"));
        let back = back_to_normal(Lang::Ru, AlertRule::WalletLow, "Shop");
        assert!(back.contains("снова в норме") && back.contains("баланс кошелька"));
        let chats = Finding::Unanswered {
            chats: vec![WaitingChat {
                chat_id: "u2i-a b".into(),
                item_title: Some("Диван".into()),
                counterpart: None,
                waiting_minutes: 41,
            }],
            minutes: 30,
        };
        let text = finding(Lang::En, AlertRule::Unanswered, &chats);
        assert!(text.contains("Диван — a buyer, 41 min") && text.contains("channel/u2i-a+b"));
    }
}
