//! The process's clock. Every time the application reasons about (slots, periods, leases,
//! expiries) comes from [`now`], which is the system clock shifted by a fixed offset.
//!
//! The offset is zero in production. `CLOCK_OFFSET_SEC` sets it for rehearsals and tests: the
//! process behaves as if it were that much later (or earlier), so a daylight-saving change, the
//! 31st of a month or the next slot can be lived through end to end without waiting for it.
//! Every process sharing a database must run with the same offset.
//!
//! The one place the real time still matters is the job queue: apalis compares a job's
//! `run_at` with the database server's own clock, so times handed to it go through
//! [`to_system`].

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// The shift in milliseconds. Set once at start-up, before anything reads the clock.
static OFFSET_MS: AtomicI64 = AtomicI64::new(0);

/// The current time as the application sees it.
pub fn now() -> DateTime<Utc> {
    Utc::now() + offset()
}

/// The application's time `t` on the system clock (what the database server's `now()` reads
/// at that moment).
pub fn to_system(t: DateTime<Utc>) -> DateTime<Utc> {
    t - offset()
}

/// The shift in force.
pub fn offset() -> Duration {
    Duration::milliseconds(OFFSET_MS.load(Ordering::Relaxed))
}

/// Shifts the clock by `offset` from now on (configuration, at start-up).
pub fn set_offset(offset: Duration) {
    OFFSET_MS.store(offset.num_milliseconds(), Ordering::Relaxed);
}
