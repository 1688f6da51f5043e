//! `avito-reports sandbox`: the emulators, for a developer or tester to point the worker at.

use std::future::Future;
use std::time::Duration;

use clap::Args;
use sandbox::avito::{
    AccountSpec, AvitoConfig, AvitoEmulator, Fault, parse_duration, parse_fault_spec,
};
use sandbox::telegram::{TelegramConfig, TelegramEmulator};

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Loopback port of the Telegram Bot API emulator (0 picks a free one).
    #[arg(long, default_value_t = 8081)]
    pub telegram_port: u16,
    /// Do not emulate Telegram's flood limits (429 with retry_after).
    #[arg(long)]
    pub no_telegram_limits: bool,
    /// Loopback port of the Avito API emulator (0 picks a free one).
    #[arg(long, default_value_t = 8082)]
    pub avito_port: u16,
    /// Seed of the Avito emulator's generated data (same seed, same data).
    #[arg(long, default_value_t = 42)]
    pub avito_seed: u64,
    /// Number of Avito accounts: client-1 / secret-1, client-2 / secret-2, …
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub avito_accounts: u32,
    /// Latency added to every Avito answer, e.g. 100ms.
    #[arg(long, value_parser = parse_latency)]
    pub avito_latency: Option<Duration>,
    /// Inject a fault: OP=FAULT[@N], e.g. itemAnalytics=status:500, *=latency:100ms,
    /// getMessagesV3=timeout, getItemsInfo=status:503@2 (repeatable).
    #[arg(long = "avito-fault", value_parser = parse_fault)]
    pub avito_faults: Vec<(String, Fault)>,
    /// Do not emulate Avito's per-minute rate limits.
    #[arg(long)]
    pub no_avito_limits: bool,
}

fn parse_latency(s: &str) -> Result<Duration, String> {
    parse_duration(s).ok_or_else(|| format!("{s:?}: expected a duration like 100ms or 2s"))
}

fn parse_fault(s: &str) -> Result<(String, Fault), String> {
    parse_fault_spec(s)
}

pub async fn run(args: SandboxArgs, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let telegram = TelegramEmulator::start(TelegramConfig {
        port: args.telegram_port,
        enforce_limits: !args.no_telegram_limits,
        ..TelegramConfig::default()
    })
    .await?;
    let accounts: Vec<AccountSpec> = (1..=args.avito_accounts)
        .map(AccountSpec::generated)
        .collect();
    let avito = AvitoEmulator::start(AvitoConfig {
        port: args.avito_port,
        seed: args.avito_seed,
        accounts: accounts.clone(),
        enforce_rate_limits: !args.no_avito_limits,
        ..AvitoConfig::default()
    })
    .await?;
    if let Some(latency) = args.avito_latency {
        avito.set_latency(latency);
    }
    for (op, fault) in args.avito_faults {
        avito.set_fault(&op, fault);
    }

    let tg = telegram.base_url();
    let av = avito.base_url();
    println!("Telegram Bot API emulator: {tg}   (driver API: {tg}/_driver)");
    println!("Avito API emulator:        {av}   (control API: {av}/_control)");
    println!();
    println!("Avito accounts (client_id / client_secret → user id, name):");
    for a in &accounts {
        println!(
            "  {} / {} → {}, {}",
            a.client_id, a.client_secret, a.user_id, a.name
        );
    }
    println!();
    println!("Point the worker at them:");
    println!(
        "  TELEGRAM_API_URL={tg} AVITO_API_URL={av} BOT_TOKEN={} avito-reports run",
        telegram.bot_token()
    );
    println!(
        "  AVITO_API_URL={av} avito-reports avito check --client-id client-1 --client-secret secret-1"
    );
    println!();
    println!("Play a user (in another terminal):");
    let json = "-H 'content-type: application/json'";
    println!(
        "  curl -s -XPOST {tg}/_driver/users {json} -d '{{\"id\":1001,\"first_name\":\"Anna\",\"language_code\":\"ru\"}}'"
    );
    println!("  curl -s -XPOST {tg}/_driver/users/1001/send {json} -d '{{\"text\":\"/start\"}}'");
    println!("  curl -s {tg}/_driver/chats/1001/messages");
    println!();
    println!("Ctrl-C stops the sandbox.");
    shutdown.await;
    telegram.shutdown().await;
    avito.shutdown().await;
    Ok(())
}
