//! One check job: one rule of one profile in one check window. The job is keyed by
//! (profile, rule, window), so processes sharing the queue run it once; what it decides goes
//! through compare-and-swaps on the episode, so even two copies send each notice once.

use chrono::{DateTime, Utc};

use super::check::{self, Observation};
use super::texts;
use crate::context::JobContext;
use crate::db::alerts::{self as store};
use crate::db::entities::{alert_rule, avito_profile};
use crate::db::{profiles, tasks, users};
use crate::domain::alerts::{AlertRule, DaySpan, Finding, NoticeKind};
use crate::domain::{ChatId, ProfileId, clock};
use crate::i18n::Lang;
use crate::ops::AlertCause;
use crate::report::ProfileSource;
use crate::telegram::send_chunks_marked;

/// Where and how a profile's alerts speak.
struct Audience {
    chat: ChatId,
    lang: Lang,
    tz: chrono_tz::Tz,
    /// Quiet hours now: notices wait.
    quiet: bool,
}

/// Runs the check of `rule` for `profile_id`. Errors are the database's only.
#[tracing::instrument(skip(ctx, profile_id), fields(profile_id = profile_id.0, rule = %rule))]
pub async fn run(ctx: &JobContext, profile_id: ProfileId, rule: AlertRule) -> anyhow::Result<()> {
    let db = &ctx.state.db;
    // Deleted, or switched off since the check was planned: nothing to do.
    let Some(profile) = profiles::find(db, profile_id).await? else {
        return Ok(());
    };
    // Avito refused the keys: nothing is asked until the owner enters new ones.
    if profile.status == crate::domain::ProfileStatus::AuthFailed {
        return Ok(());
    }
    let Some(rule_row) = store::rule(db, profile_id, rule)
        .await?
        .filter(|r| r.enabled)
    else {
        return Ok(());
    };
    let now = clock::now();
    let audience = audience(ctx, &profile, now).await?;
    flush_held_recoveries(ctx, &profile, rule, &audience).await?;

    let source = match ProfileSource::from_profile(&profile, &ctx.state.secrets) {
        Ok(source) => source,
        Err(e) => {
            tracing::warn!(error = %e, "alert check skipped: the secret cannot be read");
            return Ok(());
        }
    };
    let account = ctx.state.avito.account(source.credentials);
    let observation =
        check::observe(&account, profile.avito_user_id, &rule_row, audience.tz, now).await;
    tracing::debug!(?observation, "alert checked");
    match observation {
        Observation::Unknown(reason) => {
            // Not "all is well", not an alert: the operator hears, once an hour at most.
            tracing::warn!(%reason, "alert check could not ask Avito");
            // The operator's own language when they use the bot, else the bot's default.
            let admin = match ctx.state.settings.admin_chat_id {
                Some(admin) => users::find(db, admin.private_user()).await?,
                None => None,
            };
            let lang = Lang::from_code(admin.and_then(|u| u.language_code).as_deref());
            let text = texts::admin_check_failed(lang, &profile, &reason);
            ctx.alerts
                .raise(AlertCause::AlertChecks { profile_id }, text)
                .await;
        }
        Observation::KeysRefused => {
            crate::keys::refused(ctx, &profile).await?;
        }
        Observation::OffHours => {}
        Observation::Normal => recovered(ctx, &profile, rule, &audience).await?,
        Observation::Abnormal(finding) => {
            abnormal(ctx, &profile, &rule_row, finding, &audience, now).await?
        }
        Observation::Calls { day, missed } => {
            let told = if rule_row.seen_day == Some(day) {
                rule_row.seen_count
            } else {
                0
            };
            // Quiet hours: the count waits, and the next check after them tells it all.
            if missed > told
                && !audience.quiet
                && store::advance_seen(db, &rule_row, day, missed).await?
            {
                let text = texts::missed_calls(audience.lang, &profile.name, missed - told, missed);
                say(ctx, &audience, text).await;
            }
        }
    }
    Ok(())
}

async fn audience(
    ctx: &JobContext,
    profile: &avito_profile::Model,
    now: DateTime<Utc>,
) -> anyhow::Result<Audience> {
    let db = &ctx.state.db;
    let task = tasks::of_profile(db, profile.id).await?;
    let tz = task
        .as_ref()
        .and_then(|t| crate::schedule::task_tz(t).ok())
        .unwrap_or(chrono_tz::Europe::Moscow);
    let chat = task
        .as_ref()
        .and_then(|t| t.chat_id)
        .unwrap_or(profile.owner_id.private_chat());
    let lang = match users::find(db, profile.owner_id).await? {
        Some(user) => Lang::from_code(user.language_code.as_deref()),
        None => Lang::Ru,
    };
    let quiet = DaySpan::quiet_from_columns(profile.alert_quiet_from, profile.alert_quiet_to)
        .is_some_and(|q| q.contains(&now.with_timezone(&tz)));
    Ok(Audience {
        chat,
        lang,
        tz,
        quiet,
    })
}

/// The condition holds: open an episode (and tell), or remind when due, or tell what quiet
/// hours held.
async fn abnormal(
    ctx: &JobContext,
    profile: &avito_profile::Model,
    rule: &alert_rule::Model,
    finding: Finding,
    audience: &Audience,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let db = &ctx.state.db;
    let detail = serde_json::to_string(&finding)?;
    let Some(episode) = store::open_episode(db, profile.id, rule.rule).await? else {
        if store::try_open(db, profile.id, rule.rule, &detail, audience.quiet)
            .await?
            .is_some()
            && !audience.quiet
        {
            notify(
                ctx,
                audience,
                NoticeKind::Fire,
                rule.rule,
                profile,
                &finding,
            )
            .await;
        }
        return Ok(());
    };
    // Sped up (sandbox, demo, tests), reminders come as much sooner as checks do.
    let speedup = i64::from(ctx.state.knobs.alert_check_speedup.max(1));
    let remind_every = (i64::from(rule.remind_minutes.max(1)) * 60 / speedup).max(1);
    let due = episode
        .last_sent_at
        .is_none_or(|sent| now.timestamp() - sent >= remind_every);
    let kind = match episode.held {
        // Never told (opened in quiet hours): its first notice.
        Some(NoticeKind::Fire) => NoticeKind::Fire,
        _ if due => NoticeKind::Remind,
        _ => return Ok(()),
    };
    if audience.quiet {
        if episode.held.is_none() {
            store::hold(db, episode.id, kind).await?;
        }
        return Ok(());
    }
    if store::claim_notice(db, &episode, &detail, kind == NoticeKind::Remind).await? {
        notify(ctx, audience, kind, rule.rule, profile, &finding).await;
    }
    Ok(())
}

/// The condition no longer holds: close the open episode, and say so unless its start was
/// never told.
async fn recovered(
    ctx: &JobContext,
    profile: &avito_profile::Model,
    rule: AlertRule,
    audience: &Audience,
) -> anyhow::Result<()> {
    let db = &ctx.state.db;
    let Some(episode) = store::open_episode(db, profile.id, rule).await? else {
        return Ok(());
    };
    let told = episode.last_sent_at.is_some();
    let hold = told && audience.quiet;
    if store::close(db, &episode, hold).await? && told && !hold {
        say(
            ctx,
            audience,
            texts::back_to_normal(audience.lang, rule, &profile.name),
        )
        .await;
    }
    Ok(())
}

/// "Back to normal" notices quiet hours held, once they are over.
async fn flush_held_recoveries(
    ctx: &JobContext,
    profile: &avito_profile::Model,
    rule: AlertRule,
    audience: &Audience,
) -> anyhow::Result<()> {
    if audience.quiet {
        return Ok(());
    }
    for episode in store::held_recoveries(&ctx.state.db, profile.id, rule).await? {
        if store::claim_held_recovery(&ctx.state.db, episode.id).await? {
            say(
                ctx,
                audience,
                texts::back_to_normal(audience.lang, rule, &profile.name),
            )
            .await;
        }
    }
    Ok(())
}

async fn notify(
    ctx: &JobContext,
    audience: &Audience,
    kind: NoticeKind,
    rule: AlertRule,
    profile: &avito_profile::Model,
    finding: &Finding,
) {
    let text = texts::notice(audience.lang, kind, rule, &profile.name, finding);
    tracing::info!(kind = %kind, chat = audience.chat.0, "alert notice");
    say(ctx, audience, text).await;
}

/// Sends one notice; a failure is logged (the episode's state already moved: it is not sent
/// twice). A notice whose outcome Telegram left unknown (5xx, no answer) goes again only after
/// the 🔁 line, as report messages do: never an unmarked copy.
async fn say(ctx: &JobContext, audience: &Audience, text: String) {
    let sent = send_chunks_marked(&ctx.bot, audience.chat.into(), vec![text], audience.lang).await;
    if let Err(e) = sent {
        tracing::warn!(chat = audience.chat.0, error = %e, "could not send an alert notice");
    }
}
