//! Avito API client credentials (an application's client id and secret).

use super::error::AvitoError;

/// A client id / secret pair, validated on construction. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    client_id: String,
    client_secret: String,
}

impl Credentials {
    const MAX_LEN: usize = 256;

    pub fn new(client_id: &str, client_secret: &str) -> Result<Self, AvitoError> {
        Ok(Self {
            client_id: Self::field("client_id", client_id)?,
            client_secret: Self::field("client_secret", client_secret)?,
        })
    }

    fn field(name: &str, value: &str) -> Result<String, AvitoError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(AvitoError::InvalidRequest(format!("{name} is empty")));
        }
        if value.len() > Self::MAX_LEN {
            return Err(AvitoError::InvalidRequest(format!(
                "{name} is longer than {} characters",
                Self::MAX_LEN
            )));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(AvitoError::InvalidRequest(format!(
                "{name} must not contain spaces or line breaks"
            )));
        }
        Ok(value.to_owned())
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_trimmed_validated_and_the_secret_hidden() {
        let c = Credentials::new(" id-1 ", "s3cr3t").expect("valid");
        assert_eq!(c.client_id(), "id-1");
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert!(Credentials::new("", "x").is_err());
        assert!(Credentials::new("a b", "x").is_err());
        assert!(Credentials::new("a", &"x".repeat(300)).is_err());
    }
}
