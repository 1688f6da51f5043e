//! The shared runtime context every feature receives: the database, settings, the secret box,
//! the Avito client, the job queue — and for jobs also the bot and the operator alerts. It
//! lives below the features so that none of them has to import another to get it.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::avito::AvitoClient;
use crate::config::{Settings, TestKnobs};
use crate::crypto::SecretBox;
use crate::ops::AdminAlerts;
use crate::telegram::TgBot;
use crate::telegram::outbox::Outbox;

/// What every handler needs, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    /// The tests', the sandbox's and the demo's knobs (`TestKnobs::default()` in production).
    pub knobs: TestKnobs,
    pub secrets: SecretBox,
    /// Checks credentials when a profile is added.
    pub avito: AvitoClient,
    /// Queues scheduled deliveries and exports.
    pub jobs: crate::queue::JobQueue,
}

/// What a job needs: the application's state, the process' one throttled bot, and the
/// de-duplicated alerts to the operator.
#[derive(Clone)]
pub struct JobContext {
    pub state: AppState,
    pub bot: TgBot,
    pub alerts: AdminAlerts,
    /// Alert notices, sent apart from the checks that decided them.
    pub notices: Outbox,
}

impl JobContext {
    /// Alerts go to `ADMIN_CHAT_ID` through `bot`, at most one per cause per hour.
    pub fn new(state: AppState, bot: TgBot) -> Self {
        let alerts = AdminAlerts::new(state.db.clone(), bot.clone(), state.settings.admin_chat_id);
        let notices = Outbox::new(bot.clone());
        Self {
            state,
            bot,
            alerts,
            notices,
        }
    }
}
