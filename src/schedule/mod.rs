//! Scheduling: when reports are due ([`policy`]) and a stored task's schedule ([`task`]).
//! Planning and delivering them as jobs is the `jobs` module's.

pub mod policy;
pub mod task;

pub use policy::{Frequency, Schedule};
pub use task::{TaskScheduleError, of_task, task_tz};
