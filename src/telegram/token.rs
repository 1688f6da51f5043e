//! The bot's token from @BotFather, checked for its shape when it is read.

/// A Telegram bot token, `<bot id>:<secret>`. Its `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct BotToken(String);

/// What is wrong with a token; never shows the token itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadToken(&'static str);

impl BotToken {
    pub const EXPECTED: &'static str = "the token from @BotFather, like 123456789:AAE...";

    pub fn parse(raw: &str) -> Result<Self, BadToken> {
        let raw = raw.trim();
        let (id, secret) = raw
            .split_once(':')
            .ok_or(BadToken("no ':' between the bot id and the secret"))?;
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BadToken("the part before ':' must be the numeric bot id"));
        }
        let secret_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
        if secret.is_empty() || !secret.bytes().all(secret_char) {
            return Err(BadToken(
                "the part after ':' must be letters, digits, '_' or '-'",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for BotToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let id = self.0.split(':').next().unwrap_or_default();
        write!(f, "BotToken({id}:***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_a_numeric_id_and_a_secret() {
        let token = BotToken::parse(" 123456:AAE-x_9 ").expect("valid");
        assert_eq!(token.expose(), "123456:AAE-x_9");
        for bad in ["supersecretvalue", ":abc", "12a:abc", "123:", "123:a b"] {
            assert!(BotToken::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_hides_the_secret() {
        let token = BotToken::parse("123:hidden").expect("valid");
        assert_eq!(format!("{token:?}"), "BotToken(123:***)");
    }
}
