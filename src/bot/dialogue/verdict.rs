//! What Avito's answer on entered keys means: one pure decision for adding a profile and for
//! entering new keys of one, carried out by `check`.

use crate::avito::AvitoError;
use crate::avito::model::AccountSelf;
use crate::domain::{AccountId, ProfileId};

/// What the entered keys turned out to be.
#[derive(Debug)]
pub enum Verdict {
    /// They work: store them with this account.
    Fits(AccountSelf),
    /// Avito refused them: the client id is asked for again.
    Refused,
    /// They work, for another account than the profile's. They never replace its keys: its
    /// reports, history and alerts are that account's.
    OtherAccount(AccountId),
    /// They work, and the user has connected this account (or these keys) already, as the
    /// profile `id` named `name`.
    Connected {
        id: ProfileId,
        name: String,
        account: AccountSelf,
    },
    /// Avito could not say (unavailable, rate limited, an answer not understood): nothing
    /// typed is known to be wrong, so it is kept for "try again".
    Unavailable(AvitoError),
}

/// Decides on Avito's `answer` for keys meant for the account `known` (`None`: a new profile,
/// or one that never knew its account), `connected` being the user's profile of the same
/// account or client id when one was found.
pub fn verdict(
    known: Option<AccountId>,
    answer: Result<AccountSelf, AvitoError>,
    connected: Option<(ProfileId, String)>,
) -> Verdict {
    match answer {
        Ok(account) => match (account.id, connected) {
            (Some(got), _) if known.is_some_and(|k| k != got) => Verdict::OtherAccount(got),
            (_, Some((id, name))) => Verdict::Connected { id, name, account },
            (_, None) => Verdict::Fits(account),
        },
        Err(AvitoError::InvalidCredentials) => Verdict::Refused,
        Err(e) => Verdict::Unavailable(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: Option<i64>) -> Result<AccountSelf, AvitoError> {
        Ok(AccountSelf {
            id: id.map(AccountId),
            name: Some("Shop".into()),
            ..AccountSelf::default()
        })
    }

    fn shown(v: &Verdict) -> String {
        match v {
            Verdict::Fits(a) => format!("fits {:?}", a.id.map(|id| id.0)),
            Verdict::Refused => "refused".into(),
            Verdict::OtherAccount(id) => format!("other {}", id.0),
            Verdict::Connected { id, name, .. } => format!("connected {} {name}", id.0),
            Verdict::Unavailable(_) => "unavailable".into(),
        }
    }

    #[test]
    fn every_answer_on_entered_keys_has_one_outcome() {
        let down = || Err(AvitoError::InvalidRequest("x".into()));
        let refused = || Err(AvitoError::InvalidCredentials);
        let mine = || Some((ProfileId(5), "Main".to_owned()));
        type Answer = Result<AccountSelf, AvitoError>;
        let cases: [(&str, Option<i64>, Answer, _, &str); 11] = [
            // Adding a profile.
            ("added", None, account(Some(7)), None, "fits Some(7)"),
            ("added, no id", None, account(None), None, "fits None"),
            (
                "duplicate account",
                None,
                account(Some(7)),
                mine(),
                "connected 5 Main",
            ),
            (
                "duplicate keys",
                None,
                account(None),
                mine(),
                "connected 5 Main",
            ),
            ("refused", None, refused(), None, "refused"),
            ("unavailable", None, down(), None, "unavailable"),
            // New keys of a profile of account 7.
            (
                "same account",
                Some(7),
                account(Some(7)),
                None,
                "fits Some(7)",
            ),
            (
                "another account's keys",
                Some(7),
                account(Some(8)),
                None,
                "other 8",
            ),
            (
                "no id in the answer",
                Some(7),
                account(None),
                None,
                "fits None",
            ),
            ("keys refused", Some(7), refused(), None, "refused"),
            ("keys unavailable", Some(7), down(), None, "unavailable"),
        ];
        for (case, known, answer, connected, expected) in cases {
            let v = verdict(known.map(AccountId), answer, connected);
            assert_eq!(shown(&v), expected, "{case}");
        }
    }

    #[test]
    fn a_profile_that_never_knew_its_account_takes_any() {
        assert_eq!(
            shown(&verdict(None, account(Some(8)), None)),
            "fits Some(8)"
        );
        // Another account's keys are refused before a connected profile is offered.
        assert_eq!(
            shown(&verdict(
                Some(AccountId(7)),
                account(Some(8)),
                Some((ProfileId(5), "Main".into()))
            )),
            "other 8"
        );
    }
}
