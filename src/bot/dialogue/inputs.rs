//! Typed input, parsed and validated: names, credentials, times, zones and numbers. Pure:
//! each returns the value, or the problem in the user's language.

use chrono::NaiveTime;
use chrono_tz::Tz;

use crate::bot::texts::{T, t, tf};
use crate::db::tasks::{INTERVAL_DAYS, MONTH_DAYS};
use crate::domain::ScheduleTime;
use crate::i18n::Lang;
use crate::report::html_escape;

/// Profile names: short enough for buttons and report headings.
pub const MAX_NAME_CHARS: usize = 64;

/// Longest client id / secret accepted (Avito's are far shorter; this only stops pastes of
/// whole documents).
const MAX_CREDENTIAL_CHARS: usize = 256;

pub fn name(lang: Lang, text: &str) -> Result<String, String> {
    // Names go into one-line buttons: collapse runs of whitespace and line breaks.
    let name = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(t(lang, T::InputEmpty));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(tf(
            lang,
            T::InputTooLong,
            &[("max", &MAX_NAME_CHARS.to_string())],
        ));
    }
    Ok(name)
}

/// `HH:MM` (also `H:MM` and `HH.MM`), normalised to `HH:MM`.
pub fn time(lang: Lang, text: &str) -> Result<ScheduleTime, String> {
    let input = text.trim();
    let bad = || {
        tf(
            lang,
            T::TimeBad,
            &[(
                "input",
                &html_escape(&input.chars().take(20).collect::<String>()),
            )],
        )
    };
    let normal = input.replace('.', ":");
    let (h, m) = normal.split_once(':').ok_or_else(bad)?;
    let digits = |s: &str, max_len| {
        !s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(h, 2) || m.len() != 2 || !digits(m, 2) {
        return Err(bad());
    }
    let at = NaiveTime::from_hms_opt(
        h.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        0,
    )
    .ok_or_else(bad)?;
    Ok(ScheduleTime::new(at))
}

/// An IANA zone name, case-insensitively (`europe/moscow` works).
pub fn time_zone(lang: Lang, text: &str) -> Result<Tz, String> {
    let input = text.trim();
    input
        .parse::<Tz>()
        .ok()
        .or_else(|| {
            chrono_tz::TZ_VARIANTS
                .iter()
                .find(|tz| tz.name().eq_ignore_ascii_case(input))
                .copied()
        })
        .ok_or_else(|| {
            tf(
                lang,
                T::TzBad,
                &[(
                    "input",
                    &html_escape(&input.chars().take(40).collect::<String>()),
                )],
            )
        })
}

fn number_in(text: &str, range: &std::ops::RangeInclusive<i32>) -> Option<i32> {
    text.trim().parse().ok().filter(|n| range.contains(n))
}

pub fn interval(lang: Lang, text: &str) -> Result<i32, String> {
    number_in(text, &INTERVAL_DAYS).ok_or_else(|| t(lang, T::IntervalBad))
}

pub fn month_day(lang: Lang, text: &str) -> Result<i32, String> {
    number_in(text, &MONTH_DAYS).ok_or_else(|| t(lang, T::MonthDayBad))
}

/// A client id or secret: one token, no whitespace.
pub fn credential(lang: Lang, text: &str) -> Result<String, String> {
    let value = text.trim();
    if value.is_empty() {
        return Err(t(lang, T::InputEmpty));
    }
    if value.chars().count() > MAX_CREDENTIAL_CHARS {
        return Err(tf(
            lang,
            T::InputTooLong,
            &[("max", &MAX_CREDENTIAL_CHARS.to_string())],
        ));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(t(lang, T::InputWhitespace));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_validated_and_normalised() {
        let shown = |text| time(Lang::En, text).map(|t| t.to_string());
        assert_eq!(shown("9:30"), Ok("09:30".to_owned()));
        assert_eq!(shown(" 21.05 "), Ok("21:05".to_owned()));
        assert_eq!(shown("00:00"), Ok("00:00".to_owned()));
        for bad in [
            "24:00", "12:60", "1230", "12:5", "noon", "", "-1:00", "123:00",
        ] {
            assert!(time(Lang::En, bad).is_err(), "{bad}");
        }
        assert!(time(Lang::Ru, "25:00").expect_err("bad").contains("ЧЧ:ММ"));
    }

    #[test]
    fn time_zones_are_iana_names_in_any_case() {
        assert_eq!(
            time_zone(Lang::En, "Asia/Novosibirsk"),
            Ok(chrono_tz::Asia::Novosibirsk)
        );
        assert_eq!(
            time_zone(Lang::En, "europe/moscow"),
            Ok(chrono_tz::Europe::Moscow)
        );
        assert!(time_zone(Lang::En, "Mars/Olympus").is_err());
        assert!(time_zone(Lang::En, "MSK+1").is_err());
    }

    #[test]
    fn numbers_and_names_are_bounded() {
        assert_eq!(interval(Lang::En, "365"), Ok(365));
        assert!(interval(Lang::En, "0").is_err());
        assert!(interval(Lang::En, "366").is_err());
        assert!(interval(Lang::En, "two").is_err());
        assert_eq!(month_day(Lang::En, "31"), Ok(31));
        assert!(month_day(Lang::En, "32").is_err());
        assert_eq!(
            name(Lang::En, "  Shop \n main "),
            Ok("Shop main".to_owned())
        );
        assert!(name(Lang::En, "   ").is_err());
        assert!(name(Lang::En, &"я".repeat(65)).is_err());
        assert!(name(Lang::En, &"я".repeat(64)).is_ok());
    }

    #[test]
    fn credentials_are_single_tokens() {
        assert_eq!(
            credential(Lang::En, "  client-1 "),
            Ok("client-1".to_owned())
        );
        assert!(credential(Lang::En, "").is_err());
        assert!(
            credential(Lang::En, "client 1")
                .expect_err("space")
                .contains("spaces")
        );
        assert!(credential(Lang::En, &"x".repeat(300)).is_err());
        assert!(credential(Lang::En, &"x".repeat(256)).is_ok());
    }
}
