//! Listing health (issue 27): which of a seller's listings to look at — many views and no
//! contact, contacts far dearer than the account's, views that fell against the previous
//! period, blocked or rejected — ranked from one item-grouped statistics request per period.
//!
//! `figures` (one listing's numbers) and `top` (a bounded heap) are leaves; `rank` (pure)
//! makes the groups from them; `fetch` asks Avito, page by page, and feeds `rank`; `lead`
//! (pure) says how far ahead of a slot a scheduled report's pages are asked for; `screen`
//! reads the hub's "📋 Listings" screen a page at a time.

pub mod fetch;
pub mod figures;
pub mod flagged;
pub mod lead;
pub mod link;
pub mod rank;
pub mod screen;
pub mod top;

pub use figures::Figures;
pub use rank::{Costly, Fallen, Flagged, Groups, Silent};
