//! One check job: one rule of one profile in one check window. The job is keyed by
//! (profile, rule, window), so processes sharing the queue run it once; what it decides goes
//! through compare-and-swaps on the episode, so even two copies send each notice once.

use chrono::{DateTime, NaiveDate, Utc};

use super::check::{self, Observation};
use super::episode::{self, Episode, Plan, Seen, Tell};
use super::texts;
use super::watch::{Audience, Watch};
use crate::context::JobContext;
use crate::db::alerts::{self as store};
use crate::db::entities::{alert_episode, avito_profile, report_task, user};
use crate::db::users;
use crate::domain::alerts::{AlertRule, DaySpan, Finding, NoticeKind};
use crate::domain::{ProfileId, clock};
use crate::i18n::Lang;
use crate::ops::AlertCause;
use crate::report::ProfileSource;

/// Runs the check of `rule` for `profile_id`. Errors are the database's only.
#[tracing::instrument(skip(ctx, profile_id), fields(profile_id = profile_id.0, rule = %rule))]
pub async fn run(ctx: &JobContext, profile_id: ProfileId, rule: AlertRule) -> anyhow::Result<()> {
    let db = &ctx.state.db;
    // Deleted since the check was planned (the profile or the rule): nothing to do.
    let Some(context) = store::check_context(db, profile_id, rule).await? else {
        return Ok(());
    };
    let store::CheckContext {
        rule: rule_row,
        profile,
        task,
        owner,
    } = context;
    // Avito refused the keys: nothing is asked until the owner enters new ones.
    if profile.status == crate::domain::ProfileStatus::AuthFailed {
        return Ok(());
    }
    let now = clock::now();
    let audience = audience(&profile, task.as_ref(), owner.as_ref(), now);
    let watch = Watch {
        profile: &profile,
        rule: &rule_row,
        audience: &audience,
    };
    let episodes = store::live_episodes(db, profile_id, rule).await?;
    // Switched off since the check was planned: Avito is not asked.
    if !rule_row.enabled {
        return step(ctx, &watch, episodes.open, Seen::Unknown, None, now).await;
    }
    flush_held_recoveries(ctx, &watch, episodes.held_recoveries).await?;

    let source = match ProfileSource::from_profile(&profile, &ctx.state.secrets) {
        Ok(source) => source,
        Err(e) => {
            tracing::warn!(error = %e, "alert check skipped: the secret cannot be read");
            return Ok(());
        }
    };
    let account = ctx.state.avito.account(source.credentials);
    let own_check = match rule {
        AlertRule::NewReviews => Some(super::reviews::check(ctx, &watch, &account, now).await?),
        AlertRule::ListingBlocked => Some(super::listings::check(ctx, &watch, &account).await?),
        _ => None,
    };
    if let Some(checked) = own_check {
        return match checked {
            Ok(()) => Ok(()),
            Err(super::watch::Stopped::KeysRefused) => {
                crate::keys::refused(ctx, &profile).await?;
                Ok(())
            }
            Err(super::watch::Stopped::Unasked(reason)) => unasked(ctx, &profile, &reason).await,
        };
    }
    let observation =
        check::observe(&account, profile.avito_user_id, &rule_row, audience.tz, now).await;
    tracing::debug!(?observation, "alert checked");
    match observation {
        Observation::Unknown(reason) => unasked(ctx, &profile, &reason).await?,
        Observation::KeysRefused => {
            crate::keys::refused(ctx, &profile).await?;
        }
        Observation::Idle | Observation::Elsewhere => {}
        Observation::Normal => step(ctx, &watch, episodes.open, Seen::Ok, None, now).await?,
        Observation::Abnormal(finding) => {
            step(ctx, &watch, episodes.open, Seen::Bad, Some(&finding), now).await?
        }
        Observation::Calls { day, missed } => calls(ctx, &watch, day, missed).await?,
    }
    Ok(())
}

/// Avito could not be asked: not "all is well", not an alert; the operator hears, once an
/// hour at most.
async fn unasked(
    ctx: &JobContext,
    profile: &avito_profile::Model,
    reason: &str,
) -> anyhow::Result<()> {
    tracing::warn!(%reason, "alert check could not ask Avito");
    // The operator's own language when they use the bot, else the bot's default.
    let admin = match ctx.state.settings.admin_chat_id {
        Some(admin) => users::find(&ctx.state.db, admin.private_user()).await?,
        None => None,
    };
    let lang = Lang::from_code(admin.and_then(|u| u.language_code).as_deref());
    let text = texts::admin_check_failed(lang, profile, reason);
    let cause = AlertCause::AlertChecks {
        profile_id: profile.id,
    };
    ctx.alerts.raise(cause, text).await;
    Ok(())
}

/// Missed calls: tells what is new since the count last told, once (compare-and-swap).
async fn calls(
    ctx: &JobContext,
    watch: &Watch<'_>,
    day: NaiveDate,
    missed: i64,
) -> anyhow::Result<()> {
    let Watch {
        profile,
        rule,
        audience,
    } = *watch;
    let told = (rule.seen_day, rule.seen_count);
    let Some(new) = episode::new_calls(told, day, missed, audience.quiet) else {
        return Ok(());
    };
    if store::advance_seen(&ctx.state.db, rule, day, missed).await? {
        let text = texts::missed_calls(audience.lang, &profile.name, new, missed);
        say(ctx, audience, text).await;
    }
    Ok(())
}

/// Where and how the profile's alerts speak: its task's chat and time zone (the owner's
/// private chat and Moscow without one), the owner's language. Pure.
fn audience(
    profile: &avito_profile::Model,
    task: Option<&report_task::Model>,
    owner: Option<&user::Model>,
    now: DateTime<Utc>,
) -> Audience {
    let tz = task
        .and_then(|t| crate::schedule::task_tz(t).ok())
        .unwrap_or(chrono_tz::Europe::Moscow);
    let chat = task
        .and_then(|t| t.chat_id)
        .unwrap_or(profile.owner_id.private_chat());
    let lang = owner.map_or(Lang::Ru, |user| {
        Lang::from_code(user.language_code.as_deref())
    });
    let quiet = DaySpan::quiet_from_columns(profile.alert_quiet_from, profile.alert_quiet_to)
        .is_some_and(|q| q.contains(&now.with_timezone(&tz)));
    Audience {
        chat,
        lang,
        tz,
        quiet,
    }
}

/// Moves the rule's episode (`open`, read before Avito was asked: every change below is a
/// compare-and-swap) by what the check saw: decides ([`episode::decide`]) and carries the
/// plan out. `finding` is what a bad check found.
async fn step(
    ctx: &JobContext,
    watch: &Watch<'_>,
    open: Option<alert_episode::Model>,
    seen: Seen,
    finding: Option<&Finding>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Watch { rule, audience, .. } = *watch;
    let state = Episode {
        open: open.as_ref().map(|e| episode::Open {
            last_sent_at: e.last_sent_at,
            held: e.held,
        }),
        quiet: audience.quiet,
        remind_every: episode::remind_every(
            rule.remind_minutes,
            ctx.state.knobs.alert_check_speedup,
        ),
    };
    let plan = episode::decide(state, seen, rule.enabled, now.timestamp());
    tracing::debug!(?plan, "alert episode");
    match (open, finding) {
        (None, Some(finding)) => opening(ctx, watch, plan, finding).await,
        (Some(open), finding) => going_on(ctx, watch, plan, &open, finding).await,
        (None, None) => Ok(()),
    }
}

/// Carries out a plan for a rule without an open episode: opens one, told or held.
async fn opening(
    ctx: &JobContext,
    watch: &Watch<'_>,
    plan: Plan,
    finding: &Finding,
) -> anyhow::Result<()> {
    let Watch { profile, rule, .. } = *watch;
    let held = match plan {
        Plan::Fire => false,
        Plan::HoldOpening => true,
        _ => return Ok(()),
    };
    let detail = serde_json::to_string(finding)?;
    let opened = store::try_open(&ctx.state.db, profile.id, rule.rule, &detail, held).await?;
    if opened.is_some() && !held {
        notify(ctx, watch, NoticeKind::Fire, finding).await;
    }
    Ok(())
}

/// Carries out a plan for the open episode: a notice claimed, held, or the episode closed.
async fn going_on(
    ctx: &JobContext,
    watch: &Watch<'_>,
    plan: Plan,
    open: &alert_episode::Model,
    finding: Option<&Finding>,
) -> anyhow::Result<()> {
    let db = &ctx.state.db;
    let Watch {
        profile,
        rule,
        audience,
    } = *watch;
    match (plan, finding) {
        (Plan::FireHeld | Plan::Remind, Some(finding)) => {
            let remind = plan == Plan::Remind;
            let detail = serde_json::to_string(finding)?;
            if store::claim_notice(db, open, &detail, remind).await? {
                let kind = if remind {
                    NoticeKind::Remind
                } else {
                    NoticeKind::Fire
                };
                notify(ctx, watch, kind, finding).await;
            }
        }
        (Plan::Hold(kind), _) => store::hold(db, open.id, kind).await?,
        (Plan::Recover(tell), _) => {
            let held = tell == Tell::AfterQuiet;
            if store::close(db, open, held).await? && tell == Tell::Now {
                let text = texts::back_to_normal(audience.lang, rule.rule, &profile.name);
                say(ctx, audience, text).await;
            }
        }
        (Plan::Close, _) => {
            store::close(db, open, false).await?;
        }
        _ => {}
    }
    Ok(())
}

/// "Back to normal" notices quiet hours held, once they are over.
async fn flush_held_recoveries(
    ctx: &JobContext,
    watch: &Watch<'_>,
    held: Vec<alert_episode::Model>,
) -> anyhow::Result<()> {
    let Watch {
        profile,
        rule,
        audience,
    } = *watch;
    if audience.quiet {
        return Ok(());
    }
    for episode in held {
        if store::claim_held_recovery(&ctx.state.db, episode.id).await? {
            let text = texts::back_to_normal(audience.lang, rule.rule, &profile.name);
            say(ctx, audience, text).await;
        }
    }
    Ok(())
}

async fn notify(ctx: &JobContext, watch: &Watch<'_>, kind: NoticeKind, finding: &Finding) {
    let Watch {
        profile,
        rule,
        audience,
    } = *watch;
    let text = texts::notice(audience.lang, kind, rule.rule, &profile.name, finding);
    tracing::info!(kind = %kind, chat = audience.chat.0, "alert notice");
    say(ctx, audience, text).await;
}

/// Sends one notice apart from the check ([`crate::telegram::outbox`]); a failure is logged
/// (the episode's state already moved: it is not sent twice). A notice whose outcome Telegram
/// left unknown (5xx, no answer) goes again only after the 🔁 line, as report messages do:
/// never an unmarked copy.
async fn say(ctx: &JobContext, audience: &Audience, text: String) {
    ctx.notices
        .post(audience.chat.into(), vec![text], audience.lang)
        .await;
}
