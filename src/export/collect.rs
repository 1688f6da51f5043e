//! Collecting every chat and its messages from Avito Messenger.
//!
//! The chat listing stops at offset 1000 (about 1,100 chats per query). When a listing hits
//! that ceiling the query is narrowed: first each chat type on its own, then item chats by
//! batches of the account's item ids (a batch that still hits the ceiling is halved, down to a
//! single item). Chats seen in several listings are kept once. Listings are newest first, so
//! with a `since` date a listing that reaches older chats is complete for the export.
//!
//! Messages are fetched for a few chats at a time (bounded concurrency) while the listing goes
//! on; chats are handed on in listing order. Retries are the Avito client's alone (it decides
//! them from the typed error): a request that still fails fails the export, which names it.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures::{TryStreamExt, stream};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::error::ExportError;
use crate::avito::model::{Chat, ChatType, ItemStatus, Message};
use crate::avito::{Account, AvitoError, AvitoResult, ChatsQuery};
use crate::domain::AccountId;

/// Most chats one listing can reach (offsets 0..=1000, pages of 100).
pub const LISTING_CEILING: usize = 1_100;
/// Most messages the API pages to in one chat.
pub const MESSAGES_CEILING: usize = 1_100;
/// Item ids per narrowed listing at first (halved when that still hits the ceiling).
const ITEM_BATCH: usize = 100;

/// How collection behaves.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Only chats updated at or after this unix time.
    pub since: Option<i64>,
    /// Chats whose messages are fetched at once.
    pub concurrency: usize,
}

impl Default for CollectOptions {
    fn default() -> Self {
        Self {
            since: None,
            concurrency: 4,
        }
    }
}

/// Counters the progress display reads (lock-free; updated as chats complete).
#[derive(Debug)]
pub struct Progress {
    started: Instant,
    chats_known: AtomicU64,
    chats_done: AtomicU64,
    messages: AtomicU64,
    listing_done: AtomicBool,
}

/// A consistent-enough reading of [`Progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub chats_known: u64,
    pub chats_done: u64,
    pub messages: u64,
    /// Every listing has finished: `chats_known` is the total.
    pub listing_done: bool,
    pub elapsed: Duration,
}

impl From<Snapshot> for crate::db::exports::Counters {
    fn from(s: Snapshot) -> Self {
        Self {
            chats_known: s.chats_known,
            chats_done: s.chats_done,
            messages: s.messages,
        }
    }
}

impl Default for Progress {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            chats_known: AtomicU64::new(0),
            chats_done: AtomicU64::new(0),
            messages: AtomicU64::new(0),
            listing_done: AtomicBool::new(false),
        }
    }
}

impl Progress {
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            chats_known: self.chats_known.load(Ordering::Relaxed),
            chats_done: self.chats_done.load(Ordering::Relaxed),
            messages: self.messages.load(Ordering::Relaxed),
            listing_done: self.listing_done.load(Ordering::Relaxed),
            elapsed: self.started.elapsed(),
        }
    }
}

/// One chat with every message the API gives, oldest first.
#[derive(Debug)]
pub struct ChatData {
    pub chat: Chat,
    pub messages: Vec<Message>,
    /// The API stopped paging: older messages exist but cannot be read.
    pub truncated: bool,
}

/// What the API would not give.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Gaps {
    /// Chats whose older messages are past the paging ceiling.
    pub truncated_chats: Vec<String>,
    /// Listings that hit the ceiling and could not be narrowed further ("u2u chats",
    /// "chats of item 123").
    pub unlisted: Vec<String>,
}

/// A listing to run.
#[derive(Debug, Clone)]
enum Listing {
    /// Every chat type at once (the common case: under the ceiling).
    All,
    Type(ChatType),
    Items(Vec<i64>),
}

impl Listing {
    fn query(&self) -> ChatsQuery {
        match self {
            Listing::All => ChatsQuery {
                chat_types: vec![ChatType::U2i, ChatType::U2u, ChatType::A2u],
                ..ChatsQuery::default()
            },
            Listing::Type(t) => ChatsQuery {
                chat_types: vec![*t],
                ..ChatsQuery::default()
            },
            Listing::Items(ids) => ChatsQuery {
                chat_types: vec![ChatType::U2i],
                item_ids: ids.clone(),
                ..ChatsQuery::default()
            },
        }
    }

    fn describe(&self) -> String {
        match self {
            Listing::All => "chats".to_owned(),
            Listing::Type(t) => format!("{} chats", t.as_query()),
            Listing::Items(ids) if ids.len() == 1 => format!("chats of item {}", ids[0]),
            Listing::Items(ids) => format!("chats of {} items", ids.len()),
        }
    }
}

/// Plans listings, narrowing when one hits the ceiling, and de-duplicates chats.
struct Planner {
    account: Account,
    user_id: AccountId,
    opts: CollectOptions,
    progress: Arc<Progress>,
    queue: VecDeque<Listing>,
    seen: HashSet<String>,
    unlisted: Vec<String>,
}

impl Planner {
    /// The next listing's new chats; `None` when every listing is done.
    async fn next(&mut self) -> Option<Result<Vec<Chat>, ExportError>> {
        let listing = self.queue.pop_front()?;
        Some(self.run(listing).await)
    }

    async fn run(&mut self, listing: Listing) -> Result<Vec<Chat>, ExportError> {
        let query = listing.query();
        let (account, user_id) = (&self.account, self.user_id);
        let page = step(|| listing.describe(), account.chats(user_id, &query).await)?;
        // Newest first: a listing that reached chats older than `since` has every newer one.
        let complete = !page.truncated
            || self.opts.since.is_some_and(|since| {
                page.items
                    .last()
                    .and_then(|c| c.updated)
                    .is_some_and(|t| t < since)
            });
        let described = listing.describe();
        if !complete {
            self.narrow(listing).await?;
        }
        let since = self.opts.since;
        let fresh: Vec<Chat> = page
            .items
            .into_iter()
            .filter(|c| since.is_none_or(|s| c.updated.unwrap_or(i64::MAX) >= s))
            .filter(|c| self.seen.insert(c.id.clone()))
            .collect();
        self.progress
            .chats_known
            .fetch_add(fresh.len() as u64, Ordering::Relaxed);
        if self.queue.is_empty() {
            self.progress.listing_done.store(true, Ordering::Relaxed);
        }
        tracing::debug!(listing = %described, new = fresh.len(), complete, "chats listed");
        Ok(fresh)
    }

    /// Queues narrower listings that together cover `listing`.
    async fn narrow(&mut self, listing: Listing) -> Result<(), ExportError> {
        match listing {
            Listing::All => {
                // Item chats last: they are the ones that may need the item list.
                self.queue.push_back(Listing::Type(ChatType::U2u));
                self.queue.push_back(Listing::Type(ChatType::A2u));
                self.queue.push_back(Listing::Type(ChatType::U2i));
            }
            Listing::Type(ChatType::U2i) => {
                let account = &self.account;
                let listed = account
                    .items(&[
                        ItemStatus::Active,
                        ItemStatus::Old,
                        ItemStatus::Removed,
                        ItemStatus::Blocked,
                        ItemStatus::Rejected,
                    ])
                    .await;
                let items = step(|| "the item list".to_owned(), listed)?;
                let mut ids: Vec<i64> = items.iter().map(|i| i.id).collect();
                ids.sort_unstable();
                ids.dedup();
                for batch in ids.chunks(ITEM_BATCH) {
                    self.queue.push_back(Listing::Items(batch.to_vec()));
                }
            }
            Listing::Items(ids) if ids.len() > 1 => {
                let (a, b) = ids.split_at(ids.len() / 2);
                self.queue.push_front(Listing::Items(b.to_vec()));
                self.queue.push_front(Listing::Items(a.to_vec()));
            }
            // Nothing narrower exists: say so.
            other => {
                tracing::warn!(listing = %other.describe(), "chat listing stopped at the API's ceiling");
                self.unlisted.push(other.describe());
            }
        }
        Ok(())
    }
}

/// The result of one step, its error typed for the export: the client has already retried
/// what may pass, so a failure here is final for this export.
fn step<T>(what: impl Fn() -> String, result: AvitoResult<T>) -> Result<T, ExportError> {
    result.map_err(|e| match e {
        AvitoError::Forbidden { operation, .. } if operation.is_messenger() => {
            ExportError::NoMessengerAccess
        }
        source => ExportError::Avito {
            what: what(),
            source,
        },
    })
}

/// Lists every chat and fetches its messages, sending each finished chat to `out` in listing
/// order. Returns what the API would not give.
pub async fn collect(
    account: &Account,
    user_id: AccountId,
    opts: &CollectOptions,
    progress: Arc<Progress>,
    out: mpsc::Sender<ChatData>,
) -> Result<Gaps, ExportError> {
    let planner = Planner {
        account: account.clone(),
        user_id,
        opts: opts.clone(),
        progress: progress.clone(),
        queue: VecDeque::from([Listing::All]),
        seen: HashSet::new(),
        unlisted: Vec::new(),
    };
    // The planner comes back out of the stream at the end, for its `unlisted`.
    let (planner_tx, mut planner_rx) = tokio::sync::oneshot::channel();
    let chats = stream::unfold(
        (planner, Some(planner_tx)),
        |(mut planner, tx)| async move {
            match planner.next().await {
                Some(batch) => Some((batch, (planner, tx))),
                None => {
                    if let Some(tx) = tx {
                        let _ = tx.send(planner.unlisted);
                    }
                    None
                }
            }
        },
    )
    .map_ok(|chats| stream::iter(chats.into_iter().map(Ok)))
    .try_flatten();
    let fetched = chats
        .map_ok(|chat| fetch_chat(account, user_id, chat))
        .try_buffered(opts.concurrency.max(1));
    let mut fetched = std::pin::pin!(fetched);
    let mut truncated_chats = Vec::new();
    while let Some(data) = fetched.try_next().await? {
        progress.chats_done.fetch_add(1, Ordering::Relaxed);
        progress
            .messages
            .fetch_add(data.messages.len() as u64, Ordering::Relaxed);
        if data.truncated {
            truncated_chats.push(data.chat.id.clone());
        }
        if out.send(data).await.is_err() {
            return Err(ExportError::WriterGone);
        }
    }
    progress.listing_done.store(true, Ordering::Relaxed);
    let unlisted = planner_rx.try_recv().unwrap_or_default();
    Ok(Gaps {
        truncated_chats,
        unlisted,
    })
}

async fn fetch_chat(
    account: &Account,
    user_id: AccountId,
    chat: Chat,
) -> Result<ChatData, ExportError> {
    let id = chat.id.clone();
    let page = step(
        || format!("messages of chat {id}"),
        account.messages(user_id, &id).await,
    )?;
    let mut messages = page.items;
    // The API gives newest first; a conversation reads oldest first.
    messages.reverse();
    messages.sort_by_key(|m| m.created.unwrap_or(i64::MIN));
    Ok(ChatData {
        chat,
        messages,
        truncated: page.truncated,
    })
}
