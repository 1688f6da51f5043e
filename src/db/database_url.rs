//! Where the database is: a validated `DATABASE_URL`, and which engine it names.

use std::path::PathBuf;

use url::Url;

/// Which database engine a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseKind {
    /// `path` is `None` for an in-memory database.
    Sqlite {
        path: Option<PathBuf>,
    },
    Postgres,
}

/// Where a database keeps the secrets, for finding their key.
impl<'a> From<&'a DatabaseKind> for crate::crypto::KeptIn<'a> {
    fn from(kind: &'a DatabaseKind) -> Self {
        match kind {
            DatabaseKind::Postgres => Self::Server,
            DatabaseKind::Sqlite { path: None } => Self::Memory,
            DatabaseKind::Sqlite { path: Some(path) } => Self::File(path),
        }
    }
}

/// A database URL that names a supported engine and everything it needs.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
    kind: DatabaseKind,
}

/// What is wrong with a database URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadDatabaseUrl(String);

impl DatabaseUrl {
    pub const EXPECTED: &'static str = "sqlite://FILE?mode=rwc, sqlite::memory:, or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE";

    pub fn parse(raw: &str) -> Result<Self, BadDatabaseUrl> {
        let raw = raw.trim();
        if raw == "sqlite::memory:" || raw.starts_with("sqlite::memory:?") {
            return Ok(Self {
                url: raw.to_owned(),
                kind: DatabaseKind::Sqlite { path: None },
            });
        }
        match raw.strip_prefix("sqlite:") {
            Some(rest) => Self::sqlite_file(rest),
            None => Self::server(raw),
        }
    }

    fn sqlite_file(rest: &str) -> Result<Self, BadDatabaseUrl> {
        let rest = rest.trim_start_matches("//");
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() {
            return Err(BadDatabaseUrl("no file path after sqlite:".into()));
        }
        // Without mode=rwc SQLite refuses to create the file on a first run.
        let query = if query.split('&').any(|kv| kv.starts_with("mode=")) {
            query.to_owned()
        } else if query.is_empty() {
            "mode=rwc".to_owned()
        } else {
            format!("{query}&mode=rwc")
        };
        Ok(Self {
            url: format!("sqlite://{path}?{query}"),
            kind: DatabaseKind::Sqlite {
                path: Some(PathBuf::from(path)),
            },
        })
    }

    fn server(raw: &str) -> Result<Self, BadDatabaseUrl> {
        let parsed = Url::parse(raw).map_err(|e| BadDatabaseUrl(format!("not a URL: {e}")))?;
        match parsed.scheme() {
            "postgres" | "postgresql" => {
                if parsed.host_str().is_none_or(str::is_empty) {
                    return Err(BadDatabaseUrl("no host".into()));
                }
                if parsed.path().trim_start_matches('/').is_empty() {
                    return Err(BadDatabaseUrl("no database name".into()));
                }
                Ok(Self {
                    url: raw.to_owned(),
                    kind: DatabaseKind::Postgres,
                })
            }
            other => Err(BadDatabaseUrl(format!("unsupported scheme '{other}'"))),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }

    pub fn kind(&self) -> &DatabaseKind {
        &self.kind
    }
}

impl std::fmt::Debug for DatabaseUrl {
    // A PostgreSQL URL may carry a password: show everything but that.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact_url(&self.url))
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact_url(&self.url))
    }
}

fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode() {
        let url = DatabaseUrl::parse("sqlite:data/bot.db").expect("valid");
        assert_eq!(url.as_str(), "sqlite://data/bot.db?mode=rwc");
        let url = DatabaseUrl::parse("sqlite:///tmp/x.db?mode=ro").expect("valid");
        assert_eq!(url.as_str(), "sqlite:///tmp/x.db?mode=ro");
        let url = DatabaseUrl::parse("sqlite://x.db?cache=shared").expect("valid");
        assert_eq!(url.as_str(), "sqlite://x.db?cache=shared&mode=rwc");
        assert_eq!(
            DatabaseUrl::parse("sqlite::memory:").expect("valid").kind(),
            &DatabaseKind::Sqlite { path: None }
        );
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        for (bad, problem) in [
            ("mysql://x/y", "unsupported scheme 'mysql'"),
            ("postgres://host/", "no database name"),
            ("sqlite:", "no file path after sqlite:"),
        ] {
            let err = DatabaseUrl::parse(bad).expect_err(bad);
            assert_eq!(err.to_string(), problem, "{bad}");
        }
        assert!(DatabaseUrl::parse("not a url").is_err());
        assert!(DatabaseUrl::parse("postgres://").is_err());
    }

    #[test]
    fn postgres_password_is_redacted_in_display() {
        let url = DatabaseUrl::parse("postgres://bot:hunter2@db:5432/reports").expect("valid");
        assert_eq!(url.kind(), &DatabaseKind::Postgres);
        assert!(!url.to_string().contains("hunter2"));
        assert!(!format!("{url:?}").contains("hunter2"));
    }
}
