//! Alerts at scale: N profiles (default 1,000) with every alert rule on, watched by one
//! `worker` process against the Avito emulator enforcing Avito's documented limits, for one
//! simulated hour. Time runs `--speedup` times faster (default 10): the emulator's rate window
//! and the worker's pacing are a minute divided by it, and so is every check interval
//! (`ALERT_CHECK_SPEEDUP`), so an hour of checks and limits takes 6 real minutes.
//!
//! During the hour every 10th account's wallet drops below its threshold and is topped up
//! again, gets a buyer's message that waits unanswered and is then answered, and a missed call.
//! Reported: checks per rule against the interval promised, alerts expected and received,
//! duplicates (the same notice twice in a chat, or a rule firing again while its episode is
//! open), 429s the client caused at Avito and at Telegram, and the worker's CPU time and
//! resident memory.
//!
//! Run: `cargo bench --bench alerts` (`-- --profiles 200 --speedup 30` for a quicker run,
//! `-- --postgres` for the PostgreSQL server instead of a SQLite file).

#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use avito_reports::crypto::SecretBox;
use avito_reports::crypto::SecretKey;
use avito_reports::db::{self, alerts};
use avito_reports::domain::alerts::AlertRule;
use avito_reports::domain::clock;
use chrono::{NaiveTime, TimeZone, Utc};
use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator, Direction, NewMessage};
use sandbox::telegram::{TelegramConfig, TelegramEmulator};

use support::KEY;

struct Options {
    profiles: u32,
    speedup: u32,
    postgres: bool,
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        profiles: 1000,
        speedup: 10,
        postgres: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> anyhow::Result<u32> {
            args.next()
                .and_then(|v| v.parse().ok())
                .filter(|v| *v > 0)
                .ok_or_else(|| anyhow::anyhow!("{name} needs a positive whole number"))
        };
        match arg.as_str() {
            "--profiles" => o.profiles = number("--profiles")?,
            "--speedup" => o.speedup = number("--speedup")?,
            "--postgres" => o.postgres = true,
            "--bench" => {}
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    Ok(o)
}

/// What happens to every 10th account during the hour.
#[derive(Clone, Copy)]
enum Event {
    WalletDrops,
    CallMissed,
    BuyerWrites,
    WalletToppedUp,
    SellerAnswers,
}

/// The Avito operation each rule's check asks, and how many requests one check makes.
const CHECKS: [(AlertRule, &str, usize); 6] = [
    (AlertRule::WalletLow, "getUserBalance", 1),
    (AlertRule::CpaLow, "balanceInfoV3", 1),
    (AlertRule::SpendSpike, "postOperationsHistory", 2),
    (AlertRule::DemandDrop, "itemAnalytics", 1),
    (AlertRule::Unanswered, "getChatsV2", 1),
    (AlertRule::MissedCalls, "postCallsStats", 1),
];

/// What a notice is, told from its English text.
fn classify(text: &str) -> Option<(&'static str, Option<AlertRule>)> {
    let rule = [
        ("the wallet is low", AlertRule::WalletLow),
        ("— wallet balance.", AlertRule::WalletLow),
        ("the CPA balance is low", AlertRule::CpaLow),
        ("— CPA balance.", AlertRule::CpaLow),
        ("spending today is", AlertRule::SpendSpike),
        ("— spending.", AlertRule::SpendSpike),
        ("demand fell", AlertRule::DemandDrop),
        ("— demand.", AlertRule::DemandDrop),
        ("waiting for an answer", AlertRule::Unanswered),
        ("— unanswered chats.", AlertRule::Unanswered),
    ]
    .into_iter()
    .find(|(needle, _)| text.contains(needle))
    .map(|(_, r)| r);
    let kind = match text.chars().next()? {
        '🔔' => "fire",
        '⏰' => "remind",
        '✅' => "recover",
        '📞' => return Some(("missed call", Some(AlertRule::MissedCalls))),
        _ => return None,
    };
    Some((kind, rule))
}

/// The Telegram emulator on a runtime of its own: the Avito emulator's load in this process
/// must not delay the handling of Telegram requests and bunch them into bursts the worker
/// never sent (its flood control counts them as they arrive).
fn telegram_on_its_own_thread() -> anyhow::Result<TelegramEmulator> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.send(Err(anyhow::Error::from(e)));
                return;
            }
        };
        runtime.block_on(async move {
            let started = TelegramEmulator::start(TelegramConfig::default()).await;
            let keep = started.as_ref().ok().cloned();
            let _ = tx.send(started);
            if keep.is_some() {
                std::future::pending::<()>().await;
            }
        });
    });
    rx.recv()?
}

#[derive(Default)]
struct Tally {
    notices: HashMap<(&'static str, Option<AlertRule>), usize>,
    duplicates: usize,
    fired_while_open: usize,
    /// The first few doubled texts, to look at.
    examples: Vec<String>,
}

fn tally(telegram: &TelegramEmulator, chats: &[i64]) -> Tally {
    let mut t = Tally::default();
    for chat in chats {
        let mut seen = std::collections::HashSet::new();
        let mut open: HashMap<Option<AlertRule>, bool> = HashMap::new();
        for m in telegram.chat_messages(*chat).iter().filter(|m| m.from_bot) {
            let text = m.text_or_caption();
            let Some(kind) = classify(text) else { continue };
            *t.notices.entry(kind).or_default() += 1;
            let mut example = |what: &str| {
                if t.examples.len() < 5 {
                    t.examples.push(format!("{what} in chat {chat}: {text}"));
                }
            };
            if !seen.insert(text.to_owned()) {
                t.duplicates += 1;
                example("the same notice twice");
            }
            match kind.0 {
                "fire" if open.insert(kind.1, true) == Some(true) => {
                    t.fired_while_open += 1;
                    example("a fire while open");
                }
                "recover" => {
                    open.insert(kind.1, false);
                }
                _ => {}
            }
        }
    }
    t
}

// Two threads: the emulators must not be what holds the worker back or bunches its requests.
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let o = options()?;
    let hour = Duration::from_secs_f64(3600.0 / f64::from(o.speedup));
    let window = Duration::from_secs_f64(60.0 / f64::from(o.speedup));

    // Worker and benchmark live at 10:00 Moscow today: working hours, no quiet hours, and
    // the day's demand check (09:00) is due.
    let moscow = chrono_tz::Europe::Moscow;
    let today = Utc::now().with_timezone(&moscow).date_naive();
    let ten = moscow
        .from_local_datetime(&today.and_time(NaiveTime::from_hms_opt(10, 0, 0).expect("10:00")))
        .single()
        .expect("Moscow has no DST")
        .to_utc();
    let offset = ten - Utc::now();
    clock::set_offset(offset);

    let dir = tempfile::tempdir()?;
    let database = support::BenchDatabase::create(dir.path(), o.postgres).await?;
    let conn = db::connect(&avito_reports::db::DatabaseUrl::parse(&database.url)?).await?;
    db::migrate(&conn).await?;

    let telegram = telegram_on_its_own_thread()?;
    let avito = AvitoEmulator::start(AvitoConfig {
        accounts: (1..=o.profiles)
            .map(|n| AccountSpec {
                items: 5,
                ..AccountSpec::generated(n)
            })
            .collect(),
        rate_window: window,
        ..AvitoConfig::default()
    })
    .await?;

    let secrets = SecretBox::new(&SecretKey::parse(KEY).map_err(anyhow::Error::msg)?);
    let seeding = Instant::now();
    let mut chats = Vec::new();
    for n in 1..=o.profiles {
        let owner = 100_000 + i64::from(n);
        telegram
            .user(owner, "Seller", Some("en"))
            .send_text("/start");
        let task = support::seller_with_profile(&conn, &secrets, owner, n).await?;
        for rule in AlertRule::ALL.iter().copied() {
            alerts::change_rule(
                &conn,
                task.profile_id,
                rule,
                alerts::RuleChange::Enabled(true),
            )
            .await?;
        }
        chats.push(owner);
    }
    let moved: Vec<i64> = (1..=o.profiles)
        .filter(|n| n % 10 == 0)
        .map(|n| AccountSpec::generated(n).user_id)
        .collect();
    for user in &moved {
        avito.set_wallet_balance(*user, 5_000.0)?;
    }
    eprintln!(
        "seeded {} profiles with every rule on in {:.1?}",
        o.profiles,
        seeding.elapsed()
    );

    let log = dir.path().join("worker.log");
    let mut worker = support::worker_command(&telegram, &avito, &database.url, dir.path())?
        .env("AVITO_RATE_WINDOW_SEC", window.as_secs_f64().to_string())
        .env("ALERT_CHECK_SPEEDUP", o.speedup.to_string())
        .env(
            "CLOCK_OFFSET_SEC",
            format!("{:.3}", offset.num_milliseconds() as f64 / 1000.0),
        )
        .spawn()?;
    let pid = worker
        .id()
        .ok_or_else(|| anyhow::anyhow!("the worker has no pid"))?;
    let started = Instant::now();

    // The hour's events, at fractions of it, each to every moved account.
    let at = |share: f64| started + hour.mul_f64(share);
    let mut waiting_chats = HashMap::new();
    for (share, event) in [
        (0.15, Event::WalletDrops),
        (0.25, Event::CallMissed),
        (0.30, Event::BuyerWrites),
        (0.55, Event::WalletToppedUp),
        (0.70, Event::SellerAnswers),
    ] {
        tokio::time::sleep_until(at(share).into()).await;
        for user in &moved {
            let message = |chat_id, direction, text: &str, ago: chrono::Duration| NewMessage {
                chat_id,
                direction,
                text: text.into(),
                created: (clock::now() - ago).timestamp(),
            };
            match event {
                Event::WalletDrops => avito.set_wallet_balance(*user, 100.0)?,
                Event::WalletToppedUp => avito.set_wallet_balance(*user, 5_000.0)?,
                Event::CallMissed => {
                    let day = clock::now().with_timezone(&moscow).date_naive();
                    avito.add_missed_call(*user, None, day)?;
                }
                Event::BuyerWrites => {
                    // Already 45 minutes unanswered: past the default 30.
                    let ago = chrono::Duration::minutes(45);
                    let asked = message(None, Direction::In, "Is it still available?", ago);
                    waiting_chats.insert(*user, avito.add_message(*user, asked)?);
                }
                Event::SellerAnswers => {
                    let chat = waiting_chats.get(user).cloned();
                    let answer = message(
                        chat,
                        Direction::Out,
                        "Yes, it is.",
                        chrono::Duration::zero(),
                    );
                    avito.add_message(*user, answer)?;
                }
            }
        }
    }
    tokio::time::sleep_until(at(1.0).into()).await;
    let checks: Vec<usize> = CHECKS
        .iter()
        .map(|(_, op, _)| avito.request_count(op))
        .collect();
    let (cpu, peak_kb, rss_kb) = support::process_usage(pid)?;
    // Notices of the last checks still in flight, and any duplicate, arrive meanwhile.
    tokio::time::sleep(hour.mul_f64(0.1).max(Duration::from_secs(5))).await;
    let t = tally(&telegram, &chats);

    let n = f64::from(o.profiles);
    println!(
        "alerts: {} profiles, every rule on, one worker process, one simulated hour",
        o.profiles
    );
    println!(
        "  database: {}; speedup ×{} (rate window {:.1} s, the hour {:.0} s)",
        database.engine(),
        o.speedup,
        window.as_secs_f64(),
        hour.as_secs_f64()
    );
    println!("  checks per profile in the hour (Avito requests / requests per check / profiles):");
    for ((rule, op, per_check), done) in CHECKS.iter().zip(&checks) {
        let promised = match rule {
            AlertRule::DemandDrop => 1.0,
            _ => 3600.0 / rule.check_every(rule.default_param()).as_secs_f64(),
        };
        println!(
            "    {:<18} {:>6.2} (promised {:.0}; {op}: {done} requests)",
            rule.slug(),
            *done as f64 / *per_check as f64 / n,
            promised,
        );
    }
    let expected = moved.len();
    let count = |kind: &'static str, rule: AlertRule| {
        t.notices.get(&(kind, Some(rule))).copied().unwrap_or(0)
    };
    println!(
        "  moved accounts: {expected}; wallet alerts {} and recoveries {}, unanswered-chat alerts {} and recoveries {}, missed-call notices {} (each expected {expected})",
        count("fire", AlertRule::WalletLow),
        count("recover", AlertRule::WalletLow),
        count("fire", AlertRule::Unanswered),
        count("recover", AlertRule::Unanswered),
        count("missed call", AlertRule::MissedCalls),
    );
    let mut all: Vec<_> = t.notices.iter().collect();
    all.sort_by_key(|((kind, rule), _)| (*kind, rule.map(|r| r.slug())));
    let all: Vec<String> = all
        .iter()
        .map(|((kind, rule), c)| format!("{kind} {}: {c}", rule.map_or("?", |r| r.slug())))
        .collect();
    println!("  all notices: {}", all.join(", "));
    println!(
        "  duplicates: {} identical notices, {} fires while already open",
        t.duplicates, t.fired_while_open
    );
    for example in &t.examples {
        println!("    {example}");
    }
    println!(
        "  429s: Avito (limits broken by the client) {}, Telegram {}",
        avito.rate_limited_count(),
        telegram.rate_limited_count()
    );
    println!(
        "  worker: {:.1} s CPU in {:.0} s ({:.0} % of a core), RSS {:.1} MB now, {:.1} MB peak",
        cpu,
        started.elapsed().as_secs_f64(),
        100.0 * cpu / started.elapsed().as_secs_f64(),
        rss_kb as f64 / 1024.0,
        peak_kb as f64 / 1024.0
    );

    let _ = worker.start_kill();
    let _ = worker.wait().await;
    conn.close().await?;
    database.drop().await?;
    avito.shutdown().await;
    telegram.shutdown().await;
    let worker_log = std::fs::read_to_string(&log).unwrap_or_default();
    let errors = worker_log.lines().filter(|l| l.contains("ERROR")).count();
    if errors > 0 {
        eprintln!("the worker logged {errors} errors; the first ones:");
        for line in worker_log.lines().filter(|l| l.contains("ERROR")).take(10) {
            eprintln!("  {line}");
        }
    }
    Ok(())
}
