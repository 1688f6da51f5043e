//! Categories and ads.

use chrono::NaiveDate;

use super::calendar::{moscow_midnight, shift};
use crate::avito::config::ListingShape;
use crate::avito::rng::SplitMix64;

/// An Avito category with the words used to title its ads.
#[derive(Debug, PartialEq)]
pub struct Category {
    pub id: i64,
    pub name: &'static str,
    pub slug: &'static str,
    nouns: &'static [&'static str],
    /// Price range in roubles.
    prices: (i64, i64),
    /// Placement is charged per view in this category (presence spending).
    paid_placement: bool,
}

/// Status of an ad, as in `ItemsInfoWithCategoryAvito`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemStatus {
    Active,
    Removed,
    Old,
    Blocked,
    Rejected,
}

impl ItemStatus {
    pub const ALL: [ItemStatus; 5] = [
        ItemStatus::Active,
        ItemStatus::Removed,
        ItemStatus::Old,
        ItemStatus::Blocked,
        ItemStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Active => "active",
            ItemStatus::Removed => "removed",
            ItemStatus::Old => "old",
            ItemStatus::Blocked => "blocked",
            ItemStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<ItemStatus> {
        ItemStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// How one listing's daily figures are made ([`ListingShape`] of its account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trait {
    /// At random.
    Natural,
    /// A healthy account's: a contact on every day with views, every contact at one price.
    Steady,
    /// Many views, never a contact.
    Silent,
    /// Paid placement at many times the usual price per view.
    Costly,
    /// Popular until a week ago; a quarter of the views since.
    Fading,
}

/// In a troubled account, one listing in [`TROUBLE_EVERY`] of each kind, from the second on.
pub const TROUBLE_EVERY: usize = 40;

/// A paid service on an item (`InfoVas`).
#[derive(Debug, Clone, PartialEq)]
pub struct Vas {
    pub vas_id: &'static str,
    /// Unix seconds.
    pub schedule: Option<Vec<i64>>,
    pub finish_time: Option<i64>,
}

/// One ad.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: i64,
    pub title: String,
    pub address: String,
    /// Roubles; `None` = price not stated.
    pub price: Option<i64>,
    pub status: ItemStatus,
    pub url: Option<String>,
    pub category: &'static Category,
    /// First day the ad was published (and had statistics).
    pub started: NaiveDate,
    /// Last day it was published; `None` while active.
    pub finished: Option<NaiveDate>,
    pub updated: NaiveDate,
    pub autoload_id: Option<String>,
    pub vas: Vec<Vas>,
    /// Mean unique views per day.
    pub popularity: u32,
    /// Probability of a promotion charge on a given day.
    pub promo_rate: f64,
    pub shape: Trait,
}

impl Item {
    /// Whether the ad was published on `date` (and so has statistics for it).
    pub fn alive_on(&self, date: NaiveDate, today: NaiveDate) -> bool {
        self.started <= date && date <= self.finished.unwrap_or(today).min(today)
    }

    /// Whether the ad was published on at least one day of `[from, to]`.
    pub fn alive_between(&self, from: NaiveDate, to: NaiveDate, today: NaiveDate) -> bool {
        self.started <= to.min(today)
            && from <= self.finished.unwrap_or(today).min(today)
            && from <= to
    }
}

pub const CATEGORIES: &[Category] = &[
    Category {
        id: 20,
        name: "Мебель и интерьер",
        slug: "mebel_i_interer",
        nouns: &[
            "Диван угловой",
            "Шкаф-купе",
            "Кресло",
            "Стол обеденный",
            "Комод",
        ],
        prices: (1_500, 90_000),
        paid_placement: false,
    },
    Category {
        id: 21,
        name: "Бытовая техника",
        slug: "bytovaya_tehnika",
        nouns: &[
            "Холодильник",
            "Стиральная машина",
            "Пылесос",
            "Микроволновка",
        ],
        prices: (2_000, 70_000),
        paid_placement: false,
    },
    Category {
        id: 84,
        name: "Телефоны",
        slug: "telefony",
        nouns: &["Смартфон", "Телефон кнопочный", "Чехол для телефона"],
        prices: (500, 120_000),
        paid_placement: false,
    },
    Category {
        id: 9,
        name: "Автомобили",
        slug: "avtomobili",
        nouns: &["Lada Granta", "Kia Rio", "Hyundai Solaris", "Škoda Octavia"],
        prices: (350_000, 2_500_000),
        paid_placement: true,
    },
    Category {
        id: 24,
        name: "Квартиры",
        slug: "kvartiry",
        nouns: &["1-к. квартира", "2-к. квартира", "Студия", "3-к. квартира"],
        prices: (25_000, 150_000),
        paid_placement: true,
    },
    Category {
        id: 114,
        name: "Предложение услуг",
        slug: "predlozheniya_uslug",
        nouns: &[
            "Ремонт квартир",
            "Грузоперевозки",
            "Сборка мебели",
            "Уборка",
        ],
        prices: (500, 20_000),
        paid_placement: true,
    },
];

const STREETS: &[&str] = &[
    "Москва, ул. Тверская, 12",
    "Москва, Ленинский пр-т, 45",
    "Москва, ул. Профсоюзная, 88",
    "Москва, Варшавское ш., 3",
    "Москва, ул. Маросейка, 7",
    "Химки, ул. Молодёжная, 14",
];

const VAS_IDS: [&str; 5] = ["vip", "highlight", "pushup", "premium", "xl"];

/// Ad number `i` of an account. Ids are `1_000_000_000 + (user_id mod 10000) * 100_000 + ...`,
/// unique across accounts and within int32 (the spec types item ids as int32 in places).
pub(super) fn item(
    key: u64,
    user_id: i64,
    i: usize,
    today: NaiveDate,
    listings: ListingShape,
) -> Item {
    let mut r = SplitMix64::at(&[key, 1, i as u64]);
    let id = 1_000_000_000 + user_id.rem_euclid(10_000) * 100_000 + i as i64 * 3 + r.range(0, 2);
    let category = r.pick(CATEGORIES);
    let noun = r.pick(category.nouns);
    let shape = trait_of(listings, i);
    let status = ItemStatus::ALL[r.weighted(&[78, 6, 8, 4, 4])];
    // A listing made to stand out (or a healthy account's) is active and 3 weeks old at least,
    // so that both of the last two weeks have its figures.
    let status = if shape == Trait::Natural {
        status
    } else {
        ItemStatus::Active
    };
    let started = shift(today, -r.range(0, 600));
    let started = if shape == Trait::Natural {
        started
    } else {
        started.min(shift(today, -21))
    };
    let finished = match status {
        ItemStatus::Active => None,
        _ => {
            let span = (today - started).num_days().max(1);
            Some(shift(started, r.range(0, span - 1)))
        }
    };
    let updated =
        finished.unwrap_or_else(|| shift(started, r.range(0, (today - started).num_days())));
    let price = if r.chance(0.05) {
        None
    } else {
        let (lo, hi) = category.prices;
        Some(r.range(lo, hi) / 100 * 100)
    };
    let popularity = match shape {
        Trait::Silent | Trait::Fading => r.range(60, 120),
        Trait::Costly => r.range(20, 40),
        _ if r.chance(0.1) => r.range(50, 300),
        _ => r.range(1, 30),
    } as u32;
    let promo_rate = if r.chance(0.3) {
        0.05 + r.unit() * 0.25
    } else {
        0.0
    };
    let vas = if status == ItemStatus::Active && r.chance(0.2) {
        let at = moscow_midnight(today) + r.range(3600, 7 * 86_400);
        let vas_id = *r.pick(&VAS_IDS);
        let schedule = (vas_id == "pushup").then(|| vec![at - 86_400, at]);
        vec![Vas {
            vas_id,
            schedule,
            finish_time: Some(at),
        }]
    } else {
        Vec::new()
    };
    Item {
        id,
        title: format!("{noun} №{}", i + 1),
        address: (*r.pick(STREETS)).to_owned(),
        price,
        status,
        url: (status != ItemStatus::Removed)
            .then(|| format!("https://www.avito.ru/moskva/{}/item_{id}", category.slug)),
        category,
        started,
        finished,
        updated,
        autoload_id: r
            .chance(0.3)
            .then(|| format!("AL-{}", r.range(10_000, 99_999))),
        vas,
        popularity,
        promo_rate,
        shape,
    }
}

/// The trait of listing number `i` in an account shaped `listings`.
fn trait_of(listings: ListingShape, i: usize) -> Trait {
    match listings {
        ListingShape::Natural => Trait::Natural,
        ListingShape::Healthy => Trait::Steady,
        ListingShape::Troubled => match i % TROUBLE_EVERY {
            1 => Trait::Silent,
            2 => Trait::Costly,
            3 => Trait::Fading,
            _ => Trait::Natural,
        },
    }
}

impl Category {
    pub fn paid_placement(&self) -> bool {
        self.paid_placement
    }
}
