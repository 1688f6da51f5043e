//! Numbers, money and dates as a Russian or English reader expects them.

use chrono::NaiveDate;

use crate::avito::money::Kopecks;
use crate::i18n::Lang;

/// Thousands separator: a no-break space in Russian (so a number never wraps), a comma in
/// English.
fn group_sep(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "\u{a0}",
        Lang::En => ",",
    }
}

fn decimal_sep(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => ",",
        Lang::En => ".",
    }
}

/// The typographic minus, as in "▼ −5%".
pub const MINUS: &str = "\u{2212}";

fn group(digits: &str, sep: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * sep.len());
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

/// 1234567 → "1 234 567" (ru) / "1,234,567" (en).
pub fn integer(n: i64, lang: Lang) -> String {
    let digits = n.unsigned_abs().to_string();
    let sign = if n < 0 { MINUS } else { "" };
    format!("{sign}{}", group(&digits, group_sep(lang)))
}

/// Kopecks as roubles: "12 345,67 ₽", or "12 345 ₽" for whole roubles.
pub fn money(k: Kopecks, lang: Lang) -> String {
    let sign = if k.0 < 0 { MINUS } else { "" };
    let abs = k.0.unsigned_abs();
    let roubles = group(&(abs / 100).to_string(), group_sep(lang));
    let kopecks = abs % 100;
    if kopecks == 0 {
        format!("{sign}{roubles}\u{a0}₽")
    } else {
        format!("{sign}{roubles}{}{kopecks:02}\u{a0}₽", decimal_sep(lang))
    }
}

/// A score in stars, always with its tenths: 4 → "4,0", 4.34 → "4,3".
pub fn stars(x: f64, lang: Lang) -> String {
    let text = decimal(x, 1, lang);
    if text.contains(decimal_sep(lang)) {
        text
    } else {
        format!("{text}{}0", decimal_sep(lang))
    }
}

/// A number with at most `decimals` decimals, trailing zeros trimmed: 4.50 → "4,5".
pub fn decimal(x: f64, decimals: usize, lang: Lang) -> String {
    let text = format!("{:.*}", decimals, x.abs());
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    };
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let sign = if x < 0.0 && text != "0" { MINUS } else { "" };
    let int = group(int, group_sep(lang));
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}{}{frac}", decimal_sep(lang))
    }
}

pub fn percent(x: f64, lang: Lang) -> String {
    format!("{}%", decimal(x, 2, lang))
}

/// 22.11.2026 (ru) / 22 Nov 2026 (en).
pub fn date(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Ru => d.format("%d.%m.%Y").to_string(),
        Lang::En => d.format("%-d %b %Y").to_string(),
    }
}

/// Escapes text for Telegram's HTML parse mode.
pub fn html_escape(text: &str) -> String {
    teloxide::utils::html::escape(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_grouped_by_thousands() {
        assert_eq!(integer(0, Lang::Ru), "0");
        assert_eq!(integer(999, Lang::Ru), "999");
        assert_eq!(integer(1234, Lang::Ru), "1\u{a0}234");
        assert_eq!(integer(1234567, Lang::En), "1,234,567");
        assert_eq!(integer(-5000, Lang::Ru), "\u{2212}5\u{a0}000");
    }

    #[test]
    fn kopecks_render_as_roubles() {
        assert_eq!(money(Kopecks(1_234_567), Lang::Ru), "12\u{a0}345,67\u{a0}₽");
        assert_eq!(money(Kopecks(1_234_500), Lang::Ru), "12\u{a0}345\u{a0}₽");
        assert_eq!(money(Kopecks(5), Lang::En), "0.05\u{a0}₽");
        assert_eq!(money(Kopecks(-5000), Lang::Ru), "\u{2212}50\u{a0}₽");
    }

    #[test]
    fn decimals_trim_trailing_zeros() {
        assert_eq!(percent(4.5, Lang::Ru), "4,5%");
        assert_eq!(percent(12.0, Lang::En), "12%");
        assert_eq!(decimal(0.333, 1, Lang::En), "0.3");
        assert_eq!(decimal(-0.04, 1, Lang::En), "0");
    }

    #[test]
    fn stars_keep_their_tenths() {
        assert_eq!(stars(4.0, Lang::Ru), "4,0");
        assert_eq!(stars(4.34, Lang::En), "4.3");
        assert_eq!(stars(3.76, Lang::Ru), "3,8");
    }

    #[test]
    fn dates_follow_the_language() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
        assert_eq!(date(d, Lang::Ru), "02.11.2026");
        assert_eq!(date(d, Lang::En), "2 Nov 2026");
    }
}
