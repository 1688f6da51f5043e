//! The Avito client against the Avito emulator over real HTTP: tokens, paging, batching,
//! pacing, retries and typed errors — and every request it sends passes the emulator's
//! OpenAPI validation.

use std::collections::HashSet;
use std::time::Duration;

use avito_reports::avito::model::ItemStatus;
use avito_reports::avito::plausible::Checked;
use avito_reports::avito::query::{
    AnalyticsQuery, DateRange, Grouping, SpendingsQuery, TimeGrouping,
};
use avito_reports::avito::ratings::AnswerStatus;
use avito_reports::avito::{
    Account, AvitoClient, AvitoError, ChatsQuery, ClientConfig, Credentials, RetryPolicy,
};
use avito_reports::domain::AccountId;
use avito_reports::retry::Backoff;
use chrono::Duration as Days;
use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator, Fault};

const RATE_WINDOW: Duration = Duration::from_millis(700);

struct Setup {
    emu: AvitoEmulator,
    client: AvitoClient,
}

impl Setup {
    async fn new(accounts: Vec<AccountSpec>) -> Self {
        Self::with(accounts, |_| {}).await
    }

    async fn with(accounts: Vec<AccountSpec>, tune: impl FnOnce(&mut ClientConfig)) -> Self {
        let emu = AvitoEmulator::start(AvitoConfig {
            accounts,
            rate_window: RATE_WINDOW,
            ..AvitoConfig::default()
        })
        .await
        .expect("emulator");
        let mut config = ClientConfig::new(emu.base_url().parse().expect("url"));
        config.rate_window = RATE_WINDOW;
        let quick = Backoff::new(3, Duration::from_millis(10), Duration::from_millis(50));
        config.retry = RetryPolicy {
            transient: quick,
            rate_limit_waits: 3,
            request_timeout: Duration::from_secs(5),
        };
        config.token_retry = quick;
        tune(&mut config);
        let client = AvitoClient::new(config).expect("client");
        Self { emu, client }
    }

    fn account(&self, n: u32) -> Account {
        self.client.account(
            Credentials::new(&format!("client-{n}"), &format!("secret-{n}")).expect("creds"),
        )
    }

    fn user_id(&self, n: u32) -> AccountId {
        AccountId(1_000_000 + i64::from(n))
    }

    fn today(&self) -> chrono::NaiveDate {
        self.emu.data().today()
    }

    /// Every request the client sent was one the OpenAPI document accepts.
    fn assert_spec_clean(&self) {
        let failures = self.emu.validation_failures();
        assert!(
            failures.is_empty(),
            "requests the spec rejects: {failures:#?}"
        );
    }
}

fn small(n: u32) -> AccountSpec {
    AccountSpec {
        items: 30,
        chats: 20,
        messages_per_chat: 5,
        ..AccountSpec::generated(n)
    }
}

#[tokio::test]
async fn self_info_names_the_account_and_a_hundred_calls_use_one_token() {
    let s = Setup::new(vec![small(1)]).await;
    let account = s.account(1);
    let me = account.self_info().await.expect("self");
    assert_eq!(me.id, Some(s.user_id(1)));
    assert!(me.name.is_some());
    for _ in 0..99 {
        account.wallet_balance(s.user_id(1)).await.expect("balance");
    }
    assert_eq!(s.emu.token_requests(), 1);
    assert_eq!(s.emu.request_count("getUserBalance"), 99);
    s.assert_spec_clean();
}

#[tokio::test]
async fn wrong_credentials_are_a_typed_error() {
    let s = Setup::new(vec![small(1)]).await;
    let wrong = s
        .client
        .account(Credentials::new("client-1", "not-the-secret").expect("creds"));
    let err = wrong.self_info().await.expect_err("refused");
    assert!(matches!(err, AvitoError::InvalidCredentials), "{err:?}");
    let unknown = s
        .client
        .account(Credentials::new("nobody", "nothing").expect("creds"));
    assert!(matches!(
        unknown.self_info().await,
        Err(AvitoError::InvalidCredentials)
    ));
}

#[tokio::test]
async fn a_token_that_expires_mid_run_is_refreshed_once() {
    let s = Setup::new(vec![small(1)]).await;
    let account = s.account(1);
    let id = account.account_id().await.expect("self");
    s.emu.expire_tokens();
    account
        .wallet_balance(id)
        .await
        .expect("refreshed and retried");
    account.wallet_balance(id).await.expect("new token works");
    assert_eq!(s.emu.token_requests(), 2);
    s.assert_spec_clean();
}

#[tokio::test]
async fn twenty_concurrent_callers_trigger_one_refresh() {
    let s = Setup::new(vec![small(1)]).await;
    let account = s.account(1);
    let id = account.account_id().await.expect("self");
    s.emu.expire_tokens();
    let calls = (0..20).map(|_| {
        let account = account.clone();
        tokio::spawn(async move { account.wallet_balance(id).await })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.expect("join").expect("balance");
    }
    assert_eq!(s.emu.token_requests(), 2, "one initial token, one refresh");
}

#[tokio::test]
async fn a_401_leads_to_exactly_one_refresh_and_a_retry() {
    let s = Setup::new(vec![small(1)]).await;
    let account = s.account(1);
    let id = account.account_id().await.expect("self");
    s.emu.set_fault(
        "getUserBalance",
        Fault::Times(1, Box::new(Fault::Status(401))),
    );
    account
        .wallet_balance(id)
        .await
        .expect("retried after refresh");
    assert_eq!(s.emu.token_requests(), 2);
    assert_eq!(s.emu.request_count("getUserBalance"), 2);

    // A token that keeps being refused after the refresh is an error, not a loop.
    s.emu.set_fault("getUserBalance", Fault::Status(403));
    let err = account.wallet_balance(id).await.expect_err("refused");
    assert!(matches!(err, AvitoError::Forbidden { .. }), "{err:?}");
    assert_eq!(
        s.emu.token_requests(),
        3,
        "one refresh per refusal, no more"
    );
}

#[tokio::test]
async fn a_429_is_waited_out_and_the_call_succeeds() {
    let s = Setup::new(vec![small(1)]).await;
    let account = s.account(1);
    s.emu.set_fault(
        "getItemsInfo",
        Fault::Times(1, Box::new(Fault::RateLimited)),
    );
    let started = std::time::Instant::now();
    let items = account
        .items(&[ItemStatus::Active])
        .await
        .expect("items after the wait");
    assert!(!items.is_empty());
    assert!(
        started.elapsed() >= RATE_WINDOW / 2,
        "the client waited for the rate window"
    );
    s.assert_spec_clean();
}

#[tokio::test]
async fn one_per_minute_operations_are_paced_so_the_client_causes_no_429() {
    let s = Setup::new(vec![small(1)]).await;
    let account = s.account(1);
    let id = s.user_id(1);
    let today = s.today();
    // Three different ranges: no reuse, so three requests in three windows.
    let started = std::time::Instant::now();
    for back in 1..=3 {
        let day = today - Days::days(back);
        let query = AnalyticsQuery {
            range: DateRange::unchecked(day, day),
            metrics: vec!["views".into()],
            grouping: Grouping::Totals,
            category_ids: vec![],
        };
        account.analytics(id, &query).await.expect("analytics");
    }
    // Exactly three requests: a 429 would have shown up as a retried fourth.
    assert_eq!(s.emu.request_count("itemAnalytics"), 3);
    assert!(
        started.elapsed() >= RATE_WINDOW * 2,
        "the client spaced them"
    );
    s.assert_spec_clean();
}

#[tokio::test]
async fn identical_one_per_minute_requests_are_made_once() {
    let s = Setup::new(vec![small(1)]).await;
    let account = s.account(1);
    let id = s.user_id(1);
    let yesterday = s.today() - Days::days(1);
    let query = SpendingsQuery {
        range: DateRange::unchecked(yesterday - Days::days(6), yesterday),
        spending_types: vec!["all".into()],
        grouping: TimeGrouping::Day,
    };
    let (a, b) = tokio::join!(account.spendings(id, &query), account.spendings(id, &query));
    assert_eq!(a.expect("first"), b.expect("second"));
    account.spendings(id, &query).await.expect("reused");
    assert_eq!(s.emu.request_count("accountSpendings"), 1);
    s.assert_spec_clean();
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_as_unavailable() {
    let s = Setup::new(vec![small(1)]).await;
    let account = s.account(1);
    let id = s.user_id(1);
    s.emu.set_fault(
        "getUserBalance",
        Fault::Times(2, Box::new(Fault::Status(503))),
    );
    account
        .wallet_balance(id)
        .await
        .expect("third attempt succeeds");
    assert_eq!(s.emu.request_count("getUserBalance"), 3);

    s.emu.set_fault("getUserBalance", Fault::Status(500));
    let err = account.wallet_balance(id).await.expect_err("persistent");
    match err {
        AvitoError::Unavailable { attempts, .. } => assert_eq!(attempts, 3),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_hanging_server_times_out_into_a_typed_error() {
    let s = Setup::with(vec![small(1)], |c| {
        c.retry.request_timeout = Duration::from_millis(300);
    })
    .await;
    let account = s.account(1);
    account.self_info().await.expect("token first");
    s.emu.set_fault("getUserBalance", Fault::Timeout);
    let err = account
        .wallet_balance(s.user_id(1))
        .await
        .expect_err("times out");
    assert!(matches!(err, AvitoError::Unavailable { .. }), "{err:?}");
    assert!(err.to_string().contains("no answer within"), "{err}");
}

#[tokio::test]
async fn a_malformed_body_is_a_typed_error_not_a_panic() {
    let s = Setup::new(vec![small(1)]).await;
    let account = s.account(1);
    s.emu.set_fault("getUserInfoSelf", Fault::MalformedBody);
    let err = account.self_info().await.expect_err("malformed");
    match err {
        AvitoError::Unexpected {
            operation, status, ..
        } => {
            assert_eq!(operation.id(), "getUserInfoSelf");
            assert_eq!(status, 200);
        }
        other => panic!("expected Unexpected, got {other:?}"),
    }
}

#[tokio::test]
async fn items_paging_returns_every_item_once() {
    // 250 is not a multiple of the page size (99).
    let s = Setup::new(vec![AccountSpec {
        items: 250,
        ..small(1)
    }])
    .await;
    let all = [
        ItemStatus::Active,
        ItemStatus::Removed,
        ItemStatus::Old,
        ItemStatus::Blocked,
        ItemStatus::Rejected,
    ];
    let items = s.account(1).items(&all).await.expect("items");
    let ids: HashSet<i64> = items.iter().map(|i| i.id).collect();
    let expected: HashSet<i64> = s.emu.data().accounts()[0]
        .items
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(ids.len(), items.len(), "no duplicates");
    assert_eq!(ids, expected);
    s.assert_spec_clean();
}

#[tokio::test]
async fn stats_for_450_items_go_in_three_batches() {
    let s = Setup::new(vec![AccountSpec {
        items: 450,
        ..small(1)
    }])
    .await;
    let account = s.account(1);
    let ids: Vec<i64> = s.emu.data().accounts()[0]
        .items
        .iter()
        .map(|i| i.id)
        .collect();
    let day = s.today() - Days::days(1);
    let stats = account
        .item_stats(
            s.user_id(1),
            &ids,
            DateRange::unchecked(day - Days::days(6), day),
            TimeGrouping::Day,
        )
        .await
        .expect("stats");
    assert_eq!(s.emu.request_count("itemStatsShallow"), 3);
    let returned: HashSet<i64> = stats.iter().map(|s| s.item_id).collect();
    assert!(returned.len() <= 450 && !returned.is_empty());
    assert!(returned.iter().all(|id| ids.contains(id)));
    s.assert_spec_clean();
}

#[tokio::test]
async fn chats_and_messages_paging_reach_everything_up_to_the_offset_ceiling() {
    let s = Setup::new(vec![AccountSpec {
        chats: 1_250,
        messages_per_chat: 3,
        ..small(1)
    }])
    .await;
    let account = s.account(1);
    let id = s.user_id(1);
    let page = account
        .chats(
            id,
            &ChatsQuery {
                chat_types: vec![
                    avito_reports::avito::model::ChatType::U2i,
                    avito_reports::avito::model::ChatType::U2u,
                ],
                ..ChatsQuery::default()
            },
        )
        .await
        .expect("chats");
    // Offsets stop at 1000: 11 pages of 100, and the client says it stopped short.
    assert_eq!(page.items.len(), 1_100);
    assert!(page.truncated);
    let unique: HashSet<&str> = page.items.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(unique.len(), 1_100);

    let data = s.emu.data();
    let chat = &data.accounts()[0].chats[0];
    let messages = account.messages(id, &chat.id).await.expect("messages");
    assert_eq!(messages.items.len(), chat.message_count);
    assert!(!messages.truncated);
    let one = account.chat(id, &chat.id).await.expect("chat");
    assert_eq!(one.id, chat.id);
    s.assert_spec_clean();
}

#[tokio::test]
async fn messages_are_read_whether_bare_or_wrapped() {
    let s = Setup::new(vec![AccountSpec {
        wrap_messages: true,
        ..small(1)
    }])
    .await;
    let data = s.emu.data();
    let chat = &data.accounts()[0].chats[0];
    let messages = s
        .account(1)
        .messages(s.user_id(1), &chat.id)
        .await
        .expect("wrapped messages");
    assert_eq!(messages.items.len(), chat.message_count);
}

#[tokio::test]
async fn every_operation_returns_typed_data_and_every_request_fits_the_spec() {
    let s = Setup::new(vec![small(1)]).await;
    let account = s.account(1);
    let id = account.account_id().await.expect("self");
    let yesterday = s.today() - Days::days(1);
    let week = DateRange::unchecked(yesterday - Days::days(6), yesterday);

    let balance = account.wallet_balance(id).await.expect("balance");
    assert!(balance.real.is_some_and(|r| r >= 0.0));
    account.cpa_balance().await.expect("cpa balance");
    let items = account.items(&[ItemStatus::Active]).await.expect("items");
    let first = items.first().expect("an item");
    account.item_info(id, first.id).await.expect("item info");
    let analytics = account
        .analytics(
            id,
            &AnalyticsQuery {
                range: week,
                metrics: vec!["views".into(), "contacts".into(), "allSpending".into()],
                grouping: Grouping::Day,
                category_ids: vec![],
            },
        )
        .await
        .expect("analytics");
    assert_eq!(analytics.groups.len(), 7, "one group per day");
    assert!(analytics.groups.iter().all(|g| g.metric("views").is_some()));
    account
        .spendings(
            id,
            &SpendingsQuery {
                range: week,
                spending_types: vec!["all".into()],
                grouping: TimeGrouping::Day,
            },
        )
        .await
        .expect("spendings");
    account.calls_stats(id, week, &[]).await.expect("calls");
    let from = (yesterday - Days::days(20))
        .and_hms_opt(0, 0, 0)
        .expect("time");
    let to = yesterday.and_hms_opt(0, 0, 0).expect("time");
    account
        .operations_history(from, to)
        .await
        .expect("operations history in week windows");
    assert_eq!(s.emu.request_count("postOperationsHistory"), 3);
    s.assert_spec_clean();
}

#[tokio::test]
async fn a_metric_the_account_cannot_see_is_none() {
    let s = Setup::new(vec![AccountSpec {
        omit_metrics: vec!["contacts".into()],
        ..small(1)
    }])
    .await;
    let day = s.today() - Days::days(1);
    let analytics = s
        .account(1)
        .analytics(
            s.user_id(1),
            &AnalyticsQuery {
                range: DateRange::unchecked(day, day),
                metrics: vec!["views".into(), "contacts".into()],
                grouping: Grouping::Totals,
                category_ids: vec![],
            },
        )
        .await
        .expect("analytics");
    let totals = analytics.groups.first().expect("totals");
    assert!(totals.metric("views").is_some());
    assert_eq!(totals.metric("contacts"), None);
}

#[tokio::test]
async fn ranges_the_api_would_refuse_are_refused_before_sending_with_the_reason() {
    let s = Setup::new(vec![small(1)]).await;
    let account = s.account(1);
    let today = s.today();
    let query = AnalyticsQuery {
        range: DateRange::unchecked(today - Days::days(300), today - Days::days(1)),
        metrics: vec!["views".into()],
        grouping: Grouping::Totals,
        category_ids: vec![],
    };
    let err = account
        .analytics(s.user_id(1), &query)
        .await
        .expect_err("too far back");
    assert!(matches!(err, AvitoError::InvalidRequest(_)), "{err:?}");
    assert!(err.to_string().contains("270 days"), "{err}");
    let backwards = DateRange::unchecked(today - Days::days(1), today - Days::days(5));
    let err = account
        .item_stats(s.user_id(1), &[1], backwards, TimeGrouping::Day)
        .await
        .expect_err("start after end");
    assert!(err.to_string().contains("after the end date"), "{err}");
    assert_eq!(s.emu.request_count("itemAnalytics"), 0);
    assert_eq!(s.emu.request_count("itemStatsShallow"), 0);
}

// ---- ratings and reviews ----

/// The newest answerable 2★ review of account `n` without an answer.
fn two_star_review(s: &Setup, n: u32) -> i64 {
    s.emu
        .reviews(s.user_id(n).0)
        .iter()
        .find(|r| r.score == 2 && r.can_answer && r.answer.is_none())
        .expect("a 2★ review waiting for an answer")
        .id
}

#[tokio::test]
async fn the_rating_reads_for_a_rated_a_new_and_a_switched_off_seller() {
    let s = Setup::new((1..=3).map(small).collect()).await;
    let rated = s.account(1).rating_info().await.expect("rating");
    let expected = s
        .emu
        .rating(s.user_id(1).0)
        .and_then(|r| r.rating)
        .expect("rated");
    assert_eq!(rated.enabled, Some(true));
    let rating = rated.rating.expect("a rating");
    assert_eq!(
        rating.checked_score(),
        Checked::Plausible(expected.score),
        "{rating:?}"
    );
    assert_eq!(
        rating.checked_reviews_count(),
        Checked::Plausible(expected.reviews_count)
    );
    let new = s.account(2).rating_info().await.expect("new seller");
    assert_eq!((new.enabled, new.rating), (Some(true), None));
    let off = s.account(3).rating_info().await.expect("switched off");
    assert_eq!((off.enabled, off.rating), (Some(false), None));

    // What Avito should never say is flagged, not shown (a fresh client: the answer above is
    // reused for a while).
    s.emu
        .set_rating(
            s.user_id(1).0,
            sandbox::avito::data::RatingInfo {
                enabled: true,
                rating: Some(sandbox::avito::data::Rating {
                    score: 7.5,
                    reviews_count: -3,
                    reviews_with_score_count: 2,
                }),
            },
        )
        .expect("set");
    let client = AvitoClient::new(ClientConfig::new(s.emu.base_url().parse().expect("url")))
        .expect("client");
    let odd = client
        .account(Credentials::new("client-1", "secret-1").expect("creds"))
        .rating_info()
        .await
        .expect("rating")
        .rating
        .expect("figures");
    assert_eq!(odd.checked_score(), Checked::Implausible(7.5));
    assert_eq!(odd.checked_reviews_count(), Checked::Implausible(-3));
    assert_eq!(
        odd.checked_reviews_with_score_count(),
        Checked::Plausible(2)
    );
    s.assert_spec_clean();
}

#[tokio::test]
async fn paging_reaches_every_review_once_and_pages_are_reused_briefly() {
    let s = Setup::new(vec![AccountSpec {
        reviews: 137,
        ..small(1)
    }])
    .await;
    let account = s.account(1);
    let all = account.all_reviews().await.expect("reviews");
    let expected: Vec<i64> = s.emu.reviews(s.user_id(1).0).iter().map(|r| r.id).collect();
    assert_eq!(all.iter().map(|r| r.id).collect::<Vec<_>>(), expected);
    assert_eq!(s.emu.request_count("getReviewsV1"), 3, "50 + 50 + 37");
    let now = chrono::Utc::now();
    assert!(all.iter().all(|r| r.checked_score().plausible().is_some()
        && r.checked_created_at(now).plausible().is_some()));
    assert!(all.iter().any(|r| r.item.is_none()) && all.iter().any(|r| r.sender_name.is_none()));
    assert!(
        all.iter()
            .filter_map(|r| r.answer.as_ref())
            .any(|a| a.status == AnswerStatus::Rejected && !a.reject_reasons.is_empty())
    );

    // Read again at once: the same pages come from the client's memory.
    let page = account.reviews_page(0, 50).await.expect("page");
    assert_eq!(page.total, Some(137));
    assert_eq!(page.reviews.len(), 50);
    assert_eq!(s.emu.request_count("getReviewsV1"), 3);
    // After half a window they are asked for again.
    tokio::time::sleep(RATE_WINDOW / 2 + Duration::from_millis(50)).await;
    account.reviews_page(0, 50).await.expect("page");
    assert_eq!(s.emu.request_count("getReviewsV1"), 4);

    // A page size the API refuses is refused before sending.
    for limit in [0, 51] {
        let err = account.reviews_page(0, limit).await.expect_err("refused");
        assert!(matches!(err, AvitoError::InvalidRequest(_)), "{err:?}");
    }
    assert_eq!(s.emu.request_count("getReviewsV1"), 4);
    s.assert_spec_clean();
}

#[tokio::test]
async fn a_review_is_answered_once_and_the_next_read_shows_the_answer() {
    let s = Setup::new(vec![small(1)]).await;
    let account = s.account(1);
    let review = two_star_review(&s, 1);
    // Cached before the answer: the answer must not leave a stale page behind.
    let before = account.reviews_page(0, 50).await.expect("page");
    assert!(
        before
            .reviews
            .iter()
            .any(|r| r.id == review && r.can_answer)
    );

    let created = account
        .create_review_answer(review, "Жаль, что так вышло. Напишите нам — всё решим.")
        .await
        .expect("answered");
    assert!(
        created.id.is_some() && created.created_at.is_some(),
        "{created:?}"
    );
    assert_eq!(s.emu.answer_requests(review), 1);
    assert_eq!(s.emu.request_count("createReviewAnswerV1"), 1);
    let after = account.reviews_page(0, 50).await.expect("page");
    let answered = after
        .reviews
        .iter()
        .find(|r| r.id == review)
        .expect("the review");
    assert!(!answered.can_answer);
    let answer = answered.answer.as_ref().expect("the answer");
    assert_eq!(answer.status, AnswerStatus::Moderation);
    assert_eq!(answer.id, created.id);

    // Answered already: 403, a typed refusal; a review that does not exist: 404.
    let err = account
        .create_review_answer(review, "Ещё раз")
        .await
        .expect_err("answered already");
    assert!(matches!(err, AvitoError::Forbidden { .. }), "{err:?}");
    let err = account
        .create_review_answer(1, "Спасибо")
        .await
        .expect_err("no such review");
    assert!(
        matches!(err, AvitoError::Rejected { status: 404, .. }),
        "{err:?}"
    );
    // Nothing to send is not sent.
    let err = account
        .create_review_answer(review, "  ")
        .await
        .expect_err("empty");
    assert!(matches!(err, AvitoError::InvalidRequest(_)), "{err:?}");
    s.assert_spec_clean();
}

#[tokio::test]
async fn an_answer_whose_reply_is_a_502_is_not_resent_and_its_outcome_is_unknown() {
    let s = Setup::new(vec![small(1)]).await;
    let account = s.account(1);
    let review = two_star_review(&s, 1);
    account.rating_info().await.expect("a token first");
    s.emu.set_fault(
        "createReviewAnswerV1",
        Fault::Accepted(Box::new(Fault::Status(502))),
    );
    let err = account
        .create_review_answer(review, "Спасибо за отзыв")
        .await
        .expect_err("502");
    assert!(matches!(err, AvitoError::OutcomeUnknown { .. }), "{err:?}");
    assert!(!err.is_transient(), "not to be retried blindly");
    assert_eq!(s.emu.answer_requests(review), 1, "sent once");
    assert_eq!(s.emu.request_count("createReviewAnswerV1"), 1);
    // Reading the review tells what happened: Avito took it.
    s.emu.clear_faults();
    let page = account.reviews_page(0, 50).await.expect("page");
    let read = page
        .reviews
        .iter()
        .find(|r| r.id == review)
        .expect("review");
    assert_eq!(
        read.answer.as_ref().map(|a| a.text.as_str()),
        Some("Спасибо за отзыв")
    );

    // A 5xx before anything was stored is just as unknown to the client, and not resent.
    let other = s
        .emu
        .reviews(s.user_id(1).0)
        .iter()
        .find(|r| r.can_answer && r.id != review)
        .expect("another open review")
        .id;
    s.emu.set_fault("createReviewAnswerV1", Fault::Status(503));
    let err = account
        .create_review_answer(other, "Спасибо")
        .await
        .expect_err("503");
    assert!(matches!(err, AvitoError::OutcomeUnknown { .. }), "{err:?}");
    assert_eq!(s.emu.request_count("createReviewAnswerV1"), 2);
    assert!(
        s.emu
            .review(s.user_id(1).0, other)
            .is_some_and(|r| r.answer.is_none())
    );
    s.assert_spec_clean();
}

#[tokio::test]
async fn an_answer_whose_reply_never_comes_is_not_resent_and_its_outcome_is_unknown() {
    let s = Setup::with(vec![small(1)], |c| {
        c.retry.request_timeout = Duration::from_millis(500);
    })
    .await;
    let account = s.account(1);
    let review = two_star_review(&s, 1);
    account.rating_info().await.expect("a token first");
    s.emu.set_fault(
        "createReviewAnswerV1",
        Fault::Accepted(Box::new(Fault::Timeout)),
    );
    let err = account
        .create_review_answer(review, "Спасибо за отзыв")
        .await
        .expect_err("no reply");
    assert!(matches!(err, AvitoError::OutcomeUnknown { .. }), "{err:?}");
    assert!(err.to_string().contains("no answer within"), "{err}");
    assert_eq!(s.emu.answer_requests(review), 1, "sent once");
    assert_eq!(s.emu.request_count("createReviewAnswerV1"), 1);
    assert!(
        s.emu
            .review(s.user_id(1).0, review)
            .and_then(|r| r.answer)
            .is_some_and(|a| a.text == "Спасибо за отзыв")
    );
}

#[tokio::test]
async fn an_expired_token_on_an_answer_is_refreshed_and_the_answer_goes_once() {
    let s = Setup::new(vec![small(1)]).await;
    let account = s.account(1);
    let review = two_star_review(&s, 1);
    account.rating_info().await.expect("a token first");
    s.emu.expire_tokens();
    account
        .create_review_answer(review, "Спасибо")
        .await
        .expect("refused with the old token (not taken), then sent with a new one");
    assert_eq!(s.emu.token_requests(), 2);
    assert_eq!(s.emu.answer_requests(review), 2);
    let stored = s.emu.review(s.user_id(1).0, review).expect("review");
    assert_eq!(stored.answer.map(|a| a.text), Some("Спасибо".to_owned()));
}
