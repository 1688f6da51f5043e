//! The seller's reputation: the rating and the reviews buyers leave, as a person reads them —
//! in the `reviews` command now, and in notices, the profile card and the workbook as they
//! come (issue 26). What a review says is decided here once ([`view`]); the texts are in
//! `locales/<lang>/reviews.toml` ([`texts`]).

pub mod answer;
pub mod news;
pub mod notice;
pub mod texts;
pub mod view;
