//! Emulators of the external services the bot talks to, speaking their real wire formats over
//! HTTP on loopback. Tests, benchmarks, `avito-reports sandbox` and `avito-reports demo` use them.

pub mod avito;
mod serving;
mod sync;
pub mod telegram;
