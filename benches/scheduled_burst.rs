//! 1,000 report tasks due in the same minute, delivered by one `worker` process through the
//! Telegram emulator with its flood limits on (30 messages/s overall): time from the slot to
//! the last delivery against the bound Telegram's rate sets, duplicates, and 429s received.
//!
//! Run: `cargo bench --bench scheduled_burst` (`-- --tasks 300` for a quicker run,
//! `-- --postgres` to use the PostgreSQL server instead of a SQLite file, `-- --rate N` to give
//! the worker `TELEGRAM_MESSAGES_PER_SEC=N` instead of its default).

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use avito_reports::crypto::SecretBox;
use avito_reports::crypto::SecretKey;
use avito_reports::db::{self, entities::report_task};
use chrono::Utc;
use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator};
use sandbox::telegram::{TelegramConfig, TelegramEmulator};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};

use support::KEY;
const OVERALL_PER_SEC: f64 = 30.0;

// Two threads: the emulators must not be what holds the worker back or bunches its requests.
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let tasks: u32 = args
        .iter()
        .skip_while(|a| *a != "--tasks")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let postgres = args.iter().any(|a| a == "--postgres");
    let rate: Option<String> = args.iter().skip_while(|a| *a != "--rate").nth(1).cloned();

    let dir = tempfile::tempdir()?;
    let database = support::BenchDatabase::create(dir.path(), postgres).await?;
    let url = database.url.clone();
    let conn = db::connect(&avito_reports::db::DatabaseUrl::parse(&url)?).await?;
    db::migrate(&conn).await?;

    let telegram = TelegramEmulator::start(TelegramConfig::default()).await?;
    let avito = AvitoEmulator::start(AvitoConfig {
        accounts: (1..=tasks)
            .map(|n| AccountSpec {
                items: 5,
                ..AccountSpec::generated(n)
            })
            .collect(),
        rate_window: Duration::from_secs(2),
        ..AvitoConfig::default()
    })
    .await?;

    // The slot: the next whole minute at least 25 s away, so seeding finishes before it.
    let (slot, time) = support::next_slot(Utc::now())?;
    let secrets = SecretBox::new(&SecretKey::parse(KEY).map_err(anyhow::Error::msg)?);
    let seeding = Instant::now();
    for n in 1..=tasks {
        let user_id = 100_000 + i64::from(n);
        telegram
            .user(user_id, "Seller", Some("en"))
            .send_text("/start");
        let task = support::seller_with_profile(&conn, &secrets, user_id, n).await?;
        report_task::ActiveModel {
            id: Set(task.id),
            chat_id: Set(Some(avito_reports::domain::ChatId(user_id))),
            is_active: Set(true),
            time_of_day: Set(avito_reports::domain::Stored::parse(&time)),
            ..Default::default()
        }
        .update(&conn)
        .await?;
    }
    eprintln!(
        "seeded {tasks} tasks in {:?}; slot {slot}",
        seeding.elapsed()
    );

    let log = dir.path().join("worker.log");
    let mut command = support::worker_command(&telegram, &avito, &url, dir.path())?;
    command.env("AVITO_RATE_WINDOW_SEC", "2");
    if let Some(rate) = &rate {
        command.env("TELEGRAM_MESSAGES_PER_SEC", rate);
    }
    let mut worker = command.spawn()?;

    let chats: Vec<i64> = (1..=tasks).map(|n| 100_000 + i64::from(n)).collect();
    let delivered = |chat: i64| {
        telegram
            .chat_messages(chat)
            .iter()
            .filter(|m| m.from_bot && m.text_or_caption().contains("Report for"))
            .count()
    };
    let until_slot = (slot - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(until_slot).await;
    let started = Instant::now();
    let deadline = Duration::from_secs(300);
    let mut last_count = 0;
    let mut last_change = started;
    loop {
        let count = chats.iter().filter(|c| delivered(**c) > 0).count();
        if count != last_count {
            last_count = count;
            last_change = Instant::now();
        }
        if count == chats.len() || started.elapsed() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = last_change - started;
    // Let any duplicate arrive before counting.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let duplicates: usize = chats.iter().map(|c| delivered(*c).saturating_sub(1)).sum();
    // Each report is its charts (one photo message each) and its text: the bound counts
    // messages, as Telegram's limit does.
    let messages: usize = chats
        .iter()
        .map(|c| {
            telegram
                .chat_messages(*c)
                .iter()
                .filter(|m| m.from_bot)
                .count()
        })
        .sum();
    let bound = messages as f64 / OVERALL_PER_SEC;
    println!("scheduled burst: {tasks} tasks due at one slot, one worker process");
    println!("  database:            {}", database.engine());
    println!("  delivered:           {last_count} / {tasks} ({messages} messages with the charts)");
    println!(
        "  slot → last report:  {:.1} s (rate bound {:.1} s, ratio {:.2})",
        elapsed.as_secs_f64(),
        bound,
        elapsed.as_secs_f64() / bound
    );
    println!("  duplicates:          {duplicates}");
    println!("  429s received:       {}", telegram.rate_limited_count());

    let _ = worker.start_kill();
    let _ = worker.wait().await;
    conn.close().await?;
    database.drop().await?;
    avito.shutdown().await;
    telegram.shutdown().await;
    if last_count != chats.len() {
        eprintln!("{}", std::fs::read_to_string(&log).unwrap_or_default());
        anyhow::bail!("not every report was delivered");
    }
    Ok(())
}
