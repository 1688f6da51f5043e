//! The blocked-or-rejected rule's check: the account's blocked and rejected listings (one
//! listing request, paged), each told once per listing and change
//! ([`crate::listings::flagged`]), nothing said on the rule's first pass, held in quiet hours.

use super::watch::{Stopped, Watch};
use crate::avito::Account;
use crate::avito::model::ItemStatus;
use crate::context::JobContext;
use crate::db::listings_seen as store;
use crate::domain::dates;
use crate::listings::flagged::{self, Step};
use crate::telegram::send_chunks_marked;

use super::texts;

pub async fn check(
    ctx: &JobContext,
    watch: &Watch<'_>,
    account: &Account,
) -> anyhow::Result<Result<(), Stopped>> {
    let db = &ctx.state.db;
    let Watch {
        profile,
        rule,
        audience,
    } = *watch;
    let items = match account
        .items(&[ItemStatus::Blocked, ItemStatus::Rejected])
        .await
    {
        Ok(items) => items,
        Err(e) => return Ok(Err(e.into())),
    };
    let known = store::known(db, profile.id).await?;
    let first_pass = rule.seen_day.is_none();
    let plan = flagged::plan(&items, &known, first_pass, audience.quiet);
    let mut marked = Vec::new();
    for (item, flag, step) in &plan.steps {
        match step {
            Step::Mark => marked.push((item.id, *flag)),
            Step::Tell if store::claim(db, profile.id, item.id, *flag).await? => {
                let text = texts::listing_flagged(audience.lang, &profile.name, item, *flag);
                tracing::info!(item_id = item.id, flag = %flag, "listing flagged notice");
                let sent =
                    send_chunks_marked(&ctx.bot, audience.chat.into(), vec![text], audience.lang)
                        .await;
                if let Err(e) = sent {
                    tracing::warn!(chat = audience.chat.0, error = %e, "could not send a listing notice");
                }
            }
            Step::Tell | Step::Wait | Step::Nothing => {}
        }
    }
    store::mark(db, profile.id, &marked).await?;
    store::forget(db, profile.id, &plan.cleared).await?;
    if first_pass {
        crate::db::alerts::first_pass_done(db, rule, dates::avito_today()).await?;
    }
    Ok(Ok(()))
}
