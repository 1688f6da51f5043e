//! The "📋 Listings" screen of the profile card (issue 27 item 2), black-box on each engine:
//! an emulator account of 200 listings paged through ten at a time in the order of views,
//! then in the order of contacts, within Avito's once-a-minute statistics budget; Avito
//! failing shows a "Try again" button.

mod common;

use std::time::Duration;

use common::{Engine, Worker, button_data, message, press, say};
use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator, Fault, ListingShape};
use sandbox::telegram::{SimUser, TelegramEmulator};

/// The emulator's and the worker's rate window: the client reuses a statistics answer for
/// five windows, so the walk through 20 pages fits well within the reuse even on a busy
/// machine (the tests' usual 2 s window would make that 10 s).
const WINDOW_SEC: u64 = 10;
const LISTINGS: usize = 200;

/// One listing's line of the screen: its views and contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Line {
    views: u64,
    contacts: u64,
}

/// The number after `mark` up to the next " · " (group separators dropped).
fn figure(text: &str, mark: &str) -> u64 {
    let rest = &text[text.find(mark).expect("mark") + mark.len()..];
    let field = rest.split(" · ").next().unwrap_or_default();
    let digits: String = field.chars().filter(char::is_ascii_digit).collect();
    digits.parse().expect("a number")
}

fn lines(text: &str) -> Vec<Line> {
    text.lines()
        .filter(|l| l.trim_start().starts_with("👁 "))
        .map(|l| Line {
            views: figure(l, "👁 "),
            contacts: figure(l, "💬 "),
        })
        .collect()
}

/// Presses `data` on the hub and waits for the screen that says `needle`.
async fn open(
    emu: &TelegramEmulator,
    worker: &Worker,
    user: &SimUser,
    hub: i32,
    data: &str,
    needle: &str,
) -> sandbox::telegram::SeenMessage {
    // The press is answered at once ("Reading…"), the screen follows.
    let answer = press(worker, user, user.id(), hub, data).await;
    assert!(!answer.show_alert, "{data}: unexpected alert {answer:?}");
    common::eventually(needle, Duration::from_secs(60), || async {
        let m = message(emu, user.id(), hub);
        m.text
            .as_deref()
            .is_some_and(|t| t.contains(needle))
            .then_some(m)
    })
    .await
}

async fn two_hundred_listings_are_paged_through(engine: Engine) {
    let Some(db) = common::TestDatabase::fresh(engine).await else {
        return;
    };
    let emu = TelegramEmulator::start(sandbox::telegram::TelegramConfig::without_limits())
        .await
        .expect("telegram emulator");
    let avito = AvitoEmulator::start(AvitoConfig {
        accounts: vec![AccountSpec {
            items: LISTINGS,
            // Every listing active all week: each of the 200 has the week's figures.
            listings: ListingShape::Healthy,
            ..AccountSpec::generated(1)
        }],
        rate_window: Duration::from_secs(WINDOW_SEC),
        ..AvitoConfig::default()
    })
    .await
    .expect("Avito emulator");
    let window = WINDOW_SEC.to_string();
    let worker = Worker::start(
        &emu,
        Some(&avito),
        &db,
        &[("AVITO_RATE_WINDOW_SEC", window.as_str())],
    )
    .await;
    let ann = emu.user(7201, "Ann", Some("en"));
    common::add_profile(&emu, &worker, &db.url, &ann, "Big shop", 1).await;
    let hub = say(&emu, &worker, &ann, "/profiles", "Your Avito profiles")
        .await
        .message_id;
    let list = message(&emu, ann.id(), hub);
    let card_data = button_data(&list, "Big shop");
    press(&worker, &ann, ann.id(), hub, &card_data).await;
    let card = common::eventually("the card", Duration::from_secs(30), || async {
        let m = message(&emu, ann.id(), hub);
        m.button("📋 Listings").is_some().then_some(m)
    })
    .await;
    let before = avito.request_count("itemAnalytics");

    // By views: 20 full pages in one descending order, the last without ▶.
    let mut data = button_data(&card, "📋 Listings");
    let mut seen: Vec<Line> = Vec::new();
    for page in 1..=LISTINGS / 10 {
        let needle = format!("by views, page {page}\n");
        let screen = open(&emu, &worker, &ann, hub, &data, &needle).await;
        let text = screen.text.clone().unwrap_or_default();
        let shown = lines(&text);
        assert_eq!(shown.len(), 10, "page {page}:\n{text}");
        seen.extend(shown);
        let next = screen.button("Next ▶️");
        if page == LISTINGS / 10 {
            assert!(next.is_none(), "the last page has no ▶:\n{text}");
        } else {
            data = button_data(&screen, "Next ▶️");
        }
    }
    assert_eq!(seen.len(), LISTINGS);
    assert!(
        seen.windows(2).all(|w| w[0].views >= w[1].views),
        "descending views: {seen:?}"
    );
    assert!(
        seen.iter().any(|l| l.views != seen[0].views),
        "the views differ"
    );

    // By contacts: another order, one more statistics request.
    let last = message(&emu, ann.id(), hub);
    let by_contacts = button_data(&last, "💬 Contacts");
    let screen = open(
        &emu,
        &worker,
        &ann,
        hub,
        &by_contacts,
        "by contacts, page 1\n",
    )
    .await;
    let text = screen.text.clone().unwrap_or_default();
    let shown = lines(&text);
    assert_eq!(shown.len(), 10, "{text}");
    assert!(shown.windows(2).all(|w| w[0].contacts >= w[1].contacts));
    assert_ne!(shown, seen[..10], "sorting by contacts changes the order");
    assert!(
        screen.button("✅ 💬 Contacts").is_some(),
        "the order is marked"
    );

    // One request per order: the pages reuse the client's answer.
    let spent = avito.request_count("itemAnalytics") - before;
    assert!(spent <= 3, "{spent} itemAnalytics requests for the walk");

    // Avito failing (here the listing of blocked ones): the screen says so, and "Try again"
    // reads the page once it answers.
    avito.set_fault("getItemsInfo", Fault::Status(503));
    let next = button_data(&screen, "Next ▶️");
    let failed = open(&emu, &worker, &ann, hub, &next, "Avito is not answering").await;
    avito.clear_faults();
    let again = button_data(&failed, "Try again");
    open(&emu, &worker, &ann, hub, &again, "by contacts, page 2\n").await;
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_listings_are_paged_through_on_sqlite() {
    two_hundred_listings_are_paged_through(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_listings_are_paged_through_on_postgres() {
    two_hundred_listings_are_paged_through(Engine::Postgres).await;
}
