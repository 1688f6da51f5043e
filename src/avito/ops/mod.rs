//! Typed operations of one Avito account, grouped by API area.

mod account;
mod json;
mod messenger;
mod ratings;

pub use messenger::ChatsQuery;
pub use ratings::REVIEWS_PAGE;
mod stats;
