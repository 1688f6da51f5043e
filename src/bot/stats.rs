//! `/stats`: one combined report in the chat. In a group or channel it covers every profile
//! whose report destination is that chat (whoever owns it); in a private chat, the user's own
//! profiles.

use crate::telegram::TgBot;
use std::collections::BTreeSet;

use teloxide::prelude::*;
use teloxide::types::ChatAction;

use super::delivery;
use super::texts::{T, t};
use super::ui;
use super::views::words;
use crate::context::AppState;
use crate::db::entities::{avito_profile, report_task};
use crate::db::profiles;
use crate::db::tasks::{self, NewRun, RunKind};
use crate::domain::{UserId, clock};
use crate::i18n::Lang;
use crate::report::{Metric, MetricSet, Period, ReportOptions};

/// The profiles `/stats` covers, with their tasks: the sender's own in a private chat, the
/// ones bound to the group in a group.
async fn bound_profiles(
    msg: &Message,
    state: &AppState,
) -> anyhow::Result<Vec<(avito_profile::Model, report_task::Model)>> {
    let chat = msg.chat.id;
    Ok(if msg.chat.is_private() {
        let owner = msg.from.as_ref().map_or(UserId(0), |u| u.id.into());
        let mut pairs = Vec::new();
        for p in profiles::all_of(&state.db, owner).await? {
            let task = tasks::ensure(&state.db, p.id).await?;
            pairs.push((p, task));
        }
        pairs
    } else {
        let mut pairs = Vec::new();
        for task in tasks::for_chat(&state.db, chat.into()).await? {
            if let Some(p) = profiles::find(&state.db, task.profile_id).await? {
                pairs.push((p, task));
            }
        }
        pairs
    })
}

pub async fn handle(
    bot: &TgBot,
    msg: &Message,
    state: &AppState,
    lang: Lang,
) -> anyhow::Result<()> {
    let chat = msg.chat.id;
    let bound = bound_profiles(msg, state).await?;
    if bound.is_empty() {
        let key = if msg.chat.is_private() {
            T::StatsNonePrivate
        } else {
            T::StatsNoneGroup
        };
        ui::send_html(bot, chat, t(lang, key)).await?;
        return Ok(());
    }
    let options = options(&bound, lang, state.settings.report_deadline);
    let (period_start, period_end) = (options.period.from, options.period.to);
    let sources: Vec<_> = bound
        .iter()
        .filter_map(|(p, _)| match delivery::profile_source(state, p) {
            Ok(source) => Some(source),
            Err(e) => {
                tracing::warn!(profile_id = p.id.0, error = %e, "profile left out of /stats");
                None
            }
        })
        .collect();
    let run_id = tasks::start_run(
        &state.db,
        NewRun {
            task_id: None,
            profile_id: None,
            kind: RunKind::Stats,
            chat_id: chat.into(),
            period_start,
            period_end,
        },
    )
    .await?;
    let _ = bot
        .unpaced()
        .send_chat_action(chat, ChatAction::Typing)
        .await;
    // Charts when any profile in the report has them on.
    let charts = bound.iter().any(|(_, task)| task.charts);
    let report = delivery::build_report(bot, state, sources, options, charts).await;
    let sent = delivery::send_report(bot, chat, lang, report)
        .await
        .map_err(anyhow::Error::from);
    match &sent {
        Ok(()) => crate::metrics::report_sent(RunKind::Stats),
        Err(_) => crate::metrics::report_failed(RunKind::Stats),
    }
    let error = sent.as_ref().err().map(ToString::to_string);
    tasks::finish_run(&state.db, run_id, error).await?;
    tracing::info!(
        profiles = bound.len(),
        ok = sent.is_ok(),
        "/stats delivered"
    );
    sent?;
    Ok(())
}

/// One period, zone and metric set for the whole combined report: the period and zone of
/// the first bound task whose settings read (a chat's profiles are normally set up alike), and
/// every metric any of them selected. A task whose settings are damaged (its owner is asked to
/// set them again in the hub) takes no part in choosing; only when none can be read does the
/// report fall back to yesterday in Moscow with every metric, and says so in the log.
fn options(
    bound: &[(avito_profile::Model, report_task::Model)],
    lang: Lang,
    deadline: std::time::Duration,
) -> ReportOptions {
    let readable = bound
        .iter()
        .find_map(|(_, task)| Some((task.period.value()?, words::task_tz(task).ok()?)));
    let (kind, tz) = readable.unwrap_or_else(|| {
        tracing::warn!(
            "no bound task has readable period and zone settings; /stats uses yesterday in Moscow"
        );
        (
            crate::report::PeriodKind::Yesterday,
            chrono_tz::Europe::Moscow,
        )
    });
    let metrics: BTreeSet<Metric> = bound
        .iter()
        .filter_map(|(_, task)| task.metrics.get().ok())
        .flat_map(|set| set.iter().collect::<Vec<_>>())
        .collect();
    let metrics = if metrics.is_empty() {
        MetricSet::all()
    } else {
        metrics.into_iter().collect()
    };
    ReportOptions {
        period: Period::resolve(kind, tz, clock::now()),
        metrics,
        tz,
        lang,
        deadline: Some(deadline),
        listings: crate::listings::fetch::Reuse::RecentOnly,
    }
}
