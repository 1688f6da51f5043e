//! The emulator's data: reproducible from the seed, aggregations that add up, and pagination
//! that returns every item, chat and message exactly once.

mod avito_support;

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use avito_support::{assert_conforms, load_spec, send, token};
use chrono::NaiveDate;
use reqwest::{Client, Method};
use sandbox::avito::data::{
    DayStats, Direction, ItemFilter, MessageType, SUPPORTED_METRICS, additive_metric,
};
use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator};
use serde_json::{Value, json};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 15).expect("date")
}

fn cfg(seed: u64) -> AvitoConfig {
    AvitoConfig {
        seed,
        today: Some(today()),
        enforce_rate_limits: false,
        ..AvitoConfig::default()
    }
}

fn day(back: i64) -> String {
    (today() - chrono::Duration::days(back))
        .format("%Y-%m-%d")
        .to_string()
}

struct Client1 {
    http: Client,
    base: String,
    token: String,
    user: i64,
}

impl Client1 {
    async fn new(emu: &AvitoEmulator) -> Client1 {
        let http = Client::new();
        let base = emu.base_url();
        let token = token(&http, &base, "client-1", "secret-1").await;
        Client1 {
            http,
            base,
            token,
            user: AccountSpec::generated(1).user_id,
        }
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> Value {
        let r = send(
            &self.http,
            Method::GET,
            &format!("{}{path}", self.base),
            Some(&self.token),
            query,
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        r.json()
    }

    async fn post(&self, path: &str, body: &Value) -> Value {
        let r = send(
            &self.http,
            Method::POST,
            &format!("{}{path}", self.base),
            Some(&self.token),
            &[],
            Some(body),
        )
        .await;
        assert_eq!(r.status, 200, "{path} {body}: {}", r.text);
        r.json()
    }
}

#[tokio::test]
async fn same_seed_same_data_different_seed_different_data() {
    let a = AvitoEmulator::start(cfg(7)).await.expect("a");
    let b = AvitoEmulator::start(cfg(7)).await.expect("b");
    let c = AvitoEmulator::start(cfg(8)).await.expect("c");
    let (da, db, dc) = (a.data(), b.data(), c.data());
    for (x, y) in da.accounts().iter().zip(db.accounts()) {
        assert_eq!(x.items, y.items);
        assert_eq!(x.chats, y.chats);
        assert_eq!(x.wallet(), y.wallet());
        assert_eq!(x.cpa_balance(), y.cpa_balance());
        for chat in x.chats.iter().take(20) {
            let other = y.chat(&chat.id).expect("same chat ids");
            assert_eq!(chat.messages(), other.messages());
        }
        let it = &x.items[3];
        assert_eq!(x.item_day(it, today()), y.item_day(it, today()));
    }
    assert_ne!(da.accounts()[0].items, dc.accounts()[0].items);
    for (x, y) in da.accounts().iter().zip(db.accounts()) {
        assert_eq!(x.reviews, y.reviews);
    }
    assert_ne!(da.accounts()[0].reviews, dc.accounts()[0].reviews);

    // Over HTTP too: identical bodies from both servers.
    let (ca, cb) = (Client1::new(&a).await, Client1::new(&b).await);
    let u = ca.user;
    let chat_q = vec![("chat_types", "u2i,u2u".to_owned())];
    let path = format!("/messenger/v2/accounts/{u}/chats");
    assert_eq!(ca.get(&path, &chat_q).await, cb.get(&path, &chat_q).await);
    let page = vec![("offset", "0".to_owned()), ("limit", "50".to_owned())];
    let path = "/ratings/v1/reviews";
    assert_eq!(ca.get(path, &page).await, cb.get(path, &page).await);
    let body = json!({"dateFrom": day(30), "dateTo": day(0), "grouping": "day", "metrics": ["views", "spending"], "limit": 100, "offset": 0});
    let path = format!("/stats/v2/accounts/{u}/items");
    let (mut ra, mut rb) = (ca.post(&path, &body).await, cb.post(&path, &body).await);
    ra["result"]["timestamp"] = Value::Null;
    rb["result"]["timestamp"] = Value::Null;
    assert_eq!(ra, rb);
    for e in [a, b, c] {
        e.shutdown().await;
    }
}

fn metric_map(grouping: &Value) -> BTreeMap<String, f64> {
    grouping["metrics"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            (
                m["slug"].as_str().unwrap_or_default().to_owned(),
                m["value"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect()
}

fn sum_groupings(v: &Value) -> BTreeMap<String, f64> {
    let mut total = BTreeMap::new();
    for g in v["result"]["groupings"].as_array().expect("groupings") {
        for (k, x) in metric_map(g) {
            *total.entry(k).or_insert(0.0) += x;
        }
    }
    total
}

#[tokio::test]
async fn totals_equal_the_sum_of_days() {
    let emu = AvitoEmulator::start(cfg(42)).await.expect("start");
    let c = Client1::new(&emu).await;
    let u = c.user;
    let data = emu.data();
    let account = data.account(u).expect("account");
    let (from, to) = (day(89), day(0));
    let metrics: Vec<&str> = SUPPORTED_METRICS.to_vec();
    let v2 = format!("/stats/v2/accounts/{u}/items");
    let ask = |grouping: &str| json!({"dateFrom": from, "dateTo": to, "grouping": grouping, "metrics": metrics, "limit": 1000, "offset": 0});
    let totals = c.post(&v2, &ask("totals")).await;
    let total = metric_map(&totals["result"]["groupings"][0]);
    assert_eq!(total.len(), SUPPORTED_METRICS.len());
    let days = c.post(&v2, &ask("day")).await;
    assert_eq!(days["result"]["dataTotalCount"], 90);
    for grouping in ["day", "week", "month", "item"] {
        let summed = sum_groupings(&c.post(&v2, &ask(grouping)).await);
        for m in metrics.iter().filter(|m| additive_metric(m)) {
            assert_eq!(
                summed[*m], total[*m],
                "{m}: sum of {grouping} groupings != totals"
            );
        }
    }

    // And the totals are the generated data's.
    let items = account.matching_items(&ItemFilter::default());
    let from_d = today() - chrono::Duration::days(89);
    let raw: DayStats = account.sum(&items, from_d, today());
    assert_eq!(total["views"], raw.views as f64);
    assert_eq!(total["contacts"], raw.contacts() as f64);
    assert_eq!(total["allSpending"], raw.all_spending() as f64);
    assert!(total["activeItems"] >= total["newActiveItems"]);
    assert!(
        raw.views > 0 && raw.spending() > 0,
        "the dataset is not empty"
    );

    // Spendings (roubles): days sum to months, services to their type, `all` to stats v2 `spending`.
    let sp = format!("/stats/v2/accounts/{u}/spendings");
    let kop = |x: &Value| (x.as_f64().unwrap_or(f64::NAN) * 100.0).round() as i64;
    let by_type = |v: &Value| {
        let mut out: BTreeMap<String, i64> = BTreeMap::new();
        for g in v["result"]["groupings"].as_array().expect("groupings") {
            for s in g["spendings"].as_array().expect("spendings") {
                let services: i64 = s["services"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|x| kop(&x["value"]))
                    .sum();
                if !s["services"].as_array().is_none_or(Vec::is_empty) {
                    assert_eq!(services, kop(&s["value"]), "services add up: {s}");
                }
                *out.entry(s["slug"].as_str().unwrap_or_default().to_owned())
                    .or_default() += kop(&s["value"]);
            }
        }
        out
    };
    let types = ["all", "promotion", "presence", "commission", "rest"];
    let sp_day = by_type(
        &c.post(
            &sp,
            &json!({"dateFrom": from, "dateTo": to, "grouping": "day", "spendingTypes": types}),
        )
        .await,
    );
    let sp_month = by_type(
        &c.post(
            &sp,
            &json!({"dateFrom": from, "dateTo": to, "grouping": "month", "spendingTypes": types}),
        )
        .await,
    );
    assert_eq!(sp_day, sp_month);
    assert_eq!(sp_day["all"] as f64, total["spending"]);
    assert_eq!(sp_day["promotion"] as f64, total["promoSpending"]);
    assert_eq!(
        sp_day["all"],
        sp_day["promotion"] + sp_day["presence"] + sp_day["commission"] + sp_day["rest"]
    );

    // stats v1: day rows sum to month rows and to the data.
    let ids: Vec<i64> = account.items.iter().take(200).map(|i| i.id).collect();
    let v1 = format!("/stats/v1/accounts/{u}/items");
    let v1_sum = |v: &Value, field: &str| -> u64 {
        v["result"]["items"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|i| i["stats"].as_array().into_iter().flatten())
            .map(|s| s[field].as_u64().unwrap_or(0))
            .sum()
    };
    let v1_day = c
        .post(
            &v1,
            &json!({"itemIds": ids, "dateFrom": from, "dateTo": to}),
        )
        .await;
    let v1_month = c
        .post(
            &v1,
            &json!({"itemIds": ids, "dateFrom": from, "dateTo": to, "periodGrouping": "month"}),
        )
        .await;
    let first200: Vec<_> = account.items.iter().take(200).collect();
    let raw200 = account.sum(&first200, from_d, today());
    for (field, expected) in [
        ("uniqViews", raw200.views),
        ("uniqContacts", raw200.contacts()),
        ("uniqFavorites", raw200.favorites),
    ] {
        assert_eq!(v1_sum(&v1_day, field), expected, "{field} by day");
        assert_eq!(v1_sum(&v1_month, field), expected, "{field} by month");
    }

    // Calls.
    let calls = c
        .post(
            &format!("/core/v1/accounts/{u}/calls/stats/"),
            &json!({"dateFrom": from, "dateTo": to}),
        )
        .await;
    let n: u64 = calls["result"]["items"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|i| i["days"].as_array().into_iter().flatten())
        .map(|d| d["calls"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(n, raw.calls);
    emu.shutdown().await;
}

#[tokio::test]
async fn paging_returns_everything_exactly_once() {
    let emu = AvitoEmulator::start(cfg(42)).await.expect("start");
    let c = Client1::new(&emu).await;
    let u = c.user;
    let data = emu.data();
    let account = data.account(u).expect("account");

    // Items: page/per_page until a short page; every status asked for.
    let mut ids = Vec::new();
    for page in 1.. {
        let q = vec![
            ("per_page", "37".to_owned()),
            ("page", page.to_string()),
            ("status", "active,removed,old,blocked,rejected".to_owned()),
        ];
        let v = c.get("/core/v1/items", &q).await;
        let res = v["resources"].as_array().expect("resources").clone();
        ids.extend(res.iter().map(|r| r["id"].as_i64().expect("id")));
        if res.len() < 37 {
            break;
        }
    }
    let expected: Vec<i64> = account.items.iter().map(|i| i.id).collect();
    assert_eq!(ids, expected);
    let active = c.get("/core/v1/items", &[("per_page", "100".into())]).await;
    assert!(
        active["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .all(|r| r["status"] == "active")
    );

    // Chats: limit/offset until a short page, both chat types.
    let path = format!("/messenger/v2/accounts/{u}/chats");
    let mut chat_ids = Vec::new();
    let mut offset = 0;
    loop {
        let q = vec![
            ("chat_types", "u2i,u2u".to_owned()),
            ("limit", "100".to_owned()),
            ("offset", offset.to_string()),
        ];
        let v = c.get(&path, &q).await;
        let page = v["chats"].as_array().expect("chats").clone();
        chat_ids.extend(
            page.iter()
                .map(|ch| ch["id"].as_str().expect("id").to_owned()),
        );
        offset += page.len();
        if page.len() < 100 {
            break;
        }
    }
    let expected: Vec<String> = account.chats.iter().map(|ch| ch.id.clone()).collect();
    assert_eq!(chat_ids, expected);
    assert!(
        account.chats.len() <= 1100,
        "generated accounts stay reachable through offset <= 1000"
    );
    let default = c.get(&path, &[]).await;
    assert!(
        default["chats"]
            .as_array()
            .expect("chats")
            .iter()
            .all(|ch| ch["id"].as_str().is_some_and(|i| i.starts_with("u2i")))
    );

    // Messages: every chat, newest first; a few chats with small pages.
    let spec = load_spec();
    let mut total = 0;
    for (n, chat) in account.chats.iter().enumerate() {
        let limit = if n % 25 == 0 { 7 } else { 100 };
        let mut got = Vec::new();
        let mut offset = 0;
        loop {
            let url = format!(
                "{}/messenger/v3/accounts/{u}/chats/{}/messages/",
                c.base, chat.id
            );
            let q = vec![("limit", limit.to_string()), ("offset", offset.to_string())];
            let r = send(&c.http, Method::GET, &url, Some(&c.token), &q, None).await;
            assert_conforms(&spec, "getMessagesV3", &r);
            let page = r.json().as_array().expect("array").clone();
            got.extend(
                page.iter()
                    .map(|m| m["id"].as_str().expect("id").to_owned()),
            );
            offset += page.len();
            if page.len() < limit {
                break;
            }
        }
        let expected: Vec<String> = chat.messages().iter().rev().map(|m| m.id.clone()).collect();
        assert_eq!(got, expected, "chat {}", chat.id);
        assert_eq!(
            got.iter().collect::<HashSet<_>>().len(),
            got.len(),
            "unique message ids"
        );
        total += got.len();
    }
    assert_eq!(
        total,
        account
            .chats
            .iter()
            .map(|ch| ch.message_count)
            .sum::<usize>()
    );
    emu.shutdown().await;
}

#[test]
fn the_data_is_consistent_and_varied() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let emu = rt.block_on(AvitoEmulator::start(cfg(42))).expect("start");
    let data = emu.data();
    let mut types = HashSet::new();
    let mut directions = HashSet::new();
    let mut chat_types = HashSet::new();
    for account in data.accounts() {
        for it in &account.items {
            for d in (0..30).map(|b| today() - chrono::Duration::days(b)) {
                let Some(s) = account.item_day(it, d) else {
                    continue;
                };
                assert!(
                    s.contacts() <= s.views.max(1) + s.contacts_sbc_discount,
                    "{s:?}"
                );
                assert!(
                    s.calls_answered <= s.calls && s.calls_new <= s.calls,
                    "{s:?}"
                );
                assert!(
                    s.calls_new_answered <= s.calls_new.min(s.calls_answered),
                    "{s:?}"
                );
                assert!(s.views <= s.impressions, "{s:?}");
            }
            assert!(
                account
                    .item_day(it, today() + chrono::Duration::days(1))
                    .is_none(),
                "no stats in the future"
            );
        }
        for chat in &account.chats {
            chat_types.insert(chat.chat_type);
            let msgs = chat.messages();
            assert!(
                msgs.windows(2).all(|w| w[0].created <= w[1].created),
                "chronological"
            );
            assert_eq!(chat.updated, msgs.last().expect("non-empty").created);
            if chat.unread {
                let last = chat.last_message();
                assert!(last.direction == Direction::In && !last.is_read);
            }
            for m in msgs {
                types.insert(m.kind);
                directions.insert(m.direction);
            }
        }
    }
    assert_eq!(types.len(), MessageType::ALL.len());
    assert_eq!(directions.len(), 2);
    assert_eq!(chat_types.len(), 2);
    rt.block_on(emu.shutdown());
}

#[tokio::test]
async fn a_large_account_starts_fast() {
    let big = AccountSpec {
        items: 5_000,
        chats: 5_000,
        messages_per_chat: 50,
        reviews: 5_000,
        ..AccountSpec::generated(1)
    };
    let t = Instant::now();
    let emu = AvitoEmulator::start(AvitoConfig {
        accounts: vec![big],
        ..cfg(1)
    })
    .await
    .expect("start");
    let took = t.elapsed();
    assert!(took < Duration::from_secs(2), "start took {took:?}");
    let c = Client1::new(&emu).await;
    let data = emu.data();
    let chat = &data.accounts()[0].chats[4_999];
    let v = c
        .get(
            &format!(
                "/messenger/v3/accounts/{}/chats/{}/messages/",
                c.user, chat.id
            ),
            &[],
        )
        .await;
    assert_eq!(
        v.as_array().map(Vec::len),
        Some(chat.message_count.min(100))
    );
    let tail = vec![("offset", "4990".to_owned()), ("limit", "50".to_owned())];
    let v = c.get("/ratings/v1/reviews", &tail).await;
    assert_eq!(v["total"], json!(5_000));
    assert_eq!(v["reviews"].as_array().map(Vec::len), Some(10));
    let oldest = v["reviews"][9]["createdAt"].as_i64().expect("createdAt");
    let avito_began = 1_167_609_600; // 2007-01-01
    assert!(oldest > avito_began, "{oldest}");
    emu.shutdown().await;
}

#[tokio::test]
async fn omitted_metrics_and_wrapped_messages() {
    let odd = AccountSpec {
        omit_metrics: vec!["views".into()],
        wrap_messages: true,
        ..AccountSpec::generated(1)
    };
    let emu = AvitoEmulator::start(AvitoConfig {
        accounts: vec![odd],
        ..cfg(3)
    })
    .await
    .expect("start");
    let c = Client1::new(&emu).await;
    let u = c.user;
    let v = c
        .post(
            &format!("/stats/v2/accounts/{u}/items"),
            &json!({"dateFrom": day(6), "dateTo": day(0), "grouping": "totals", "metrics": ["views", "contacts"], "limit": 10, "offset": 0}),
        )
        .await;
    let m = metric_map(&v["result"]["groupings"][0]);
    assert!(
        !m.contains_key("views"),
        "an unavailable metric is left out: {v}"
    );
    assert!(m.contains_key("contacts"));
    let data = emu.data();
    let chat = &data.accounts()[0].chats[0];
    let v = c
        .get(
            &format!("/messenger/v3/accounts/{u}/chats/{}/messages/", chat.id),
            &[],
        )
        .await;
    assert_eq!(
        v["messages"].as_array().map(Vec::len),
        Some(chat.message_count.min(100))
    );
    emu.shutdown().await;
}

/// Account 1's reviews show every case a client meets, account 2 is a new seller without a
/// rating, account 3 has its rating switched off, and account 1's rating is what its reviews
/// make.
#[tokio::test]
async fn reviews_cover_every_case_and_the_rating_adds_up() {
    let emu = AvitoEmulator::start(AvitoConfig {
        accounts: (1..=3).map(AccountSpec::generated).collect(),
        ..cfg(11)
    })
    .await
    .expect("start");
    let spec = load_spec();
    let http = Client::new();
    let base = emu.base_url();
    let data = emu.data();
    let mut infos = Vec::new();
    for n in 1..=3 {
        let t = token(&http, &base, &format!("client-{n}"), &format!("secret-{n}")).await;
        let r = send(
            &http,
            Method::GET,
            &format!("{base}/ratings/v1/info"),
            Some(&t),
            &[],
            None,
        )
        .await;
        assert_conforms(&spec, "getRatingsInfoV1", &r);
        infos.push(r.json());
    }
    assert_eq!(
        infos[1],
        json!({"isEnabled": true, "rating": null}),
        "a new seller"
    );
    assert_eq!(infos[2], json!({"isEnabled": false}), "switched off");
    let reviews = &data.accounts()[0].reviews;
    assert!((12..=16).contains(&reviews.len()), "{}", reviews.len());
    let used: Vec<i64> = reviews
        .iter()
        .filter(|r| r.used_in_score)
        .map(|r| r.score)
        .collect();
    let mean = used.iter().sum::<i64>() as f64 / used.len() as f64;
    let rating = &infos[0]["rating"];
    assert!(
        (rating["score"].as_f64().expect("score") - mean).abs() <= 0.05,
        "{rating} vs {mean}"
    );
    assert_eq!(rating["reviewsCount"], json!(reviews.len()));
    assert_eq!(rating["reviewsWithScoreCount"], json!(used.len()));

    let stages: HashSet<&str> = reviews.iter().map(|r| r.stage.as_str()).collect();
    assert_eq!(stages.len(), 4, "{stages:?}");
    let scores: HashSet<i64> = reviews.iter().map(|r| r.score).collect();
    assert_eq!(scores, (1..=5).collect());
    let statuses: HashSet<&str> = reviews
        .iter()
        .filter_map(|r| r.answer.as_ref())
        .map(|a| a.status.as_str())
        .collect();
    assert_eq!(statuses.len(), 3, "{statuses:?}");
    assert!(
        reviews
            .iter()
            .filter_map(|r| r.answer.as_ref())
            .all(|a| { a.reject_reasons.is_empty() == (a.status.as_str() != "rejected") })
    );
    assert!(reviews.iter().any(|r| !r.can_answer && r.answer.is_none()));
    assert!(reviews.iter().any(|r| r.item.is_none()));
    assert!(reviews.iter().any(|r| r.sender.is_none()));
    assert!(
        reviews
            .iter()
            .any(|r| r.score == 2 && r.can_answer && r.answer.is_none())
    );
    let cyrillic = |t: &str| t.chars().any(|c| ('а'..='я').contains(&c));
    assert!(reviews.iter().all(|r| cyrillic(&r.text)));
    // Newest first, and newer reviews have larger ids.
    assert!(
        reviews
            .windows(2)
            .all(|w| w[0].created_at >= w[1].created_at && w[0].id > w[1].id)
    );
    assert!(data.accounts()[1].reviews.iter().all(|r| !r.used_in_score));
    emu.shutdown().await;
}

/// Pages of reviews (at most 50) hold every review once, newest first, with `total`.
#[tokio::test]
async fn review_pages_return_every_review_once() {
    let emu = AvitoEmulator::start(AvitoConfig {
        accounts: vec![AccountSpec {
            reviews: 137,
            ..AccountSpec::generated(1)
        }],
        ..cfg(5)
    })
    .await
    .expect("start");
    let c = Client1::new(&emu).await;
    let spec = load_spec();
    let mut seen = Vec::new();
    for offset in (0..).step_by(50) {
        let query = vec![("offset", offset.to_string()), ("limit", "50".to_owned())];
        let r = send(
            &c.http,
            Method::GET,
            &format!("{}/ratings/v1/reviews", c.base),
            Some(&c.token),
            &query,
            None,
        )
        .await;
        assert_conforms(&spec, "getReviewsV1", &r);
        let page = r.json();
        assert_eq!(page["total"], json!(137));
        let batch: Vec<(i64, i64)> = page["reviews"]
            .as_array()
            .expect("reviews")
            .iter()
            .map(|v| {
                (
                    v["id"].as_i64().expect("id"),
                    v["createdAt"].as_i64().expect("createdAt"),
                )
            })
            .collect();
        let short = batch.len() < 50;
        seen.extend(batch);
        if short {
            break;
        }
    }
    assert_eq!(seen.len(), 137);
    assert_eq!(
        seen.iter().map(|(id, _)| id).collect::<HashSet<_>>().len(),
        137
    );
    assert!(seen.windows(2).all(|w| w[0].1 >= w[1].1), "newest first");
    let past = vec![("offset", "500".to_owned()), ("limit", "50".to_owned())];
    let v = c.get("/ratings/v1/reviews", &past).await;
    assert_eq!(v, json!({"total": 137, "reviews": []}));
    emu.shutdown().await;
}
