//! avito-reports: a Telegram bot worker that gives Avito sellers analytics reports.
//!
//! `main.rs` only calls [`cli::main`]; everything else lives in this library so that tests
//! can drive it.

pub mod alerts;
pub mod app;
pub mod avito;
pub mod bot;
pub mod budget;
pub mod cli;
pub mod config;
pub mod context;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod domain;
pub mod export;
pub mod i18n;
pub mod jobs;
pub mod keys;
pub mod listings;
pub mod metrics;
pub mod net;
pub mod ops;
pub mod queue;
pub mod report;
pub mod retry;
pub mod reviews;
pub mod schedule;
pub mod telegram;
pub mod telemetry;
