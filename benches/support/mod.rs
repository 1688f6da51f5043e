//! Seeding shared by the benchmarks: sellers with a profile on emulator account `n`.

use avito_reports::crypto::SecretBox;
use avito_reports::db::entities::report_task;
use avito_reports::db::profiles::{self, NewProfile};
use avito_reports::db::tasks::TaskDefaults;
use avito_reports::db::users::{self, TelegramUser};
use sea_orm::DatabaseConnection;

/// The key the benchmarks' workers run with.
pub const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

/// A seller `owner` with the profile "Shop n" on emulator account `n` (`client-n` /
/// `secret-n`), and its report task as created.
pub async fn seller_with_profile(
    conn: &DatabaseConnection,
    secrets: &SecretBox,
    owner: i64,
    n: u32,
) -> anyhow::Result<report_task::Model> {
    users::upsert(
        conn,
        &TelegramUser {
            id: owner,
            username: None,
            first_name: format!("Seller {n}"),
            language_code: Some("en".into()),
        },
    )
    .await?;
    let (_, task) = profiles::create_with_task(
        conn,
        NewProfile {
            owner_id: owner,
            name: format!("Shop {n}"),
            client_id: format!("client-{n}"),
            client_secret_enc: secrets.encrypt(&format!("secret-{n}"))?,
            avito_user_id: Some(1_000_000 + i64::from(n)),
            avito_account_name: None,
        },
        &TaskDefaults::default(),
    )
    .await?;
    Ok(task)
}
