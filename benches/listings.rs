//! "Listings to look at" for a seller with 20,000 listings: both periods paged through the
//! per-listing pager (1,000 listings a request) and ranked as the pages come, against the
//! Avito emulator in this process. Prints the wall time, the requests, and the process's
//! resident memory before and after (peak and current), then the same figures for reading
//! the same pages whole (`Account::analytics`, every group held), for comparison.
//!
//! Then the scheduled path: a warm-up keeping every page until the slot, and the report at the
//! slot reading them all (no request), with what the kept pages hold.
//!
//! The emulator runs in this process (it computes each listing's week on every page), so the
//! memory figures include its work; the difference between the two ways is the client's.
//! The rate window is shortened to 20 ms: against Avito each request is one minute.
//!
//! Run: `cargo bench --bench listings` (`-- --listings N` to change the account's size).

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use avito_reports::avito::query::avito_today;
use avito_reports::avito::{AvitoClient, ClientConfig, Credentials};
use avito_reports::domain::AccountId;
use avito_reports::listings::fetch::{self, Reuse};
use avito_reports::report::Period;
use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator, ListingShape};

const WINDOW: Duration = Duration::from_millis(20);

fn memory() -> anyhow::Result<(u64, u64)> {
    let (_, peak, now) = support::process_usage(std::process::id())?;
    Ok((peak, now))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut args = support::Args::new();
    let mut listings = 20_000;
    while let Some(flag) = args.flag() {
        match flag.as_str() {
            "--listings" => listings = args.number("--listings")? as usize,
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    let account = AccountSpec {
        items: listings,
        chats: 1,
        messages_per_chat: 1,
        reviews: 0,
        listings: ListingShape::Troubled,
        ..AccountSpec::generated(1)
    };
    let (user, client_id, secret) = (
        AccountId(account.user_id),
        account.client_id.clone(),
        account.client_secret.clone(),
    );
    let emu = AvitoEmulator::start(AvitoConfig {
        accounts: vec![account],
        rate_window: WINDOW,
        ..AvitoConfig::default()
    })
    .await?;
    let today = avito_today();
    let week = Period::new(
        today - chrono::Duration::days(7),
        today - chrono::Duration::days(1),
    );
    let client = |emu: &AvitoEmulator| -> anyhow::Result<AvitoClient> {
        let mut config = ClientConfig::new(emu.base_url().parse()?);
        config.rate_window = WINDOW;
        Ok(AvitoClient::new(config)?)
    };

    println!("listings: {listings} listings, the last 7 days and the 7 before");
    let before = memory()?;
    let account = client(&emu)?.account(Credentials::new(&client_id, &secret)?);
    let started = Instant::now();
    let groups = fetch::groups(&account, user, week, Reuse::Ask).await?;
    let ranked = started.elapsed();
    let after = memory()?;
    println!(
        "paged and ranked: {:.1} s, {} requests, {} listings ranked; groups {}/{}/{}/{} (of {} flagged)",
        ranked.as_secs_f64(),
        emu.request_count("itemAnalytics"),
        groups.listings,
        groups.silent.len(),
        groups.costly.len(),
        groups.fallen.len(),
        groups.flagged.len(),
        groups.flagged_total
    );
    println!(
        "  RSS: {} → {} kB now, peak {} → {} kB",
        before.1, after.1, before.0, after.0
    );

    // Every group of both periods held at once, as `analytics` returns them (fresh answers:
    // another client, so nothing is reused from the first pass).
    let whole = client(&emu)?.account(Credentials::new(&client_id, &secret)?);
    let asked = emu.request_count("itemAnalytics");
    let started = Instant::now();
    let mut held = 0;
    let mut kept = Vec::new();
    for period in [week.previous(), week] {
        let all = whole.analytics(user, &fetch::query(period)).await?;
        held += all.groups.len();
        kept.push(all);
    }
    let elapsed = started.elapsed();
    let whole_after = memory()?;
    println!(
        "read whole (for comparison): {:.1} s, {} requests, {held} groups held",
        elapsed.as_secs_f64(),
        emu.request_count("itemAnalytics") - asked,
    );
    println!(
        "  RSS: {} → {} kB now, peak {} → {} kB",
        after.1, whole_after.1, after.0, whole_after.0
    );
    drop(kept);
    scheduled(&emu, client(&emu)?, &client_id, &secret, user, week).await?;
    emu.shutdown().await;
    Ok(())
}

/// The scheduled path: the warm-up asks for every page ahead of the slot and keeps the answers
/// (in memory, as on SQLite) until then; the report at the slot reads them all and asks
/// nothing. Prints both steps' time and requests, and the resident memory the warm-up left.
async fn scheduled(
    emu: &AvitoEmulator,
    client: AvitoClient,
    client_id: &str,
    secret: &str,
    user: AccountId,
    week: Period,
) -> anyhow::Result<()> {
    let account = client.account(Credentials::new(client_id, secret)?);
    // RSS grows by the kept answers and by the emulator's work on each page (in this process).
    let (asked, before) = (emu.request_count("itemAnalytics"), memory()?);
    let until = tokio::time::Instant::now() + Duration::from_secs(3600);
    let started = Instant::now();
    let pages = fetch::warm(&account, user, week, until).await?;
    let warmed = started.elapsed();
    let held = memory()?;
    println!(
        "scheduled, warm-up: {:.1} s, {} requests ({pages} pages kept until the slot)",
        warmed.as_secs_f64(),
        emu.request_count("itemAnalytics") - asked,
    );
    println!(
        "  RSS: {} → {} kB now, peak {} → {} kB",
        before.1, held.1, before.0, held.0
    );
    let asked = emu.request_count("itemAnalytics");
    let started = Instant::now();
    let groups = fetch::groups(&account, user, week, Reuse::RecentOnly).await?;
    println!(
        "scheduled, the report at the slot: {:.2} s, {} requests, {} listings ranked",
        started.elapsed().as_secs_f64(),
        emu.request_count("itemAnalytics") - asked,
        groups.listings,
    );
    Ok(())
}
