//! Finding people by what an offboarding ticket or HR's list names them by: a user name
//! (UPN), an email address, or a display name; and the numbers one person holds.
//!
//! What Microsoft documents, and so what is sent (all in JSON batches of 20, with the names
//! token, `User.ReadBasic.All`):
//! - `userPrincipalName in (…)` and `mail in (…)` work by default ("the `in` operator is
//!   supported by default whenever `eq` is"), 15 values each, so one part per 15 addresses
//!   for each property: 150 addresses per request.
//! - An alias is only in `proxyAddresses`, which needs `proxyAddresses/any(p:p eq 'smtp:…')`.
//!   It is not a property `User.ReadBasic.All` reads, and Graph omits rows whose filter
//!   references properties unavailable to the caller, so the alias pass may find nothing
//!   without `User.Read.All`; it runs only for addresses the first pass did not find, one
//!   address a part (the answer cannot say which alias matched).
//! - A display name is searched (`$search="displayName:…"`), which is an advanced query: it
//!   needs `ConsistencyLevel: eventual`, sent in the part's own headers. One part per name.
//!
//! Absence is evidence only when the answer was whole: a part whose answer could not be
//! taken at its word leaves its queries [`PeopleRead::unresolved`], never "no such user".

use super::users::Part;
use super::{CancelToken, DirectoryAccount, GraphClient, GraphError, NumberAssignment, TokenKind};
use std::collections::{HashMap, HashSet};

const SELECT: &str = "id,displayName,userPrincipalName,mail";
const PER_IN: usize = super::ID_IN_LIMIT;

/// What the admin typed for one person.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PersonQuery {
    /// A user name or an email address (anything with an `@`).
    Address(String),
    /// A display name.
    Name(String),
}

/// What a read of people found, by the index of the query in the list given.
#[derive(Debug, Clone, Default)]
pub struct PeopleRead {
    /// The accounts each query matched (none: no such user).
    pub matches: HashMap<usize, Vec<DirectoryAccount>>,
    /// Queries whose answer could not be read whole: neither found nor known to be absent.
    pub unresolved: HashSet<usize>,
    /// HTTP requests the read took.
    pub requests: usize,
}

fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

fn encode(value: &str) -> String {
    super::encode_query_value(value)
}

impl GraphClient {
    /// Finds the people `queries` name. `Ok(None)` when cancelled.
    pub async fn find_people(
        &self,
        queries: &[PersonQuery],
        cancel: &CancelToken,
    ) -> Result<Option<PeopleRead>, GraphError> {
        let mut read = PeopleRead::default();
        // Distinct addresses, lower-cased, with the queries that name each.
        let mut addresses: Vec<String> = Vec::new();
        let mut names: Vec<(String, usize)> = Vec::new();
        for (i, query) in queries.iter().enumerate() {
            match query {
                PersonQuery::Address(a) => {
                    let a = a.trim().to_lowercase();
                    if !addresses.contains(&a) {
                        addresses.push(a);
                    }
                }
                PersonQuery::Name(n) => names.push((n.trim().to_owned(), i)),
            }
            read.matches.entry(i).or_default();
        }
        let mut parts = Vec::new();
        let mut chunk_of_part: HashMap<String, usize> = HashMap::new();
        for (c, chunk) in addresses.chunks(PER_IN).enumerate() {
            let list = chunk
                .iter()
                .map(|a| quoted(a))
                .collect::<Vec<_>>()
                .join(",");
            for property in ["userPrincipalName", "mail"] {
                let id = format!("{property}-{c}");
                chunk_of_part.insert(id.clone(), c);
                parts.push(Part {
                    url: format!(
                        "/users?$filter={}&$select={SELECT}",
                        encode(&format!("{property} in ({list})"))
                    ),
                    id,
                    attempts: 0,
                    ids: Vec::new(),
                    eventual: false,
                });
            }
        }
        for (n, (name, _)) in names.iter().enumerate() {
            parts.push(Part {
                id: format!("name-{n}"),
                url: format!(
                    "/users?$search={}&$select={SELECT}",
                    encode(&format!("\"displayName:{}\"", name.replace('"', "")))
                ),
                attempts: 0,
                ids: Vec::new(),
                eventual: true,
            });
        }
        let Some(first) = self.read_parts(parts, TokenKind::Names, cancel).await? else {
            return Ok(None);
        };
        read.requests += first.requests;
        let account = |id: &String, from: &super::UsersRead| from.accounts.get(id).cloned();
        // Addresses: an account matches when its UPN or mail is the address.
        let mut found_address: HashMap<String, Vec<DirectoryAccount>> = HashMap::new();
        let mut unresolved_chunks: HashSet<usize> = HashSet::new();
        for part in &first.unreadable_parts {
            if let Some(c) = chunk_of_part.get(part) {
                unresolved_chunks.insert(*c);
            }
        }
        for a in first.accounts.values() {
            for address in [&a.user_principal_name, &a.mail].into_iter().flatten() {
                let address = address.to_lowercase();
                if addresses.contains(&address) {
                    let list = found_address.entry(address).or_default();
                    if !list.iter().any(|x| x.id.eq_ignore_ascii_case(&a.id)) {
                        list.push(a.clone());
                    }
                }
            }
        }
        let unresolved_address = |address: &String| {
            addresses
                .iter()
                .position(|a| a == address)
                .is_some_and(|p| unresolved_chunks.contains(&(p / PER_IN)))
        };
        // The alias pass, for addresses nobody has as UPN or mail.
        let leftovers: Vec<String> = addresses
            .iter()
            .filter(|a| !found_address.contains_key(*a) && !unresolved_address(a))
            .cloned()
            .collect();
        let mut unresolved_aliases: HashSet<String> = HashSet::new();
        if !leftovers.is_empty() {
            let parts = leftovers
                .iter()
                .enumerate()
                .map(|(n, address)| Part {
                    id: format!("alias-{n}"),
                    url: format!(
                        "/users?$filter={}&$select={SELECT}",
                        encode(&format!(
                            "proxyAddresses/any(p:p eq {})",
                            quoted(&format!("smtp:{address}"))
                        ))
                    ),
                    attempts: 0,
                    ids: Vec::new(),
                    eventual: false,
                })
                .collect();
            let Some(aliases) = self.read_parts(parts, TokenKind::Names, cancel).await? else {
                return Ok(None);
            };
            read.requests += aliases.requests;
            for (n, address) in leftovers.iter().enumerate() {
                let part = format!("alias-{n}");
                if aliases.unreadable_parts.contains(&part) {
                    unresolved_aliases.insert(address.clone());
                }
                let listed = aliases.by_part.get(&part).cloned().unwrap_or_default();
                let accounts: Vec<_> = listed
                    .iter()
                    .filter_map(|id| account(id, &aliases))
                    .collect();
                if !accounts.is_empty() {
                    found_address.insert(address.clone(), accounts);
                }
            }
        }
        for (i, query) in queries.iter().enumerate() {
            if let PersonQuery::Address(a) = query {
                let a = a.trim().to_lowercase();
                match found_address.get(&a) {
                    Some(accounts) => {
                        read.matches.insert(i, accounts.clone());
                    }
                    None if unresolved_address(&a) || unresolved_aliases.contains(&a) => {
                        read.unresolved.insert(i);
                    }
                    None => {}
                }
            }
        }
        for (n, (_, i)) in names.iter().enumerate() {
            let part = format!("name-{n}");
            if first.unreadable_parts.contains(&part) {
                read.unresolved.insert(*i);
                continue;
            }
            let listed = first.by_part.get(&part).cloned().unwrap_or_default();
            read.matches.insert(
                *i,
                listed.iter().filter_map(|id| account(id, &first)).collect(),
            );
        }
        Ok(Some(read))
    }

    /// The numbers one user or resource account holds
    /// (`$filter=assignmentTargetId eq '…'`: every property but `id` and `city` filters).
    pub async fn numbers_of(&self, target_id: &str) -> Result<Vec<NumberAssignment>, GraphError> {
        let url = self.url(&format!(
            "{}?$filter={}",
            super::NUMBERS_PATH,
            encode(&format!("assignmentTargetId eq {}", quoted(target_id)))
        ));
        let (value, exchange) = self.get_json(&url, TokenKind::Telephone).await?;
        let (numbers, unreadable) = super::number_page(value, &exchange)?;
        if let Some(row) = unreadable.first() {
            return Err(GraphError::new(
                super::GraphErrorKind::Malformed,
                format!(
                    "Microsoft's entry for one of this person's numbers could not be read: {}",
                    row.reason
                ),
            )
            .with_exchange(&exchange));
        }
        Ok(numbers
            .into_iter()
            .filter(|n| {
                n.assignment_target_id
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case(target_id))
            })
            .collect())
    }
}
