//! User-facing texts, loaded from the locale files in `locales/` (compiled in).
//!
//! Russian is the default; English is used when Telegram reports a `language_code` starting
//! with `en`. Handlers name texts by the typed [`Msg`] key, never by literal strings.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Ru,
    En,
}

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

    fn source(self) -> &'static str {
        match self {
            Lang::Ru => include_str!("../locales/ru.toml"),
            Lang::En => include_str!("../locales/en.toml"),
        }
    }
}

/// Every text the bot says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Msg {
    Greeting,
    Help,
    NotAllowed,
    UnknownInput,
    CmdStart,
    CmdHelp,
}

impl Msg {
    pub const ALL: [Msg; 6] = [
        Msg::Greeting,
        Msg::Help,
        Msg::NotAllowed,
        Msg::UnknownInput,
        Msg::CmdStart,
        Msg::CmdHelp,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Msg::Greeting => "greeting",
            Msg::Help => "help",
            Msg::NotAllowed => "not_allowed",
            Msg::UnknownInput => "unknown_input",
            Msg::CmdStart => "cmd_start",
            Msg::CmdHelp => "cmd_help",
        }
    }
}

type Catalog = HashMap<String, String>;

fn parse(source: &str) -> Result<Catalog, String> {
    let table: toml::Table = toml::from_str(source).map_err(|e| e.to_string())?;
    table
        .into_iter()
        .map(|(k, v)| match v {
            toml::Value::String(s) => Ok((k, s.trim().to_owned())),
            other => Err(format!("{k} is a {}, not a string", other.type_str())),
        })
        .collect()
}

fn catalog(lang: Lang) -> &'static Catalog {
    static RU: OnceLock<Catalog> = OnceLock::new();
    static EN: OnceLock<Catalog> = OnceLock::new();
    let cell = match lang {
        Lang::Ru => &RU,
        Lang::En => &EN,
    };
    // The files are compiled in and checked by the tests below, so a parse failure is a build
    // defect; fall back to an empty catalog (keys show as themselves) rather than panic.
    cell.get_or_init(|| parse(lang.source()).unwrap_or_default())
}

/// The text of `msg` in `lang`.
pub fn text(lang: Lang, msg: Msg) -> &'static str {
    catalog(lang)
        .get(msg.key())
        .map(String::as_str)
        .unwrap_or(msg.key())
}

/// The text with `{name}` placeholders replaced.
pub fn format(lang: Lang, msg: Msg, args: &[(&str, &str)]) -> String {
    args.iter()
        .fold(text(lang, msg).to_owned(), |acc, (name, value)| {
            acc.replace(&format!("{{{name}}}"), value)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn placeholders(text: &str) -> BTreeSet<String> {
        text.split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
            .collect()
    }

    #[test]
    fn every_locale_file_parses_and_has_every_key_with_the_same_placeholders() {
        let ru = parse(Lang::Ru.source()).expect("ru.toml parses");
        let en = parse(Lang::En.source()).expect("en.toml parses");
        let keys: BTreeSet<_> = ru.keys().collect();
        assert_eq!(keys, en.keys().collect(), "ru and en have different keys");
        for msg in Msg::ALL {
            let (r, e) = (&ru[msg.key()], &en[msg.key()]);
            assert!(!r.is_empty() && !e.is_empty(), "{} is empty", msg.key());
            assert_eq!(placeholders(r), placeholders(e), "{}", msg.key());
        }
        assert_eq!(
            keys.len(),
            Msg::ALL.len(),
            "a locale key has no Msg variant"
        );
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
    fn placeholders_are_filled() {
        let text = format(Lang::En, Msg::Greeting, &[("name", "Anna")]);
        assert!(text.starts_with("Hello, Anna!"));
    }
}
