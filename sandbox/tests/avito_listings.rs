//! Per-listing figures (`itemAnalytics` grouped by item): the troubled account (`client-1`) has
//! listings of every kind a seller should look at, the healthy one (`client-3`) none; sorting
//! and paging follow the request; a listing's status changes live.

mod avito_support;

use std::collections::{BTreeMap, HashSet};

use avito_support::{assert_conforms, load_spec, send, token};
use chrono::NaiveDate;
use reqwest::{Client, Method};
use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator};
use serde_json::{Value, json};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 15).expect("date")
}

fn day(back: i64) -> String {
    (today() - chrono::Duration::days(back))
        .format("%Y-%m-%d")
        .to_string()
}

struct Seller {
    http: Client,
    base: String,
    token: String,
    user: i64,
}

/// One listing's figures of a period.
#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    views: f64,
    contacts: f64,
    cost: f64,
}

impl Seller {
    async fn new(emu: &AvitoEmulator, n: u32) -> Seller {
        let http = Client::new();
        let base = emu.base_url();
        let token = token(&http, &base, &format!("client-{n}"), &format!("secret-{n}")).await;
        Seller {
            http,
            base,
            token,
            user: AccountSpec::generated(n).user_id,
        }
    }

    async fn analytics(&self, body: &Value) -> (u16, Value) {
        let path = format!("/stats/v2/accounts/{}/items", self.user);
        let r = send(
            &self.http,
            Method::POST,
            &format!("{}{path}", self.base),
            Some(&self.token),
            &[],
            Some(body),
        )
        .await;
        if r.status == 200 {
            assert_conforms(&load_spec(), "itemAnalytics", &r);
        }
        (
            r.status,
            serde_json::from_str(&r.text).unwrap_or(Value::Null),
        )
    }

    /// Every listing of `[from, to]` (days back), 70 a page sorted by views, descending.
    async fn listings(&self, from: i64, to: i64) -> BTreeMap<i64, Figures> {
        let mut out = BTreeMap::new();
        let mut offset = 0;
        let mut last_views = f64::INFINITY;
        loop {
            let body = json!({"dateFrom": day(from), "dateTo": day(to), "grouping": "item",
                "metrics": ["views", "contacts", "averageContactCost"], "limit": 70,
                "offset": offset, "sort": {"key": "views", "order": "desc"}});
            let (status, page) = self.analytics(&body).await;
            assert_eq!(status, 200, "{page}");
            let groups = page["result"]["groupings"].as_array().expect("groupings");
            for g in groups {
                let metric = |slug: &str| {
                    g["metrics"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|m| m["slug"] == json!(slug))
                        .and_then(|m| m["value"].as_f64())
                        .unwrap_or(0.0)
                };
                let f = Figures {
                    views: metric("views"),
                    contacts: metric("contacts"),
                    cost: metric("averageContactCost"),
                };
                assert!(f.views <= last_views, "sorted by views, descending");
                last_views = f.views;
                let id = g["id"].as_i64().expect("id");
                assert!(out.insert(id, f).is_none(), "listing {id} served twice");
            }
            offset += groups.len();
            let total = page["result"]["dataTotalCount"].as_u64().expect("count") as usize;
            if groups.len() < 70 {
                assert_eq!(offset, total, "every listing once");
                return out;
            }
        }
    }

    async fn with_status(&self, status: &str) -> HashSet<i64> {
        let r = send(
            &self.http,
            Method::GET,
            &format!("{}/core/v1/items", self.base),
            Some(&self.token),
            &[("per_page", "100".into()), ("status", status.into())],
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|it| it["id"].as_i64())
            .collect()
    }
}

/// The kinds of listing to look at, counted by the plain rules of issue 27 (the app's ranking
/// is tested on its own): views ≥ 20 and no contact; a contact at twice the account's price or
/// more; views fallen by half or more from at least 20; blocked or rejected.
async fn kinds(s: &Seller) -> [usize; 4] {
    let now = s.listings(7, 1).await;
    let before = s.listings(14, 8).await;
    let silent = now
        .values()
        .filter(|f| f.views >= 20.0 && f.contacts == 0.0)
        .count();
    let (paid, contacts) = now.values().fold((0.0, 0.0), |(p, c), f| {
        (p + f.cost * f.contacts, c + f.contacts)
    });
    let account = paid / contacts;
    let costly = now
        .values()
        .filter(|f| f.contacts > 0.0 && f.cost >= 2.0 * account)
        .count();
    let fallen = now
        .iter()
        .filter(|(id, f)| {
            before
                .get(id)
                .is_some_and(|b| b.views >= 20.0 && f.views * 2.0 <= b.views)
        })
        .count();
    let blocked = s.with_status("blocked,rejected").await.len();
    [silent, costly, fallen, blocked]
}

async fn start() -> AvitoEmulator {
    AvitoEmulator::start(AvitoConfig {
        seed: 7,
        today: Some(today()),
        enforce_rate_limits: false,
        accounts: (1..=3).map(AccountSpec::generated).collect(),
        ..AvitoConfig::default()
    })
    .await
    .expect("start emulator")
}

#[tokio::test]
async fn the_troubled_account_has_every_kind_of_listing_and_the_healthy_one_none() {
    let emu = start().await;
    let troubled = kinds(&Seller::new(&emu, 1).await).await;
    assert!(troubled.iter().all(|&n| n > 0), "client-1: {troubled:?}");
    let healthy = kinds(&Seller::new(&emu, 3).await).await;
    assert_eq!(healthy, [0, 0, 0, 0], "client-3");
    emu.shutdown().await;
}

#[tokio::test]
async fn sorting_and_paging_follow_the_request_and_the_spec() {
    let emu = start().await;
    let s = Seller::new(&emu, 1).await;
    let body = |sort: Value, limit: Value, offset: Value| {
        json!({"dateFrom": day(7), "dateTo": day(1), "grouping": "item", "metrics": ["contacts"],
               "limit": limit, "offset": offset, "sort": sort})
    };
    let ids = |page: &Value| -> Vec<i64> {
        page["result"]["groupings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| g["id"].as_i64())
            .collect()
    };
    let asc = json!({"key": "contacts", "order": "asc"});
    let (_, all) = s.analytics(&body(asc.clone(), json!(1000), json!(0))).await;
    let (_, page) = s.analytics(&body(asc.clone(), json!(10), json!(20))).await;
    assert_eq!(ids(&page), ids(&all)[20..30]);
    let (_, desc) = s
        .analytics(&body(
            json!({"key": "contacts", "order": "desc"}),
            json!(1000),
            json!(0),
        ))
        .await;
    let first = |p: &Value| p["result"]["groupings"][0]["metrics"][0]["value"].as_f64();
    assert!(
        first(&desc) > first(&all),
        "desc starts with the most contacts"
    );
    for refused in [
        body(json!({"key": "contacts"}), json!(10), json!(0)),
        body(json!({"key": "likes", "order": "asc"}), json!(10), json!(0)),
        body(asc.clone(), json!(1001), json!(0)),
        body(asc, json!(10), json!(-1)),
    ] {
        let (status, answer) = s.analytics(&refused).await;
        assert_eq!(status, 400, "{refused} → {answer}");
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn a_listing_is_blocked_live() {
    let emu = start().await;
    let s = Seller::new(&emu, 3).await;
    let item = *s
        .with_status("active")
        .await
        .iter()
        .min()
        .expect("a listing");
    let control = |body: Value| {
        let (http, base) = (s.http.clone(), s.base.clone());
        async move {
            let r = http
                .post(format!("{base}/_control/item_status"))
                .json(&body)
                .send()
                .await
                .expect("control");
            (r.status().as_u16(), r.text().await.unwrap_or_default())
        }
    };
    let user = s.user;
    let (status, _) = control(json!({"user_id": user, "item_id": item, "status": "blocked"})).await;
    assert_eq!(status, 200);
    assert_eq!(s.with_status("blocked").await, HashSet::from([item]));
    assert!(!s.with_status("active").await.contains(&item));
    let r = send(
        &s.http,
        Method::GET,
        &format!("{}/core/v1/accounts/{user}/items/{item}/", s.base),
        Some(&s.token),
        &[],
        None,
    )
    .await;
    assert_eq!(r.json()["status"], json!("blocked"));
    for (body, names) in [
        (
            json!({"user_id": user, "item_id": item, "status": "sold"}),
            "sold",
        ),
        (
            json!({"user_id": user, "item_id": 1, "status": "blocked"}),
            "item 1",
        ),
        (json!({"user_id": user, "status": "blocked"}), "item_id"),
    ] {
        let (status, text) = control(body).await;
        assert_eq!(status, 400);
        assert!(text.contains(names), "{names} not in {text}");
    }
    emu.shutdown().await;
}
