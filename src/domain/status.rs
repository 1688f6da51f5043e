//! States and kinds the database records, as enums: compared as values, stored as the slugs
//! the rows have always held (`sent`, `auth_failed`, …), read once when a row is loaded.

/// A stored slug that names no variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a {what}")]
pub struct UnknownSlug {
    pub what: &'static str,
    pub value: String,
}

/// Declares a string-backed enum with its slugs, `FromStr`/`Display` by slug, and a sea-orm
/// value type over a text column.
macro_rules! slug_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $slug:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sea_orm::DeriveValueType)]
        #[sea_orm(value_type = "String")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn slug(self) -> &'static str {
                match self {
                    $($name::$variant => $slug),+
                }
            }

            pub fn from_slug(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.slug() == s)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::domain::status::UnknownSlug;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::from_slug(s).ok_or_else(|| $crate::domain::status::UnknownSlug {
                    what: $what,
                    value: s.to_owned(),
                })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.slug())
            }
        }
    };
}

pub(crate) use slug_enum;

slug_enum!(
    /// The outcome of a delivery (`report_runs.status`).
    RunStatus, "run status" {
        Pending => "pending",
        Sent => "sent",
        Failed => "failed",
        Skipped => "skipped",
    }
);

slug_enum!(
    /// The kind of a report delivery (`report_runs.kind`).
    RunKind, "run kind" {
        Scheduled => "scheduled",
        Now => "now",
        Historical => "historical",
        Stats => "stats",
    }
);

slug_enum!(
    /// Where an export stands (`exports.status`).
    ExportStatus, "export status" {
        Queued => "queued",
        Running => "running",
        Done => "done",
        Failed => "failed",
    }
);

slug_enum!(
    /// What an export writes (`exports.kind`).
    ExportKind, "export kind" {
        /// Avito Messenger chats and messages.
        Chats => "chats",
        /// Statistics per day and per item over a period.
        Stats => "stats",
    }
);

slug_enum!(
    /// Whether a profile's credentials work (`avito_profiles.status`).
    ProfileStatus, "profile status" {
        Ok => "ok",
        /// Avito refused the client id / secret.
        AuthFailed => "auth_failed",
    }
);

slug_enum!(
    /// Where an answer to a review written in Telegram stands (`review_answers.state`). It
    /// moves by compare-and-swap only: draft → sending → sent → published | rejected; a draft
    /// may be cancelled, a sending one may fail (Avito refused it) or be left `sending` by a
    /// timeout or a crash — then the review is read before anything is sent again.
    AnswerState, "answer state" {
        /// Written and shown back; not sent.
        Draft => "draft",
        /// Recorded before Avito was called: the outcome is not known yet.
        Sending => "sending",
        /// Avito took it; moderation decides.
        Sent => "sent",
        Published => "published",
        Rejected => "rejected",
        /// Avito refused it for good (no right to answer, no such review, bad text).
        Failed => "failed",
        Cancelled => "cancelled",
    }
);

slug_enum!(
    /// Why a listing is not shown to buyers, as the blocked-or-rejected rule tells it
    /// (`listings_seen.status`).
    ListingFlag, "listing flag" {
        Blocked => "blocked",
        Rejected => "rejected",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip_and_unknown_ones_are_named() {
        for s in RunStatus::ALL {
            assert_eq!(s.slug().parse::<RunStatus>(), Ok(*s));
        }
        for k in RunKind::ALL {
            assert_eq!(k.to_string().parse::<RunKind>(), Ok(*k));
        }
        let err = "delivered".parse::<RunStatus>().expect_err("unknown");
        assert_eq!(err.to_string(), "'delivered' is not a run status");
        assert_eq!(ProfileStatus::AuthFailed.slug(), "auth_failed");
        assert_eq!(ExportStatus::from_slug("done"), Some(ExportStatus::Done));
    }
}
