//! avito-reports: a Telegram bot worker that gives Avito sellers analytics reports.
//!
//! `main.rs` only calls [`cli::main`]; everything else lives in this library so that tests
//! can drive it.

pub mod app;
pub mod avito;
pub mod avito_cmd;
pub mod bot;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod export;
pub mod export_cmd;
pub mod healthcheck_cmd;
pub mod i18n;
pub mod jobs;
pub mod jobs_cmd;
pub mod ops;
pub mod report;
pub mod report_cmd;
pub mod retry;
pub mod sandbox_cmd;
pub mod schedule;
pub mod telemetry;
