//! Fetching one report's data for 1, 10 and 50 profiles concurrently against the Avito
//! emulator with 100 ms latency per request: wall time, requests per profile, T(50)/T(1).
//!
//! Run: `cargo bench --bench report_fetch` (`-- --latency-ms 50 --items 1000` to change the
//! latency per request and the items per account).

use std::time::{Duration, Instant};

use avito_reports::avito::{AvitoClient, ClientConfig, Credentials};
use avito_reports::domain::{AccountId, ProfileId};
use avito_reports::i18n::Lang;
use avito_reports::report::{MetricSet, Period, PeriodKind, ProfileSource, ReportOptions, engine};
use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator};

const SIZES: [usize; 3] = [1, 10, 50];
const OPERATIONS: [&str; 14] = [
    "getAccessToken",
    "getUserInfoSelf",
    "getUserBalance",
    "getItemsInfo",
    "getItemInfo",
    "itemStatsShallow",
    "itemAnalytics",
    "accountSpendings",
    "postCallsStats",
    "postOperationsHistory",
    "getChatsV2",
    "getChatByIdV2",
    "getMessagesV3",
    "balanceInfoV3",
];

fn total_requests(emu: &AvitoEmulator) -> usize {
    OPERATIONS
        .iter()
        .map(|op| emu.request_count(op))
        .sum::<usize>()
        + emu.token_requests()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> anyhow::Result<()> {
    let arg = |name: &str, default: u64| -> u64 {
        std::env::args()
            .skip_while(|a| a != name)
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let latency_ms = arg("--latency-ms", 100);
    // The emulator computes statistics per item and day in this process, on the same two
    // cores: few items keep its CPU out of the client's figures (the client makes the same
    // requests whatever the item count).
    let items = arg("--items", 30) as usize;
    // Every run gets accounts of its own (plus one for the single full report), so no answer
    // is reused from an earlier run (1/min operations are cached for minutes) and no rate
    // limit carries over.
    let needed = SIZES.iter().sum::<usize>() + 1;
    let accounts: Vec<AccountSpec> = (1..=needed as u32)
        .map(|n| AccountSpec {
            items,
            chats: 10,
            messages_per_chat: 5,
            ..AccountSpec::generated(n)
        })
        .collect();
    let emu = start_emulator_on_its_own_runtime(accounts.clone())?;
    emu.set_latency(Duration::from_millis(latency_ms));
    let tz = chrono_tz::Europe::Moscow;
    let options = ReportOptions {
        period: Period::resolve(PeriodKind::Last7Days, tz, chrono::Utc::now()),
        metrics: MetricSet::all(),
        tz,
        lang: Lang::Ru,
        deadline: None,
        listings: avito_reports::listings::fetch::Reuse::Ask,
    };
    println!(
        "report_fetch: combined report data, all metrics, last 7 days, {latency_ms} ms latency per request"
    );
    println!(
        "{:>9} {:>10} {:>14} {:>12}",
        "profiles", "wall (ms)", "requests", "per profile"
    );
    let mut t1 = None;
    let mut next = 0;
    for &n in &SIZES {
        let sources: Vec<ProfileSource> = accounts[next..next + n]
            .iter()
            .enumerate()
            .map(|(i, a)| ProfileSource {
                profile_id: ProfileId(i as i64),
                name: a.name.clone(),
                credentials: Credentials::new(&a.client_id, &a.client_secret).expect("valid"),
                // As in the bot: the account id is stored when the profile is added.
                avito_user_id: Some(AccountId(a.user_id)),
            })
            .collect();
        next += n;
        let client = AvitoClient::new(ClientConfig::new(emu.base_url().parse()?))?;
        let before = total_requests(&emu);
        let started = Instant::now();
        let report = engine::combined_report_with(&client, &sources, &options, false).await;
        let wall = started.elapsed();
        let requests = total_requests(&emu) - before;
        assert!(
            !report.partial,
            "every profile reported (partial report means a failure)"
        );
        println!(
            "{n:>9} {:>10.0} {requests:>14} {:>12.1}",
            wall.as_secs_f64() * 1000.0,
            requests as f64 / n as f64
        );
        if n == 1 {
            t1 = Some(wall);
        } else if n == 50
            && let Some(t1) = t1
        {
            println!("T(50)/T(1) = {:.2}", wall.as_secs_f64() / t1.as_secs_f64());
        }
    }
    // A single profile's full report, with the top-items ranking (items list + stats v1).
    let a = &accounts[next];
    let source = ProfileSource {
        profile_id: ProfileId(0),
        name: a.name.clone(),
        credentials: Credentials::new(&a.client_id, &a.client_secret).expect("valid"),
        avito_user_id: Some(AccountId(a.user_id)),
    };
    let client = AvitoClient::new(ClientConfig::new(emu.base_url().parse()?))?;
    let before = total_requests(&emu);
    let started = Instant::now();
    engine::profile_report(&client, &source, &options).await?;
    println!(
        "single profile with top items ({} items): {:.0} ms, {} requests",
        a.items,
        started.elapsed().as_secs_f64() * 1000.0,
        total_requests(&emu) - before
    );
    Ok(())
}

/// The emulator runs on a runtime and thread of its own, as the real API runs elsewhere: its
/// work then shows in the figures only as far as the two cores are shared.
fn start_emulator_on_its_own_runtime(accounts: Vec<AccountSpec>) -> anyhow::Result<AvitoEmulator> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                let _ = tx.send(Err(anyhow::anyhow!(e)));
                return;
            }
        };
        runtime.block_on(async move {
            let started = AvitoEmulator::start(AvitoConfig {
                accounts,
                ..AvitoConfig::default()
            })
            .await;
            let keep = started.as_ref().ok().cloned();
            let _ = tx.send(started);
            if keep.is_some() {
                std::future::pending::<()>().await;
            }
        });
    });
    rx.recv()?
}
