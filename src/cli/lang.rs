//! `--lang`, parsed once into the bot's [`Lang`].

use crate::i18n::Lang;

/// `--lang` of the commands that write for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LangArg {
    Ru,
    En,
}

impl From<LangArg> for Lang {
    fn from(lang: LangArg) -> Self {
        match lang {
            LangArg::Ru => Lang::Ru,
            LangArg::En => Lang::En,
        }
    }
}
