//! User-facing texts, loaded from the locale files in `locales/<lang>/<area>.toml` (compiled
//! in).
//!
//! Russian is the default; English is used when Telegram reports a `language_code` starting
//! with `en`. Each area of the bot declares its own typed keys with [`text_keys!`], so handlers
//! name texts by enum variants, never by literal strings, and a test per area proves every key
//! exists in every language with the same placeholders.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Ru,
    En,
}

/// Every locale file, per language. Add an area's file to both lists.
const RU_FILES: &[(&str, &str)] = &[
    ("core", include_str!("../locales/ru/core.toml")),
    ("report", include_str!("../locales/ru/report.toml")),
    ("hub", include_str!("../locales/ru/hub.toml")),
    ("export", include_str!("../locales/ru/export.toml")),
    ("jobs", include_str!("../locales/ru/jobs.toml")),
    ("alerts", include_str!("../locales/ru/alerts.toml")),
    ("keys", include_str!("../locales/ru/keys.toml")),
    ("reviews", include_str!("../locales/ru/reviews.toml")),
];
const EN_FILES: &[(&str, &str)] = &[
    ("core", include_str!("../locales/en/core.toml")),
    ("report", include_str!("../locales/en/report.toml")),
    ("hub", include_str!("../locales/en/hub.toml")),
    ("export", include_str!("../locales/en/export.toml")),
    ("jobs", include_str!("../locales/en/jobs.toml")),
    ("alerts", include_str!("../locales/en/alerts.toml")),
    ("keys", include_str!("../locales/en/keys.toml")),
    ("reviews", include_str!("../locales/en/reviews.toml")),
];

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Ru, Lang::En];

    /// The language for a Telegram `language_code`.
    pub fn from_code(code: Option<&str>) -> Self {
        match code {
            Some(c) if c.to_ascii_lowercase().starts_with("en") => Lang::En,
            _ => Lang::Ru,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    fn files(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Lang::Ru => RU_FILES,
            Lang::En => EN_FILES,
        }
    }
}

/// A typed text key; implemented by the enums [`text_keys!`] declares.
pub trait TextKey: Copy {
    /// `area.key`, as in the locale files.
    fn key(self) -> &'static str;
}

/// Declares an enum of text keys of one locale area:
/// `text_keys!(pub enum HubText in "hub" { Title => "title", ... });`
#[macro_export]
macro_rules! text_keys {
    ($vis:vis enum $name:ident in $area:literal { $($variant:ident => $key:literal),* $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name { $($variant),* }

        impl $name {
            /// Every key, for the completeness test.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
        }

        impl $crate::i18n::TextKey for $name {
            fn key(self) -> &'static str {
                match self { $($name::$variant => concat!($area, ".", $key)),* }
            }
        }
    };
}

type Catalog = HashMap<String, String>;

fn parse_file(area: &str, source: &str) -> Result<Catalog, String> {
    let table: toml::Table = toml::from_str(source).map_err(|e| format!("{area}: {e}"))?;
    table
        .into_iter()
        .map(|(k, v)| match v {
            toml::Value::String(s) => Ok((format!("{area}.{k}"), s.trim().to_owned())),
            other => Err(format!(
                "{area}.{k} is a {}, not a string",
                other.type_str()
            )),
        })
        .collect()
}

fn parse(lang: Lang) -> Result<Catalog, String> {
    let mut all = Catalog::new();
    for (area, source) in lang.files() {
        all.extend(parse_file(area, source)?);
    }
    Ok(all)
}

fn catalog(lang: Lang) -> &'static Catalog {
    static RU: OnceLock<Catalog> = OnceLock::new();
    static EN: OnceLock<Catalog> = OnceLock::new();
    let cell = match lang {
        Lang::Ru => &RU,
        Lang::En => &EN,
    };
    // The files are compiled in and checked by the tests, so a parse failure is a build
    // defect; fall back to an empty catalog (keys show as themselves) rather than panic.
    cell.get_or_init(|| parse(lang).unwrap_or_default())
}

/// The text of `key` in `lang`.
pub fn text(lang: Lang, key: impl TextKey) -> &'static str {
    let key = key.key();
    catalog(lang).get(key).map(String::as_str).unwrap_or(key)
}

/// The text with `{name}` placeholders replaced.
pub fn format(lang: Lang, key: impl TextKey, args: &[(&str, &str)]) -> String {
    fill(text(lang, key), args)
}

/// A placeholder's brackets, named so that brace-counting tools read the functions right.
const OPEN: char = '{';
const CLOSE: char = '}';

/// Replaces the `{name}` placeholders of `template` in one pass over the template: a value is
/// copied as it is and never scanned again, so a profile named `{title}` stays `{title}`.
/// A placeholder with no argument is left as written.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out =
        String::with_capacity(template.len() + args.iter().map(|(_, v)| v.len()).sum::<usize>());
    let mut rest = template;
    while let Some((before, after)) = rest.split_once(OPEN) {
        out.push_str(before);
        let named = after.split_once(CLOSE).and_then(|(name, tail)| {
            let (_, value) = args.iter().find(|(n, _)| *n == name)?;
            Some((*value, tail))
        });
        match named {
            Some((value, tail)) => {
                out.push_str(value);
                rest = tail;
            }
            None => {
                out.push(OPEN);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Checks that every key of an area exists in every language with the same placeholders, and
/// that the files hold no key the enum lacks. Each area calls it from a test.
pub fn check_area<K: TextKey>(area: &str, keys: &[K]) -> Result<(), String> {
    let prefix = format!("{area}.");
    let mut per_lang = Vec::new();
    for lang in Lang::ALL {
        let catalog = parse(lang)?;
        let in_files: std::collections::BTreeSet<String> = catalog
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .cloned()
            .collect();
        let in_enum: std::collections::BTreeSet<String> =
            keys.iter().map(|k| k.key().to_owned()).collect();
        if in_files != in_enum {
            return Err(format!(
                "{}: keys in files but not in the enum: {:?}; in the enum but not in files: {:?}",
                lang.code(),
                in_files.difference(&in_enum).collect::<Vec<_>>(),
                in_enum.difference(&in_files).collect::<Vec<_>>()
            ));
        }
        per_lang.push(catalog);
    }
    for key in keys {
        let texts: Vec<&String> = per_lang.iter().filter_map(|c| c.get(key.key())).collect();
        if texts.iter().any(|t| t.is_empty()) {
            return Err(format!("{} is empty in some language", key.key()));
        }
        let shapes: Vec<_> = texts.iter().map(|t| placeholders(t)).collect();
        if shapes.windows(2).any(|w| w[0] != w[1]) {
            return Err(format!(
                "{} has different placeholders across languages",
                key.key()
            ));
        }
    }
    Ok(())
}

fn placeholders(text: &str) -> std::collections::BTreeSet<String> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .filter(|name| name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .collect()
}

text_keys!(pub enum Msg in "core" {
    Greeting => "greeting",
    Help => "help",
    NotAllowed => "not_allowed",
    UnknownInput => "unknown_input",
    CmdStart => "cmd_start",
    CmdHelp => "cmd_help",
    MayRepeat => "may_repeat",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_texts_exist_in_every_language_with_the_same_placeholders() {
        check_area("core", Msg::ALL).expect("core texts complete");
    }

    #[test]
    fn every_locale_file_parses() {
        for lang in Lang::ALL {
            parse(lang).expect("locale files parse");
        }
    }

    #[test]
    fn language_is_english_only_for_en_codes() {
        assert_eq!(Lang::from_code(Some("en")), Lang::En);
        assert_eq!(Lang::from_code(Some("en-GB")), Lang::En);
        assert_eq!(Lang::from_code(Some("ru")), Lang::Ru);
        assert_eq!(Lang::from_code(Some("de")), Lang::Ru);
        assert_eq!(Lang::from_code(None), Lang::Ru);
    }

    #[test]
    fn values_are_never_rescanned_for_placeholders() {
        let t = "«{name}» reports {title} at {time}";
        assert_eq!(
            fill(
                t,
                &[("name", "{title}"), ("title", "{time}"), ("time", "09:00")]
            ),
            "«{title}» reports {time} at 09:00"
        );
        assert_eq!(fill("{a}{b}", &[("a", "{"), ("b", "}")]), "{}");
        assert_eq!(fill("{unknown} {x", &[("x", "1")]), "{unknown} {x");
        assert_eq!(
            fill("ёлка {n}", &[("n", "<b>&amp;</b>")]),
            "ёлка <b>&amp;</b>"
        );
    }

    #[test]
    fn placeholders_are_filled() {
        let text = format(Lang::En, Msg::Greeting, &[("name", "Anna")]);
        assert!(text.starts_with("Hello, Anna!"));
    }
}
