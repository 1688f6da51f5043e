//! What can be wrong with the configuration: always one line naming the variable.

/// A configuration problem, shown to the operator as one line. Secret values are never part
/// of it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{var} is not set: expected {expected}")]
    Missing {
        var: &'static str,
        expected: &'static str,
    },
    #[error("{var} is invalid ({problem}): expected {expected}")]
    Invalid {
        var: &'static str,
        problem: String,
        expected: &'static str,
    },
    #[error("cannot read .env: {0}")]
    DotEnv(String),
}

/// What is wrong with one value and what is expected instead, before it is known which
/// variable the value came from (the table adds that).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem}")]
pub struct Invalid {
    pub problem: String,
    pub expected: &'static str,
}

impl Invalid {
    pub fn new(problem: impl Into<String>, expected: &'static str) -> Self {
        Self {
            problem: problem.into(),
            expected,
        }
    }

    /// The problem with the value quoted, for values that are not secret.
    pub fn quoting(raw: &str, expected: &'static str) -> Self {
        Self::new(format!("'{raw}'"), expected)
    }

    pub fn of(self, var: &'static str) -> ConfigError {
        ConfigError::Invalid {
            var,
            problem: self.problem,
            expected: self.expected,
        }
    }
}
