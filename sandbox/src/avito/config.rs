//! Emulator configuration: which accounts exist and how the server behaves.

use std::time::Duration;

use chrono::NaiveDate;

/// How the emulator is started.
#[derive(Debug, Clone)]
pub struct AvitoConfig {
    /// Port on 127.0.0.1; `0` picks a free one.
    pub port: u16,
    /// Seed of all generated data.
    pub seed: u64,
    pub accounts: Vec<AccountSpec>,
    /// Answer 429 when a documented per-minute limit is exceeded (default true).
    pub enforce_rate_limits: bool,
    /// Lifetime of issued tokens (the real API: 24 h).
    pub token_ttl: Duration,
    /// Length of a rate-limit window (the real API: one minute); tests shorten it.
    pub rate_window: Duration,
    /// The emulator's "today" (Moscow date); `None` = the current date. Data depends only on
    /// (seed, today), so fixing it makes every value reproducible.
    pub today: Option<NaiveDate>,
}

impl Default for AvitoConfig {
    fn default() -> Self {
        Self {
            port: 0,
            seed: 42,
            accounts: vec![AccountSpec::generated(1), AccountSpec::generated(2)],
            enforce_rate_limits: true,
            token_ttl: Duration::from_secs(24 * 3600),
            rate_window: Duration::from_secs(60),
            today: None,
        }
    }
}

/// One Avito business account (a bot "profile").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSpec {
    pub client_id: String,
    pub client_secret: String,
    /// Avito user id; must fit int32 (the spec types `UserInfoSelf.id` as int32).
    pub user_id: i64,
    pub name: String,
    pub items: usize,
    pub chats: usize,
    /// Average messages per chat (actual counts vary between half and one and a half times this).
    pub messages_per_chat: usize,
    /// stats v2 metric slugs this account "has no access to": they are left out of responses,
    /// as the real API does for unavailable metrics.
    pub omit_metrics: Vec<String>,
    /// Answer `GET .../messages/` with `{"messages": [...]}` instead of the spec's bare array.
    pub wrap_messages: bool,
    /// Reviews of the seller (`getReviewsV1`), generated newest first.
    pub reviews: usize,
    /// What `getRatingsInfoV1` says of the seller's rating.
    pub rating: RatingKind,
    /// How the listings' own figures are shaped (`itemAnalytics` grouped by item).
    pub listings: ListingShape,
}

/// The shape of an account's per-listing figures, so that "listings to look at" can be shown
/// both present and absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListingShape {
    /// As generated: statuses and figures vary at random.
    #[default]
    Natural,
    /// Natural, plus a few listings of each kind a seller should look at: many views and no
    /// contact, contacts far dearer than the account's, views that fell in the last 7 days
    /// (and the natural blocked and rejected ones).
    Troubled,
    /// Every listing active, with contacts on every day it has views, every contact at the same
    /// price and steady views: no listing stands out.
    Healthy,
}

/// The state of a seller's rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RatingKind {
    /// Switched on, with a score computed from the reviews that count (`null` while none do).
    #[default]
    Scored,
    /// A new seller: switched on, `rating: null` whatever the reviews.
    New,
    /// `isEnabled: false`, no `rating`.
    Disabled,
}

impl AccountSpec {
    /// Deterministic defaults for account number `n`. Account 1 has a rating and 14 reviews,
    /// account 2 is a new seller (`rating: null`, 2 reviews), account 3 has its rating switched
    /// off; later ones are rated again. Account 1 has listings of every kind to look at,
    /// account 3 none ([`ListingShape`]).
    pub fn generated(n: u32) -> AccountSpec {
        const NAMES: [&str; 6] = [
            "ИП Смирнов",
            "ООО Мебель-Сервис",
            "Анна Кузнецова",
            "ИП Волков",
            "ООО ТехноДом",
            "Игорь Петров",
        ];
        let k = n as usize;
        AccountSpec {
            client_id: format!("client-{n}"),
            client_secret: format!("secret-{n}"),
            user_id: 1_000_000 + i64::from(n),
            name: NAMES[k % NAMES.len()].to_owned(),
            items: 200 + 37 * (k % 5),
            chats: 250 + 41 * (k % 4),
            messages_per_chat: 20,
            omit_metrics: Vec::new(),
            wrap_messages: false,
            reviews: match n {
                1 => 14,
                2 => 2,
                _ => 3 + 5 * (k % 4),
            },
            rating: match n {
                2 => RatingKind::New,
                3 => RatingKind::Disabled,
                _ => RatingKind::Scored,
            },
            listings: match n {
                1 => ListingShape::Troubled,
                3 => ListingShape::Healthy,
                _ => ListingShape::Natural,
            },
        }
    }
}
