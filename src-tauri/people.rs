//! People, as an offboarding ticket or HR's list names them: what a typed value is (a number,
//! a user name or email, a display name), and what the directory's answer about it means.
//! Facts, and the few sentences both views (`desk/person.rs`, Bulk's preview) say about an
//! outcome, so the lookup and HR's list say the same thing the same way.
//!
//! Never a guess: a user name or email matches only an account whose UPN, email or alias is
//! exactly it (ignoring case); a display name resolves only when exactly one account has that
//! name exactly. Several accounts with the name, or only accounts whose names merely start
//! with the words typed, are a list to choose from.

use crate::graph::{DirectoryAccount, GraphError, GraphErrorKind, NumberAssignment, PersonQuery};
use serde::Serialize;

/// What a typed value is. `None`: a telephone number (or something that is meant as one:
/// digits and phone punctuation), left to the number lookup and its own checks.
pub fn person_query(input: &str) -> Option<PersonQuery> {
    let value = input.trim();
    if value.contains('@') {
        return Some(PersonQuery::Address(value.to_owned()));
    }
    if crate::phone::parse_number(value).is_ok() {
        return None;
    }
    let lower = value.to_ascii_lowercase();
    let without_phone_words = lower.trim_start_matches("tel:").replace("ext", "");
    if without_phone_words.chars().any(char::is_alphabetic) {
        Some(PersonQuery::Name(value.to_owned()))
    } else {
        None
    }
}

/// Whether an account is a guest from another organisation: Entra gives guests a UPN of
/// their own address with `#EXT#` (readable with `User.ReadBasic.All`, unlike `userType`).
pub fn is_guest(account: &DirectoryAccount) -> bool {
    account
        .user_principal_name
        .as_deref()
        .is_some_and(|upn| upn.to_ascii_uppercase().contains("#EXT#"))
}

/// Whether an account holding `numbers` is a resource account (an auto attendant's or a call
/// queue's): it holds some, all assigned as a voice application's.
pub fn is_resource_account<'a>(numbers: impl IntoIterator<Item = &'a NumberAssignment>) -> bool {
    let mut any = false;
    for number in numbers {
        if number.assignment_status.as_deref() != Some("voiceApplicationAssigned") {
            return false;
        }
        any = true;
    }
    any
}

/// A person as the views show them.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PersonView {
    pub id: String,
    pub name: Option<String>,
    pub upn: Option<String>,
    pub mail: Option<String>,
    pub guest: bool,
}

impl From<&DirectoryAccount> for PersonView {
    fn from(account: &DirectoryAccount) -> PersonView {
        PersonView {
            id: account.id.clone(),
            name: account.display_name.clone(),
            upn: account.user_principal_name.clone(),
            mail: account.mail.clone(),
            guest: is_guest(account),
        }
    }
}

impl PersonView {
    /// How the person is named in a sentence: their name, else user name, else object ID.
    pub fn called(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.upn.clone())
            .unwrap_or_else(|| format!("the account with object ID {}", self.id))
    }
}

/// What came of looking one person up.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
pub enum PersonOutcome {
    /// One person, holding at least one number.
    Found,
    /// One person, holding no number.
    NoNumbers,
    /// No account has this user name, email or name.
    NoSuchUser,
    /// Several accounts match (or only near matches of a name): choose one.
    ChooseOne,
    /// Microsoft's answer could not be read whole; try again.
    Unresolved,
    /// Not looked up: reading users (`User.ReadBasic.All`) is not permitted.
    NotPermitted,
}

/// "No one in your directory has the user name or email address …" / "… is called …".
pub fn no_such_user_text(query: &PersonQuery) -> String {
    match query {
        PersonQuery::Address(a) => {
            format!("No one in your directory has the user name or email address {a}.")
        }
        PersonQuery::Name(n) => format!("No one in your directory is called {n}."),
    }
}

/// "Nina Larsen holds no phone number: there is nothing to remove." (a guest said as one).
pub fn no_numbers_text(person: &PersonView) -> String {
    let who = person.called();
    if person.guest {
        format!("{who} is a guest from another organisation and holds no phone number: there is nothing to remove.")
    } else {
        format!("{who} holds no phone number: there is nothing to remove.")
    }
}

/// Why nothing can be said about a person whose answer could not be read whole.
pub const UNRESOLVED_TEXT: &str = "Microsoft's answer about this person could not be read whole, so NumberDesk cannot say whether they exist. Try again in a moment.";

/// What the directory said about one typed person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    One(PersonView),
    /// No account has this user name, email or name.
    NoSuchUser,
    /// Several accounts match, or only near matches of a name: the admin chooses.
    Several(Vec<PersonView>),
    /// The answer about it could not be read whole (try again).
    Unresolved,
}

/// Resolves `query` from the accounts the directory listed for it.
pub fn resolve(query: &PersonQuery, matches: &[DirectoryAccount], unresolved: bool) -> Resolution {
    if unresolved {
        return Resolution::Unresolved;
    }
    let views = |accounts: &[&DirectoryAccount]| -> Vec<PersonView> {
        let mut views: Vec<PersonView> = accounts.iter().map(|a| PersonView::from(*a)).collect();
        views.sort_by(|a, b| a.name.cmp(&b.name).then(a.upn.cmp(&b.upn)));
        views
    };
    let candidates: Vec<&DirectoryAccount> = match query {
        PersonQuery::Address(_) => matches.iter().collect(),
        PersonQuery::Name(name) => {
            let exact: Vec<&DirectoryAccount> = matches
                .iter()
                .filter(|a| {
                    a.display_name
                        .as_deref()
                        .is_some_and(|n| n.trim().to_lowercase() == name.trim().to_lowercase())
                })
                .collect();
            if exact.is_empty() && !matches.is_empty() {
                // Only near matches ("Adele" for Adele Vance): a list to choose from.
                return Resolution::Several(views(&matches.iter().collect::<Vec<_>>()));
            }
            exact
        }
    };
    match candidates.len() {
        0 => Resolution::NoSuchUser,
        1 => Resolution::One(PersonView::from(candidates[0])),
        _ => Resolution::Several(views(&candidates)),
    }
}

/// Whether a failed read of people means "`User.ReadBasic.All` is not granted": a refused
/// token for names, or Graph's 403.
pub fn names_refused(error: &GraphError) -> bool {
    match error.kind {
        GraphErrorKind::Forbidden => true,
        GraphErrorKind::SignIn => error
            .token_error()
            .and_then(|e| e.downcast_ref::<crate::auth::session::SessionError>())
            .is_some_and(crate::auth::session::SessionError::is_names_refused),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str, name: &str, upn: &str) -> DirectoryAccount {
        DirectoryAccount {
            id: id.into(),
            display_name: Some(name.into()),
            user_principal_name: Some(upn.into()),
            mail: None,
            account_enabled: None,
            assigned_plans: None,
        }
    }

    #[test]
    fn typed_values_are_numbers_addresses_or_names() {
        assert_eq!(person_query("+1 (206) 555-0100"), None);
        assert_eq!(person_query("tel:+12065550100;ext=12"), None);
        assert_eq!(person_query("12065550100"), None);
        assert_eq!(
            person_query(" adele@contoso.com "),
            Some(PersonQuery::Address("adele@contoso.com".into()))
        );
        assert_eq!(
            person_query("Adele Vance"),
            Some(PersonQuery::Name("Adele Vance".into()))
        );
    }

    #[test]
    fn a_name_resolves_only_when_exactly_one_account_has_it() {
        let name = PersonQuery::Name("alex wilber".into());
        let one = [account("1", "Alex Wilber", "alexw@x")];
        assert!(matches!(resolve(&name, &one, false), Resolution::One(p) if p.id == "1"));
        let two = [
            account("1", "Alex Wilber", "alexw@x"),
            account("2", "Alex Wilber", "alex.wilber@x"),
        ];
        assert!(matches!(resolve(&name, &two, false), Resolution::Several(v) if v.len() == 2));
        let near = [account("3", "Alex Wilberforce", "aw@x")];
        assert!(
            matches!(resolve(&name, &near, false), Resolution::Several(v) if v.len() == 1),
            "a near match is offered, never taken"
        );
        assert_eq!(resolve(&name, &[], false), Resolution::NoSuchUser);
        assert_eq!(resolve(&name, &one, true), Resolution::Unresolved);
    }

    #[test]
    fn guests_are_told_by_their_user_name() {
        assert!(is_guest(&account(
            "g",
            "Sam",
            "sam_fabrikam.com#EXT#@contoso.onmicrosoft.com"
        )));
        assert!(!is_guest(&account("m", "Ann", "ann@contoso.com")));
    }
}
