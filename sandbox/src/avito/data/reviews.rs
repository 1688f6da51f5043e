//! Reviews and the seller's rating (`/ratings/v1/*`). Reviews are generated at start, newest
//! first, each a pure function of (account key, position): 5,000 of them take milliseconds.
//!
//! The newest twelve of every account follow [`PLAN`], so account 1 (14 reviews) shows every
//! case a client must handle: all four stages, scores 1–5, answers in each status (a rejected
//! one with its reasons), reviews that cannot be answered, reviews without item or sender, and
//! a 2★ review waiting for an answer. Older ones are drawn at random.

use serde_json::{Map, Value, json};

use super::catalog::Item;
use crate::avito::config::RatingKind;
use crate::avito::rng::SplitMix64;
use AnswerStatus::{Moderation, Published, Rejected};
use Stage::{Done, FellThrough, NotAgree, NotCommunicate};

/// Most generated reviews per account: ids stay unique across accounts and within int32, with
/// room for reviews added while running.
pub const MAX_REVIEWS: usize = 90_000;

/// Stage of the deal a review is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Сделка состоялась.
    Done,
    /// Сделка сорвалась.
    FellThrough,
    /// Не договорились.
    NotAgree,
    /// Не общались.
    NotCommunicate,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::Done,
        Stage::FellThrough,
        Stage::NotAgree,
        Stage::NotCommunicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Done => "done",
            Stage::FellThrough => "fell_through",
            Stage::NotAgree => "not_agree",
            Stage::NotCommunicate => "not_communicate",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Where the seller's answer to a review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnswerStatus {
    Moderation,
    Published,
    Rejected,
}

impl AnswerStatus {
    pub const ALL: [AnswerStatus; 3] = [
        AnswerStatus::Moderation,
        AnswerStatus::Published,
        AnswerStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AnswerStatus::Moderation => "moderation",
            AnswerStatus::Published => "published",
            AnswerStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<AnswerStatus> {
        AnswerStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Why moderation rejected an answer (`RejectReason`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectReason {
    pub id: i64,
    pub title: String,
}

/// Reasons moderation gives, with their ids.
pub const REJECT_REASONS: &[(i64, &str)] = &[
    (101, "Нецензурная лексика"),
    (102, "Оскорбления"),
    (103, "Контактные данные в тексте"),
    (104, "Ссылки на сторонние ресурсы"),
    (105, "Ответ не относится к отзыву"),
];

impl RejectReason {
    /// A reason by its title: a known one keeps its id, another gets one of its own.
    pub fn titled(title: &str, position: usize) -> RejectReason {
        let id = REJECT_REASONS
            .iter()
            .find(|(_, t)| *t == title)
            .map_or(200 + position as i64, |(id, _)| *id);
        RejectReason {
            id,
            title: title.to_owned(),
        }
    }
}

/// The seller's answer to a review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewAnswer {
    pub id: i64,
    pub text: String,
    pub status: AnswerStatus,
    /// Unix seconds.
    pub created_at: i64,
    /// Only for `Rejected`.
    pub reject_reasons: Vec<RejectReason>,
}

/// The ad a review is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewItem {
    pub id: i64,
    pub title: String,
}

/// One review of the seller.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub id: i64,
    /// 1–5.
    pub score: i64,
    pub stage: Stage,
    pub text: String,
    pub used_in_score: bool,
    pub can_answer: bool,
    /// Unix seconds.
    pub created_at: i64,
    pub item: Option<ReviewItem>,
    /// The buyer's name.
    pub sender: Option<String>,
    pub answer: Option<ReviewAnswer>,
    /// Photos attached to the review.
    pub images: usize,
    /// `extraParams.vin`, for reviews about cars.
    pub vin: Option<String>,
}

/// The rating as `getRatingsInfoV1` tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingInfo {
    pub enabled: bool,
    pub rating: Option<Rating>,
}

/// The rating's figures. Any values are accepted, so tests can serve implausible ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    pub score: f64,
    pub reviews_count: i64,
    pub reviews_with_score_count: i64,
}

impl RatingInfo {
    /// `GetRatingInfoResponse`. A switched-off rating leaves `rating` out, a missing one is
    /// `null`: both forms the spec allows are served.
    pub fn to_json(&self) -> Value {
        let mut v = Map::new();
        v.insert("isEnabled".into(), json!(self.enabled));
        match &self.rating {
            Some(r) => {
                v.insert(
                    "rating".into(),
                    json!({"score": r.score, "reviewsCount": r.reviews_count,
                           "reviewsWithScoreCount": r.reviews_with_score_count}),
                );
            }
            None if self.enabled => {
                v.insert("rating".into(), Value::Null);
            }
            None => {}
        }
        Value::Object(v)
    }

    /// The rating a seller of `kind` has with these reviews: the mean score of those that
    /// count, to one decimal.
    pub fn of<'a>(kind: RatingKind, reviews: impl Iterator<Item = &'a Review>) -> RatingInfo {
        let (mut count, mut used, mut sum) = (0i64, 0i64, 0i64);
        for r in reviews {
            count += 1;
            if r.used_in_score {
                used += 1;
                sum += r.score;
            }
        }
        let rating = (kind == RatingKind::Scored && used > 0).then(|| Rating {
            score: (sum as f64 / used as f64 * 10.0).round() / 10.0,
            reviews_count: count,
            reviews_with_score_count: used,
        });
        RatingInfo {
            enabled: kind != RatingKind::Disabled,
            rating,
        }
    }
}

impl Review {
    /// The `Review` schema. Where the spec allows both, an optional object is sometimes `null`
    /// and sometimes left out (by the id's parity), so clients meet both.
    pub fn to_json(&self) -> Value {
        let mut v = Map::new();
        v.insert("id".into(), json!(self.id));
        v.insert("score".into(), json!(self.score));
        v.insert("stage".into(), json!(self.stage.as_str()));
        v.insert("text".into(), json!(self.text));
        v.insert("usedInScore".into(), json!(self.used_in_score));
        v.insert("canAnswer".into(), json!(self.can_answer));
        v.insert("createdAt".into(), json!(self.created_at));
        let as_null = self.id % 2 == 0;
        let mut optional = |key: &str, value: Option<Value>| match value {
            Some(x) => {
                v.insert(key.into(), x);
            }
            None if as_null => {
                v.insert(key.into(), Value::Null);
            }
            None => {}
        };
        optional(
            "item",
            self.item
                .as_ref()
                .map(|i| json!({"id": i.id, "title": i.title})),
        );
        optional("sender", self.sender.as_ref().map(|n| json!({"name": n})));
        optional("answer", self.answer.as_ref().map(ReviewAnswer::to_json));
        if self.images > 0 {
            v.insert("images".into(), self.images_json());
        }
        if let Some(vin) = &self.vin {
            v.insert("extraParams".into(), json!({"vin": vin}));
        }
        Value::Object(v)
    }

    fn images_json(&self) -> Value {
        let url = |n: usize, size: &str| {
            format!(
                "https://static.avito.example/reviews/{}/{n}/{size}.jpg",
                self.id
            )
        };
        (1..=self.images)
            .map(|n| {
                json!({"number": n, "sizes": [
                    {"size": "100x100", "url": url(n, "100x100")},
                    {"size": "640x480", "url": url(n, "640x480")}]})
            })
            .collect()
    }
}

impl ReviewAnswer {
    pub fn to_json(&self) -> Value {
        let mut v = json!({"id": self.id, "text": self.text, "status": self.status.as_str(),
                           "createdAt": self.created_at});
        if let Some(obj) = v.as_object_mut()
            && !self.reject_reasons.is_empty()
        {
            let reasons: Vec<Value> = self
                .reject_reasons
                .iter()
                .map(|r| json!({"id": r.id, "title": r.title}))
                .collect();
            obj.insert("reject_reasons".into(), Value::Array(reasons));
        }
        v
    }
}

/// A review's shape before its texts and times are drawn.
#[derive(Clone, Copy)]
struct Plan {
    score: i64,
    stage: Stage,
    answer: Option<AnswerStatus>,
    can_answer: bool,
    item: bool,
    sender: bool,
}

const fn plan(
    score: i64,
    stage: Stage,
    answer: Option<AnswerStatus>,
    can_answer: bool,
    item: bool,
    sender: bool,
) -> Plan {
    Plan {
        score,
        stage,
        answer,
        can_answer,
        item,
        sender,
    }
}

/// The newest reviews of every account, newest first. A rejected answer may be replaced, so
/// its review can be answered again; one in moderation or published cannot.
const PLAN: [Plan; 12] = [
    plan(5, Done, None, true, true, true),
    plan(2, FellThrough, None, true, true, true),
    plan(4, Done, Some(Published), false, true, true),
    plan(1, NotAgree, Some(Rejected), true, true, true),
    plan(3, NotCommunicate, None, true, false, true),
    plan(5, Done, Some(Moderation), false, true, false),
    plan(4, FellThrough, None, false, true, true),
    plan(1, NotCommunicate, None, true, false, false),
    plan(5, Done, Some(Published), false, true, true),
    plan(2, NotAgree, None, true, true, true),
    plan(3, Done, None, true, true, false),
    plan(4, Done, None, true, true, true),
];

/// Review texts by score (index 0: 1★).
const TEXTS: [&[&str]; 5] = [
    &[
        "Не рекомендую! Товар не соответствует описанию.",
        "Продавец перестал отвечать после предоплаты.",
        "Грубое общение, на встречу так и не пришёл.",
    ],
    &[
        "Продавец опоздал на встречу на час, товар с царапинами, о которых не предупредил.",
        "Договорились о цене, а на месте подняли. Неприятно.",
        "Долго не отвечал, в итоге продал другому.",
    ],
    &[
        "Нормально, но описание могло быть подробнее.",
        "Товар в порядке, но на сообщения отвечали долго.",
        "Средне: пришлось ждать продавца полчаса.",
    ],
    &[
        "Хороший продавец, немного задержал отправку, но всё дошло.",
        "Товар соответствует фото, небольшой торг был уместен.",
        "В целом доволен, рекомендую.",
    ],
    &[
        "Отличный продавец! Всё как в описании, рекомендую.",
        "Быстро договорились, товар в идеальном состоянии. Спасибо!",
        "Вежливый продавец, помог с доставкой 👍",
        "Всё супер, сделка прошла быстро и честно.",
    ],
];

/// Added to some texts to make them long.
const MORE: &str = " Подробно: списались в мессенджере Авито, договорились о встрече у метро, \
    продавец показал товар, ответил на все вопросы и даже помог донести до машины. \
    Упаковка аккуратная, документы и чек на месте.";

const SENDERS: &[&str] = &[
    "Владимир",
    "Анна",
    "Сергей К.",
    "Мария",
    "Дмитрий",
    "Екатерина П.",
    "Игорь",
    "Ольга",
];

const ANSWERS: &[&str] = &[
    "Спасибо за отзыв! Будем рады видеть вас снова.",
    "Благодарим за обратную связь, разберёмся в ситуации.",
    "Жаль, что так вышло. Напишите нам в чат — всё решим.",
];

const REJECTED_ANSWERS: &[&str] = &[
    "Сами вы такой! Звоните 8-900-123-45-67, объясню.",
    "Подробности на моём сайте example.ru",
];

/// Review ids of an account start above this (int32, unique across accounts).
fn id_base(user_id: i64) -> i64 {
    300_000_000 + user_id.rem_euclid(10_000) * 100_000
}

/// The id of the review added `nth` (1-based) to an account of `generated` reviews.
pub fn added_review_id(user_id: i64, generated: usize, nth: usize) -> i64 {
    id_base(user_id) + (generated + nth) as i64
}

/// Reviews of an account, newest first; the newest was written an hour before `epoch`.
pub(super) fn generate(
    key: u64,
    user_id: i64,
    n: usize,
    kind: RatingKind,
    items: &[Item],
    epoch: i64,
) -> Vec<Review> {
    let span_days = (n as i64 * 25).clamp(30, 900);
    let gap = (span_days * 86_400 / n.max(1) as i64).max(2);
    (0..n)
        .map(|i| {
            let mut r = SplitMix64::at(&[key, 20, i as u64]);
            let created_at = epoch - 3_600 - i as i64 * gap - r.below(gap as u64 / 2) as i64;
            let id = id_base(user_id) + (n - i) as i64;
            let p = PLAN.get(i).copied().unwrap_or_else(|| random_plan(&mut r));
            let mut review = build(&mut r, id, created_at, &p, items, epoch);
            // A new seller's reviews do not form a score yet.
            review.used_in_score &= kind != RatingKind::New;
            review
        })
        .collect()
}

fn random_plan(r: &mut SplitMix64) -> Plan {
    let score = [1, 2, 3, 4, 5][r.weighted(&[8, 7, 10, 25, 50])];
    let stage = Stage::ALL[r.weighted(&[60, 15, 15, 10])];
    let answer = match r.weighted(&[55, 10, 30, 5]) {
        0 => None,
        k => Some(AnswerStatus::ALL[k - 1]),
    };
    let can_answer = match answer {
        Some(Moderation | Published) => false,
        // Some reviews are closed to answers (too old, say).
        _ => r.chance(0.85),
    };
    plan(
        score,
        stage,
        answer,
        can_answer,
        r.chance(0.85),
        r.chance(0.8),
    )
}

fn build(
    r: &mut SplitMix64,
    id: i64,
    created_at: i64,
    p: &Plan,
    items: &[Item],
    epoch: i64,
) -> Review {
    let pool = TEXTS[(p.score - 1).clamp(0, 4) as usize];
    let mut text = (*r.pick(pool)).to_owned();
    if r.chance(0.08) {
        text.push_str(MORE);
    }
    let item = (p.item && !items.is_empty()).then(|| r.pick(items));
    let vin = item
        .filter(|it| it.category.id == 9 && r.chance(0.5))
        .map(|_| format!("XTA21{:012}", r.below(1_000_000_000_000)));
    let answer = p.answer.map(|status| {
        let at = (created_at + r.range(600, 3 * 86_400)).min(epoch - 60);
        generated_answer(r, id, status, at)
    });
    Review {
        id,
        score: p.score,
        stage: p.stage,
        text,
        used_in_score: p.stage != Stage::NotCommunicate && r.chance(0.9),
        can_answer: p.can_answer,
        created_at,
        item: item.map(|it| ReviewItem {
            id: it.id,
            title: it.title.clone(),
        }),
        sender: p.sender.then(|| (*r.pick(SENDERS)).to_owned()),
        answer,
        images: if r.chance(0.15) {
            1 + r.below(2) as usize
        } else {
            0
        },
        vin,
    }
}

fn generated_answer(
    r: &mut SplitMix64,
    review_id: i64,
    status: AnswerStatus,
    created_at: i64,
) -> ReviewAnswer {
    let (text, reject_reasons) = match status {
        Rejected => {
            let (id, title) = *r.pick(&REJECT_REASONS[1..3]);
            (
                *r.pick(REJECTED_ANSWERS),
                vec![RejectReason {
                    id,
                    title: title.to_owned(),
                }],
            )
        }
        _ => (*r.pick(ANSWERS), Vec::new()),
    };
    ReviewAnswer {
        // Review ids are 3xx_xxx_xxx; their answers' are 4xx_xxx_xxx more.
        id: review_id + 400_000_000,
        text: text.to_owned(),
        status,
        created_at,
        reject_reasons,
    }
}
