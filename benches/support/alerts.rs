//! The alert rules' simulated hour, shared by the benchmarks that watch accounts: every rule
//! on, the same events for every 10th account, the processes' clock and pacing, and the counts
//! of checks and notices.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use avito_reports::db::alerts;
use avito_reports::domain::alerts::AlertRule;
use avito_reports::domain::{ProfileId, clock};
use chrono::{NaiveTime, TimeZone, Utc};
use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator, Direction, NewMessage};
use sandbox::telegram::TelegramEmulator;
use sea_orm::DatabaseConnection;

/// The emulator of `profiles` accounts of five listings each, enforcing Avito's limits over
/// windows of `window`.
pub async fn emulator(profiles: u32, window: Duration) -> anyhow::Result<AvitoEmulator> {
    AvitoEmulator::start(AvitoConfig {
        accounts: (1..=profiles)
            .map(|n| AccountSpec {
                items: 5,
                ..AccountSpec::generated(n)
            })
            .collect(),
        rate_window: window,
        ..AvitoConfig::default()
    })
    .await
}

/// The Avito operation each rule's check asks, and how many requests one check makes.
pub const CHECKS: [(AlertRule, &str, usize); 9] = [
    (AlertRule::WalletLow, "getUserBalance", 1),
    (AlertRule::CpaLow, "balanceInfoV3", 1),
    (AlertRule::SpendSpike, "postOperationsHistory", 2),
    (AlertRule::DemandDrop, "itemAnalytics", 1),
    (AlertRule::Unanswered, "getChatsV2", 1),
    (AlertRule::MissedCalls, "postCallsStats", 1),
    // The emulator's accounts have fewer than 50 reviews: one page per check.
    (AlertRule::NewReviews, "getReviewsV1", 1),
    // Both rules read the rating: a review check and a rating check each ask once.
    (AlertRule::RatingLow, "getRatingsInfoV1", 1),
    // Blocked and rejected listings: one page of the listings by status.
    (AlertRule::ListingBlocked, "getItemsInfo", 1),
];

/// Checks per hour the rule's default interval promises (demand: once a day).
pub fn promised_per_hour(rule: AlertRule) -> f64 {
    match rule {
        AlertRule::DemandDrop => 1.0,
        _ => 3600.0 / rule.check_every(rule.default_param()).as_secs_f64(),
    }
}

/// The processes' and this benchmark's clock at 10:00 Moscow today: working hours, no quiet
/// hours, and the day's demand check (09:00) is due. Returns the offset from the real clock.
pub fn live_at_ten() -> anyhow::Result<chrono::Duration> {
    let moscow = chrono_tz::Europe::Moscow;
    let today = Utc::now().with_timezone(&moscow).date_naive();
    let ten = NaiveTime::from_hms_opt(10, 0, 0).ok_or_else(|| anyhow::anyhow!("no 10:00"))?;
    let ten = moscow
        .from_local_datetime(&today.and_time(ten))
        .single()
        .ok_or_else(|| anyhow::anyhow!("10:00 Moscow is ambiguous"))?
        .to_utc();
    let offset = ten - Utc::now();
    clock::set_offset(offset);
    Ok(offset)
}

/// Gives a process the emulator's rate window for its pacing, the checks `speedup` times
/// faster and the clock `offset`.
pub fn accelerate(
    command: &mut tokio::process::Command,
    window: Duration,
    speedup: u32,
    offset: chrono::Duration,
) {
    command
        .env("AVITO_RATE_WINDOW_SEC", window.as_secs_f64().to_string())
        .env("ALERT_CHECK_SPEEDUP", speedup.to_string())
        .env(
            "CLOCK_OFFSET_SEC",
            format!("{:.3}", offset.num_milliseconds() as f64 / 1000.0),
        );
}

/// Turns every alert rule of the profile on, with its default parameter.
pub async fn enable_every_rule(
    conn: &DatabaseConnection,
    profile_id: ProfileId,
) -> anyhow::Result<()> {
    enable_rules(conn, profile_id, AlertRule::ALL).await
}

/// Switches `rules` on and every other rule off (a new profile starts with one on).
pub async fn enable_rules(
    conn: &DatabaseConnection,
    profile_id: ProfileId,
    rules: &[AlertRule],
) -> anyhow::Result<()> {
    for rule in AlertRule::ALL.iter().copied() {
        let on = alerts::RuleChange::Enabled(rules.contains(&rule));
        alerts::change_rule(conn, profile_id, rule, on).await?;
    }
    Ok(())
}

/// What happens to every 10th account during the hour.
#[derive(Clone, Copy)]
enum Event {
    WalletDrops,
    CallMissed,
    BuyerWrites,
    WalletToppedUp,
    SellerAnswers,
}

/// The events, at shares of the hour.
const EVENTS: [(f64, Event); 5] = [
    (0.15, Event::WalletDrops),
    (0.25, Event::CallMissed),
    (0.30, Event::BuyerWrites),
    (0.55, Event::WalletToppedUp),
    (0.70, Event::SellerAnswers),
];

/// The hour of every 10th account: its wallet drops below the threshold and is topped up
/// again, a buyer's message waits unanswered and is then answered, and a call is missed.
pub struct HourEvents {
    /// Emulator user ids of the accounts that move.
    moved: Vec<i64>,
    /// The chat each buyer wrote in, for the seller's answer.
    waiting_chats: HashMap<i64, String>,
}

impl HourEvents {
    /// Every 10th of the `profiles` accounts, their wallets full to start with.
    pub fn new(avito: &AvitoEmulator, profiles: u32) -> anyhow::Result<Self> {
        let moved: Vec<i64> = (1..=profiles)
            .filter(|n| n % 10 == 0)
            .map(|n| AccountSpec::generated(n).user_id)
            .collect();
        for user in &moved {
            avito.set_wallet_balance(*user, 5_000.0)?;
        }
        Ok(Self {
            moved,
            waiting_chats: HashMap::new(),
        })
    }

    /// How many accounts move: the alerts of each kind expected.
    pub fn moved(&self) -> usize {
        self.moved.len()
    }

    /// Plays the events of the hour that starts at `started`; returns after the last.
    pub async fn play(
        &mut self,
        avito: &AvitoEmulator,
        started: Instant,
        hour: Duration,
    ) -> anyhow::Result<()> {
        for (share, event) in EVENTS {
            tokio::time::sleep_until((started + hour.mul_f64(share)).into()).await;
            for user in self.moved.clone() {
                self.apply(avito, user, event)?;
            }
        }
        Ok(())
    }

    fn apply(&mut self, avito: &AvitoEmulator, user: i64, event: Event) -> anyhow::Result<()> {
        let message = |chat_id, direction, text: &str, ago: chrono::Duration| NewMessage {
            chat_id,
            direction,
            text: text.into(),
            created: (clock::now() - ago).timestamp(),
        };
        match event {
            Event::WalletDrops => avito.set_wallet_balance(user, 100.0)?,
            Event::WalletToppedUp => avito.set_wallet_balance(user, 5_000.0)?,
            Event::CallMissed => {
                let day = clock::now()
                    .with_timezone(&chrono_tz::Europe::Moscow)
                    .date_naive();
                avito.add_missed_call(user, None, day)?;
            }
            Event::BuyerWrites => {
                // Already 45 minutes unanswered: past the default 30.
                let ago = chrono::Duration::minutes(45);
                let asked = message(None, Direction::In, "Is it still available?", ago);
                self.waiting_chats
                    .insert(user, avito.add_message(user, asked)?);
            }
            Event::SellerAnswers => {
                let chat = self.waiting_chats.get(&user).cloned();
                let answer = message(
                    chat,
                    Direction::Out,
                    "Yes, it is.",
                    chrono::Duration::zero(),
                );
                avito.add_message(user, answer)?;
            }
        }
        Ok(())
    }
}

/// What a notice is, told from its English text.
pub fn classify(text: &str) -> Option<(&'static str, Option<AlertRule>)> {
    let rule = [
        ("the wallet is low", AlertRule::WalletLow),
        ("— wallet balance.", AlertRule::WalletLow),
        ("the CPA balance is low", AlertRule::CpaLow),
        ("— CPA balance.", AlertRule::CpaLow),
        ("spending today is", AlertRule::SpendSpike),
        ("— spending.", AlertRule::SpendSpike),
        ("demand fell", AlertRule::DemandDrop),
        ("— demand.", AlertRule::DemandDrop),
        ("waiting for an answer", AlertRule::Unanswered),
        ("— unanswered chats.", AlertRule::Unanswered),
        ("the rating is", AlertRule::RatingLow),
        ("— rating.", AlertRule::RatingLow),
    ]
    .into_iter()
    .find(|(needle, _)| text.contains(needle))
    .map(|(_, r)| r);
    let kind = match text.chars().next()? {
        '🔔' => "fire",
        '⏰' => "remind",
        '✅' => "recover",
        '📞' => return Some(("missed call", Some(AlertRule::MissedCalls))),
        _ => return None,
    };
    Some((kind, rule))
}

/// The notices the bot sent, by kind and rule, and the doubled ones.
#[derive(Default)]
pub struct Tally {
    pub notices: HashMap<(&'static str, Option<AlertRule>), usize>,
    pub duplicates: usize,
    pub fired_while_open: usize,
    /// The first few doubled texts, to look at.
    pub examples: Vec<String>,
}

impl Tally {
    /// The notices of `kind` for `rule`.
    pub fn count(&self, kind: &'static str, rule: AlertRule) -> usize {
        self.notices.get(&(kind, Some(rule))).copied().unwrap_or(0)
    }
}

/// Counts the notices in `chats`: a notice twice in a chat, or a rule firing again while its
/// episode is open, is a duplicate.
pub fn tally(telegram: &TelegramEmulator, chats: &[i64]) -> Tally {
    let mut t = Tally::default();
    for chat in chats {
        let mut seen = HashSet::new();
        let mut open: HashMap<Option<AlertRule>, bool> = HashMap::new();
        for m in telegram.chat_messages(*chat).iter().filter(|m| m.from_bot) {
            let text = m.text_or_caption();
            let Some(kind) = classify(text) else { continue };
            *t.notices.entry(kind).or_default() += 1;
            let mut example = |what: &str| {
                if t.examples.len() < 5 {
                    t.examples.push(format!("{what} in chat {chat}: {text}"));
                }
            };
            if !seen.insert(text.to_owned()) {
                t.duplicates += 1;
                example("the same notice twice");
            }
            match kind.0 {
                "fire" if open.insert(kind.1, true) == Some(true) => {
                    t.fired_while_open += 1;
                    example("a fire while open");
                }
                "recover" => {
                    open.insert(kind.1, false);
                }
                _ => {}
            }
        }
    }
    t
}

/// Prints the notices against the `expected` of each kind (one per moved account), every
/// kind seen, and the duplicates.
pub fn print_notices(t: &Tally, expected: usize) {
    println!(
        "  moved accounts: {expected}; wallet alerts {} and recoveries {}, unanswered-chat alerts {} and recoveries {}, missed-call notices {} (each expected {expected})",
        t.count("fire", AlertRule::WalletLow),
        t.count("recover", AlertRule::WalletLow),
        t.count("fire", AlertRule::Unanswered),
        t.count("recover", AlertRule::Unanswered),
        t.count("missed call", AlertRule::MissedCalls),
    );
    let mut all: Vec<_> = t.notices.iter().collect();
    all.sort_by_key(|((kind, rule), _)| (*kind, rule.map(|r| r.slug())));
    let all: Vec<String> = all
        .iter()
        .map(|((kind, rule), c)| format!("{kind} {}: {c}", rule.map_or("?", |r| r.slug())))
        .collect();
    println!("  all notices: {}", all.join(", "));
    println!(
        "  duplicate notices: {} identical, {} fires while already open (target 0)",
        t.duplicates, t.fired_while_open
    );
    for example in &t.examples {
        println!("    {example}");
    }
}
