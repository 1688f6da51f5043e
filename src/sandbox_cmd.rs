//! `avito-reports sandbox`: the emulators, for a developer or tester to point the worker at.

use std::future::Future;

use clap::Args;
use sandbox::telegram::{TelegramConfig, TelegramEmulator};

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Loopback port of the Telegram Bot API emulator (0 picks a free one).
    #[arg(long, default_value_t = 8081)]
    pub telegram_port: u16,
    /// Do not emulate Telegram's flood limits (429 with retry_after).
    #[arg(long)]
    pub no_telegram_limits: bool,
}

pub async fn run(args: SandboxArgs, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let telegram = TelegramEmulator::start(TelegramConfig {
        port: args.telegram_port,
        enforce_limits: !args.no_telegram_limits,
        ..TelegramConfig::default()
    })
    .await?;
    let url = telegram.base_url();
    println!("Telegram Bot API emulator: {url}");
    println!("  driver API:              {url}/_driver");
    println!();
    println!("Point the worker at it:");
    println!(
        "  TELEGRAM_API_URL={url} BOT_TOKEN={} avito-reports run",
        telegram.bot_token()
    );
    println!();
    println!("Play a user (in another terminal):");
    let json = "-H 'content-type: application/json'";
    println!(
        "  curl -s -XPOST {url}/_driver/users {json} -d '{{\"id\":1001,\"first_name\":\"Anna\",\"language_code\":\"ru\"}}'"
    );
    println!("  curl -s -XPOST {url}/_driver/users/1001/send {json} -d '{{\"text\":\"/start\"}}'");
    println!("  curl -s {url}/_driver/chats/1001/messages");
    println!();
    println!("Ctrl-C stops the sandbox.");
    shutdown.await;
    telegram.shutdown().await;
    Ok(())
}
