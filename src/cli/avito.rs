//! `avito-reports avito check`: verifies credentials against the Avito API, without Telegram.

use clap::{Args, Subcommand};

use crate::avito::{AvitoClient, AvitoError, Credentials};
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum AvitoCommand {
    /// Get a token and the account behind a client id / secret, and print the account.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The application's client_id (Avito Pro → Settings → API access).
    #[arg(long)]
    pub client_id: String,
    /// The application's client_secret; prefer the environment variable, which stays out of
    /// the shell history and the process list.
    #[arg(long, env = "AVITO_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: String,
}

pub async fn run(command: AvitoCommand, config: &Config) -> anyhow::Result<()> {
    match command {
        AvitoCommand::Check(args) => check(args, config).await,
    }
}

async fn check(args: CheckArgs, config: &Config) -> anyhow::Result<()> {
    let creds = Credentials::new(&args.client_id, &args.client_secret)?;
    let client = AvitoClient::new(config.avito_client())?;
    let account = client.account(creds);
    match account.check_keys().await {
        Ok(me) => {
            let name = me.name.as_deref().filter(|n| !n.trim().is_empty());
            match me.id {
                Some(id) => println!("Avito account {id}: {}", name.unwrap_or("(no name)")),
                // The keys work (a token was issued); only the account id is missing.
                None => println!(
                    "Avito accepted the credentials but did not return the account id{}",
                    name.map(|n| format!(" (account name: {n})"))
                        .unwrap_or_default()
                ),
            }
            Ok(())
        }
        Err(e) => Err(anyhow::anyhow!(describe(&e))),
    }
}

/// One line for a person: what went wrong and what to do.
fn describe(e: &AvitoError) -> String {
    match e {
        AvitoError::InvalidCredentials => "bad credentials: Avito refused this client_id / client_secret; copy both again from Avito Pro → Settings → API access".to_owned(),
        AvitoError::Unavailable {
            attempts, detail, ..
        } => format!("Avito unavailable after {attempts} attempts ({detail}); try again later"),
        AvitoError::RateLimited { retry_after, .. } => {
            format!("Avito unavailable: rate limited; try again in {retry_after:?}")
        }
        AvitoError::InvalidRequest(reason) => format!("invalid input: {reason}"),
        other => format!("unexpected answer: {other}"),
    }
}
