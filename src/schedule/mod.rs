//! Scheduling: when reports are due, planning them as jobs, and delivering them.

pub mod policy;

pub use policy::{Frequency, Schedule};
