//! The blocked-or-rejected rule's check: the account's blocked and rejected listings (one
//! listing request, paged), each told once per listing and change
//! ([`crate::listings::flagged`]), nothing said on the rule's first pass, held in quiet hours.

use super::watch::{Stopped, Watch};
use crate::avito::Account;
use crate::avito::model::ItemStatus;
use crate::context::JobContext;
use crate::db::listings_seen as store;
use crate::domain::{ListingFlag, dates};
use crate::i18n;
use crate::listings::flagged::{self, Step};
use crate::telegram::send_chunks_marked;

use super::texts::A;

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
                let link = crate::listings::link::page(item.id, item.url.as_deref());
                let title = item
                    .title
                    .clone()
                    .unwrap_or_else(|| format!("#{}", item.id));
                let listing = format!(
                    "<a href=\"{}\">{}</a>",
                    teloxide::utils::html::escape(&link),
                    teloxide::utils::html::escape(&title)
                );
                let key = match flag {
                    ListingFlag::Blocked => A::ListingBlocked,
                    ListingFlag::Rejected => A::ListingRejected,
                };
                let text = i18n::format(
                    audience.lang,
                    key,
                    &[
                        ("name", &teloxide::utils::html::escape(&profile.name)),
                        ("listing", &listing),
                    ],
                );
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
        crate::db::reviews::baseline_done(db, rule, dates::avito_today()).await?;
    }
    Ok(Ok(()))
}
