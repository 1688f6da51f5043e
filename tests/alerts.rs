//! Alerts end to end: a seller turns an alert on in the hub, the account changes in the Avito
//! emulator, the alert arrives once, reminds only when due, says "back to normal" once — across
//! a restart, on both engines. Workers run with every rule checked each second
//! (`ALERT_CHECK_SPEEDUP`: the wallet each second) and their clock at noon in Moscow (outside the default quiet hours).

mod common;

use std::time::Duration;

use chrono::{NaiveTime, TimeZone};
use common::{Engine, Shift, Worker, press, say};
use sandbox::avito::{AvitoEmulator, Direction, NewMessage};
use sandbox::telegram::TelegramEmulator;

const LOW: &str = "the wallet is low";
const BACK: &str = "back to normal";

fn bot_count(emu: &TelegramEmulator, chat: i64, needle: &str) -> usize {
    emu.chat_messages(chat)
        .iter()
        .filter(|m| m.from_bot && m.text_or_caption().contains(needle))
        .count()
}

/// Today at 12:00 in Moscow (the tests' noon, whatever the real hour).
fn moscow_noon() -> Shift {
    moscow_at(12, 0, 0)
}

const ENV: [(&str, &str); 1] = [("ALERT_CHECK_SPEEDUP", "600")];

/// Opens the profile's alerts screen from /profiles and presses `presses` there; returns the
/// hub message.
async fn on_alerts_screen(
    emu: &TelegramEmulator,
    worker: &Worker,
    user: &sandbox::telegram::SimUser,
    id: avito_reports::domain::ProfileId,
    presses: &[&str],
) -> i32 {
    let hub = say(emu, worker, user, "/profiles", "Your Avito profiles")
        .await
        .message_id;
    let mut all = vec![format!("profile_view:{id}"), format!("alerts:{id}")];
    all.extend(presses.iter().map(|p| p.replace("{id}", &id.to_string())));
    for data in all {
        let answer = press(worker, user, user.id(), hub, &data).await;
        assert!(
            !answer.show_alert,
            "{data}: {answer:?}; worker log:\n{}",
            worker.log()
        );
    }
    hub
}

/// Today at `h:m` in Moscow.
fn moscow_at(h: u32, m: u32, days_ahead: i64) -> Shift {
    let moscow = chrono_tz::Europe::Moscow;
    let day =
        chrono::Utc::now().with_timezone(&moscow).date_naive() + chrono::Duration::days(days_ahead);
    let at = moscow
        .from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(h, m, 0).expect("time")))
        .single()
        .expect("Moscow has no DST");
    Shift::to(at.to_utc())
}

/// Waits until `op` has been asked `n` more times than `before`.
async fn checks_ran(avito: &AvitoEmulator, op: &str, before: usize, n: usize) {
    common::eventually(
        &format!("{n} more {op} checks"),
        Duration::from_secs(40),
        || async { (avito.request_count(op) >= before + n).then_some(()) },
    )
    .await;
}

async fn low_wallet_fires_once_and_recovers_across_a_restart(engine: Engine) {
    let shift = moscow_noon();
    let Some((test_db, emu, avito, worker)) =
        common::start_shifted_stack(engine, &shift, &ENV).await
    else {
        return;
    };
    let ann = emu.user(7001, "Ann", Some("en"));
    let id = common::add_profile(&emu, &worker, &test_db.url, &ann, "Ann's shop", 1).await;
    let account = sandbox::avito::AccountSpec::generated(1).user_id;
    avito.set_wallet_balance(account, 450.0).expect("wallet");

    // Nothing is watched until the seller turns the alert on.
    let hub = on_alerts_screen(&emu, &worker, &ann, id, &["alert_toggle:{id}:wallet_low"]).await;
    let screen = emu
        .chat_messages(ann.id())
        .into_iter()
        .rfind(|m| m.message_id == hub)
        .expect("the hub message");
    assert!(
        screen.text_or_caption().contains("✅ Wallet below 1,000"),
        "the default threshold, in words: {}",
        screen.text_or_caption()
    );

    let alert = common::bot_message_within(&emu, &worker, ann.id(), 0, LOW, common::BOT_WAIT).await;
    assert!(
        alert.text_or_caption().contains("Ann's shop") && alert.text_or_caption().contains("450"),
        "{alert:?}"
    );
    // Many checks later (one a second), still one notice: reminders wait 24 hours.
    common::eventually("a few more checks ran", Duration::from_secs(30), || async {
        (avito.request_count("getUserBalance") >= 6).then_some(())
    })
    .await;
    assert_eq!(bot_count(&emu, ann.id(), LOW), 1, "fired once");

    // The card shows what is open.
    let answer = press(&worker, &ann, ann.id(), hub, &format!("profile_view:{id}")).await;
    assert!(!answer.show_alert);
    common::eventually(
        "the card lists the open alert",
        common::BOT_WAIT,
        || async {
            emu.chat_messages(ann.id())
                .into_iter()
                .rfind(|m| m.message_id == hub)
                .filter(|m| m.text_or_caption().contains("Open alerts: wallet balance"))
        },
    )
    .await;

    // A restart remembers the open episode: no second alert.
    let status = worker.terminate().await;
    assert!(status.success());
    let (var, offset) = shift.var();
    let env = [ENV[0], (var, offset.as_str())];
    let worker = Worker::start(&emu, Some(&avito), &test_db, &env).await;
    let before = avito.request_count("getUserBalance");
    common::eventually(
        "checks go on after the restart",
        Duration::from_secs(30),
        || async { (avito.request_count("getUserBalance") >= before + 3).then_some(()) },
    )
    .await;
    assert_eq!(
        bot_count(&emu, ann.id(), LOW),
        1,
        "no repeat after a restart"
    );

    // Topped up: back to normal, once.
    avito.set_wallet_balance(account, 5_000.0).expect("wallet");
    common::bot_message_within(&emu, &worker, ann.id(), 0, BACK, common::BOT_WAIT).await;
    let before = avito.request_count("getUserBalance");
    common::eventually("a few more checks ran", Duration::from_secs(30), || async {
        (avito.request_count("getUserBalance") >= before + 3).then_some(())
    })
    .await;
    assert_eq!(bot_count(&emu, ann.id(), BACK), 1, "recovered once");
    assert_eq!(bot_count(&emu, ann.id(), LOW), 1);
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn low_wallet_fires_once_and_recovers_across_a_restart_on_sqlite() {
    low_wallet_fires_once_and_recovers_across_a_restart(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn low_wallet_fires_once_and_recovers_across_a_restart_on_postgres() {
    low_wallet_fires_once_and_recovers_across_a_restart(Engine::Postgres).await;
}

/// Avito failing is not an alert: the balance cannot be read, nothing fires, and the operator
/// hears once (de-duplicated), not per check.
async fn avito_failing_raises_no_false_alert(engine: Engine) {
    let shift = moscow_noon();
    let admin_env = [ENV[0], ("ADMIN_CHAT_ID", "7099")];
    let Some((test_db, emu, avito, worker)) =
        common::start_shifted_stack(engine, &shift, &admin_env).await
    else {
        return;
    };
    let admin = emu.user(7099, "Admin", Some("en"));
    admin.send_text("/start");
    let bob = emu.user(7002, "Bob", Some("en"));
    let id = common::add_profile(&emu, &worker, &test_db.url, &bob, "Bob's shop", 2).await;
    avito.set_fault("getUserBalance", sandbox::avito::Fault::Status(503));
    on_alerts_screen(&emu, &worker, &bob, id, &["alert_toggle:{id}:wallet_low"]).await;
    common::bot_message_within(
        &emu,
        &worker,
        admin.id(),
        0,
        "cannot reach Avito",
        common::BOT_WAIT,
    )
    .await;
    common::eventually("several checks failed", Duration::from_secs(40), || async {
        (avito.request_count("getUserBalance") >= 8).then_some(())
    })
    .await;
    assert_eq!(bot_count(&emu, bob.id(), LOW), 0, "no false alert");
    assert_eq!(bot_count(&emu, bob.id(), BACK), 0);
    assert_eq!(
        bot_count(&emu, admin.id(), "cannot reach Avito"),
        1,
        "the operator hears once"
    );
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn avito_failing_raises_no_false_alert_on_sqlite() {
    avito_failing_raises_no_false_alert(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn avito_failing_raises_no_false_alert_on_postgres() {
    avito_failing_raises_no_false_alert(Engine::Postgres).await;
}

/// CPA balance, spending, unanswered chats and missed calls: each fires once, reminds when due
/// (every hour = 6 s at this speed-up) and says "back to normal" once when it ends.
async fn each_rule_fires_reminds_and_recovers(engine: Engine) {
    let shift = moscow_noon();
    let Some((test_db, emu, avito, worker)) =
        common::start_shifted_stack(engine, &shift, &ENV).await
    else {
        return;
    };
    let cat = emu.user(7003, "Cat", Some("en"));
    let id = common::add_profile(&emu, &worker, &test_db.url, &cat, "Cat's shop", 1).await;
    let account = sandbox::avito::AccountSpec::generated(1).user_id;
    let now = shift.now().timestamp();
    avito.set_cpa_balance(account, 100.0).expect("cpa");
    avito
        .add_spending(account, 250_000.0, now - 600)
        .expect("spending");
    let chat = avito
        .add_message(
            account,
            NewMessage {
                chat_id: None,
                direction: Direction::In,
                text: "Is it still for sale?".into(),
                created: now - 40 * 60,
            },
        )
        .expect("message");
    on_alerts_screen(
        &emu,
        &worker,
        &cat,
        id,
        &[
            "alert_remind:{id}",
            "alert_toggle:{id}:cpa_low",
            "alert_toggle:{id}:spend_spike",
            "alert_toggle:{id}:unanswered_chats",
            "alert_toggle:{id}:missed_calls",
        ],
    )
    .await;

    let me = cat.id();
    let wait = |needle: &'static str| {
        common::bot_message_within(&emu, &worker, me, 0, needle, common::BOT_WAIT)
    };
    wait("the CPA balance is low").await;
    wait("spending today is").await;
    let waiting = wait("waiting for an answer").await;
    assert!(
        waiting.text_or_caption().contains("open the chat"),
        "{waiting:?}"
    );
    // Reminders come when due (an hour, sped up), never a second first notice.
    wait("still: the CPA balance is low").await;
    wait("still: spending today").await;
    let fired = "🔔 Cat's shop:";
    assert_eq!(
        bot_count(&emu, me, fired),
        3,
        "three alerts fired, once each"
    );

    // Missed calls are events: each new one is told.
    let before = avito.request_count("postCallsStats");
    checks_ran(&avito, "postCallsStats", before, 2).await;
    let told = bot_count(&emu, me, "new missed call");
    avito
        .add_missed_call(account, None, shift.avito_today())
        .expect("call");
    common::eventually("the missed call is told", common::BOT_WAIT, || async {
        (bot_count(&emu, me, "1 new missed call") >= 1
            && bot_count(&emu, me, "new missed call") == told + 1)
            .then_some(())
    })
    .await;

    // Back to normal, each once.
    avito.set_cpa_balance(account, 10_000.0).expect("cpa");
    avito
        .add_spending(account, -250_000.0, shift.now().timestamp() - 60)
        .expect("refund");
    avito
        .add_message(
            account,
            NewMessage {
                chat_id: Some(chat),
                direction: Direction::Out,
                text: "Yes".into(),
                created: shift.now().timestamp(),
            },
        )
        .expect("answer");
    wait("back to normal — CPA balance").await;
    wait("back to normal — spending").await;
    wait("back to normal — unanswered chats").await;
    let before = avito.request_count("getChatsV2");
    checks_ran(&avito, "getChatsV2", before, 3).await;
    assert_eq!(
        bot_count(&emu, me, "back to normal"),
        3,
        "each recovered once"
    );
    assert_eq!(bot_count(&emu, me, fired), 3);
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn each_rule_fires_reminds_and_recovers_on_sqlite() {
    each_rule_fires_reminds_and_recovers(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn each_rule_fires_reminds_and_recovers_on_postgres() {
    each_rule_fires_reminds_and_recovers(Engine::Postgres).await;
}

/// An alert starting in quiet hours (22:00–08:00 by default) waits for them to end: nothing at
/// 23:30, the alert at 08:00 — still once, across the restart in between.
async fn quiet_hours_hold_an_alert(engine: Engine) {
    let night = moscow_at(23, 30, 0);
    let Some((test_db, emu, avito, worker)) =
        common::start_shifted_stack(engine, &night, &ENV).await
    else {
        return;
    };
    let dan = emu.user(7004, "Dan", Some("en"));
    let id = common::add_profile(&emu, &worker, &test_db.url, &dan, "Dan's shop", 1).await;
    let account = sandbox::avito::AccountSpec::generated(1).user_id;
    avito.set_wallet_balance(account, 450.0).expect("wallet");
    on_alerts_screen(&emu, &worker, &dan, id, &["alert_toggle:{id}:wallet_low"]).await;
    let before = avito.request_count("getUserBalance");
    checks_ran(&avito, "getUserBalance", before, 4).await;
    assert_eq!(bot_count(&emu, dan.id(), LOW), 0, "held in quiet hours");

    let status = worker.terminate().await;
    assert!(status.success());
    let morning = moscow_at(8, 0, 1);
    let (var, offset) = morning.var();
    let env = [ENV[0], (var, offset.as_str())];
    let worker = Worker::start(&emu, Some(&avito), &test_db, &env).await;
    common::bot_message_within(&emu, &worker, dan.id(), 0, LOW, common::BOT_WAIT).await;
    let before = avito.request_count("getUserBalance");
    checks_ran(&avito, "getUserBalance", before, 3).await;
    assert_eq!(
        bot_count(&emu, dan.id(), LOW),
        1,
        "told once, when quiet hours ended"
    );
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn quiet_hours_hold_an_alert_on_sqlite() {
    quiet_hours_hold_an_alert(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn quiet_hours_hold_an_alert_on_postgres() {
    quiet_hours_hold_an_alert(Engine::Postgres).await;
}

/// Demand is checked once a day; sped up so that a "day" passes each second, a drop of
/// yesterday's views and contacts in the emulator fires, and their return recovers.
async fn demand_drop_fires_and_recovers(engine: Engine) {
    let shift = moscow_noon();
    let env = [("ALERT_CHECK_SPEEDUP", "86400")];
    let Some((test_db, emu, avito, worker)) =
        common::start_shifted_stack(engine, &shift, &env).await
    else {
        return;
    };
    let eve = emu.user(7006, "Eve", Some("en"));
    let id = common::add_profile(&emu, &worker, &test_db.url, &eve, "Eve's shop", 1).await;
    let account = sandbox::avito::AccountSpec::generated(1).user_id;
    let yesterday = shift
        .now()
        .with_timezone(&chrono_tz::Europe::Moscow)
        .date_naive()
        - chrono::Duration::days(1);
    avito.set_demand(account, yesterday, 20).expect("demand");
    on_alerts_screen(&emu, &worker, &eve, id, &["alert_toggle:{id}:demand_drop"]).await;

    let alert =
        common::bot_message_within(&emu, &worker, eve.id(), 0, "demand fell", common::BOT_WAIT)
            .await;
    let text = alert.text_or_caption();
    assert!(
        text.starts_with("🔔") && text.contains("views") && text.contains("contacts"),
        "both metrics fell: {text}"
    );
    avito.set_demand(account, yesterday, 100).expect("demand");
    common::bot_message_within(
        &emu,
        &worker,
        eve.id(),
        alert.message_id,
        "back to normal — demand",
        common::BOT_WAIT,
    )
    .await;
    let said: Vec<String> = emu
        .chat_messages(eve.id())
        .iter()
        .filter(|m| m.from_bot)
        .map(|m| m.text_or_caption().to_owned())
        .collect();
    let fired = said
        .iter()
        .filter(|t| t.starts_with("🔔 Eve's shop:"))
        .count();
    assert_eq!(
        fired, 1,
        "one alert for the episode, reminders aside: {said:#?}"
    );
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn demand_drop_fires_and_recovers_on_sqlite() {
    demand_drop_fires_and_recovers(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn demand_drop_fires_and_recovers_on_postgres() {
    demand_drop_fires_and_recovers(Engine::Postgres).await;
}

/// Two workers share the checks: one alert per episode, one "back to normal", watched longer
/// than the claim lease.
async fn two_workers_send_one_alert_per_episode(engine: Engine) {
    let shift = moscow_noon();
    let Some((test_db, emu, avito, worker)) =
        common::start_shifted_stack(engine, &shift, &ENV).await
    else {
        return;
    };
    let (var, offset) = shift.var();
    let env = [ENV[0], (var, offset.as_str())];
    // Jobs only: one process polls Telegram, as Telegram allows.
    let second = Worker::start_as("worker", &emu, Some(&avito), &test_db, &env).await;
    let eve = emu.user(7005, "Eve", Some("en"));
    let id = common::add_profile(&emu, &worker, &test_db.url, &eve, "Eve's shop", 1).await;
    let account = sandbox::avito::AccountSpec::generated(1).user_id;
    avito.set_wallet_balance(account, 450.0).expect("wallet");
    on_alerts_screen(&emu, &worker, &eve, id, &["alert_toggle:{id}:wallet_low"]).await;
    common::bot_message_within(&emu, &worker, eve.id(), 0, LOW, common::BOT_WAIT).await;
    common::watch_for_duplicates().await;
    assert_eq!(
        bot_count(&emu, eve.id(), LOW),
        1,
        "one alert from two workers"
    );
    avito.set_wallet_balance(account, 5_000.0).expect("wallet");
    common::bot_message_within(&emu, &worker, eve.id(), 0, BACK, common::BOT_WAIT).await;
    common::watch_for_duplicates().await;
    assert_eq!(
        bot_count(&emu, eve.id(), BACK),
        1,
        "one recovery from two workers"
    );
    assert!(second.terminate().await.success());
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_send_one_alert_per_episode_on_sqlite() {
    two_workers_send_one_alert_per_episode(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_send_one_alert_per_episode_on_postgres() {
    two_workers_send_one_alert_per_episode(Engine::Postgres).await;
}

/// Asks Avito no more for `op` over a few check intervals.
async fn no_more_checks(avito: &AvitoEmulator, op: &str) {
    // One check may be under way when the change lands.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let settled = avito.request_count(op);
    // Four intervals of the wallet rule at this speed-up.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(avito.request_count(op), settled, "{op} still checked");
}

/// A rule switched off, then the profile deleted: its checks stop.
async fn switched_off_or_deleted_stops_checks(engine: Engine) {
    let shift = moscow_noon();
    let Some((test_db, emu, avito, worker)) =
        common::start_shifted_stack(engine, &shift, &ENV).await
    else {
        return;
    };
    let fay = emu.user(7006, "Fay", Some("en"));
    let id = common::add_profile(&emu, &worker, &test_db.url, &fay, "Fay's shop", 1).await;
    let hub = on_alerts_screen(&emu, &worker, &fay, id, &["alert_toggle:{id}:wallet_low"]).await;
    checks_ran(&avito, "getUserBalance", 0, 3).await;
    let toggle = format!("alert_toggle:{id}:wallet_low");
    assert!(
        !press(&worker, &fay, fay.id(), hub, &toggle)
            .await
            .show_alert
    );
    no_more_checks(&avito, "getUserBalance").await;

    assert!(
        !press(&worker, &fay, fay.id(), hub, &toggle)
            .await
            .show_alert
    );
    let before = avito.request_count("getUserBalance");
    checks_ran(&avito, "getUserBalance", before, 2).await;
    for data in [
        format!("profile_view:{id}"),
        format!("profile_delete:{id}"),
        format!("profile_delete_confirm:{id}"),
    ] {
        assert!(!press(&worker, &fay, fay.id(), hub, &data).await.show_alert);
    }
    no_more_checks(&avito, "getUserBalance").await;
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn switched_off_or_deleted_stops_checks_on_sqlite() {
    switched_off_or_deleted_stops_checks(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn switched_off_or_deleted_stops_checks_on_postgres() {
    switched_off_or_deleted_stops_checks(Engine::Postgres).await;
}

/// An alert notice Telegram stored and answered 502 for: it comes again only after the 🔁
/// line, never as an unmarked copy.
async fn an_unconfirmed_notice_is_repeated_only_marked(engine: Engine) {
    let shift = moscow_noon();
    let Some((test_db, emu, avito, worker)) =
        common::start_shifted_stack(engine, &shift, &ENV).await
    else {
        return;
    };
    let eve = emu.user(7301, "Eve", Some("en"));
    let id = common::add_profile(&emu, &worker, &test_db.url, &eve, "Eve's shop", 1).await;
    on_alerts_screen(&emu, &worker, &eve, id, &["alert_toggle:{id}:wallet_low"]).await;
    // The next message the bot sends is the alert: Telegram keeps it and answers 502.
    emu.inject("sendMessage", [sandbox::telegram::Fault::StoredThen(502)]);
    let account = sandbox::avito::AccountSpec::generated(1).user_id;
    avito.set_wallet_balance(account, 450.0).expect("wallet");
    common::eventually(
        "the alert and its marked copy",
        common::BOT_WAIT,
        || async { (bot_count(&emu, eve.id(), LOW) >= 2).then_some(()) },
    )
    .await;
    common::watch_for_duplicates().await;
    let shown: Vec<String> = emu
        .chat_messages(eve.id())
        .iter()
        .filter(|m| m.from_bot)
        .map(|m| m.text_or_caption().to_owned())
        .skip_while(|t| !t.contains(LOW))
        .collect();
    assert_eq!(shown.len(), 3, "alert, 🔁, alert: {shown:#?}");
    assert!(shown[1].starts_with("🔁"), "{shown:#?}");
    assert!(shown[2].contains(LOW), "{shown:#?}");
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unconfirmed_notice_is_repeated_only_marked_on_sqlite() {
    an_unconfirmed_notice_is_repeated_only_marked(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unconfirmed_notice_is_repeated_only_marked_on_postgres() {
    an_unconfirmed_notice_is_repeated_only_marked(Engine::Postgres).await;
}
