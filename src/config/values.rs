//! Each kind of value a variable holds, parsed into its type: the table ([`super::vars`])
//! names which parser reads which variable. A parser knows what it expects, never which
//! variable it reads.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

use super::error::Invalid;
use crate::crypto::SecretKey;
use crate::db::DatabaseUrl;
use crate::domain::{ChatId, UserId};
use crate::telegram::BotToken;
use crate::telemetry::LogFormat;

/// The longest `_SEC` setting: a day.
const DAY: Duration = Duration::from_secs(86_400);
/// Units a duration may be written in: humantime's spellings of ms, s, m and h (days and
/// longer read too easily as a slip in a setting measured in seconds).
const CLOCK_UNITS: &[&str] = &[
    "ms", "msec", "millis", "s", "sec", "secs", "second", "seconds", "m", "min", "mins", "minute",
    "minutes", "h", "hr", "hrs", "hour", "hours",
];

/// `90` or `0.5` (seconds, as the variables have always been read), or humantime's `90s`,
/// `45m`, `1h 30m`, `2.5h`.
fn duration(raw: &str) -> Option<Duration> {
    let raw = raw.trim();
    if let Ok(secs) = raw.parse::<f64>() {
        return (secs >= 0.0)
            .then(|| Duration::try_from_secs_f64(secs).ok())
            .flatten();
    }
    let units_known = raw
        .split(|c: char| !c.is_alphabetic())
        .filter(|unit| !unit.is_empty())
        .all(|unit| CLOCK_UNITS.contains(&unit));
    units_known
        .then(|| humantime::parse_duration(raw).ok())
        .flatten()
}

fn duration_within(
    raw: &str,
    range: std::ops::RangeInclusive<Duration>,
    expected: &'static str,
) -> Result<Duration, Invalid> {
    duration(raw)
        .filter(|d| range.contains(d))
        .ok_or_else(|| Invalid::quoting(raw, expected))
}

/// A `_SEC` setting: 0 to a day.
pub fn seconds(raw: &str) -> Result<Duration, Invalid> {
    duration_within(
        raw,
        Duration::ZERO..=DAY,
        "a number of seconds between 0 and 86400, e.g. 2.5 (or 90s, 15m, 1h)",
    )
}

/// A `_SEC` setting that cannot be zero (a zero timeout would fail every call).
pub fn positive_seconds(raw: &str) -> Result<Duration, Invalid> {
    duration_within(
        raw,
        Duration::from_nanos(1)..=DAY,
        "a number of seconds above 0, e.g. 15 or 0.5",
    )
}

/// A heartbeat: at least a second, so that a busy worker is not taken for dead.
pub fn heartbeat(raw: &str) -> Result<Duration, Invalid> {
    duration_within(
        raw,
        Duration::from_secs(1)..=DAY,
        "a number of seconds, at least 1",
    )
}

/// A grace window: up to a week.
pub fn grace(raw: &str) -> Result<Duration, Invalid> {
    duration_within(
        raw,
        Duration::ZERO..=7 * DAY,
        "a duration up to 7 days: seconds, or a number with s, m or h, e.g. 3h",
    )
}

/// A shift of the clock: seconds (fractions allowed, negative for the past) within ±100
/// years.
pub fn clock_offset(raw: &str) -> Result<chrono::Duration, Invalid> {
    const EXPECTED: &str = "a number of seconds within ±100 years, e.g. 3600 or -86400.5";
    let (sign, magnitude) = match raw.trim().strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, raw.trim()),
    };
    duration(magnitude)
        .filter(|d| d.as_secs() <= 100 * 366 * 86_400)
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .map(|d| d * sign)
        .ok_or_else(|| Invalid::quoting(raw, EXPECTED))
}

/// A whole number, zero allowed.
pub fn count(raw: &str) -> Result<u32, Invalid> {
    raw.parse::<u32>()
        .map_err(|_| Invalid::quoting(raw, "a whole number, 0 or more"))
}

fn whole_within(
    raw: &str,
    range: std::ops::RangeInclusive<u32>,
    expected: &'static str,
) -> Result<u32, Invalid> {
    raw.parse::<u32>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| Invalid::quoting(raw, expected))
}

/// Attempts of something: at least one.
pub fn attempts(raw: &str) -> Result<u32, Invalid> {
    whole_within(raw, 1..=u32::MAX, "a whole number of attempts, at least 1")
}

/// Jobs run at once: at least one.
pub fn concurrency(raw: &str) -> Result<u32, Invalid> {
    whole_within(raw, 1..=u32::MAX, "a whole number of jobs, at least 1")
}

/// The bot's rate of messages (all processes', when they share their pacing).
pub fn messages_per_sec(raw: &str) -> Result<u32, Invalid> {
    whole_within(
        raw,
        1..=30,
        "1 to 30 (Telegram allows a bot 30 messages/s; with SHARED_PACING=false give each of N processes 30/N)",
    )
}

/// A yes or no.
pub fn switch(raw: &str) -> Result<bool, Invalid> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err(Invalid::quoting(raw, "true or false")),
    }
}

/// How many times as often alert rules are checked.
pub fn speedup(raw: &str) -> Result<u32, Invalid> {
    whole_within(
        raw,
        1..=86_400,
        "a whole number from 1 (real intervals) to 86400",
    )
}

/// An http(s) base URL.
pub fn api_url(raw: &str) -> Result<Url, Invalid> {
    const EXPECTED: &str = "an http(s) base URL, e.g. http://127.0.0.1:8081";
    let url = Url::parse(raw).map_err(|e| Invalid::new(e.to_string(), EXPECTED))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Invalid::new(
            format!("'{raw}' is not an http(s) URL"),
            EXPECTED,
        ));
    }
    Ok(url)
}

pub fn socket_addr(raw: &str) -> Result<SocketAddr, Invalid> {
    raw.parse::<SocketAddr>().map_err(|_| {
        Invalid::new(
            format!("'{raw}' is not an address with a port"),
            "IP:PORT, e.g. 0.0.0.0:8080 or 127.0.0.1:9090",
        )
    })
}

pub fn chat_id(raw: &str) -> Result<ChatId, Invalid> {
    raw.parse::<ChatId>().map_err(|_| {
        Invalid::new(
            format!("'{raw}' is not a number"),
            "a Telegram chat id, e.g. 123456789 or -1001234567890",
        )
    })
}

/// Telegram user ids separated by commas, spaces or semicolons.
pub fn user_ids(raw: &str) -> Result<BTreeSet<UserId>, Invalid> {
    raw.split([',', ' ', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .map(UserId)
                .ok_or_else(|| {
                    Invalid::new(
                        format!("'{s}' is not a Telegram user id"),
                        "comma-separated positive Telegram user ids, e.g. 12345,67890",
                    )
                })
        })
        .collect()
}

pub fn log_format(raw: &str) -> Result<LogFormat, Invalid> {
    raw.parse::<LogFormat>()
        .map_err(|problem| Invalid::new(problem, "text or json"))
}

/// The bot's token; a bad one is described, never echoed.
pub fn bot_token(raw: &str) -> Result<BotToken, Invalid> {
    BotToken::parse(raw).map_err(|e| Invalid::new(e.to_string(), BotToken::EXPECTED))
}

pub fn database_url(raw: &str) -> Result<DatabaseUrl, Invalid> {
    DatabaseUrl::parse(raw).map_err(|e| Invalid::new(e.to_string(), DatabaseUrl::EXPECTED))
}

/// The key for secrets at rest; a bad one is described, never echoed.
pub fn secret_key(raw: &str) -> Result<SecretKey, Invalid> {
    SecretKey::parse(raw).map_err(|e| Invalid::new(e.to_string(), SecretKey::EXPECTED))
}

/// A name for this process' job workers.
pub fn worker_name(raw: &str) -> Result<String, Invalid> {
    let name = raw.trim();
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(Invalid::quoting(raw, "a name without control characters"));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_documented() {
        let d = |raw| duration(raw).unwrap_or_else(|| panic!("{raw} reads"));
        assert_eq!(d("90"), Duration::from_secs(90));
        assert_eq!(d("0.5"), Duration::from_millis(500));
        assert_eq!(d("45m"), Duration::from_secs(45 * 60));
        assert_eq!(d("3h"), Duration::from_secs(3 * 3600));
        assert_eq!(d("1h 30m"), Duration::from_secs(5400));
        assert_eq!(d("1.5h"), Duration::from_secs(5400));
        assert_eq!(d("250ms"), Duration::from_millis(250));
        for bad in [
            "3 days", "2d", "-1h", "-1", "soon", "NaN", "inf", "", "1e400",
        ] {
            assert_eq!(duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn each_kind_of_duration_keeps_its_range() {
        assert!(seconds("0").is_ok() && seconds("86400").is_ok() && seconds("86401").is_err());
        assert!(positive_seconds("0").is_err() && positive_seconds("0.01").is_ok());
        assert!(heartbeat("0.5").is_err() && heartbeat("1").is_ok());
        assert!(grace("7d").is_err() && grace("168h").is_ok() && grace("169h").is_err());
        let err = seconds("soon").expect_err("not a duration");
        assert_eq!(err.problem, "'soon'");
    }

    #[test]
    fn the_clock_offset_is_signed_and_bounded() {
        assert_eq!(
            clock_offset("-86400.5").expect("valid"),
            chrono::Duration::milliseconds(-86_400_500)
        );
        assert_eq!(
            clock_offset("2h").expect("valid"),
            chrono::Duration::hours(2)
        );
        for bad in ["tomorrow", "1e12", "NaN", "--5"] {
            assert!(clock_offset(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn whole_numbers_keep_their_ranges() {
        assert_eq!(count("0"), Ok(0));
        assert!(count("-1").is_err());
        assert!(attempts("0").is_err() && attempts("3").is_ok());
        assert!(messages_per_sec("31").is_err() && messages_per_sec("30").is_ok());
        assert_eq!(switch("Off"), Ok(false));
        assert_eq!(switch("yes"), Ok(true));
        assert!(switch("maybe").is_err());
        assert!(speedup("0").is_err() && speedup("86400").is_ok());
    }
}
