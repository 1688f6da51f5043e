//! "Listings to look at" end to end: a weekly report of the emulator's first account (built to
//! have a listing of every kind) is delivered by the worker with every group, each listing
//! named and linked; the account built to have none gets the section with nothing standing
//! out. On both engines.

mod common;

use avito_reports::db::entities::{report_run, report_task};
use avito_reports::domain::{RunStatus, TaskId};
use chrono::{Datelike, Duration, DurationRound, Utc};
use common::runs::bot_texts;
use common::{Engine, TEST_SECRET_KEY, Worker, seed};
use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator};
use sandbox::telegram::{TelegramConfig, TelegramEmulator};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

/// Makes the seeded daily task weekly on the slot's weekday (Moscow), so that its report covers
/// the 7 days before the slot.
async fn weekly(conn: &sea_orm::DatabaseConnection, task: TaskId, slot: chrono::DateTime<Utc>) {
    let weekday = slot
        .with_timezone(&chrono_tz::Europe::Moscow)
        .weekday()
        .num_days_from_monday();
    report_task::ActiveModel {
        id: Set(task),
        frequency: Set(avito_reports::domain::Stored::parse("weekly")),
        weekdays: Set(1 << weekday),
        ..Default::default()
    }
    .update(conn)
    .await
    .expect("weekly");
}

async fn sent_report(
    emu: &TelegramEmulator,
    conn: &sea_orm::DatabaseConnection,
    task: TaskId,
    chat: i64,
) -> String {
    common::eventually(
        "the weekly report is sent",
        common::BOT_WAIT * 2,
        || async {
            report_run::Entity::find()
                .filter(report_run::Column::TaskId.eq(task))
                .one(conn)
                .await
                .expect("query")
                .filter(|r| r.status == RunStatus::Sent)
        },
    )
    .await;
    bot_texts(emu, chat).join("\n")
}

async fn weekly_reports_show_the_listings_to_look_at(engine: Engine) {
    let Some((test_db, conn)) = common::seeded_db(engine).await else {
        return;
    };
    let emu = TelegramEmulator::start(TelegramConfig::without_limits())
        .await
        .expect("tg");
    let avito = AvitoEmulator::start(AvitoConfig {
        rate_window: common::TEST_AVITO_RATE_WINDOW,
        accounts: (1..=3).map(AccountSpec::generated).collect(),
        ..AvitoConfig::default()
    })
    .await
    .expect("avito");
    // On a whole minute: the schedule's previous slot is then a week before, not this one.
    let slot = Utc::now()
        .duration_trunc(Duration::minutes(1))
        .expect("trunc")
        - Duration::minutes(1);
    let troubled = emu.user(7101, "Troubled", Some("en"));
    troubled.send_text("/start");
    let (_, task) = seed(&conn, troubled.id(), 1, troubled.id(), slot).await;
    weekly(&conn, task.id, slot).await;
    let healthy = emu.user(7103, "Healthy", Some("en"));
    healthy.send_text("/start");
    let (_, healthy_task) = seed(&conn, healthy.id(), 3, healthy.id(), slot).await;
    weekly(&conn, healthy_task.id, slot).await;

    let worker = Worker::start_as(
        "worker",
        &emu,
        Some(&avito),
        &test_db,
        &[("SECRET_KEY", TEST_SECRET_KEY)],
    )
    .await;
    let text = sent_report(&emu, &conn, task.id, troubled.id()).await;
    let section = text
        .split("📋 Listings to look at")
        .nth(1)
        .unwrap_or_else(|| panic!("the section: {text}"));
    let groups = [
        "Views but no contacts (at least",
        "Costliest contacts (twice the account's",
        "Biggest drop in views",
        "Blocked or rejected",
    ];
    let mut at = Vec::new();
    for group in groups {
        let found = section
            .find(group)
            .unwrap_or_else(|| panic!("{group:?} in {section}"));
        at.push(found);
    }
    assert!(at.windows(2).all(|w| w[0] < w[1]), "in order: {section}");
    // Each group lists at least one listing, named and with its figure.
    for (i, group) in groups.iter().enumerate() {
        let end = at.get(i + 1).copied().unwrap_or(section.len());
        let lines: Vec<&str> = section[at[i]..end]
            .lines()
            .filter(|l| l.starts_with("• "))
            .collect();
        assert!(
            (1..=5).contains(&lines.len()),
            "{group}: {lines:#?} in {section}"
        );
        assert!(lines.iter().all(|l| l.contains(" — ")), "{lines:#?}");
    }
    assert!(section.contains("views, no contacts"), "{section}");
    assert!(section.contains("per contact"), "{section}");
    assert!(section.contains(" → "), "{section}");
    // Every listing line links its listing: the HTML as sent has one link per line.
    let raw: String = emu
        .chat_messages(troubled.id())
        .into_iter()
        .filter(|m| m.from_bot)
        .filter_map(|m| m.raw_text)
        .collect::<Vec<_>>()
        .join("\n");
    let listed = raw.lines().filter(|l| l.starts_with("• ")).count();
    let linked = raw
        .lines()
        .filter(|l| l.starts_with("• <a href=\"https://www.avito.ru/"))
        .count();
    assert!(listed >= 4 && linked == listed, "{raw}");

    let calm = sent_report(&emu, &conn, healthy_task.id, healthy.id()).await;
    assert!(
        calm.contains("📋 Listings to look at\nno listing stands out"),
        "the healthy account's section: {calm}"
    );
    let _ = worker.terminate().await;
    avito.shutdown().await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn weekly_reports_show_the_listings_to_look_at_on_sqlite() {
    weekly_reports_show_the_listings_to_look_at(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn weekly_reports_show_the_listings_to_look_at_on_postgres() {
    weekly_reports_show_the_listings_to_look_at(Engine::Postgres).await;
}

/// A person waiting never waits for the once-a-minute operation: with no recent answer the
/// section says it comes with the next report and nothing is asked; once a report asked for
/// the figures (a scheduled one, say), a report within the reuse time shows them from its
/// answers, asking nothing more.
#[tokio::test]
async fn report_now_uses_a_recent_answer_or_says_the_section_comes_next_time() {
    use avito_reports::avito::{AvitoClient, ClientConfig, Credentials};
    use avito_reports::domain::ProfileId;
    use avito_reports::i18n::Lang;
    use avito_reports::listings::fetch::Reuse;
    use avito_reports::report::model::ListingsSection;
    use avito_reports::report::render::{self, Markup};
    use avito_reports::report::{MetricSet, Period, PeriodKind, ProfileSource, ReportOptions};

    // Answers are reused for five windows: long enough here that a loaded machine still
    // reads the third report within them.
    let window = std::time::Duration::from_secs(2);
    let emu = AvitoEmulator::start(AvitoConfig {
        rate_window: window,
        ..AvitoConfig::default()
    })
    .await
    .expect("avito");
    let mut config = ClientConfig::new(emu.base_url().parse().expect("url"));
    config.rate_window = window;
    let client = AvitoClient::new(config).expect("client");
    let source = ProfileSource {
        profile_id: ProfileId(1),
        name: "Shop 1".into(),
        credentials: Credentials::new("client-1", "secret-1").expect("creds"),
        avito_user_id: None,
    };
    let tz = chrono_tz::Europe::Moscow;
    let now = emu
        .data()
        .today()
        .and_hms_opt(12, 0, 0)
        .expect("noon")
        .and_utc();
    let options = |listings| ReportOptions {
        period: Period::resolve(PeriodKind::Last7Days, tz, now),
        metrics: MetricSet::all(),
        tz,
        lang: Lang::En,
        deadline: Some(std::time::Duration::from_secs(20)),
        listings,
    };
    let report = |reuse| {
        let (client, source, options) = (&client, &source, options(reuse));
        async move {
            avito_reports::report::engine::profile_report(client, source, &options)
                .await
                .expect("report")
        }
    };

    let waiting = report(Reuse::RecentOnly).await;
    assert_eq!(waiting.listings, Some(ListingsSection::Later));
    let text = render::profile(&waiting, Lang::En, Markup::Text);
    assert!(text.contains("come with the next report"), "{text}");
    assert_eq!(
        emu.request_count("itemAnalytics"),
        1,
        "the report's own only"
    );

    let asked = report(Reuse::Ask).await;
    assert!(
        matches!(asked.listings, Some(ListingsSection::Ready(_))),
        "{:?}",
        asked.listings
    );
    let asked_for = emu.request_count("itemAnalytics");
    assert!(asked_for >= 3, "both periods asked for: {asked_for}");

    let reused = report(Reuse::RecentOnly).await;
    assert_eq!(reused.listings, asked.listings, "the same groups");
    assert_eq!(
        emu.request_count("itemAnalytics"),
        asked_for,
        "nothing asked again"
    );
    emu.shutdown().await;
}

/// The first whole minute at least `ahead` from now: a slot (schedules are on whole minutes).
fn minute_after(ahead: std::time::Duration) -> chrono::DateTime<Utc> {
    let at = Utc::now() + Duration::from_std(ahead).expect("ahead");
    at.duration_trunc(Duration::minutes(1)).expect("trunc") + Duration::minutes(1)
}

/// Moves the task to a weekly slot at `slot` (its weekday and time, Moscow): a new schedule
/// version, which the worker plans afresh.
async fn reschedule(conn: &sea_orm::DatabaseConnection, task: TaskId, slot: chrono::DateTime<Utc>) {
    use avito_reports::db::tasks::{self, ScheduleChange, Weekdays};
    let local = slot.with_timezone(&chrono_tz::Europe::Moscow);
    let day = 1 << local.weekday().num_days_from_monday();
    let time = local.format("%H:%M").to_string().parse().expect("time");
    for change in [
        ScheduleChange::Weekdays(Weekdays(day)),
        ScheduleChange::TimeOfDay(time),
    ] {
        let model = tasks::by_id(conn, task)
            .await
            .expect("task")
            .expect("there");
        tasks::change_schedule(conn, &model, change)
            .await
            .expect("change");
    }
}

/// Telegram, and Avito with one account of 3,500 listings (up to 4 pages a period, more
/// requests than the default lead's windows) at the tests' rate window.
async fn big_account_emulators() -> (TelegramEmulator, AvitoEmulator) {
    let emu = TelegramEmulator::start(TelegramConfig::without_limits())
        .await
        .expect("tg");
    let avito = AvitoEmulator::start(AvitoConfig {
        rate_window: common::TEST_AVITO_RATE_WINDOW,
        accounts: vec![AccountSpec {
            items: 3_500,
            listings: sandbox::avito::ListingShape::Troubled,
            ..AccountSpec::generated(1)
        }],
        ..AvitoConfig::default()
    })
    .await
    .expect("avito");
    (emu, avito)
}

/// An account of 3,500 listings takes up to 4 pages a period, 5 to 8 requests a window apart:
/// more than the default lead of 3 windows. Its first warm-up (the default lead) records the count; the
/// next slot is then warmed that far ahead, its answers are kept until the slot, and the
/// report at the slot shows the section having asked Avito for none of its pages (the only
/// itemAnalytics request of its own is the report's per-day one).
async fn a_big_account_is_warmed_as_far_ahead_as_its_pages_take(engine: Engine) {
    use avito_reports::db::{profiles, tasks};
    use avito_reports::domain::PeriodKind;
    use avito_reports::listings::lead;

    let Some((test_db, conn)) = common::seeded_db(engine).await else {
        return;
    };
    let (emu, avito) = big_account_emulators().await;
    let window = common::TEST_AVITO_RATE_WINDOW;
    // Beyond the default lead, so the first warm-up starts before the slot.
    let first = minute_after(window * (lead::DEFAULT_WINDOWS + 2));
    let seller = emu.user(7111, "Big", Some("en"));
    seller.send_text("/start");
    let (profile, task) = seed(&conn, seller.id(), 1, seller.id(), first).await;
    weekly(&conn, task.id, first).await;
    // Thirty days first, seven at the second slot: each slot's requests are its own (the
    // first's answers are kept past it).
    tasks::set_period(&conn, task.id, PeriodKind::Last30Days)
        .await
        .expect("period");
    let log = std::env::var("SHOW_WORKER_LOG").unwrap_or_else(|_| "info".into());
    let worker = Worker::start_as(
        "worker",
        &emu,
        Some(&avito),
        &test_db,
        &[("SECRET_KEY", TEST_SECRET_KEY), ("RUST_LOG", &log)],
    )
    .await;

    let wait = std::time::Duration::from_secs(150);
    let pages = common::eventually("the first warm-up records the pages", wait, || async {
        profiles::find(&conn, profile.id)
            .await
            .expect("profile")
            .and_then(|p| p.listing_pages)
    })
    .await;
    // Up to 4 pages of 1,000 listings a period (the periods before have fewer listings).
    assert!(
        (5..=8).contains(&pages),
        "more requests than the default lead's windows: {pages}"
    );
    let pages = u32::try_from(pages).expect("pages");
    let lead = lead::windows(Some(pages)).expect("within the longest lead");
    assert!(lead > lead::DEFAULT_WINDOWS, "{lead}");
    sent_report(&emu, &conn, task.id, seller.id()).await;
    let before = bot_texts(&emu, seller.id()).len();
    // The first slot's answers are gone by the second's warm-up: it asks afresh.
    let asked = avito.request_count("itemAnalytics");

    let second = minute_after(window * (lead + 2));
    tasks::set_period(&conn, task.id, PeriodKind::SinceLastSlot)
        .await
        .expect("period");
    reschedule(&conn, task.id, second).await;
    // The warm-up asks for every page before the slot (nothing else asks for them).
    let pages_n = usize::try_from(pages).expect("pages");
    let warmed = common::eventually("the warm-up asks for every page", wait, || async {
        (avito.request_count("itemAnalytics") >= asked + pages_n).then_some(Utc::now())
    })
    .await;
    assert!(
        warmed < second,
        "warmed at {warmed}, before the slot {second}"
    );
    let (at_slot, limited) = (
        avito.request_count("itemAnalytics"),
        avito.rate_limited_count(),
    );
    common::eventually("the second slot's report is sent", wait, || async {
        report_run::Entity::find()
            .filter(report_run::Column::TaskId.eq(task.id))
            .filter(report_run::Column::Status.eq(RunStatus::Sent))
            .all(&conn)
            .await
            .expect("runs")
            .into_iter()
            .find(|r| r.slot == Some(second))
    })
    .await;
    let text = bot_texts(&emu, seller.id())[before..].join("\n");
    let section = text
        .split("📋 Listings to look at")
        .nth(1)
        .unwrap_or_else(|| panic!("the section: {text}"));
    assert!(
        section.contains("Views but no contacts (at least"),
        "{section}"
    );
    assert!(!text.contains("next report"), "{text}");
    // Answered requests only: a request refused 429 (a busy machine's late arrival) and sent
    // again is one request.
    let refused = avito.rate_limited_count() - limited;
    if std::env::var("SHOW_WORKER_LOG").is_ok() {
        eprintln!("{}", worker.log());
    }
    assert_eq!(
        avito.request_count("itemAnalytics") - at_slot - refused,
        1,
        "the report's own per-day request only: every page read from the warm-up's answers"
    );
    let _ = worker.terminate().await;
    avito.shutdown().await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_big_account_is_warmed_as_far_ahead_as_its_pages_take_on_sqlite() {
    a_big_account_is_warmed_as_far_ahead_as_its_pages_take(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_big_account_is_warmed_as_far_ahead_as_its_pages_take_on_postgres() {
    a_big_account_is_warmed_as_far_ahead_as_its_pages_take(Engine::Postgres).await;
}

/// An account recorded past any lead is not warmed, only measured again before each slot
/// (the first page of each period: two requests), in case it shrank; once it has, its report
/// asks for the section again instead of saying it is left out.
async fn an_account_past_any_lead_is_measured_again(engine: Engine) {
    use avito_reports::db::profiles;
    use avito_reports::listings::lead;

    let Some((test_db, conn)) = common::seeded_db(engine).await else {
        return;
    };
    let (emu, avito) = big_account_emulators().await;
    let window = common::TEST_AVITO_RATE_WINDOW;
    let slot = minute_after(window * (lead::DEFAULT_WINDOWS + 2));
    let seller = emu.user(7112, "Shrunk", Some("en"));
    seller.send_text("/start");
    let (profile, task) = seed(&conn, seller.id(), 1, seller.id(), slot).await;
    weekly(&conn, task.id, slot).await;
    profiles::record_listing_pages(&conn, profile.id, 500)
        .await
        .expect("pages");
    let worker = Worker::start_as(
        "worker",
        &emu,
        Some(&avito),
        &test_db,
        &[("SECRET_KEY", TEST_SECRET_KEY)],
    )
    .await;
    let wait = std::time::Duration::from_secs(120);
    let pages = common::eventually("the account is measured again", wait, || async {
        profiles::find(&conn, profile.id)
            .await
            .expect("profile")
            .and_then(|p| p.listing_pages)
            .filter(|p| *p != 500)
    })
    .await;
    assert!((5..=8).contains(&pages), "{pages}");
    assert!(Utc::now() < slot, "measured before the slot");
    assert_eq!(
        avito.request_count("itemAnalytics") - avito.rate_limited_count(),
        2,
        "the first page of each period only"
    );
    let text = sent_report(&emu, &conn, task.id, seller.id()).await;
    assert!(!text.contains("left out"), "{text}");
    let _ = worker.terminate().await;
    avito.shutdown().await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_past_any_lead_is_measured_again_on_sqlite() {
    an_account_past_any_lead_is_measured_again(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_past_any_lead_is_measured_again_on_postgres() {
    an_account_past_any_lead_is_measured_again(Engine::Postgres).await;
}
